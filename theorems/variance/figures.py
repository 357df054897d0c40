"""Figure: the predicted variance ``v_L`` against depth, beside Monte Carlo estimates.

For a few width profiles ``n_0 = … = n_{L−1} = n`` the closed form
``v_L = 3^{−L} + Σ_l 3^{−(L−l+1)}/n_{l−1}`` (:func:`theorems.variance.math.variance_closed_form`)
is drawn over depths ``L = 1..MAX_DEPTH``, with the estimate of the suite's own batched
sampler (:func:`theorems.variance.monte_carlo.second_moments_batched`, the law of default
``nn.Linear`` layers, exact input covariance) and its confidence band
``mean ± z_{α/2}·SE`` (:func:`theorems.oracles.statistics.mean_with_confidence`). The networks per point
are fixed (not the power-driven count of the check) so that the figure costs about a
second; the band says how precise each estimate is. For constant width ``n`` the
recursion contracts to its fixed point ``v* = 1/(2n)`` (``v = v/3 + 1/(3n)``).
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from theorems.figure import Figure, FigureContext
from theorems.oracles.statistics import mean_with_confidence
from theorems.variance.math import variance_closed_form
from theorems.variance.monte_carlo import POWER, second_moments_batched, single_threaded

__all__ = ["FIGURES", "draw_variance_against_depth", "variance_against_depth"]

MAX_DEPTH = 12
WIDTHS = (1, 3, 10)
NETWORKS = 10000
# Per point, two-sided: the band is a 99 % confidence interval.
BAND_ALPHA = 0.01
SEED = 20240601


# Seeded, so a second report in the same process draws the same points: kept, not redrawn
# (the Monte Carlo is most of the figure's cost, about 0.4 s a width).
@functools.cache
def variance_against_depth(
    width: int, *, max_depth: int = MAX_DEPTH, networks: int = NETWORKS, alpha: float = BAND_ALPHA, seed: int = SEED
) -> tuple[tuple[int, float, float, float], ...]:
    """``(L, v_L closed form, Monte Carlo mean, band half-width)`` for ``L = 1..max_depth`` at constant ``width``."""
    generator = torch.Generator().manual_seed(seed + width)
    rows = []
    with single_threaded():
        for depth in range(1, max_depth + 1):
            widths = (width,) * (depth + 1)
            samples = second_moments_batched(widths, networks, inputs="exact", relu=False, generator=generator)
            estimate = mean_with_confidence(samples, alpha, POWER)
            rows.append((depth, variance_closed_form(widths), estimate.mean, estimate.half_width))
    return tuple(rows)


def draw_variance_against_depth(context: FigureContext, axes: Any) -> None:
    """Closed form (lines), Monte Carlo means (points) and their 99 % bands, log scale."""
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for width, colour in zip(WIDTHS, colours):
        rows = variance_against_depth(width)
        depths = [row[0] for row in rows]
        closed = [row[1] for row in rows]
        means = [row[2] for row in rows]
        low = [max(row[2] - row[3], 1e-12) for row in rows]
        high = [row[2] + row[3] for row in rows]
        axes.plot(depths, closed, color=colour, linewidth=1.5, label=f"closed form, n = {width}")
        axes.fill_between(depths, low, high, color=colour, alpha=0.25, linewidth=0)
        axes.plot(depths, means, linestyle="none", marker="o", markersize=4, color=colour, label=f"Monte Carlo, n = {width}")
        axes.axhline(1 / (2 * width), color=colour, linewidth=0.8, linestyle=":")
    axes.set_yscale("log")
    # Room below the narrowest fixed point for the legend.
    axes.set_ylim(0.3 / (2 * max(WIDTHS)), 1.0)
    axes.set_xlabel("depth L")
    axes.set_ylabel("per-coordinate variance of y_L")
    axes.set_xticks(range(1, MAX_DEPTH + 1))
    axes.legend(loc="lower left", fontsize="x-small", ncol=len(WIDTHS))


FIGURES = (
    Figure(
        id="variance-against-depth",
        title="Predicted variance against depth",
        caption=(
            f"The closed form v_L = 3^(−L) + Σ 3^(−(L−l+1))/n_(l−1) for constant widths n ∈ {{{', '.join(map(str, WIDTHS))}}} "
            f"over depths 1..{MAX_DEPTH} (lines), against the batched Monte Carlo sampler of default nn.Linear "
            f"layers ({NETWORKS} networks a point, exact input covariance; points) with its {1 - BAND_ALPHA:.0%} "
            "confidence band mean ± z·SE (shaded). Dotted: the fixed point 1/(2n) the recursion contracts to."
        ),
        theorem_ids=("variance-recursion",),
        draw=draw_variance_against_depth,
    ),
)
