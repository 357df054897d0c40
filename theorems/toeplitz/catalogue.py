"""Deliberately wrong Toeplitz gradients and Toeplitz matrices: mistakes people make.

Filter gradients follow ``toeplitz-gradient``'s contract ``(grad_A, kernel_size) ->
(kernel_size,)``; matrix builders follow ``toeplitz-matrix``'s ``(w, n_in) -> (n_in−f+1,
n_in)``. That contract is one channel, stride 1, dilation 1, so no builder here can
get a stride or a dilation wrong. ``tests/toeplitz/test_toeplitz.py`` proves each is
falsified on a small example.
"""

from __future__ import annotations

import torch

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_GRADIENTS", "WRONG_IMPLEMENTATIONS", "WRONG_MATRICES"]


def _diagonal_sums(grad_A: torch.Tensor, offsets) -> torch.Tensor:
    return torch.stack([torch.diagonal(grad_A, offset=int(offset)).sum() for offset in offsets])


def flipped_filter(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """True convolution's convention: w_k meets the (f−k)-th superdiagonal."""
    return _diagonal_sums(grad_A, range(kernel_size)).flip(0)


def subdiagonals(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Transposed layout: sums the k-th subdiagonal (grad_A read as (n_in, n_out))."""
    return _diagonal_sums(grad_A, [-k for k in range(kernel_size)])


def superdiagonal_off_by_one(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """1-based index used as an offset: the k-th superdiagonal for w_k instead of the (k−1)-th."""
    return _diagonal_sums(grad_A, range(1, kernel_size + 1))


def first_row_only(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Drops every term but i = 1 (the gradient of one output only)."""
    return grad_A[0, :kernel_size].clone()


def mean_instead_of_sum(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Averages the diagonal (as if the filter's uses were one shared average)."""
    return _diagonal_sums(grad_A, range(kernel_size)) / grad_A.shape[0]


def whole_diagonal_of_square_matrix(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Sums columns k..: Σ_j grad_A[:, j] over j ≥ k (a row-sum mix-up)."""
    return torch.stack([grad_A[:, k:].sum() for k in range(kernel_size)])


def pointwise_fast_path_sums_everything(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """A 1-tap fast path taking ∂ℓ/∂w as the sum of all of ∂ℓ/∂A, as if A = w·ones; A = w·I, so only the trace belongs to w.

    Wrong only for a one-tap filter on an input longer than 1 (``filter="1"``).
    """
    if kernel_size == 1:
        return grad_A.sum().reshape(1)
    return _diagonal_sums(grad_A, range(kernel_size))


def squeezed_before_diag(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Squeezes ∂ℓ/∂A (to accept a batched (1, n_out, n) one) before torch.diag: one output row squeezes to a vector.

    ``torch.diag`` of a vector *builds* a diagonal matrix, so every tap gets the whole
    row's sum (and a 1×1 gradient squeezes to a scalar, which it refuses). Wrong only for
    a filter as long as the input (``filter="n"``).
    """
    squeezed = grad_A.squeeze()
    return torch.stack([torch.diag(squeezed, k).sum() for k in range(kernel_size)])


WRONG_GRADIENTS = tuple(
    WrongImplementation("toeplitz-gradient", name, function.__doc__.split("\n")[0], function)
    for name, function in (
        ("flipped filter", flipped_filter),
        ("subdiagonals", subdiagonals),
        ("off by one", superdiagonal_off_by_one),
        ("first row only", first_row_only),
        ("mean for sum", mean_instead_of_sum),
        ("column sums", whole_diagonal_of_square_matrix),
        ("1-tap fast path", pointwise_fast_path_sums_everything),
        ("squeezed before diag", squeezed_before_diag),
    )
)


# --- toeplitz-matrix: (w, n_in) -> A(w) of shape (n_in − f + 1, n_in) -----------------------


def _banded(w: torch.Tensor, n: int, rows: int, column_of, tap_of=lambda k, f: k, dtype=None) -> torch.Tensor:
    """A ``rows × n`` matrix with ``w[tap_of(k)]`` at ``(i, column_of(i, k))``, skipping columns past the edge.

    Written as the loop people write, so Python's negative indices wrap as they would.
    """
    f = w.numel()
    matrix = torch.zeros(rows, n, dtype=w.dtype if dtype is None else dtype)
    for i in range(rows):
        for k in range(f):
            column = column_of(i, k)
            if column < n:
                matrix[i, column] = w[tap_of(k, f)]
    return matrix


def convolution_flips_the_filter(w: torch.Tensor, n: int) -> torch.Tensor:
    """True convolution's convention: A[i, i+k] = w[f−1−k], but conv1d is a cross-correlation."""
    return _banded(w, n, n - w.numel() + 1, lambda i, k: i + k, tap_of=lambda k, f: f - 1 - k)


def transposed_matrix(w: torch.Tensor, n: int) -> torch.Tensor:
    """Transposed layout: returns A(w)ᵀ, shape (n, n−f+1), as if conv1d acted on row vectors."""
    return _banded(w, n, n - w.numel() + 1, lambda i, k: i + k).T.contiguous()


def band_off_by_one(w: torch.Tensor, n: int) -> torch.Tensor:
    """1-based tap index on a 0-based row: A[i, i+k−1] = w[k]; column −1 wraps to the last one."""
    return _banded(w, n, n - w.numel() + 1, lambda i, k: i + k - 1)


def output_length_n_minus_f(w: torch.Tensor, n: int) -> torch.Tensor:
    """Output length n−f instead of n−f+1: the last output row is dropped."""
    return _banded(w, n, n - w.numel(), lambda i, k: i + k)


def same_length_output(w: torch.Tensor, n: int) -> torch.Tensor:
    """n output rows (as with 'same' padding), the band running off the right edge."""
    return _banded(w, n, n, lambda i, k: i + k)


def indices_swapped(w: torch.Tensor, n: int) -> torch.Tensor:
    """A_{i,j} = w_{i−j+1} for A_{i,j} = w_{j−i+1}: the band below the diagonal, clipped at column 0."""
    f = w.numel()
    matrix = torch.zeros(n - f + 1, n, dtype=w.dtype)
    for i in range(n - f + 1):
        for k in range(f):
            if i - k >= 0:
                matrix[i, i - k] = w[k]
    return matrix


def built_in_float32(w: torch.Tensor, n: int) -> torch.Tensor:
    """torch.zeros' default dtype: the float64 filter is rounded to float32 when stored."""
    return _banded(w, n, n - w.numel() + 1, lambda i, k: i + k, dtype=torch.float32)


def jacobian_of_squeezed_conv(w: torch.Tensor, n: int) -> torch.Tensor:
    """A(w) as the Jacobian of x ↦ conv1d(x, w).squeeze(); with f = n the one output squeezes to 0-d, the Jacobian to (n,).

    The row ``(1, n)`` comes back as a vector (``A @ x`` still gives the right number,
    which is how it goes unnoticed). Wrong only for a filter as long as the input
    (``filter="n"``).
    """

    def convolve(x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.conv1d(x.reshape(1, 1, -1), w.reshape(1, 1, -1)).squeeze()

    return torch.autograd.functional.jacobian(convolve, torch.zeros(n, dtype=w.dtype))


WRONG_MATRICES = tuple(
    WrongImplementation("toeplitz-matrix", name, mistake, function)
    for name, mistake, function in (
        ("flipped filter", "true convolution's flipped filter", convolution_flips_the_filter),
        ("transposed", "A(w)ᵀ returned (n × n−f+1)", transposed_matrix),
        ("band off by one", "column i+k−1, wrapping at −1", band_off_by_one),
        ("n-f rows", "output length n−f, not n−f+1", output_length_n_minus_f),
        ("n rows", "'same' output length n", same_length_output),
        ("indices swapped", "A_ij = w_(i−j+1)", indices_swapped),
        ("float32 matrix", "built in torch.zeros' default float32", built_in_float32),
        ("squeezed Jacobian", "Jacobian of conv1d(x, w).squeeze(): f = n gives a vector", jacobian_of_squeezed_conv),
    )
)

WRONG_IMPLEMENTATIONS = WRONG_GRADIENTS + WRONG_MATRICES
