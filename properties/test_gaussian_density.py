"""T4 (affine-Gaussian density): the change of variables, scipy, A vs AQ, and sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from properties.gaussian_strategies import affine_gaussian_cases, rotations
from properties.wrong_gaussian import WRONG_IMPLEMENTATIONS
from theorems.false_alarms import per_check_false_alarm
from theorems.gaussian_density import (
    AFFINE_GAUSSIAN_DENSITY,
    CLAIMS,
    AffineGaussianCase,
    affine_gaussian_log_density,
    gaussian_log_density_by_change_of_variables,
    log_density_tolerance,
)
from theorems.runner import find_counterexample
from theorems.theorem import InvalidInput

PROJECTIONS = 3
SAMPLES = 2000


def assert_holds(evidence) -> None:
    assert evidence.holds, evidence.explain()


@given(affine_gaussian_cases())
def test_reference_log_density_matches_the_change_of_variables(case: AffineGaussianCase) -> None:
    assert_holds(AFFINE_GAUSSIAN_DENSITY.check_reference(case))


@given(affine_gaussian_cases())
def test_scipy_multivariate_normal_logpdf_matches_the_change_of_variables(case: AffineGaussianCase) -> None:
    assert_holds(AFFINE_GAUSSIAN_DENSITY.check(scipy.stats.multivariate_normal.logpdf, case))


@given(st.data())
def test_A_and_AQ_give_the_same_density(data: st.DataObject) -> None:
    case = data.draw(affine_gaussian_cases())
    rotated = AffineGaussianCase(case.matrix @ data.draw(rotations(case.dim)), case.shift, case.points)
    first = gaussian_log_density_by_change_of_variables(case.points, case.matrix, case.shift)
    second = gaussian_log_density_by_change_of_variables(rotated.points, rotated.matrix, rotated.shift)
    for point, a, b in zip(case.points, first, second):
        tolerance, reason = log_density_tolerance(case, point)
        assert abs(a - b) <= 2 * tolerance, f"A gives {a!r}, AQ gives {b!r} at x={point}; tolerance 2×({reason})"


@given(affine_gaussian_cases(), st.integers(0, 2**32 - 1))
def test_samples_of_AY_plus_b_pass_goodness_of_fit_on_random_projections(case: AffineGaussianCase, seed: int) -> None:
    """uᵀ(AY + b) ~ N(uᵀb, uᵀAAᵀu) for every direction u; Kolmogorov–Smirnov distance by DKW.

    False alarm: the DKW–Massart inequality P(sup|F_m − F| > ε) ≤ 2 exp(−2mε²) is exact
    for finite m; ε is set so that each of the ``PROJECTIONS`` tests per example has
    probability α = share/(examples × PROJECTIONS) (the "affine-gaussian-density" share,
    2e-7 for the whole run). Power: with m = 2000, ε ≈ 0.075; a location error of 0.3
    standard deviations moves the CDF by 0.118 at the mean, a scale error of 35% by
    ≥ 0.076, so either is detected with probability ≥ 1 − 2exp(−2m(0.118−0.075)²) > 0.999
    for the location error.
    """
    alpha = per_check_false_alarm("affine-gaussian-density", checks_per_example=PROJECTIONS)
    epsilon = math.sqrt(math.log(2 / alpha) / (2 * SAMPLES))
    rng = np.random.default_rng(seed)
    samples = rng.standard_normal((SAMPLES, case.dim)) @ case.matrix.T + case.shift
    cov = case.covariance()
    for _ in range(PROJECTIONS):
        direction = rng.standard_normal(case.dim)
        direction /= np.linalg.norm(direction)
        projected = np.sort(samples @ direction)
        cdf = scipy.stats.norm.cdf(projected, loc=direction @ case.shift, scale=math.sqrt(direction @ cov @ direction))
        grid = np.arange(1, SAMPLES + 1) / SAMPLES
        distance = max(np.max(grid - cdf), np.max(cdf - (grid - 1 / SAMPLES)))
        assert distance <= epsilon, f"KS distance {distance:.4f} > ε={epsilon:.4f} (α={alpha:.1e}) along u={direction}"


@pytest.mark.parametrize("wrong", [w for w in WRONG_IMPLEMENTATIONS if w.theorem_id == "affine-gaussian-density"], ids=lambda w: w.name)
def test_every_wrong_density_is_falsified_on_a_small_example(wrong) -> None:
    found = find_counterexample(AFFINE_GAUSSIAN_DENSITY, wrong.implementation, max_examples=200)
    assert found is not None, f"{wrong.name} ({wrong.mistake}) was never falsified"
    # Two mistakes are right at n = 1: the eigen-factor's det is +1 for every 1×1 matrix
    # (see the claim's docstring), and (2π)^{-1/2} is the right constant when n = 1.
    smallest = 2 if wrong.name in ("signed-jacobian", "normaliser-ignores-dimension") else 1
    assert found.example.dim <= smallest, found.evidence.explain()


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_every_transcribed_density_claim_is_falsified_on_a_small_example(claim) -> None:
    found = find_counterexample(AFFINE_GAUSSIAN_DENSITY, claim.implementation, max_examples=200)
    assert found is not None, f"the transcribed claim {claim.id} was not falsified: the suite lost its power"
    assert found.example.dim <= (2 if claim.id.endswith("signed-jacobian") else 1), found.evidence.explain()


@pytest.mark.parametrize(
    "x, mean, cov",
    [
        ([0.0], [0.0], [[0.0]]),
        ([0.0, 0.0], [0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]),
        ([0.0, 0.0], [0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]]),
        ([0.0], [0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]),
        ([0.0], [0.0], [[float("inf")]]),
    ],
    ids=["singular", "indefinite", "not-symmetric", "shape-mismatch", "not-finite"],
)
def test_invalid_gaussian_parameters_are_rejected_in_one_line(x: list, mean: list, cov: list) -> None:
    with pytest.raises(InvalidInput) as raised:
        affine_gaussian_log_density(np.array(x), np.array(mean), np.array(cov))
    assert "\n" not in str(raised.value)


def test_a_singular_A_is_rejected_by_the_check() -> None:
    case = AffineGaussianCase(np.array([[1.0, 1.0], [1.0, 1.0]]), np.zeros(2), np.zeros((1, 2)))
    with pytest.raises(InvalidInput):
        AFFINE_GAUSSIAN_DENSITY.check_reference(case)
