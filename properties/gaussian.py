"""Strategies for Gaussians: invertible matrices, covariances of controlled condition, pairs.

Conditioning is drawn explicitly: singular values (or eigenvalues) are ``10**e`` with
exponents in a drawn range, then rotated by orthogonal matrices. A rotation is the
``Q`` of a QR factorisation of a Hypothesis-drawn matrix: Householder QR returns an
orthogonal ``Q`` for *any* input (a degenerate fill included), and an all-zero draw
shrinks to ``Q = I``, so minimal examples are diagonal.

Structural classes (the theorems' ``cover``): the dimension (``"1"``, ``"2"``, ``"3+"``)
and the covariance's structure (``"diagonal"``; ``"dense"``, not diagonal with
``κ ≤ 1e8``; ``"ill-conditioned"``, ``κ`` from ``1e10`` to ``1e12``), classified by
:func:`classify_affine_gaussian_case` and :func:`classify_gaussian_pair`. A covered run
draws one example per class, and that example is Hypothesis's *simplest* of the class
(the all-zero draw; the same in every run, whatever the seed). So a class draw is built
for its simplest example to be a typical member: an evenly spread spectrum with
``κ = 10`` (or ``1e10``) rather than ``c·I``, a fixed turn rather than ``Q = I`` for a
dense one, a mean other than 0 and a point off it, and, for a pair, two covariances of different sizes and
orientations and two different means (two equal Gaussians hide every mistake that
cancels between them).
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra.numpy import arrays

from theorems.gaussian_density.check import AffineGaussianCase
from theorems.gaussian_kl.check import GaussianPair
from theorems.strategies._domain import one_of_values, require_size

__all__ = [
    "DIMENSION_CLASSES",
    "ILL_CONDITIONED",
    "MAX_LOG10_CONDITION",
    "STRUCTURES",
    "affine_gaussian_cases",
    "classify_affine_gaussian_case",
    "classify_gaussian_pair",
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


# --- structural classes ----------------------------------------------------------------

DIMENSION_CLASSES: dict[str, tuple[int, ...]] = {"1": (1,), "2": (2,), "3+": tuple(range(3, 9))}
STRUCTURES = ("diagonal", "dense", "ill-conditioned")
# κ(Σ) from which a covariance counts as ill-conditioned, whatever its shape. Class draws
# keep a decade from it on either side (log10 κ in WELL_CONDITIONED_SPAN or ILL_CONDITIONED_SPAN),
# so that no rounding of κ moves a class draw across.
ILL_CONDITIONED = 1e9
WELL_CONDITIONED_SPAN = (1.0, 8.0)
ILL_CONDITIONED_SPAN = (10.0, MAX_LOG10_CONDITION)
# Off-diagonal correlations at most this (rounding of a product such as AAᵀ leaves ~1e-16)
# count as zero: such a covariance is diagonal.
ROUNDING_CORRELATION = 1e-12
# The angle of each Givens rotation of the fixed turn that a dense class draw starts from
# (π/5: no entry of the turn is 0 or ±1, so the simplest dense Σ correlates every pair of
# coordinates); the second covariance of a pair turns the other way.
TURN = np.pi / 5


def _dimension_class(n: int) -> str:
    """``"1"``, ``"2"`` or ``"3+"``: the class of dimension ``n``."""
    return next(name for name, members in DIMENSION_CLASSES.items() if n in members)


def _structure_of(cov: np.ndarray, kappa: float) -> str:
    """``"ill-conditioned"`` if ``κ(Σ) ≥ ILL_CONDITIONED``, else ``"diagonal"`` or ``"dense"``."""
    if kappa >= ILL_CONDITIONED:
        return "ill-conditioned"
    scale = np.sqrt(np.abs(np.diag(cov)))
    correlations = np.abs(cov) / np.outer(scale, scale)
    off_diagonal = correlations[~np.eye(len(cov), dtype=bool)]
    return "dense" if off_diagonal.size and float(off_diagonal.max()) > ROUNDING_CORRELATION else "diagonal"


def classify_affine_gaussian_case(case: AffineGaussianCase) -> dict[str, str]:
    """The example's ``dimension`` and the ``structure`` of ``Σ = AAᵀ`` (``κ(Σ)`` from A's singular values)."""
    singular = np.linalg.svd(case.matrix, compute_uv=False)
    return {"dimension": _dimension_class(case.dim), "structure": _structure_of(case.covariance(), float((singular[0] / singular[-1]) ** 2))}


def classify_gaussian_pair(pair: GaussianPair) -> dict[str, str]:
    """The pair's ``dimension`` and the harder ``structure`` of its two covariances (diagonal < dense < ill-conditioned)."""
    structures = [_structure_of(cov, float(np.linalg.cond(cov))) for cov in (pair.cov0, pair.cov1)]
    return {"dimension": _dimension_class(pair.dim), "structure": max(structures, key=STRUCTURES.index)}


def _chosen(name: str, given: object, allowed: tuple) -> tuple:
    """The values ``given`` allows (all when None), validated as :func:`one_of_values` does."""
    one_of_values(name, given, allowed)
    if given is None:
        return allowed
    return tuple(given) if isinstance(given, (tuple, list, set, frozenset, range)) else (given,)


def _dimensions(dim: object, dimension: object, structure: str | None) -> tuple[int, ...]:
    """The dimensions ``dim``, ``dimension`` and ``structure`` leave, each narrowing what the finer ones leave.

    ``dim`` names dimensions, ``dimension`` classes of them, and a dense or ill-conditioned
    ``structure`` needs ``n ≥ 2``. A coarser restriction the finer ones leave nothing of is
    moot (a covered class that ``--assume dim=4`` excludes draws ``n = 4``; in one dimension
    a covariance is a number, diagonal whatever ``structure`` says).
    """
    exact = _chosen("dim", dim, DIMENSIONS)
    classes = _chosen("dimension", dimension, tuple(DIMENSION_CLASSES))
    within = tuple(n for n in exact if _dimension_class(n) in classes) or exact
    if structure in ("dense", "ill-conditioned"):
        within = tuple(n for n in within if n >= 2) or within
    return within


def _structures(structure: object) -> tuple[str, ...] | None:
    """The structures asked for (None: any, drawn as before classes existed), validated."""
    return None if structure is None else _chosen("structure", structure, STRUCTURES)


def _class_span(structure: str, max_log10_condition: float) -> st.SearchStrategy[float]:
    """``log10 κ(Σ)`` of a class draw, shrinking to its low end (``1``: ``κ = 10``; ill-conditioned: ``1e10``)."""
    low, high = ILL_CONDITIONED_SPAN if structure == "ill-conditioned" else WELL_CONDITIONED_SPAN
    if structure == "ill-conditioned" and max_log10_condition < low:
        raise InvalidArgument(f"structure='ill-conditioned' needs κ ≥ 1e{low:g}; max_log10_condition={max_log10_condition!r} allows less")
    if structure == "dense" and max_log10_condition == 0:
        raise InvalidArgument("structure='dense' needs distinct eigenvalues; max_log10_condition=0 allows only Σ = c·I")
    low, high = min(low, max_log10_condition), min(high, max_log10_condition)
    return st.floats(min_value=0.0, max_value=high - low, width=64).map(lambda offset: low + offset)


@st.composite
def _class_log_spectrum(draw: st.DrawFn, n: int, span: float, lows: tuple[float, float], simplest: float) -> np.ndarray:
    """``n`` exponents from ``low`` to ``low + span``, ``low`` in ``lows`` (``simplest`` when shrunk), evenly spread when shrunk.

    The ends are fixed, so ``κ = 10**span`` exactly; the inner exponents move by up to
    half a step each.
    """
    low = simplest + draw(st.floats(min_value=lows[0] - simplest, max_value=lows[1] - simplest, width=64))
    if n == 1:
        return np.array([low])
    steps = np.arange(n, dtype=float)
    steps[1:-1] += draw(arrays(np.float64, (n - 2,), elements=st.floats(min_value=-0.5, max_value=0.5, width=64)))
    return low + span * steps / (n - 1)


def _turn(n: int, angle: float) -> np.ndarray:
    """The product of the Givens rotations by ``angle`` in every coordinate plane ``(i, j)``, ``i < j``."""
    turn = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            givens = np.eye(n)
            givens[[i, j], [i, j]] = np.cos(angle)
            givens[i, j], givens[j, i] = -np.sin(angle), np.sin(angle)
            turn = turn @ givens
    return turn


@st.composite
def _class_eigenbasis(draw: st.DrawFn, n: int, structure: str, orientation: int) -> np.ndarray:
    """A permutation matrix for a diagonal class, else a drawn rotation times the fixed turn (the turn when shrunk).

    ``orientation`` ``-1`` turns the other way (and reverses a permutation), for the second
    covariance of a pair.
    """
    if structure == "diagonal":
        order = draw(st.permutations(range(n)))
        return np.eye(n)[order[::orientation]]
    return draw(rotations(n)) @ _turn(n, orientation * TURN)


@st.composite
def _class_covariances(
    draw: st.DrawFn, n: int, structure: str, max_log10_condition: float, simplest: float, orientation: int
) -> np.ndarray:
    """``B diag(λ) Bᵀ`` of a class: ``B`` from :func:`_class_eigenbasis`, ``log10 λ`` from ``[-2, 1]`` up by the class's span."""
    span = draw(_class_span(structure, max_log10_condition))
    eigenvalues = 10.0 ** draw(_class_log_spectrum(n, span, (-2.0, 1.0), simplest))
    basis = draw(_class_eigenbasis(n, structure, orientation))
    cov = (basis * eigenvalues) @ basis.T
    return 0.5 * (cov + cov.T)


@st.composite
def _class_invertible_matrices(draw: st.DrawFn, n: int, structure: str, max_log10_condition: float) -> np.ndarray:
    """``U diag(s) V`` with ``Σ = AAᵀ`` of the class: ``U`` from :func:`_class_eigenbasis`, ``V = I`` for a diagonal one.

    ``κ(Σ) = κ(A)²``, so ``log10 s`` spans half the class's decades, from ``[-1, 0.5]``
    (``s = 10**0.25`` at the low end when shrunk: the simplest A is no rotation of ``I``).
    """
    span = draw(_class_span(structure, max_log10_condition)) / 2
    singular = 10.0 ** draw(_class_log_spectrum(n, span, (-1.0, 0.5), 0.25))
    # For a diagonal Σ, A = P diag(s) (P a permutation), so that AAᵀ is exactly diagonal.
    right = np.eye(n) if structure == "diagonal" else draw(rotations(n))
    matrix = (draw(_class_eigenbasis(n, structure, 1)) * singular) @ right
    negative = draw(st.booleans())
    if (np.linalg.det(matrix) < 0) != negative:
        matrix[0] = -matrix[0]
    return matrix


def affine_gaussian_cases(
    *,
    dim: int | tuple[int, ...] | range | None = None,
    dimension: str | tuple[str, ...] | None = None,
    structure: str | tuple[str, ...] | None = None,
    max_log10_condition: float = MAX_LOG10_CONDITION,
    singular_values: str | tuple[str, ...] | None = None,
) -> st.SearchStrategy[AffineGaussianCase]:
    """``(A, b)`` and 1–3 points ``x = b + A z``, ``z`` within 4 standard deviations.

    ``dim`` restricts the dimension n (1 to 8; a value or a collection; None: any);
    ``dimension`` restricts it to classes (``"1"``, ``"2"``, ``"3+"``: 3 to 8);
    ``structure`` restricts ``Σ = AAᵀ`` to ``"diagonal"`` (``A`` a permuted diagonal
    matrix, ``κ(Σ)`` from 10 to 1e8), ``"dense"`` (``κ(Σ)`` from 10 to 1e8, turned) or
    ``"ill-conditioned"`` (``κ(Σ)`` from 1e10 to 1e12, turned), with spread singular
    values; a restriction that the finer ones leave nothing of is moot (see
    :func:`_dimensions`). ``κ(AAᵀ) ≤ 10**max_log10_condition``; ``singular_values``
    restricts how the singular values of an unstructured draw lie (``"spread"``,
    ``"repeated"`` — A a multiple of an orthogonal matrix —, ``"clustered"``; None: all three).

    >>> from theorems.strategies import affine_gaussian_cases
    >>> affine_gaussian_cases(dim=3).example().matrix.shape
    (3, 3)
    >>> affine_gaussian_cases(dimension="2", structure="dense").example().matrix.shape
    (2, 2)
    """
    condition, layouts, structures = _condition(max_log10_condition), _layouts(singular_values), _structures(structure)
    if structures is None:
        return _affine_gaussian_cases(st.sampled_from(_dimensions(dim, dimension, None)), condition, layouts)
    if singular_values is not None:
        raise InvalidArgument(f"singular_values={singular_values!r} applies to unstructured draws; structure={structure!r} spreads them itself")
    classes = []
    for chosen in structures:
        _class_span(chosen, condition)  # refuse a class the condition bound excludes, at once
        classes.append(_structured_affine_gaussian_cases(chosen, st.sampled_from(_dimensions(dim, dimension, chosen)), condition))
    return st.one_of(classes)


@st.composite
def _points(draw: st.DrawFn, matrix: np.ndarray, simplest: float = 0.0) -> AffineGaussianCase:
    """``b`` in ``[-5, 5]ⁿ`` and 1–3 points ``b + Az``, ``z`` in ``[-4, 4]ⁿ``; both ``(simplest, …)`` when shrunk."""
    n = len(matrix)
    if simplest == 0:
        shift, standard_floats = draw(vectors(n)), _unit_floats(4.0)
    else:
        shift, standard_floats = draw(arrays(np.float64, (n,), elements=_floats_shrinking_to(simplest, 5.0))), _floats_shrinking_to(simplest, 4.0)
    count = draw(st.integers(min_value=1, max_value=3))
    standard = draw(arrays(np.float64, (count, n), elements=standard_floats))
    return AffineGaussianCase(matrix=matrix, shift=shift, points=shift + standard @ matrix.T)


def _floats_shrinking_to(simplest: float, bound: float) -> st.SearchStrategy[float]:
    """Floats in ``[-bound, bound]`` whose simplest value is ``simplest``."""
    return st.floats(min_value=-bound - simplest, max_value=bound - simplest, width=64).map(lambda offset: simplest + offset)


@st.composite
def _affine_gaussian_cases(
    draw: st.DrawFn, dims: st.SearchStrategy[int], max_log10_condition: float, layouts: tuple[str, ...]
) -> AffineGaussianCase:
    n = draw(dims)
    return draw(_points(draw(invertible_matrices(n, max_log10_condition=max_log10_condition, singular_values=layouts))))


@st.composite
def _structured_affine_gaussian_cases(draw: st.DrawFn, structure: str, dims: st.SearchStrategy[int], max_log10_condition: float) -> AffineGaussianCase:
    n = draw(dims)
    # b and z shrink to (1, …, 1): the simplest mean is not 0, and the point lies off it, where Σ⁻¹ matters.
    case = draw(_points(draw(_class_invertible_matrices(n, structure, max_log10_condition)), simplest=1.0))
    # A drawn turn may undo the fixed one (a rotation to a permutation): not of the class.
    assume(n == 1 or classify_affine_gaussian_case(case)["structure"] == structure)
    return case


def gaussian_pairs(
    *,
    dim: int | tuple[int, ...] | range | None = None,
    dimension: str | tuple[str, ...] | None = None,
    structure: str | tuple[str, ...] | None = None,
    diagonal: bool = False,
    max_log10_condition: float = MAX_LOG10_CONDITION,
) -> st.SearchStrategy[GaussianPair]:
    """Two Gaussians ``N(μ0, Σ0)``, ``N(μ1, Σ1)`` on ``R^d`` with ``κ(Σ0), κ(Σ1) ≤ 10**max_log10_condition``.

    ``dim`` restricts d (1 to 8; None: any); ``dimension`` restricts it to classes
    (``"1"``, ``"2"``, ``"3+"``); ``structure`` draws both covariances of one class
    (``"diagonal"`` and ``"dense"``: ``κ`` from 10 to 1e8; ``"ill-conditioned"``: from 1e10
    to 1e12), the second a decade larger and turned the other way when shrunk;
    ``diagonal`` draws diagonal covariances of any condition (not with ``structure``).

    >>> from theorems.strategies import gaussian_pairs
    >>> gaussian_pairs(dim=1).example().dim
    1
    >>> gaussian_pairs(dimension="3+", structure="ill-conditioned").example().dim >= 3
    True
    """
    condition, structures = _condition(max_log10_condition), _structures(structure)
    if structures is None:
        return _gaussian_pairs(st.sampled_from(_dimensions(dim, dimension, None)), diagonal, condition)
    if diagonal:
        raise InvalidArgument(f"diagonal=True draws unstructured diagonal covariances; with structure={structure!r} use structure='diagonal'")
    classes = []
    for chosen in structures:
        _class_span(chosen, condition)  # refuse a class the condition bound excludes, at once
        classes.append(_structured_gaussian_pairs(chosen, st.sampled_from(_dimensions(dim, dimension, chosen)), condition))
    return st.one_of(classes)


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


@st.composite
def _structured_gaussian_pairs(draw: st.DrawFn, structure: str, dims: st.SearchStrategy[int], max_log10_condition: float) -> GaussianPair:
    d = draw(dims)
    # Σ0 shrinks to eigenvalues from 10**-0.5, Σ1 to ones from 10**0.5, the other way round;
    # μ1 to (1, …, 1), off μ0 = 0, so that the simplest pair has a mean term.
    pair = GaussianPair(
        mu0=draw(vectors(d, bound=3.0)),
        cov0=draw(_class_covariances(d, structure, max_log10_condition, -0.5, 1)),
        mu1=draw(arrays(np.float64, (d,), elements=_floats_shrinking_to(1.0, 3.0))),
        cov1=draw(_class_covariances(d, structure, max_log10_condition, 0.5, -1)),
    )
    assume(d == 1 or classify_gaussian_pair(pair)["structure"] == structure)
    return pair
