r"""Beyond the notes · every closed-form KL divergence that ``torch.distributions`` registers.

The notes prove one closed-form KL (two Gaussians, T7); ``torch.distributions`` holds dozens.
This theorem checks every one the installed torch has against the definition. Math and check:
:mod:`theorems.kl_closed_forms.check`.
"""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["KL_CLOSED_FORMS", "KL_PAIRS", "THEOREMS"]

# The pairs torch.distributions.kl registers in torch 2.14.1, p's family then q's. Kept
# literal so that listing the theorems imports no torch; tests/kl_closed_forms/test_kl_closed_forms.py
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
    reference_target="theorems.kl_closed_forms.check:kl_divergence",
    check_target="theorems.kl_closed_forms.check:check_kl_closed_forms",
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

THEOREMS = (KL_CLOSED_FORMS,)
