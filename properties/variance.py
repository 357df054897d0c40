"""Strategies for the variance recursion: widths, input laws, seeds.

Depth and widths are drawn by Hypothesis (they shrink toward one layer of width 1);
the networks themselves are sampled by the check from the drawn seed. Widths are capped
by depth: the Monte Carlo work to reach the stated power grows like depth × width
(:mod:`theorems.variance`), so wide layers come with shallow networks. One-layer
networks reach ``SINGLE_LAYER_MAX_WIDTH``, since their statistic averages all
``n_0 n_1`` weights and needs few networks.
"""

from __future__ import annotations

from hypothesis import strategies as st

from theorems.strategies._domain import one_of_values
from theorems.strategies.seeding import seeds
from theorems.variance import INPUT_LAWS, VarianceCase

__all__ = ["depth_capped_widths", "relu_cases", "variance_cases", "width_cap"]

MAX_DEPTH = 12
SINGLE_LAYER_MAX_WIDTH = 256
SAMPLED_INPUT_MAX_WIDTH = 32
# depth × width ≤ DEPTH_WIDTH_PRODUCT beyond one layer keeps one check within its work cap.
DEPTH_WIDTH_PRODUCT = 24


def width_cap(depth: int) -> int:
    """The widest layer allowed at this depth."""
    if depth == 1:
        return SINGLE_LAYER_MAX_WIDTH
    return max(2, DEPTH_WIDTH_PRODUCT // depth)


@st.composite
def depth_capped_widths(draw: st.DrawFn, *, max_depth: int = MAX_DEPTH, max_width: int | None = None) -> tuple[int, ...]:
    """``(n_0, …, n_L)`` with ``1 ≤ L ≤ max_depth`` and every width in ``[1, min(width_cap(L), max_width)]``."""
    if not 1 <= max_depth <= MAX_DEPTH:
        raise ValueError(f"max_depth={max_depth} must be in [1, {MAX_DEPTH}]")
    if max_width is not None and max_width < 1:
        raise ValueError(f"max_width={max_width} must be at least 1")
    depth = draw(st.integers(1, max_depth))
    cap = width_cap(depth) if max_width is None else min(width_cap(depth), max_width)
    return tuple(draw(st.lists(st.integers(1, cap), min_size=depth + 1, max_size=depth + 1)))


@st.composite
def _cases(draw: st.DrawFn, laws: tuple[str, ...], depths: st.SearchStrategy[int]) -> VarianceCase:
    inputs = draw(st.sampled_from(laws))
    depth = draw(depths)
    cap = width_cap(depth)
    widths = tuple(draw(st.lists(st.integers(1, cap), min_size=depth + 1, max_size=depth + 1)))
    if inputs != "exact" and len(widths) == 2:
        # Sampled inputs add noise growing with n_0 that only more networks average out.
        widths = (min(widths[0], SAMPLED_INPUT_MAX_WIDTH), widths[1])
    return VarianceCase(widths=widths, inputs=inputs, seed=draw(seeds))


DEPTHS = tuple(range(1, MAX_DEPTH + 1))


def variance_cases(*, depth: int | tuple[int, ...] | range | None = None) -> st.SearchStrategy[VarianceCase]:
    """Examples for ``variance-recursion``: any input law (``"exact"`` first), widths, a seed.

    ``depth`` restricts the number of layers L (1 to 12; None: any).

    >>> from theorems.strategies import variance_cases
    >>> len(variance_cases(depth=2).example().widths)
    3
    """
    return _cases(INPUT_LAWS, one_of_values("depth", depth, DEPTHS))


def relu_cases(*, depth: int | tuple[int, ...] | range | None = None) -> st.SearchStrategy[VarianceCase]:
    """Examples for ``variance-recursion-relu``: sampled inputs only (the network is not affine); ``depth`` as above."""
    return _cases(INPUT_LAWS[1:], one_of_values("depth", depth, DEPTHS))
