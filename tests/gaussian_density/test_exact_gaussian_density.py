"""Exact tests of ``theorems.gaussian_density.check`` (T4, the density of ``AY + b``).

What they pin: the Evidence the check records at every point and the one it returns
(the worst; the first on a tie), how a case and a point are shown, each refusal's text
and boundary (a singular ``A``, a malformed case, an asymmetric or indefinite ``Σ``),
what the two transcribed formulas of the notes compute, the documented closed forms of
the log-density and moment tolerances, the moment oracles (three-point Gauss–Hermite,
cubature), and the goodness-of-fit calibration experiment's verdict on both sides of
its DKW threshold.

Why such exact tests exist: the density properties (``test_gaussian_density.py``)
compare an implementation with the change of variables within a tolerance growing
with ``κ(Σ)``, and the goodness-of-fit property with a false-alarm-controlled band, so a
looser tolerance, a refusal with the wrong reason or a threshold taken at the wrong α
passes them. Mutation testing (``make mutation``) finds such mutants; these exact tests
on fixed cases and seeds kill them in milliseconds. Mutants no test can tell apart are
explained in ``tests/mutation_equivalents.json``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from records import recorded
from theorems.evidence import Evidence, implementation_failure
from theorems.gaussian_density.statement import AFFINE_GAUSSIAN_DENSITY
from theorems.oracles.false_alarms import per_check_false_alarm
from theorems.gaussian_density.check import (
    GOODNESS_OF_FIT_PROJECTIONS,
    GOODNESS_OF_FIT_SAMPLES,
    LOG_2PI,
    AffineGaussianCase,
    _goodness_of_fit_alarm,
    affine_gaussian_log_density,
    check_affine_gaussian_density,
    gaussian_log_density_by_change_of_variables,
    gaussian_log_density_by_cholesky,
    gaussian_moments_by_cubature,
    gaussian_moments_by_gauss_hermite,
    log_density_tolerance,
    moment_integrand,
    moment_tolerance,
    notes_normaliser_log_density,
    notes_signed_jacobian_log_density,
)
from theorems.gaussian_density.check import random_checks as density_calibration_checks
from theorems.oracles.quadrature import compare_scalar
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, gamma


DENSITY_ID = "affine-gaussian-density"
ONE_D = AffineGaussianCase(np.array([[2.0]]), np.array([0.0]), np.array([[1.5], [-1.5]]))
THREE_D = AffineGaussianCase(np.diag([1.0, 2.0, 4.0]), np.array([0.5, -1.0, 0.123456]), np.array([[0.25, 0.5, 0.1234567]]))
HOW = "change of variables: −(n/2)log 2π − log|det A| − ½|A⁻¹(x−b)|²"


def expected_evidence(case: AffineGaussianCase, index: int, shown_point: str, actual: float) -> Evidence:
    point = case.points[index]
    tolerance, reason = log_density_tolerance(case, point)
    oracle = gaussian_log_density_by_change_of_variables(case.points, case.matrix, case.shift)[index]
    return compare_scalar(
        theorem_id=DENSITY_ID, example=f"{case!r}; at x={shown_point}", expected=float(oracle),
        expected_how=HOW, actual=actual, tolerance=tolerance, tolerance_reason=reason,
    )


# --- what a case shows -----------------------------------------------------------------------


def test_a_case_shows_A_and_the_points_up_to_two_dimensions_and_rounds_to_four_places() -> None:
    one = AffineGaussianCase(np.array([[2.0]]), np.array([0.123456]), np.array([[1.234567], [-3.0]]))
    two = AffineGaussianCase(np.array([[1.0, 2.0], [0.0, -0.5]]), np.array([0.5, -1.0]), np.array([[1.0, 2.0]]))
    assert repr(one) == "n=1, A=[[2.0]] (det 2, κ(A)=1), b=[0.1235], x=[[1.2346], [-3.0]]"
    assert repr(two) == "n=2, A=[[1.0, 2.0], [0.0, -0.5]] (det -0.5, κ(A)=10.4), b=[0.5, -1.0], x=[[1.0, 2.0]]"
    assert repr(THREE_D) == "n=3, A=… (det 8, κ(A)=4), b=[0.5, -1.0, 0.1235], x=1 points"


def test_a_malformed_case_still_shows_itself_with_no_determinant() -> None:
    # Hypothesis prints a case before the check refuses it: a non-square A must not raise.
    assert "(det nan, " in repr(AffineGaussianCase(np.ones((2, 3)), np.zeros(2), np.zeros((1, 2))))


# --- the check's records ---------------------------------------------------------------------


def test_the_check_records_every_point_in_full_and_returns_the_worst() -> None:
    # Off by 1e-12 at the first point and by 3e-12 at the second: the second is the worst.
    offsets = {1.5: 1e-12, -1.5: 3e-12}
    verdict, seen = recorded(check_affine_gaussian_density, lambda x, mean, cov: affine_gaussian_log_density(x, mean, cov) + offsets[float(x[0])], ONE_D)
    first = expected_evidence(ONE_D, 0, "[1.5]", affine_gaussian_log_density(ONE_D.points[0], ONE_D.shift, ONE_D.covariance()) + 1e-12)
    second = expected_evidence(ONE_D, 1, "[-1.5]", affine_gaussian_log_density(ONE_D.points[1], ONE_D.shift, ONE_D.covariance()) + 3e-12)
    assert seen == [first, second]
    assert verdict == second


def test_on_a_tie_the_check_returns_the_first_point() -> None:
    # x = ±1.5 around b = 0 give the same q, |x| and tolerance; an exact answer ties at 0.
    verdict, seen = recorded(check_affine_gaussian_density, lambda x, mean, cov: float(gaussian_log_density_by_change_of_variables(x[None, :], np.array([[2.0]]), mean)[0]), ONE_D)
    assert seen[0].ratio == seen[1].ratio == 0.0
    assert verdict == seen[0]


def test_up_to_two_dimensions_the_point_is_shown_to_four_places() -> None:
    case = AffineGaussianCase(np.eye(2), np.zeros(2), np.array([[0.123456, 1.0]]))
    verdict, _ = recorded(check_affine_gaussian_density, affine_gaussian_log_density, case)
    assert verdict.example == f"{case!r}; at x=[0.1235, 1.0]"


def test_past_two_dimensions_the_point_is_shown_to_three_places() -> None:
    verdict, _ = recorded(check_affine_gaussian_density, affine_gaussian_log_density, THREE_D)
    assert verdict.example == f"{THREE_D!r}; at x=[0.25, 0.5, 0.123]"


def test_an_implementation_that_raises_is_reported_with_the_first_line_of_its_error() -> None:
    def raises(x, mean, cov):
        raise ValueError("first line\nsecond line")

    assert check_affine_gaussian_density(raises, ONE_D) == implementation_failure(DENSITY_ID, repr(ONE_D), "raised ValueError: first line")


def test_an_implementation_that_returns_an_array_is_reported_with_its_type_and_shape() -> None:
    verdict = check_affine_gaussian_density(lambda x, mean, cov: np.zeros(2), ONE_D)
    assert verdict == implementation_failure(DENSITY_ID, repr(ONE_D), "returned ndarray (2,), expected a real scalar")


def test_an_implementation_is_judged_by_its_value_not_by_floating_point_warnings() -> None:
    # log 0 = −inf warns in numpy; the check silences that so the value is what is judged.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        verdict = check_affine_gaussian_density(lambda x, mean, cov: float(np.log(np.zeros(1))[0]), ONE_D)
    assert verdict.failure is None and not verdict.holds


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matrix", "shift", "points", "message"),
    [
        (np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)), "A must be (n, n), b (n,) and points (m, n); got (1, 1), (1, 1), (1, 1)"),
        (np.ones((0, 0)), np.ones(0), np.ones((1, 0)), "A must be (n, n), b (n,) and points (m, n); got (0, 0), (0,), (1, 0)"),
        (np.eye(2), np.ones(2), np.ones(2), "A must be (n, n), b (n,) and points (m, n); got (2, 2), (2,), (2,)"),
        (np.ones((2, 3)), np.ones(2), np.ones((1, 2)), "A must be (n, n), b (n,) and points (m, n); got (2, 3), (2,), (1, 2)"),
        (np.eye(2), np.ones(2), np.ones((1, 3)), "A must be (n, n), b (n,) and points (m, n); got (2, 2), (2,), (1, 3)"),
        (np.eye(1), np.array([np.nan]), np.ones((1, 1)), "A, b and the points must be finite"),
        # The smallest singular value exactly n·u·σ_max is refused (the boundary is ≤), and the
    # message names the smallest of three, not the second ...
        (np.diag([1.0, 1.0, 3 * U64]), np.zeros(3), np.zeros((1, 3)), "A must be invertible; its smallest singular value is 3.33e-16 (no density exists)"),
        # ... and the allowance scales with σ_max = 4 (n·u·σ_max = 8u > 3u).
        (np.diag([4.0, 3 * U64]), np.zeros(2), np.zeros((1, 2)), "A must be invertible; its smallest singular value is 3.33e-16 (no density exists)"),
    ],
    ids=["b-2d", "n=0", "points-1d", "A-not-square", "points-wrong-width", "not-finite", "at-the-boundary", "scaled-boundary"],
)
def test_a_malformed_case_is_refused_with_its_reason(matrix, shift, points, message) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_affine_gaussian_density(affine_gaussian_log_density, AffineGaussianCase(matrix, shift, points))
    assert str(raised.value) == message


def test_something_other_than_a_case_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_affine_gaussian_density(affine_gaussian_log_density, (np.eye(1), np.zeros(1)))
    assert str(raised.value) == "affine-gaussian-density checks an AffineGaussianCase(matrix, shift, points), got tuple"


def test_the_reference_refuses_an_x_of_the_wrong_shape_by_name() -> None:
    with pytest.raises(InvalidInput) as raised:
        affine_gaussian_log_density(np.zeros(2), np.zeros(1), np.eye(1))
    assert str(raised.value) == "x must have the shape of mean (1,), got (2,)"


def test_the_reference_computes_in_float64_whatever_the_dtype_of_its_inputs() -> None:
    x, mean, cov = np.array([0.1], np.float32), np.array([0.7], np.float32), np.array([[0.3]], np.float32)
    wide = [v.astype(np.float64) for v in (x, mean, cov)]
    assert affine_gaussian_log_density(x, mean, cov) == affine_gaussian_log_density(*wide)


# --- the transcribed formulas compute what the notes say -------------------------------------


def log_density_rounding(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """The suite's bound on two backward-stable routes to ``log N(x; mean, cov)``: ``log_density_tolerance`` with ``A = chol Σ``."""
    return log_density_tolerance(AffineGaussianCase(np.linalg.cholesky(cov), mean, x[None, :]), x)[0]


def test_the_transcribed_normaliser_is_exp_of_minus_half_q_over_2pi_to_the_n_times_det() -> None:
    x, mean, cov = np.array([1.0, -0.5]), np.array([0.25, 0.5]), np.array([[2.0, 0.5], [0.5, 1.0]])
    q = (x - mean) @ np.linalg.inv(cov) @ (x - mean)
    expected = -0.5 * q - 2 * math.log(2 * math.pi) - math.log(np.linalg.det(cov))
    assert notes_normaliser_log_density(x, mean, cov) == pytest.approx(expected, rel=0, abs=log_density_rounding(x, mean, cov))


def test_the_transcribed_normaliser_computes_in_float64_whatever_the_dtype_of_its_inputs() -> None:
    narrow = [np.array(v, np.float32) for v in ([1.0, -0.5], [0.25, 0.5], [[2.0, 0.5], [0.5, 1.0]])]
    wide = [v.astype(np.float64) for v in narrow]
    assert notes_normaliser_log_density(*narrow) == notes_normaliser_log_density(*wide)


def test_the_transcribed_signed_jacobian_divides_by_the_signed_determinant_of_the_eigen_factor() -> None:
    x, mean, cov = np.array([1.0, -0.5]), np.array([0.25, 0.5]), np.array([[2.0, 0.5], [0.5, 1.0]])
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    factor = eigenvectors * np.sqrt(eigenvalues)
    z = np.linalg.solve(factor, x - mean)
    density = math.exp(-0.5 * z @ z) / (2 * math.pi * np.linalg.det(factor))
    with np.errstate(invalid="ignore"):
        actual = notes_signed_jacobian_log_density(x, mean, cov)
    if density > 0:
        assert actual == pytest.approx(math.log(density), rel=0, abs=log_density_rounding(x, mean, cov))
    else:
        assert math.isnan(actual)
    # Whatever LAPACK's sign, the value is the true log-density or NaN, never anything else.
    true = float(gaussian_log_density_by_change_of_variables(x[None, :], np.linalg.cholesky(cov), mean)[0])
    assert math.isnan(actual) or actual == pytest.approx(true, rel=0, abs=log_density_rounding(x, mean, cov))


def test_the_transcribed_signed_jacobian_computes_in_float64_whatever_the_dtype_of_its_inputs() -> None:
    # In one dimension the eigen-factor is +√σ², so the value is finite and float32 would show.
    narrow = [np.array(v, np.float32) for v in ([0.1], [0.7], [[0.3]])]
    wide = [v.astype(np.float64) for v in narrow]
    assert notes_signed_jacobian_log_density(*narrow) == notes_signed_jacobian_log_density(*wide)
    assert math.isfinite(notes_signed_jacobian_log_density(*wide))


def test_the_transcribed_signed_jacobian_is_the_true_density_in_one_dimension() -> None:
    # A 1×1 eigen-factor is +√σ², so the signed formula is right at n = 1.
    actual = notes_signed_jacobian_log_density(np.array([1], dtype=np.int64), np.array([0.25]), np.array([[4.0]]))
    allowed = log_density_rounding(np.array([1.0]), np.array([0.25]), np.array([[4.0]]))
    assert actual == pytest.approx(-0.5 * (0.75 / 2) ** 2 - math.log(2) - 0.5 * LOG_2PI, rel=0, abs=allowed)


# --- the goodness-of-fit experiment ----------------------------------------------------------


def experiment_statistic(seed: int, wrong: bool) -> float:
    """The calibration experiment as documented, its statistic by ``scipy.stats.kstest``.

    2000 samples of ``AY + b`` for ``A = [[1.5, 0.4], [0.3, −0.8]]``, ``b = (0.5, −1)``,
    then 3 unit directions from the same generator; the claimed law is ``N(b, AAᵀ)``, or
    its mean moved by 0.3 standard deviations along the first axis.
    """
    rng = np.random.default_rng(seed)
    matrix, shift = np.array([[1.5, 0.4], [0.3, -0.8]]), np.array([0.5, -1.0])
    cov = matrix @ matrix.T
    samples = rng.standard_normal((2000, 2)) @ matrix.T + shift
    mean = shift + np.array([0.3 * math.sqrt(cov[0, 0]), 0.0]) * wrong
    directions = rng.standard_normal((3, 2))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return max(stats.kstest(samples @ u, stats.norm(loc=u @ mean, scale=math.sqrt(u @ cov @ u)).cdf).statistic for u in directions)


def alpha_with_threshold(epsilon: float) -> float:
    """The α whose per-projection DKW threshold (α/3 each) is exactly ε."""
    return GOODNESS_OF_FIT_PROJECTIONS * 2 * math.exp(-2 * GOODNESS_OF_FIT_SAMPLES * epsilon**2)


@pytest.mark.parametrize("wrong", [False, True], ids=["right-law", "law-off-by-0.3-sd"])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_goodness_of_fit_experiment_alarms_exactly_when_its_statistic_passes_the_threshold(seed: int, wrong: bool) -> None:
    statistic = experiment_statistic(seed, wrong)
    assert _goodness_of_fit_alarm(seed, alpha_with_threshold(statistic * (1 - 1e-9)), wrong)
    assert not _goodness_of_fit_alarm(seed, alpha_with_threshold(statistic * (1 + 1e-9)), wrong)


def test_the_goodness_of_fit_experiment_detects_its_stated_error_at_the_suites_alpha() -> None:
    alpha = density_calibration_checks()[0].stated_alpha()
    assert [_goodness_of_fit_alarm(seed, alpha, True) for seed in range(5)] == [True] * 5
    assert [_goodness_of_fit_alarm(seed, alpha, False) for seed in range(5)] == [False] * 5


def test_a_fresh_density_calibration_check_names_its_design_its_detectable_error_and_its_stated_alpha() -> None:
    (check,) = density_calibration_checks()
    assert check.name == "affine-gaussian-density: DKW test on 3 random projections of 2000 samples"
    assert check.theorem_id == DENSITY_ID
    assert check.detectable == "0.3σ location (worst of the projections)"
    assert check.stated_alpha() == 3 * per_check_false_alarm(AFFINE_GAUSSIAN_DENSITY.false_alarm_share, checks_per_example=3)
    assert check.stated_power == 0.97  # what the record supports (987 of 1000)
    assert check.alarm is _goodness_of_fit_alarm


# --- the tolerances and the moment oracles ---------------------------------------------------


# A 2-D case with det A < 0 and |det A| < 1 (log det Σ < 0), b ≠ 0 and x ≠ b.
SKEWED = AffineGaussianCase(np.array([[0.5, 0.1], [0.2, -0.4]]), np.array([0.5, -1.0]), np.array([[1.0, 2.0]]))


def test_the_log_density_tolerance_is_its_documented_bound() -> None:
    # Each quantity by another route: κ(Σ) by np.linalg.cond, q by solving with Σ, ‖A⁻¹‖ by its 2-norm.
    point, n = SKEWED.points[0], 2
    sigma = SKEWED.covariance()
    kappa = np.linalg.cond(sigma)
    q = (point - SKEWED.shift) @ np.linalg.solve(sigma, point - SKEWED.shift)
    log_det = np.linalg.slogdet(sigma)[1]
    magnitude = np.linalg.norm(point) + np.linalg.norm(SKEWED.shift)
    inverse_norm = np.linalg.norm(np.linalg.inv(SKEWED.matrix), 2)
    expected = 4 * (n + 2) * U64 * (n * kappa * (n + q + 1) + magnitude * inverse_norm * math.sqrt(q) + q + abs(log_det) + n * LOG_2PI)
    tolerance, reason = log_density_tolerance(SKEWED, point)
    # κ, q and ‖A⁻¹‖ by other backward-stable routes agree to about n u κ(Σ) relative; a sum of positive terms keeps it.
    assert log_det < 0 and tolerance == pytest.approx(expected, rel=gamma(4 * n, U64) * kappa, abs=0)
    assert reason == (
        f"4(n+2)u·[nκ(Σ)(n+q+1) + (|x|+|b|)‖A⁻¹‖√q + q + |log det Σ| + n log 2π] with n=2, "
        f"κ(Σ)={kappa:.3g}, q={q:.3g}: backward-stable Σ = AAᵀ and its factorisation on both sides"
    )


def test_the_moment_tolerance_is_its_documented_bound() -> None:
    n = 2
    singular = np.linalg.svd(SKEWED.matrix, compute_uv=False)
    kappa = np.linalg.cond(SKEWED.covariance())
    log_det = np.linalg.slogdet(SKEWED.covariance())[1]
    constant = 4 * (n + 2) * U64 * (n * kappa * (n + 2) + (2 * np.linalg.norm(SKEWED.shift) + singular[0]) / singular[-1] + 1 + abs(log_det) + n * LOG_2PI)
    tolerance, reason = moment_tolerance(SKEWED.matrix, SKEWED.shift, 3.5, 9)
    # κ(Σ) and log det Σ by other backward-stable routes agree to about n u κ(Σ) relative (as above).
    assert tolerance == pytest.approx((constant + 18 * U64) * 3.5, rel=gamma(4 * n, U64) * kappa, abs=0)
    assert reason == f"(C + 2·9u)·∫(1+|z|²)(1+|Az|+|Az|²)f with C = {constant:.2e}: the log-density's rounding (κ(Σ)={kappa:.3g}) on every term"


def test_the_moment_integrand_weighs_the_implementations_density_at_b_plus_Az() -> None:
    # A density that ignores x (log f ≡ −1) leaves |det A| e⁻¹ as the weight: the integrand's
    # structure [1, Az, (Az)(Az)ᵀ, (1+|z|²)(1+|Az|+|Az|²)] shows unaltered.
    called_with: list[np.ndarray] = []

    def log_density(x: np.ndarray) -> np.ndarray:
        called_with.append(x)
        return np.full(len(x), -1.0)

    z = np.array([[0.5, -1.0], [2.0, 0.25]])
    values = moment_integrand(log_density, SKEWED.matrix, SKEWED.shift)(z)
    offset = z @ SKEWED.matrix.T
    weight = abs(np.linalg.det(SKEWED.matrix)) * math.exp(-1)
    size = (1 + (z**2).sum(axis=1)) * (1 + np.sqrt((offset**2).sum(axis=1)) + (offset**2).sum(axis=1))
    expected = weight * np.column_stack([np.ones(2), offset, np.einsum("ki,kj->kij", offset, offset).reshape(2, 4), size])
    # Every element carries the weight: |det A| by LU here, by slogdet and exp there (each ≲ n u κ(A) relative),
    # and a few roundings more (the product, the size's norm and sums).
    np.testing.assert_allclose(values, expected, rtol=gamma(4 * 2, U64) * np.linalg.cond(SKEWED.matrix), atol=0)
    np.testing.assert_array_equal(called_with[0], SKEWED.shift + offset)


def test_gauss_hermite_moments_use_the_three_point_rule() -> None:
    # log f ≡ 0 in one dimension: Σ wᵢ/φ(zᵢ) over nodes 0, ±√3 with weights 2/3, 1/6, 1/6
    # is √(2π)(2/3 + e^{3/2}/3); a rule with more points gives another number.
    estimate, size = gaussian_moments_by_gauss_hermite(lambda x: np.zeros(len(x)), np.eye(1), np.zeros(1))
    # The suite's own rounding bound for this oracle (3 weighted nodes; log f ≡ 0 adds none of its own).
    allowed, _ = moment_tolerance(np.eye(1), np.zeros(1), float(size[0]), 3)
    assert estimate[0] == pytest.approx(math.sqrt(2 * math.pi) * (2 / 3 + math.exp(1.5) / 3), rel=0, abs=allowed)
    assert size[0] == estimate[0]  # every g/φ is positive: Σ w|g/φ| and Σ w g/φ are the same sum


def test_cubature_moments_of_the_standard_normal_in_one_dimension() -> None:
    # ∫φ = 1, ∫zφ = 0, ∫z²φ = 1, and the size component ∫(1+z²)(1+|z|+z²)φ by quad.
    reference = lambda x: gaussian_log_density_by_cholesky(x, np.zeros(1), np.eye(1))  # noqa: E731
    estimate, error = gaussian_moments_by_cubature(reference, np.eye(1), np.zeros(1))
    size = integrate.quad(lambda z: (1 + z * z) * (1 + abs(z) + z * z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -np.inf, np.inf)[0]
    # rtol, atol: the accuracy gaussian_moments_by_cubature requests of scipy's cubature (a setting of the oracle).
    np.testing.assert_allclose(estimate, [1.0, 0.0, 1.0, size], rtol=1e-6, atol=1e-9)
    # Requested accuracy: every component's error estimate within 1e-9 + 1e-6·|estimate|.
    assert np.all(error <= 1e-9 + 1e-6 * np.abs(estimate)) and np.all(error >= 0)


# --- what the reference accepts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "cov", "message"),
    [
        ([[0.0]], [[1.0]], "mean must be (n,) and cov (n, n); got mean(1, 1), cov(1, 1)"),
        ([0.0, 0.0], [[1.0]], "mean must be (n,) and cov (n, n); got mean(2,), cov(1, 1)"),
        ([math.nan], [[1.0]], "mean and cov must be finite"),
        # |Σ − Σᵀ| ≤ 16u·max|Σ| is symmetric: 16.5u off at max 1 is not (0.25 + 16.5u is a float) ...
        ([0.0, 0.0], [[1.0, 0.25], [0.25 + 16.5 * U64, 1.0]], "cov must be symmetric"),
        ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], "cov must be positive definite (Cholesky failed); a singular A has no density"),
    ],
    ids=["mean-2d", "shapes-differ", "not-finite", "asymmetric-by-16.5u", "indefinite"],
)
def test_the_reference_refuses_bad_gaussian_parameters_saying_which(mean, cov, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        affine_gaussian_log_density(np.zeros(np.shape(mean)[-1]), np.array(mean), np.array(cov))
    assert str(raised.value) == message


def test_an_asymmetry_within_sixteen_ulps_of_the_largest_entry_is_accepted() -> None:
    # ... and 40u off at max 4 is within 16u·4 = 64u (rtol 0: the allowance scales with max|Σ| only).
    cov = np.array([[4.0, 0.5], [0.5 + 40 * U64, 1.0]])
    assert math.isfinite(affine_gaussian_log_density(np.zeros(2), np.zeros(2), cov))
    with pytest.raises(InvalidInput, match="^cov must be symmetric$"):
        affine_gaussian_log_density(np.zeros(2), np.zeros(2), np.array([[4.0, 0.5], [0.5 + 65 * U64, 1.0]]))
