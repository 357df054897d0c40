"""Beyond the notes: every univariate law's mean, variance, entropy and mode are those of its log_prob (``moments-match-log-prob``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from log_prob_normalises.test_log_prob_normalises import typical
from torch import distributions as D

from theorems._engine.registry import get_theorem
from theorems.log_prob_normalises.check import torch_family
from theorems.moments_match_log_prob.check import NOT_CHECKED_QUANTITIES, check_moments_match_log_prob, claimed_quantities
from theorems.moments_match_log_prob.oracle import moments_of
from theorems.moments_match_log_prob.statement import FAMILIES
from theorems.moments_match_log_prob.tails import tails_of
from theorems.theorem import InvalidInput

MOMENTS = get_theorem("moments-match-log-prob")


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


# --- every class of the installed torch ---------------------------------------------------------


def test_the_quantities_left_out_are_of_classes_the_theorem_checks() -> None:
    assert {family for family, _ in NOT_CHECKED_QUANTITIES} <= set(FAMILIES)


def test_the_categorical_quantities_left_out_are_still_nan_by_design() -> None:
    """If torch gives Categorical a numeric mean, this fails: check it (remove it from NOT_CHECKED_QUANTITIES)."""
    law = D.Categorical(probs=_t(0.2, 0.3, 0.5))
    assert math.isnan(law.mean.item()) and math.isnan(law.variance.item())


# --- the check can fail --------------------------------------------------------------------------


class NormalWithoutAMean(D.Normal):
    """Implements neither mean nor variance: no claim, no accusation."""

    @property
    def mean(self) -> torch.Tensor:
        raise NotImplementedError

    @property
    def variance(self) -> torch.Tensor:
        raise NotImplementedError


class LawClaimingNothing(D.Normal):
    def __getattribute__(self, name: str):  # noqa: ANN204
        if name in ("mean", "variance", "mode", "entropy"):
            raise NotImplementedError
        return super().__getattribute__(name)


def test_a_quantity_the_class_does_not_implement_is_not_accused() -> None:
    law = NormalWithoutAMean(_t(0.3, 0.7), _t(1.5, 1.9))
    assert set(claimed_quantities(law, 2, "NormalWithoutAMean")) == {"entropy", "mode"}
    assert check_moments_match_log_prob(NormalWithoutAMean, typical("Normal")).holds


def test_a_class_that_claims_nothing_is_undecided_in_one_line() -> None:
    with pytest.raises(InvalidInput, match="implements none of") as error:
        check_moments_match_log_prob(LawClaimingNothing, typical("Normal"))
    assert "\n" not in str(error.value)


# --- infinite and undefined moments: decided, never integrated ----------------------------------


@pytest.mark.parametrize(
    ("law", "mean", "variance"),
    [
        (D.StudentT(_t(0.5), _t(0.0), _t(1.0)), math.nan, math.nan),  # both tails of ∫ x p diverge: undefined
        (D.StudentT(_t(1.5), _t(0.0), _t(1.0)), 0.0, math.inf),  # the mean exists, ∫ x² p diverges
        (D.Pareto(_t(1.0), _t(0.7)), math.inf, math.inf),  # one tail: +∞, and so the variance
        (D.HalfCauchy(_t(2.0)), math.inf, math.inf),
        (D.Cauchy(_t(0.3), _t(1.0)), math.nan, math.nan),
    ],
    ids=["StudentT df 0.5", "StudentT df 1.5", "Pareto α 0.7", "HalfCauchy", "Cauchy"],
)
def test_a_divergent_moment_is_decided_as_the_convention_says(law: D.Distribution, mean: float, variance: float) -> None:
    found = moments_of(law, 1, np.zeros(1)).found
    for name, expected in (("mean", mean), ("variance", variance)):
        value = float(found[name].value[0])
        if math.isnan(expected) or math.isinf(expected):
            assert (math.isnan(value) and math.isnan(expected)) or value == expected, (name, value)
        else:
            assert abs(value - expected) <= float(found[name].bar[0]), (name, value)


def test_a_log_normal_tail_is_not_taken_for_a_power_law() -> None:
    """Its exponent −log d/σ² − 1 falls between 1e50 and 1e100: its mean (e^{σ²/2} = e^{50}) is finite and integrated."""
    tails = tails_of(D.LogNormal(_t(0.0), _t(10.0)), np.array([1.0]), np.array([1.0]), np.zeros(1), np.full(1, np.inf))
    assert not tails.diverges(1)[1][0]


# --- the mode ------------------------------------------------------------------------------------


class UniformWithAMode(D.Uniform):
    """A point of the flat top, as good as any: a mode."""

    @property
    def mode(self) -> torch.Tensor:
        return (self.low + self.high) / 2


class NormalWithoutAMode(D.Normal):
    """NaN where one point is highest: wrong."""

    @property
    def mode(self) -> torch.Tensor:
        return torch.full_like(self.loc, math.nan)


def test_a_flat_top_takes_nan_or_any_point_and_a_single_top_refuses_nan() -> None:
    assert check_moments_match_log_prob(torch_family, typical("Uniform")).holds  # torch's NaN
    assert check_moments_match_log_prob(UniformWithAMode, typical("Uniform")).holds
    evidence = check_moments_match_log_prob(NormalWithoutAMode, typical("Normal"))
    assert not evidence.holds and "mode NaN" in evidence.actual, evidence.explain()


def test_a_density_unbounded_at_an_end_takes_the_end_or_nan() -> None:
    law = D.Gamma(_t(0.5), _t(2.0))
    peak = moments_of(law, 1, np.zeros(1), integrate=False).peak
    assert peak.end[0] == 0.0 and peak.unbounded[0] and not peak.unique[0]
