"""Strategies for KL divergences: pmfs with zeros, products of pmfs, and pairs of 1-D densities.

Pmf weights are ``10**e`` with exponents drawn in ``[-6, 0]`` (so no weight underflows
and ratios stay within 10⁶), then masked to zero where a drawn boolean says so and
normalised. The relation between ``p`` and ``q`` is drawn: equal, ``q`` of full
support (``p ≪ q``), or independent, which puts zeros in ``p``, in ``q``, and where
``p > 0 = q``. Density pairs are drawn from families only in combinations whose KL is
finite (:func:`theorems.densities.finite_kl_expected`).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra.numpy import arrays

from theorems.strategies._domain import one_of_values, require_size

from theorems.densities import (
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
from theorems.kl import IndependentPmfs, PmfPair

__all__ = ["density_pairs", "densities", "independent_pmfs", "pmf_pairs", "pmfs"]


def pmfs(size: int, *, zeros: bool = True, smallest_exponent: float = -320.0) -> st.SearchStrategy[np.ndarray]:
    """A pmf on ``size`` points; with ``zeros``, some entries (never all) are exactly 0.

    Entries are normalised weights ``10**e``, ``e`` from ``smallest_exponent`` (default:
    into the subnormals) to 0.

    >>> from theorems.strategies import pmfs
    >>> float(pmfs(4).example().sum())
    1.0
    """
    if not -324 < smallest_exponent <= 0:
        raise InvalidArgument(f"smallest_exponent={smallest_exponent!r} must be in (-324, 0]")
    return _pmfs(require_size("size", size), zeros, smallest_exponent)


# Weights 10**e over the whole double range: down to the smallest normal (about 1e-308)
# and into the subnormals (10**-320), so that an implementation that clamps a probability
# at machine epsilon, or adds one to q, meets entries where that changes the value; a pmf
# with one weight near 1 and the rest below 1e-16 has an entry within an ulp of 1.
SMALLEST_EXPONENT = -320.0


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


def pmf_pairs(*, support: int | tuple[int, ...] | range | None = None) -> st.SearchStrategy[PmfPair]:
    """``(p, q)`` on the same ``k`` points: equal, ``q`` of full support, or independent (zeros anywhere).

    ``support`` restricts k (1 to 8, 64 or 1024; a value or a collection; None: any).

    >>> from theorems.strategies import pmf_pairs
    >>> len(pmf_pairs(support=3).example().p)
    3
    """
    return _pmf_pairs(one_of_values("support", support, SUPPORTS), SMALLEST_EXPONENT)


@st.composite
def _pmf_pairs(draw: st.DrawFn, sizes: st.SearchStrategy[int], smallest_exponent: float) -> PmfPair:
    k = draw(sizes)
    p = draw(pmfs(k, smallest_exponent=smallest_exponent))
    relation = draw(st.sampled_from(["independent", "equal", "q full support"]))
    if relation == "equal":
        return PmfPair(p=p, q=p.copy())
    return PmfPair(p=p, q=draw(pmfs(k, zeros=relation == "independent", smallest_exponent=smallest_exponent)))


def independent_pmfs(
    *, factors: int | tuple[int, ...] | None = None, support: int | tuple[int, ...] | range | None = None
) -> st.SearchStrategy[IndependentPmfs]:
    """2 or 3 independent factors of 1 to 4 points each (joint sets of up to 64 points).

    ``factors`` restricts their number (2, 3), ``support`` the points of each (1 to 4).

    >>> from theorems.strategies import independent_pmfs
    >>> len(independent_pmfs(factors=3).example().p_factors)
    3
    """
    return _independent_pmfs(one_of_values("factors", factors, (2, 3)), one_of_values("support", support, FACTOR_SUPPORTS))


@st.composite
def _independent_pmfs(draw: st.DrawFn, counts: st.SearchStrategy[int], sizes: st.SearchStrategy[int]) -> IndependentPmfs:
    count = draw(counts)
    # Each factor's entries reach 10**(SMALLEST_EXPONENT / count): the joint's products reach
    # the subnormals (about 1e-320) and never underflow to 0, which would turn a finite
    # D into +inf for a reason that is the representation's, not the theorem's.
    pairs = [draw(_pmf_pairs(sizes, SMALLEST_EXPONENT / count)) for _ in range(count)]
    return IndependentPmfs(p_factors=tuple(pair.p for pair in pairs), q_factors=tuple(pair.q for pair in pairs))


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
