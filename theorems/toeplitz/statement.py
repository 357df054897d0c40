"""T3 · The filter gradient of a 1-D convolution through its Toeplitz matrix (Problem 3). Math and checks: :mod:`theorems.toeplitz.check`."""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["FILTER", "KERNEL_SIZE", "THEOREMS", "TOEPLITZ_GRADIENT", "TOEPLITZ_MATRIX"]

KERNEL_SIZE = Assumption("kernel_size", tuple(range(1, 9)), "the filter length f")
# The structural classes of the one-channel, stride-1, dilation-1 contract (it has no
# stride, dilation or channels to cover): a one-tap filter (A = w·I), a filter as long as
# the input (one output, A = wᵀ) and everything between. Three rows per run.
FILTER = Assumption("filter", ("1", "between", "n"), "the filter against the input: f = 1 < n, 1 < f < n, or f = n (one output)")
_CLASSIFY = "theorems.strategies.toeplitz:classify_toeplitz_case"

TOEPLITZ_GRADIENT = Theorem(
    id="toeplitz-gradient",
    title="A conv filter's gradient is the sum of the matrix gradient's superdiagonals",
    source="Problem 3",
    statement=r"\frac{\partial \ell}{\partial w_k} = \sum_{i=1}^{n-f+1} \Big(\frac{\partial \ell}{\partial A}\Big)_{i,\,i+k-1},\quad k = 1..f",
    hypotheses=(
        "A(w) is the (n−f+1)×n Toeplitz matrix of a valid conv1d (cross-correlation), A_{i,j} = w_{j−i+1}",
        "ℓ is any differentiable scalar of the layer's output",
        "stride s and dilation d move w_k to A_{i, s(i−1)+d(k−1)+1}; channels give a block matrix",
    ),
    oracles=(
        "autograd through the dense matrix A(w) (the check)",
        "autograd through torch.nn.functional.conv1d given the same δ",
        "central finite differences (torch.autograd.gradcheck) in float64",
    ),
    contract="(grad_A: torch.Tensor (n_out, n_in) float64, kernel_size: int) -> torch.Tensor (kernel_size,) float64",
    reference_target="theorems.toeplitz.check:superdiagonal_sums",
    check_target="theorems.toeplitz.check:check_toeplitz_gradient",
    examples="theorems.strategies.toeplitz:gradient_cases",
    parameters=("grad_A", "kernel_size"),
    assumptions=(KERNEL_SIZE, FILTER),
    cover=(FILTER.name,),
    classify_target=_CLASSIFY,
)

TOEPLITZ_MATRIX = Theorem(
    id="toeplitz-matrix",
    title="A valid conv1d is multiplication by a Toeplitz matrix",
    source="Problem 3",
    statement=r"\mathrm{conv1d}(x, w) = A(w)\,x,\quad A_{i,j} = w_{j-i+1}\ (1 \le j-i+1 \le f)",
    hypotheses=("valid convolution (no padding), one channel, stride 1, dilation 1",),
    oracles=("torch.nn.functional.conv1d in float64",),
    contract="(w: torch.Tensor (f,) float64, n_in: int) -> torch.Tensor (n_in−f+1, n_in)",
    reference_target="theorems.toeplitz.check:toeplitz_matrix",
    check_target="theorems.toeplitz.check:check_toeplitz_matrix",
    examples="theorems.strategies.toeplitz:gradient_cases",
    parameters=("w", "n_in"),
    assumptions=(KERNEL_SIZE, FILTER),
    cover=(FILTER.name,),
    classify_target=_CLASSIFY,
)

THEOREMS = (TOEPLITZ_GRADIENT, TOEPLITZ_MATRIX)
