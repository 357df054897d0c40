r"""The top of a law's density, from ``log_prob`` alone: the oracle of ``mode``.

**Continuous.** The composite rule's nodes over the pieces (:func:`~theorems.log_prob_normalises.oracle.rule_points`)
give the highest node; a zoom in the log-distance ``t`` of its piece, :data:`ZOOM_ROUNDS` rounds of
:data:`ZOOM_POINTS` points each on the bracket of the best point's neighbours, finds the top within
``16^{-10}`` of the bracket (the density is unimodal within the bracket of two neighbouring nodes, which
lie a factor ``e^{±1}`` or less apart in distance). ``log p`` at the point found is a value of the law's
own ``log_prob``: the supremum is at least that, whatever the search missed, so the oracle can only
err towards passing a wrong mode, never towards accusing a right one.

Where the highest node is the innermost node of a piece that starts at a finite end, the supremum is
approached at that end; it is **unbounded** when ``log p`` still rises towards the end by more than
its rounding over a unit of ``t`` from the innermost node (``p ~ d^{β−1}``, ``β < 1``: it rises by ``1 − β`` per unit), and
bounded otherwise (an analytic density's ``log p`` changes by ``d·∂ₓ log p``, nothing, at ``d = 1e-150``).
The maximum is **flat** where the nodes within twice the rounding of the top span a quarter of the
interquartile range or more: a smooth peak stays within ``ε`` of its top only over ``2√(2ε)·σ``, under a
quarter of ``1.35σ`` for any ``ε`` below 0.007 (a uniform law's top spans its whole support).

**Discrete.** ``log_prob`` on the summed window of integers: the top is its largest term; flat where two
integers or more are within twice the rounding of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import distributions as D

from theorems.log_prob_normalises.oracle import Pieces, Window, composite_rule, log_prob_and_slope, rule_points
from theorems.oracles.tolerance import U64, gamma

__all__ = ["CLOSED_FORM_OPERATIONS", "FLAT_SHARE", "Peak", "log_prob_rounding", "peak_by_search", "peak_by_window"]

# Rounded operations (and special functions within a few ulps) one log_prob, or one closed form of a
# moment, may take: log-prob-normalises' DENSITY_OPERATIONS, a closed form being built from the same
# special functions of the same parameters.
CLOSED_FORM_OPERATIONS = 64
# The zoom: points a round and rounds (16^10 ≈ 1e12 of the starting bracket, two node spacings).
ZOOM_POINTS = 33
ZOOM_ROUNDS = 10
# The share of the interquartile range a flat top spans at least (module docstring).
FLAT_SHARE = 0.25


@dataclass(frozen=True)
class Peak:
    """Per batch element: the highest point found, ``log p`` there (the supremum is at least this), the
    rounding of ``log_prob`` near it, the finite end at which the supremum is approached (NaN where it is
    inside), whether the density is unbounded at that end, and whether its top is flat."""

    x: np.ndarray
    log_p: np.ndarray
    rounding: np.ndarray
    end: np.ndarray
    unbounded: np.ndarray
    flat: np.ndarray

    @property
    def unique(self) -> np.ndarray:
        """Where the density has one highest point (a mode that is a number, not NaN)."""
        return ~self.flat & ~self.unbounded


def log_prob_rounding(log_p: np.ndarray, slope: np.ndarray, x: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """How far ``log_prob``'s rounding may move its value: ``γ_K (1 + |log p| + Σ_θ |θ|(1 + |log|θ||))``
    (the terms it combines, as log-prob-normalises' oracle states it) plus ``u |x ∂ₓ log p|`` (the point's own rounding)."""
    size = np.where(np.isfinite(log_p), np.abs(log_p), 0.0)
    return gamma(CLOSED_FORM_OPERATIONS, U64) * (1 + size + terms) + U64 * np.abs(x * slope)


def _zoom(law: D.Distribution, anchor: np.ndarray, sign: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The highest point of ``x = anchor + sign·e^t`` for ``t`` in ``[low, high]`` per column, and ``log p`` there."""
    grid = np.linspace(0.0, 1.0, ZOOM_POINTS)[:, None]
    for _ in range(ZOOM_ROUNDS):
        t = low + grid * (high - low)
        log_p, _ = log_prob_and_slope(law, anchor + sign * np.exp(t))
        best = np.argmax(log_p, axis=0)
        low, high = (np.take_along_axis(t, np.clip(best + step, 0, ZOOM_POINTS - 1)[None], axis=0)[0] for step in (-1, 1))
    t = (low + high) / 2
    x = anchor + sign * np.exp(t)
    return x, log_prob_and_slope(law, x)[0]


def _at(rows: np.ndarray, row: np.ndarray) -> np.ndarray:
    """``rows[row[j], j]`` per column ``j`` (``rows`` of shape ``(4, batch)``)."""
    return np.take_along_axis(rows, row[None], axis=0)[0]


def peak_by_search(law: D.Distribution, pieces: Pieces, spread: np.ndarray, terms: np.ndarray) -> Peak:
    """The top of the density of each batch element over ``pieces`` (module docstring)."""
    x, _ = rule_points(pieces)
    log_p, _ = log_prob_and_slope(law, x)
    log_p = np.where(pieces.present[None], log_p, -np.inf)
    flat_index = np.argmax(log_p.reshape(-1, *log_p.shape[2:]), axis=0)
    node, row = flat_index // 4, flat_index % 4
    # Bracket the best node by its neighbours in t, within its piece.
    width = _at(pieces.high, row) - _at(pieces.low, row)
    nodes = np.concatenate([[0.0], composite_rule()[0], [1.0]])
    low = _at(pieces.low, row) + nodes[node] * width  # the neighbour below (index node + 1 − 1 in the padded list)
    high = _at(pieces.low, row) + nodes[node + 2] * width
    top_x, top = _zoom(law, _at(pieces.anchor, row), _at(pieces.sign, row), low, high)
    top_log_p, top_slope = log_prob_and_slope(law, top_x)
    rounding = log_prob_rounding(top_log_p, top_slope, top_x, terms)
    # The supremum approached at a finite end: the best node is the innermost of a piece from an end.
    from_end = (row >= 2) & (node == 0)
    first = np.take_along_axis(log_p[0], row[None], axis=0)[0]
    # log p one unit of t further from the end (distance × e): a power d^{β−1} has risen by 1 − β over it, well above
    # the rounding of a density evaluated a few ulps from its end (adjacent nodes there may round to one float)
    t_first = _at(pieces.low, row) + composite_rule()[0][0] * width
    inner, _ = log_prob_and_slope(law, _at(pieces.anchor, row) + _at(pieces.sign, row) * np.exp(t_first + 1))
    with np.errstate(invalid="ignore"):  # −∞ − (−∞) where the density vanishes at both points: not rising
        unbounded = from_end & (first - inner > 2 * log_prob_rounding(first, np.zeros_like(first), np.zeros_like(first), terms))
    near_top = log_p >= top[None, None] - 2 * rounding
    with np.errstate(invalid="ignore"):
        extent = np.max(np.where(near_top, x, -np.inf), axis=(0, 1)) - np.min(np.where(near_top, x, np.inf), axis=(0, 1))
    flat = extent >= FLAT_SHARE * spread
    return Peak(top_x, top_log_p, rounding, np.where(from_end & ~flat, _at(pieces.anchor, row), np.nan), unbounded & ~flat, flat)


def peak_by_window(window: Window, terms: np.ndarray) -> Peak:
    """The top of a pmf over the summed window of integers (module docstring)."""
    k = window.integers
    best = np.argmax(window.log_p, axis=0)
    top = np.take_along_axis(window.log_p, best[None], axis=0)[0]
    rounding = log_prob_rounding(top, np.zeros_like(top), np.zeros_like(top), terms)
    flat = np.sum(window.log_p >= top - 2 * rounding, axis=0) >= 2
    nowhere = np.full(top.shape, np.nan)
    return Peak(k[best, 0], top, rounding, nowhere, np.zeros(top.shape, bool), flat)
