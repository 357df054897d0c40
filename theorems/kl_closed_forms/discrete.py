"""The KL of discrete laws: the exact sum over a finite support, a window with its tails bounded, or a closed mean.

Finite laws (Bernoulli, Binomial, Categorical, OneHotCategorical): the exact sum over the
support (``math.fsum``). Poisson: the sum over a window around the mass plus the tails beyond
it, bounded (the pmf ratio ``λ/(k+1)`` is below ``r < 1`` past the window, a geometric series;
the log-ratio of two Poisson laws is affine in ``k``, ``log k!`` cancels). Geometric:
``L(k) = a + b k`` read off the pmfs and ``E_p k = (1−θ)/θ`` (no sum).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from theorems.kl_closed_forms.definition import DENSITY_OPERATIONS, Definition, infinite
from theorems.kl_closed_forms.families import FAMILIES
from theorems.kl_closed_forms.laws import Law, log_density_terms, scalars
from theorems.oracles.quadrature import OracleError
from theorems.oracles.tolerance import U64


def finite_sum(log_p: np.ndarray, log_q: np.ndarray, how: str, terms: np.ndarray | None = None) -> Definition:
    """``Σ_{p_k > 0} p_k (log p_k − log q_k)`` exactly; +∞ if some ``p_k > 0 = q_k``.

    ``terms``: Σ|terms| of both log-pmfs at each point (default ``|log p_k| + |log q_k|``).
    """
    mass = np.exp(log_p)
    # p charges k where log p_k is finite, though p_k may underflow: Binomial(28, 1e-12) puts 1e-336 on 28, which
    # Binomial(27, ·) does not charge, so the KL is +∞ (thorough seed 2 read the 0 as no mass and found 18.71).
    charged = log_p > -np.inf
    if np.any(charged & np.isneginf(log_q)):
        return infinite("p charges a point that q does not")
    ratio = log_p[charged] - log_q[charged]
    value = math.fsum(mass[charged] * ratio)
    sizes = (np.abs(log_p) + np.abs(log_q) if terms is None else terms)[charged]
    scale = math.fsum(mass[charged] * sizes)
    # The oracle's own rounding: each log p_k is off by DENSITY_OPERATIONS·u·(1 + its terms) at most,
    # which moves each L_k by that much and each weight p_k = exp(log p_k) relatively by as much:
    # Σ p_k L_k moves by at most Σ p_k (1 + |L_k|) DENSITY_OPERATIONS·u·(1 + terms_k) (fsum adds nothing).
    rounding = DENSITY_OPERATIONS * U64 * math.fsum(mass[charged] * (1.0 + np.abs(ratio)) * (1.0 + sizes))
    return Definition(value, 0.0, scale, how, rounding)


# The window of an infinite discrete support: WINDOW standard deviations past the mean
# (and at least WINDOW points); past it the tail below is bounded, not neglected.
WINDOW = 40


def discrete_definition(p: Law, q: Law, law_p: Any, law_q: Any) -> Definition:
    lo_p, hi_p = FAMILIES[p.family].support(**scalars(p))
    if math.isfinite(hi_p):
        k = np.arange(lo_p, hi_p + 1, dtype=float)
        with np.errstate(divide="ignore"):
            return finite_sum(law_p.logpmf(k), law_q.logpmf(k), f"the exact sum over {len(k)} points of p's support", _pmf_terms(p, q, k))
    mean, std = float(law_p.mean()), float(law_p.std())
    if mean == 0.0:  # a point mass at 0 (Poisson with rate 0, Geometric with probs 1)
        zero = np.zeros(1)
        return finite_sum(law_p.logpmf(zero), law_q.logpmf(zero), "p is a point mass at 0", _pmf_terms(p, q, zero))
    if not FAMILIES[q.family].discrete or math.isfinite(FAMILIES[q.family].support(**scalars(q))[1]):
        return infinite("p charges every integer ≥ 0; q does not")
    if p.family == "Geometric":
        return _geometric_definition(p, q)
    first = max(0.0, math.floor(mean - WINDOW * std - WINDOW))
    last = math.ceil(mean + WINDOW * std + WINDOW)
    if last - first > 5e6:
        raise OracleError(f"a window of {last - first:.3g} points is too wide to sum")
    k = np.arange(first, last + 1, dtype=float)
    with np.errstate(divide="ignore"):
        inside = finite_sum(law_p.logpmf(k), law_q.logpmf(k), "", _pmf_terms(p, q, k))
    if not math.isfinite(inside.value):
        return inside
    tail = _tail_bound(p, law_p, law_q, first, last)
    return Definition(inside.value, inside.error, inside.scale, f"the exact sum over k in [{first:.0f}, {last:.0f}] with the tails beyond bounded by {tail:.1e}", inside.rounding + tail)


def _pmf_terms(p: Law, q: Law, k: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return log_density_terms(p, FAMILIES[p.family])(k) + log_density_terms(q, FAMILIES[q.family])(k)


# Rounded operations in the Geometric oracle: four logarithms within 1 ulp (2u) each, two
# differences, the mean (1 − θ)/θ (two roundings), a product and a sum: 2·4 + 2 + 2 + 2 = 14 ≤ 16.
GEOMETRIC_OPERATIONS = 16


def _geometric_definition(p: Law, q: Law) -> Definition:
    """``E_p[L(K)]`` with ``L(k) = a + b k`` read off the pmf ``θ(1−θ)^k``: ``a = log θ_p − log θ_q``,
    ``b = log1p(−θ_p) − log1p(−θ_q)``, and ``E_p K = (1 − θ_p)/θ_p``.

    Not a sum over k: summing 1e6 terms of a Geometric(1e-6) (or summing 1e5 and the tail)
    rounds ``L(k)`` on the scale of ``|log θ| + k|log1p(−θ)|`` at every k, and taking the slope
    as ``L(1) − L(0)`` cancels ``log θ_p − log θ_q``: 2.2e-9 off at KL ≈ 1.6e4. The bound
    counts each operation on the terms it rounds.
    """
    theta_p, theta_q = scalars(p)["probs"], scalars(q)["probs"]
    if q.family != "Geometric":
        raise OracleError(f"no oracle for a Geometric p against {q.family}: its log-ratio is not affine in k")
    if theta_q == 1.0:
        return infinite("p charges every integer ≥ 0; q = Geometric(1) only 0")
    log_p, log_q = math.log(theta_p), math.log(theta_q)
    slope_p, slope_q = math.log1p(-theta_p), math.log1p(-theta_q)
    mean = (1.0 - theta_p) / theta_p
    value = (log_p - log_q) + (slope_p - slope_q) * mean
    size = abs(log_p) + abs(log_q) + mean * (abs(slope_p) + abs(slope_q))
    return Definition(value, 0.0, size, "L(k) = a + b·k read off the pmfs θ(1−θ)^k, E_p k = (1 − θ_p)/θ_p", GEOMETRIC_OPERATIONS * U64 * size)


def _tail_bound(p: Law, law_p: Any, law_q: Any, first: float, last: float) -> float:
    """A bound on a Poisson's ``Σ p_k |L(k)|`` outside ``[first, last]``, with ``|L(k)| ≤ a + b k`` (L affine in k)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        l0, l1 = (float(law_p.logpmf(k) - law_q.logpmf(k)) for k in (0.0, 1.0))
    a, b = abs(l0), abs(l1 - l0)
    rate = scalars(p)["rate"]
    # Poisson: p_{k+1}/p_k = λ/(k+1) ≤ r = λ/(last+1) < 1 past the window, a geometric series;
    # below it p_{k−1}/p_k = k/λ ≤ first/λ.
    r = rate / (last + 1)
    upper = float(law_p.pmf(last)) * ((a + b * last) * r / (1 - r) + b * r / (1 - r) ** 2)
    lower = 0.0
    if first > 0:
        s = first / rate
        lower = float(law_p.pmf(first)) * (a + b * first) * s / (1 - s)
    return upper + lower


