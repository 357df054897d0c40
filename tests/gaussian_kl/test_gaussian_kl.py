"""T7 (Gaussian KL): Gauss–Hermite, adaptive quadrature, Monte Carlo, torch, and additivity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from theorems.strategies.gaussian import STRUCTURES, classify_gaussian_pair, diagonal_gaussian_pairs, gaussian_pairs
from theorems.gaussian_kl.catalogue import WRONG_IMPLEMENTATIONS
from theorems.oracles.false_alarms import per_check_false_alarm
from theorems.gaussian_density.check import gaussian_log_density_by_cholesky
from theorems.gaussian_kl.check import (
    GaussianPair,
    gaussian_kl,
    gaussian_kl_tolerance,
    kl_by_median_of_means,
    torch_kl_divergence,
)
from theorems.gaussian_kl.statement import CLAIMS, GAUSSIAN_KL
from theorems.oracles.quadrature import QUADRATURE_SAFETY, integral_by_quad
from theorems._engine.run import find_counterexample
from theorems.profiles import scaled
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import gamma

U64 = 2.0**-53


def assert_holds(evidence) -> None:
    assert evidence.holds, evidence.explain()


@given(gaussian_pairs())
def test_closed_form_matches_gauss_hermite_integration(pair: GaussianPair) -> None:
    assert_holds(GAUSSIAN_KL.check_reference(pair))


@pytest.mark.slow
@given(gaussian_pairs())
def test_torch_kl_divergence_matches_gauss_hermite_integration(pair: GaussianPair) -> None:
    assert_holds(GAUSSIAN_KL.check(torch_kl_divergence, pair))


@pytest.mark.slow
@given(gaussian_pairs(dim=1))
def test_closed_form_matches_adaptive_quadrature_in_one_dimension(pair: GaussianPair) -> None:
    mean, sd = float(pair.mu0[0]), math.sqrt(pair.cov0[0, 0])

    def integrand(x: float) -> float:
        point = np.array([[x]])
        log_f = gaussian_log_density_by_cholesky(point, pair.mu0, pair.cov0)[0]
        return math.exp(log_f) * (log_f - gaussian_log_density_by_cholesky(point, pair.mu1, pair.cov1)[0])

    oracle = integral_by_quad(integrand, [-math.inf, mean - 10 * sd, mean, mean + 10 * sd, math.inf])
    expected = gaussian_kl(*pair.arguments())
    tolerance = QUADRATURE_SAFETY * oracle.error + gaussian_kl_tolerance(pair, abs(expected))[0]
    assert abs(expected - oracle.value) <= tolerance, f"closed form {expected!r} vs {oracle.value!r} ({oracle.how}); tolerance {tolerance:.2e}"


@pytest.mark.slow
@given(gaussian_pairs(), st.integers(0, 2**32 - 1))
def test_closed_form_lies_within_the_monte_carlo_confidence_bound(pair: GaussianPair, seed: int) -> None:
    """The closed form lies within the median-of-means bound (``kl_by_median_of_means``; α from the "gaussian-kl" share)."""
    alpha = per_check_false_alarm(GAUSSIAN_KL.false_alarm_share, checks_per_example=1)
    estimate, half_width = kl_by_median_of_means(pair, seed, alpha)
    expected = gaussian_kl(*pair.arguments())
    bound = half_width + gaussian_kl_tolerance(pair, abs(expected))[0]
    assert abs(estimate - expected) <= bound, f"closed form {expected!r} vs median-of-means {estimate!r} ± {bound:.3e} (α={alpha:.1e})"


@given(diagonal_gaussian_pairs())
def test_diagonal_gaussian_kl_is_the_sum_of_one_dimensional_kls(pair: GaussianPair) -> None:
    # The 1-D KLs come from torch.distributions (Normal against Normal), not from gaussian_kl
    # again: comparing gaussian_kl with itself coordinate by coordinate was no independent oracle.
    import torch

    whole = gaussian_kl(*pair.arguments())
    normal = lambda mu, cov, i: torch.distributions.Normal(torch.tensor(mu[i], dtype=torch.float64), torch.tensor(math.sqrt(cov[i, i]), dtype=torch.float64))  # noqa: E731
    parts = [float(torch.distributions.kl_divergence(normal(pair.mu0, pair.cov0, i), normal(pair.mu1, pair.cov1, i))) for i in range(pair.dim)]
    # Each side's own rounding: the whole closed form's allowance, each 1-D one's (the same bound
    # for d = 1), and the d − 1 additions of the parts, each within u of Σ|parts|.
    sub_pairs = [GaussianPair(pair.mu0[i : i + 1], pair.cov0[i : i + 1, i : i + 1], pair.mu1[i : i + 1], pair.cov1[i : i + 1, i : i + 1]) for i in range(pair.dim)]
    tolerance = (
        gaussian_kl_tolerance(pair, abs(whole))[0]
        + sum(gaussian_kl_tolerance(sub, abs(part))[0] for sub, part in zip(sub_pairs, parts))
        + pair.dim * U64 * sum(abs(part) for part in parts)
    )
    assert abs(whole - sum(parts)) <= tolerance, f"D = {whole!r} vs Σ 1-D (torch) = {sum(parts)!r}; tolerance {tolerance:.2e}"


KL_WRONGS = [w for w in WRONG_IMPLEMENTATIONS if w.theorem_id == "gaussian-kl"]
# The classes each class-bound mistake hides in (where it is right); the covered run's
# simplest examples of the other classes catch it.
HIDES_IN = {
    "one-dimensional-constant": {"dimension": "1"},
    "kl-of-diagonals": {"structure": "diagonal"},
    "eigenvalue-cutoff": {"structure": ("diagonal", "dense")},
}


@pytest.mark.parametrize("wrong", KL_WRONGS, ids=lambda w: w.name)
def test_every_wrong_gaussian_kl_is_falsified_in_the_smallest_dimension_it_is_wrong_in(wrong) -> None:
    found = find_counterexample(GAUSSIAN_KL, wrong.implementation, max_examples=200)
    assert found is not None, f"{wrong.name} ({wrong.mistake}) was never falsified"
    # The class-bound mistakes are right in one dimension (a 1×1 covariance is diagonal and perfectly conditioned).
    assert found.example.dim == (2 if wrong.name in HIDES_IN else 1), found.evidence.explain()


# A quarter of the profile: the unrestricted draws above reach every class too.
@settings(scaled(0.25, minimum=5))
@given(gaussian_pairs(structure=STRUCTURES))
def test_reference_holds_on_the_structured_class_draws(pair: GaussianPair) -> None:
    assert_holds(GAUSSIAN_KL.check_reference(pair))


@pytest.mark.parametrize("name", HIDES_IN)
# A quarter of the profile: one more formula on the class draws the reference's property runs on.
@settings(scaled(0.25, minimum=5))
@given(data=st.data())
def test_a_class_bound_wrong_gaussian_kl_holds_in_the_classes_it_hides_in(name: str, data: st.DataObject) -> None:
    wrong = next(w for w in KL_WRONGS if w.name == name)
    pair = data.draw(gaussian_pairs(**HIDES_IN[name]))
    assert_holds(GAUSSIAN_KL.check(wrong.implementation, pair))


@pytest.mark.parametrize("name", HIDES_IN)
def test_a_class_bound_wrong_gaussian_kl_is_falsified_by_the_simplest_example_of_every_other_class(name: str) -> None:
    """What a covered run draws first, one simplest example per (dimension, structure) row: each
    row in the classes the mistake hides in holds, and every other value of the assumptions
    it hides behind has a row that falsifies it (a value can hide it in some rows: −1 for −d
    is within the tolerance of a KL of 4.5e8 between ill-conditioned Gaussians)."""
    wrong = next(w for w in KL_WRONGS if w.name == name)
    hides_in = {key: allowed if isinstance(allowed, tuple) else (allowed,) for key, allowed in HIDES_IN[name].items()}
    caught_in = set()
    for row in GAUSSIAN_KL.cover_classes():
        pair = find(gaussian_pairs(**row), lambda _: True, settings=settings(database=None, phases=[Phase.generate]))
        found = classify_gaussian_pair(pair)
        evidence = GAUSSIAN_KL.check(wrong.implementation, pair)
        if all(found[key] in allowed for key, allowed in hides_in.items()):
            assert evidence.holds, f"{row}: {evidence.explain()}"
        elif not evidence.holds:
            caught_in |= {(key, found[key]) for key in hides_in}
    wanted = {(key, value) for key, allowed in hides_in.items() for value in GAUSSIAN_KL.assumption(key).values if value not in allowed}
    assert wanted <= caught_in, f"{name} is caught by no simplest example of {sorted(wanted - caught_in)}"


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_the_transcribed_gaussian_kl_is_falsified_in_one_dimension(claim) -> None:
    found = find_counterexample(GAUSSIAN_KL, claim.implementation, max_examples=200)
    assert found is not None, f"the transcribed claim {claim.id} was not falsified: the suite lost its power"
    assert found.example.dim == 1, found.evidence.explain()


def test_the_notes_counterexample_gives_a_negative_divergence() -> None:
    args = (np.zeros(1), np.eye(1), np.zeros(1), 2 * np.eye(1))
    expected = 0.5 * (0.5 - 1 + math.log(2))  # the scalar formula: log(σ1/σ0) + σ0²/(2σ1²) − ½ with σ0² = 1, σ1² = 2
    assert abs(gaussian_kl(*args) - expected) <= gaussian_kl_tolerance(GaussianPair(*args), 0.5 + 1 + math.log(2))[0] + gamma(2, U64) * abs(expected)  # the expected side: log 2 and one add round
    assert CLAIMS[0].implementation(*args) < 0


@pytest.mark.parametrize(
    "mu0, cov0, mu1, cov1",
    [
        ([0.0], [[1.0]], [0.0, 0.0], np.eye(2)),
        ([0.0], [[-1.0]], [0.0], [[1.0]]),
        ([0.0, 0.0], [[1.0, 0.3], [0.0, 1.0]], [0.0, 0.0], np.eye(2)),
    ],
    ids=["dimension-mismatch", "not-positive-definite", "not-symmetric"],
)
def test_invalid_gaussians_are_rejected_in_one_line(mu0: list, cov0: list, mu1: list, cov1: list) -> None:
    with pytest.raises(InvalidInput) as raised:
        gaussian_kl(np.array(mu0), np.array(cov0), np.array(mu1), np.array(cov1))
    assert "\n" not in str(raised.value)
