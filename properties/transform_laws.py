"""Strategies for ``transform-laws``: torch's transform and input, and a bank for a class under test.

``transform_draws(transform="Tanh")`` draws a :class:`~theorems.transform_laws.case.TransformDraw`:
a transform of that torch class with a batch of inputs in its domain (log-det-jacobian's
``transform_cases``, which the reference checks), and what a class under test is built from: a bank of
parameter values per constraint kind (log-prob-normalises' ``parameter_draws``, as many of each as the
event is wide, 1 to 3) and a block ``z`` of reals, shape ``(n, width)``, which the check carries into
the class's domain. ``z`` runs to ±30, where the saturating maps round onto their bounds' last few
digits and a forward that leaves its codomain by a part in a million does so (a scaled sigmoid past
x = 13.8). Each class's simplest example is a typical one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from theorems.log_det_jacobian.case import TransformCase
from theorems.strategies.log_prob_normalises import parameter_draws
from theorems.strategies.transforms import transform_cases
from theorems.transform_laws.case import TransformDraw

__all__ = ["classify_transform_draw", "transform_draws"]

# z's reach: the whole of the saturating maps' float64 range (sigmoid's 1 − y is 9e-14 at 30).
REACH = 30.0
# The bank's values are indifferent to the torch law log-prob-normalises labels them with.
BANK_FAMILY = "Normal"
# The event's widths, two first: the simplest example's event has more than one coordinate, where a
# log-det summed over the wrong axis, or once per event, shows.
WIDTHS = (2, 1, 3)


@st.composite
def _block(draw: st.DrawFn, width: int) -> np.ndarray:
    """``(n, width)`` reals: a typical ramp in the simplest draw, else each moderate or out to ±REACH."""
    rows = draw(st.integers(2, 3))
    if not draw(st.booleans()):
        return (0.3 + 0.37 * np.arange(rows * width)).reshape(rows, width)
    entry = st.one_of(st.floats(-5.0, 5.0), st.floats(-REACH, REACH))
    return np.array([draw(entry) for _ in range(rows * width)]).reshape(rows, width)


@st.composite
def _for_a_class(draw: st.DrawFn, case: TransformCase) -> TransformDraw:
    bank = draw(parameter_draws(family=BANK_FAMILY, batch=WIDTHS))
    return TransformDraw(case, bank, draw(_block(bank.batch)))


def transform_draws(*, transform: Any = None) -> st.SearchStrategy[TransformDraw]:
    """torch's transform of the class ``transform`` (or any) with its input, and a bank for a class under test."""
    return transform_cases(transform=transform).flatmap(_for_a_class)


def classify_transform_draw(draw: TransformDraw) -> dict[str, Any]:
    return {"transform": draw.kind}
