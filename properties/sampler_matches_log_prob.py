"""Strategies for ``sampler-matches-log-prob``: log-prob-normalises' banks of parameter values, and a seed.

``sampler_cases(family="Gamma")`` draws a :class:`~theorems.sampler_matches_log_prob.case.SamplerCase`: a
:func:`theorems.strategies.log_prob_normalises.parameter_draws` bank over this theorem's families (so the
parameters reach the same extremes: scales 1e-8 … 1e8, probabilities at 0 and 1 and within 1e-15 of them), and
the seed of torch's generator for the draws (:data:`theorems.strategies.seeding.seeds`), which shrinks and replays.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from theorems.sampler_matches_log_prob.case import SamplerCase
from theorems.sampler_matches_log_prob.statement import FAMILIES
from theorems.strategies._domain import one_of_values
from theorems.strategies.log_prob_normalises import BATCH, parameter_draws
from theorems.strategies.seeding import seeds

__all__ = ["classify_sampler_case", "sampler_cases"]


def sampler_cases(*, family: Any = None, batch: Any = None) -> st.SearchStrategy[SamplerCase]:
    """A bank of parameter values for a batch of ``batch`` laws of the torch class ``family``, and a seed."""
    chosen = st.tuples(one_of_values("family", family, FAMILIES), one_of_values("batch", batch, BATCH))  # both refused at once
    draws = chosen.flatmap(lambda pair: parameter_draws(family=pair[0], batch=pair[1]))
    return st.builds(SamplerCase, draws, seeds)


def classify_sampler_case(case: SamplerCase) -> dict[str, Any]:
    return {"family": case.family}
