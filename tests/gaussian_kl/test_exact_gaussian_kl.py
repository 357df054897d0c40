"""Exact tests of ``theorems.gaussian_kl.check`` (T7, the Gaussian KL formula).

What they pin: the transcribed claim of the notes in one dimension, the documented
tolerance for diagonal covariances, the check's comparison with the two-point
Gauss–Hermite oracle and the size of its terms, the log-ratio's linear and quadratic
parts, float32 arguments computed in float64 (by the reference and by torch under the
contract), how a pair is shown, how a failed, modifying or dividing-by-zero
implementation is reported, and the median-of-means bound and its calibration
experiment (blocks, half-width, the alarm on both sides of the bound).

Why such exact tests exist: the KL properties (``test_gaussian_kl.py``) compare an
implementation with the oracle within a rounding tolerance and the Monte Carlo
property with a wide confidence bound, so a slightly looser tolerance or bound, or a
report with the wrong words, passes them. Mutation testing (``make mutation``) finds
such mutants; these exact tests on fixed pairs and seeds kill them in milliseconds.
Mutants no test can tell apart are explained in ``tests/mutation_equivalents.json``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from theorems.gaussian_kl.statement import GAUSSIAN_KL
from theorems.oracles.false_alarms import per_check_false_alarm
from theorems.gaussian_density.check import AffineGaussianCase, gaussian_log_density_by_cholesky, log_density_tolerance
from theorems.gaussian_kl.check import (
    MONTE_CARLO_BLOCK,
    GaussianPair,
    _monte_carlo_alarm,
    check_gaussian_kl,
    gaussian_kl,
    gaussian_kl_by_gauss_hermite,
    gaussian_kl_closed_form,
    gaussian_kl_tolerance,
    kl_by_median_of_means,
    log_ratio_as_quadratic,
    notes_gaussian_kl,
    torch_kl_divergence,
)
from theorems.gaussian_kl.check import random_checks as kl_calibration_checks
from theorems.strategies.gaussian import gaussian_pairs
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, gamma


# --- the transcribed claim -------------------------------------------------------------------


@given(st.floats(0.1, 10), st.floats(0.1, 10))
def test_notes_claim_in_one_dimension_is_half_log_ratio_minus_inverse_plus_ratio(var0: float, var1: float) -> None:
    claim = notes_gaussian_kl(np.zeros(1), np.array([[var0]]), np.ones(1), np.array([[var1]]))
    # Each side rounds at most 6 times (the logs count 2 and lose u·|log var| when they cancel) over terms of this size.
    size = abs(math.log(var0)) + abs(math.log(var1)) + 1 / var1 + var0 / var1
    assert claim == pytest.approx(0.5 * (math.log(var0 / var1) - 1 / var1 + var0 / var1), rel=0, abs=2 * gamma(6, U64) * size)


# --- the check -------------------------------------------------------------------------------


diagonal_pairs = st.integers(1, 3).flatmap(
    lambda d: st.tuples(*[arrays(np.float64, d, elements=st.floats(lo, hi)) for lo, hi in ((-2, 2), (0.25, 4), (-2, 2), (0.25, 4))])
)


@given(diagonal_pairs, st.floats(0, 100))
def test_gaussian_kl_tolerance_is_the_documented_bound_for_diagonal_covariances(arrays4, terms_size: float) -> None:
    mu0, var0, mu1, var1 = arrays4
    d = len(mu0)
    pair = GaussianPair(mu0, np.diag(var0), mu1, np.diag(var1))
    # The 2-point Gauss–Hermite nodes are z ∈ {±1}^d; for diagonal Σ the whitened
    # distance of μ0 + √var0·z from μ1 is maximised coordinate by coordinate.
    spread1 = float(np.sum(np.maximum((mu0 + np.sqrt(var0) - mu1) ** 2, (mu0 - np.sqrt(var0) - mu1) ** 2) / var1))
    kappa0, kappa1 = var0.max() / var0.min(), var1.max() / var1.min()
    log_dets = abs(np.log(var0).sum()) + abs(np.log(var1).sum())
    u = 2.0**-53
    expected = 4 * (d + 2) * u * (d * kappa1 * (spread1 + d + 1) + d * kappa0 * (2 * d + 1) + log_dets + d) + 4 * 2**d * u * terms_size
    tolerance, reason = gaussian_kl_tolerance(pair, terms_size)
    # κ, q1 and the log-determinants by other routes agree within a few roundings per coordinate; a sum of positive terms keeps it.
    assert tolerance == pytest.approx(expected, rel=gamma(4 * (d + 2), U64), abs=0)
    # q1 is computed here and there in a different order, so its 3 digits may round apart
    # (0.3125 printed 0.312 or 0.313): compare the words exactly and the number closely.
    head, _, rest = reason.partition(" max node q1=")
    printed_q1, _, tail = rest.partition(":")
    assert head == (
        f"4(d+2)u·[dκ1(q1+d+1) + dκ0(2d+1) + |ln det Σ0| + |ln det Σ1| + d] + 4·2^d·u·Σw|g| with d={d}, "
        f"κ0={kappa0:.3g}, κ1={kappa1:.3g},"
    )
    assert float(printed_q1) == pytest.approx(spread1, rel=5e-3, abs=0)
    assert tail == " backward-stable factorisations on both sides"


def standard_pair() -> GaussianPair:
    return GaussianPair(np.zeros(2), np.eye(2), np.array([1.0, 0.0]), np.diag([2.0, 0.5]))


def test_gaussian_kl_check_compares_with_the_gauss_hermite_oracle_and_its_tolerance() -> None:
    pair = standard_pair()
    found = check_gaussian_kl(gaussian_kl, pair)
    expected, terms_size = gaussian_kl_by_gauss_hermite(*pair.arguments())
    tolerance, reason = gaussian_kl_tolerance(pair, terms_size)
    assert found.holds and (found.theorem_id, found.example) == ("gaussian-kl", repr(pair))
    assert (found.tolerance, found.tolerance_reason) == (tolerance, reason)
    assert found.expected == (
        f"{expected:.17g} (∫ f0 log(f0/f1) by Gauss–Hermite after whitening by Σ0, exact for the quadratic log-ratio)"
    )
    shifted = check_gaussian_kl(lambda *args: gaussian_kl(*args) + 1e-6, pair)
    # The unshifted value is within the tolerance of the oracle; adding 1e-6 rounds once more.
    assert not shifted.holds and shifted.error == pytest.approx(1e-6, rel=0, abs=tolerance + U64 * (abs(expected) + 1e-6))


@pytest.mark.parametrize(
    ("implementation", "failure"),
    [
        (lambda *args: (_ for _ in ()).throw(np.linalg.LinAlgError("singular\nmatrix")), "raised LinAlgError: singular"),
        (lambda *args: np.zeros(2), "returned ndarray (2,), expected a real scalar"),
        (lambda *args: "0.5", "returned str (), expected a real scalar"),
    ],
)
def test_gaussian_kl_check_names_how_an_implementation_failed(implementation, failure: str) -> None:
    pair = standard_pair()
    found = check_gaussian_kl(implementation, pair)
    assert (found.failure, found.theorem_id, found.example) == (failure, "gaussian-kl", repr(pair))


def test_gaussian_kl_check_hands_the_implementation_copies_and_falsifies_one_that_modifies_them() -> None:
    pair = standard_pair()

    def vandal(mu0, cov0, mu1, cov1) -> float:
        value = gaussian_kl(mu0, cov0, mu1, cov1)
        for v in (mu0, cov0, mu1, cov1):
            v *= 3.0
        return value

    assert check_gaussian_kl(vandal, pair).failure == "modified its argument cov0"  # μ0 = 0 stays 0 times 3
    assert check_gaussian_kl(gaussian_kl, pair).holds  # the example itself was never touched
    assert np.array_equal(pair.cov1, np.diag([2.0, 0.5]))


def test_gaussian_kl_of_gaussians_in_different_dimensions_names_both() -> None:
    with pytest.raises(InvalidInput, match=r"^both Gaussians must live in the same R\^d; got d=2 and d=1$"):
        gaussian_kl(np.zeros(2), np.eye(2), np.zeros(1), np.eye(1))


def test_gaussian_kl_check_refuses_what_is_not_a_pair() -> None:
    with pytest.raises(InvalidInput, match=r"^gaussian-kl checks a GaussianPair\(mu0, cov0, mu1, cov1\), got tuple$"):
        check_gaussian_kl(gaussian_kl, (np.zeros(1), np.eye(1), np.zeros(1), np.eye(1)))


def test_gaussian_pair_shows_small_examples_in_full_and_large_ones_by_shape() -> None:
    assert repr(standard_pair()) == (
        "d=2, μ0=[0.0, 0.0], Σ0=[[1.0, 0.0], [0.0, 1.0]] (κ=1), μ1=[1.0, 0.0], Σ1=[[2.0, 0.0], [0.0, 0.5]] (κ=4)"
    )
    big = GaussianPair(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3))
    assert repr(big) == "d=3, μ0=(3,) array, Σ0=(3, 3) array (κ=1), μ1=(3,) array, Σ1=(3, 3) array (κ=1)"


# --- torch's KL under the contract -----------------------------------------------------------


def test_torch_kl_divergence_accepts_integer_array_likes_as_float64() -> None:
    value = torch_kl_divergence([0], [[1]], [1], [[2]])
    allowed, _ = gaussian_kl_tolerance(GaussianPair(np.zeros(1), np.eye(1), np.ones(1), 2 * np.eye(1)), 0.0)  # no oracle terms
    assert value == pytest.approx(0.5 * (0.5 + 0.5 - 1 + math.log(2)), rel=0, abs=allowed)


# --- the log-ratio as a quadratic ------------------------------------------------------------


@given(gaussian_pairs(), arrays(np.float64, 8, elements=st.floats(-2, 2)))
def test_log_ratio_minus_its_linear_and_quadratic_parts_is_constant_along_whitened_directions(pair: GaussianPair, z: np.ndarray) -> None:
    linear, quadratic = log_ratio_as_quadratic(*pair.arguments())
    factor0 = np.linalg.cholesky(pair.cov0)
    z = z[: pair.dim]
    points = pair.mu0 + np.stack([np.zeros(pair.dim), z]) @ factor0.T
    log_ratio = gaussian_log_density_by_cholesky(points, pair.mu0, pair.cov0) - gaussian_log_density_by_cholesky(points, pair.mu1, pair.cov1)
    predicted_change = float(linear @ z + z @ quadratic @ z)
    size = float(np.abs(log_ratio).sum() + np.abs(linear).sum() * 2 + np.abs(quadratic).sum() * 4 + 1)
    # The four log-densities within the suite's bound each; the linear and quadratic parts by backward-stable
    # solves with Σ1 (≈ d u κ(Σ1) of their size, 4(d+2) for the constants, as in gaussian_kl_tolerance).
    densities = sum(
        log_density_tolerance(AffineGaussianCase(np.linalg.cholesky(cov), mu, points), point)[0]
        for mu, cov in ((pair.mu0, pair.cov0), (pair.mu1, pair.cov1)) for point in points
    )
    allowed = densities + 4 * (pair.dim + 2) * U64 * pair.dim * float(np.linalg.cond(pair.cov1)) * size
    assert log_ratio[1] - log_ratio[0] == pytest.approx(predicted_change, rel=0, abs=allowed)


# --- precision and the oracle's size of terms ------------------------------------------------


def float32_pair() -> tuple[np.ndarray, ...]:
    return (
        np.array([0.1, 0.7], dtype=np.float32), np.array([[2.0, 0.3], [0.3, 1.0]], dtype=np.float32),
        np.array([1.3, -0.2], dtype=np.float32), np.array([[1.0, -0.2], [-0.2, 0.5]], dtype=np.float32),
    )


@pytest.mark.parametrize("kl", [gaussian_kl, torch_kl_divergence])
def test_gaussian_kl_of_float32_arguments_is_computed_in_float64(kl) -> None:
    # float32 → float64 is exact, so both calls see the same numbers; only the
    # arithmetic's precision could differ (float32 arithmetic is off by ~1e-7).
    as_float64 = [v.astype(np.float64) for v in float32_pair()]
    assert kl(*float32_pair()) == kl(*as_float64)  # the same float64 numbers through the same float64 arithmetic


def test_gauss_hermite_oracle_sums_weighted_absolute_values_over_the_two_point_rule() -> None:
    # D(N(0, 1) ‖ N(0, 4)): g(x) = log 2 − 3x²/8; the 2-point rule has nodes ±1, weights ½.
    value, terms_size = gaussian_kl_by_gauss_hermite(np.zeros(1), np.eye(1), np.zeros(1), 4 * np.eye(1))
    allowed, _ = gaussian_kl_tolerance(GaussianPair(np.zeros(1), np.eye(1), np.zeros(1), 4 * np.eye(1)), terms_size)
    assert value == pytest.approx(math.log(2) - 3 / 8, rel=0, abs=allowed)
    assert terms_size == value  # g(±1) is the same positive number: Σ w|g| and Σ w g are the same sum


def test_gaussian_pair_shows_entries_rounded_to_four_decimals() -> None:
    pair = GaussianPair(np.array([0.123456]), np.array([[1.0]]), np.array([-2.000049]), np.array([[1.0]]))
    assert repr(pair) == "d=1, μ0=[0.1235], Σ0=[[1.0]] (κ=1), μ1=[-2.0], Σ1=[[1.0]] (κ=1)"


def test_an_implementation_dividing_by_zero_returns_inf_quietly_and_is_falsified() -> None:
    def divides_by_zero(mu0, cov0, mu1, cov1) -> float:
        return float(np.float64(1.0) / np.float64(0.0))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = check_gaussian_kl(divides_by_zero, standard_pair())
    assert found.failure is None and found.actual == "inf" and not found.holds


# --- the median-of-means bound and its calibration experiment --------------------------------


CALIBRATION_PAIR = GaussianPair(np.array([0.3, -0.2]), np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([0.0, 0.4]), np.array([[2.0, -0.2], [-0.2, 1.0]]))


def median_of_means_by_hand(pair: GaussianPair, seed: int, alpha: float) -> tuple[float, float]:
    """The documented design, by another route: scipy's log-densities, and σ² = |b|² + 2 tr(M²)
    for log f0(X) − log f1(X) = const + bᵀZ + ZᵀMZ with X = μ0 + LZ, M = ½(LᵀΣ1⁻¹L − I), b = LᵀΣ1⁻¹(μ0 − μ1)."""
    blocks = math.ceil(8 * math.log(1 / alpha))
    factor = np.linalg.cholesky(pair.cov0)
    precision1 = np.linalg.inv(pair.cov1)
    quadratic = 0.5 * (factor.T @ precision1 @ factor - np.eye(pair.dim))
    linear = factor.T @ precision1 @ (pair.mu0 - pair.mu1)
    sigma = math.sqrt(linear @ linear + 2 * np.trace(quadratic @ quadratic))
    x = pair.mu0 + np.random.default_rng(seed).standard_normal((blocks * 100, pair.dim)) @ factor.T
    values = stats.multivariate_normal(pair.mu0, pair.cov0).logpdf(x) - stats.multivariate_normal(pair.mu1, pair.cov1).logpdf(x)
    return float(np.median(values.reshape(blocks, 100).mean(axis=1))), 2 * sigma / 10


def median_of_means_rounding(pair: GaussianPair, seed: int, alpha: float) -> tuple[float, float]:
    """How far the two routes may round apart. Both draw the same samples; every log-density is within
    ``log_density_tolerance`` (both sides) of the exact one, a block mean adds ``γ_100`` of the largest
    ``|value|`` on each side, and the median is 1-Lipschitz in the largest change. ``σ`` comes from backward-
    stable solves with ``Σ1`` on both sides: ``≈ d u κ(Σ1)`` of ``|a| + √2(‖B‖_F + √d/2)``, 4(d+2) for the constants."""
    blocks = math.ceil(8 * math.log(1 / alpha))
    x = pair.mu0 + np.random.default_rng(seed).standard_normal((blocks * 100, pair.dim)) @ np.linalg.cholesky(pair.cov0).T
    cases = [AffineGaussianCase(np.linalg.cholesky(cov), mu, x[:1]) for mu, cov in ((pair.mu0, pair.cov0), (pair.mu1, pair.cov1))]
    densities = max(sum(log_density_tolerance(case, point)[0] for case in cases) for point in x)
    values = gaussian_log_density_by_cholesky(x, pair.mu0, pair.cov0) - gaussian_log_density_by_cholesky(x, pair.mu1, pair.cov1)
    linear, quadratic = log_ratio_as_quadratic(*pair.arguments())
    sigma_size = float(np.linalg.norm(linear)) + math.sqrt(2) * (float(np.linalg.norm(quadratic)) + math.sqrt(pair.dim) / 2)
    sigma_error = 4 * (pair.dim + 2) * U64 * pair.dim * float(np.linalg.cond(pair.cov1)) * sigma_size
    return densities + 2 * gamma(100, U64) * float(np.max(np.abs(values))), 2 * sigma_error / 10


@pytest.mark.parametrize("alpha", [0.9, 1e-3], ids=["one-block", "56-blocks"])
def test_the_median_of_means_bound_is_its_documented_design(alpha: float) -> None:
    estimate, half_width = kl_by_median_of_means(CALIBRATION_PAIR, 3, alpha)
    expected_estimate, expected_half_width = median_of_means_by_hand(CALIBRATION_PAIR, 3, alpha)
    assert MONTE_CARLO_BLOCK == 100
    estimate_allowed, half_width_allowed = median_of_means_rounding(CALIBRATION_PAIR, 3, alpha)
    assert estimate == pytest.approx(expected_estimate, rel=0, abs=estimate_allowed)
    assert half_width == pytest.approx(expected_half_width, rel=0, abs=half_width_allowed)


@pytest.mark.parametrize("wrong", [False, True], ids=["closed-form", "off-by-twice-the-half-width"])
def test_the_monte_carlo_experiment_alarms_exactly_when_the_claim_leaves_the_bound(wrong: bool) -> None:
    # With one block of 100 samples (α = 0.9) the estimate strays by about half the
    # half-width, so over 200 seeds both verdicts occur and pin the claimed value.
    closed_form = gaussian_kl_closed_form(*CALIBRATION_PAIR.arguments())
    verdicts = []
    for seed in range(200):
        estimate, half_width = median_of_means_by_hand(CALIBRATION_PAIR, seed, 0.9)
        verdicts.append(abs(estimate - (closed_form + 2.02 * half_width * wrong)) > half_width)
    assert [_monte_carlo_alarm(seed, 0.9, wrong) for seed in range(200)] == verdicts
    assert 0 < sum(verdicts) < 200


def test_a_fresh_monte_carlo_calibration_check_names_its_design_its_detectable_error_and_its_stated_alpha() -> None:
    (check,) = kl_calibration_checks()
    assert check.name == "gaussian-kl: median-of-means Monte Carlo bound (blocks of 100)"
    assert check.theorem_id == "gaussian-kl"
    assert check.detectable == "0.4σ·1.01 absolute (twice the bound's half-width)"
    assert check.stated_alpha() == per_check_false_alarm(GAUSSIAN_KL.false_alarm_share, checks_per_example=1)
    assert check.stated_power == 0.99
    assert check.alarm is _monte_carlo_alarm
