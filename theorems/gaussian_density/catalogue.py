"""Deliberately wrong Gaussian log-densities: mistakes people make.

Each must be falsified by ``affine-gaussian-density``'s check (``tests/gaussian_density/test_gaussian_density.py``
proves it, with the minimal counterexample).
"""

from __future__ import annotations

import math

import numpy as np

from theorems.gaussian_density.check import notes_signed_jacobian_log_density
from theorems.theorem import WrongImplementation

__all__ = ["SCIPY_EIGENVALUE_CUTOFF", "WRONG_IMPLEMENTATIONS", "pseudo_inverse_and_log_determinant"]

LOG_2PI = math.log(2 * math.pi)


def _parts(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> tuple[float, float, int]:
    """(Mahalanobis form, log det Σ, n) computed correctly, for the wrong formulas to misuse."""
    diff = np.asarray(x, float) - np.asarray(mean, float)
    return float(diff @ np.linalg.solve(cov, diff)), float(np.linalg.slogdet(cov)[1]), len(diff)


def normaliser_without_halves(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    q, log_det, n = _parts(x, mean, cov)
    return -0.5 * q - n * LOG_2PI - log_det


def normaliser_ignores_dimension(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    q, log_det, _ = _parts(x, mean, cov)
    return -0.5 * q - 0.5 * LOG_2PI - 0.5 * log_det


def exponent_without_half(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    q, log_det, n = _parts(x, mean, cov)
    return -q - 0.5 * n * LOG_2PI - 0.5 * log_det


def covariance_not_inverted(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    diff = np.asarray(x, float) - np.asarray(mean, float)
    _, log_det, n = _parts(x, mean, cov)
    return -0.5 * float(diff @ cov @ diff) - 0.5 * n * LOG_2PI - 0.5 * log_det


def mean_dropped(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    return normaliser_correct(x, np.zeros_like(np.asarray(mean, float)), cov)


def density_not_log_density(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    return math.exp(normaliser_correct(x, mean, cov))


def normaliser_correct(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    q, log_det, n = _parts(x, mean, cov)
    return -0.5 * q - 0.5 * n * LOG_2PI - 0.5 * log_det



# scipy.stats's default eigenvalue cutoff (its _PSD, cond=None, float64): eigenvalues at or
# below this times the largest count as zero, which is what allow_singular=True computes with.
SCIPY_EIGENVALUE_CUTOFF = 1e6 * float(np.finfo(np.float64).eps)



def pseudo_inverse_and_log_determinant(cov: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Σ⁺, log of the pseudo-determinant and the rank, over the eigenvalues above the cutoff."""
    eigenvalues, eigenvectors = np.linalg.eigh(np.asarray(cov, float))
    kept = eigenvalues > SCIPY_EIGENVALUE_CUTOFF * eigenvalues.max()
    basis = eigenvectors[:, kept]
    return (basis / eigenvalues[kept]) @ basis.T, float(np.sum(np.log(eigenvalues[kept]))), int(kept.sum())



def product_of_marginals(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """Σᵢ log N(xᵢ; bᵢ, Σᵢᵢ): the coordinates treated as independent (right only for a diagonal Σ)."""
    x, mean, variances = np.asarray(x, float), np.asarray(mean, float), np.diag(np.asarray(cov, float))
    return float(np.sum(-0.5 * (x - mean) ** 2 / variances - 0.5 * np.log(variances) - 0.5 * LOG_2PI))


def eigenvalue_cutoff_log_density(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """scipy's pseudo-density (allow_singular=True): Σ⁺, pseudo-determinant and rank over the eigenvalues
    above 1e6·eps·λ_max; right while κ(Σ) < 4.5e9, wrong beyond, where a positive definite Σ loses directions."""
    diff = np.asarray(x, float) - np.asarray(mean, float)
    inverse, log_det, rank = pseudo_inverse_and_log_determinant(cov)
    return -0.5 * (rank * LOG_2PI + log_det + float(diff @ inverse @ diff))



DENSITY = "affine-gaussian-density"

WRONG_IMPLEMENTATIONS = (
    WrongImplementation(DENSITY, "normaliser-without-halves", "(2π)^n det Σ instead of (2π)^{n/2} det Σ^{1/2}", normaliser_without_halves),
    WrongImplementation(DENSITY, "normaliser-ignores-dimension", "(2π)^{-1/2} whatever n is", normaliser_ignores_dimension),
    WrongImplementation(DENSITY, "exponent-without-half", "exp(−q) instead of exp(−q/2)", exponent_without_half),
    WrongImplementation(DENSITY, "covariance-not-inverted", "(x−b)ᵀΣ(x−b) instead of (x−b)ᵀΣ⁻¹(x−b)", covariance_not_inverted),
    WrongImplementation(DENSITY, "mean-dropped", "x instead of x − b", mean_dropped),
    WrongImplementation(DENSITY, "density-not-log-density", "returns f(x) where log f(x) is the contract", density_not_log_density),
    WrongImplementation(DENSITY, "signed-jacobian", "det A instead of |det A| for the eigen-factor A = VΛ^{1/2}", notes_signed_jacobian_log_density),
    WrongImplementation(DENSITY, "product-of-marginals", "Π N(xᵢ; bᵢ, Σᵢᵢ): coordinates taken as independent (hides in diagonal Σ)", product_of_marginals),
    WrongImplementation(
        DENSITY, "eigenvalue-cutoff", "eigenvalues below 1e6·eps·λ_max dropped, as scipy's allow_singular=True (hides until κ(Σ) > 4.5e9)",
        eigenvalue_cutoff_log_density,
    ),
)
