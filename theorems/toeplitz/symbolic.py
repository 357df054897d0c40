r"""T3 over symbols (``theorems prove``): the Toeplitz matrix of ``conv1d`` and the gradient rule, proved at fixed sizes.

The entry rule ``A_{i,j} = w_k`` where ``j = s·i + d·k`` (0-based) and the superdiagonal
sums of :mod:`theorems.toeplitz.check`, over SymPy symbols, for every geometry up to
``n = 8``; beside them the wrong rules ``theorems prove`` must refute (true convolution's
flipped filter), and the registry of this theorem's statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from theorems.oracles.symbolic import Identity, Ref, SymbolicStatement, mistake_of, wrong_statement
from theorems.toeplitz.check import output_length

__all__ = [
    "SYMBOLIC_STATEMENTS",
    "WRONG_STATEMENTS",
    "symbolic_conv1d",
    "symbolic_geometries",
    "symbolic_superdiagonal_sums",
    "symbolic_toeplitz",
    "symbolic_toeplitz_gradient",
    "symbolic_toeplitz_matrix",
    "toeplitz_rule_flipped",
    "toeplitz_true_convolution",
]


# --- the statement ----------------------------------------------------------------------------


def symbolic_toeplitz(w: Sequence[Any], n: int, *, stride: int = 1, dilation: int = 1) -> Any:
    """``A(w)`` over symbols by the entry rule: ``A_{i,j} = w_k`` where ``j = s·i + d·k`` (0-based), else 0."""
    import sympy

    n_out = output_length(n, len(w), stride=stride, dilation=dilation)

    def entry(i: int, j: int) -> Any:
        k, remainder = divmod(j - stride * i, dilation)
        return w[k] if remainder == 0 and 0 <= k < len(w) else sympy.S.Zero

    return sympy.Matrix(n_out, n, entry)


def symbolic_conv1d(x: Sequence[Any], w: Sequence[Any], *, stride: int = 1, dilation: int = 1) -> Any:
    """``conv1d`` (cross-correlation) written out: ``y_i = Σ_k w_k x_{s·i + d·k}`` (0-based), a column."""
    import sympy

    n_out = output_length(len(x), len(w), stride=stride, dilation=dilation)
    return sympy.Matrix([sympy.Add(*(w[k] * x[stride * i + dilation * k] for k in range(len(w)))) for i in range(n_out)])


def symbolic_superdiagonal_sums(grad_A: Any, kernel_size: int, *, stride: int = 1, dilation: int = 1) -> list[Any]:
    """The theorem's rule over symbols: ``∂ℓ/∂w_k = Σ_i (∂ℓ/∂A)_{i, s·i + d·k}`` (0-based; the (k−1)-th superdiagonal at s = d = 1)."""
    import sympy

    return [sympy.Add(*(grad_A[i, stride * i + dilation * k] for i in range(grad_A.rows))) for k in range(kernel_size)]


def symbolic_geometries(max_n: int = 8, max_kernel: int = 4, strides: Sequence[int] = (1, 2, 3), dilations: Sequence[int] = (1, 2)) -> list[tuple[int, int, int, int]]:
    """Every ``(n, f, stride, dilation)`` whose span ``d(f−1)+1`` fits in ``n`` (dilation only where ``f > 1``)."""
    return [
        (n, f, s, d)
        for n in range(1, max_n + 1)
        for f in range(1, min(max_kernel, n) + 1)
        for s in strides
        for d in dilations
        if d * (f - 1) + 1 <= n and (f > 1 or d == 1)
    ]


# Layers ``ℓ = F(A(w)x + b·1)`` with an undefined F (any differentiable function): each
# costs seconds once A has many rows, so a few geometries with few outputs.
SYMBOLIC_LAYERS = ((4, 2, 1, 1), (5, 3, 1, 1), (6, 2, 2, 2), (7, 3, 3, 1), (8, 3, 2, 2))


def symbolic_toeplitz_gradient(
    *, geometries: Sequence[tuple[int, int, int, int]] | None = None, layers: Sequence[tuple[int, int, int, int]] = SYMBOLIC_LAYERS,
    rule: Callable[..., list[Any]] | None = None,
) -> Iterator[Any]:
    """``∂ℓ/∂w_k`` by the chain rule through ``A(w)`` equals ``rule`` (the superdiagonal sums) on ``∂ℓ/∂A``.

    First for any scalar ``ℓ`` of ``A``: ``∂ℓ/∂A = G`` of free symbols, and
    ``∂ℓ/∂w_k = Σ_{i,j} G_{ij} ∂A_{ij}/∂w_k`` with SymPy differentiating the matrix built
    by the entry rule; then for layers ``ℓ = F(A(w)x + b·1)`` with ``F`` an undefined
    function, both sides differentiated by SymPy (``∂ℓ/∂A`` through a matrix of free
    symbols put in place of ``A(w)``).
    """
    import sympy

    rule = rule or symbolic_superdiagonal_sums
    for n, f, s, d in symbolic_geometries() if geometries is None else geometries:
        w = sympy.symbols(f"w1:{f + 1}", real=True)
        matrix = symbolic_toeplitz(w, n, stride=s, dilation=d)
        grad_A = sympy.Matrix(matrix.rows, n, lambda i, j: sympy.Symbol(f"G[{i},{j}]", real=True))
        chain = sympy.Matrix([sum((grad_A[i, j] * sympy.diff(matrix[i, j], w[k]) for i in range(matrix.rows) for j in range(n)), sympy.S.Zero) for k in range(f)])
        what = f"∂ℓ/∂w = rule(∂ℓ/∂A) for any ℓ of A, n={n}, f={f}, stride={s}, dilation={d}"
        yield Identity(what=what, left=chain, right=sympy.Matrix(rule(grad_A, f, stride=s, dilation=d)))
    for n, f, s, d in layers:
        w = sympy.symbols(f"w1:{f + 1}", real=True)
        x = sympy.Matrix(sympy.symbols(f"x1:{n + 1}", real=True))
        b = sympy.Symbol("b", real=True)
        loss = sympy.Function("F")
        matrix = symbolic_toeplitz(w, n, stride=s, dilation=d)
        free = sympy.Matrix(matrix.rows, n, lambda i, j: sympy.Symbol(f"a[{i},{j}]", real=True))
        ones = sympy.ones(matrix.rows, 1)
        at_w = {free[i, j]: matrix[i, j] for i in range(matrix.rows) for j in range(n)}
        grad_A = sympy.Matrix(matrix.rows, n, lambda i, j: sympy.diff(loss(*(free * x + b * ones)), free[i, j]).subs(at_w))
        direct = sympy.Matrix([sympy.diff(loss(*(matrix * x + b * ones)), w[k]) for k in range(f)])
        what = f"∂ℓ/∂w = rule(∂ℓ/∂A) for ℓ = F(A(w)x + b·1), n={n}, f={f}, stride={s}, dilation={d}"
        yield Identity(what=what, left=direct, right=sympy.Matrix(rule(grad_A, f, stride=s, dilation=d)))


def symbolic_toeplitz_matrix(
    *, geometries: Sequence[tuple[int, int, int, int]] | None = None, matrix: Callable[..., Any] | None = None
) -> Iterator[Any]:
    """``conv1d(x, w) = A(w) x`` for symbolic ``x`` and ``w``: the sums of the definition against the entry rule's matrix."""
    import sympy

    matrix = matrix or symbolic_toeplitz
    for n, f, s, d in symbolic_geometries() if geometries is None else geometries:
        w = sympy.symbols(f"w1:{f + 1}", real=True)
        x = sympy.symbols(f"x1:{n + 1}", real=True)
        what = f"conv1d(x, w) = A(w)x, n={n}, f={f}, stride={s}, dilation={d}"
        yield Identity(what=what, left=symbolic_conv1d(x, w, stride=s, dilation=d), right=matrix(w, n, stride=s, dilation=d) * sympy.Matrix(x))


# --- the wrong rules (each must be refuted) ---------------------------------------------------


def toeplitz_rule_flipped(grad_A: Any, kernel_size: int, *, stride: int = 1, dilation: int = 1) -> list[Any]:
    """True convolution's convention: ``w_k`` meets the diagonal of ``w_{f−k+1}``."""
    return symbolic_superdiagonal_sums(grad_A, kernel_size, stride=stride, dilation=dilation)[::-1]


def toeplitz_true_convolution(w: Any, n: int, *, stride: int = 1, dilation: int = 1) -> Any:
    """``A_{i,j} = w_{f−(j−i)}``: the matrix of a true (flipped) convolution, not of ``conv1d``."""
    return symbolic_toeplitz(list(w)[::-1], n, stride=stride, dilation=dilation)


# --- the registry (theorems._engine.prove) -------------------------------------------------------

_TOEPLITZ_GRID = "n = 1..8, f = 1..min(4, n), stride 1..3, dilation 1..2 (every span that fits)"

SYMBOLIC_STATEMENTS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "toeplitz-gradient",
        f"{_TOEPLITZ_GRID}; layers n/f/stride/dilation 4/2/1/1, 5/3/1/1, 6/2/2/2, 7/3/3/1, 8/3/2/2",
        15.0,
        "theorems.toeplitz.symbolic:symbolic_toeplitz_gradient",
        how="∂ℓ/∂A a matrix of free symbols (any ℓ of A), SymPy differentiating A(w); for the layers ℓ = F(A(w)x + b·1), F undefined",
    ),
    SymbolicStatement(
        "toeplitz-matrix",
        _TOEPLITZ_GRID,
        10.0,
        "theorems.toeplitz.symbolic:symbolic_toeplitz_matrix",
        how="conv1d written as sums over symbolic x and w, against A(w)x with A built by the entry rule",
    ),
)

WRONG_STATEMENTS: tuple[SymbolicStatement, ...] = (
    wrong_statement(
        "toeplitz-gradient", "toeplitz-gradient/filter-flipped", "theorems.toeplitz.symbolic:symbolic_toeplitz_gradient",
        {"geometries": ((3, 2, 1, 1), (5, 2, 2, 2)), "layers": (), "rule": Ref("theorems.toeplitz.symbolic:toeplitz_rule_flipped")},
        "n=3 f=2; n=5 f=2 stride 2 dilation 2", mistake_of(toeplitz_rule_flipped),
    ),
    wrong_statement(
        "toeplitz-matrix", "toeplitz-matrix/true-convolution", "theorems.toeplitz.symbolic:symbolic_toeplitz_matrix",
        {"geometries": ((3, 2, 1, 1), (6, 3, 1, 2)), "matrix": Ref("theorems.toeplitz.symbolic:toeplitz_true_convolution")},
        "n=3 f=2; n=6 f=3 dilation 2", mistake_of(toeplitz_true_convolution),
    ),
)
