r"""T2 over symbols (``theorems prove``): the first two moments of a linear network's output, exactly, at fixed widths.

``E y_L = 0`` and ``E y_L y_Lᵀ = v_L I`` for symbolic weights, biases and input, with the
moments of the uniform law integrated by SymPy; beside it the wrong recursions
``theorems prove`` must refute, why the ReLU variant is not stated symbolically
(``NOT_AN_IDENTITY``), and the registry of this package's statements.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from theorems.oracles.symbolic import Identity, NotAnIdentity, Ref, SymbolicStatement, mistake_of, wrong_statement
from theorems.variance.math import require_widths

__all__ = [
    "NOT_AN_IDENTITY",
    "SYMBOLIC_STATEMENTS",
    "WRONG_STATEMENTS",
    "symbolic_output_moments",
    "symbolic_variance_by_recursion",
    "symbolic_variance_recursion",
    "variance_fan_out",
    "variance_without_bias_term",
]


# --- the statement ----------------------------------------------------------------------------


def symbolic_variance_by_recursion(widths: Sequence[int]) -> Any:
    """``v_L`` by the recursion of :func:`theorems.variance.math.variance_by_recursion`, in exact rational arithmetic."""
    import sympy

    v = sympy.S.One
    for fan_in in require_widths(widths)[:-1]:
        v = v / 3 + sympy.Rational(1, 3 * fan_in)
    return v


def symbolic_output_moments(widths: Sequence[int]) -> tuple[Any, Any]:
    r"""``(E y_L, E y_L y_Lᵀ)`` for ``y_l = A_l y_{l−1} + b_l`` over symbolic weights, biases and input, exactly.

    Each entry is expanded into monomials in the input and the parameters, which are
    independent, so a monomial's expectation is the product of its factors' moments.
    ``y_L`` is affine in ``x``, so only ``E x = 0`` and ``E xxᵀ = I`` enter (the theorem's
    hypothesis on ``x``); every entry of ``A_l`` and ``b_l`` has the moments
    ``E u^k = ∫_{−a}^{a} u^k du/(2a)``, ``a = 1/√n_{l−1}``, integrated by SymPy.
    """
    import sympy

    widths = require_widths(widths)
    x = sympy.symbols(f"x1:{widths[0] + 1}", real=True)
    y, bounds = sympy.Matrix(x), {}
    for layer, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
        weight = sympy.Matrix(fan_out, fan_in, lambda i, j, layer=layer: sympy.Symbol(f"A{layer}[{i},{j}]", real=True))
        bias = sympy.Matrix(sympy.symbols(f"b{layer}[1:{fan_out + 1}]", real=True))
        bounds.update({entry: 1 / sympy.sqrt(fan_in) for entry in (*weight, *bias)})
        y = weight * y + bias
    parameters = list(bounds)

    def expectation(expression: Any) -> Any:
        total = sympy.S.Zero
        for powers, coefficient in sympy.Poly(sympy.expand(expression), *x, *parameters).terms():
            input_powers = powers[: len(x)]
            if sum(input_powers) not in (0, 2) or (sum(input_powers) == 2 and max(input_powers) != 2):
                continue  # E x_i = 0 and E x_i x_j = 0 for i ≠ j
            total += coefficient * sympy.Mul(*(_uniform_moment(k, bounds[entry]) for entry, k in zip(parameters, powers[len(x):]) if k))
        return total

    return y.applyfunc(expectation), (y * y.T).applyfunc(expectation)


@functools.lru_cache(maxsize=64)
def _uniform_moment(power: int, bound: Any) -> Any:
    """``E u^power`` for ``u ~ U(−bound, bound)``, integrated by SymPy."""
    import sympy

    u = sympy.Symbol("u", real=True)
    return sympy.integrate(u**power, (u, -bound, bound)) / (2 * bound)


SYMBOLIC_WIDTHS = ((1, 1), (3, 2), (2, 1, 3), (2, 3, 2), (1, 2, 2, 2), (2, 2, 1, 2), (2, 3, 2, 3))


def symbolic_variance_recursion(
    *, widths: Sequence[Sequence[int]] = SYMBOLIC_WIDTHS, recursion: Callable[[Sequence[int]], Any] | None = None
) -> Iterator[Any]:
    """T2 over symbols: ``E y_L = 0`` and ``E y_L y_Lᵀ = recursion(widths)·I`` (:func:`symbolic_output_moments`)."""
    import sympy

    recursion = recursion or symbolic_variance_by_recursion
    for case in widths:
        mean, second = symbolic_output_moments(case)
        yield Identity(what=f"E y_L = 0, widths {list(case)}", left=mean, right=sympy.zeros(*mean.shape))
        yield Identity(what=f"E y_L y_Lᵀ = v_L I, widths {list(case)}", left=second, right=recursion(case) * sympy.eye(case[-1]))


# --- the wrong recursions (each must be refuted) -------------------------------------------------


def variance_without_bias_term(widths: Any) -> Any:
    """``v_l = v_{l−1}/3``: the bias's ``1/(3 n_{l−1})`` forgotten."""
    import sympy

    v = sympy.S.One
    for _ in widths[:-1]:
        v = v / 3
    return v


def variance_fan_out(widths: Any) -> Any:
    """``v_l = v_{l−1}/3 + 1/(3 n_l)``: the output width where the input width belongs."""
    import sympy

    v = sympy.S.One
    for fan_out in widths[1:]:
        v = v / 3 + sympy.Rational(1, 3 * fan_out)
    return v


# --- the registry (theorems._engine.prove) -------------------------------------------------------

SYMBOLIC_STATEMENTS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "variance-recursion",
        "widths [1, 1], [3, 2], [2, 1, 3], [2, 3, 2], [1, 2, 2, 2], [2, 2, 1, 2], [2, 3, 2, 3] (depth 1 to 3)",
        15.0,
        "theorems.variance.symbolic:symbolic_variance_recursion",
        how="E y_L and E y_L y_Lᵀ exactly: weights and biases U(±1/√fan_in) integrated by SymPy, E x = 0, E xxᵀ = I",
    ),
)

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "variance-recursion-relu",
        "E relu(z)² = E z²/2 rests on the symmetry of the law of z, which the two moments the statement assumes do not fix; "
        "not a polynomial identity in the weights",
    ),
)

WRONG_STATEMENTS: tuple[SymbolicStatement, ...] = (
    wrong_statement(
        "variance-recursion", "variance-recursion/bias-term-forgotten", "theorems.variance.symbolic:symbolic_variance_recursion",
        {"widths": ((2, 2),), "recursion": Ref("theorems.variance.symbolic:variance_without_bias_term")},
        "widths [2, 2]", mistake_of(variance_without_bias_term),
    ),
    wrong_statement(
        "variance-recursion", "variance-recursion/fan-out-for-fan-in", "theorems.variance.symbolic:symbolic_variance_recursion",
        {"widths": ((2, 3),), "recursion": Ref("theorems.variance.symbolic:variance_fan_out")},
        "widths [2, 3]", mistake_of(variance_fan_out),
    ),
)
