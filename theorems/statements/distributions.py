r"""Beyond the notes · torch.distributions' closed-form KLs and its transforms' log-determinants.

The notes prove one closed-form KL (two Gaussians, T7) and one change of variables (an
affine map of a Gaussian, T4). ``torch.distributions`` holds dozens of each; these two
theorems check every one the installed torch has. Math and checks:
:mod:`theorems.kl_closed_forms` and :mod:`theorems.log_det_jacobian`.
"""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["KL_CLOSED_FORMS", "KL_PAIRS", "LOG_DET_JACOBIAN", "THEOREMS", "TRANSFORMS"]

# The pairs torch.distributions.kl registers in torch 2.14.1, p's family then q's. Kept
# literal so that listing the theorems imports no torch; tests/test_kl_closed_forms.py
# fails when the installed torch registers a pair that is not here (or drops one).
KL_PAIRS = (
    "Bernoulli-Bernoulli",
    "Bernoulli-Poisson",
    "Beta-Beta",
    "Beta-ContinuousBernoulli",
    "Beta-Exponential",
    "Beta-Gamma",
    "Beta-Normal",
    "Beta-Pareto",
    "Beta-Uniform",
    "Binomial-Binomial",
    "Categorical-Categorical",
    "Cauchy-Cauchy",
    "ContinuousBernoulli-ContinuousBernoulli",
    "ContinuousBernoulli-Exponential",
    "ContinuousBernoulli-Normal",
    "ContinuousBernoulli-Pareto",
    "ContinuousBernoulli-Uniform",
    "Dirichlet-Dirichlet",
    "Exponential-Beta",
    "Exponential-ContinuousBernoulli",
    "Exponential-Exponential",
    "Exponential-Gamma",
    "Exponential-Gumbel",
    "Exponential-Normal",
    "Exponential-Pareto",
    "Exponential-Uniform",
    "ExponentialFamily-ExponentialFamily",
    "Gamma-Beta",
    "Gamma-ContinuousBernoulli",
    "Gamma-Exponential",
    "Gamma-Gamma",
    "Gamma-Gumbel",
    "Gamma-Normal",
    "Gamma-Pareto",
    "Gamma-Uniform",
    "Geometric-Geometric",
    "Gumbel-Beta",
    "Gumbel-ContinuousBernoulli",
    "Gumbel-Exponential",
    "Gumbel-Gamma",
    "Gumbel-Gumbel",
    "Gumbel-Normal",
    "Gumbel-Pareto",
    "Gumbel-Uniform",
    "HalfNormal-HalfNormal",
    "Independent-Independent",
    "Laplace-Beta",
    "Laplace-ContinuousBernoulli",
    "Laplace-Exponential",
    "Laplace-Gamma",
    "Laplace-Laplace",
    "Laplace-Normal",
    "Laplace-Pareto",
    "Laplace-Uniform",
    "LowRankMultivariateNormal-LowRankMultivariateNormal",
    "LowRankMultivariateNormal-MultivariateNormal",
    "MultivariateNormal-LowRankMultivariateNormal",
    "MultivariateNormal-MultivariateNormal",
    "Normal-Beta",
    "Normal-ContinuousBernoulli",
    "Normal-Exponential",
    "Normal-Gamma",
    "Normal-Gumbel",
    "Normal-Laplace",
    "Normal-Normal",
    "Normal-Pareto",
    "Normal-Uniform",
    "OneHotCategorical-OneHotCategorical",
    "Pareto-Beta",
    "Pareto-ContinuousBernoulli",
    "Pareto-Exponential",
    "Pareto-Gamma",
    "Pareto-Normal",
    "Pareto-Pareto",
    "Pareto-Uniform",
    "Poisson-Bernoulli",
    "Poisson-Binomial",
    "Poisson-Poisson",
    "TransformedDistribution-TransformedDistribution",
    "Uniform-Beta",
    "Uniform-ContinuousBernoulli",
    "Uniform-Exponential",
    "Uniform-Gamma",
    "Uniform-Gumbel",
    "Uniform-Normal",
    "Uniform-Pareto",
    "Uniform-Uniform",
)

KL_CLOSED_FORMS = Theorem(
    id="kl-closed-forms",
    title="Every closed-form KL that torch.distributions registers equals the definition",
    source="beyond the notes (T5–T7 in general)",
    statement=r"\mathrm{KL}(p\,\|\,q) = \mathbb{E}_{X\sim p}\big[\log p(X) - \log q(X)\big],\quad = +\infty \text{ if } p \not\ll q",
    hypotheses=(
        "p and q are laws of a pair of families that torch.distributions.kl registers, with the same batch shape",
        "KL is +∞ exactly when p charges a set that q does not, or E_p log q diverges",
    ),
    oracles=(
        "finite discrete laws: the exact sum over the support",
        "Poisson, Geometric: the sum over a window with the tails bounded (Poisson) or summed in closed form (Geometric)",
        "one-dimensional laws: adaptive quadrature over p's quantiles, with its error estimate",
        "Gaussians: T7's Gauss–Hermite oracle; Dirichlet, Wishart: the log-ratio is affine in the sufficient statistics, whose means come from 1-D quadrature",
        "Independent: the sum of the components (T6); TransformedDistribution: the base laws' KL",
    ),
    contract="(p: torch.distributions.Distribution, q: torch.distributions.Distribution) -> Tensor of p's batch shape, KL(p‖q)",
    parameters=("p", "q"),
    reference_target="theorems.kl_closed_forms:kl_divergence",
    check_target="theorems.kl_closed_forms:check_kl_closed_forms",
    examples="theorems.strategies.distributions:law_pairs",
    assumptions=(
        Assumption("pair", KL_PAIRS, "the registered pair of families: p's, a hyphen, q's (ExponentialFamily: drawn as Wishart)"),
        Assumption("batch", (1, 2, 3), "the batch size of p and q"),
    ),
    # Every registered pair in every run. Thorough draws 150 examples a pair on average; a
    # free example's pair is uniform over the 87, so by the union bound over pairs of the
    # binomial tail, P(some pair gets fewer than 100) ≤ 87·P(Bin(12 963, 1/87) < 99) = 4.3e-4.
    cover=("pair",),
    thorough_per_class=150,
    classify_target="theorems.strategies.distributions:classify_law_pair",
)


# The bijective transforms of torch.distributions.transforms (2.14.1), by class name without
# "Transform" ("Identity": identity_transform). tests/test_log_det_jacobian.py fails when the
# installed torch exports a transform that is neither here nor among the non-bijective ones.
TRANSFORMS = (
    "Affine", "Cat", "Compose", "CorrCholesky", "CumulativeDistribution", "Exp", "Identity", "Independent",
    "Power", "Reshape", "Sigmoid", "Softplus", "Stack", "StickBreaking", "Tanh",
)

LOG_DET_JACOBIAN = Theorem(
    id="log-det-jacobian",
    title="Every bijective transform's log-determinant is log|det J| (change of variables, T4 in general)",
    source="beyond the notes (Problem 4 in general)",
    statement=r"\log p_Y(y) = \log p_X\big(f^{-1}(y)\big) - \log\big|\det J_f\big(f^{-1}(y)\big)\big|,\quad \texttt{log\_abs\_det\_jacobian}(x, f(x)) = \log|\det J_f(x)|",
    hypotheses=(
        "f is a bijection of the event (torch marks it bijective) and x lies in its domain",
        "where f maps into a larger space (the simplex, correlation Cholesky factors), J is taken onto the free coordinates",
    ),
    oracles=(
        "J from autograd (torch.autograd.functional.jacobian) of the transform's forward map in float64, block by block of the batch; slogdet",
        "TransformedDistribution.log_prob: integrates to 1 by quadrature and equals base.log_prob(f⁻¹(y)) − log|det J| (tests)",
    ),
    contract="(transform: torch.distributions.Transform, x: Tensor) -> Tensor of x's batch shape, log|det J_f(x)|",
    parameters=("transform", "x"),
    reference_target="theorems.log_det_jacobian:log_abs_det_jacobian",
    check_target="theorems.log_det_jacobian:check_log_det_jacobian",
    examples="theorems.strategies.transforms:transform_cases",
    assumptions=(Assumption("transform", TRANSFORMS, "the transform's class (without 'Transform'; Identity: identity_transform)"),),
    cover=("transform",),
    classify_target="theorems.strategies.transforms:classify_transform_case",
)

THEOREMS = (KL_CLOSED_FORMS, LOG_DET_JACOBIAN)
