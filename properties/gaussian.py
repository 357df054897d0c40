"""Strategies for Gaussians: invertible matrices, covariances of controlled condition, pairs.

Conditioning is drawn explicitly: singular values (or eigenvalues) are ``10**e`` with
exponents in a drawn range, then rotated by orthogonal matrices. A rotation is the
``Q`` of a QR factorisation of a Hypothesis-drawn matrix: Householder QR returns an
orthogonal ``Q`` for *any* input (a degenerate fill included), and an all-zero draw
shrinks to ``Q = I``, so minimal examples are diagonal.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra.numpy import arrays

from theorems.gaussian_density import AffineGaussianCase
from theorems.gaussian_kl import GaussianPair
from theorems.strategies._domain import one_of_values, require_size

__all__ = [
    "MAX_LOG10_CONDITION",
    "affine_gaussian_cases",
    "covariances",
    "diagonal_gaussian_pairs",
    "dimensions",
    "gaussian_pairs",
    "invertible_matrices",
    "rotations",
    "vectors",
]

DIMENSIONS = tuple(range(1, 9))
dimensions = st.sampled_from(DIMENSIONS)

# κ(Σ) ≤ 10**MAX_LOG10_CONDITION: up to nearly singular covariances, where implementations
# that invert Σ or its Cholesky factor carelessly break. The tolerances grow with κ (each
# is derived from it), so at the far end the checks give away up to 12 of float64's 16
# digits; the closed forms stay meaningful there.
MAX_LOG10_CONDITION = 12.0


def _unit_floats(bound: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=-bound, max_value=bound, allow_nan=False, width=64)


def vectors(n: int, *, bound: float = 5.0) -> st.SearchStrategy[np.ndarray]:
    """Vectors of ``n`` floats in ``[-bound, bound]`` (shrinking to 0)."""
    require_size("n", n)
    if not bound > 0:
        raise InvalidArgument(f"bound={bound!r} must be positive")
    return arrays(np.float64, (n,), elements=_unit_floats(bound))


def rotations(n: int) -> st.SearchStrategy[np.ndarray]:
    """An orthogonal ``n × n`` matrix: the ``Q`` of QR of a drawn matrix (``I`` when it shrinks to 0).

    >>> from theorems.strategies import rotations
    >>> rotations(3).example().shape
    (3, 3)
    """
    return _rotations(require_size("n", n))


@st.composite
def _rotations(draw: st.DrawFn, n: int) -> np.ndarray:
    seed_matrix = draw(arrays(np.float64, (n, n), elements=_unit_floats(1.0)))
    q, r = np.linalg.qr(seed_matrix)
    # Fix signs so that a zero (or upper-triangular) draw gives the identity.
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)
    return q * signs


LAYOUTS = ("spread", "repeated", "clustered")


@st.composite
def _log_spectrum(
    draw: st.DrawFn, n: int, *, max_log10_condition: float, scale_exponents: tuple[float, float], layouts: tuple[str, ...] = LAYOUTS
) -> np.ndarray:
    """``10**e`` for ``n`` exponents spanning at most ``max_log10_condition`` decades.

    The layout is drawn first: spread anywhere in the span, one value repeated (Σ = c·I,
    where eigensolvers return arbitrary bases), or clustered within 1e-9 relative of one
    value (where they lose orthogonality, as scipy's default ``evr`` driver does).
    """
    layout = draw(st.sampled_from(layouts))
    low = draw(st.floats(min_value=scale_exponents[0], max_value=scale_exponents[1], width=64))
    span = draw(st.floats(min_value=0.0, max_value=max_log10_condition, width=64))
    fractions = draw(arrays(np.float64, (n,), elements=st.floats(min_value=0.0, max_value=1.0, width=64)))
    if layout == "repeated":
        fractions[:] = fractions[0]
    elif layout == "clustered":
        jitter = draw(arrays(np.float64, (n,), elements=st.floats(min_value=-1.0, max_value=1.0, width=64)))
        return 10.0 ** (low + span * fractions[0]) * (1 + 1e-9 * jitter)
    return 10.0 ** (low + span * fractions)


def covariances(n: int, *, max_log10_condition: float = MAX_LOG10_CONDITION, diagonal: bool = False) -> st.SearchStrategy[np.ndarray]:
    """``Q diag(λ) Qᵀ``, ``λ`` spanning at most ``max_log10_condition`` decades around 1 (symmetrised).

    >>> from theorems.strategies import covariances
    >>> covariances(2, diagonal=True).example().shape
    (2, 2)
    """
    return _covariances(require_size("n", n), _condition(max_log10_condition), diagonal)


def _condition(max_log10_condition: float) -> float:
    if not 0 <= max_log10_condition <= 12:
        raise InvalidArgument(f"max_log10_condition={max_log10_condition!r} must be in [0, 12]")
    return max_log10_condition


@st.composite
def _covariances(draw: st.DrawFn, n: int, max_log10_condition: float, diagonal: bool) -> np.ndarray:
    eigenvalues = draw(_log_spectrum(n, max_log10_condition=max_log10_condition, scale_exponents=(-2.0, 1.0)))
    if diagonal:
        return np.diag(eigenvalues)
    q = draw(rotations(n))
    cov = (q * eigenvalues) @ q.T
    return 0.5 * (cov + cov.T)


def invertible_matrices(
    n: int, *, max_log10_condition: float = MAX_LOG10_CONDITION, singular_values: str | tuple[str, ...] | None = None
) -> st.SearchStrategy[np.ndarray]:
    """``U diag(s) V`` with ``κ(A)² ≤ 10**max_log10_condition`` and a drawn sign of ``det A``.

    >>> from theorems.strategies import invertible_matrices
    >>> invertible_matrices(2).example().shape
    (2, 2)
    """
    return _invertible_matrices(require_size("n", n), _condition(max_log10_condition), _layouts(singular_values))


def _layouts(given: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """The spectrum layouts to draw (``"spread"``, ``"repeated"``, ``"clustered"``), validated; None for all."""
    chosen = LAYOUTS if given is None else (given,) if isinstance(given, str) else tuple(given)
    for layout in chosen:
        if layout not in LAYOUTS:
            raise InvalidArgument(f"singular_values={layout!r} is not possible; expected one of {LAYOUTS!r}")
    if not chosen:
        raise InvalidArgument(f"singular_values={given!r} allows nothing; expected one of {LAYOUTS!r}")
    return chosen


@st.composite
def _invertible_matrices(draw: st.DrawFn, n: int, max_log10_condition: float, layouts: tuple[str, ...]) -> np.ndarray:
    singular = draw(_log_spectrum(n, max_log10_condition=max_log10_condition / 2, scale_exponents=(-1.0, 0.5), layouts=layouts))
    matrix = draw(rotations(n)) @ np.diag(singular) @ draw(rotations(n))
    negative = draw(st.booleans())
    if (np.linalg.det(matrix) < 0) != negative:
        matrix[0] = -matrix[0]
    return matrix


def affine_gaussian_cases(
    *,
    dim: int | tuple[int, ...] | range | None = None,
    max_log10_condition: float = MAX_LOG10_CONDITION,
    singular_values: str | tuple[str, ...] | None = None,
) -> st.SearchStrategy[AffineGaussianCase]:
    """``(A, b)`` and 1–3 points ``x = b + A z``, ``z`` within 4 standard deviations.

    ``dim`` restricts the dimension n (1 to 8; a value or a collection; None: any);
    ``κ(AAᵀ) ≤ 10**max_log10_condition``; ``singular_values`` restricts how A's singular
    values lie (``"spread"``, ``"repeated"`` — A a multiple of an orthogonal matrix —,
    ``"clustered"``; None: all three).

    >>> from theorems.strategies import affine_gaussian_cases
    >>> affine_gaussian_cases(dim=3).example().matrix.shape
    (3, 3)
    """
    return _affine_gaussian_cases(one_of_values("dim", dim, DIMENSIONS), _condition(max_log10_condition), _layouts(singular_values))


@st.composite
def _affine_gaussian_cases(
    draw: st.DrawFn, dims: st.SearchStrategy[int], max_log10_condition: float, layouts: tuple[str, ...]
) -> AffineGaussianCase:
    n = draw(dims)
    matrix = draw(invertible_matrices(n, max_log10_condition=max_log10_condition, singular_values=layouts))
    shift = draw(vectors(n))
    count = draw(st.integers(min_value=1, max_value=3))
    standard = draw(arrays(np.float64, (count, n), elements=_unit_floats(4.0)))
    return AffineGaussianCase(matrix=matrix, shift=shift, points=shift + standard @ matrix.T)


def gaussian_pairs(
    *, dim: int | tuple[int, ...] | range | None = None, diagonal: bool = False, max_log10_condition: float = MAX_LOG10_CONDITION
) -> st.SearchStrategy[GaussianPair]:
    """Two Gaussians ``N(μ0, Σ0)``, ``N(μ1, Σ1)`` on ``R^d`` with ``κ(Σ0), κ(Σ1) ≤ 10**max_log10_condition``.

    ``dim`` restricts d (1 to 8; None: any); ``diagonal`` draws diagonal covariances.

    >>> from theorems.strategies import gaussian_pairs
    >>> gaussian_pairs(dim=1).example().dim
    1
    """
    return _gaussian_pairs(one_of_values("dim", dim, DIMENSIONS), diagonal, _condition(max_log10_condition))


@st.composite
def _gaussian_pairs(draw: st.DrawFn, dims: st.SearchStrategy[int], diagonal: bool, max_log10_condition: float) -> GaussianPair:
    d = draw(dims)
    return GaussianPair(
        mu0=draw(vectors(d, bound=3.0)),
        cov0=draw(covariances(d, diagonal=diagonal, max_log10_condition=max_log10_condition)),
        mu1=draw(vectors(d, bound=3.0)),
        cov1=draw(covariances(d, diagonal=diagonal, max_log10_condition=max_log10_condition)),
    )


def diagonal_gaussian_pairs() -> st.SearchStrategy[GaussianPair]:
    """Pairs with diagonal covariances (independent coordinates), ``d`` from 1 to 8."""
    return gaussian_pairs(diagonal=True)
