"""T4 · The density of an affine map of a standard Gaussian (Problem 4). Math and check: :mod:`theorems.gaussian_density.check`."""

from __future__ import annotations

from theorems.theorem import Assumption, Claim, Theorem

__all__ = ["AFFINE_GAUSSIAN_DENSITY", "CLAIMS", "STATEMENT", "THEOREMS"]

STATEMENT = (
    r"f_X(x) = (2\pi)^{-n/2}\,|\det A|^{-1}\exp\!\big(-\tfrac12\|A^{-1}(x-b)\|^2\big)"
    r" = (2\pi)^{-n/2}\det(\Sigma)^{-1/2}\exp\!\big(-\tfrac12 (x-b)^\top\Sigma^{-1}(x-b)\big),\quad \Sigma = AA^\top"
)

AFFINE_GAUSSIAN_DENSITY = Theorem(
    id="affine-gaussian-density",
    # Its part of the suite's false-alarm budget (theorems.oracles.false_alarms).
    false_alarm_share=2e-7,
    title="The density of AY + b for Y ~ N(0, I) is N(b, AAᵀ)",
    source="Problem 4",
    statement=STATEMENT,
    hypotheses=("Y ~ N(0, I_n)", "A is n × n and invertible (det A of either sign)", "b ∈ Rⁿ"),
    oracles=(
        "the change of variables −(n/2)log 2π − log|det A| − ½|A⁻¹(x−b)|² evaluated directly (the check)",
        "adaptive cubature (n ≤ 2) and Gauss–Hermite after whitening (n > 2): integral 1, mean b, covariance AAᵀ",
        "scipy.stats.multivariate_normal.logpdf as a second implementation",
        "samples of AY + b against N(bᵀu, uᵀΣu) on random directions u (DKW goodness of fit)",
    ),
    contract="(x: ndarray (n,), mean: ndarray (n,), cov: ndarray (n, n)) -> float, the log-density log N(x; mean, cov)",
    reference_target="theorems.gaussian_density.check:affine_gaussian_log_density",
    check_target="theorems.gaussian_density.check:check_affine_gaussian_density",
    examples="theorems.strategies.gaussian:affine_gaussian_cases",
    parameters=("x", "mean", "cov"),
    assumptions=(
        Assumption("dim", tuple(range(1, 9)), "the dimension n of A and b"),
        Assumption("dimension", ("1", "2", "3+"), "the class of n: 1, 2, or 3 to 8 (moot where dim leaves none of it)"),
        Assumption(
            "structure",
            ("diagonal", "dense", "ill-conditioned"),
            "Σ = AAᵀ diagonal, or dense with κ(Σ) ≤ 1e8, or ill-conditioned: κ(Σ) from 1e10 to 1e12 (counted from 1e9)",
        ),
    ),
    # Every (dimension, structure) once per run (9 examples; in one dimension Σ is a
    # number, so its three rows draw the same diagonal class).
    cover=("dimension", "structure"),
    classify_target="theorems.strategies.gaussian:classify_affine_gaussian_case",
)

THEOREMS = (AFFINE_GAUSSIAN_DENSITY,)

CLAIMS = (
    Claim(
        id="affine-gaussian-density-normaliser",
        theorem_id="affine-gaussian-density",
        source="Problem 4, last line",
        transcribed=r"f_X(x) = \frac{1}{(2\pi)^N \det\Sigma}\exp\{-\tfrac12 (x-b)^\top\Sigma^{-1}(x-b)\}",
        corrected=r"f_X(x) = \frac{1}{(2\pi)^{N/2} (\det\Sigma)^{1/2}}\exp\{-\tfrac12 (x-b)^\top\Sigma^{-1}(x-b)\}",
        what_is_wrong="the exponents of 2π and of det Σ must be halves (n=1, A=1, b=0, x=0: 1/(2π) ≈ 0.159 vs 1/√(2π) ≈ 0.399)",
        implementation_target="theorems.gaussian_density.check:notes_normaliser_log_density",
    ),
    Claim(
        id="affine-gaussian-density-signed-jacobian",
        theorem_id="affine-gaussian-density",
        source="Problem 4, |dy/dx| = 1/det(A)",
        transcribed=r"\left|\frac{dy}{dx}\right| = \frac{1}{\det(A)}",
        corrected=r"\left|\frac{dy}{dx}\right| = \frac{1}{|\det(A)|}",
        what_is_wrong="the Jacobian factor must be |det A|⁻¹; with det A < 0 the formula gives a negative density",
        implementation_target="theorems.gaussian_density.check:notes_signed_jacobian_log_density",
    ),
)
