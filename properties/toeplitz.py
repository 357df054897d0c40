"""Strategies for the Toeplitz gradient: a conv layer, a small network after it, a seed.

Sizes, channels, stride and dilation are drawn by Hypothesis (they shrink toward one
channel, ``n_in = 1``); values come from torch under a drawn seed, in float64.

The structural classes of the one-channel contract are the filter's length against the
input's (``filter``): ``"1"``, a one-tap filter on a longer input (``A = w·I``, square);
``"between"``, ``1 < f < n``; ``"n"``, a filter as long as the input (``f = n``, one
output: ``A`` is the row ``wᵀ``). :func:`classify_toeplitz_case` maps an example onto them.
"""

from __future__ import annotations


import torch
from hypothesis import strategies as st

from theorems.strategies._domain import chosen_values
from theorems.strategies.seeding import seeds, torch_seeded
from theorems.toeplitz.check import ToeplitzCase, output_length

__all__ = ["classify_toeplitz_case", "general_cases", "gradient_cases"]

MAX_N = 40


KERNEL_SIZES = tuple(range(1, 9))
FILTER_CLASSES = ("1", "between", "n")


def _fits(filter_class: str, kernel_size: int) -> bool:
    """Whether a filter of ``kernel_size`` taps can be in ``filter_class`` (any can span its input)."""
    return {"1": kernel_size == 1, "between": kernel_size >= 2, "n": True}[filter_class]


def _input_lengths(filter_class: str | None, kernel_size: int, span: int) -> st.SearchStrategy[int]:
    """``n_in`` for the class: longer than a one-tap filter, longer than the filter, or equal to it."""
    if filter_class == "1":
        return st.integers(2, MAX_N)
    if filter_class == "between":
        return st.integers(kernel_size + 1, MAX_N)
    if filter_class == "n":
        return st.just(kernel_size)
    return st.integers(span, max(span, MAX_N))


@st.composite
def _cases(draw: st.DrawFn, *, general: bool, kernel_sizes: tuple[int, ...], filters: tuple[str, ...] | None = None) -> ToeplitzCase:
    stride = draw(st.integers(1, 3)) if general else 1
    dilation = draw(st.integers(1, 3)) if general else 1
    channels = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if general else (1, 1)
    # A class no allowed filter length fits (a one-tap class with kernel_size=3) yields to
    # kernel_size, the finer restriction: the engine's covering rows add a class to the
    # user's own kernel_size, and the user's restriction must hold whatever the row says.
    open_filters = tuple(c for c in filters or () if any(_fits(c, f) for f in kernel_sizes)) or None
    filter_class = draw(st.sampled_from(open_filters)) if open_filters else None
    kernel_size = draw(st.sampled_from([f for f in kernel_sizes if filter_class is None or _fits(filter_class, f)]))
    span = dilation * (kernel_size - 1) + 1
    n = draw(_input_lengths(filter_class, kernel_size, span))
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


def gradient_cases(
    *, kernel_size: int | tuple[int, ...] | range | None = None, filter: str | tuple[str, ...] | None = None
) -> st.SearchStrategy[ToeplitzCase]:
    """One channel, stride 1, dilation 1: the notes' setting and the implementation contract.

    ``kernel_size`` restricts the filter length f (1 to 8; None: any). ``filter``
    restricts the filter's length against the input's: ``"1"`` (``f = 1 < n``),
    ``"between"`` (``1 < f < n``) or ``"n"`` (``f = n``, a single output); None: any, with
    ``n`` drawn up to 40 whatever ``f``. A class that no allowed ``kernel_size`` fits
    (``filter="1"`` with ``kernel_size=3``) yields to ``kernel_size``.

    >>> from theorems.strategies import gradient_cases
    >>> gradient_cases(kernel_size=3).example().kernel_size
    3
    >>> case = gradient_cases(filter="n").example()
    >>> case.n == case.kernel_size
    True
    """
    kernel_sizes = chosen_values("kernel_size", kernel_size, KERNEL_SIZES)
    filters = None if filter is None else chosen_values("filter", filter, FILTER_CLASSES)
    return _cases(general=False, kernel_sizes=kernel_sizes, filters=filters)


def general_cases(*, kernel_size: int | tuple[int, ...] | range | None = None) -> st.SearchStrategy[ToeplitzCase]:
    """Several channels, stride and dilation up to 3 (beyond the notes); ``kernel_size`` as for :func:`gradient_cases`."""
    return _cases(general=True, kernel_sizes=chosen_values("kernel_size", kernel_size, KERNEL_SIZES))


def classify_toeplitz_case(case: ToeplitzCase) -> dict[str, str]:
    """The example's ``filter`` class: ``"n"`` when ``f = n`` (one output), else ``"1"`` or ``"between"``."""
    if case.kernel_size == case.n:
        return {"filter": "n"}
    return {"filter": "1" if case.kernel_size == 1 else "between"}
