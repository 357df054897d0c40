r"""Integration oracles with their own error bars, and comparing a number against them.

Three routes, named by what they compute and how:

* :func:`integral_by_quad` — 1-D adaptive Gauss–Kronrod (QUADPACK ``qagse``/``qagie``
  through ``scipy.integrate.quad``) over a few pieces; its error estimate is part of
  the tolerance.
* :func:`integral_by_cubature` — adaptive cubature on a box in 2–3 dimensions
  (``scipy.integrate.cubature``, Gauss–Kronrod product rules),
  vectorised, with its error estimate; :func:`integrals_by_cubature` integrates several
  functions over the same box at once (one estimate and one error each).
* :func:`expectation_by_gauss_hermite` — ``E g(X)`` for ``X ~ N(m, L Lᵀ)`` by the
  tensor-product probabilists' Gauss–Hermite rule after whitening ``x = m + L z``. A
  ``k``-point rule integrates every monomial of degree ``≤ 2k − 1`` in each coordinate
  exactly (Abramowitz & Stegun 25.4.46), so ``k = 2`` is exact for any quadratic in
  ``x``: the only error is rounding.

An oracle that does not converge is an error of the oracle (:class:`OracleError`),
never a pass: QUADPACK's warnings are raised as errors, and a cubature whose status is
not ``"converged"`` raises.

QUADPACK's ``abserr`` is an *estimate*, not a bound (Piessens et al., *QUADPACK*,
1983, §2.2.1: in practice it overestimates the error of ``qags`` by one or more orders
of magnitude on smooth integrands), and so is cubature's ``|Gauss − Kronrod|`` per
region. Comparisons therefore allow ``QUADRATURE_SAFETY × abserr`` on top of rounding;
the factor is stated with every use and derived from a measurement of how the estimates
relate to the true error (:mod:`tools.quadrature_record`, ``measurements/quadrature.json``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import integrate

try:  # scipy's rule classes (private); without them cubature builds its own rule and evaluates twice
    from scipy.integrate._rules import GaussKronrodQuadrature, ProductNestedFixed, Rule
    from scipy.integrate._rules._base import _apply_fixed_rule
except ImportError:  # pragma: no cover - scipy without them
    Rule = object

from theorems.evidence import Evidence, implementation_failure

__all__ = [
    "QUADRATURE_SAFETY",
    "Cubature",
    "OracleError",
    "OracleValue",
    "compare_scalar",
    "expectation_by_gauss_hermite",
    "gauss_hermite_rule",
    "integral_by_cubature",
    "integral_by_quad",
    "integrals_by_cubature",
    "integrals_by_cubature_per_region",
]


# Derived from measurements/quadrature.json (``make quadrature-record``,
# tools/quadrature_record.py): on integrals with known values drawn from the suite's
# own families and integrated with the checks' settings, the largest factor any one
# needed, s* = max(0, |Q − I| − R)/E with R the check's own rounding allowance, is 2.53:
# 3-D cubature (gk15, rtol 1e-3) of a joint whose first axis is a normal mixture with a
# narrow component, where a region's |Gauss − Kronrod| understates its error (an
# earlier record drew it at 1.79; the record keeps a fine scan of that configuration,
# whose peak this is). Every drawn family needed far less (see the record); no
# estimate was 0 with an error beyond rounding. Rule (quadrature_record.derived_safety):
# the smallest power of two ≥ max(1, 10 × 2.53) = 32, a decade of headroom for draws the
# record did not make, a power of two so that the product is exact. Kept literal;
# tests/tools/test_quadrature_record.py checks it against the committed record.
QUADRATURE_SAFETY = 32.0


class OracleError(RuntimeError):
    """The oracle itself failed (a quadrature did not converge): the check is inconclusive, never passed."""


@dataclass(frozen=True)
class OracleValue:
    """A number computed by an oracle, with the bound on its own error and how it was obtained."""

    value: float
    error: float
    how: str


# --- comparing one number ------------------------------------------------------------


def compare_scalar(
    *,
    theorem_id: str,
    example: str,
    expected: float,
    expected_how: str,
    actual: float,
    tolerance: float,
    tolerance_reason: str,
) -> Evidence:
    """Compare two real numbers, either of which may be ``±inf`` (equal infinities match exactly)."""
    if math.isnan(actual):
        return implementation_failure(theorem_id, example, "returned NaN")
    if math.isinf(expected) or math.isinf(actual):
        error = 0.0 if expected == actual else math.inf
    else:
        error = abs(actual - expected)
    return Evidence(
        theorem_id=theorem_id,
        example=example,
        expected=f"{expected:.17g} ({expected_how})",
        actual=f"{actual:.17g}",
        error=error,
        tolerance=tolerance,
        tolerance_reason=tolerance_reason,
    )


# --- Gauss–Hermite after whitening -----------------------------------------------------


def gauss_hermite_rule(dim: int, points_per_axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``(k^dim, dim)`` and weights ``(k^dim,)`` with ``Σ w g(z) = E g(Z)``, ``Z ~ N(0, I_dim)``."""
    nodes_1d, weights_1d = hermegauss(points_per_axis)
    weights_1d = weights_1d / math.sqrt(2 * math.pi)
    grids = np.meshgrid(*([nodes_1d] * dim), indexing="ij")
    weight_grids = np.meshgrid(*([weights_1d] * dim), indexing="ij")
    nodes = np.stack([grid.reshape(-1) for grid in grids], axis=1)
    weights = np.prod(np.stack([grid.reshape(-1) for grid in weight_grids], axis=1), axis=1)
    return nodes, weights


def expectation_by_gauss_hermite(
    integrand: Callable[[np.ndarray], np.ndarray], mean: np.ndarray, factor: np.ndarray, *, points_per_axis: int = 2
) -> tuple[float, float]:
    """``E g(X)``, ``X ~ N(mean, factor factorᵀ)``, and ``Σ w |g|`` (the size of the terms, for rounding).

    ``integrand`` maps points ``(m, dim)`` to values ``(m,)``. Exact (up to rounding)
    when ``g`` is a polynomial of degree ``≤ 2·points_per_axis − 1`` in each coordinate.
    """
    nodes, weights = gauss_hermite_rule(len(mean), points_per_axis)
    values = integrand(mean + nodes @ factor.T)
    return float(weights @ values), float(weights @ np.abs(values))


# --- adaptive quadrature ----------------------------------------------------------------


def integral_by_quad(integrand: Callable[[float], float], breakpoints: Sequence[float], *, epsabs: float = 1e-11, epsrel: float = 1e-10, limit: int = 200) -> OracleValue:
    """``∫_{−∞}^{∞} g`` (or over ``[breakpoints[0], breakpoints[-1]]`` when those are finite), piece by piece.

    The pieces are ``(−∞, t₀], [t₀, t₁], …, [t_k, ∞)`` for sorted finite breakpoints;
    pass ``-inf``/``inf`` ends explicitly. Any QUADPACK warning (roundoff detected,
    subdivision limit, divergence) raises :class:`OracleError`.
    """
    ends = list(breakpoints)
    total, error = 0.0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", integrate.IntegrationWarning)
        for left, right in zip(ends[:-1], ends[1:]):
            if not left < right:
                continue
            try:
                value, abserr = integrate.quad(integrand, left, right, epsabs=epsabs, epsrel=epsrel, limit=limit)
            except integrate.IntegrationWarning as warning:
                raise OracleError(f"quad on [{left:.4g}, {right:.4g}] did not converge: {str(warning).splitlines()[0]}") from None
            if not math.isfinite(value):
                raise OracleError(f"quad on [{left:.4g}, {right:.4g}] returned {value}")
            total += value
            error += abserr
    return OracleValue(total, error, f"adaptive quad over {len(ends) - 1} pieces, error estimate {error:.1e}")


def integrals_by_cubature(
    integrand: Callable[[np.ndarray], np.ndarray],
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-11,
    max_subdivisions: int = 2000,
    points: list[np.ndarray] | None = None,
    rule: str | None = None,
) -> Any:
    """``∫_box g`` in 1–3 dimensions by adaptive cubature; ``integrand`` maps ``(m, dim)`` to ``(m, …)``.

    Returns scipy's result: ``estimate`` and ``error`` of the integrand's shape.

    ``points`` split the initial box (put kinks on region edges). The default rule is
    the 21-point Gauss–Kronrod product in 1–2 dimensions and the 15-point one in 3
    (3 375 nodes a region instead of 9 261; Genz–Malik needed 60× the subdivisions on
    the 2-D additivity examples, measured). Cubature stops when every component's
    error estimate is within ``atol + rtol |estimate|``.
    """
    rule = rule or ("gk21" if len(lower) <= 2 else "gk15")
    product = _EvaluatedOnce(len(lower), GAUSS_KRONROD_POINTS[rule]) if rule in GAUSS_KRONROD_POINTS and Rule is not object else rule
    result = integrate.cubature(integrand, lower, upper, rule=product, rtol=rtol, atol=atol, max_subdivisions=max_subdivisions, points=points)
    if result.status != "converged" or not np.all(np.isfinite(result.estimate)):
        raise OracleError(f"cubature ({rule}) on the box {lower}..{upper} did not converge: status {result.status}, error estimate {float(np.max(result.error)):.1e}")
    return result


@dataclass(frozen=True)
class Cubature:
    """Integrals of several components at once: ``estimate`` and ``error`` of the integrand's shape."""

    estimate: np.ndarray
    error: np.ndarray
    subdivisions: int


def integrals_by_cubature_per_region(
    integrand: Callable[[np.ndarray], np.ndarray], edges: np.ndarray, *, rtol: float = 1e-9, atol: float = 1e-11, max_subdivisions: int = 2000
) -> Cubature:
    """``∫`` over ``[edges[0], edges[-1]]`` in one dimension, as the sum of one adaptive cubature (gk21) per
    region between consecutive edges, each to ``atol/regions + rtol |its estimate|`` (so the sum is within
    ``atol + rtol Σ|estimates|``, the global test for an integrand of one sign).

    Why not :func:`integrals_by_cubature` with ``points``: scipy's cubature (1.17) splits the box at the
    points into a plain list of regions, then refines with ``heapq.heappop`` on that list, which was never
    heapified, so it refines regions in an order unrelated to their errors. Measured on
    log-prob-normalises' integrand of InverseGamma(1.5, 1) over 48 regions: no convergence in 5 000
    subdivisions (30 s), and 4 subdivisions once the list is a heap; FisherSnedecor(5, 5): 308 against 3.
    A region of its own has one initial region: no list to misorder.

    Every region's first estimate is made in one call of the integrand (the same 21-point Kronrod and
    10-point Gauss rules scipy applies, so the same numbers); only the regions whose error is above their
    share go on to an adaptive cubature of their own.
    """
    share, regions = atol / (len(edges) - 1), len(edges) - 1
    if Rule is object:  # scipy without its rule classes: every region adaptive from the start
        passed, total, bar = np.zeros(regions, bool), 0.0, 0.0
    else:
        estimate, error = _rule_on_every_region(integrand, edges)
        passed = np.all(np.reshape(error <= share + rtol * np.abs(estimate), (regions, -1)), axis=1)
        total, bar = np.sum(estimate[passed], axis=0), np.sum(error[passed], axis=0)
    product = _EvaluatedOnce(1, GAUSS_KRONROD_POINTS["gk21"]) if Rule is not object else "gk21"
    used = 0
    for low, high in zip(edges[:-1][~passed], edges[1:][~passed]):
        result = integrate.cubature(integrand, np.array([low]), np.array([high]), rule=product, rtol=rtol, atol=share, max_subdivisions=max(1, max_subdivisions - used))
        used += int(result.subdivisions)
        if result.status != "converged" or not np.all(np.isfinite(result.estimate)):
            raise OracleError(f"cubature (gk21) on [{low:.4g}, {high:.4g}] did not converge within {max_subdivisions} subdivisions in all: error estimate {float(np.max(result.error)):.1e}")
        total, bar = total + np.asarray(result.estimate), bar + np.asarray(result.error)
    if not np.all(np.isfinite(total)):
        raise OracleError(f"cubature (gk21) over {regions} regions returned a value that is not finite")
    return Cubature(total, bar, used)


def _rule_on_every_region(integrand: Callable[[np.ndarray], np.ndarray], edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy's 21-point Kronrod estimate and its |Kronrod − Gauss| error on each region between ``edges``, in one
    call of the integrand (shape ``(regions, …)``; the 10 Gauss nodes are among the Kronrod ones)."""
    rule = GaussKronrodQuadrature(21, xp=np)
    (nodes, weights), (gauss_nodes, gauss_weights) = rule.nodes_and_weights, rule.lower_nodes_and_weights
    nodes, weights, gauss_weights = np.asarray(nodes).reshape(-1), np.asarray(weights), np.asarray(gauss_weights)
    gauss_at = [int(np.argmin(np.abs(nodes - node))) for node in np.asarray(gauss_nodes).reshape(-1)]
    middle, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    values = np.asarray(integrand((middle[:, None] + half[:, None] * nodes[None]).reshape(-1, 1)))
    values = values.reshape(len(middle), len(nodes), *values.shape[1:])
    scale = half.reshape((-1,) + (1,) * (values.ndim - 2))
    estimate = scale * np.tensordot(values, weights, axes=([1], [0])).reshape(values.shape[:1] + values.shape[2:])
    gauss = scale * np.tensordot(values[:, gauss_at], gauss_weights, axes=([1], [0])).reshape(values.shape[:1] + values.shape[2:])
    return estimate, np.abs(estimate - gauss)


GAUSS_KRONROD_POINTS = {"gk21": 21, "gk15": 15}


class _EvaluatedOnce(Rule):
    """scipy's product Gauss–Kronrod rule (what ``rule="gk21"``/``"gk15"`` builds), with the
    integrand evaluated once per region instead of twice.

    scipy's rule evaluates the integrand at the Kronrod nodes for the estimate, then again at
    the Kronrod and the Gauss nodes together for ``|Kronrod − Gauss|``. Here one evaluation at
    the Kronrod and Gauss nodes together gives both: the same nodes, weights and sums as scipy's
    (through its own ``_apply_fixed_rule``), so the same estimate and error to the last bit,
    for an integrand that maps each row of its argument on its own (every integrand here does).
    """

    def __init__(self, ndim: int, points: int) -> None:
        self.rule = ProductNestedFixed([GaussKronrodQuadrature(points, xp=np)] * ndim)
        nodes, weights = self.rule.nodes_and_weights
        lower_nodes, lower_weights = self.rule.lower_nodes_and_weights
        self.kronrod = len(nodes)
        self.both = (np.concatenate([nodes, lower_nodes], axis=0), np.concatenate([weights, -lower_weights], axis=0))
        self.last: tuple[Any, Any, Any] | None = None

    def estimate(self, f: Callable[..., Any], a: Any, b: Any, args: tuple[Any, ...] = ()) -> Any:
        evaluated: list[Any] = []

        def once(x: Any, *arguments: Any) -> Any:
            evaluated.append(f(x, *arguments))
            return evaluated[0]

        difference = _apply_fixed_rule(once, a, b, *self.both, args, np)
        nodes, weights = self.rule.nodes_and_weights
        estimate = _apply_fixed_rule(lambda x, *arguments: evaluated[0][: self.kronrod], a, b, nodes, weights, args, np)
        self.last = (a, b, np.abs(difference))
        return estimate

    def estimate_error(self, f: Callable[..., Any], a: Any, b: Any, args: tuple[Any, ...] = ()) -> Any:
        if self.last is not None and self.last[0] is a and self.last[1] is b:
            return self.last[2]
        return self.rule.estimate_error(f, a, b, args)


def integral_by_nested_quad(
    integrand: Callable[[np.ndarray], np.ndarray],
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    cuts: Sequence[Sequence[float]],
    epsabs: float = 1e-9,
    epsrel: float = 1e-6,
) -> OracleValue:
    """``∫_box g`` in 2 dimensions by nested adaptive QUADPACK (``scipy.integrate.nquad``).

    Slower than cubature (a Python call per node) but it adapts each axis separately,
    so it resolves ridges that defeat a product rule; ``cuts`` are each axis's
    breakpoints. The error estimate is the outer quad's (which already carries the
    inner ones' through their values); any QUADPACK warning raises :class:`OracleError`.
    """
    if len(lower) != 2:
        raise ValueError(f"integral_by_nested_quad integrates in 2 dimensions, got {len(lower)}")

    def scalar(t0: float, t1: float) -> float:
        return float(integrand(np.array([[t0, t1]]))[0])

    # nquad integrates its first argument innermost; ranges and opts follow argument order.
    options = [{"points": list(axis_cuts), "limit": 200, "epsabs": epsabs, "epsrel": epsrel} for axis_cuts in cuts]
    with warnings.catch_warnings():
        warnings.simplefilter("error", integrate.IntegrationWarning)
        try:
            value, error = integrate.nquad(scalar, [(lower[0], upper[0]), (lower[1], upper[1])], opts=options)
        except integrate.IntegrationWarning as warning:
            raise OracleError(f"nested quad on the box {lower}..{upper} did not converge: {str(warning).splitlines()[0]}") from None
    if not math.isfinite(value):
        raise OracleError(f"nested quad on the box {lower}..{upper} returned {value}")
    return OracleValue(float(value), float(error), f"nested adaptive quad, error estimate {error:.1e}")


def integral_by_cubature(integrand: Callable[[np.ndarray], np.ndarray], lower: np.ndarray, upper: np.ndarray, **options: object) -> OracleValue:
    """``∫_box g`` for a scalar integrand ``(m, dim) -> (m,)``; options as :func:`integrals_by_cubature`."""
    result = integrals_by_cubature(integrand, lower, upper, **options)
    rule = options.get("rule") or ("gk21" if len(lower) <= 2 else "gk15")
    return OracleValue(float(result.estimate), float(result.error), f"adaptive cubature ({rule}), error estimate {float(result.error):.1e}")
