r"""T2's mathematics: the variance recursion, its closed form and the ReLU recursion (pure float arithmetic).

The statement (:mod:`theorems.variance.check`): a linear network with ``nn.Linear``'s
default initialisation and inputs with ``E x = 0``, ``Cov x = I`` has ``E y_L = 0`` and
``Cov y_L = v_L I`` with

    v_0 = 1,   v_l = v_{l−1}/3 + 1/(3 n_{l−1}),   v_L = 3^{−L} + Σ_l 3^{−(L−l+1)}/n_{l−1},

and with ReLU between layers the second moment ``q_l`` obeys ``q_1 = 1/3 + 1/(3 n_0)``,
``q_l = q_{l−1}/6 + 1/(3 n_{l−1})``. :func:`variance_by_recursion` and
:func:`relu_second_moment_by_recursion` are the theorems' reference implementations.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from theorems.oracles.tolerance import U64
from theorems.theorem import InvalidInput

__all__ = [
    "recursion_tolerance",
    "relu_second_moment_by_recursion",
    "require_widths",
    "variance_by_recursion",
    "variance_closed_form",
]


def require_widths(widths: object) -> tuple[int, ...]:
    """The widths ``[n_0, …, n_L]`` as a tuple of positive ints; InvalidInput (one line) otherwise."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise InvalidInput(f"widths must be a sequence of positive ints [n_0, ..., n_L], got {type(widths).__name__}")
    if len(widths) < 2:
        raise InvalidInput(f"widths needs at least two entries (n_0 and n_1), got {list(widths)!r}")
    for index, width in enumerate(widths):
        if isinstance(width, bool) or not isinstance(width, numbers.Integral):
            raise InvalidInput(f"widths[{index}]={width!r} must be an int")
        if width < 1:
            raise InvalidInput(f"widths[{index}]={width} must be at least 1")
    return tuple(int(width) for width in widths)


def variance_by_recursion(widths: Sequence[int]) -> float:
    """``v_L`` by ``v_0 = 1, v_l = v_{l−1}/3 + 1/(3 n_{l−1})`` (the reference implementation)."""
    v = 1.0
    for fan_in in require_widths(widths)[:-1]:
        v = v / 3 + 1 / (3 * fan_in)
    return v


def variance_closed_form(widths: Sequence[int]) -> float:
    """``v_L = 3^{−L} + Σ_{l=1..L} 3^{−(L−l+1)}/n_{l−1}``."""
    widths = require_widths(widths)
    depth = len(widths) - 1
    return 3.0**-depth + sum(3.0 ** -(depth - l + 1) / widths[l - 1] for l in range(1, depth + 1))


def relu_second_moment_by_recursion(widths: Sequence[int]) -> float:
    """``q_L`` by ``q_1 = 1/3 + 1/(3 n_0)``, ``q_l = q_{l−1}/6 + 1/(3 n_{l−1})`` (ReLU between layers)."""
    widths = require_widths(widths)
    q = 1 / 3 + 1 / (3 * widths[0])
    for fan_in in widths[1:-1]:
        q = q / 6 + 1 / (3 * fan_in)
    return q


def recursion_tolerance(widths: tuple[int, ...]) -> float:
    """Two ways of summing L+1 positive terms of size ≤ 1 differ by at most ~4(L+2)u times the sum."""
    return 4 * (len(widths) + 1) * U64 * variance_closed_form(widths)
