"""A coarse picture of a continuous law from its ``log_prob`` alone: where its mass lies.

The composite rule's nodes over the pieces of :func:`~theorems.log_prob_normalises.oracle.cut` (about
four thousand points per column, dense near the centre and the ends in the log-distance), sorted by
``x``, with ``log p`` and the mass ``p·dx`` each stands for. Not an integral with an error bar (that is
the cubature's job): a place to look. The moments and cdf theorems of issue 27 take from it a scale
for their test functions, points at chosen levels of the distribution, and the highest node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import distributions as D

from theorems.log_prob_normalises.oracle import Pieces, log_prob_and_slope, rule_points

__all__ = ["Picture", "picture_of"]


@dataclass(frozen=True)
class Picture:
    """Nodes sorted by ``x`` per column (shape ``(nodes, *columns)``), ``log p`` there and the mass each stands for."""

    x: np.ndarray
    log_p: np.ndarray
    mass: np.ndarray

    def quantiles(self, levels: np.ndarray) -> np.ndarray:
        """The first node at which the running mass reaches each level (shape ``(levels, *columns)``)."""
        running = np.cumsum(self.mass, axis=0)
        total = running[-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = running / total
        found = [np.argmax(share >= level, axis=0) for level in levels]
        return np.stack([np.take_along_axis(self.x, index[None], axis=0)[0] for index in found])

    def spread(self) -> np.ndarray:
        """The interquartile range, or where it is 0 (all the coarse mass on one node) the width of the
        nodes' range: a length on which the law's mass is spread, a scale for test functions."""
        lower, upper = self.quantiles(np.array([0.25, 0.75]))
        finite = np.where(np.isfinite(self.x), self.x, np.nan)
        width = np.nanmax(finite, axis=0) - np.nanmin(finite, axis=0)
        return np.where(upper > lower, upper - lower, np.where(width > 0, width, 1.0))

    def highest(self) -> np.ndarray:
        """Each column's node of largest ``log p``."""
        return np.take_along_axis(self.x, np.argmax(self.log_p, axis=0)[None], axis=0)[0]


def picture_of(law: D.Distribution, pieces: Pieces) -> Picture:
    """The law's nodes over ``pieces``, sorted by ``x``; absent pieces carry no mass."""
    x, dx = rule_points(pieces)
    log_p, _ = log_prob_and_slope(law, x)
    with np.errstate(over="ignore"):
        mass = np.where(dx > 0, np.exp(log_p) * dx, 0.0)
    columns = x.shape[2:]
    x, log_p, mass = (part.reshape((-1, *columns)) for part in (x, log_p, mass))
    order = np.argsort(x, axis=0, kind="stable")
    return Picture(*(np.take_along_axis(part, order, axis=0) for part in (x, log_p, mass)))
