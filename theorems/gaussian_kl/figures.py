"""Figure: the Gaussian KL closed form against adaptive quadrature of its definition, in d = 1.

For ``X ~ N(0, 1)`` and ``Y ~ N(δ, r)`` over a sweep of mean shifts ``δ`` and a few
variance ratios ``r``, the closed form (:func:`theorems.gaussian_kl.check.gaussian_kl_closed_form`)
is drawn beside ``∫ f_X log(f_X/f_Y)`` computed by adaptive quadrature
(:func:`theorems.oracles.quadrature.integral_by_quad`, QUADPACK over pieces split at the means
and ±12 standard deviations), whose error bars are the quadrature's own error
estimate times ``QUADRATURE_SAFETY`` — the allowance the suite's checks give it. On the
KL scale those bars are invisible, so a lower panel shows on a log scale the gap
``|closed form − quadrature|`` beside that allowance: every gap below its bar agrees
with the theorem. The definition is integrated directly: no Gaussian algebra is shared
with the closed form.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from theorems.gaussian_kl.check import gaussian_kl_closed_form
from theorems.oracles.quadrature import QUADRATURE_SAFETY, integral_by_quad
from theorems.figure import Figure, FigureContext

__all__ = ["FIGURES", "draw_kl_closed_form_against_quadrature", "kl_closed_form_against_quadrature"]

SHIFTS = tuple(float(x) for x in np.linspace(0.0, 3.0, 13))
VARIANCE_RATIOS = (1.0, 4.0, 0.25)
# Gaps of exactly zero are drawn at this floor on the log scale.
GAP_FLOOR = 1e-17


def _log_normal(x: float, mean: float, variance: float) -> float:
    return -0.5 * (x - mean) ** 2 / variance - 0.5 * math.log(2 * math.pi * variance)


def kl_by_quad_1d(mean0: float, variance0: float, mean1: float, variance1: float) -> tuple[float, float]:
    """``∫ f0 log(f0/f1)`` for two 1-D normals by adaptive quadrature: ``(value, error estimate)``."""

    def integrand(x: float) -> float:
        log_f0 = _log_normal(x, mean0, variance0)
        return math.exp(log_f0) * (log_f0 - _log_normal(x, mean1, variance1))

    scale = math.sqrt(max(variance0, variance1))
    inner = sorted({mean0, mean1, mean0 - 12 * scale, mean0 + 12 * scale})
    oracle = integral_by_quad(integrand, [-math.inf, *inner, math.inf])
    return oracle.value, oracle.error


def kl_closed_form_against_quadrature(ratio: float) -> list[tuple[float, float, float, float]]:
    """``(δ, closed form, quadrature, quadrature error estimate)`` for ``D(N(0,1) ‖ N(δ, ratio))`` over ``SHIFTS``."""
    rows = []
    for shift in SHIFTS:
        closed = gaussian_kl_closed_form(np.zeros(1), np.eye(1), np.array([shift]), np.array([[ratio]]))
        value, error = kl_by_quad_1d(0.0, 1.0, shift, ratio)
        rows.append((shift, closed, value, error))
    return rows


def draw_kl_closed_form_against_quadrature(context: FigureContext, axes: Any) -> None:
    """Upper: KL against the mean shift; lower: the gap against the quadrature's allowance (log scale)."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    gaps = make_axes_locatable(axes).append_axes("bottom", size="45%", pad=0.35, sharex=axes)
    colours = ("tab:blue", "tab:orange", "tab:green")
    for ratio, colour in zip(VARIANCE_RATIOS, colours):
        rows = kl_closed_form_against_quadrature(ratio)
        shifts = [row[0] for row in rows]
        allowance = [max(QUADRATURE_SAFETY * row[3], GAP_FLOOR) for row in rows]
        label = f"Σ1/Σ0 = {ratio:g}"
        axes.plot(shifts, [row[1] for row in rows], color=colour, linewidth=1.5, label=f"closed form, {label}")
        axes.errorbar(shifts, [row[2] for row in rows], yerr=allowance, linestyle="none", marker="o", markersize=4, color=colour, capsize=2)
        gaps.plot(shifts, [max(abs(row[1] - row[2]), GAP_FLOOR) for row in rows], linestyle="none", marker="o", markersize=4, color=colour)
        gaps.plot(shifts, allowance, color=colour, linewidth=1, linestyle="--")
    axes.plot([], [], linestyle="none", marker="o", color="grey", label="adaptive quadrature ± its allowance")
    axes.set_ylabel("D(N(0, 1) ‖ N(δ, Σ1))")
    axes.legend(loc="upper left", fontsize="x-small")
    axes.tick_params(labelbottom=False)
    gaps.set_yscale("log")
    gaps.set_xlabel("mean shift δ")
    gaps.set_ylabel("|closed − quad|\n(dashed: allowance)", fontsize="small")


FIGURES = (
    Figure(
        id="kl-closed-form-vs-quadrature",
        title="Gaussian KL: closed form against quadrature",
        caption=(
            "D(N(0, 1) ‖ N(δ, Σ1)) in d = 1 for mean shifts δ ∈ [0, 3] and variance ratios Σ1/Σ0 ∈ {1, 4, 1/4}: "
            "the closed form ½[tr(Σ1⁻¹Σ0) + (μ1−μ0)ᵀΣ1⁻¹(μ1−μ0) − d + ln(det Σ1/det Σ0)] (lines) against "
            "adaptive quadrature (QUADPACK) of ∫ f0 log(f0/f1) (points), with error bars "
            f"{QUADRATURE_SAFETY:g}× the quadrature's own error estimate. Lower panel, log scale: the gap between "
            f"the two (points; exact agreement, and an estimate of 0, drawn at {GAP_FLOOR:g}) against that allowance (dashed)."
        ),
        theorem_ids=("gaussian-kl",),
        draw=draw_kl_closed_form_against_quadrature,
    ),
)
