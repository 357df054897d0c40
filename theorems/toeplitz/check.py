r"""T3 · Toeplitz gradient (Problem 3): a filter's gradient sums the diagonals of the matrix gradient.

**Statement.** A 1-D valid convolution (PyTorch's ``conv1d``, a cross-correlation) of
``x ∈ R^n`` with ``w ∈ R^f`` is ``y = A(w) x`` with ``A(w)`` the ``(n−f+1) × n`` Toeplitz
matrix ``A_{i,j} = w_{j−i+1}`` for ``1 ≤ j−i+1 ≤ f`` (1-based). For any differentiable
scalar ``ℓ`` of the layer's output,

    ∂ℓ/∂w_k = Σ_{i=1..n−f+1} (∂ℓ/∂A)_{i, i+k−1},   k = 1..f,

the sum along the (k−1)-th superdiagonal. For ``y = σ(A(w) x + b 1)`` with one shared
scalar bias and ``δ = σ'(z) ⊙ ∂ℓ/∂y``: ``∂ℓ/∂A = δ xᵀ``, ``∂ℓ/∂b = 1ᵀ δ`` and
``∂ℓ/∂w_k = Σ_i δ_i x_{i+k−1}``. With stride ``s`` and dilation ``d`` the entries move
to ``A_{i, s(i−1)+d(k−1)+1}``; with channels, ``A`` is a block matrix of such Toeplitz
blocks, one per (output, input) channel pair (beyond the notes).

**Boundary.** True convolution flips the filter (index ``f−k+1``): mixing the two
conventions is the classic bug, and one of the wrong implementations.

**Oracles.** Autograd through the dense matrix ``A(w)`` built from ``w`` (the check: the
same backward pass that produced ``∂ℓ/∂A`` scatters it onto ``w``); autograd through
``conv1d`` given the same ``δ``; central finite differences (``gradcheck``) in float64.
Exact algebra: each side sums ``n−f+1`` products, so the tolerance is
``γ_{n−f+2} · Σ_i |(∂ℓ/∂A)_{i,i+k−1}|`` per entry (:mod:`theorems.oracles.tolerance`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from theorems.calling import call_implementation, tensor
from theorems.evidence import Evidence, compare_elementwise, implementation_failure
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, gamma

__all__ = [
    "ToeplitzCase",
    "block_toeplitz_matrix",
    "check_toeplitz_gradient",
    "check_toeplitz_matrix",
    "filter_gradient_from_matrix_gradient",
    "output_length",
    "superdiagonal_sums",
    "toeplitz_matrix",
]



# --- the pure math -------------------------------------------------------------------


def output_length(n: int, kernel_size: int, *, stride: int = 1, dilation: int = 1) -> int:
    """``⌊(n − d(f−1) − 1)/s⌋ + 1``, the length of a valid convolution's output."""
    return (n - dilation * (kernel_size - 1) - 1) // stride + 1


def require_geometry(n: object, kernel_size: object, stride: object = 1, dilation: object = 1) -> None:
    """InvalidInput (one line) unless sizes are positive ints and the filter fits in the input."""
    for name, value in (("n_in", n), ("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InvalidInput(f"{name}={value!r} must be an int")
        if value < 1:
            raise InvalidInput(f"{name}={value} must be at least 1")
    span = dilation * (kernel_size - 1) + 1
    if span > n:
        raise InvalidInput(f"kernel_size={kernel_size} with dilation={dilation} spans {span} > n_in={n}: no valid output")


def column_indices(n_out: int, kernel_size: int, *, stride: int = 1, dilation: int = 1) -> torch.Tensor:
    """``J[i, k] = s·i + d·k`` (0-based): the column of ``A`` where row ``i`` meets ``w_k``."""
    rows = torch.arange(n_out).unsqueeze(1)
    taps = torch.arange(kernel_size).unsqueeze(0)
    return stride * rows + dilation * taps


def toeplitz_matrix(w: torch.Tensor, n: int, *, stride: int = 1, dilation: int = 1) -> torch.Tensor:
    """``A(w)``, ``(n_out, n)``, with ``A[i, s·i + d·k] = w[k]``; differentiable in ``w``."""
    require_geometry(n, w.numel(), stride, dilation)
    n_out = output_length(n, w.numel(), stride=stride, dilation=dilation)
    columns = column_indices(n_out, w.numel(), stride=stride, dilation=dilation)
    rows = torch.arange(n_out).unsqueeze(1).expand_as(columns)
    matrix = torch.zeros(n_out, n, dtype=w.dtype)
    return matrix.index_put((rows, columns), w.expand(n_out, -1))


def block_toeplitz_matrix(weight: torch.Tensor, n: int, *, stride: int = 1, dilation: int = 1) -> torch.Tensor:
    """``(C_out·n_out, C_in·n)`` block matrix of ``conv1d`` with weight ``(C_out, C_in, f)``.

    Block ``(o, c)`` is ``A(weight[o, c])``; it acts on ``x`` flattened channel-major.
    """
    rows = [
        torch.cat([toeplitz_matrix(weight[o, c], n, stride=stride, dilation=dilation) for c in range(weight.shape[1])], dim=1)
        for o in range(weight.shape[0])
    ]
    return torch.cat(rows, dim=0)


def superdiagonal_sums(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """``Σ_i grad_A[i, i+k]`` for ``k = 0..f−1`` (the reference implementation)."""
    return filter_gradient_from_matrix_gradient(grad_A, kernel_size)


def filter_gradient_from_matrix_gradient(
    grad_A: torch.Tensor, kernel_size: int, *, stride: int = 1, dilation: int = 1, channels: tuple[int, int] = (1, 1)
) -> torch.Tensor:
    """``∂ℓ/∂w[o, c, k] = Σ_i G_{o,c}[i, s·i + d·k]`` over the blocks ``G_{o,c}`` of ``∂ℓ/∂A``.

    Returns ``(kernel_size,)`` for one channel pair, else ``(C_out, C_in, kernel_size)``.
    """
    if not isinstance(grad_A, torch.Tensor) or grad_A.dim() != 2:
        raise InvalidInput(f"grad_A must be a 2-D torch.Tensor, got {type(grad_A).__name__}")
    out_channels, in_channels = channels
    if grad_A.shape[0] % out_channels or grad_A.shape[1] % in_channels:
        raise InvalidInput(f"grad_A of shape {tuple(grad_A.shape)} does not split into {out_channels}×{in_channels} blocks")
    n_out, n = grad_A.shape[0] // out_channels, grad_A.shape[1] // in_channels
    require_geometry(n, kernel_size, stride, dilation)
    if output_length(n, kernel_size, stride=stride, dilation=dilation) != n_out:
        raise InvalidInput(f"grad_A has {n_out} rows per block; kernel_size={kernel_size} on n_in={n} gives a different output length")
    columns = column_indices(n_out, kernel_size, stride=stride, dilation=dilation)
    blocks = grad_A.reshape(out_channels, n_out, in_channels, n).permute(0, 2, 1, 3)
    gathered = torch.gather(blocks, 3, columns.expand(out_channels, in_channels, -1, -1))
    result = gathered.sum(dim=2)
    return result[0, 0] if channels == (1, 1) else result


# --- the examples ---------------------------------------------------------------------


@dataclass(frozen=True)
class ToeplitzCase:
    """A conv layer ``y = tanh(conv1d(x, w, stride, dilation) + b)`` followed by a small random network.

    ``ℓ = vᵀ tanh(U y + c)`` with ``U`` of shape ``(hidden, C_out·n_out)``. Everything is
    float64 and built from ``seed``.
    """

    x: torch.Tensor
    w: torch.Tensor
    bias: torch.Tensor
    hidden_weight: torch.Tensor
    hidden_bias: torch.Tensor
    readout: torch.Tensor
    stride: int = 1
    dilation: int = 1
    seed: int = 0
    channels: tuple[int, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", (self.w.shape[0], self.w.shape[1]))

    @property
    def n(self) -> int:
        return self.x.shape[-1]

    @property
    def kernel_size(self) -> int:
        return self.w.shape[-1]

    def __repr__(self) -> str:
        return (
            f"ToeplitzCase(n_in={self.n}, kernel_size={self.kernel_size}, channels={self.channels}, "
            f"stride={self.stride}, dilation={self.dilation}, hidden={self.hidden_weight.shape[0]}, seed={self.seed})"
        )


def downstream_loss(case: ToeplitzCase, z: torch.Tensor) -> torch.Tensor:
    """``ℓ = vᵀ tanh(U tanh(z) + c)`` for the layer's pre-activation ``z`` (flattened channel-major)."""
    return case.readout @ torch.tanh(case.hidden_weight @ torch.tanh(z.reshape(-1)) + case.hidden_bias)


def gradients_through_dense_matrix(case: ToeplitzCase) -> dict[str, torch.Tensor]:
    """Autograd with ``z = A(w) x + b``: returns ``∂ℓ/∂A``, ``∂ℓ/∂w``, ``∂ℓ/∂b`` and ``δ = ∂ℓ/∂z``."""
    w = case.w.detach().clone().requires_grad_(True)
    bias = case.bias.detach().clone().requires_grad_(True)
    matrix = block_toeplitz_matrix(w, case.n, stride=case.stride, dilation=case.dilation)
    matrix.retain_grad()
    z = matrix @ case.x.reshape(-1) + bias
    z.retain_grad()
    downstream_loss(case, z).backward()
    return {"grad_A": matrix.grad, "grad_w": w.grad, "grad_b": bias.grad, "delta": z.grad}


def filter_gradient_through_conv1d(case: ToeplitzCase, delta: torch.Tensor) -> torch.Tensor:
    """Autograd through ``conv1d`` for the output gradient ``δ`` (reshaped to ``(C_out, n_out)``)."""
    w = case.w.detach().clone().requires_grad_(True)
    y = torch.nn.functional.conv1d(case.x.unsqueeze(0), w, stride=case.stride, dilation=case.dilation)
    (grad,) = torch.autograd.grad(y, w, grad_outputs=delta.reshape(y.shape))
    return grad


def loss_of_filter(case: ToeplitzCase) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``(w, b) ↦ ℓ`` through ``conv1d`` (for finite differences)."""

    def loss(w: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        y = torch.nn.functional.conv1d(case.x.unsqueeze(0), w, stride=case.stride, dilation=case.dilation)
        return downstream_loss(case, y.reshape(-1) + bias)

    return loss


def sum_tolerance(terms: torch.Tensor, count: int) -> torch.Tensor:
    """``2 γ_{count+1} · Σ|terms|``: two summations of ``count`` terms, each within Higham's bound."""
    return 2 * gamma(count + 1, U64) * terms


# --- the checks ------------------------------------------------------------------------


def require_case(theorem_id: str, case: object) -> ToeplitzCase:
    if not isinstance(case, ToeplitzCase):
        raise InvalidInput(f"{theorem_id} checks a ToeplitzCase, got {type(case).__name__}")
    require_geometry(case.n, case.kernel_size, case.stride, case.dilation)
    if case.x.dtype != torch.float64 or case.w.dtype != torch.float64:
        raise InvalidInput(f"{theorem_id} works in float64; got x {case.x.dtype}, w {case.w.dtype}")
    return case


def check_toeplitz_gradient(implementation: Callable[[torch.Tensor, int], torch.Tensor], case: ToeplitzCase) -> Evidence:
    """Compare ``implementation(∂ℓ/∂A, f)`` with autograd's ``∂ℓ/∂w`` through the dense matrix."""
    theorem_id = "toeplitz-gradient"
    case = require_case(theorem_id, case)
    if case.channels != (1, 1) or case.stride != 1 or case.dilation != 1:
        raise InvalidInput(f"{theorem_id}'s contract is one channel, stride 1, dilation 1; got {case!r}")
    example = repr(case)
    oracle = gradients_through_dense_matrix(case)
    grad_A = oracle["grad_A"]
    actual = call_implementation(
        theorem_id, example, implementation, (grad_A.clone(), case.kernel_size), ("grad_A", "kernel_size"), expect=tensor(dtype=torch.float64)
    )
    if isinstance(actual, Evidence):
        return actual
    expected = oracle["grad_w"].reshape(-1)
    n_out = grad_A.shape[0]
    magnitude = filter_gradient_from_matrix_gradient(grad_A.abs(), case.kernel_size)
    return compare_elementwise(
        theorem_id=theorem_id,
        example=example,
        expected=expected,
        actual=actual.detach(),
        tolerance=sum_tolerance(magnitude, n_out),
        tolerance_reason=f"2γ_(m+1)·Σ_i|∂ℓ/∂A_(i,i+k)|: two sums of m={n_out} terms in float64 (Higham §3.1)",
    )


def check_toeplitz_matrix(implementation: Callable[[torch.Tensor, int], torch.Tensor], case: ToeplitzCase) -> Evidence:
    """Compare ``implementation(w, n) @ x`` with ``conv1d(x, w)`` (one channel, stride 1, dilation 1)."""
    theorem_id = "toeplitz-matrix"
    case = require_case(theorem_id, case)
    if case.channels != (1, 1) or case.stride != 1 or case.dilation != 1:
        raise InvalidInput(f"{theorem_id}'s contract is one channel, stride 1, dilation 1; got {case!r}")
    example = repr(case)
    w, x = case.w[0, 0], case.x[0]
    matrix = call_implementation(theorem_id, example, implementation, (w.clone(), case.n), ("w", "n_in"), expect=tensor(dim=2))
    if isinstance(matrix, Evidence):
        return matrix
    expected = torch.nn.functional.conv1d(x.reshape(1, 1, -1), w.reshape(1, 1, -1)).reshape(-1)
    if matrix.shape != (expected.numel(), case.n):
        return implementation_failure(theorem_id, example, f"returned shape {tuple(matrix.shape)}, expected {(expected.numel(), case.n)}")
    magnitude = torch.nn.functional.conv1d(x.abs().reshape(1, 1, -1), w.abs().reshape(1, 1, -1)).reshape(-1)
    return compare_elementwise(
        theorem_id=theorem_id,
        example=example,
        expected=expected,
        actual=(matrix.double() @ x).detach(),
        tolerance=2 * gamma(case.n, U64) * magnitude,
        tolerance_reason=f"2γ_n·Σ|w||x| per output: a product over n={case.n} entries against f={case.kernel_size} terms",
    )
