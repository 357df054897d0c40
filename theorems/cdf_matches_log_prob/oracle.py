r"""A continuous law's distribution function from its ``log_prob`` alone, at its own quantiles, with its error bar.

With ``p = exp(log_prob)`` (its mass ``M`` not assumed 1: that is log-prob-normalises' business, and the
distribution function of a density off by a constant is the same), for each batch element and each
level ``q`` of the example:

* the point ``x_q``: the first node of the law's coarse picture (:mod:`~theorems.log_prob_normalises.picture`)
  at which the running mass reaches ``q`` — a point of the support chosen from ``log_prob``, not from the
  class's icdf (its exact level does not matter: the statement holds at every point);
* ``F(x_q) = ∫_a^{x_q} p / ∫_a^b p``, ``a, b`` the support's ends: one cubature (log-prob-normalises' oracle)
  integrates ``p`` over ``[a, x_q]`` for every level and over ``[a, b]`` at once, each interval cut at the
  density's highest node and at its ends, so that a point far in a tail is an end of its own interval and
  the bulk of the law is still resolved about its top.

Bar: ``B = QUADRATURE_SAFETY × estimate + rounding`` on each integral (the oracle's own, with what its
nodes leave out), ``bar(F) = (B_x + F B_M)/M``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import distributions as D

from theorems.log_prob_normalises.oracle import MASS, Undecidable, cut, integrals_by_quadrature, log_prob_and_slope, support_ends
from theorems.log_prob_normalises.picture import picture_of
from theorems.oracles.quadrature import QUADRATURE_SAFETY

__all__ = ["Distribution", "cdf_by_quadrature"]


@dataclass(frozen=True)
class Distribution:
    """At the points ``x`` (shape ``(levels, batch)``): ``F(x)`` and the oracle's bar on it, ``log p`` and
    ``∂ₓ log p`` there; per batch element, the density's highest node (``centre``)."""

    x: np.ndarray
    value: np.ndarray
    bar: np.ndarray
    log_p: np.ndarray
    slope: np.ndarray
    centre: np.ndarray
    how: str


def cdf_by_quadrature(law: D.Distribution, batch: int, terms: np.ndarray, levels: tuple[float, ...]) -> Distribution:
    """``F`` at the law's own quantiles of ``levels`` (module docstring)."""
    a, b = support_ends(law.support, batch)
    picture = picture_of(law, cut(law, a, b))
    x = picture.quantiles(np.asarray(levels, dtype=float))
    centre = picture.highest()
    columns = (len(levels) + 1, batch)
    pieces = cut(law, np.broadcast_to(a, columns), np.concatenate([x, b[None]]), centre=np.broadcast_to(centre, columns))
    # A finite end whose piece is absent: the interval from it is shorter than the nodes' nearest offset (1e-150, or
    # four ulps of the end), and the sliver there would be neither integrated nor bounded.
    ends = np.stack([np.broadcast_to(a, columns), np.concatenate([x, b[None]])])
    if np.any(np.isfinite(ends) & ~pieces.present[2:]):
        raise Undecidable("a point lies nearer the support's end than the oracle's nodes reach (1e-150, or four ulps of the end)")
    found = integrals_by_quadrature(law, pieces, terms, (MASS,), per_region=True)
    integral, bar = found.value[0], QUADRATURE_SAFETY * found.error[0] + found.rounding[0]
    mass, mass_bar = integral[-1], bar[-1]
    if not np.all(mass > 2 * mass_bar):  # all its mass where float64 cannot resolve its density
        raise Undecidable(f"the mass {float(np.min(mass)):.3g} is not resolved beyond its bar {float(np.max(mass_bar)):.3g}")
    value = integral[:-1] / mass
    log_p, slope = log_prob_and_slope(law, x)
    return Distribution(x, value, (bar[:-1] + value * mass_bar) / mass, log_p, slope, centre, found.how)
