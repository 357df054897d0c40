"""T5 (KL nonnegativity) and T6 (KL additivity): pmfs by exact sums, densities by quadrature."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from theorems.strategies.kl import classify_independent_pmfs, classify_pmf_pair, densities, density_pairs, independent_pmfs, pmf_pairs
from theorems.kl.catalogue import WRONG_IMPLEMENTATIONS
from theorems.gaussian_density.check import gaussian_log_density_by_cholesky
from theorems.oracles.densities import (
    Axis,
    Density1D,
    joint_kl_by_cubature,
    kl_by_quadrature,
    beta_density,
    formulas_agreement_tolerance,
    laplace_density,
    log_ratio_integrand,
    logistic_density,
    normal_density,
    normal_mixture_density,
    student_t_density,
    uniform_density,
)
from theorems.kl.check import IndependentPmfs, PmfPair, kl_divergence
from theorems.kl.statement import KL_ADDITIVITY, KL_NONNEGATIVITY
from theorems.profiles import scaled
from theorems.oracles.quadrature import QUADRATURE_SAFETY
from theorems._engine.run import find_counterexample, run_check
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, gamma


def assert_holds(evidence) -> None:
    assert evidence.holds, evidence.explain()


def quadrature_tolerance(error: float, magnitude: float) -> float:
    """QUADRATURE_SAFETY × the error estimate, plus 64u of the magnitude for rounding in the integrand."""
    # 64u: a margin, not a count. The oracles report no ∫|integrand| to derive it from; QUADPACK's estimate
    # already floors at 50ε·∫|integrand| (ε = 2u), so this only covers the sum of values of size ≲ |value|.
    return QUADRATURE_SAFETY * error + 64 * U64 * max(magnitude, 1.0)


@given(pmf_pairs())
def test_reference_kl_matches_the_definition_and_is_nonnegative(pair: PmfPair) -> None:
    assert_holds(KL_NONNEGATIVITY.check_reference(pair))


@given(pmf_pairs())
def test_scipy_stats_entropy_passes_the_nonnegativity_check(pair: PmfPair) -> None:
    assert_holds(KL_NONNEGATIVITY.check(scipy.stats.entropy, pair))


@given(independent_pmfs())
def test_reference_kl_of_independent_pmfs_is_the_sum_over_factors(case) -> None:
    assert_holds(KL_ADDITIVITY.check_reference(case))


@given(independent_pmfs())
def test_scipy_stats_entropy_passes_the_additivity_check(case) -> None:
    assert_holds(KL_ADDITIVITY.check(scipy.stats.entropy, case))


@pytest.mark.slow
@given(density_pairs())
def test_kl_of_continuous_densities_is_nonnegative_by_quadrature(pair: tuple[Density1D, Density1D]) -> None:
    f, g = pair
    oracle = kl_by_quadrature(f, g)
    assert oracle.value >= -quadrature_tolerance(oracle.error, abs(oracle.value)), f"D({f}‖{g}) = {oracle.value} ({oracle.how})"


@st.composite
def densities_with_scipy_twins(draw: st.DrawFn) -> tuple[Density1D, Density1D]:
    """One of the suite's densities and the same law built independently from ``scipy.stats``.

    D(f‖f) with the same log-density on both sides integrates ``f·0`` and cannot fail; the
    twin's log-density is another computation of the same law, so the divergence is 0 only
    if both formulas are right (a dropped log 2 or a wrong normaliser shows).
    """
    family = draw(st.sampled_from(("normal", "laplace", "logistic", "student-t", "mixture", "uniform", "beta")))
    location, scale = draw(st.floats(-3.0, 3.0)), draw(st.floats(0.2, 5.0))
    if family == "normal":
        return normal_density(location, scale), _twin(normal_density(location, scale), scipy.stats.norm(location, scale).logpdf)
    if family == "laplace":
        return laplace_density(location, scale), _twin(laplace_density(location, scale), scipy.stats.laplace(location, scale).logpdf)
    if family == "logistic":
        return logistic_density(location, scale), _twin(logistic_density(location, scale), scipy.stats.logistic(location, scale).logpdf)
    if family == "student-t":
        nu = draw(st.floats(1.5, 8.0))
        ours = student_t_density(nu, location, scale)
        return ours, _twin(ours, scipy.stats.t(nu, location, scale).logpdf)
    if family == "mixture":
        weight, other, spread = draw(st.floats(0.05, 0.95)), draw(st.floats(-3.0, 3.0)), draw(st.floats(0.2, 5.0))
        ours = normal_mixture_density(weight, location, scale, other, spread)
        one, two = scipy.stats.norm(location, scale), scipy.stats.norm(other, spread)
        return ours, _twin(ours, lambda x: np.logaddexp(math.log(weight) + one.logpdf(x), math.log1p(-weight) + two.logpdf(x)))
    upper = location + scale
    if family == "uniform":
        return uniform_density(location, upper), _twin(uniform_density(location, upper), scipy.stats.uniform(location, scale).logpdf)
    a, b = draw(st.floats(1.0, 5.0)), draw(st.floats(1.0, 5.0))
    ours = beta_density(a, b, location, upper)
    return ours, _twin(ours, scipy.stats.beta(a, b, location, scale).logpdf)


def _twin(ours: Density1D, logpdf) -> Density1D:  # noqa: ANN001 - scipy's frozen logpdf
    return dataclasses.replace(ours, name=f"scipy's {ours.name}", logpdf=lambda x: np.asarray(logpdf(x), dtype=np.float64))


# D(f‖f) by quadrature integrated f·(log f − log f), exactly 0 at every point whatever f is:
# a test that could not fail, dropped. What it meant to establish, that the oracle's
# densities are the laws they name, is checked against scipy's independent formulas.
@given(densities_with_scipy_twins(), st.lists(st.floats(-0.99, 0.99), min_size=1, max_size=16))
def test_the_oracles_densities_are_scipys_laws(pair: tuple[Density1D, Density1D], positions: list[float]) -> None:
    f, twin = pair
    t = np.asarray(positions)
    x = f.centre + f.scale * t / (1 - t**2) if math.isinf(f.lower) else f.lower + (f.upper - f.lower) * (t + 1) / 2
    ours, theirs = f.logpdf(x), twin.logpdf(x)
    assert np.all(np.abs(ours - theirs) <= formulas_agreement_tolerance(ours, theirs, f, x)), f"{f} vs {twin} at x={x}: {ours} vs {theirs}"


def test_a_density_with_a_wrong_normaliser_is_told_from_scipys_copy() -> None:
    # The same comparison can fail: a Laplace density missing its log 2.
    right = laplace_density(0.0, 1.0)
    wrong = dataclasses.replace(right, logpdf=lambda x: -np.abs(x))
    x = np.linspace(-3.0, 3.0, 7)
    ours, theirs = wrong.logpdf(x), scipy.stats.laplace(0.0, 1.0).logpdf(x)
    assert np.all(np.abs(ours - theirs) > formulas_agreement_tolerance(ours, theirs, right, x))


@given(density_pairs(), st.lists(st.floats(min_value=-1.0, max_value=1.0, width=64), min_size=1, max_size=16))
def test_pointwise_f_log_f_over_g_is_at_least_f_minus_g(pair: tuple[Density1D, Density1D], positions: list[float]) -> None:
    f, g = pair
    # Points spread over f's support: t ∈ (−1, 1) mapped onto it.
    t = np.clip(np.asarray(positions), -0.999, 0.999)
    x = f.centre + f.scale * t / (1 - t**2) if math.isinf(f.lower) else f.lower + (f.upper - f.lower) * (t + 1) / 2
    left, right = log_ratio_integrand(f, g)(x), f.pdf(x) - g.pdf(x)
    # e^a(a − b) ≥ e^a − e^b holds exactly for the computed log-densities a, b themselves, so only
    # the last roundings count: exp within 1 ulp (2u), then a − b and the product (γ_4 of |left|);
    # right's two exp and its difference (γ_3 of f + g).
    slack = gamma(4, U64) * (f.pdf(x) + g.pdf(x) + np.abs(left))
    assert np.all(left >= right - slack), f"f log(f/g) < f − g for {f}, {g} at x={x[left < right - slack]}"


LIGHT_FAMILIES = ("normal", "laplace", "logistic", "student-t", "mixture", "uniform")


def joint_log_density(densities: list[Density1D]):
    """The joint log-density of independent coordinates as one function of the whole vector.

    Evaluated in logs so that far tails do not underflow; the integrand then takes
    ``log f(x) − log g(x)`` of the whole vector, never a sum of marginal ratios.
    """
    return lambda x: np.sum([d.logpdf(x[:, i]) for i, d in enumerate(densities)], axis=0)


def assert_joint_kl_is_the_sum_of_marginal_kls(pairs: list[tuple[Density1D, Density1D]], *, rtol: float = 1e-6) -> None:
    fs, gs = [f for f, _ in pairs], [g for _, g in pairs]
    with np.errstate(invalid="ignore"):
        whole = joint_kl_by_cubature(joint_log_density(fs), joint_log_density(gs), [Axis.of(f, g) for f, g in pairs], rtol=rtol)
    marginals = [kl_by_quadrature(f, g) for f, g in pairs]
    total = sum(m.value for m in marginals)
    tolerance = quadrature_tolerance(whole.error + sum(m.error for m in marginals), abs(total))
    assert abs(whole.value - total) <= tolerance, f"joint {whole.value!r} ({whole.how}) vs Σ marginals {total!r}; tolerance {tolerance:.2e}"


# Half the profile's examples (50 in ci): the property holds the oracles to each other (the
# joint's 2-D cubature against the marginals' 1-D quadratures) and checks no implementation; the
# wrong additivity implementations are falsified by the pmf checks below, each on a small example.
# One ci example (a Uniform against a far Normal beside a mixture) took a third of the 100's time.
@pytest.mark.slow
@settings(scaled(0.5))
@given(st.lists(density_pairs(min_nu=3.0, families=LIGHT_FAMILIES), min_size=2, max_size=2))
def test_kl_of_an_independent_2d_joint_density_is_the_sum_of_marginal_kls(pairs: list[tuple[Density1D, Density1D]]) -> None:
    """2-D adaptive Gauss–Kronrod cubature of the joint against two 1-D quadratures.

    Student-t has ν ≥ 3 so that the t-map leaves the integrand smooth at the box's edge.
    """
    assert_joint_kl_is_the_sum_of_marginal_kls(pairs)


SMOOTH = ("normal", "mixture")  # Gaussian tails on both sides: every pair has a finite KL
NORMAL = ("normal",)

# 3-D cubature costs 15× to 100× a 2-D one (3 375 nodes a region, 8 children a split):
# a fortieth of the profile's examples (5 in ci, 50 in thorough: 100 took 128-268 s
# there, a third of the thorough run's critical path), at rtol 1e-3, with a normal
# mixture for f on the first axis only and normals elsewhere: a narrow component on
# every axis refines the cubature in all three directions at once (one reseeded ci run
# spent over 5 minutes on this property). The tolerance follows cubature's own error estimate, so the
# check still holds the joint to the sum of marginals within about 1e-3 of the KL; the
# wrong additivity implementations miss by a whole marginal term or more. Measured on
# the ci examples: 11.3 s at rtol 1e-5, 5.7 s at 1e-4, 2.5 s at 1e-3. The 2-D property
# above carries the example count, the other families and rtol 1e-6.
@pytest.mark.slow
@settings(scaled(0.025, minimum=5))
@given(
    st.tuples(densities(families=SMOOTH), densities(families=NORMAL)),
    st.lists(st.tuples(densities(families=NORMAL), densities(families=NORMAL)), min_size=2, max_size=2),
)
def test_kl_of_an_independent_3d_joint_density_is_the_sum_of_marginal_kls(
    first: tuple[Density1D, Density1D], others: list[tuple[Density1D, Density1D]]
) -> None:
    """3-D adaptive Gauss–Kronrod (15-point product) cubature of the joint against three 1-D quadratures."""
    assert_joint_kl_is_the_sum_of_marginal_kls([first, *others], rtol=1e-3)


@pytest.mark.slow
@given(
    st.floats(min_value=0.3, max_value=0.95, width=64),
    st.sampled_from([-1.0, 1.0]),
    st.floats(min_value=-1.0, max_value=1.0, width=64),
)
def test_additivity_fails_for_correlated_gaussians_with_the_same_marginals(rho: float, sign: float, shift: float) -> None:
    """f = N(0, [[1, ρ], [ρ, 1]]), g = N(shift·1, I): the gap D(f‖g) − Σ D(f_i‖g_i) is the mutual information −½ log(1 − ρ²) > 0."""
    cov = np.array([[1.0, sign * rho], [sign * rho, 1.0]])
    mean_g = np.full(2, shift)
    log_f = lambda x: gaussian_log_density_by_cholesky(x, np.zeros(2), cov)
    log_g = lambda x: gaussian_log_density_by_cholesky(x, mean_g, np.eye(2))
    axes = [Axis(-math.inf, math.inf, 0.0, 1.0, "gaussian", (0.0, shift))] * 2
    whole = joint_kl_by_cubature(log_f, log_g, axes)
    marginals = [kl_by_quadrature(normal_density(0.0, 1.0), normal_density(shift, 1.0)) for _ in range(2)]
    gap = whole.value - sum(m.value for m in marginals)
    tolerance = quadrature_tolerance(whole.error + sum(m.error for m in marginals), abs(whole.value))
    mutual_information = -0.5 * math.log1p(-rho**2)
    assert gap > tolerance, f"additivity held without independence: gap {gap:.3e} ≤ {tolerance:.1e}"
    assert abs(gap - mutual_information) <= tolerance, f"gap {gap!r} vs −½log(1−ρ²) = {mutual_information!r}"


WRONG_BY_NAME = {(w.theorem_id, w.name): w for w in WRONG_IMPLEMENTATIONS}


@pytest.mark.parametrize("name", sorted({w.name for w in WRONG_IMPLEMENTATIONS}))
def test_every_wrong_kl_implementation_is_falsified_by_both_checks_on_a_small_example(name: str) -> None:
    """One shrinking search per mistake; the additivity check is then shown to fail on it too.

    Both theorems share the contract and both checks compare with the definition, so
    the minimal pmf pair that falsifies the nonnegativity check, lifted to independent
    factors ``(p ⊗ [1], q ⊗ [1])`` (a valid example of ``independent_pmfs``: the joint is
    ``(p, q)`` itself), must falsify the additivity check as well. A second search for
    the additivity check would shrink to that same pair: it cost 10 s of the 45 s run.
    """
    found = find_counterexample(KL_NONNEGATIVITY, WRONG_BY_NAME["kl-nonnegativity", name].implementation, max_examples=200)
    assert found is not None, f"{name} was never falsified by the nonnegativity check"
    assert len(found.example.p) <= 3, found.evidence.explain()
    one_point = np.ones(1)
    lifted = IndependentPmfs(p_factors=(found.example.p, one_point), q_factors=(found.example.q, one_point))
    evidence = KL_ADDITIVITY.check(WRONG_BY_NAME["kl-additivity", name].implementation, lifted)
    assert not evidence.holds, f"{name} falsifies nonnegativity on {found.example!r} but passes the additivity check there:\n{evidence.explain()}"


@given(st.data())
def test_pmf_pairs_fall_in_the_classes_they_are_drawn_for(data: st.DataObject) -> None:
    """The strategy builds each class and the classifier reads it off the pmfs: two routes that must agree."""
    row = {name: data.draw(st.sampled_from(KL_NONNEGATIVITY.assumption(name).values), label=name) for name in KL_NONNEGATIVITY.cover}
    pair = data.draw(pmf_pairs(**row), label="pair")
    assert classify_pmf_pair(pair) == row


@given(st.data())
def test_independent_pmfs_fall_in_the_classes_they_are_drawn_for(data: st.DataObject) -> None:
    row = {name: data.draw(st.sampled_from(KL_ADDITIVITY.assumption(name).values), label=name) for name in KL_ADDITIVITY.cover}
    case = data.draw(independent_pmfs(**row), label="case")
    assert classify_independent_pmfs(case) == row


# Mistakes that are wrong in one structural class only: outside it they pass the check, so
# only drawing that class (the theorems' cover, a row per class in every run) catches them.
HIDDEN_IN = {
    ("kl-nonnegativity", "ratio-first"): ("degenerate", True),
    ("kl-nonnegativity", "any-zero-of-q-infinite"): ("zeros", "both"),
    ("kl-nonnegativity", "squeezed-support-loop"): ("size", "1"),
    ("kl-additivity", "ratio-first"): ("degenerate", True),
    ("kl-additivity", "any-zero-of-q-infinite"): ("zeros", "both"),
}


@pytest.mark.parametrize(("theorem_id", "name"), sorted(HIDDEN_IN), ids=lambda value: value)
def test_a_mistake_hidden_in_one_class_passes_outside_it_and_is_falsified_inside(theorem_id: str, name: str) -> None:
    theorem = KL_NONNEGATIVITY if theorem_id == KL_NONNEGATIVITY.id else KL_ADDITIVITY
    assumption, value = HIDDEN_IN[theorem_id, name]
    wrong = WRONG_BY_NAME[theorem_id, name].implementation
    elsewhere = tuple(other for other in theorem.assumption(assumption).values if other != value)

    @settings(scaled(0.5))
    @given(theorem.example_strategy(**{assumption: elsewhere}))
    def passes_outside(example: object) -> None:
        assert_holds(theorem.check(wrong, example))

    passes_outside()
    # Inside, the class's rows alone find it (not shrunk: shrinking cost 1.4 s of 1.6).
    rows = len(theorem.cover_classes({assumption: value}))
    run = run_check(theorem, wrong, profile="ci", max_examples=rows, assume={assumption: value}, phases=(Phase.generate,))
    assert run.verdict == "falsified" and run.examples <= rows


def test_a_support_too_small_for_a_class_wins_over_it() -> None:
    """``support=1`` holds only a point mass against a one-point q: the zero class is relaxed, not refused,
    so that a user's ``--assume support=1`` still runs every covered row."""
    first = settings(database=None, phases=[Phase.generate])
    pair = find(pmf_pairs(support=1, size="large", zeros="q"), lambda _: True, settings=first)
    assert len(pair.p) == 1 and classify_pmf_pair(pair)["zeros"] == "none"
    run = run_check(KL_NONNEGATIVITY, kl_divergence, profile="ci", max_examples=1, assume={"support": 1})
    assert run.verdict == "holds", run.error


@pytest.mark.parametrize(
    "p, q",
    [
        ([0.5, 0.6], [0.5, 0.5]),
        ([1.0, -0.0, 0.0], [1.0, 0.0]),
        ([[0.5, 0.5]], [[0.5, 0.5]]),
        ([1.5, -0.5], [0.5, 0.5]),
        ([float("nan"), 1.0], [0.5, 0.5]),
    ],
    ids=["p-not-summing-to-one", "different-sets", "not-one-dimensional", "negative-mass", "nan"],
)
def test_invalid_pmfs_are_rejected_in_one_line(p: list, q: list) -> None:
    with pytest.raises(InvalidInput) as raised:
        kl_divergence(np.array(p), np.array(q))
    assert "\n" not in str(raised.value)


def test_kl_is_infinite_where_p_is_positive_and_q_is_zero() -> None:
    assert kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == math.inf
