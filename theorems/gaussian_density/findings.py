"""Defects of ``scipy.stats.multivariate_normal.logpdf`` found by the affine-Gaussian density check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.stats

from theorems.finding import Finding
from theorems.gaussian_density.check import AffineGaussianCase

__all__ = ["CLUSTERED_EXAMPLE", "FINDINGS", "LIBRARY_IMPLEMENTATIONS"]

# The real library function that runs through the density check.
LIBRARY_IMPLEMENTATIONS: dict[str, tuple[str, Callable[..., Any]]] = {
    "affine-gaussian-density": ("scipy.stats.multivariate_normal.logpdf", scipy.stats.multivariate_normal.logpdf),
}


# Relative gap between neighbouring eigenvalues of Σ below which they form a cluster.
# Outside it scipy's logpdf stayed within 0.12 of the tolerance over 20 000 examples
# that Hypothesis steered (target) toward the largest ratio.
CLUSTER_GAP = 1e-8


def _clustered_covariance(case: AffineGaussianCase) -> bool:
    eigenvalues = np.sort(np.linalg.svd(case.matrix, compute_uv=False) ** 2)
    return bool(np.any(np.diff(eigenvalues) <= CLUSTER_GAP * eigenvalues[1:]))


# Found by the thorough profile: A = c·Q (Q orthogonal, so Σ = c²I up to rounding).
CLUSTERED_EXAMPLE = AffineGaussianCase(
    matrix=np.array([
        [-0.00171879503488899, 0.04102998985073168, 0.35920760012478314, 0.25911083043655203],
        [0.19220618235879913, 0.3497556794810365, 0.087738010538678, -0.17574050870830724],
        [-0.01709118606323549, 0.22098455002586317, -0.2419515046927389, 0.30031337989879076],
        [0.40077008037793493, -0.15814003292650805, -0.05085614669524866, 0.09820214744933012],
    ]),
    shift=np.zeros(4),
    points=np.array([[0.03166803989984845, -0.3478148737902961, 1.7341985216676157, 2.0497111095783276]]),
)

# scipy's _PSD treats eigenvalues of Σ at or below 1e6·eps·λ_max as zero (its default
# cond for float64) and, with allow_singular=False, refuses Σ: so κ(Σ) ≥ 1/(1e6·eps) ≈ 4.5e9.
SCIPY_SINGULAR_CUTOFF = 1e6 * float(np.finfo(np.float64).eps)


def _refused_as_singular(case: AffineGaussianCase) -> bool:
    eigenvalues = np.linalg.svd(case.matrix, compute_uv=False) ** 2
    return bool(eigenvalues.min() <= SCIPY_SINGULAR_CUTOFF * eigenvalues.max())


# Found by the ci profile once covariances reached κ = 1e12: Σ = diag(1, 1e10).
ILL_CONDITIONED_EXAMPLE = AffineGaussianCase(matrix=np.diag([1.0, 1e5]), shift=np.zeros(2), points=np.zeros((1, 2)))


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="scipy-logpdf-eigenvalue-cluster",
        theorem_id="affine-gaussian-density",
        library="scipy.stats.multivariate_normal.logpdf (scipy 1.17)",
        summary=(
            "loses about a thousand ulps when Σ has a cluster of nearly equal eigenvalues (Σ ≈ c·I): "
            "it whitens with scipy.linalg.eigh's default driver 'evr' (LAPACK dsyevr, MRRR), whose "
            "eigenvectors there are orthogonal only to 2.6e-13 (drivers 'ev', 'evd', 'evx' and numpy: "
            "2e-16), and the Mahalanobis term inherits it: error 4.7e-12 against a tolerance of 6.8e-13 "
            "on a 4×4 example; the change of variables on the same example is off by 5e-15"
        ),
        applies=_clustered_covariance,
        example=CLUSTERED_EXAMPLE,
    ),
    Finding(
        id="scipy-logpdf-refuses-ill-conditioned-covariance",
        theorem_id="affine-gaussian-density",
        library="scipy.stats.multivariate_normal.logpdf (scipy 1.17)",
        summary=(
            "raises LinAlgError ('the input matrix must be symmetric positive definite') for a positive definite Σ "
            "with κ(Σ) above about 4.5e9: its default eigenvalue cutoff 1e6·eps·λ_max counts the small eigenvalues "
            "as zero (allow_singular=False); Σ = diag(1, 1e10) has a density, log N(0; 0, Σ) = −log 2π − log 1e5"
        ),
        applies=_refused_as_singular,
        example=ILL_CONDITIONED_EXAMPLE,
        raises="LinAlgError",
    ),
)
