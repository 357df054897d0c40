"""Exact tests of ``theorems.oracles.statistics``: the tests behind every random check.

What they pin: each critical value is the documented quantile (``z_{α/2}`` and ``z_β``,
the exact Kolmogorov–Smirnov value, the DKW–Massart threshold), each record carries the
α and power it was given, each detectable discrepancy and sample size is its documented
closed form, the projected Kolmogorov–Smirnov distance is scipy's statistic, the median
of means takes the median of the block means, and a rate outside ``(0, 1)`` is refused
by name.

Why such exact tests exist: the statistical properties (``test_variance.py``,
``test_gaussian_*.py``) compare random estimates with wide, false-alarm-controlled
bands, so a quantile taken at ``α`` instead of ``α/2``, a power quantile from the wrong
tail or a threshold one sample off passes them all; mutation testing (``make
mutation``) finds such mutants, and these exact tests on fixed inputs kill them in
milliseconds. Nothing here is random.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy import stats

from theorems.oracles.statistics import (
    KsTest,
    ZeroMeanTest,
    dkw_detectable_distance,
    dkw_threshold,
    ks_critical_value,
    ks_test,
    largest_projection_ks_distance,
    mean_with_confidence,
    median_of_means,
    median_of_means_blocks,
    median_of_means_detectable_error,
    median_of_means_half_width,
    samples_to_detect_relative_error,
    z_critical_values,
    z_test_of_zero_mean,
)
from theorems.oracles.tolerance import U64, UNIT_ROUNDOFF, gamma
from theorems.variance.monte_carlo import POWER

U = UNIT_ROUNDOFF[torch.float64]


SAMPLES = torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=torch.float64)  # mean 3, unbiased variance 14/3


# --- the z quantiles -------------------------------------------------------------------------


def test_the_power_quantile_follows_the_power_it_is_given() -> None:
    # z_β with β = 1 − power: 0 at power ½, z_{0.1} at 0.9; the alarm quantile does not move.
    assert z_critical_values(0.05, 0.5) == (float(stats.norm.isf(0.025)), 0.0)
    assert z_critical_values(0.05, 0.9) == (float(stats.norm.isf(0.025)), float(stats.norm.isf(0.1)))


@pytest.mark.parametrize(
    ("alpha", "power", "message"),
    [
        (0.0, 0.99, "alpha=0.0 must be a probability strictly between 0 and 1"),
        (1.0, 0.99, "alpha=1.0 must be a probability strictly between 0 and 1"),
        (0.05, 0.0, "power=0.0 must be a probability strictly between 0 and 1"),
        (0.05, 1.0, "power=1.0 must be a probability strictly between 0 and 1"),
    ],
    ids=["alpha-0", "alpha-1", "power-0", "power-1"],
)
def test_a_rate_outside_zero_one_is_refused_by_name(alpha: float, power: float, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        z_critical_values(alpha, power)
    assert str(raised.value) == message


def test_critical_values_are_the_two_sided_normal_quantile_and_the_power_quantile() -> None:
    from scipy import stats

    for alpha in (0.05, 1e-8):
        assert z_critical_values(alpha, POWER) == (float(stats.norm.isf(alpha / 2)), float(stats.norm.isf(0.01)))


# --- the estimate of a mean and the z-test of a zero mean ------------------------------------


def test_an_estimate_carries_the_alpha_and_the_power_it_was_given() -> None:
    found = mean_with_confidence(SAMPLES, 0.05, 0.9)
    z_alarm, z_power = z_critical_values(0.05, 0.9)
    assert (found.count, found.alpha, found.power, found.z_alarm) == (4, 0.05, 0.9, z_alarm)
    assert found.detectable_relative_error == (z_alarm + z_power) * found.standard_error / 3.0


def test_the_zero_mean_test_is_the_z_test_with_the_sample_standard_error() -> None:
    """Samples 1, 2, 3, 6: mean 3, SE = √(14/3)/2 (three roundings: ``γ_3``); at α = 0.05 the
    threshold is ``z_{0.025}·SE`` ≈ 2.12 < 3, so the test rejects, and the detectable mean is
    ``(z_{α/2} + z_β)·SE``."""
    found = z_test_of_zero_mean(SAMPLES, 0.05, 0.9)
    z_alarm, z_power = z_critical_values(0.05, 0.9)
    assert (found.mean, found.count, found.alpha, found.power, found.z_alarm, found.z_power) == (3.0, 4, 0.05, 0.9, z_alarm, z_power)
    assert found.standard_error == pytest.approx(math.sqrt(14 / 3) / 2, rel=gamma(3, U64), abs=0)
    assert found.threshold == z_alarm * found.standard_error
    assert found.detectable_mean == (z_alarm + z_power) * found.standard_error
    assert found.rejects


def test_the_zero_mean_test_keeps_a_mean_of_zero_and_one_exactly_at_its_threshold() -> None:
    assert not z_test_of_zero_mean(torch.tensor([1.0, -1.0] * 50, dtype=torch.float64), 0.05, 0.99).rejects
    assert not ZeroMeanTest(-2.0, 1.0, 10, 0.05, 0.99, 2.0, 1.0).rejects  # |mean| = z·SE: kept
    assert ZeroMeanTest(-2.0, 1.0, 10, 0.05, 0.99, 1.5, 1.0).rejects


def test_the_sample_size_is_the_detectable_error_solved_for_n() -> None:
    """``N = ((z_{α/2} + z_β)/ε)² · CV²``, linear in CV²."""
    z_alarm, z_power = z_critical_values(1e-8, 0.99)
    assert samples_to_detect_relative_error(0.02, 1.65, 1e-8, 0.99) == ((z_alarm + z_power) / 0.02) ** 2 * 1.65
    assert samples_to_detect_relative_error(0.04, 2.0, 0.05, 0.5) == (float(stats.norm.isf(0.025)) / 0.04) ** 2 * 2.0


def test_an_estimate_is_the_sample_mean_its_standard_error_and_the_error_detectable_with_power_point_99() -> None:
    """Samples 1, 2, 3, 6 at α = 0.05: mean 3, SE = √(14/3)/2, and a relative error of
    ``(z_{0.025} + z_{0.01})·SE/3`` is detected with power 0.99 (three roundings: ``γ_3``)."""
    found = mean_with_confidence(torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=torch.float64), 0.05, POWER)
    z_alarm, z_power = z_critical_values(0.05, POWER)
    assert (found.mean, found.count, found.alpha, found.z_alarm) == (3.0, 4, 0.05, z_alarm)
    assert found.standard_error == pytest.approx(math.sqrt(14 / 3) / 2, rel=gamma(3, U), abs=0)
    assert found.detectable_relative_error == pytest.approx((z_alarm + z_power) * math.sqrt(14 / 3) / 6, rel=gamma(6, U), abs=0)
    assert found.half_width == z_alarm * found.standard_error
    negative = mean_with_confidence(torch.tensor([-1.0, -2.0, -3.0, -6.0], dtype=torch.float64), 0.05, POWER)
    assert negative.detectable_relative_error == found.detectable_relative_error
    assert mean_with_confidence(torch.tensor([1.0, -1.0], dtype=torch.float64), 0.05, POWER).detectable_relative_error == math.inf


# --- Kolmogorov–Smirnov and DKW --------------------------------------------------------------


def test_the_detectable_distance_adds_the_thresholds_at_alpha_and_at_beta() -> None:
    # n = 4, α = 0.05, power 0.99: √(ln 40/8) + √(ln 200/8) = 1.493.
    assert dkw_detectable_distance(4, 0.05, 0.99) == dkw_threshold(4, 0.05) + dkw_threshold(4, 1 - 0.99)
    assert f"{dkw_detectable_distance(4, 0.05, 0.99):.3f}" == "1.493"
    with pytest.raises(ValueError, match=r"^power=1\.5 must be a probability strictly between 0 and 1$"):
        dkw_detectable_distance(4, 0.05, 1.5)


def test_the_ks_critical_value_is_the_exact_upper_alpha_quantile_of_d_n() -> None:
    assert ks_critical_value(4, 0.05) == float(stats.kstwo.isf(0.05, 4))
    # rel: scipy's kstwo.isf inverts sf with a root finder (its accuracy, not a roundoff count; ~6e-13 seen).
    assert stats.kstwo.sf(ks_critical_value(50, 1e-3), 50) == pytest.approx(1e-3, rel=1e-9, abs=0)
    # Never above the DKW threshold (Massart's bound holds for every n).
    assert ks_critical_value(50, 1e-3) <= dkw_threshold(50, 1e-3)
    with pytest.raises(ValueError, match=r"^alpha=0 must be a probability strictly between 0 and 1$"):
        ks_critical_value(4, 0)


def test_the_ks_test_against_a_uniform_law_reports_distance_p_value_and_both_companions() -> None:
    """Samples 1.5, −1, 0, 1 against U(−2, 2): the CDF there is ⅞, ¼, ½, ¾, so
    ``D = ¼`` (at −1) and the exact p-value ``P(D_4 ≥ ¼) = 29/32``."""
    found = ks_test(np.array([1.5, -1.0, 0.0, 1.0]), stats.uniform(loc=-2.0, scale=4.0).cdf, 0.05, 0.99)
    assert (found.statistic, found.count, found.alpha, found.power) == (0.25, 4, 0.05, 0.99)
    assert type(found.statistic) is float and type(found.pvalue) is float
    # rel: scipy's exact kstwo.sf is its own numerical recursion, not our arithmetic: a margin on scipy, not a roundoff count.
    assert found.pvalue == pytest.approx(29 / 32, rel=1e-12, abs=0)
    assert found.critical_value == ks_critical_value(4, 0.05)
    assert found.detectable_distance == dkw_detectable_distance(4, 0.05, 0.99)
    assert not found.rejects


def test_the_ks_test_rejects_only_past_its_critical_value() -> None:
    far = ks_test(np.linspace(1.0, 1.9, 40), stats.uniform(loc=-2.0, scale=4.0).cdf, 0.05, 0.99)
    assert far.rejects and far.statistic == 0.75  # F(1) = 3/4 minus the empirical CDF 0 below it: dyadic, exact
    assert not KsTest(0.5, 0.1, 4, 0.05, 0.99, 0.5, 1.0).rejects  # D equal to the critical value: kept
    assert KsTest(0.5, 0.1, 4, 0.05, 0.99, 0.4999, 1.0).rejects


def test_the_dkw_threshold_is_the_massart_bound_inverted() -> None:
    # 2 exp(−2mε²) = α  ⇔  ε = √(log(2/α)/(2m)).
    # 2/α rounds to 40 and 2e6 exactly and 2m is an integer: both sides do the same roundings.
    assert dkw_threshold(2000, 0.05) == math.sqrt(math.log(40) / 4000)
    assert dkw_threshold(50, 1e-6) == math.sqrt(math.log(2e6) / 100)


def test_the_largest_projection_distance_is_scipys_kolmogorov_smirnov_statistic() -> None:
    rng = np.random.default_rng(7)
    samples = rng.standard_normal((300, 2)) * [1.0, 2.0] + [0.1, 0.0]
    mean, cov = np.zeros(2), np.diag([1.0, 4.0])
    directions = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    statistics = [stats.kstest(samples @ u, stats.norm(loc=u @ mean, scale=math.sqrt(u @ cov @ u)).cdf).statistic for u in directions]
    # Same CDF values; the grid (i−1)/m is i/m − 1/m here, (i−1)/m in scipy: each side at most 3
    # roundings of terms at most 1 (i/m, 1/m, F), and max is 1-Lipschitz.
    allowed = 2 * 3 * gamma(3, U64)
    assert largest_projection_ks_distance(samples, mean, cov, directions) == pytest.approx(max(statistics), rel=0, abs=allowed)
    for u, statistic in zip(directions, statistics):
        assert largest_projection_ks_distance(samples, mean, cov, u[None, :]) == pytest.approx(statistic, rel=0, abs=allowed)


# --- median of means -------------------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "blocks"), [(0.9, 1), (1e-3, 56), (2e-9, 161)])
def test_the_blocks_are_eight_log_one_over_alpha_rounded_up(alpha: float, blocks: int) -> None:
    assert median_of_means_blocks(alpha) == blocks == math.ceil(8 * math.log(1 / alpha))


def test_the_blocks_refuse_an_alpha_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=r"^alpha=1\.0 must be a probability strictly between 0 and 1$"):
        median_of_means_blocks(1.0)


def test_the_median_of_means_is_the_median_of_consecutive_block_means() -> None:
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 4.0, 5.0, 6.0])
    assert median_of_means(values, 3) == 5.0  # block means 2, 20, 5
    assert median_of_means(values, 1) == 9.0  # integers: the sum 81 and 81 / 9 are exact
    assert median_of_means(np.array([1.0, 2.0, 3.0, 4.0]), 4) == 2.5  # an even count: the middle two averaged
    assert type(median_of_means(values, 3)) is float


@pytest.mark.parametrize(("count", "blocks"), [(10, 3), (4, 0)])
def test_values_that_do_not_split_into_equal_blocks_are_refused(count: int, blocks: int) -> None:
    with pytest.raises(ValueError) as raised:
        median_of_means(np.zeros(count), blocks)
    assert str(raised.value) == f"{count} values do not split into blocks={blocks} equal blocks"


def test_the_half_width_is_twice_sigma_over_root_block_and_the_detectable_error_twice_that() -> None:
    assert median_of_means_half_width(0.5, 100) == 0.1
    assert median_of_means_half_width(3.0, 4) == 3.0
    assert median_of_means_detectable_error(0.5, 100) == 0.2


def test_the_theorems_shares_of_the_false_alarm_budget_sum_to_at_most_the_family_wise_rate() -> None:

    from theorems._engine.registry import all_theorems
    from theorems.oracles.false_alarms import FAMILY_WISE_FALSE_ALARM

    # Each theorem states its own share (the six that sample, or bound by a probability); together
    # they stay within the budget, by a margin beyond their rounding: each literal rounds once, the
    # sum n − 1 times more, γ_{n+1} of the total.
    shares = [theorem.false_alarm_share for theorem in all_theorems() if theorem.false_alarm_share]
    assert len(shares) == 6 and all(share > 0 for share in shares)
    assert sum(shares) * (1 + gamma(len(shares) + 1, U64)) <= FAMILY_WISE_FALSE_ALARM


SPENT: list[float] = []


def spending_check(implementation, example):  # noqa: ANN001, ANN201 - a stand-in check_target (see below)
    """Spend what the variance check spends per example (its in-check tests' α), and hold."""
    from theorems.evidence import Evidence
    from theorems.variance.monte_carlo import IN_THE_CHECK, false_alarm

    SPENT.extend(false_alarm("variance-recursion", check) for check in IN_THE_CHECK)
    return Evidence(theorem_id="variance-recursion", example="e", expected="0", actual="0", error=0.0, tolerance=1.0, tolerance_reason="r")


@pytest.mark.parametrize("route", ["check", "verify"])
def test_a_run_at_ten_times_the_profiles_examples_stays_within_its_share_of_the_budget(route: str) -> None:
    # α follows the examples actually run (--examples N on the command line, --theorems-examples N in
    # pytest): at 10× the profile's count each check's α is ten times smaller, and the run's sum stays
    # within the theorem's share. (The check is a stand-in that spends what the real one does.)
    import dataclasses

    from theorems._engine.checks import check_implementation
    from theorems._engine.plan import theorem_budget
    from theorems._engine.run import run_check
    from theorems.variance.monte_carlo import SHARES
    from theorems.variance.statement import VARIANCE_RECURSION

    spending = dataclasses.replace(VARIANCE_RECURSION, check_target="test_exact_statistics:spending_check")
    examples = 10 * theorem_budget(VARIANCE_RECURSION, None, "ci")
    SPENT.clear()
    if route == "check":
        run = run_check(spending, VARIANCE_RECURSION.reference, profile="ci", max_examples=examples)
    else:
        run = check_implementation(spending, spending.reference, target=spending.reference_target, profile="ci", max_examples=examples).run
    assert run.verdict == "holds" and run.examples == examples
    assert len(SPENT) == examples * 2 and sum(SPENT) <= SHARES["variance-recursion"] * (1 + 1e-12), sum(SPENT)


def test_every_random_check_of_the_suite_joins_the_calibration() -> None:
    # The variance theorem's random checks are its SUB_SHARES: each must be a calibration
    # experiment, as must each other theorem's sampling check (ten in all).
    from tools.calibration import random_checks
    from theorems.variance.monte_carlo import SUB_SHARES

    names = [check.name for check in random_checks()]
    assert len(names) == len(set(names)) == 10, names
    variance = [name for name in names if name.startswith("variance-recursion:")]
    assert len(variance) == len(SUB_SHARES) == 6, variance
    assert {name.split(":")[0] for name in names} == {"variance-recursion", "variance-recursion-relu", "affine-gaussian-density", "gaussian-kl", "sampler-matches-log-prob"}


def test_a_measured_power_below_the_stated_one_is_not_calibrated_even_inside_the_interval() -> None:
    from tools.calibration import CalibrationResult

    result = CalibrationResult(
        name="c", theorem_id="t", runs=1000, calibration_alpha=0.01, false_alarms=7, false_alarm_interval=(0.002, 0.017),
        stated_alpha=1e-9, detectable="d", detections=987, power_interval=(0.975, 0.994), stated_power=0.99,
    )
    assert not result.calibrated and "measured power 0.987 is below the stated 0.99" in result.verdict()
    assert dataclasses.replace(result, stated_power=0.97).calibrated


def test_the_committed_calibration_record_covers_every_random_check_and_each_is_calibrated() -> None:
    import json
    from pathlib import Path

    from tools.calibration import random_checks
    from theorems.report.power import parse_calibration

    # parse_calibration reads both shapes: the bare list of old records, {"provenance", "checks"} since.
    raw = json.loads((Path(__file__).parents[2] / "measurements" / "calibration.json").read_text())
    record = {item["name"]: item for item in parse_calibration(raw)}
    for check in random_checks():
        assert check.name in record, f"{check.name} is not in measurements/calibration.json (make calibrate && make record)"
        item = record[check.name]
        assert item["calibrated"] and item["detections"] / item["runs"] >= check.stated_power, item
