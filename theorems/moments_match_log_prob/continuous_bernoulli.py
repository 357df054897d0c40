"""ContinuousBernoulli's two moments defects (theorems/moments_match_log_prob/findings.py): the moments of the
clamped probability past |logits| 36.04, and the closed forms' cancellation just outside torch's Taylor window."""

from __future__ import annotations

import numpy as np
from torch import distributions as D

from theorems.log_prob_normalises.case import ParameterDraw, parameters_for
from theorems.log_prob_normalises.findings import CLAMPED_LOGIT, EPS
from theorems.moments_match_log_prob.asked import Asked

__all__ = ["cancellation", "clamped", "clamped_offset", "clamped_rounding", "continuous_bernoulli_moments", "near_half"]

U = 2.0**-53
# Past here from ½ the rounding of ContinuousBernoulli's closed forms can exceed a closed form's normal
# allowance (measured with mpmath: at λ = 0.7 the variance's error is 1.6e-16, inside; at 0.6, 1.1e-15, past it).
NEAR_HALF = 0.25
# Torch's Taylor window about ½ (ContinuousBernoulli._lims): inside it, its polynomials are exact to rounding.
TAYLOR_WINDOW = (0.499, 0.501)


def _values(draw: ParameterDraw, name: str) -> np.ndarray | None:
    parameters = parameters_for(D.ContinuousBernoulli, draw)
    return parameters[name].numpy() if name in parameters else None


# --- ContinuousBernoulli: moments of the clamped probability past |logits| 36.04 --------------------------


def _lambda(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray]:
    """(the logits ℓ, torch's probability λ): given probs, ℓ = log(λ/(1 − λ)); given logits, λ = σ(ℓ) clamped."""
    probs = _values(draw, "probs")
    if probs is not None:
        with np.errstate(divide="ignore"):
            return np.log(probs) - np.log1p(-probs), np.clip(probs, EPS, 1 - EPS)
    logits = _values(draw, "logits")
    return logits, np.clip(1 / (1 + np.exp(-logits)), EPS, 1 - EPS)


def continuous_bernoulli_moments(logits: np.ndarray) -> dict[str, np.ndarray]:
    """The true mean, variance and entropy of the density ∝ e^{ℓx} on [0, 1] (ℓ ≠ 0, stable for |ℓ| large):
    mean = −1/expm1(−ℓ) − 1/ℓ, variance = 1/ℓ² − 1/(4 sinh²(ℓ/2)), entropy = log((e^ℓ − 1)/ℓ) − ℓ·mean."""
    size = np.abs(logits)
    log_normaliser = np.where(logits > 0, logits, 0.0) + np.log(-np.expm1(-size)) - np.log(size)
    mean = -1 / np.expm1(-logits) - 1 / logits
    with np.errstate(over="ignore"):
        variance = 1 / logits**2 - 1 / (4 * np.sinh(logits / 2) ** 2)
    return {"mean": mean, "variance": variance, "entropy": log_normaliser - logits * mean}


def _torch_formulas(lam: np.ndarray) -> dict[str, np.ndarray]:
    """ContinuousBernoulli's closed forms at λ outside its Taylor window, transcribed from torch 2.14.1 (NaN elsewhere, unused)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return _formulas(lam)


def _formulas(lam: np.ndarray) -> dict[str, np.ndarray]:
    spread = np.log1p(-lam) - np.log(lam)
    mean = lam / (2 * lam - 1) + 1 / spread
    variance = lam * (lam - 1) / (1 - 2 * lam) ** 2 + 1 / spread**2
    log_norm = np.log(np.abs(spread)) - np.where(lam <= 0.5, np.log1p(-2 * lam), np.log(2 * lam - 1))
    return {"mean": mean, "variance": variance, "entropy": mean * spread - log_norm - np.log1p(-lam)}


def clamped(draw: ParameterDraw) -> np.ndarray:
    if draw.family != "ContinuousBernoulli" or not draw.logits:
        return np.zeros(draw.batch, bool)
    return np.abs(_lambda(draw)[0]) > CLAMPED_LOGIT


def clamped_offset(asked: Asked) -> np.ndarray:
    where = clamped(asked.draw)
    if not where.any() or asked.quantity not in ("mean", "variance", "entropy"):
        return np.zeros(asked.batch)
    logits, lam = _lambda(asked.draw)
    safe = np.where(where, logits, 50.0)
    return np.where(where, _torch_formulas(lam)[asked.quantity] - continuous_bernoulli_moments(safe)[asked.quantity], 0.0)


def clamped_rounding(asked: Asked) -> np.ndarray:
    # Both closed forms at a few roundings each of terms below 2|ℓ| (the entropy's ℓ·mean and log ℓ).
    logits, _ = _lambda(asked.draw)
    return np.where(clamped(asked.draw), 16 * U * (2 + 2 * np.abs(logits)), 0.0)


# --- ContinuousBernoulli: cancellation just outside its Taylor window ------------------------------------


def near_half(draw: ParameterDraw) -> np.ndarray:
    if draw.family != "ContinuousBernoulli":
        return np.zeros(draw.batch, bool)
    _, lam = _lambda(draw)
    outside = (lam <= TAYLOR_WINDOW[0]) | (lam > TAYLOR_WINDOW[1])
    return outside & (np.abs(lam - 0.5) <= NEAR_HALF)


def cancellation(asked: Asked) -> np.ndarray:
    """The rounding torch's closed forms make: ℓ = log1p(−λ) − log λ is off by δ = 2u(|log1p(−λ)| + |log λ|) + u|ℓ|
    (each logarithm within an ulp, then the difference), which 1/ℓ, 1/ℓ² and ℓ·mean amplify; the rational
    terms λ/(2λ − 1) and λ(λ − 1)/(1 − 2λ)² are within 4u of themselves (mpmath: at most 0.65 of this bound)."""
    where = near_half(asked.draw)
    _, lam = _lambda(asked.draw)
    lam = np.where(where, lam, 0.25)
    spread = np.log1p(-lam) - np.log(lam)
    delta = 2 * U * (np.abs(np.log1p(-lam)) + np.abs(np.log(lam))) + U * np.abs(spread)
    rational_mean, rational_variance = np.abs(lam / (2 * lam - 1)), np.abs(lam * (lam - 1) / (1 - 2 * lam) ** 2)
    bound = {
        "mean": delta / spread**2 + 4 * U * rational_mean,
        "variance": 2 * delta / np.abs(spread) ** 3 + 4 * U * rational_variance,
        "entropy": delta / np.abs(spread) + 4 * U * (rational_mean * np.abs(spread) + 2),
    }.get(asked.quantity, np.zeros_like(lam))
    return np.where(where, bound, 0.0)
