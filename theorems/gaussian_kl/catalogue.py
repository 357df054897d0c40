"""Deliberately wrong Gaussian KLs: mistakes people make.

Each must be falsified by ``gaussian-kl``'s check (``tests/gaussian_kl/test_gaussian_kl.py`` proves it,
with the minimal counterexample).
"""

from __future__ import annotations

import numpy as np

from theorems.gaussian_density.catalogue import pseudo_inverse_and_log_determinant
from theorems.gaussian_kl.check import gaussian_kl_closed_form
from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


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
    inverse1, log_det1, _ = pseudo_inverse_and_log_determinant(cov1)
    _, log_det0, _ = pseudo_inverse_and_log_determinant(cov0)
    diff = np.asarray(mu1, float) - np.asarray(mu0, float)
    return 0.5 * (float(np.sum(inverse1 * np.asarray(cov0, float))) + float(diff @ inverse1 @ diff) - len(diff) + log_det1 - log_det0)



KL = "gaussian-kl"

WRONG_IMPLEMENTATIONS = (
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
