"""Strategies for ``log-prob-normalises``: parameter values per constraint, and banks of them.

``constraint_values(constraints.positive, batch=2)`` draws an array of the batch's shape that the
constraint admits; ``parameter_draws(family="Gamma")`` draws a :class:`ParameterDraw`, values for
every constraint kind the strategies know, from which any class takes its parameters by its own
``arg_constraints`` (the reference builds the torch class ``family``). Values run from the realistic
to the extremes where real code breaks: scales and shapes ``10**e`` for ``e`` in ``[-8, 8]``,
locations up to ``±1e8`` and exactly 0, probabilities exactly 0 and 1 and within ``1e-15`` of them,
counts up to 1e5. Each family's simplest example is a typical one (moderate values), so that the covered row of every run is informative.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from theorems.log_prob_normalises.case import KINDS, SLOTS, ParameterDraw, constraint_kind, logits_of
from theorems.log_prob_normalises.statement import FAMILIES
from theorems.strategies._domain import one_of_values

__all__ = ["classify_parameter_draw", "constraint_values", "kind_values", "parameter_draws"]

BATCH = (1, 2, 3)
# The typical value of each kind (the simplest draw), shifted element by element of the batch.
TYPICAL = {"real": 0.3, "positive": 1.5, "nonnegative": 2.5, "unit_interval": 0.3, "half_open_unit_interval": 0.4, "nonnegative_integer": 4.0}


def _power(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high).map(lambda e: float(10.0**e))


@functools.cache  # built (and validated by Hypothesis) once per kind, not once per value drawn
def _scalar(kind: str) -> st.SearchStrategy[float]:
    """One value of ``kind``, realistic or extreme."""
    signed = st.tuples(st.sampled_from((-1.0, 1.0)), _power(-8, 8)).map(lambda t: t[0] * t[1])
    near_zero, near_one = _power(-15, -1), _power(-15, -1).map(lambda t: 1.0 - t)
    table: dict[str, st.SearchStrategy[float]] = {
        "real": st.one_of(st.just(0.0), st.floats(-10.0, 10.0), signed),
        "positive": st.one_of(st.floats(0.1, 10.0), _power(-8, 8)),
        "nonnegative": st.one_of(st.just(0.0), st.floats(0.1, 10.0), _power(-8, 8)),
        "unit_interval": st.one_of(st.floats(0.01, 0.99), near_zero, near_one, st.just(0.0), st.just(1.0)),
        "half_open_unit_interval": st.one_of(st.floats(0.01, 0.99), near_zero, near_one, st.just(0.0)),
        "nonnegative_integer": st.one_of(st.integers(0, 20), st.integers(0, 100_000)).map(float),
    }
    return table[kind]


@st.composite
def _simplex(draw: st.DrawFn, batch: int) -> np.ndarray:
    """Rows of probabilities: uniform in the simplest draw, else drawn weights with exact zeros allowed."""
    size = draw(st.integers(2, 5))
    if not draw(st.booleans()):
        return np.full((batch, size), 1.0 / size)
    rows = []
    for _ in range(batch):
        weights = np.array([draw(st.one_of(st.just(0.0), st.floats(0.01, 1.0), _power(-15, 0))) for _ in range(size)])
        weights[draw(st.integers(0, size - 1))] = max(weights.max(), 1.0)  # at least one positive weight
        rows.append(weights / weights.sum())
    return np.stack(rows)


@st.composite
def kind_values(draw: st.DrawFn, kind: str, batch: int) -> np.ndarray:
    """An array of ``batch`` values of the constraint kind ``kind`` (one of ``KINDS``)."""
    if kind not in KINDS:
        raise InvalidArgument(f"kind={kind!r} is not a constraint kind the strategies know; expected one of {KINDS!r}")
    if kind == "simplex":
        return draw(_simplex(batch))
    if not draw(st.booleans()):
        return TYPICAL[kind] + (0.37 if kind != "nonnegative_integer" else 1.0) * np.arange(batch) * (0.5 if "interval" in kind else 1.0)
    return np.array([draw(_scalar(kind)) for _ in range(batch)])


def constraint_values(constraint: Any, *, batch: int = 1) -> st.SearchStrategy[np.ndarray]:
    """Values of the shape ``(batch,)`` (a simplex's ``(batch, K)``) that ``constraint`` admits.

    Raises ``InvalidArgument`` naming a constraint the strategies do not know.
    """
    kind = constraint_kind(constraint)
    if kind == "real_vector":  # a categorical law's logits
        return _simplex(batch).map(logits_of)
    if kind is None:
        raise InvalidArgument(f"constraint={constraint!r} has no strategy; the known ones are {', '.join(KINDS)} (torch.distributions.constraints)")
    return kind_values(kind, batch)


@st.composite
def _draw(draw: st.DrawFn, family: str, batch: int) -> ParameterDraw:
    values = tuple((kind, tuple(draw(kind_values(kind, batch)) for _ in range(SLOTS[kind]))) for kind in KINDS)
    low = draw(kind_values("real", batch))
    # Widths stay above a millionth of |low|: a narrower interval is not an interval in float64 for long.
    width = np.maximum(draw(kind_values("positive", batch)), 1e-6 * np.abs(low))
    return ParameterDraw(family, batch, values, (low, width), logits=draw(st.booleans()))


def parameter_draws(*, family: Any = None, batch: Any = None) -> st.SearchStrategy[ParameterDraw]:
    """A bank of parameter values for a batch of ``batch`` laws, labelled with the torch class ``family``."""
    families = one_of_values("family", family, FAMILIES)
    sizes = one_of_values("batch", batch, BATCH)
    return st.tuples(families, sizes).flatmap(lambda fb: _draw(*fb))


def classify_parameter_draw(draw: ParameterDraw) -> dict[str, Any]:
    return {"family": draw.family}
