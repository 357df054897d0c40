"""Strategies for the Toeplitz gradient: a conv layer, a small network after it, a seed.

Sizes, channels, stride and dilation are drawn by Hypothesis (they shrink toward one
channel, ``n_in = 1``); values come from torch under a drawn seed, in float64.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from theorems.strategies._domain import one_of_values
from theorems.strategies.seeding import seeds, torch_seeded
from theorems.toeplitz import ToeplitzCase, output_length

__all__ = ["general_cases", "gradient_cases"]

MAX_N = 40


KERNEL_SIZES = tuple(range(1, 9))


@st.composite
def _cases(draw: st.DrawFn, *, general: bool, kernel_sizes: st.SearchStrategy[int]) -> ToeplitzCase:
    stride = draw(st.integers(1, 3)) if general else 1
    dilation = draw(st.integers(1, 3)) if general else 1
    channels = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if general else (1, 1)
    kernel_size = draw(kernel_sizes)
    span = dilation * (kernel_size - 1) + 1
    n = draw(st.integers(span, max(span, MAX_N)))
    hidden = draw(st.integers(1, 8))
    seed = draw(seeds)
    n_out = output_length(n, kernel_size, stride=stride, dilation=dilation)
    with torch_seeded(seed):
        options = dict(dtype=torch.float64)
        return ToeplitzCase(
            x=torch.randn(channels[1], n, **options),
            w=torch.randn(channels[0], channels[1], kernel_size, **options) / kernel_size**0.5,
            bias=torch.randn((), **options),
            hidden_weight=torch.randn(hidden, channels[0] * n_out, **options) / (channels[0] * n_out) ** 0.5,
            hidden_bias=torch.randn(hidden, **options),
            readout=torch.randn(hidden, **options),
            stride=stride,
            dilation=dilation,
            seed=seed,
        )


def gradient_cases(*, kernel_size: int | tuple[int, ...] | range | None = None) -> st.SearchStrategy[ToeplitzCase]:
    """One channel, stride 1, dilation 1: the notes' setting and the implementation contract.

    ``kernel_size`` restricts the filter length f (1 to 8; None: any).

    >>> from theorems.strategies import gradient_cases
    >>> gradient_cases(kernel_size=3).example().kernel_size
    3
    """
    return _cases(general=False, kernel_sizes=one_of_values("kernel_size", kernel_size, KERNEL_SIZES))


def general_cases(*, kernel_size: int | tuple[int, ...] | range | None = None) -> st.SearchStrategy[ToeplitzCase]:
    """Several channels, stride and dilation up to 3 (beyond the notes); ``kernel_size`` as for :func:`gradient_cases`."""
    return _cases(general=True, kernel_sizes=one_of_values("kernel_size", kernel_size, KERNEL_SIZES))
