"""Strategies for ``moments-match-log-prob``: log-prob-normalises' banks of parameter values.

The theorem checks the same classes on the same examples as log-prob-normalises (each class takes its
parameters from the bank by its own ``arg_constraints``): ``moment_draws(family="Gamma")`` is
:func:`theorems.strategies.log_prob_normalises.parameter_draws` over this theorem's families.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from theorems.log_prob_normalises.case import ParameterDraw
from theorems.moments_match_log_prob.statement import FAMILIES
from theorems.strategies._domain import one_of_values
from theorems.strategies.log_prob_normalises import BATCH, classify_parameter_draw, parameter_draws

__all__ = ["classify_moment_draw", "moment_draws"]


def moment_draws(*, family: Any = None, batch: Any = None) -> st.SearchStrategy[ParameterDraw]:
    """A bank of parameter values for a batch of ``batch`` laws, labelled with the torch class ``family``."""
    chosen = st.tuples(one_of_values("family", family, FAMILIES), one_of_values("batch", batch, BATCH))  # both refused at once
    return chosen.flatmap(lambda pair: parameter_draws(family=pair[0], batch=pair[1]))


classify_moment_draw = classify_parameter_draw
