r"""A law's distribution function from its ``log_prob`` alone, at the points its draws are counted at, with its error bar.

**Continuous laws**: cdf-matches-log-prob's oracle (:func:`~theorems.cdf_matches_log_prob.oracle.cdf_by_quadrature`):
``F(x) = ∫_a^x p / ∫_a^b p`` at the law's own quantiles of :data:`LEVELS` (found on a coarse picture of its
density), one cubature over every point and the whole support, its bar ``QUADRATURE_SAFETY ×`` the estimates
plus the rounding and the mass the nodes leave out, propagated to the quotient.

**Discrete laws** (on the integers): log-prob-normalises' window (:func:`~theorems.log_prob_normalises.oracle.window_by_doubling`),
the whole of a finite support or integers ``0 … K`` with the tail past ``K`` bounded by ``T``, and
``F(k) = S_k / M``, ``S_k = Σ_{i ≤ k} p_i`` the running sum and ``M`` the window's (correctly rounded) total, at
every integer of the window: the supremum of ``|F_n − F|`` over all ``x`` is attained there, both being step
functions of the integers (past the window ``F`` is within ``T/M`` of 1). Bar: with ``R`` the rounding of the
terms (the mass sum's model: ``γ_64 Σ p_k (1 + |log p_k| + S_θ + k log k)``) plus the running sum's own
``K·u·M`` (a sequential sum's bound), ``|S_k/M − F(k)| ≤ R/M + F(k)(R + T)/M``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from torch import distributions as D

from theorems.cdf_matches_log_prob.oracle import cdf_by_quadrature
from theorems.log_prob_normalises.oracle import DENSITY_OPERATIONS, is_discrete_support, pmf_term_size, window_by_doubling
from theorems.oracles.tolerance import U64, gamma

__all__ = ["LEVELS", "Grid", "distribution_function"]

# The levels of the continuous law's quantiles at which the draws are counted: the centre and both tails, at most
# 0.2 apart in F, none below 0.05 or above 0.95, where F itself is within about 2ε (0.038 at ci) of 0 or 1 and a
# mistake in the tail beyond would be below what the draws can show anyway. 0.95 sees a tail cut at 5 % or more
# (the catalogue's clipped Cauchy). Seven points: the cubature's cost grows with them (eleven cost 40 % more).
LEVELS = (0.05, 0.15, 0.3, 0.5, 0.7, 0.85, 0.95)


@dataclass(frozen=True)
class Grid:
    """At the points ``x`` (shape ``(points, batch)``): ``F(x)`` and the oracle's bar on it; per batch element, the
    density's highest node ``centre`` (0 on the integers, where draws are exact); whether the law is discrete."""

    x: np.ndarray
    value: np.ndarray
    bar: np.ndarray
    centre: np.ndarray
    discrete: bool
    how: str


def distribution_function(law: D.Distribution, batch: int, terms: np.ndarray) -> Grid:
    """``F`` at the law's quantiles (continuous) or at every integer of its window (discrete): module docstring."""
    if is_discrete_support(law.support):
        return _by_sum(law, batch, terms)
    found = cdf_by_quadrature(law, batch, terms, LEVELS)
    return Grid(found.x, found.value, found.bar, found.centre, False, found.how)


def _by_sum(law: D.Distribution, batch: int, terms: np.ndarray) -> Grid:
    window = window_by_doubling(law, batch)
    p = np.exp(window.log_p)
    total = np.array([math.fsum(column) for column in p.T])
    finite_log = np.where(np.isfinite(window.log_p), np.abs(window.log_p), 0.0)
    own = pmf_term_size(window.integers)
    rounding = gamma(DENSITY_OPERATIONS, U64) * ((p * (1 + finite_log + own)).sum(axis=0) + terms * total) + window.count * U64 * total
    value = np.minimum(np.cumsum(p, axis=0) / total, 1.0)
    bar = (rounding + value * (rounding + window.tail)) / total
    x = np.broadcast_to(window.integers, value.shape)
    how = f"running sums over {window.count} integers from {window.low}" + ("" if window.finite else ", the tail past them bounded")
    return Grid(x, value, bar, np.zeros(batch), True, how)
