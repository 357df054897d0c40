"""T4 (affine-Gaussian density): the change of variables, scipy, A vs AQ, and sampling."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import scipy.stats
from hypothesis import Phase, assume, find, given, settings
from hypothesis import strategies as st

from theorems.strategies.gaussian import STRUCTURES, affine_gaussian_cases, classify_affine_gaussian_case, rotations
from theorems.gaussian_density.catalogue import WRONG_IMPLEMENTATIONS
from theorems.oracles.false_alarms import per_check_false_alarm
from theorems.gaussian_density.findings import FINDINGS
from theorems.gaussian_density.check import (
    GOODNESS_OF_FIT_PROJECTIONS,
    GOODNESS_OF_FIT_SAMPLES,
    AffineGaussianCase,
    affine_gaussian_log_density,
    gaussian_log_density_by_change_of_variables,
    gaussian_log_density_by_cholesky,
    gaussian_moments_by_cubature,
    gaussian_moments_by_gauss_hermite,
    moment_tolerance,
    log_density_tolerance,
)
from theorems.gaussian_density.statement import AFFINE_GAUSSIAN_DENSITY, CLAIMS
from theorems.oracles.statistics import dkw_threshold, largest_projection_ks_distance
from theorems.oracles.quadrature import QUADRATURE_SAFETY, integrals_by_cubature
from theorems._engine.run import find_counterexample
from theorems.profiles import scaled
from theorems.theorem import InvalidInput

U64 = 2.0**-53
PROJECTIONS = GOODNESS_OF_FIT_PROJECTIONS
SAMPLES = GOODNESS_OF_FIT_SAMPLES


def assert_holds(evidence) -> None:
    assert evidence.holds, evidence.explain()


@given(affine_gaussian_cases())
def test_reference_log_density_matches_the_change_of_variables(case: AffineGaussianCase) -> None:
    assert_holds(AFFINE_GAUSSIAN_DENSITY.check_reference(case))


SCIPY_FINDINGS = [finding for finding in FINDINGS if finding.theorem_id == AFFINE_GAUSSIAN_DENSITY.id]


@pytest.mark.slow
# Repeated and clustered singular values (2/3 of the default draws) lie in the clustered
# finding's domain: draw spread ones, where scipy must hold, and filter what remains.
@given(affine_gaussian_cases(singular_values="spread"))
def test_scipy_multivariate_normal_logpdf_matches_the_change_of_variables_outside_its_recorded_findings(case: AffineGaussianCase) -> None:
    assume(not any(finding.applies(case) for finding in SCIPY_FINDINGS))
    assert_holds(AFFINE_GAUSSIAN_DENSITY.check(scipy.stats.multivariate_normal.logpdf, case))


@pytest.mark.parametrize("finding", SCIPY_FINDINGS, ids=lambda finding: finding.id)
def test_recorded_scipy_finding_still_reproduces_on_its_example(finding) -> None:
    """If scipy fixes the defect, this fails: update theorems/gaussian_density/findings.py (the record must stay true)."""
    assert finding.applies(finding.example), "the recorded example must lie in the finding's domain"
    evidence = AFFINE_GAUSSIAN_DENSITY.check(scipy.stats.multivariate_normal.logpdf, finding.example)
    assert not evidence.holds, f"finding {finding.id} no longer reproduces: {evidence.explain()}"
    if finding.raises is None:  # a wrong value, not a refusal
        assert evidence.failure is None, evidence.explain()
    else:
        assert finding.raises in (evidence.failure or ""), evidence.explain()
    assert AFFINE_GAUSSIAN_DENSITY.check_reference(finding.example).holds  # the theorem's own reference holds there


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
    alpha = per_check_false_alarm(AFFINE_GAUSSIAN_DENSITY.false_alarm_share, checks_per_example=PROJECTIONS)
    epsilon = dkw_threshold(SAMPLES, alpha)
    rng = np.random.default_rng(seed)
    samples = rng.standard_normal((SAMPLES, case.dim)) @ case.matrix.T + case.shift
    for _ in range(PROJECTIONS):
        direction = rng.standard_normal(case.dim)
        direction /= np.linalg.norm(direction)
        distance = largest_projection_ks_distance(samples, case.shift, case.covariance(), direction[None, :])
        assert distance <= epsilon, f"KS distance {distance:.4f} > ε={epsilon:.4f} (α={alpha:.1e}) along u={direction}"


DENSITY_WRONGS = [w for w in WRONG_IMPLEMENTATIONS if w.theorem_id == "affine-gaussian-density"]
# The classes each class-bound mistake hides in (where it is right); the covered run's
# simplest examples of the other classes catch it.
HIDES_IN = {
    "product-of-marginals": {"structure": "diagonal"},
    "eigenvalue-cutoff": {"structure": ("diagonal", "dense")},
}


@pytest.mark.parametrize("wrong", DENSITY_WRONGS, ids=lambda w: w.name)
def test_every_wrong_density_is_falsified_on_a_small_example(wrong) -> None:
    found = find_counterexample(AFFINE_GAUSSIAN_DENSITY, wrong.implementation, max_examples=200)
    assert found is not None, f"{wrong.name} ({wrong.mistake}) was never falsified"
    # These mistakes are right at n = 1: the eigen-factor's det is +1 for every 1×1 matrix
    # (see the claim's docstring), (2π)^{-1/2} is the right constant when n = 1, and a
    # 1×1 covariance is diagonal and perfectly conditioned.
    smallest = 2 if wrong.name in ("signed-jacobian", "normaliser-ignores-dimension", *HIDES_IN) else 1
    assert found.example.dim <= smallest, found.evidence.explain()


# A quarter of the profile: the unrestricted draws above reach every class too.
@settings(scaled(0.25, minimum=5))
@given(affine_gaussian_cases(structure=STRUCTURES))
def test_reference_holds_on_the_structured_class_draws(case: AffineGaussianCase) -> None:
    assert_holds(AFFINE_GAUSSIAN_DENSITY.check_reference(case))


@pytest.mark.parametrize("name", HIDES_IN)
# A quarter of the profile: one more formula on the class draws the reference's property runs on.
@settings(scaled(0.25, minimum=5))
@given(data=st.data())
def test_a_class_bound_wrong_density_holds_in_the_classes_it_hides_in(name: str, data: st.DataObject) -> None:
    wrong = next(w for w in DENSITY_WRONGS if w.name == name)
    case = data.draw(affine_gaussian_cases(**HIDES_IN[name]))
    assert_holds(AFFINE_GAUSSIAN_DENSITY.check(wrong.implementation, case))


@pytest.mark.parametrize("name", HIDES_IN)
def test_a_class_bound_wrong_density_is_falsified_by_the_simplest_example_of_every_other_class(name: str) -> None:
    """What a covered run draws first, one simplest example per (dimension, structure) row: each
    row in the classes the mistake hides in holds, and every other value of the assumptions
    it hides behind has a row that falsifies it (a value can hide it in some rows: −1 for −d
    is within the tolerance of a KL of 4.5e8 between ill-conditioned Gaussians)."""
    wrong = next(w for w in DENSITY_WRONGS if w.name == name)
    hides_in = {key: allowed if isinstance(allowed, tuple) else (allowed,) for key, allowed in HIDES_IN[name].items()}
    caught_in = set()
    for row in AFFINE_GAUSSIAN_DENSITY.cover_classes():
        case = find(affine_gaussian_cases(**row), lambda _: True, settings=settings(database=None, phases=[Phase.generate]))
        found = classify_affine_gaussian_case(case)
        evidence = AFFINE_GAUSSIAN_DENSITY.check(wrong.implementation, case)
        if all(found[key] in allowed for key, allowed in hides_in.items()):
            assert evidence.holds, f"{row}: {evidence.explain()}"
        elif not evidence.holds:
            caught_in |= {(key, found[key]) for key in hides_in}
    wanted = {(key, value) for key, allowed in hides_in.items() for value in AFFINE_GAUSSIAN_DENSITY.assumption(key).values if value not in allowed}
    assert wanted <= caught_in, f"{name} is caught by no simplest example of {sorted(wanted - caught_in)}"


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


def assert_moments_match(estimate: np.ndarray, oracle_error: np.ndarray, case: AffineGaussianCase, size: float, terms: int, how: str) -> None:
    n = case.dim
    expected = np.concatenate([[1.0], np.zeros(n), case.covariance().reshape(-1)])
    rounding, reason = moment_tolerance(case.matrix, case.shift, size, terms)
    # Σ = fl(AAᵀ) itself is off by n·u·(|A||A|ᵀ) entrywise (Higham 2002 §3.5).
    product = (np.abs(case.matrix) @ np.abs(case.matrix).T).reshape(-1)
    tolerance = QUADRATURE_SAFETY * oracle_error[:-1] + rounding + np.concatenate([np.zeros(1 + n), 2 * n * U64 * product])
    ratio = np.abs(estimate[:-1] - expected) / tolerance
    worst = int(np.argmax(ratio))
    assert ratio[worst] <= 1, (
        f"{case!r}: moment {worst} (0: ∫f, 1..n: ∫(x−b)f, then ∫(x−b)(x−b)ᵀf) by {how} is {estimate[worst]!r}, "
        f"expected {expected[worst]!r}; error {abs(estimate[worst] - expected[worst]):.2e} vs tolerance {tolerance[worst]:.2e} "
        f"({QUADRATURE_SAFETY:g}× the oracle's error estimate + {reason})"
    )


# The moment integrals' oracles (adaptive cubature, Gauss–Hermite) converge to their error
# estimates on moderately conditioned A; the checks themselves run the full range.
ORACLE_REACH = 4.0


def cubature_terms(dim: int) -> int:
    """Roundings of each node's contribution to the cubature's sum (scipy.integrate.cubature, gk21).

    A region's estimate is a 21^dim-node weighted sum; scipy keeps one running total, and each
    subdivision (at most integrals_by_cubature's max_subdivisions) takes the parent out and adds
    its 2^dim children, each update rounding within u of a partial sum no larger than the total
    plus one region, so within 2u of the size of the terms.
    """
    subdivisions = inspect.signature(integrals_by_cubature).parameters["max_subdivisions"].default
    return 21**dim + 2 * (1 + subdivisions * (2**dim + 1))


@pytest.mark.slow
@given(affine_gaussian_cases(dim=(1, 2), max_log10_condition=ORACLE_REACH))
def test_density_integrates_to_one_with_mean_b_and_covariance_AAT_by_adaptive_cubature(case: AffineGaussianCase) -> None:
    cov = case.covariance()
    estimate, error = gaussian_moments_by_cubature(lambda x: gaussian_log_density_by_cholesky(x, case.shift, cov), case.matrix, case.shift)
    assert_moments_match(estimate, error, case, estimate[-1], cubature_terms(case.dim), "adaptive cubature")


@pytest.mark.slow
@given(affine_gaussian_cases(dim=range(3, 9), max_log10_condition=ORACLE_REACH))
def test_density_integrates_to_one_with_mean_b_and_covariance_AAT_by_gauss_hermite(case: AffineGaussianCase) -> None:
    cov = case.covariance()
    estimate, size = gaussian_moments_by_gauss_hermite(lambda x: gaussian_log_density_by_cholesky(x, case.shift, cov), case.matrix, case.shift)
    assert_moments_match(estimate, np.zeros_like(estimate), case, size[-1], 3**case.dim, "3-point Gauss–Hermite")
