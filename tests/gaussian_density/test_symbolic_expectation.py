"""The Gaussian expectations ``theorems prove`` integrates (``symbolic_gaussian_expectation``), against moments known in closed form.

The proofs of affine-gaussian-density and gaussian-kl integrate polynomials against a Gaussian
whose precision is ``L diag(d) Lᵀ``, one variable at a time, each translated so that its square
is centred. Here the same integrals are held to what Isserlis's theorem gives from the
covariance ``(L diag(d) Lᵀ)⁻¹`` (inverted by SymPy, not integrated), so that a translation or an
expansion gone wrong shows as a wrong moment, not as a proof.
"""

from __future__ import annotations

import pytest
import sympy

from theorems.gaussian_density.symbolic import symbolic_gaussian_expectation, symbolic_spd_precision


@pytest.fixture(scope="module")
def dense_2d() -> tuple[tuple[sympy.Symbol, ...], sympy.Matrix, sympy.Matrix, list[sympy.Symbol], sympy.Matrix]:
    lower, diagonal = symbolic_spd_precision(2)
    x, mean = sympy.symbols("x1:3", real=True), sympy.Matrix(sympy.symbols("b1:3", real=True))
    covariance = (lower * sympy.diag(*diagonal) * lower.T).inv()
    return x, mean, lower, diagonal, covariance


def expectation(g: sympy.Expr, dense_2d: tuple) -> sympy.Expr:
    x, mean, lower, diagonal, _ = dense_2d
    return symbolic_gaussian_expectation(g, x, mean, lower, diagonal)


def test_the_mass_mean_and_covariance_of_a_dense_2d_gaussian_are_its_own(dense_2d: tuple) -> None:
    x, mean, _, _, covariance = dense_2d
    assert sympy.simplify(expectation(sympy.S.One, dense_2d) - 1) == 0
    for i in range(2):
        assert sympy.simplify(expectation(x[i], dense_2d) - mean[i]) == 0
        for j in range(2):
            moment = expectation((x[i] - mean[i]) * (x[j] - mean[j]), dense_2d)
            assert sympy.simplify(moment - covariance[i, j]) == 0, (i, j, moment)


def test_the_fourth_moments_are_isserlis(dense_2d: tuple) -> None:
    """``E[y_1⁴] = 3Σ₁₁²`` and ``E[y_1² y_2²] = Σ₁₁Σ₂₂ + 2Σ₁₂²`` for ``y = x − b``: the translated
    integrals carry every power of the shift, not only the first two."""
    x, mean, _, _, covariance = dense_2d
    y = [x[i] - mean[i] for i in range(2)]
    assert sympy.simplify(expectation(y[0] ** 4, dense_2d) - 3 * covariance[0, 0] ** 2) == 0
    mixed = covariance[0, 0] * covariance[1, 1] + 2 * covariance[0, 1] ** 2
    assert sympy.simplify(expectation(y[0] ** 2 * y[1] ** 2, dense_2d) - mixed) == 0


def test_a_square_that_is_not_its_variable_plus_later_ones_is_refused() -> None:
    """Each square must be ``x_i`` plus terms in the later variables (``Lᵀ`` unit upper triangular):
    a translation of ``x_i`` centres it only then."""
    x, mean = sympy.symbols("x1:3", real=True), sympy.zeros(2, 1)
    lower = sympy.Matrix([[2, 0], [0, 1]])  # s_1 = 2 x_1: not x_1 plus anything
    with pytest.raises(ValueError, match="is not x_1 plus terms in the later variables"):
        symbolic_gaussian_expectation(sympy.S.One, x, mean, lower, [sympy.S.One, sympy.S.One])
