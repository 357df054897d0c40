r"""T4 over symbols (``theorems prove``): the affine-Gaussian density, its normalisation and moments, proved for n = 2, 3.

The Σ form and the A form of :mod:`theorems.gaussian_density.check` over SymPy matrices,
Gaussian expectations integrated by SymPy (also used by :mod:`theorems.gaussian_kl.symbolic`);
beside them the notes' two transcribed claims (``SYMBOLIC_CLAIMS``, each must be refuted),
the wrong covariance ``theorems prove`` must refute, and the registry of this theorem's
statements.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from theorems.oracles.symbolic import REFUTED, Identity, Ref, SymbolicStatement, adjugate_inverse, mistake_of, wrong_statement

__all__ = [
    "SYMBOLIC_CLAIMS",
    "SYMBOLIC_STATEMENTS",
    "WRONG_STATEMENTS",
    "covariance_transposed",
    "symbolic_affine_gaussian_density",
    "symbolic_density_by_change_of_variables",
    "symbolic_gaussian_density",
    "symbolic_gaussian_expectation",
    "symbolic_gaussian_log_density",
    "symbolic_notes_normaliser_density",
    "symbolic_notes_signed_jacobian_density",
    "symbolic_spd_precision",
]


# --- the statement ----------------------------------------------------------------------------


def symbolic_gaussian_density(x: Any, mean: Any, cov: Any) -> Any:
    """``(2π)^{−n/2} det(Σ)^{−1/2} exp(−½ (x−b)ᵀΣ⁻¹(x−b))`` over SymPy matrices (the Σ form)."""
    import sympy

    n, offset = cov.rows, x - mean
    quadratic = (offset.T * adjugate_inverse(cov) * offset)[0]
    return (2 * sympy.pi) ** sympy.Rational(-n, 2) / sympy.sqrt(cov.det()) * sympy.exp(-quadratic / 2)


def symbolic_gaussian_log_density(x: Any, mean: Any, cov: Any) -> Any:
    """``−(n/2) log 2π − ½ log det Σ − ½ (x−b)ᵀΣ⁻¹(x−b)``, the logarithm of :func:`symbolic_gaussian_density`."""
    import sympy

    n, offset = cov.rows, x - mean
    quadratic = (offset.T * adjugate_inverse(cov) * offset)[0]
    return -sympy.Rational(n, 2) * sympy.log(2 * sympy.pi) - sympy.log(cov.det()) / 2 - quadratic / 2


def symbolic_density_by_change_of_variables(x: Any, matrix: Any, shift: Any) -> Any:
    """``(2π)^{−n/2} |det A|⁻¹ exp(−½ |A⁻¹(x − b)|²)`` over SymPy matrices (the A form)."""
    import sympy

    preimage = adjugate_inverse(matrix) * (x - shift)
    normaliser = (2 * sympy.pi) ** sympy.Rational(-matrix.rows, 2) / sympy.Abs(matrix.det())
    return normaliser * sympy.exp(-(preimage.T * preimage)[0] / 2)


def symbolic_notes_normaliser_density(x: Any, mean: Any, cov: Any) -> Any:
    """The notes' ``exp(−½ (x−b)ᵀΣ⁻¹(x−b)) / ((2π)^N det Σ)`` over SymPy matrices (a transcribed claim)."""
    import sympy

    offset = x - mean
    quadratic = (offset.T * adjugate_inverse(cov) * offset)[0]
    return sympy.exp(-quadratic / 2) / ((2 * sympy.pi) ** cov.rows * cov.det())


def symbolic_notes_signed_jacobian_density(x: Any, matrix: Any, shift: Any) -> Any:
    """The notes' Jacobian ``det(A)⁻¹`` in place of ``|det A|⁻¹`` (a transcribed claim)."""
    import sympy

    preimage = adjugate_inverse(matrix) * (x - shift)
    normaliser = (2 * sympy.pi) ** sympy.Rational(-matrix.rows, 2) / matrix.det()
    return normaliser * sympy.exp(-(preimage.T * preimage)[0] / 2)


def symbolic_spd_precision(n: int, name: str = "") -> tuple[Any, Any]:
    """``(L, d)``: ``L`` unit lower triangular with real symbols, ``d`` positive symbols; ``P = L diag(d) Lᵀ``.

    Every symmetric positive definite matrix has exactly one such factorisation (LDLᵀ),
    so a statement proved for these symbols holds for every SPD ``P``.
    """
    import sympy

    lower = sympy.Matrix(n, n, lambda i, j: sympy.S.One if i == j else (sympy.Symbol(f"l{name}[{i},{j}]", real=True) if i > j else sympy.S.Zero))
    return lower, [sympy.Symbol(f"d{name}[{i}]", positive=True) for i in range(n)]


def symbolic_gaussian_expectation(g: Any, x: Sequence[Any], mean: Any, lower: Any, diagonal: Sequence[Any]) -> Any:
    """``∫ g(x) N(x; b, (L diag(d) Lᵀ)⁻¹) dx`` for a polynomial ``g``, by iterated SymPy integrals over ``x_1, …, x_n``.

    The exponent is written as its sum of squares ``½ Σ_i d_i s_i²`` with ``s = Lᵀ(x − b)`` (the
    same quadratic form, :func:`symbolic_affine_gaussian_density` checks the density it gives).
    ``Lᵀ`` is unit upper triangular, so ``s_i`` is ``x_i`` plus terms in the later ``x_j``
    alone (checked here): ``x_1`` meets one square, ``s_1``; translated by those terms
    (``x_1 = u − c_1``, a translation of ``R``), the square is ``u²``, and ``g`` expanded in
    powers of ``u`` leaves SymPy the integrals ``∫ u^k e^{−d_1 u²/2} du`` over ``R``. What
    remains is a polynomial in ``x_2, …`` that meets ``s_2`` alone, and so on.

    Measured: SymPy integrating each shifted Gaussian as it stands (its Meijer-G route) took
    about 60 % of the affine-Gaussian proof's CPU, 1.5 s of it for the six moments ``n = 2``
    against 0.12 s translated; both give the same six expressions.
    """
    import sympy

    n = len(x)
    squares = lower.T * (sympy.Matrix(x) - mean)
    normaliser = sympy.sqrt(sympy.Mul(*diagonal)) / (2 * sympy.pi) ** sympy.Rational(n, 2)
    u = sympy.Dummy("u", real=True)
    polynomial = sympy.expand(sympy.sympify(g))
    for i in range(n):
        later = sympy.expand(squares[i] - x[i])  # s_i = x_i + later
        if later.has(*x[: i + 1]):
            raise ValueError(f"the square s_{i + 1} = {squares[i]} is not x_{i + 1} plus terms in the later variables")
        translated = sympy.Poly(sympy.expand(polynomial.subs(x[i], u - later)), u)
        polynomial = sympy.expand(sum((coefficient * _gaussian_moment(k, diagonal[i]) for (k,), coefficient in translated.terms()), sympy.S.Zero))
    return normaliser * polynomial


@functools.lru_cache(maxsize=256)
def _gaussian_moment(k: int, d: Any) -> Any:
    """``∫ u^k e^{−d u²/2} du`` over ``R``, by SymPy (cached: each power recurs across the moments)."""
    import sympy

    u = sympy.Dummy("u", real=True)
    return sympy.integrate(u**k * sympy.exp(-d * u**2 / 2), (u, -sympy.oo, sympy.oo), conds="none")


def symbolic_affine_gaussian_density(
    *, dims: Sequence[int] = (2, 3), change_of_variables: Callable[..., Any] | None = None, density: Callable[..., Any] | None = None,
    covariance: Callable[[Any], Any] | None = None, integrals: bool = True,
) -> Iterator[Any]:
    r"""T4 over symbols: the A form is the Σ form with ``Σ = covariance(A)``; the density integrates to 1, with mean b and covariance Σ.

    1. For a symbolic ``n × n`` ``A`` (each ``n`` of ``dims``), ``b`` and ``x``:
       ``change_of_variables(x, A, b) = density(x, b, AAᵀ)`` wherever ``det A ≠ 0``.
    2. ``n = 2``, by iterated integration in ``x`` (SymPy's ``integrate``): for
       ``Σ⁻¹ = L diag(d) Lᵀ`` symbolic (every 2×2 SPD matrix), ``∫ f = 1``, ``∫ x f = b``,
       ``∫ (x−b)(x−b)ᵀ f = Σ``. Since ``AAᵀ`` is SPD for every invertible ``A``, with 1. this
       is the theorem for every invertible 2×2 ``A``.
    3. ``n = 3``, through the substitution ``x = Az + b`` (Jacobian ``|det A|``):
       ``|det A| f(Az + b) = φ(z)``, the standard normal density, symbolically; then
       ``∫ φ = 1``, ``∫ (Az + b) φ = b`` and ``∫ (Az)(Az)ᵀ φ = AAᵀ`` by integration in ``z``.
       SymPy's iterated integration in ``x`` for a symbolic 3×3 takes minutes, so this is
       the equivalent statement proved instead.
    """
    import sympy

    change_of_variables = change_of_variables or symbolic_density_by_change_of_variables
    density = density or symbolic_gaussian_density
    covariance = covariance or (lambda matrix: matrix * matrix.T)
    for n in dims:
        matrix = sympy.Matrix(n, n, lambda i, j: sympy.Symbol(f"A[{i},{j}]", real=True))
        shift, x = sympy.Matrix(sympy.symbols(f"b1:{n + 1}", real=True)), sympy.Matrix(sympy.symbols(f"x1:{n + 1}", real=True))
        yield Identity(
            what=f"the change of variables (A form) = the N(b, Σ) density (Σ form), n={n}",
            left=change_of_variables(x, matrix, shift), right=density(x, shift, covariance(matrix)), requires=(matrix.det() ** 2,),
        )
    if not integrals:
        return
    yield from _symbolic_moments_by_integration_in_x(density)
    yield from _symbolic_moments_by_substitution(change_of_variables)


def _symbolic_moments_by_integration_in_x(density: Callable[..., Any]) -> Iterator[Any]:
    import sympy

    lower, diagonal = symbolic_spd_precision(2)
    cov = adjugate_inverse(lower * sympy.diag(*diagonal) * lower.T)
    x, mean = sympy.symbols("x1:3", real=True), sympy.Matrix(sympy.symbols("b1:3", real=True))
    squares = lower.T * (sympy.Matrix(x) - mean)
    integrand = sympy.sqrt(diagonal[0] * diagonal[1]) / (2 * sympy.pi) * sympy.exp(-(diagonal[0] * squares[0] ** 2 + diagonal[1] * squares[1] ** 2) / 2)
    yield Identity(what="the integrand in sum-of-squares form = the Σ form, Σ⁻¹ = LDLᵀ, n=2", left=integrand, right=density(sympy.Matrix(x), mean, cov))

    def expectation(g: Any) -> Any:
        return symbolic_gaussian_expectation(g, x, mean, lower, diagonal)

    yield Identity(what="∫ f dx = 1 (integration in x), n=2", left=expectation(sympy.S.One), right=sympy.S.One)
    yield Identity(what="∫ x f dx = b (integration in x), n=2", left=sympy.Matrix([expectation(xi) for xi in x]), right=mean)
    second = sympy.Matrix(2, 2, lambda i, j: expectation((x[i] - mean[i]) * (x[j] - mean[j])))
    yield Identity(what="∫ (x−b)(x−b)ᵀ f dx = Σ (integration in x), n=2", left=second, right=cov)


def _symbolic_moments_by_substitution(change_of_variables: Callable[..., Any]) -> Iterator[Any]:
    import sympy

    n = 3
    matrix = sympy.Matrix(n, n, lambda i, j: sympy.Symbol(f"A[{i},{j}]", real=True))
    shift, z = sympy.Matrix(sympy.symbols("b1:4", real=True)), sympy.symbols("z1:4", real=True)
    standard = (2 * sympy.pi) ** sympy.Rational(-n, 2) * sympy.exp(-sum(zi**2 for zi in z) / 2)
    image = matrix * sympy.Matrix(z) + shift
    yield Identity(
        what="|det A| f(Az + b) = φ(z) (the substitution x = Az + b), n=3",
        left=sympy.Abs(matrix.det()) * change_of_variables(image, matrix, shift), right=standard, requires=(matrix.det() ** 2,),
    )
    zero, identity = sympy.zeros(n, 1), sympy.eye(n)

    def expectation(g: Any) -> Any:
        return symbolic_gaussian_expectation(g, z, zero, identity, [sympy.S.One] * n)

    yield Identity(what="∫ φ(z) dz = 1, n=3", left=expectation(sympy.S.One), right=sympy.S.One)
    yield Identity(what="∫ (Az + b) φ(z) dz = b, n=3", left=image.applyfunc(expectation), right=shift)
    centred = matrix * sympy.Matrix(z)
    yield Identity(what="∫ (Az)(Az)ᵀ φ(z) dz = AAᵀ, n=3", left=(centred * centred.T).applyfunc(expectation), right=matrix * matrix.T)


# --- the wrong covariance (it must be refuted) ---------------------------------------------------


def covariance_transposed(matrix: Any) -> Any:
    """``Σ = AᵀA`` instead of ``AAᵀ`` (equal only for normal ``A``)."""
    return matrix.T * matrix


# --- the registry (theorems._engine.prove) -------------------------------------------------------

SYMBOLIC_STATEMENTS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "affine-gaussian-density",
        "n = 2 and n = 3",
        45.0,
        "theorems.gaussian_density.symbolic:symbolic_affine_gaussian_density",
        how=(
            "A form = Σ form for symbolic A (n = 2, 3); n = 2: ∫ f = 1, mean b, covariance Σ by SymPy's iterated integration "
            "in x for Σ⁻¹ = LDLᵀ symbolic (every SPD Σ); n = 3: by the substitution x = Az + b (|det A| f(Az + b) = φ(z) "
            "symbolically) and integration in z, integration in x taking minutes"
        ),
    ),
)

SYMBOLIC_CLAIMS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "affine-gaussian-density-normaliser",
        "n = 2",
        15.0,
        "theorems.gaussian_density.symbolic:symbolic_affine_gaussian_density",
        ({"dims": (2,), "density": Ref("theorems.gaussian_density.symbolic:symbolic_notes_normaliser_density"), "integrals": False},),
        expected=REFUTED,
        theorem_id="affine-gaussian-density",
        how="the notes' density against the change of variables, symbolic A, b, x",
    ),
    SymbolicStatement(
        "affine-gaussian-density-signed-jacobian",
        "n = 2",
        15.0,
        "theorems.gaussian_density.symbolic:symbolic_affine_gaussian_density",
        ({"dims": (2,), "change_of_variables": Ref("theorems.gaussian_density.symbolic:symbolic_notes_signed_jacobian_density"), "integrals": False},),
        expected=REFUTED,
        theorem_id="affine-gaussian-density",
        how="the notes' Jacobian det(A)⁻¹ against the Σ form, symbolic A, b, x",
    ),
)

WRONG_STATEMENTS: tuple[SymbolicStatement, ...] = (
    wrong_statement(
        "affine-gaussian-density", "affine-gaussian-density/covariance-transposed", "theorems.gaussian_density.symbolic:symbolic_affine_gaussian_density",
        {"dims": (2,), "covariance": Ref("theorems.gaussian_density.symbolic:covariance_transposed"), "integrals": False},
        "symbolic 2×2 A", mistake_of(covariance_transposed),
    ),
)
