"""T7 · The KL divergence between two Gaussians in closed form (Problem 6). Math and check: :mod:`theorems.gaussian_kl.check`."""

from __future__ import annotations

from theorems.theorem import Assumption, Claim, Theorem

__all__ = ["CLAIMS", "GAUSSIAN_KL", "STATEMENT", "THEOREMS"]

STATEMENT = (
    r"D(X\|Y) = \tfrac12\Big[\operatorname{tr}(\Sigma_1^{-1}\Sigma_0) + (\mu_1-\mu_0)^\top\Sigma_1^{-1}(\mu_1-\mu_0)"
    r" - d + \ln\frac{\det\Sigma_1}{\det\Sigma_0}\Big]"
)

GAUSSIAN_KL = Theorem(
    id="gaussian-kl",
    # Its part of the suite's false-alarm budget (theorems.oracles.false_alarms).
    false_alarm_share=2e-7,
    title="The KL divergence between two Gaussians in closed form",
    source="Problem 6",
    statement=STATEMENT,
    hypotheses=("X ~ N(μ0, Σ0), Y ~ N(μ1, Σ1) on the same R^d", "Σ0, Σ1 symmetric positive definite"),
    oracles=(
        "∫ f0 log(f0/f1) by 2-point Gauss–Hermite after whitening by Σ0 (exact for the quadratic log-ratio; the check)",
        "adaptive quadrature (d = 1) and adaptive cubature (d = 2) of the same integral, with their error estimates",
        "Monte Carlo with a median-of-means confidence bound",
        "torch.distributions.kl_divergence as a second implementation",
        "diagonal covariances: the sum of 1-D KLs (T6, additivity)",
    ),
    contract="(mu0: ndarray (d,), cov0: ndarray (d, d), mu1: ndarray (d,), cov1: ndarray (d, d)) -> float, D(N(mu0, cov0) ‖ N(mu1, cov1))",
    reference_target="theorems.gaussian_kl.check:gaussian_kl",
    check_target="theorems.gaussian_kl.check:check_gaussian_kl",
    examples="theorems.strategies.gaussian:gaussian_pairs",
    parameters=("mu0", "cov0", "mu1", "cov1"),
    assumptions=(
        Assumption("dim", tuple(range(1, 9)), "the dimension d of both Gaussians"),
        Assumption("dimension", ("1", "2", "3+"), "the class of d: 1, 2, or 3 to 8 (moot where dim leaves none of it)"),
        Assumption(
            "structure",
            ("diagonal", "dense", "ill-conditioned"),
            "Σ0 and Σ1 both diagonal, or dense with κ ≤ 1e8, or ill-conditioned: κ from 1e10 to 1e12 (counted from 1e9); "
            "a pair counts as its harder covariance",
        ),
    ),
    # Every (dimension, structure) once per run (9 examples; in one dimension Σ0 and Σ1
    # are numbers, so its three rows draw the same diagonal class).
    cover=("dimension", "structure"),
    classify_target="theorems.strategies.gaussian:classify_gaussian_pair",
)

THEOREMS = (GAUSSIAN_KL,)

CLAIMS = (
    Claim(
        id="gaussian-kl-notes-last-line",
        theorem_id="gaussian-kl",
        source="Problem 6, last line",
        transcribed=r"\tfrac12\big[\ln(\det\Sigma_0/\det\Sigma_1) - \operatorname{tr}(\Sigma_1^{-1}) + \operatorname{tr}(\Sigma_1^{-1}\Sigma_0)\big]",
        corrected=STATEMENT,
        what_is_wrong=(
            "the log ratio is inverted, −tr(Σ1⁻¹) should be −d, and the mean term is missing "
            "(d=1, μ0=μ1=0, Σ0=1, Σ1=2: true ≈ 0.0966, claim ≈ −0.347, negative against T5)"
        ),
        implementation_target="theorems.gaussian_kl.check:notes_gaussian_kl",
    ),
)
