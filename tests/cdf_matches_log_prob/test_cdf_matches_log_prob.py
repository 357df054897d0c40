"""Beyond the notes: every continuous law's cdf integrates its log_prob and its icdf inverts it (``cdf-matches-log-prob``)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

import pytest
import torch
from hypothesis import given
from log_prob_normalises.test_log_prob_normalises import typical
from torch import distributions as D

from theorems._engine.registry import get_theorem
from theorems.cdf_matches_log_prob.case import CdfCase
from theorems.cdf_matches_log_prob.check import NOT_CHECKED_HERE, check_cdf_matches_log_prob
from theorems.log_prob_normalises.check import torch_family
from theorems.profiles import scaled
from theorems.strategies.cdf_matches_log_prob import levels
from theorems.theorem import InvalidInput

CDF = get_theorem("cdf-matches-log-prob")
TYPICAL = (0.05, 0.5, 0.95)


def case(family: str, at: tuple[float, ...] = TYPICAL) -> CdfCase:
    return CdfCase(typical(family), at)


# --- every class of the installed torch ---------------------------------------------------------


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


WITHOUT_A_CDF = {"Beta": lambda: D.Beta(_t(1.5), _t(2.5)), "FisherSnedecor": lambda: D.FisherSnedecor(_t(3.0), _t(5.0)), "StudentT": lambda: D.StudentT(_t(3.0))}


def test_the_classes_listed_without_a_cdf_are_those_built_here() -> None:
    assert set(WITHOUT_A_CDF) == {name for name, why in NOT_CHECKED_HERE.items() if "does not implement" in why}


@pytest.mark.parametrize("family", sorted(WITHOUT_A_CDF))
def test_a_class_listed_without_a_cdf_still_has_none(family: str) -> None:
    """If torch gives one of them a cdf, this fails: move it to FAMILIES."""
    law = WITHOUT_A_CDF[family]()
    for method in (law.cdf, law.icdf):
        with pytest.raises(NotImplementedError):
            method(_t(0.5))


# --- the check can fail --------------------------------------------------------------------------


def test_a_discrete_class_is_a_usage_error_in_one_line() -> None:
    with pytest.raises(InvalidInput, match="continuous support") as error:
        check_cdf_matches_log_prob(D.Poisson, case("Poisson"))
    assert "\n" not in str(error.value)


class NormalWithoutACdf(D.Normal):
    """No cdf: its icdf is checked on the oracle's F(x)."""

    def cdf(self, value: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class NormalWithAShiftedIcdfAndNoCdf(NormalWithoutACdf):
    def icdf(self, value: torch.Tensor) -> torch.Tensor:
        return super().icdf(value) + 1e-6 * self.scale


def test_without_a_cdf_the_icdf_is_checked_on_the_oracles_distribution_function() -> None:
    assert check_cdf_matches_log_prob(NormalWithoutACdf, case("Normal")).holds
    evidence = check_cdf_matches_log_prob(NormalWithAShiftedIcdfAndNoCdf, case("Normal"))
    assert not evidence.holds and "icdf(cdf(x))" in evidence.expected, evidence.explain()


class ExponentialWithAnIcdfOffByAPartInABillion(D.Exponential):
    """An icdf off by a part in 1e9 everywhere."""

    def icdf(self, value: torch.Tensor) -> torch.Tensor:
        return super().icdf(value) * (1 + 1e-9)


def test_where_the_density_is_tiny_the_round_trip_allows_more_and_accuses_less() -> None:
    """At cdf(x) = 1 − 1e-12 the density is 1e-12 λ: a cdf's 4u moves the inverse by 8.9e-4/λ, more than a part in 1e9
    of x = 27.6/λ; at the median, 2(4u + its rounding)/p(x) is a part in 1e13 of x, and the error is caught."""
    assert check_cdf_matches_log_prob(ExponentialWithAnIcdfOffByAPartInABillion, case("Exponential", (1 - 1e-12,) * 3)).holds
    assert not check_cdf_matches_log_prob(ExponentialWithAnIcdfOffByAPartInABillion, case("Exponential", (0.5,) * 3)).holds


@given(levels())
@scaled(0.1)
def test_levels_lie_strictly_inside_the_unit_interval(drawn: tuple[float, ...]) -> None:
    assert len(drawn) == 3 and all(0 < level < 1 for level in drawn)


def test_where_log_prob_hides_mass_behind_a_recorded_nan_the_oracle_accuses_no_one() -> None:
    """Kumaraswamy with a ≤ ½ and b < 1: NaN near 1 (log-prob-normalises' finding) over up to 2u^b of the mass."""
    draw = typical("Kumaraswamy", 1)
    values = dict(draw.values)
    values["positive"] = (np.array([0.05]), np.array([0.5]), values["positive"][2])
    with pytest.raises(InvalidInput, match="cannot decide"):
        check_cdf_matches_log_prob(torch_family, CdfCase(dataclasses.replace(draw, values=tuple(values.items())), TYPICAL))
    assert math.isnan(D.Kumaraswamy(_t(0.05), _t(0.5)).log_prob(_t(1 - 2.0**-53)).item())
