r"""An oracle for the KL divergence of continuous densities on R, R² and R³, with its error bar.

``D(f‖g) = ∫ f log(f/g)`` is computed by integration, never by a closed form: the
oracle of the KL theorems (:mod:`theorems.kl.check`) on densities, independent of any
implementation under test.

* :class:`Density1D` and its families (:func:`normal_density`, :func:`laplace_density`,
  :func:`logistic_density`, :func:`student_t_density`, :func:`normal_mixture_density`,
  :func:`uniform_density`, :func:`beta_density`): a vectorised log-density with its
  support, centre, scale, tail class and kinks; :func:`finite_kl_expected` says from the
  tails whether ``D(f‖g)`` is finite.
* :func:`kl_by_quadrature` — 1-D, adaptive Gauss–Kronrod (:func:`theorems.oracles.quadrature.integral_by_quad`)
  over pieces cut at the densities' kinks and twelve scales out
  (:func:`quadrature_breakpoints`).
* :func:`joint_kl_by_cubature` — 2-D and 3-D joint log-densities taken as black boxes,
  adaptive cubature (:func:`theorems.oracles.quadrature.integral_by_cubature`) after mapping each
  unbounded :class:`Axis` onto ``(−1, 1)`` by its tail class (:func:`to_real_line`), the box
  split at every combination of kinks; nested adaptive quad if 2-D cubature fails.

Every value carries the integrator's own error estimate (:class:`~theorems.oracles.quadrature.OracleValue`);
an integrator that does not converge raises :class:`~theorems.oracles.quadrature.OracleError`,
never a pass.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from theorems.oracles.quadrature import (
    OracleError,
    OracleValue,
    integral_by_cubature,
    integral_by_nested_quad,
    integral_by_quad,
)

__all__ = [
    "formulas_agreement_tolerance",
    "ATANH_STRETCH",
    "CUT_GAP",
    "Axis",
    "Density1D",
    "beta_density",
    "finite_kl_expected",
    "from_real_line",
    "joint_kl_by_cubature",
    "kl_by_quadrature",
    "laplace_density",
    "log_ratio_integrand",
    "logistic_density",
    "normal_density",
    "normal_mixture_density",
    "quadrature_breakpoints",
    "separated",
    "student_t_density",
    "to_real_line",
    "uniform_density",
]


@dataclass(frozen=True)
class Density1D:
    """A 1-D density: its log-density (vectorised), support, centre and scale, and tail class.

    ``tail`` is ``"gaussian"`` (log f ~ −x²), ``"exponential"`` (~ −|x|), ``"power"``
    (f ~ |x|^{−(ν+1)}, with ``nu``) or ``"bounded"``; it decides whether a KL is finite.
    ``breakpoints`` are points where the density changes shape (modes, kinks, ends).
    """

    name: str
    logpdf: Callable[[np.ndarray], np.ndarray]
    lower: float
    upper: float
    centre: float
    scale: float
    tail: str
    nu: float = math.inf
    breakpoints: tuple[float, ...] = ()

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return np.exp(self.logpdf(x))

    def __repr__(self) -> str:
        return self.name


def _inside(x: np.ndarray, lower: float, upper: float, values: np.ndarray) -> np.ndarray:
    return np.where((x >= lower) & (x <= upper), values, -np.inf)


def normal_density(mean: float, sd: float) -> Density1D:
    return Density1D(f"N({mean:.3g}, {sd:.3g}²)", lambda x: -0.5 * ((x - mean) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi), -math.inf, math.inf, mean, sd, "gaussian", breakpoints=(mean,))


def laplace_density(mean: float, scale: float) -> Density1D:
    return Density1D(f"Laplace({mean:.3g}, {scale:.3g})", lambda x: -np.abs(x - mean) / scale - math.log(2 * scale), -math.inf, math.inf, mean, scale, "exponential", breakpoints=(mean,))


def logistic_density(mean: float, scale: float) -> Density1D:
    def logpdf(x: np.ndarray) -> np.ndarray:
        z = -np.abs(x - mean) / scale  # symmetric; |·| keeps exp from overflowing
        return z - 2 * np.log1p(np.exp(z)) - math.log(scale)

    return Density1D(f"Logistic({mean:.3g}, {scale:.3g})", logpdf, -math.inf, math.inf, mean, scale, "exponential", breakpoints=(mean,))


def student_t_density(nu: float, mean: float, scale: float) -> Density1D:
    constant = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * math.log(nu * math.pi) - math.log(scale)
    return Density1D(
        f"t_{nu:.3g}({mean:.3g}, {scale:.3g})",
        lambda x: constant - (nu + 1) / 2 * np.log1p(((x - mean) / scale) ** 2 / nu),
        -math.inf, math.inf, mean, scale, "power", nu=nu, breakpoints=(mean,),
    )


def normal_mixture_density(weight: float, mean1: float, sd1: float, mean2: float, sd2: float) -> Density1D:
    def logpdf(x: np.ndarray) -> np.ndarray:
        one = math.log(weight) - 0.5 * ((x - mean1) / sd1) ** 2 - math.log(sd1)
        two = math.log1p(-weight) - 0.5 * ((x - mean2) / sd2) ** 2 - math.log(sd2)
        return np.logaddexp(one, two) - 0.5 * math.log(2 * math.pi)

    centre = weight * mean1 + (1 - weight) * mean2
    return Density1D(
        f"{weight:.3g}·N({mean1:.3g}, {sd1:.3g}²) + {1 - weight:.3g}·N({mean2:.3g}, {sd2:.3g}²)",
        logpdf, -math.inf, math.inf, centre, max(sd1, sd2) + abs(mean1 - mean2), "gaussian", breakpoints=(mean1, mean2),
    )


def uniform_density(lower: float, upper: float) -> Density1D:
    width = upper - lower
    return Density1D(
        f"U[{lower:.3g}, {upper:.3g}]", lambda x: _inside(x, lower, upper, np.full(np.shape(x), -math.log(width))),
        lower, upper, (lower + upper) / 2, width, "bounded", breakpoints=(lower, upper),
    )


def beta_density(alpha: float, beta: float, lower: float, upper: float) -> Density1D:
    """Beta(α, β) on ``[lower, upper]``; α, β ≥ 1 keep the density bounded."""
    width = upper - lower
    constant = -special.betaln(alpha, beta) - math.log(width)

    def logpdf(x: np.ndarray) -> np.ndarray:
        t = np.clip((x - lower) / width, 0.0, 1.0)
        with np.errstate(divide="ignore"):
            values = constant + special.xlogy(alpha - 1, t) + special.xlog1py(beta - 1, -t)
        return _inside(x, lower, upper, values)

    return Density1D(f"Beta({alpha:.3g}, {beta:.3g}) on [{lower:.3g}, {upper:.3g}]", logpdf, lower, upper, (lower + upper) / 2, width, "bounded", breakpoints=(lower, upper))


def finite_kl_expected(f: Density1D, g: Density1D, *, margin: float = 0.0) -> bool:
    """Whether ``D(f‖g) < ∞``: ``supp f ⊆ supp g`` and ``E_f[−log g] < ∞`` (by the tails of ``g``).

    With ``margin > 0`` a power-tailed ``f`` must have ``margin`` more degrees of freedom
    than the moment needs: near the threshold the integrand decays like ``|x|^{−1−ε}``
    and no quadrature converges in reasonable time, though the integral is finite.
    """
    if not (g.lower <= f.lower and f.upper <= g.upper):
        return False
    if g.tail == "gaussian":  # −log g ~ x²: f needs a second moment
        return f.tail != "power" or f.nu > 2 + margin
    if g.tail == "exponential":  # −log g ~ |x|: f needs a first moment
        return f.tail != "power" or f.nu > 1 + margin
    return True  # power tails (−log g ~ log|x|) and bounded g containing supp f


def formulas_agreement_tolerance(first: np.ndarray, second: np.ndarray, density: Density1D, x: np.ndarray) -> np.ndarray:
    """How far two independent formulas of ``density``'s log-density may differ at ``x`` by rounding alone.

    Each takes at most eight roundings (shift, divide, square or abs, scale, one log or log1p,
    the normalising constants, two adds), each within u of a term no larger than
    |log f| + |log scale| + log 2π + ((x − centre)/scale)² + 1; and each rounds its standardised
    argument ((x − centre)/scale, (x − lower)/width) within 2u of |x| + |centre| + scale, which
    moves log f by its slope times that (near a Beta's end the slope is large). Both sides
    round, each within that against the exact value: hence the factor 2.
    """
    from theorems.oracles.tolerance import U64, gamma

    terms = np.abs(first) + np.abs(second) + abs(math.log(density.scale)) + math.log(2 * math.pi) + ((x - density.centre) / density.scale) ** 2 + 1
    step = 1e-6 * density.scale
    inside = np.clip(x, density.lower + step, density.upper - step) if not math.isinf(density.lower) else x
    slope = np.abs(density.logpdf(inside + step) - density.logpdf(inside - step)) / (2 * step)
    return 2 * gamma(8, U64) * terms + 2 * gamma(2, U64) * slope * (np.abs(x) + abs(density.centre) + density.scale)


def log_ratio_integrand(f: Density1D, g: Density1D) -> Callable[[np.ndarray], np.ndarray]:
    """``f (log f − log g)`` with ``0 log 0 = 0``; vectorised."""

    def integrand(x: np.ndarray) -> np.ndarray:
        log_f, log_g = f.logpdf(x), g.logpdf(x)
        with np.errstate(invalid="ignore"):
            return np.where(np.isneginf(log_f), 0.0, np.exp(log_f) * (log_f - log_g))

    return integrand


def quadrature_breakpoints(densities: tuple[Density1D, ...], lower: float, upper: float) -> list[float]:
    """``lower``, the densities' own breakpoints and ±12 scales around them, ``upper``: the pieces for quad."""
    scale = max(d.scale for d in densities)
    inner = {b for d in densities for b in d.breakpoints} | {d.centre + s * 12 * scale for d in densities for s in (-1, 1)}
    # Points a rounding error apart (−12 and shift − 12 for a shift of 8e-15) would make
    # a piece QUADPACK cannot subdivide; merged, the integral still covers the line.
    return [lower, *separated(sorted(x for x in inner if lower < x < upper), CUT_GAP * scale), upper]


def kl_by_quadrature(f: Density1D, g: Density1D) -> OracleValue:
    """``∫ f log(f/g)`` over ``supp f`` by adaptive quadrature, piecewise (raises OracleError if it fails)."""
    integrand = log_ratio_integrand(f, g)
    oracle = integral_by_quad(lambda x: float(integrand(np.asarray(x))), quadrature_breakpoints((f, g), f.lower, f.upper))
    return oracle


# Stretch of the artanh map for light (exponential or Gaussian) tails, in units of the
# coordinate's scale s: a tail e^{−|x|/s} becomes (1 − t)^{ATANH_STRETCH/2}, so the
# integrand vanishes to fourth order at t = ±1 and Gauss–Kronrod converges without
# refining along the box's edges. Measured on the ci examples of the 2-D additivity
# property: stretch 8 needs 10 subdivisions on average, the rational map t/(1 − t²)
# 58 and stretch 4 21 (the rational map squeezes a light tail into a thin layer at the
# edge, which 2-D adaptive cubature can only resolve by refining the whole edge).
ATANH_STRETCH = 8.0


@dataclass(frozen=True)
class Axis:
    """How to lay out one coordinate for cubature: support, centre, scale, tail class and kinks.

    Taken from the marginal of ``f`` (and the kinks of ``g``); it decides only the
    substitution and where the box is split, never what is integrated.
    """

    lower: float
    upper: float
    centre: float
    scale: float
    tail: str
    breakpoints: tuple[float, ...] = ()

    @classmethod
    def of(cls, f: Density1D, g: Density1D | None = None) -> Axis:
        kinks = set(f.breakpoints) | (set(g.breakpoints) if g is not None else set())
        return cls(f.lower, f.upper, f.centre, f.scale, f.tail, tuple(sorted(kinks)))

    @property
    def unbounded(self) -> bool:
        return math.isinf(self.lower) or math.isinf(self.upper)


def to_real_line(t: np.ndarray, axis: Axis) -> tuple[np.ndarray, np.ndarray]:
    """``x(t)`` mapping ``(−1, 1)`` onto ``R`` and ``dx/dt``, chosen by the tail class.

    Power tails: ``x = c + s t/(1 − t²)`` (a tail ``|x|^{−ν−1}`` becomes ``(1 − t)^{ν−1}``);
    light tails: ``x = c + k s artanh t`` with ``k = ATANH_STRETCH``.
    """
    if axis.tail == "power":
        squeeze = 1 - t**2
        return axis.centre + axis.scale * t / squeeze, axis.scale * (1 + t**2) / squeeze**2
    stretch = ATANH_STRETCH * axis.scale
    return axis.centre + stretch * np.arctanh(t), stretch / (1 - t**2)


def from_real_line(x: float, axis: Axis) -> float:
    """The inverse of :func:`to_real_line` at one point."""
    offset = x - axis.centre
    if axis.tail == "power":
        return 0.0 if offset == 0 else (-axis.scale + math.sqrt(axis.scale**2 + 4 * offset**2)) / (2 * offset)
    return math.tanh(offset / (ATANH_STRETCH * axis.scale))


# Cuts closer than this fraction of an axis are merged (see :func:`separated`).
CUT_GAP = 1e-6


def separated(cuts: list[float], gap: float) -> list[float]:
    """Sorted ``cuts`` less those within ``gap`` of the previous one kept.

    Two kinks 1e-207 apart (a location that shrank to nearly 0 beside one at 0) would
    make a sliver region whose error estimate never settles; a kink that close to a
    cut is left to the adaptive subdivision instead. The gap must stay tiny: a kink
    left inside a region at distance δ from its edge changes the integral by about
    |jump of the derivative|·δ²/2, which the region's Gauss–Kronrod error estimate
    does not see (a 2e-3 gap dropped a Laplace kink 1.2e-3 away: error 4e-6 against an
    estimate of 1e-7, found by the thorough profile).
    """
    kept: list[float] = []
    for cut in cuts:
        if not kept or cut - kept[-1] > gap:
            kept.append(cut)
    return kept


def joint_kl_by_cubature(
    log_f: Callable[[np.ndarray], np.ndarray],
    log_g: Callable[[np.ndarray], np.ndarray],
    axes: list[Axis],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> OracleValue:
    """``∫ f log(f/g)`` over ``R^d`` (d = 2, 3) for joint log-densities taken as black boxes.

    A bounded coordinate is integrated over ``[lower, upper]``, an unbounded one through
    :func:`to_real_line` (Gauss–Kronrod nodes never touch ``t = ±1``). The box is split
    at every combination of the axes' breakpoints (kinks of Laplace densities, modes),
    so that no kink lies inside a region. The logarithm sees the whole joint
    ``f(x)/g(x)``; nothing is split by coordinate.
    """
    lower = np.array([-1.0 if axis.unbounded else axis.lower for axis in axes])
    upper = np.array([1.0 if axis.unbounded else axis.upper for axis in axes])
    cuts = []
    for axis, lo, hi in zip(axes, lower, upper):
        inside = [from_real_line(b, axis) if axis.unbounded else b for b in axis.breakpoints]
        cuts.append(separated(sorted(c for c in inside if lo < c < hi), CUT_GAP * (hi - lo)) or [0.5 * (lo + hi)])
    points = [np.array(point) for point in itertools.product(*cuts)]

    def integrand(t: np.ndarray) -> np.ndarray:
        x, jacobian = t.copy(), np.ones(len(t))
        for i, axis in enumerate(axes):
            if axis.unbounded:
                x[:, i], derivative = to_real_line(t[:, i], axis)
                jacobian = jacobian * derivative
        lf, lg = log_f(x), log_g(x)
        with np.errstate(invalid="ignore"):
            return np.where(np.isneginf(lf), 0.0, np.exp(lf) * (lf - lg) * jacobian)

    try:
        return integral_by_cubature(integrand, lower, upper, rtol=rtol, atol=atol, points=points)
    except OracleError:
        if len(axes) != 2:
            raise
        # A steep ridge (a narrow mixture component, a heavy tail after the map) can exhaust
        # cubature's regions; nested adaptive quad resolves each axis on its own. If it
        # fails too, that is the oracle's error, reported, never a pass.
        return integral_by_nested_quad(integrand, lower, upper, cuts=cuts, epsabs=atol, epsrel=rtol)
