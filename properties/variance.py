"""Strategies for the variance recursion: widths, input laws, seeds.

Depth and widths are drawn by Hypothesis (they shrink toward one layer of width 1);
the networks themselves are sampled by the check from the drawn seed. Widths are capped
by depth: the Monte Carlo work to reach the stated power grows like depth × width
(:mod:`theorems.variance.monte_carlo`), so wide layers come with shallow networks. One-layer
networks reach ``SINGLE_LAYER_MAX_WIDTH``, since their statistic averages all
``n_0 n_1`` weights and needs few networks.

The structural classes are the network's depth (``depth_class``: ``"1"``, one layer, or
``"deep"``), its narrowest fan-in (``width``: ``"1"``, some layer has a single input,
``n_l = 1`` for some ``l < L``, or ``"wide"``, every fan-in at least 2) and the shape of its
layers (``layers``: ``"square"``, every width equal, where a fan-in/fan-out mix-up cannot
show, or ``"rectangular"``). :func:`classify_variance_case` maps an example onto them.
The contract (``widths -> float``) has no bias switch: every layer has its bias, as
``nn.Linear`` does by default, so bias on and off is no class here.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from theorems.strategies._domain import chosen_values
from theorems.strategies.seeding import seeds
from theorems.variance.check import VarianceCase
from theorems.variance.monte_carlo import INPUT_LAWS

__all__ = ["classify_variance_case", "depth_capped_widths", "relu_cases", "variance_cases", "width_cap"]

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


def _depth_class(depth: int) -> str:
    return "1" if depth == 1 else "deep"


@st.composite
def _cases(
    draw: st.DrawFn,
    laws: tuple[str, ...],
    depths: tuple[int, ...],
    width_classes: tuple[str, ...] | None,
    layer_classes: tuple[str, ...] | None,
) -> VarianceCase:
    inputs = draw(st.sampled_from(laws))
    depth = draw(st.sampled_from(depths))
    cap = width_cap(depth)
    # Sampled inputs add noise growing with n_0 that only more networks average out.
    input_cap = SAMPLED_INPUT_MAX_WIDTH if inputs != "exact" and depth == 1 else cap
    width_class = draw(st.sampled_from(width_classes)) if width_classes else None
    layer_class = draw(st.sampled_from(layer_classes)) if layer_classes else None
    smallest = 2 if width_class == "wide" else 1
    if layer_class == "square":
        width = 1 if width_class == "1" else draw(st.integers(smallest, min(cap, input_cap)))
        return VarianceCase(widths=(width,) * (depth + 1), inputs=inputs, seed=draw(seeds))
    widths = draw(st.lists(st.integers(smallest, cap), min_size=depth + 1, max_size=depth + 1))
    widths[0] = min(widths[0], input_cap)
    if width_class == "1":
        # One fan-in n_l (l < L) of 1; the index shrinks toward the input layer.
        widths[draw(st.integers(0, depth - 1))] = 1
    if layer_class == "rectangular" and len(set(widths)) == 1:
        # The output width n_L is no layer's fan-in: changing it leaves the other classes as
        # they are. Past the cap only where the cap is 2 and the class wide (deep networks).
        last = widths[-1]
        widths[-1] = last - 1 if last == cap and last - 1 >= smallest else last + 1
    return VarianceCase(widths=tuple(widths), inputs=inputs, seed=draw(seeds))


DEPTHS = tuple(range(1, MAX_DEPTH + 1))
DEPTH_CLASSES = ("1", "deep")
WIDTH_CLASSES = ("1", "wide")
LAYER_CLASSES = ("square", "rectangular")


def _domain(depth: Any, depth_class: Any, width: Any, layers: Any) -> tuple[Any, ...]:
    """The depths, width classes and layer classes the arguments allow (validated, InvalidArgument naming a bad one).

    A ``depth_class`` no allowed ``depth`` is in (``"1"`` with ``depth=3``) yields to
    ``depth``, the finer restriction: the engine's covering rows add a class to the
    user's own ``depth``, and the user's restriction must hold whatever the row says.
    """
    depths = chosen_values("depth", depth, DEPTHS)
    if depth_class is not None:
        classes = chosen_values("depth_class", depth_class, DEPTH_CLASSES)
        depths = tuple(d for d in depths if _depth_class(d) in classes) or depths
    width_classes = None if width is None else chosen_values("width", width, WIDTH_CLASSES)
    return depths, width_classes, None if layers is None else chosen_values("layers", layers, LAYER_CLASSES)


def variance_cases(
    *,
    depth: int | tuple[int, ...] | range | None = None,
    depth_class: str | tuple[str, ...] | None = None,
    width: str | tuple[str, ...] | None = None,
    layers: str | tuple[str, ...] | None = None,
) -> st.SearchStrategy[VarianceCase]:
    """Examples for ``variance-recursion``: any input law (``"exact"`` first), widths, a seed.

    ``depth`` restricts the number of layers L (1 to 12); ``depth_class`` to one layer
    (``"1"``) or more (``"deep"``), yielding to ``depth`` where the two disagree; ``width``
    to networks with some fan-in ``n_l = 1`` (``l < L``, ``"1"``) or every fan-in at least 2
    (``"wide"``); ``layers`` to square layers (every width equal, ``"square"``) or not
    (``"rectangular"``). None: any. Sampled inputs keep ``n_0 ≤ 32`` on one layer.

    >>> from theorems.strategies import variance_cases
    >>> len(variance_cases(depth=2).example().widths)
    3
    >>> min(variance_cases(width="wide").example().widths) >= 2
    True
    """
    return _cases(INPUT_LAWS, *_domain(depth, depth_class, width, layers))


def relu_cases(
    *,
    depth: int | tuple[int, ...] | range | None = None,
    depth_class: str | tuple[str, ...] | None = None,
    width: str | tuple[str, ...] | None = None,
    layers: str | tuple[str, ...] | None = None,
) -> st.SearchStrategy[VarianceCase]:
    """Examples for ``variance-recursion-relu``: sampled inputs only (the network is not affine).

    ``depth``, ``depth_class``, ``width`` and ``layers`` as for :func:`variance_cases`.

    >>> from theorems.strategies import relu_cases
    >>> len(relu_cases(depth_class="1").example().widths)
    2
    """
    return _cases(INPUT_LAWS[1:], *_domain(depth, depth_class, width, layers))


def classify_variance_case(case: VarianceCase) -> dict[str, str]:
    """The example's ``depth_class`` (one layer or more), ``width`` (some fan-in of 1, or none) and ``layers``."""
    widths = case.widths
    return {
        "depth_class": _depth_class(len(widths) - 1),
        "width": "1" if min(widths[:-1]) == 1 else "wide",
        "layers": "square" if len(set(widths)) == 1 else "rectangular",
    }
