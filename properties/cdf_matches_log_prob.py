"""Strategies for ``cdf-matches-log-prob``: log-prob-normalises' banks of parameter values, and levels.

``cdf_cases(family="Normal")`` draws a :class:`~theorems.cdf_matches_log_prob.case.CdfCase`: a
:func:`theorems.strategies.log_prob_normalises.parameter_draws` bank over this theorem's families, and
three levels in (0, 1) at whose quantiles the cdf is compared: central ones, and tails down to 1e-12 on
either side, where cdfs and their inverses lose precision. The simplest case's levels are typical
(0.05, 0.5, 0.95), so that the covered row of every run is informative.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from theorems.cdf_matches_log_prob.case import CdfCase
from theorems.cdf_matches_log_prob.statement import FAMILIES
from theorems.strategies._domain import one_of_values
from theorems.strategies.log_prob_normalises import BATCH, parameter_draws

__all__ = ["cdf_cases", "classify_cdf_case", "levels"]

TYPICAL_LEVELS = (0.05, 0.5, 0.95)
LEVELS = 3


def _level() -> st.SearchStrategy[float]:
    tail = st.floats(-12.0, -2.0).map(lambda e: float(10.0**e))
    return st.one_of(st.floats(0.01, 0.99), tail, tail.map(lambda t: 1.0 - t))


def levels() -> st.SearchStrategy[tuple[float, ...]]:
    """Three levels in (0, 1): the typical ones, or drawn from the middle and both tails (1e-12 … 0.01, 0.99 … 1 − 1e-12)."""
    drawn = st.tuples(*(_level() for _ in range(LEVELS)))
    return st.booleans().flatmap(lambda free: drawn if free else st.just(TYPICAL_LEVELS))


def cdf_cases(*, family: Any = None, batch: Any = None) -> st.SearchStrategy[CdfCase]:
    """A bank of parameter values for a batch of ``batch`` laws of the torch class ``family``, and levels."""
    chosen = st.tuples(one_of_values("family", family, FAMILIES), one_of_values("batch", batch, BATCH))  # both refused at once
    draws = chosen.flatmap(lambda pair: parameter_draws(family=pair[0], batch=pair[1]))
    return st.builds(CdfCase, draws, levels())


def classify_cdf_case(case: CdfCase) -> dict[str, Any]:
    return {"family": case.family}
