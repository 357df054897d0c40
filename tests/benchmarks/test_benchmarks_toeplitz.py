"""Benchmarks (``pytest --benchmark-only``): the superdiagonal sums against autograd through conv1d."""

from __future__ import annotations

import pytest
import torch

from theorems.toeplitz.check import superdiagonal_sums

N, KERNEL = 512, 9


@pytest.mark.benchmark(group="oracle: filter gradient")
def test_superdiagonal_sums_of_a_512_wide_matrix_gradient(benchmark) -> None:
    grad_A = torch.randn(N - KERNEL + 1, N, dtype=torch.float64)
    benchmark(superdiagonal_sums, grad_A, KERNEL)


@pytest.mark.benchmark(group="oracle: filter gradient")
def test_filter_gradient_by_autograd_through_conv1d(benchmark) -> None:
    x = torch.randn(1, 1, N, dtype=torch.float64)
    w = torch.randn(1, 1, KERNEL, dtype=torch.float64, requires_grad=True)
    delta = torch.randn(1, 1, N - KERNEL + 1, dtype=torch.float64)

    def gradient() -> torch.Tensor:
        return torch.autograd.grad(torch.nn.functional.conv1d(x, w), w, grad_outputs=delta)[0]

    benchmark(gradient)
