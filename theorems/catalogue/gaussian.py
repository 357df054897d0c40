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
    WrongImplementation(KL, "arguments-swapped", "D(Y‖X) instead of D(X‖Y)", kl_arguments_swapped),
    WrongImplementation(KL, "log-ratio-inverted", "ln(det Σ0/det Σ1) instead of ln(det Σ1/det Σ0)", kl_log_ratio_inverted),
    WrongImplementation(KL, "mean-term-dropped", "no (μ1−μ0)ᵀΣ1⁻¹(μ1−μ0)", kl_mean_term_dropped),
    WrongImplementation(KL, "without-half", "the bracket without the factor ½", kl_without_half),
    WrongImplementation(KL, "mean-term-uses-covariance", "(μ1−μ0)ᵀΣ1(μ1−μ0) instead of Σ1⁻¹", kl_mean_term_uses_covariance),
    WrongImplementation(KL, "trace-of-inverse-for-d", "−tr(Σ1⁻¹) instead of −d (the notes' slip)", kl_trace_of_inverse_for_d),
)
