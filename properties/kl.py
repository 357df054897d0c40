"""Strategies for KL divergences: pmfs with zeros, products of pmfs, and pairs of 1-D densities.

Pairs of pmfs are drawn class by class, the structural classes a mistake hides in
(the covered assumptions of ``kl-nonnegativity`` and ``kl-additivity``): p's support
size (``size``: a point mass, two points, three or more), where the zeros are
(``zeros``: none; ``p_i = 0 < q_i``; ``p_i = q_i = 0``; ``p_i > 0 = q_i``, where D = +∞)
and whether p or q is near a point mass (``degenerate``: an entry within an ulp of 1,
the others at subnormal scale). Regular weights are ``10**e`` with ``e`` in ``[-300, 0]``;
near point masses have one weight 1 and the others ``10**e`` with ``e`` in
``[-320, -308]``. :func:`classify_pmf_pair` and :func:`classify_independent_pmfs` map an
example onto its classes. Density pairs are drawn from families only in combinations
whose KL is finite (:func:`theorems.oracles.densities.finite_kl_expected`).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra.numpy import arrays

from theorems.strategies._domain import one_of_values, require_size

from theorems.oracles.densities import (
    Density1D,
    beta_density,
    finite_kl_expected,
    laplace_density,
    logistic_density,
    normal_density,
    normal_mixture_density,
    student_t_density,
    uniform_density,
)
from theorems.kl.check import IndependentPmfs, PmfPair

__all__ = ["classify_independent_pmfs", "classify_pmf_pair", "density_pairs", "densities", "independent_pmfs", "pmf_pairs", "pmfs"]


# Weights 10**e over the whole double range: down to the smallest normal (about 1e-308)
# and into the subnormals (10**-320), so that an implementation that clamps a probability
# at machine epsilon, or adds one to q, meets entries where that changes the value; a pmf
# with one weight near 1 and the rest below 1e-16 has an entry within an ulp of 1.
SMALLEST_EXPONENT = -320.0


def pmfs(size: int, *, zeros: bool = True, smallest_exponent: float = SMALLEST_EXPONENT) -> st.SearchStrategy[np.ndarray]:
    """A pmf on ``size`` points; with ``zeros``, some entries (never all) are exactly 0.

    Entries are normalised weights ``10**e``, ``e`` from ``smallest_exponent`` (default:
    into the subnormals) to 0.

    The entries are normalised in float64, so they sum to 1 only within rounding: three
    additions for the total, one division per entry, three additions again for the sum
    below, γ_7 = 7u/(1 − 7u) with u = 2^-53 (Higham's lemma 3.3; a subnormal quotient's
    absolute error, 2^-1075 at most, is far below the room γ_7 leaves above 7u).

    >>> from theorems.oracles.tolerance import U64, gamma
    >>> from theorems.strategies import pmfs
    >>> p = pmfs(4).example()
    >>> bool(abs(p.sum() - 1) <= gamma(7, U64))
    True
    """
    if not -324 < smallest_exponent <= 0:
        raise InvalidArgument(f"smallest_exponent={smallest_exponent!r} must be in (-324, 0]")
    return _pmfs(require_size("size", size), zeros, smallest_exponent)


@st.composite
def _pmfs(draw: st.DrawFn, size: int, zeros: bool, smallest_exponent: float) -> np.ndarray:
    exponents = draw(arrays(np.float64, (size,), elements=st.floats(min_value=smallest_exponent, max_value=0.0, width=64)))
    weights = 10.0**exponents
    if zeros:
        mask = draw(arrays(np.bool_, (size,)))
        if mask.all():
            mask[draw(st.integers(0, size - 1))] = False
        weights[mask] = 0.0
    return weights / weights.sum()


# Small supports, where every structural case is close at hand, and two large ones.
SUPPORTS = (*range(1, 9), 64, 1024)
FACTOR_SUPPORTS = (1, 2, 3, 4)

# The structural classes, the theorems' covered assumptions (see the module docstring).
SIZES = ("1", "2", "large")
ZEROS = ("none", "p", "q", "both")
DEGENERATE = (False, True)
# A pair is in the class of its most telling zero: p_i > 0 = q_i (D = +inf) before
# p_i = q_i = 0 (0 log(0/0) = 0) before p_i = 0 < q_i (0 log 0 = 0).
_ZERO_RANK = {"none": 0, "p": 1, "both": 2, "q": 3}

# The spacing of doubles at 1 (Higham 2002 §2.1): "within an ulp of 1" is |1 − x| ≤ 2^-52.
ULP_OF_ONE = 2.0**-52
SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)
# Regular pmfs: weights 10**e, e in [-300, 0], times a ramp 1..n (so that the simplest
# example is not uniform): after normalising up to 1024 of them every entry is above
# 1e-306, a normal double; the second largest is lifted to 1e-15 of the largest, so
# the largest entry is at most 1/(1 + 1e-15) < 1 − 2^-52: a regular pmf with two or more
# points is never within an ulp of a point mass.
REGULAR_SMALLEST_EXPONENT = -300.0
DYNAMIC_RANGE = 1e-15
# Near point masses: one weight 1, the others 10**e at subnormal scale (10**-308 is below
# the smallest normal, 2.2e-308); a nudge of 1e-16 to 2e-16 on one of them puts the
# dominant entry at 1 − 2^-52, an ulp below 1, instead of at 1.
TINY_EXPONENTS = (-320.0, -308.0)
NUDGE_EXPONENTS = (-16.0, -15.7)


def _chosen(name: str, given: Any, allowed: tuple[Any, ...]) -> tuple[Any, ...]:
    """The ``allowed`` values ``given`` names, in their order (all for None); InvalidArgument as ``one_of_values``."""
    one_of_values(name, given, allowed)
    if given is None:
        return allowed
    chosen = tuple(given) if isinstance(given, (tuple, list, set, frozenset, range)) else (given,)
    return tuple(value for value in allowed if any(value == c and isinstance(value, bool) == isinstance(c, bool) for c in chosen))


def pmf_pairs(
    *,
    support: int | tuple[int, ...] | range | None = None,
    size: str | tuple[str, ...] | None = None,
    zeros: str | tuple[str, ...] | None = None,
    degenerate: bool | tuple[bool, ...] | None = None,
) -> st.SearchStrategy[PmfPair]:
    """``(p, q)`` on the same ``k`` points, drawn class by class (each a value or a collection; None: any).

    ``support`` restricts k (1 to 8, 64 or 1024). ``size`` restricts p's support size, the
    points where ``p > 0``: ``"1"`` (a point mass), ``"2"``, ``"large"`` (3 or more).
    ``zeros`` restricts the zeros of the pair: ``"none"``; ``"p"``, some ``p_i = 0 < q_i``
    (and no other kind); ``"both"``, some ``p_i = q_i = 0`` and no ``p_i > 0 = q_i``;
    ``"q"``, some ``p_i > 0 = q_i``, so ``D = +∞``. ``degenerate`` restricts whether p or q
    is near a point mass: an entry within an ulp of 1 (1 itself, with other entries)
    and the others at subnormal scale, or a one-point pmf ``[1 − 2^-53]`` (a sum of 1
    within rounding, which the contract accepts); False: every nonzero entry is a
    normal double and none is within an ulp of 1 unless the pmf is an exact point mass.
    Equal pairs ``q = p`` are drawn too. A class that no allowed k can hold is relaxed,
    ``size`` first, then ``zeros`` (``support=1`` holds only ``zeros="none"``).

    >>> from theorems.strategies import pmf_pairs
    >>> len(pmf_pairs(support=3).example().p)
    3
    >>> pair = pmf_pairs(size="1", zeros="q").example()
    >>> int((pair.p > 0).sum()), bool(((pair.p > 0) & (pair.q == 0)).any())
    (1, True)
    """
    return _classed_pairs(
        _chosen("support", support, SUPPORTS), _chosen("size", size, SIZES), _chosen("zeros", zeros, ZEROS), _chosen("degenerate", degenerate, DEGENERATE)
    )


def _support_sizes(k: int, size: str | None, zeros: str) -> tuple[int, int] | None:
    """The bounds on p's support size s on k points for the classes, or None if none fits."""
    low, high = {"1": (1, 1), "2": (2, 2), "large": (3, k), None: (1, k)}[size]
    # none: p and q positive everywhere; p, both: a point outside p's support; q: a zero
    # of q in p's support and a positive q_i somewhere, which needs two points.
    zero_low, zero_high = {"none": (k, k), "p": (1, k - 1), "both": (1, k - 1), "q": (1, k if k >= 2 else 0)}[zeros]
    low, high = max(low, zero_low), min(high, zero_high)
    return (low, high) if low <= high else None


def _layout(draw: st.DrawFn, supports: tuple[int, ...], size: str | None, zeros: str) -> tuple[int, int, str]:
    """``(k, s, zeros)``: k points, p positive on the first s; the class relaxed (size, then zeros) if no k holds it."""
    fits = [k for k in supports if _support_sizes(k, size, zeros)]
    if not fits:
        size, fits = None, [k for k in supports if _support_sizes(k, None, zeros)]
    if not fits:
        zeros, fits = "none", list(supports)
    k = draw(_sampled(tuple(fits)))
    low, high = _support_sizes(k, size, zeros)  # type: ignore[misc]
    return k, draw(_integers(low, high)), zeros


@st.composite
def _classed_pairs(draw: st.DrawFn, supports: tuple[int, ...], sizes: tuple[str, ...], zeros: tuple[str, ...], degenerate: tuple[bool, ...]) -> PmfPair:
    size, zero_class, near = draw(_sampled(sizes)), draw(_sampled(zeros)), draw(_sampled(degenerate))
    k, s, zero_class = _layout(draw, supports, size, zero_class)
    return _pair(draw, k, s, zero_class, near, 1)


# The helpers below draw inside a composite strategy (``draw`` passed on) from cached leaf
# strategies: a strategy built afresh at each draw is validated afresh, which took a third
# of the time of drawing independent pmfs.
def _sampled(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    # Keyed with the values' types: (True,) == (1,), and a flag is not a number.
    return _sampled_by_type(tuple((type(value), value) for value in values))


@functools.lru_cache(maxsize=None)
def _sampled_by_type(typed: tuple[tuple[type, Any], ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(tuple(value for _, value in typed))


@functools.lru_cache(maxsize=None)
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.lru_cache(maxsize=None)
def _masks(n: int) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.bool_, (n,))


@functools.lru_cache(maxsize=None)
def _exponents(n: int, low: float, high: float) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, (n,), elements=st.floats(low, high, width=64))


_SEEDS = st.integers(0, 2**32 - 1)
_FLAGS = st.booleans()
_NUDGES = st.floats(*NUDGE_EXPONENTS, width=64)


def _pair(draw: st.DrawFn, k: int, s: int, zeros: str, near: bool, factors: int) -> PmfPair:
    """A pair on k points in the zero class, p positive on s of them, p or q near a point mass if ``near``.

    Laid out with p's support first, then permuted; p's weights ramp up and q's down, so
    that even the simplest example has ``p ≠ q``. Each pmf's entries are scaled for
    ``factors`` independent components (:func:`independent_pmfs`).
    """
    q_positive = _q_support(draw, k, s, zeros)
    near_p = near and s >= 2 and not draw(_FLAGS)
    near_q = near and (not near_p or not draw(_FLAGS))
    p = np.zeros(k)
    p[:s] = _weights(draw, s, near_p, False, factors)
    if zeros in ("none", "both") and (near_p or not near) and draw(_FLAGS):
        q = p.copy()
    else:
        q = np.zeros(k)
        q[q_positive] = _weights(draw, int(q_positive.sum()), near_q, True, factors)
    # The points' order from a drawn seed (st.permutations draws k − 1 integers: a third of
    # the time of a pair on 1024 points); seed 0, the simplest, keeps p's support first.
    seed = draw(_SEEDS)
    order = np.random.default_rng(seed).permutation(k) if seed else np.arange(k)
    return PmfPair(p=p[order], q=q[order])


def _q_support(draw: st.DrawFn, k: int, s: int, zeros: str) -> np.ndarray:
    """Where q > 0, p being positive on the first s of the k points."""
    positive = np.ones(k, dtype=bool)
    if zeros == "both":
        zero = draw(_masks(k - s))
        zero[0] = True
        positive[s:] = ~zero
    elif zeros == "q":
        inside, outside = draw(_masks(s)), draw(_masks(k - s))
        inside[0] = True
        positive[:s], positive[s:] = ~inside, ~outside
        if not positive.any():
            positive[s if k > s else s - 1] = True
    return positive


def _weights(draw: st.DrawFn, n: int, near: bool, descending: bool, factors: int) -> np.ndarray:
    """``n`` positive entries summing to 1 (within rounding): regular, or near a point mass.

    For ``factors`` components every exponent is divided by ``factors``: the joint's
    products then reach the same scales (subnormal for near ones, at least 1e-303 for
    regular ones) and never underflow to 0, which would turn a finite D into +inf for a
    reason that is the representation's, not the theorem's.
    """
    if not near:
        exponents = draw(_exponents(n, REGULAR_SMALLEST_EXPONENT / factors, 0.0))
        weights = 10.0**exponents * (np.arange(n, 0, -1.0) if descending else np.arange(1.0, n + 1))
        if n >= 2:
            *_, second, largest = np.argsort(weights, kind="stable")
            weights[second] = max(weights[second], weights[largest] * DYNAMIC_RANGE)
        return weights / weights.sum()
    if n == 1:
        return np.array([1.0 - ULP_OF_ONE / 2])
    low, high = TINY_EXPONENTS
    exponents = draw(_exponents(n, low / factors, high / factors))
    weights = 10.0**exponents
    # p's dominant point comes first, q's last: the simplest near pair has p ≈ 1 where q is tiny.
    dominant = draw(_integers(0, n - 1))
    dominant = n - 1 - dominant if descending else dominant
    weights[dominant] = 1.0
    if draw(_FLAGS):
        weights[(dominant + 1) % n] = 10.0 ** draw(_NUDGES)
    return weights / weights.sum()


def classify_pmf_pair(pair: PmfPair) -> dict[str, Any]:
    """The pair's ``size`` (of p's support), ``zeros`` and ``degenerate`` classes, as :func:`pmf_pairs` draws them."""
    support = int(np.count_nonzero(pair.p))
    return {
        "size": "1" if support == 1 else "2" if support == 2 else "large",
        "zeros": _zero_class(pair.p, pair.q),
        "degenerate": _near_point_mass(pair.p) or _near_point_mass(pair.q),
    }


def _zero_class(p: np.ndarray, q: np.ndarray) -> str:
    if np.any((p > 0) & (q == 0)):
        return "q"
    if np.any((p == 0) & (q == 0)):
        return "both"
    return "p" if np.any(p == 0) else "none"


def _near_point_mass(v: np.ndarray) -> bool:
    """Whether a pmf has a nonzero entry at subnormal scale, or is within an ulp of a point mass but not one."""
    nonzero = v[v > 0]
    if np.any(nonzero < SMALLEST_NORMAL):
        return True
    top = float(nonzero.max())
    return top >= 1 - ULP_OF_ONE and not (len(nonzero) == 1 and top == 1.0)


def independent_pmfs(
    *,
    factors: int | tuple[int, ...] | None = None,
    support: int | tuple[int, ...] | range | None = None,
    zeros: str | tuple[str, ...] | None = None,
    degenerate: bool | tuple[bool, ...] | None = None,
) -> st.SearchStrategy[IndependentPmfs]:
    """2 or 3 independent factors of 1 to 4 points each (joint sets of up to 64 points).

    ``factors`` restricts their number (2, 3), ``support`` the points of each (1 to 4).
    ``zeros`` and ``degenerate`` restrict the classes as in :func:`pmf_pairs`, per
    component: one factor (drawn) is in the class, the others in a class no more telling
    (``zeros``: none < p < both < q, which is also the joint's class) and, when
    ``degenerate``, near a point mass or not as drawn; ``degenerate=False``: none is.

    >>> from theorems.strategies import independent_pmfs
    >>> len(independent_pmfs(factors=3).example().p_factors)
    3
    """
    return _independent_pmfs(
        _chosen("factors", factors, (2, 3)), _chosen("support", support, FACTOR_SUPPORTS), _chosen("zeros", zeros, ZEROS), _chosen("degenerate", degenerate, DEGENERATE)
    )


@st.composite
def _independent_pmfs(draw: st.DrawFn, counts: tuple[int, ...], supports: tuple[int, ...], zeros: tuple[str, ...], degenerate: tuple[bool, ...]) -> IndependentPmfs:
    count, zero_class, near = draw(_sampled(counts)), draw(_sampled(zeros)), draw(_sampled(degenerate))
    chosen = draw(_integers(0, count - 1))
    pairs = []
    for factor in range(count):
        if factor == chosen:
            factor_zeros, factor_near = zero_class, near
        else:
            factor_zeros = draw(_sampled(tuple(z for z in ZEROS if _ZERO_RANK[z] <= _ZERO_RANK[zero_class])))
            factor_near = near and not draw(_FLAGS)
        # Two points first: the simplest example's factors are not point masses.
        size = draw(_sampled(("2", "1", "large")))
        k, s, factor_zeros = _layout(draw, supports, size, factor_zeros)
        pairs.append(_pair(draw, k, s, factor_zeros, factor_near, count))
    return IndependentPmfs(p_factors=tuple(pair.p for pair in pairs), q_factors=tuple(pair.q for pair in pairs))


def classify_independent_pmfs(case: IndependentPmfs) -> dict[str, Any]:
    """The number of ``factors``, the most telling factor's ``zeros`` class, and whether any factor is ``degenerate``."""
    pairs = [PmfPair(p, q) for p, q in zip(case.p_factors, case.q_factors)]
    return {
        "factors": len(pairs),
        "zeros": max((_zero_class(pair.p, pair.q) for pair in pairs), key=_ZERO_RANK.__getitem__),
        "degenerate": any(_near_point_mass(pair.p) or _near_point_mass(pair.q) for pair in pairs),
    }


def _locations() -> st.SearchStrategy[float]:
    return st.floats(min_value=-2.0, max_value=2.0, width=64)


def _scales() -> st.SearchStrategy[float]:
    return st.floats(min_value=-0.5, max_value=0.5, width=64).map(lambda e: 10.0**e)


FAMILIES = ("normal", "laplace", "logistic", "student-t", "mixture", "uniform", "beta")


def densities(*, families: tuple[str, ...] | None = None, min_nu: float = 1.5) -> st.SearchStrategy[Density1D]:
    """A density from one of the ``families`` (None: all); Student-t has ``ν ∈ [min_nu, 8]`` (heavy tails)."""
    if not 1 < min_nu <= 8:
        raise InvalidArgument(f"min_nu={min_nu!r} must be in (1, 8]: the KL of a Student-t needs a finite mean")
    return _densities(one_of_values("families", families, FAMILIES), min_nu)


@st.composite
def _densities(draw: st.DrawFn, family_names: st.SearchStrategy[str], min_nu: float) -> Density1D:
    family = draw(family_names)
    if family == "normal":
        return normal_density(draw(_locations()), draw(_scales()))
    if family == "laplace":
        return laplace_density(draw(_locations()), draw(_scales()))
    if family == "logistic":
        return logistic_density(draw(_locations()), draw(_scales()))
    if family == "student-t":
        return student_t_density(draw(st.floats(min_value=min_nu, max_value=8.0, width=64)), draw(_locations()), draw(_scales()))
    if family == "mixture":
        return normal_mixture_density(
            draw(st.floats(min_value=0.1, max_value=0.9, width=64)), draw(_locations()), draw(_scales()), draw(_locations()), draw(_scales())
        )
    lower = draw(_locations())
    upper = lower + draw(_scales()) * 2
    if family == "uniform":
        return uniform_density(lower, upper)
    return beta_density(draw(st.floats(1.0, 5.0, width=64)), draw(st.floats(1.0, 5.0, width=64)), lower, upper)


@st.composite
def density_pairs(draw: st.DrawFn, *, min_nu: float = 1.5, families: tuple[str, ...] | None = None) -> tuple[Density1D, Density1D]:
    """``(f, g)`` with ``D(f‖g) < ∞``; a bounded ``f`` may meet a wider uniform ``g``."""
    f = draw(densities(min_nu=min_nu, families=families))
    candidates = [draw(densities(families=(family,), min_nu=min_nu)) for family in ("normal", "laplace", "logistic", "student-t", "mixture")]
    if f.tail == "bounded":
        margin = draw(st.floats(min_value=0.0, max_value=1.0, width=64))
        candidates.append(uniform_density(f.lower - margin, f.upper + margin))
    # A margin of 1 degree of freedom keeps heavy-tailed integrals within quadrature's reach.
    finite = [g for g in candidates if finite_kl_expected(f, g, margin=1.0)]
    return f, draw(st.sampled_from(finite))
