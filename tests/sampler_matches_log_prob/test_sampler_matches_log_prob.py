"""Beyond the notes: every univariate law's sample() and rsample() draw the law of its log_prob (``sampler-matches-log-prob``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis.errors import InvalidArgument
from log_prob_normalises.test_log_prob_normalises import typical
from torch import distributions as D

from theorems._engine.registry import get_theorem
from theorems.log_prob_normalises.case import one_element_draw
from theorems.log_prob_normalises.check import torch_family
from theorems.oracles.false_alarms import examples_in_run
from theorems.oracles.statistics import dkw_threshold
from theorems._engine.plan import examples_planned, theorem_budget
from theorems.profiles import scaled
from theorems.sampler_matches_log_prob.case import SamplerCase
from theorems.sampler_matches_log_prob.findings import FINDINGS
from theorems.sampler_matches_log_prob.check import (
    CHECKS_PER_EXAMPLE, SAMPLES, STATED_POWER, check_sampler_matches_log_prob, detectable_distance, false_alarm, gaps, random_checks,
)
from theorems.sampler_matches_log_prob.statement import FAMILIES
from theorems.strategies.sampler_matches_log_prob import sampler_cases
from theorems.theorem import InvalidInput

SAMPLER = get_theorem("sampler-matches-log-prob")


def case(family: str, seed: int = 7, batch: int = 2) -> SamplerCase:
    return SamplerCase(typical(family, batch), seed)


# --- every class of the installed torch ---------------------------------------------------------


# --- the check can fail --------------------------------------------------------------------------


def test_only_the_wrong_rsample_is_accused_where_sample_is_right() -> None:
    from theorems.sampler_matches_log_prob.catalogue import NormalRsampleWithoutTheLocation

    evidence = check_sampler_matches_log_prob(NormalRsampleWithoutTheLocation, case("Normal"))
    assert not evidence.holds and "draws of rsample()" in evidence.actual, evidence.explain()


class NormalDrawingNaN(D.Normal):
    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        drawn = super().rsample(sample_shape)
        drawn[5, -1] = math.nan
        return drawn


class NormalDrawingTheBatchFirst(D.Normal):
    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        return super().rsample(sample_shape).T


class GammaDrawingBelowZero(D.Gamma):
    def rsample(self, sample_shape: torch.Size = torch.Size(), generator: torch.Generator | None = None) -> torch.Tensor:
        drawn = super().rsample(sample_shape, generator=generator)
        drawn[3, 0] = -1e-300
        return drawn


class LogNormalWithADrawUnderflowedToZero(D.LogNormal):
    """A draw of 0, the open end of (0, ∞): where exp of a draw below −745 rounds to (the closure is checked)."""

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        drawn = super().rsample(sample_shape)
        drawn[3, 0] = 0.0
        return drawn


@pytest.mark.parametrize(
    ("wrong", "family", "words"),
    [(NormalDrawingNaN, "Normal", "drew NaN (batch index 1)"), (NormalDrawingTheBatchFirst, "Normal", "expected a tensor of shape (30000, 2)"),
     (GammaDrawingBelowZero, "Gamma", "drew -1e-300, outside the support")],
    ids=["nan", "shape", "support"],
)
def test_a_draw_that_is_nan_misshapen_or_outside_the_support_falsifies_outright(wrong: type, family: str, words: str) -> None:
    evidence = check_sampler_matches_log_prob(wrong, case(family))
    assert evidence.failure is not None and words in evidence.failure, evidence.explain()


def test_a_draw_outside_the_support_falsifies_even_where_the_oracle_cannot_decide() -> None:
    """Gamma(0.001, 1): most of its mass lies below the oracle's nodes (1e-150), so the reference is not judged there; a draw below 0 still is."""
    example = SamplerCase(one_element_draw("Gamma", positive=(1e-3, 1.0)), 0)
    with pytest.raises(InvalidInput, match="cannot decide"):
        check_sampler_matches_log_prob(torch_family, example)
    evidence = check_sampler_matches_log_prob(GammaDrawingBelowZero, example)
    assert evidence.failure is not None and "outside the support" in evidence.failure


def test_a_draw_on_an_open_end_of_the_support_is_rounding_not_a_mistake() -> None:
    assert D.LogNormal.support.lower_bound == 0.0 and not D.LogNormal.support.check(torch.tensor(0.0))
    assert check_sampler_matches_log_prob(LogNormalWithADrawUnderflowedToZero, case("LogNormal")).holds


class NormalWithoutASampler(D.Normal):
    def sample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        raise NotImplementedError

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        raise NotImplementedError


def test_a_class_without_a_sampler_claims_nothing() -> None:
    with pytest.raises(InvalidInput, match="implements neither sample nor rsample") as error:
        check_sampler_matches_log_prob(NormalWithoutASampler, case("Normal"))
    assert "\n" not in str(error.value)


def test_a_draw_within_its_rounding_of_a_point_is_not_counted_against_it() -> None:
    """All draws δ/2 above x, where F(x) = 1: the share at x + δ is 1, so rounding accuses no one; without δ, the gap is 1."""
    x, delta = np.array([1.0]), np.array([1e-12])
    draws = np.full(100, 1.0 + 5e-13)
    assert gaps(draws, x, np.array([1.0]), delta)[0][0] == 0.0
    assert gaps(draws, x, np.array([1.0]), np.zeros(1))[0][0] == 1.0


# --- the draws: reproducible, and the caller's generator untouched -----------------------------------


def test_the_check_replays_its_draws_and_leaves_the_callers_generator_as_it_was() -> None:
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    first = check_sampler_matches_log_prob(torch_family, case("Gamma"))
    assert torch.equal(before, torch.get_rng_state())
    again = check_sampler_matches_log_prob(torch_family, case("Gamma"))
    assert (first.actual, first.error) == (again.actual, again.error) and first.holds
    other = check_sampler_matches_log_prob(torch_family, case("Gamma", seed=8))
    assert other.actual != first.actual or other.error != first.error


# --- the statistics as stated ------------------------------------------------------------------


def test_the_stated_false_alarm_rate_threshold_and_power_are_the_dkw_bounds_at_ci() -> None:
    """α = share/((27 + 2) examples × 6 checks), 2 exp(−2nε²) = α at the threshold, and the statement's numbers are these.
    The engine plans 27 (the 25 families' rows and two free examples), as the check counts outside it (ci's 100 × 0.27),
    and replays the recorded findings' two examples after a run that holds."""
    planned = examples_planned(SAMPLER, theorem_budget(SAMPLER, None, "ci"))
    assert planned == math.ceil(100 * SAMPLER.example_fraction) == 27 and len(FINDINGS) == 2
    with examples_in_run(planned):
        alpha = false_alarm()
    assert alpha == SAMPLER.false_alarm_share / ((27 + 2) * CHECKS_PER_EXAMPLE) == pytest.approx(5.2e-10, rel=1e-2)
    epsilon = dkw_threshold(SAMPLES, alpha)
    assert 2 * math.exp(-2 * SAMPLES * epsilon**2) == pytest.approx(alpha, rel=1e-9)
    beta = 2 * math.exp(-2 * SAMPLES * (detectable_distance(alpha) - epsilon) ** 2)
    assert beta == pytest.approx(1 - STATED_POWER, rel=1e-9)
    stated = " ".join(SAMPLER.hypotheses)
    for shown in (f"α = {alpha:.1e}", f"ε = {epsilon:.4f}", f"({2 * epsilon:.4f} at ci)", f"= {detectable_distance(alpha):.4f}", f"{SAMPLES:,} draws"):
        assert shown in stated, shown


def test_alpha_is_the_share_over_the_examples_the_engine_plans_and_the_recorded_ones() -> None:
    with examples_in_run(60):
        assert false_alarm() == SAMPLER.false_alarm_share / ((60 + len(FINDINGS)) * CHECKS_PER_EXAMPLE)


def test_the_calibration_experiment_alarms_on_the_detectable_shift_and_not_on_the_law_itself() -> None:
    (check,) = random_checks()
    alpha = 5.2e-10  # ci's α (the statement's)
    assert not any(check.alarm(seed, alpha, False) for seed in range(3))
    assert all(check.alarm(seed, alpha, True) for seed in range(3))
    assert check.stated_power == STATED_POWER


# --- the strategies -------------------------------------------------------------------------------


@given(sampler_cases())
@scaled(0.1)
def test_a_case_holds_a_seed_for_torchs_generator_and_a_family_of_the_theorem(drawn: SamplerCase) -> None:
    assert 0 <= drawn.seed < 2**32 and drawn.family in FAMILIES and drawn.batch in (1, 2, 3)


def test_an_unknown_family_is_refused_naming_it() -> None:
    with pytest.raises(InvalidArgument, match="^family='Wishart' is not possible"):
        sampler_cases(family="Wishart").example()
