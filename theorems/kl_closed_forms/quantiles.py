"""Expectations under a one-dimensional law by adaptive cubature over its quantiles.

``E_p f(X) = ∫_0^{1/2} f(F⁻¹(u)) du + ∫_0^{1/2} f(F̄⁻¹(v)) dv``: in ``u`` every law has the
unit interval as its support whatever its scale (1e-8 or 1e8), and the tails become endpoint
singularities, integrated in ``s`` with ``u = c e^{−s}``; scipy's quantiles are polished by
Newton steps (:func:`quantile`). :func:`quantile_definition` integrates ``L = log p − log q``
this way, split where ``log q`` kinks (:func:`break_points`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorems.kl_closed_forms.definition import DENSITY_OPERATIONS, Definition
from theorems.kl_closed_forms.direct import direct
from theorems.kl_closed_forms.families import Family
from theorems.kl_closed_forms.laws import Law, scalars
from theorems.oracles.quadrature import OracleError, OracleValue, integrals_by_cubature
from theorems.oracles.tolerance import U64


def break_points(q: Law, family: Family) -> list[float]:
    """Points where ``log q`` has a kink, a spike or an end: the cubature's regions are split there."""
    values = scalars(q)
    lo, hi = family.support(**values)
    points = [lo, hi]
    # A q narrow against p (a scale 1e-8 against p's 1, a Gumbel's e^{-z} within a few of its
    # scales) is a feature of log q that an adaptive rule's first nodes can step over: region
    # edges at its location and 1, 8 and 64 of its scales either side put nodes on it.
    if "loc" in values and "scale" in values:
        points += [values["loc"] + k * values["scale"] for k in (-64, -8, -1, 0, 1, 8, 64)]
    return [x for x in points if math.isfinite(x)]


def quantile_definition(
    law_p: Any,
    law_q: Any,
    breaks: list[float],
    terms_p: Callable[[np.ndarray], np.ndarray],
    terms_q: Callable[[np.ndarray], np.ndarray],
    reflected: tuple[Any, Any, Callable, Callable, list[float]] | None = None,
) -> Definition:
    """``∫ L dF_p`` (and ``∫ terms_p + terms_q dF_p``) over p's quantiles, below and above the median, split where ``log q`` kinks.

    ``reflected`` (p's and q's laws, terms and breaks as functions of ``y = 1 − x``): the
    upper half is integrated as the lower half of ``1 − X``.
    """
    law_p, law_q = direct(law_p), direct(law_q)  # the same values, without scipy's per-call overhead

    def integrand(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.stack([law_p.logpdf(x) - law_q.logpdf(x), terms_p(x) + terms_q(x)], axis=-1)

    lower_cuts = [u for u in (float(law_p.cdf(x)) for x in breaks) if 0 < u < 0.5]
    upper_cuts = [v for v in (float(law_p.sf(x)) for x in breaks) if 0 < v < 0.5]
    # Each value of L is rounded on the scale of the log-densities' terms (a Gamma with
    # concentration 4000 has lgamma terms of 3e4 that cancel to L ≈ 1e-10): asking the rule
    # for less than that rounding, it never converges. Its absolute target is set from the
    # terms at p's median (the estimate it returns enters the tolerance as always).
    median = np.atleast_1d(quantile(law_p, np.array([0.5])))
    terms_floor, point_floor = 64 * U64 * (1.0 + float(np.max(integrand(median)[..., 1]))), _point_rounding(integrand, law_p)
    floor = max(terms_floor, point_floor)
    # Where the point's own rounding is the larger, the sizes carry it too, times their reach: integrated apart at once
    # (:func:`_value_then_sizes`), not after two joint cubatures that cannot converge.
    split = point_floor > terms_floor
    lower = _half_integral(lambda u: integrand(quantile(law_p, u)), lower_cuts, atol=floor, split=split)
    if reflected is None:
        upper = _half_integral(lambda v: integrand(quantile(law_p, v, upper=True)), upper_cuts, atol=floor, split=split)
    else:
        law_p_r, law_q_r, terms_p_r, terms_q_r, breaks_r = reflected
        law_p_r, law_q_r = direct(law_p_r), direct(law_q_r)

        def integrand_r(y: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.stack([law_p_r.logpdf(y) - law_q_r.logpdf(y), terms_p_r(y) + terms_q_r(y)], axis=-1)

        cuts_r = [v for v in (float(law_p_r.cdf(y)) for y in breaks_r) if 0 < v < 0.5]
        upper = _half_integral(lambda v: integrand_r(quantile(law_p_r, v)), cuts_r, atol=floor, split=split)
    value, error = lower.estimate[0] + upper.estimate[0], lower.error[0] + upper.error[0]
    scale = lower.estimate[1] + upper.estimate[1]
    return Definition(float(value), float(error), float(scale), f"adaptive cubature over p's quantiles (error estimate {error:.1e})", DENSITY_OPERATIONS * U64 * (1.0 + float(scale)))


# The levels of p at which the rounding of the point itself is measured (:func:`_point_rounding`).
ROUNDING_LEVELS = np.array([0.05, 0.25, 0.5, 0.75, 0.95])


def _point_rounding(integrand: Callable[[np.ndarray], np.ndarray], law_p: Any) -> float:
    """How far L moves when its point moves by one ulp, at p's quantiles, 8 times over (a target the rule can reach
    through that noise, not a tolerance: the error estimate it returns is what enters the bar): a location far from p's
    scale (Normal(2, 1e-8)) leaves z = (x − loc)/scale a resolution of ulp(x)/scale, and L no finer than that
    (thorough seed 3: KL(Normal(2, 1e-8) ‖ Normal(0, 1)), L resolved to 4e-8, asked for 1e-13, never converged)."""
    x = np.atleast_1d(quantile(law_p, ROUNDING_LEVELS))
    with np.errstate(all="ignore"):
        step = np.abs(integrand(np.nextafter(x, np.inf))[..., 0] - integrand(x)[..., 0])
    return 8 * float(np.max(step[np.isfinite(step)], initial=0.0))


def quantile(law: Any, u: np.ndarray, *, upper: bool = False) -> np.ndarray:
    """``F⁻¹(u)`` (``upper``: ``F̄⁻¹(u)``), polished by two Newton steps on ``log F(x) = log u`` in ``log x``.

    scipy's inverses are not always right deep in a tail: ``beta(0.5, 3).ppf(1e-10)`` is
    1.96e-25 where ``F⁻¹`` is 2.84e-21 (its cdf there is 1e-12). A tail's cdf behaves like
    a power of x, on which a Newton step in ``log x`` is exact; the steps are taken where
    the law is positive with a finite log-cdf, and kept only where they reduce the residual.
    """
    law = direct(law)
    x = np.asarray(law.isf(u) if upper else law.ppf(u), dtype=float)
    if not hasattr(law, "logcdf"):
        return x  # written out in closed form (the continuous Bernoulli)
    target = np.log(u)
    log_tail = law.logsf if upper else law.logcdf
    sign = -1.0 if upper else 1.0
    # Each log-tail value is computed once and carried along (the same values the steps would
    # recompute: at x, and at a kept step's x, which is where the step moved).
    with np.errstate(all="ignore"):
        at_x = log_tail(x)
    for _ in range(2):
        with np.errstate(all="ignore"):
            residual = at_x - target
            slope = sign * np.exp(law.logpdf(x) + np.log(np.abs(x)) - at_x)  # d log F / d log|x|
            moved = x * np.exp(-np.sign(x) * residual / slope)
            at_moved = log_tail(moved)
            better = np.isfinite(moved) & (x != 0) & (np.abs(at_moved - target) < np.abs(residual))
        x, at_x = np.where(better, moved, x), np.where(better, at_moved, at_x)
    return x


@dataclass(frozen=True)
class _Integral:
    estimate: np.ndarray
    error: np.ndarray


def _half_integral(function: Callable[[np.ndarray], np.ndarray], cuts: list[float], *, atol: float = 1e-13, split: bool = False) -> _Integral:
    """``∫_0^{1/2} function(u) du``, vectorised; ``cuts`` in ``(0, ½)`` become region edges.

    The end at 0 (a tail of p, where ``L`` may be singular) is integrated in ``s`` with
    ``u = c e^{−s}``: an integrable singularity ``u^{−β}`` (β < 1) becomes the decay
    ``e^{−(1−β)s}`` and a logarithmic one a polynomial times ``e^{−s}``, which an adaptive
    rule resolves without extrapolation.

    Deep in a tail p's quantile can stop being representable: it rounds to the end of
    p's support (a Beta(·, ½) quantile within 1e-16 of 1, a Pareto quantile past 1e308),
    where a log-density is infinite. The tail is integrated only up to the last ``s`` of a
    grid where every value is finite (a jump to nothing would keep an adaptive rule
    subdividing forever); the part beyond, ``∫_0^{u*} |f|``, is taken into the error
    estimate as ``u*·(1 + 2 max|f|)`` over the resolved grid (the log-densities of these
    families grow only logarithmically toward an end of the support, so that is its order).
    """
    edges = sorted(cuts) + [0.5]
    first = edges[0]
    grid = np.arange(0.0, max(1.0, math.log(first / SMALLEST_U)), 1.0)
    probe = function(first * np.exp(-grid))
    finite = np.all(np.isfinite(probe), axis=1)
    reach, dropped = np.inf, 0.0
    if not finite.all():
        last = int(np.argmin(finite)) - 1  # the grid point before the first unresolved one
        reach = float(grid[max(last, 0)])
        largest = float(np.abs(probe[: max(last, 0) + 1][finite[: max(last, 0) + 1]]).max(initial=0.0))
        dropped = first * math.exp(-reach) * (1.0 + 2.0 * largest)

    def tail(s: np.ndarray) -> np.ndarray:
        u = first * np.exp(-s[:, 0])
        values = function(u) * u[:, None]
        return np.where(np.isfinite(values), values, 0.0)  # u below the smallest double: nothing left

    parts = [_cubature(tail, 0.0, reach, atol, None, split)] if reach > 0 else []
    if first < 0.5:
        inner = [np.array([edge]) for edge in edges[1:-1]] or None
        parts.append(_cubature(lambda u: function(u[:, 0]), first, 0.5, atol, inner, split))
    if not reach > 0:
        dropped = first * (1.0 + 2.0 * float(np.abs(probe[0]).max()))
    return _Integral(sum((part.estimate for part in parts), np.zeros(probe.shape[1])), sum((part.error for part in parts), np.zeros(probe.shape[1])) + dropped)


# The cubature's relative target: its error estimate (× QUADRATURE_SAFETY) is the oracle's
# part of the tolerance, so it bounds what the check resolves (a 1e-9 offset on a KL of 0.4
# needs better than 3e-11 relative); the absolute target stays at the terms' rounding.
RELATIVE_TARGET = 1e-11


def _cubature(integrand: Callable[[np.ndarray], np.ndarray], low: float, high: float, atol: float, points: Any, split: bool = False) -> Any:
    """Adaptive cubature at RELATIVE_TARGET; where that many digits do not converge (a log
    singularity a narrow q puts inside p, as Cauchy(·, 1e-8) does), once more at a hundred
    times the target, whose honest error estimate then widens this example's tolerance."""
    for target in (RELATIVE_TARGET, 100 * RELATIVE_TARGET) if not split else ():
        try:
            return integrals_by_cubature(integrand, np.array([low]), np.array([high]), rtol=target, atol=atol, points=points)
        except OracleError:
            if target != RELATIVE_TARGET and _columns(integrand, low, high) == 1:
                raise
    return _value_then_sizes(integrand, low, high, atol, points)


# The relative target of the terms' sizes (every column past the first): they scale the rounding allowance,
# where a factor of 1 + 1e-3 is nothing.
SIZE_TARGET = 1e-3


def _columns(integrand: Callable[[np.ndarray], np.ndarray], low: float, high: float) -> int:
    middle = low + 1.0 if math.isinf(high) else (low + high) / 2
    return int(np.shape(integrand(np.array([[middle]])))[-1])


def _value_then_sizes(integrand: Callable[[np.ndarray], np.ndarray], low: float, high: float, atol: float, points: Any) -> _Integral:
    """The value (the first column) alone as :func:`_cubature` integrates it, then the sizes at :data:`SIZE_TARGET`: a
    location far from p's scale rounds z = (x − μ)/σ by ulp(x)/σ, and the sizes, which count |z|(|x| + |μ|)/σ, carry
    that rounding times 4e8 (Normal(2, 1e-8) ‖ Normal(0, 1), thorough seed 3), which no ten digits resolve."""
    box = (np.array([low]), np.array([high]))
    value = _cubature(lambda t: integrand(t)[:, :1], low, high, atol, points)  # one column: at the target, then a hundred times it
    sizes = integrals_by_cubature(lambda t: integrand(t)[:, 1:], *box, rtol=SIZE_TARGET, atol=atol, points=points)
    return _Integral(np.concatenate([np.atleast_1d(value.estimate), np.atleast_1d(sizes.estimate)]), np.concatenate([np.atleast_1d(value.error), np.atleast_1d(sizes.error)]))


# The smallest u the tail is probed at (and integrated to, where every value is finite):
# the smallest normal double; below it scipy's inverses work in subnormals.
SMALLEST_U = 2.2250738585072014e-308


def quantile_expectation(law: Any, function: Callable[[np.ndarray], np.ndarray]) -> OracleValue:
    """``E f(X)`` over the law's quantiles, as :func:`_half_integral` integrates them."""
    law = direct(law)
    lower = _half_integral(lambda u: function(quantile(law, u))[:, None], [])
    upper = _half_integral(lambda v: function(quantile(law, v, upper=True))[:, None], [])
    return OracleValue(float(lower.estimate[0] + upper.estimate[0]), float(lower.error[0] + upper.error[0]), "")


