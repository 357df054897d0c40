r"""The mass of ``exp(log_prob)`` over a law's support, from ``log_prob`` alone, with its error bar.

**Continuous laws** (support R, a half-line or an interval, per batch element). The support is cut at
the *anchors*: a centre ``c`` (the law's ``mode``, else its ``mean``, else a finite end or 0: only a
place to start, never trusted: a wrong one costs subdivisions, not correctness) and each finite end;
each piece between an anchor and the midpoint to the next (or infinity) is integrated in the
log-distance from its anchor, ``x = A ± e^t``, ``dx = e^t dt``. A law of any scale (1e-8 or 1e8) is
then a bump of width a few units in ``t``; a power-law tail ``x^{-1-α}`` is ``e^{-α t}``, and an
integrable end singularity ``(x − a)^{α−1}`` is ``e^{α t}``. ``t`` runs from where ``e^t`` is below the
anchor's ulp to ``log`` of the largest double; one adaptive Gauss–Kronrod cubature (scipy's, the
project's :func:`~theorems.oracles.quadrature.integrals_by_cubature`) integrates every piece of
every batch element at once, over ``s ∈ [0, 1]`` mapped linearly onto each piece's ``t`` range.

What the nodes leave out is bounded by the local exponent ``β`` of ``g(t) = e^t p(A ± e^t)`` at the
piece's ends (``g ~ e^{βt}``: the mass beyond is ``g/|β|``): between a finite end and its first node,
and beyond the last node towards infinity. Where ``β`` does not decay the mass is not bounded: the
example is undecidable (:class:`Undecidable`), as is one whose left-out mass exceeds
:data:`LEFT_OUT_LIMIT` or whose rounding allowance makes the comparison meaningless.

Rounding of one element, ``u`` float64's unit roundoff, beside the cubature's estimate:

* the terms a closed form combines: ``γ_K (1 + |log p| + Σ_θ |θ|(1 + |log|θ||))`` relatively on
  each density value (``lgamma(θ) ~ θ log θ``, ``θ log`` of another parameter; Higham §3.1), so
  ``γ_K ∫ p (1 + |log p| + S_θ)``;
* the point itself: ``x = A ± e^t`` is rounded to ``x(1 + δ)``, ``|δ| ≤ u``, which moves ``log p`` by
  ``u |x ∂ₓ log p|`` (autograd's derivative): ``u ∫ p |x ∂ₓ log p|``.

**Discrete laws** on the integers: the exact sum over a finite support (Bernoulli, Binomial,
Categorical), or over a window grown by doubling until both tails are bounded by the ratio ``r`` of
consecutive terms at its edges (the ratio is monotone past the window, every torch law's is:
Poisson ``λ/(k+1)``, Geometric ``1 − p``, NegativeBinomial ``p(k + n)/(k + 1)``; the tail is at most
``p_K r/(1 − r)``, doubled for a ratio still approaching its limit); rounding ``γ_K Σ p_k (1 + |log p_k| + S_θ)``
plus the pairwise sum's ``log₂(n) u Σ p_k``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import distributions as D
from torch.distributions import constraints as C

from theorems.log_prob_normalises.hints import centre_hints, vanished
from theorems.oracles.quadrature import OracleError, integrals_by_cubature, integrals_by_cubature_per_region
from theorems.oracles.tolerance import U64, gamma

__all__ = ["LEFT_OUT_LIMIT", "MASS", "Integrals", "LogProbFailed", "Mass", "Pieces", "Undecidable", "Weight", "cut", "integrals_by_quadrature",
           "log_prob_and_slope", "mass_by_quadrature", "mass_by_sum", "parameter_terms", "rule_points", "Window", "composite_rule", "window_by_doubling"]

# Rounded operations (and special functions within a few ulps) one log_prob may take.
DENSITY_OPERATIONS = 64
# Past this much mass left out of the nodes (or this rounding allowance), the comparison with 1 has no power left: undecidable.
LEFT_OUT_LIMIT = 1e-6
# How far the nodes reach: 1e100 from an anchor (the mass beyond is bounded by the tail's exponent;
# far beyond, torch's formulas overflow to NaN where the density is long past zero), and no nearer
# to a finite end at 0 than 1e-150 (subnormal offsets are quantised, and 1/x² overflows below 1e-154:
# torch's InverseGamma returns +inf there), the mass nearer bounded by the exponent at the end.
LOG_LARGEST = math.log(1e100)
SMALLEST_OFFSET = 1e-150
# Regions the cubature starts with over s ∈ [0, 1]: about 20 units of t each (the t ranges span
# about 900), so that a law's bump, a few units wide, meets several nodes of its first region.
INITIAL_REGIONS = 48
# The most integers a window may sum (one log_prob call of this many values per batch element).
LARGEST_WINDOW = 2**22
# Subdivisions past which the cubature gives up (undecidable): the examples that converge here take
# under 100; one that does not would otherwise cost seconds.
MOST_SUBDIVISIONS = 200
# The same, where each initial region is a cubature of its own (integrals_by_quadrature's per_region):
# refined in the order of its errors, an example takes under 60 (measured on the moments' integrands).
MOST_SUBDIVISIONS_PER_REGION = 400


class Undecidable(Exception):
    """The oracle cannot bound its own error on this example (the message says why)."""


class LogProbFailed(Exception):
    """The law's log_prob raised at a point of its support (the implementation's failure)."""


@dataclass(frozen=True)
class Mass:
    """The mass of each batch element, the bar of the oracle on it, and how it was found."""

    value: np.ndarray
    error: np.ndarray  # the cubature's error estimate (0 for a sum)
    rounding: np.ndarray  # rounding, and the mass left out of the nodes, bounded
    how: str


def parameter_terms(parameters: dict[str, torch.Tensor], batch: int) -> np.ndarray:
    """``Σ_θ |θ|(1 + |log|θ||)`` per batch element: the size of the terms a closed form combines."""
    total = np.zeros(batch)
    for value in parameters.values():
        v = np.abs(value.detach().double().numpy()).reshape(batch, -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            total += np.sum(np.where(v > 0, v * (1 + np.abs(np.log(np.where(v > 0, v, 1.0)))), 0.0), axis=1)
    return total


def _log_prob(law: D.Distribution, x: torch.Tensor) -> torch.Tensor:
    try:
        return law.log_prob(x)
    except Exception as error:  # the implementation's own failure, at a point of its support
        raise LogProbFailed(f"log_prob raised {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}") from None


# --- the support --------------------------------------------------------------------------------


def support_ends(support: C.Constraint, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """The ends ``(a, b)`` of a continuous support per batch element (±inf where open-ended)."""
    kind = type(support)
    if kind is C._Real:
        lower, upper = -math.inf, math.inf
    elif kind in (C._GreaterThan, C._GreaterThanEq):
        lower, upper = support.lower_bound, math.inf
    elif kind in (C._Interval, C._HalfOpenInterval):
        lower, upper = support.lower_bound, support.upper_bound
    else:
        raise Undecidable(f"the support {support!r} is not R, a half-line or an interval")

    def ends(value: object) -> np.ndarray:
        array = value.detach().double().numpy() if isinstance(value, torch.Tensor) else np.asarray(value, dtype=float)
        return np.broadcast_to(array, (batch,)).astype(float)

    return ends(lower), ends(upper)


def is_discrete_support(support: C.Constraint) -> bool:
    return type(support) in (C._IntegerInterval, C._IntegerGreaterThan, C._Boolean)


def _centre(law: D.Distribution, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A place inside the support to start from: mode (without one, loc: :mod:`.hints`), else mean, else a finite end, else 0."""
    centre = np.full(a.shape, np.nan)
    for name in centre_hints(law):
        try:
            value = np.broadcast_to(getattr(law, name).detach().double().numpy(), a.shape)
        except Exception:  # a law without it: the next hint
            continue
        centre = np.where(np.isfinite(centre), centre, np.where(np.isfinite(value), value, np.nan))
    inside = np.isfinite(centre) & (centre >= a) & (centre <= b)
    with np.errstate(invalid="ignore"):
        fallback = np.where(np.isfinite(a) & np.isfinite(b), (a + b) / 2, np.where(np.isfinite(a), a, np.where(np.isfinite(b), b, 0.0)))
    return np.where(inside, centre, fallback)


def _ulp(value: np.ndarray) -> np.ndarray:
    return np.maximum(np.spacing(np.abs(value)), np.finfo(np.float64).smallest_subnormal)


@dataclass(frozen=True)
class Pieces:
    """Per column (a batch element, or a batch element's sub-interval), up to four pieces
    ``x = anchor + sign·e^t``, ``t ∈ [low, high]`` (shape ``(4, *columns)``), and a point strictly inside
    the support (``inside``, shape ``columns``), where absent pieces are evaluated (and ignored)."""

    anchor: np.ndarray
    sign: np.ndarray
    low: np.ndarray
    high: np.ndarray
    present: np.ndarray
    open_high: np.ndarray  # the piece reaches infinity: bound the tail beyond ``high``
    open_low: np.ndarray  # the piece starts at a finite end: bound the sliver before ``low``
    inside: np.ndarray

    def points(self, t: np.ndarray) -> np.ndarray:
        """``x`` at ``t`` (shape ``(…, 4, *columns)``), the inside point where a piece is absent."""
        return np.where(self.present, self.anchor + self.sign * np.exp(t), self.inside)


def _pieces(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> Pieces:
    """Centre-left, centre-right, from the lower end rightwards, from the upper end leftwards."""
    shape = (4, *c.shape)
    anchor, low, high = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    sign = np.broadcast_to(np.array([-1.0, 1.0, 1.0, -1.0]).reshape((4,) + (1,) * c.ndim), shape).copy()
    present, open_high, open_low = np.zeros(shape, bool), np.zeros(shape, bool), np.zeros(shape, bool)
    below = 40.0  # e^{-40}·ulp: the centre's own neighbourhood, where x rounds to c and p(c)·e^t integrates exactly
    at_a, at_b = ~(c > a), ~(c < b)
    mid_a = np.where(np.isfinite(a), (a + c) / 2, -np.inf)
    mid_b = np.where(np.isfinite(b), (b + c) / 2, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        # centre leftwards to the lower midpoint (or −∞), rightwards to the upper one (or +∞)
        for row, mid, at_end in ((0, mid_a, at_a), (1, mid_b, at_b)):
            distance = np.abs(c - mid)
            anchor[row], present[row] = c, ~at_end & (distance > 0)
            low[row] = np.log(np.maximum(_ulp(c), SMALLEST_OFFSET)) - below
            high[row] = np.where(np.isfinite(distance), np.log(np.where(distance > 0, distance, 1.0)), LOG_LARGEST)
            open_high[row] = ~np.isfinite(distance)
        # from each finite end towards the centre's midpoint (from the end up to the other end if the centre sits on it)
        for row, end, mid, at_end, far in ((2, a, mid_a, at_a, mid_b), (3, b, mid_b, at_b, mid_a)):
            target = np.where(at_end, far, mid)  # the centre on this end: on to the midpoint towards the other end (or ∞)
            distance = np.abs(target - end)
            anchor[row], present[row] = np.where(np.isfinite(end), end, 0.0), np.isfinite(end) & (distance > 0)
            low[row] = np.log(np.maximum(4 * _ulp(np.where(np.isfinite(end), end, 0.0)), SMALLEST_OFFSET))
            high[row] = np.where(np.isfinite(distance), np.log(np.where(distance > 0, distance, 1.0)), LOG_LARGEST)
            open_high[row], open_low[row] = ~np.isfinite(distance), True
    # Where the centre sits on an end, that end's piece is the whole side (it bounds the sliver at the end).
    present[1] &= ~at_a
    present[0] &= ~at_b
    high = np.where(open_high, LOG_LARGEST, high)
    present &= high > low
    return Pieces(anchor, sign, low, high, present, open_high, open_low, _inside(anchor, sign, low, high, present))


def _inside(anchor: np.ndarray, sign: np.ndarray, low: np.ndarray, high: np.ndarray, present: np.ndarray) -> np.ndarray:
    """A point strictly inside the support per column, where absent pieces are evaluated (and ignored)."""
    first = np.argmax(present, axis=0)[None]

    def at_first(rows: np.ndarray) -> np.ndarray:
        return np.take_along_axis(rows, first, axis=0)[0]

    return at_first(anchor) + at_first(sign) * np.exp((at_first(low) + at_first(high)) / 2)


def cut(law: D.Distribution, a: np.ndarray, b: np.ndarray, centre: np.ndarray | None = None) -> Pieces:
    """The pieces of ``[a, b]`` (ends within the law's support, any shape ending in the batch) at a centre:
    ``centre`` where given and inside, else the law's mode or mean (module docstring)."""
    if centre is None:
        return _pieces(_centre(law, a, b), a, b)
    hint = np.where((centre >= a) & (centre <= b), centre, _centre(law, a, b))
    # A given centre nearer an end than twice the nearest node's offset is moved onto the end: else the end's
    # piece would start past the midpoint between them, and the sliver at the end would be neither
    # integrated nor bounded (the law's own hint is left as it is: log-prob-normalises' runs were made so).
    for end in (a, b):
        with np.errstate(invalid="ignore"):
            near = np.isfinite(end) & (np.abs(hint - end) <= 2 * np.maximum(4 * _ulp(np.where(np.isfinite(end), end, 0.0)), SMALLEST_OFFSET))
        hint = np.where(near, end, hint)
    return _pieces(hint, a, b)


def log_prob_and_slope(law: D.Distribution, x: np.ndarray, *, nan_slope: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``log p`` and ``∂ₓ log p`` at ``x`` (shape ending in the batch); NaN or +inf is the law's failure; a NaN slope is ``nan_slope``."""
    point = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    with torch.enable_grad():
        log_p = _log_prob(law, point)
        if not isinstance(log_p, torch.Tensor) or tuple(log_p.shape) != tuple(point.shape):
            raise LogProbFailed(f"log_prob returned {type(log_p).__name__} of shape {tuple(getattr(log_p, 'shape', ()))} at values of shape {tuple(point.shape)}")
        # A log_prob that reaches x only through comparisons (a uniform law's) has no graph: ∂ₓ log p = 0.
        slope = torch.autograd.grad(log_p.sum(), point, allow_unused=True)[0] if log_p.requires_grad else None
    values = log_p.detach().double().numpy()
    bad = np.isnan(values) | (values == np.inf)
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), bad.shape)
        raise LogProbFailed(f"log_prob returned {values[index]} at x = {x[index]!r}, a point of its support (batch index {index[-1]})")
    slope_values = np.zeros_like(values) if slope is None else np.nan_to_num(slope.detach().double().numpy(), nan=nan_slope, posinf=0.0, neginf=0.0)
    return values, slope_values


@dataclass(frozen=True)
class Weight:
    """A test function ``w``: the oracle integrates ``p·w``. Each callable takes ``x``, ``log p`` and
    ``∂ₓ log p`` (arrays of one shape) and returns, per point, ``w``, its rounding's sensitivity to
    ``log p`` (``|∂(p w)/∂ log p| / p``) and to ``x`` (``|∂(p w)/∂x| / p``)."""

    value: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    per_log_p: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    per_x: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _one(x: np.ndarray, log_p: np.ndarray, slope: np.ndarray) -> np.ndarray:
    return np.ones_like(x)


def _slope_size(x: np.ndarray, log_p: np.ndarray, slope: np.ndarray) -> np.ndarray:
    return np.abs(slope)


MASS = Weight(_one, _one, _slope_size)


@dataclass(frozen=True)
class Integrals:
    """``∫ p·w`` per weight and column (shape ``(weights, *columns)``), with the oracle's bar on each."""

    value: np.ndarray
    error: np.ndarray  # the cubature's error estimate
    rounding: np.ndarray  # rounding, and the integral left out of the nodes, bounded
    how: str
    size: np.ndarray  # ∫|p·w| by the composite rule: the size of what a closed form of it combines


def _left_out(law: D.Distribution, pieces: Pieces, weights: tuple[Weight, ...]) -> np.ndarray:
    """Per weight and column, the integral between each finite end and its first node and beyond the last
    node towards infinity, bounded by the local exponent of ``g(t) = e^t p|w|(A ± e^t)`` (``g ~ e^{βt}``: ``g/|β|``), taken in
    logarithms: g underflows to 0 where the mass lies beyond float64's numbers (LogNormal(loc −1000), thorough seed 2)."""

    def log_g(t: np.ndarray) -> np.ndarray:
        x = pieces.points(t)
        log_p, slope = log_prob_and_slope(law, x)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return np.stack([np.where(pieces.present, t + log_p + np.log(np.abs(w.value(x, log_p, slope))), -np.inf) for w in weights])

    total = np.zeros((len(weights), *pieces.inside.shape))
    for at, step, wanted in ((pieces.low, 1.0, pieces.present), (pieces.high, -1.0, pieces.present & pieces.open_high)):
        edge, inner = log_g(at), log_g(at + step)
        with np.errstate(over="ignore", invalid="ignore"):
            decay = inner - edge  # of log g per unit of t away from the nodes: beyond `at`, g ≤ g(at) e^{−decay·distance}
            # g exactly 0 at the edge leaves nothing out; growing away from the nodes, even from an underflowed value, it bounds nothing.
            bound = np.where(edge == -np.inf, 0.0, np.where(decay > 0, 2 * np.exp(edge) / decay, np.inf))
        total += np.sum(np.where(wanted, bound, 0.0), axis=1)
    return total


def _integrands(law: D.Distribution, pieces: Pieces, weights: tuple[Weight, ...], s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """At ``s`` (shape ``(m,)``): each weight's integrand in s, and its two rounding allowances'
    integrands (module docstring), shape ``(m, weights, 4, *columns)``; and ``|p·w|``'s."""
    width = np.where(pieces.present, pieces.high - pieces.low, 0.0)
    t = pieces.low[None] + s.reshape((-1,) + (1,) * pieces.low.ndim) * width[None]
    x = pieces.points(t)
    log_p, slope = log_prob_and_slope(law, x)
    with np.errstate(over="ignore", invalid="ignore"):
        density = np.where(pieces.present[None], np.exp(log_p + t) * width[None], 0.0)
        positive = density > 0  # 0 · ∞ (a vanished density at a far x) is 0 here

        def stacked(part: Callable[[Weight], np.ndarray]) -> np.ndarray:
            return np.stack([np.where(positive, part(w), 0.0) for w in weights], axis=1)

        value = stacked(lambda w: density * w.value(x, log_p, slope))
        size = stacked(lambda w: density * w.per_log_p(x, log_p, slope) * (1 + np.abs(log_p)))
        return value, size, stacked(lambda w: density * np.abs(x) * w.per_x(x, log_p, slope)), np.abs(value)


def integrals_by_quadrature(law: D.Distribution, pieces: Pieces, terms: np.ndarray, weights: tuple[Weight, ...], *, per_region: bool = False) -> Integrals:
    """``∫ exp(log_prob)·w`` over the pieces of each column, for each weight (module docstring).

    ``per_region``: one cubature per initial region (:func:`~theorems.oracles.quadrature.integrals_by_cubature_per_region`,
    whose docstring says why), with :data:`MOST_SUBDIVISIONS_PER_REGION` subdivisions in all; otherwise
    scipy's split at the regions' edges, as log-prob-normalises' recorded runs were made.
    """
    left_out = _left_out(law, pieces, weights)  # first: a few evaluations that may show the example undecidable
    _decidable(left_out, np.zeros_like(left_out))

    def integrand(s: np.ndarray) -> np.ndarray:
        return _integrands(law, pieces, weights, s[:, 0])[0]

    try:
        if per_region:
            result = integrals_by_cubature_per_region(integrand, np.linspace(0.0, 1.0, INITIAL_REGIONS + 1), rtol=1e-8, atol=1e-12, max_subdivisions=MOST_SUBDIVISIONS_PER_REGION)
        else:
            result = integrals_by_cubature(integrand, np.zeros(1), np.ones(1), rtol=1e-8, atol=1e-12, max_subdivisions=MOST_SUBDIVISIONS, points=[np.array([i / INITIAL_REGIONS]) for i in range(1, INITIAL_REGIONS)])
    except OracleError as error:
        raise Undecidable(str(error)) from None
    value, error = np.asarray(result.estimate).sum(axis=1), np.asarray(result.error).sum(axis=1)
    # The allowances need no ten digits: a composite Gauss–Legendre rule on the initial regions, doubled.
    nodes, rule = composite_rule()
    _, size, moved, magnitude = (np.tensordot(rule, part, axes=1).sum(axis=1) for part in _integrands(law, pieces, weights, nodes))
    # (the size of ∫|p w| itself, undoubled: for the mass it is the integral the cubature finds)
    rounding = gamma(DENSITY_OPERATIONS, U64) * (2 * size + terms * magnitude) + U64 * 2 * moved
    _decidable(left_out, rounding)
    return Integrals(value, error, rounding + left_out, f"adaptive cubature (gk21) in the log-distance from the centre and the ends, error estimate {float(np.max(error)):.1e}", magnitude)


def rule_points(pieces: Pieces) -> tuple[np.ndarray, np.ndarray]:
    """The composite rule's nodes in ``x`` (shape ``(nodes, 4, *columns)``) and their weights in ``x``
    (``Σ f(x)·dx ≈ ∫ f``; 0 on absent pieces): a coarse picture of the density, for searches."""
    nodes, rule = composite_rule()
    width = np.where(pieces.present, pieces.high - pieces.low, 0.0)
    t = pieces.low[None] + nodes.reshape((-1,) + (1,) * pieces.low.ndim) * width[None]
    return pieces.points(t), rule.reshape((-1,) + (1,) * pieces.low.ndim) * width[None] * np.exp(t) * pieces.present[None]


def mass_by_quadrature(law: D.Distribution, batch: int, terms: np.ndarray) -> Mass:
    """``∫ exp(log_prob)`` over the support of each batch element (module docstring)."""
    a, b = support_ends(law.support, batch)
    found = integrals_by_quadrature(law, cut(law, a, b), terms, (MASS,))
    return Mass(found.value[0], found.error[0], found.rounding[0], found.how)


def composite_rule(points: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on each of the initial regions of [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(points)
    edges = np.arange(INITIAL_REGIONS) / INITIAL_REGIONS
    half = 0.5 / INITIAL_REGIONS
    return (edges[:, None] + half * (nodes[None] + 1)).reshape(-1), np.tile(half * weights, INITIAL_REGIONS)


def _decidable(left_out: np.ndarray, rounding: np.ndarray) -> None:
    if not np.all(left_out <= LEFT_OUT_LIMIT):
        raise Undecidable(f"the mass beyond the nodes (at a finite end, or towards infinity) is not bounded below {LEFT_OUT_LIMIT:g}: up to {float(np.max(left_out)):.3g}")
    if not np.all(rounding <= LEFT_OUT_LIMIT):
        raise Undecidable(f"float64 cannot resolve the density: its rounding allowance is {float(np.max(rounding)):.3g}")


# --- the integers ------------------------------------------------------------------------------


def _integer_ends(support: C.Constraint, batch: int) -> tuple[int, np.ndarray]:
    """The lowest integer and the highest per batch element (inf where unbounded)."""
    if type(support) is C._Boolean:
        return 0, np.ones(batch)
    upper = getattr(support, "upper_bound", math.inf)
    upper = upper.detach().double().numpy() if isinstance(upper, torch.Tensor) else np.asarray(upper, dtype=float)
    lower = support.lower_bound
    lower = lower.detach().double().numpy() if isinstance(lower, torch.Tensor) else np.asarray(lower, dtype=float)
    if np.any(lower != np.min(lower)):
        raise Undecidable("batch elements with different lowest integers")
    return int(np.min(lower)), np.broadcast_to(upper, (batch,)).astype(float)


def _pmf(law: D.Distribution, low: int, count: int, high: np.ndarray) -> np.ndarray:
    """``log_prob`` at ``low … low + count − 1`` for each batch element, −inf past its highest integer."""
    k = np.arange(low, low + count, dtype=float)[:, None]
    log_p, _ = _evaluate_plain(law, np.minimum(k, high[None]))
    return np.where(k <= high[None], log_p, -np.inf)


def _evaluate_plain(law: D.Distribution, x: np.ndarray) -> tuple[np.ndarray, None]:
    with torch.no_grad():
        log_p = _log_prob(law, torch.tensor(x, dtype=torch.float64))
    if not isinstance(log_p, torch.Tensor) or tuple(log_p.shape) != x.shape:
        raise LogProbFailed(f"log_prob returned {type(log_p).__name__} of shape {tuple(getattr(log_p, 'shape', ()))} at values of shape {x.shape}")
    values = log_p.double().numpy()
    bad = np.isnan(values) | (values == np.inf)
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), bad.shape)
        raise LogProbFailed(f"log_prob returned {values[index]} at k = {x[index]:g}, an integer of its support (batch index {index[-1]})")
    return values, None


def value_seen(log_p: np.ndarray) -> bool:
    """Every element's window has positive mass and its largest term before its last two."""
    return bool(np.all(np.isfinite(log_p).any(axis=0)) and np.all(np.argmax(log_p, axis=0) < log_p.shape[0] - 2))


@dataclass(frozen=True)
class Window:
    """The integers ``low … low + count − 1`` summed, ``log_prob`` there (shape ``(count, batch)``, −∞ past
    each element's highest integer), and each element's tail past them, bounded."""

    low: int
    log_p: np.ndarray
    tail: np.ndarray
    finite: bool

    @property
    def count(self) -> int:
        return self.log_p.shape[0]

    @property
    def integers(self) -> np.ndarray:
        return np.arange(self.low, self.low + self.count, dtype=float)[:, None]


def window_by_doubling(law: D.Distribution, batch: int) -> Window:
    """The whole of a finite support, or a window doubled until its tail is bounded (module docstring)."""
    low, high = _integer_ends(law.support, batch)
    finite = bool(np.all(np.isfinite(high)))
    count = int(np.max(high)) - low + 1 if finite else 64
    tail = np.zeros(batch)
    while True:
        if count > LARGEST_WINDOW:
            raise Undecidable(f"the sum needs more than {LARGEST_WINDOW} terms before its tail is bounded")
        log_p = _pmf(law, low, count, high)
        if finite:
            break
        last, before = np.exp(log_p[-1]), np.exp(log_p[-2])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = last / before
            # p_K r/(1 − r) for a ratio that keeps falling; doubled for one still rising towards its limit
            tail = np.where((last == 0) & (before == 0), 0.0, np.where(ratio < 1, 2 * last * ratio / (1 - ratio), np.inf))
        # Done once the window holds mass and its last terms are past its largest (a pmf that has not
        # risen yet, all zeros so far, says nothing of its tail).
        if value_seen(log_p) and np.all(tail <= U64 * 1e-2):
            break
        count *= 2
    if np.any(vanished(log_p)):  # every term underflowed, log_prob finite (.hints)
        raise Undecidable(f"every term of the summed window is below float64's range, log_prob finite (at most {float(np.max(log_p)):.4g}): the mass lies beyond any sum")
    return Window(low, log_p, tail, finite)


def pmf_term_size(k: np.ndarray) -> np.ndarray:
    """The size of the terms of k's own that a pmf's log_prob at k combines beside its parameters': log k! and
    lgamma(k + r), of size k·log k, each rounded, so that p_k carries a relative error of about u·k(1 + log(1 + k))
    (thorough seed 2: NegativeBinomial(3.23, logits 6) summed 3.75e-13 short of 1 with the parameters' terms alone;
    seed 1: its variance's sum, weighted by k², 1.7e-12 off). A term k·log p is within it once log(1 + k) exceeds |log p|."""
    size = np.abs(k)
    return size * (1 + np.log1p(size))


def mass_by_sum(law: D.Distribution, batch: int, terms: np.ndarray) -> Mass:
    """``Σ_k exp(log_prob(k))`` over the support of each batch element (module docstring)."""
    window = window_by_doubling(law, batch)
    log_p, count, low = window.log_p, window.count, window.low
    p = np.exp(log_p)
    # Correctly rounded per batch element (math.fsum): numpy's sum down axis 0 of a (count, batch) array
    # is not pairwise but one running sum, whose error grows with count, and it was past the bar below
    # (which counts log2(count) + 1 roundings): Geometric(logits −9) over 524,288 terms came out 3.2e-13
    # short, where the same terms sum to 1 within 2u (thorough, seed 1, would have accused torch).
    value = np.array([math.fsum(column) for column in p.T])
    finite_log = np.where(np.isfinite(log_p), np.abs(log_p), 0.0)
    own = pmf_term_size(low + np.arange(count, dtype=float))[:, None]
    rounding = gamma(DENSITY_OPERATIONS, U64) * ((p * (1 + finite_log + own)).sum(axis=0) + terms * value) + math.ceil(math.log2(count) + 1) * U64 * value
    _decidable(np.zeros(batch), rounding)
    return Mass(value, np.zeros(batch), rounding + window.tail, f"the sum over {count} integers from {low}" + ("" if window.finite else ", the tail past them bounded"))
