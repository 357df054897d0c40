"""Defects of torch.distributions' transforms found by ``transform-laws``, each with the error model
the reference run holds torch to (see :mod:`theorems.finding`). The log-determinant's are
log-det-jacobian's (:mod:`theorems.log_det_jacobian.findings`), which this theorem's log-det law is."""

from __future__ import annotations

import numpy as np

from theorems.finding import ErrorModel, Finding
from theorems.log_det_jacobian.case import TransformCase
from theorems.transform_laws.case import TransformDraw, draw_of

__all__ = ["FINDINGS", "standardised"]

U = 2.0**-53
# Normal.cdf is ½(1 + erf(w)): for w < 0, erf(w) lies in (−1, 0) and is rounded within an ulp of 1
# (2u absolutely), 1 + erf is then exact where erf ≤ −½ (Sterbenz) and halving is exact, so the
# probability p carries an absolute error up to u where it should carry u·p; Normal.icdf forms
# 2p − 1, rounded within u (absolutely again). Across a round trip p meets one of each and the
# forward once more: 4u of p in all, which the check carries to x through J_g (scale/φ(z)).
ABSOLUTE_ERROR_OF_P = 4 * U


def standardised(draw: TransformDraw) -> np.ndarray | None:
    """``z = (x − loc)/scale`` of a CumulativeDistributionTransform(Normal(loc, scale)) example, else None."""
    case = draw.case
    if case.kind != "CumulativeDistribution":
        return None
    parameters = case.parameters
    return (np.asarray(case.x, dtype=float) - parameters["loc"]) / parameters["scale"]


def _below_the_median(draw: TransformDraw) -> bool:
    z = standardised(draw)
    return z is not None and bool(np.any(z < 0))


def _absolute_error_of_p(draw: TransformDraw) -> np.ndarray:
    """Per output entry: the absolute error the cancellations leave in p (0 above the median, where p keeps its relative precision)."""
    z = standardised(draw)
    return np.where(z < 0, ABSOLUTE_ERROR_OF_P, 0.0)


def _normal_cdf_case(x: list[float], loc: float, scale: float) -> TransformDraw:
    return draw_of(TransformCase("CumulativeDistribution", np.asarray(x, dtype=float), (("loc", np.array(loc)), ("scale", np.array(scale)))))


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="torch-normal-cdf-lower-tail-cancels",
        theorem_id="transform-laws",
        library="torch.distributions.Normal.cdf and .icdf (torch 2.14.1), through CumulativeDistributionTransform",
        summary=(
            "Normal.cdf is written ½(1 + erf(z/√2)) and Normal.icdf √2·erfinv(2p − 1): below the median both cancel, so p is "
            "right only to u absolutely, not relatively (torch.special.ndtr is written the same way; ½·erfc(−z/√2) and ndtri "
            "keep p's relative precision). Confirmed by mpmath at 60 digits: at z = −5 the cdf is 3.9e-11 off relatively "
            "(1.1e-17 absolutely), at z = −8 1.8e-2; the round trip icdf(cdf(x)) of CumulativeDistributionTransform(Normal(0.5, 1.5)) "
            "misses x = −7 by 1.1e-11 (222 times the bar of a map computed to relative precision) and x = −11.5 by 3.4e-3"
        ),
        applies=_below_the_median,
        example=_normal_cdf_case([0.5, -7.0], loc=0.5, scale=1.5),
        error_model=ErrorModel(
            "p = Φ(z) within 4u absolutely (not 4u·p) below the median, so g(f(x)) within 4u·scale/φ(z) of x there",
            allowance=_absolute_error_of_p,
        ),
    ),
)
