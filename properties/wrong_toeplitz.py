"""Deliberately wrong filter gradients from ``∂ℓ/∂A``: the contract ``(grad_A, kernel_size) -> (kernel_size,)``."""

from __future__ import annotations

import torch

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


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


WRONG_IMPLEMENTATIONS = tuple(
    WrongImplementation("toeplitz-gradient", name, function.__doc__.split("\n")[0], function)
    for name, function in (
        ("flipped filter", flipped_filter),
        ("subdiagonals", subdiagonals),
        ("off by one", superdiagonal_off_by_one),
        ("first row only", first_row_only),
        ("mean for sum", mean_instead_of_sum),
        ("column sums", whole_diagonal_of_square_matrix),
    )
)
