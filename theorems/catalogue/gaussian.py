"""Deliberately wrong Gaussian log-densities and Gaussian KLs: mistakes people make.

Each must be falsified by its theorem's check (``tests/test_gaussian_density.py``
and ``tests/test_gaussian_kl.py`` prove it, with the minimal counterexample).
"""

from __future__ import annotations

import math

import numpy as np

from theorems.gaussian_density import notes_signed_jacobian_log_density
from theorems.gaussian_kl import gaussian_kl_closed_form
from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]

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


def kl_arguments_swapped(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    return gaussian_kl_closed_form(mu1, cov1, mu0, cov0)


def kl_log_ratio_inverted(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    log_ratio = np.linalg.slogdet(cov1)[1] - np.linalg.slogdet(cov0)[1]
    return gaussian_kl_closed_form(mu0, cov0, mu1, cov1) - float(log_ratio)


def kl_mean_term_dropped(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    return gaussian_kl_closed_form(mu0, cov0, mu0, cov1)


def kl_without_half(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    return 2 * gaussian_kl_closed_form(mu0, cov0, mu1, cov1)


def kl_mean_term_uses_covariance(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    diff = np.asarray(mu1, float) - np.asarray(mu0, float)
    mahalanobis = float(diff @ np.linalg.solve(cov1, diff))
    return gaussian_kl_closed_form(mu0, cov0, mu1, cov1) + 0.5 * (float(diff @ cov1 @ diff) - mahalanobis)


def kl_trace_of_inverse_for_d(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    return gaussian_kl_closed_form(mu0, cov0, mu1, cov1) + 0.5 * (len(mu0) - float(np.trace(np.linalg.inv(cov1))))


# scipy.stats's default eigenvalue cutoff (its _PSD, cond=None, float64): eigenvalues at or
# below this times the largest count as zero, which is what allow_singular=True computes with.
SCIPY_EIGENVALUE_CUTOFF = 1e6 * float(np.finfo(np.float64).eps)


def _pseudo_inverse_and_log_determinant(cov: np.ndarray) -> tuple[np.ndarray, float, int]:
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
    inverse, log_det, rank = _pseudo_inverse_and_log_determinant(cov)
    return -0.5 * (rank * LOG_2PI + log_det + float(diff @ inverse @ diff))


def kl_one_dimensional_constant(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    """The 1-D formula's −1 kept in d dimensions: ½[tr(Σ1⁻¹Σ0) + M − 1 + ln det Σ1/det Σ0] (right only for d = 1)."""
    return gaussian_kl_closed_form(mu0, cov0, mu1, cov1) + 0.5 * (len(mu0) - 1)


def kl_of_diagonals(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    """The KL of diagonal Gaussians (as for a VAE) on the covariances' diagonals: right only for diagonal Σ0, Σ1."""
    var0, var1 = np.diag(np.asarray(cov0, float)), np.diag(np.asarray(cov1, float))
    diff = np.asarray(mu1, float) - np.asarray(mu0, float)
    return 0.5 * float(np.sum(var0 / var1 + diff**2 / var1 - 1 + np.log(var1) - np.log(var0)))


def kl_eigenvalue_cutoff(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    """Σ1⁺ and pseudo-determinants with scipy's cutoff 1e6·eps·λ_max ("safe" for near-singular Σ):
    right while κ(Σ0), κ(Σ1) < 4.5e9, wrong beyond, where the directions of the small eigenvalues are lost."""
    inverse1, log_det1, _ = _pseudo_inverse_and_log_determinant(cov1)
    _, log_det0, _ = _pseudo_inverse_and_log_determinant(cov0)
    diff = np.asarray(mu1, float) - np.asarray(mu0, float)
    return 0.5 * (float(np.sum(inverse1 * np.asarray(cov0, float))) + float(diff @ inverse1 @ diff) - len(diff) + log_det1 - log_det0)


DENSITY = "affine-gaussian-density"
KL = "gaussian-kl"

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
    WrongImplementation(KL, "arguments-swapped", "D(Y‖X) instead of D(X‖Y)", kl_arguments_swapped),
    WrongImplementation(KL, "log-ratio-inverted", "ln(det Σ0/det Σ1) instead of ln(det Σ1/det Σ0)", kl_log_ratio_inverted),
    WrongImplementation(KL, "mean-term-dropped", "no (μ1−μ0)ᵀΣ1⁻¹(μ1−μ0)", kl_mean_term_dropped),
    WrongImplementation(KL, "without-half", "the bracket without the factor ½", kl_without_half),
    WrongImplementation(KL, "mean-term-uses-covariance", "(μ1−μ0)ᵀΣ1(μ1−μ0) instead of Σ1⁻¹", kl_mean_term_uses_covariance),
    WrongImplementation(KL, "trace-of-inverse-for-d", "−tr(Σ1⁻¹) instead of −d (the notes' slip)", kl_trace_of_inverse_for_d),
    WrongImplementation(KL, "one-dimensional-constant", "−1 instead of −d, from the 1-D formula (hides in d = 1)", kl_one_dimensional_constant),
    WrongImplementation(KL, "kl-of-diagonals", "the diagonal-Gaussian KL on the diagonals of Σ0, Σ1 (hides in diagonal Σ)", kl_of_diagonals),
    WrongImplementation(
        KL, "eigenvalue-cutoff", "Σ1⁺ and pseudo-determinants with scipy's cutoff 1e6·eps·λ_max (hides until κ > 4.5e9)", kl_eigenvalue_cutoff
    ),
)
