"""Properties that kill mutants of ``theorems/kl.py`` (``make mutation``).

Each pins a fact the KL properties relied on without stating it: the full Evidence a
check records (what a person reads when a check fails), the text of a refusal, the
exact derived rounding tolerance, the boundary of the pmf precondition, the fields of a
density, the inverse pair of the cubature substitution. All are exact or one-rounding
checks on fixed small examples, so the file runs in well under a second.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from records import recorded
from theorems import densities
from theorems.densities import (
    Axis,
    beta_density,
    finite_kl_expected,
    from_real_line,
    joint_kl_by_cubature,
    laplace_density,
    log_ratio_integrand,
    logistic_density,
    normal_density,
    normal_mixture_density,
    quadrature_breakpoints,
    separated,
    student_t_density,
    to_real_line,
    uniform_density,
)
from theorems.evidence import Evidence, implementation_failure
from theorems.kl import (
    U64,
    IndependentPmfs,
    PmfPair,
    check_kl_additivity,
    check_kl_nonnegativity,
    kl_by_definition,
    kl_divergence,
    kl_rounding_tolerance,
    product_pmf,
)
from theorems.quadrature import OracleError, OracleValue, compare_scalar
from theorems.theorem import InvalidInput

P = np.array([0.25, 0.75])
Q = np.array([0.5, 0.5])


# --- the nonnegativity check -------------------------------------------------------------------


@pytest.mark.parametrize(("p", "q"), [(P, Q), (Q, Q)], ids=["p-differs-from-q", "p-equals-q"])
def test_the_nonnegativity_check_records_the_definition_and_the_floor_in_full(p: np.ndarray, q: np.ndarray) -> None:
    # The reference itself is checked; both records must carry the theorem's id, the
    # example, what was expected and why, so that a failure reads as a sentence.
    pair = PmfPair(p, q)
    verdict, seen = recorded(check_kl_nonnegativity, kl_divergence, pair)
    value = kl_by_definition(p, q)
    tolerance, reason = kl_rounding_tolerance(p, q)
    equal = p is q
    definition = compare_scalar(
        theorem_id="kl-nonnegativity", example=repr(pair), expected=value,
        expected_how="the definition Σ p log(p/q), summed exactly", actual=value, tolerance=tolerance, tolerance_reason=reason,
    )
    floor = Evidence(
        theorem_id="kl-nonnegativity", example=repr(pair), expected="0 (p = q)" if equal else "≥ 0", actual=f"{value:.17g}",
        error=0.0, tolerance=tolerance, tolerance_reason=reason, mismatches="the theorem: D(p‖q) ≥ 0 with equality iff p = q",
    )
    assert seen[-2:] == [definition, floor]
    assert verdict == definition


def test_a_positive_value_on_equal_pmfs_is_the_floors_error() -> None:
    # On p = q the floor's error is |D|, not max(0, −D): a value of +tol/2 shows there.
    tolerance, _ = kl_rounding_tolerance(Q, Q)
    _, seen = recorded(check_kl_nonnegativity, lambda p, q: tolerance / 2, PmfPair(Q, Q.copy()))
    assert seen[-1].error == tolerance / 2
    assert seen[-1].expected == "0 (p = q)"


def test_the_nonnegativity_verdict_is_the_floor_when_the_floor_is_worse() -> None:
    # Rounding makes the definition itself −1.2e-16 on this pair (q one ulp above p at
    # index 0); an implementation returning exactly that matches the definition (error 0)
    # but breaks D ≥ 0 by 1.2e-16, so the verdict must be the floor's record.
    p = np.array([0.7024679465208304, 0.29753205347916956])
    q = np.array([0.7024679465208306, 0.29753205347916956])
    value = kl_by_definition(p, q)
    assert value < 0
    verdict = check_kl_nonnegativity(lambda a, b: value, PmfPair(p, q))
    assert verdict.mismatches == "the theorem: D(p‖q) ≥ 0 with equality iff p = q"
    assert verdict.error == -value


def test_the_nonnegativity_check_refuses_what_is_not_a_pmf_pair_by_name() -> None:
    with pytest.raises(InvalidInput, match=r"^kl-nonnegativity checks a PmfPair\(p, q\), got tuple$"):
        check_kl_nonnegativity(kl_divergence, (P, Q))


# --- how an implementation's failure is reported ------------------------------------------------


def raises_two_lines(p: np.ndarray, q: np.ndarray) -> float:
    raise ValueError("first line\nsecond line")


@pytest.mark.parametrize(
    ("implementation", "failure"),
    [
        (raises_two_lines, "raised ValueError: first line"),
        (lambda p, q: np.zeros(2), "returned ndarray (2,), expected a real scalar"),
        (lambda p, q: math.nan, "returned NaN on p=[0.25, 0.75], q=[0.5, 0.5]"),
    ],
    ids=["raises", "array", "nan"],
)
def test_an_implementations_failure_is_reported_with_the_theorem_the_example_and_one_line(implementation, failure: str) -> None:
    pair = PmfPair(P, Q)
    assert check_kl_nonnegativity(implementation, pair) == implementation_failure("kl-nonnegativity", repr(pair), failure)
    case = IndependentPmfs((P,), (Q,))
    assert check_kl_additivity(implementation, case) == implementation_failure("kl-additivity", repr(case), failure)


def test_an_implementation_that_fails_only_on_a_factor_is_reported_with_the_example() -> None:
    # The joint call succeeds (length 4), a factor's (length 2) raises.
    case = IndependentPmfs((P, Q), (Q, Q))

    def joint_only(p: np.ndarray, q: np.ndarray) -> float:
        if len(p) == 2:
            raise ValueError("factor")
        return kl_by_definition(p, q)

    assert check_kl_additivity(joint_only, case) == implementation_failure("kl-additivity", repr(case), "raised ValueError: factor")


def test_floating_point_warnings_inside_the_implementation_are_silenced() -> None:
    # log 0 = −inf is a legitimate step of an implementation; under warnings-as-errors it
    # must not turn into a failure of the implementation.
    def logs_zero(p: np.ndarray, q: np.ndarray) -> float:
        np.log(np.zeros(1))
        return kl_by_definition(p, q)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        verdict = check_kl_nonnegativity(logs_zero, PmfPair(P, Q))
    assert verdict.failure is None


# --- the additivity check ---------------------------------------------------------------------


def test_the_additivity_check_records_the_joint_and_the_sum_of_factors_in_full() -> None:
    # The marginal tolerance is the joint's plus every factor's allowance, all added.
    case = IndependentPmfs((P, Q), (Q, P))
    verdict, seen = recorded(check_kl_additivity, kl_divergence, case)
    joint_p, joint_q = product_pmf(case.p_factors), product_pmf(case.q_factors)
    joint = kl_by_definition(joint_p, joint_q)
    tolerance, reason = kl_rounding_tolerance(joint_p, joint_q)
    marginal_sum = 0.0 + kl_by_definition(P, Q) + kl_by_definition(Q, P)
    marginal_tolerance = tolerance + kl_rounding_tolerance(P, Q)[0] + kl_rounding_tolerance(Q, P)[0]
    expected = [
        compare_scalar(
            theorem_id="kl-additivity", example=repr(case), expected=joint,
            expected_how="the definition on the joint pmf, summed exactly", actual=joint, tolerance=tolerance, tolerance_reason=reason,
        ),
        compare_scalar(
            theorem_id="kl-additivity", example=repr(case), expected=marginal_sum,
            expected_how="Σ_i of the implementation on the factors (the theorem)", actual=joint,
            tolerance=marginal_tolerance, tolerance_reason=f"the joint's and every factor's rounding allowance added; joint: {reason}",
        ),
    ]
    assert seen[-2:] == expected
    assert verdict == max(expected, key=lambda e: e.ratio)


def test_the_additivity_check_refuses_other_inputs_by_name() -> None:
    with pytest.raises(InvalidInput, match=r"^kl-additivity checks IndependentPmfs\(p_factors, q_factors\), got PmfPair$"):
        check_kl_additivity(kl_divergence, PmfPair(P, Q))


@pytest.mark.parametrize(("p_factors", "q_factors", "counts"), [((), (), "0 and 0"), ((P,), (Q, Q), "1 and 2")])
def test_the_additivity_check_needs_the_same_positive_number_of_factors(p_factors, q_factors, counts: str) -> None:
    # Either defect alone is refused: no factors at all, or unequal counts.
    with pytest.raises(InvalidInput, match=f"^p and q need the same positive number of factors; got {counts}$"):
        check_kl_additivity(kl_divergence, IndependentPmfs(p_factors, q_factors))


def test_independent_pmfs_read_as_numbered_factor_pairs() -> None:
    case = IndependentPmfs((P, Q), (Q, P))
    assert repr(case) == "p1=[0.25, 0.75], q1=[0.5, 0.5]; p2=[0.5, 0.5], q2=[0.25, 0.75]"


# --- the reference and its precondition ---------------------------------------------------------


def test_the_definition_is_infinite_without_taking_the_log_of_zero() -> None:
    # p log(p/0) = +∞ is decided by the support test, not by computing log 0 (which warns).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == math.inf


def test_the_reference_computes_in_float64_whatever_the_input_dtype() -> None:
    # float32 inputs with exactly representable entries give the float64 value bit for bit.
    p64, q64 = np.array([0.25, 0.75]), np.array([0.5, 0.5])
    expected = math.fsum([0.25 * (math.log(0.25) - math.log(0.5)), 0.75 * (math.log(0.75) - math.log(0.5))])
    assert kl_divergence(p64.astype(np.float32), q64) == kl_divergence(p64, q64.astype(np.float32)) == kl_divergence(p64, q64)
    assert math.isclose(kl_divergence(p64, q64), expected, rel_tol=8 * U64)


@pytest.mark.parametrize(
    ("p", "q", "message"),
    [
        (np.ones((1, 1)), Q, r"p must be a nonempty 1-D array, got shape \(1, 1\)"),
        (Q, np.array([]), r"q must be a nonempty 1-D array, got shape \(0,\)"),
        (np.array([1.5, -0.5]), Q, "p must be finite and nonnegative"),
        (Q, np.array([math.nan, 1.0]), "q must be finite and nonnegative"),
        (np.array([0.5, 0.6]), Q, r"p must sum to 1, sums to 1\.1"),
        (Q, np.array([0.5, 0.4]), r"q must sum to 1, sums to 0\.9"),
    ],
    ids=["p-not-1d", "q-empty", "p-negative", "q-nan", "p-sums-over-1", "q-sums-under-1"],
)
def test_the_reference_refuses_a_non_pmf_naming_the_argument(p: np.ndarray, q: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{message}$"):
        kl_divergence(p, q)


def test_a_pmf_may_miss_1_by_exactly_8_k_u_but_not_by_more() -> None:
    # k = 2: the allowance is 16u = 2^-49; 1 + 2^-49 is accepted, 1 + 2^-49 + 2^-52 (18u,
    # the next float up) is not.
    at_bound = np.array([0.5, 0.5 + 2.0**-49])
    assert kl_divergence(at_bound, at_bound) == 0.0
    beyond = np.array([0.5, 0.5 + 2.0**-49 + 2.0**-52])
    with pytest.raises(InvalidInput, match="^p must sum to 1"):
        kl_divergence(beyond, Q)


def test_the_rounding_tolerance_is_the_documented_formula_on_the_common_support() -> None:
    # Only indices with p > 0 and q > 0 contribute (a log 0 would make it infinite); k
    # counts every index. Here the only term is 0.5 (1 + log 2 + log 2) and k = 3.
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.0, 0.5])
    tolerance, reason = kl_rounding_tolerance(p, q)
    expected = (2 * 3 + 8) * U64 * 0.5 * (1 + 2 * math.log(2))
    assert math.isclose(tolerance, expected, rel_tol=8 * U64)  # a few roundings in the sum and products
    assert reason == "(2k+8)u·Σ p(1+|log p|+|log q|) with k=3: k-term sum of terms each rounded a few times"


def test_the_rounding_tolerance_weighs_both_logarithms_by_their_size() -> None:
    # |log p| and |log q| are each added with weight 1 (k = 2): p = (1/4, 3/4), q = (1/2, 1/2).
    tolerance, _ = kl_rounding_tolerance(P, Q)
    size = 0.25 * (1 + math.log(4) + math.log(2)) + 0.75 * (1 + math.log(4 / 3) + math.log(2))
    assert math.isclose(tolerance, 12 * U64 * size, rel_tol=8 * U64)


# --- densities and the cubature substitution -------------------------------------------------------


def test_a_beta_density_is_scipys_beta_on_its_interval_with_all_its_fields() -> None:
    # The log-density matches scipy's (loc = lower, scale = width) to a few roundings of
    # its largest term; outside [lower, upper] it is −∞.
    density = beta_density(2.0, 3.0, 1.0, 4.0)
    x = np.array([1.0, 1.5, 2.5, 3.9, 4.0])
    expected = stats.beta(2.0, 3.0, loc=1.0, scale=3.0).logpdf(x)
    actual = density.logpdf(x)
    finite = np.isfinite(expected)
    assert np.array_equal(np.isneginf(actual), ~finite)
    assert np.allclose(actual[finite], expected[finite], rtol=0, atol=64 * U64 * (1 + np.abs(expected[finite])))
    assert np.all(np.isneginf(density.logpdf(np.array([0.5, 4.5]))))
    assert (density.name, density.lower, density.upper, density.centre, density.scale, density.tail, density.breakpoints) == (
        "Beta(2, 3) on [1, 4]", 1.0, 4.0, 2.5, 3.0, "bounded", (1.0, 4.0),
    )


def test_an_axis_of_one_density_takes_only_its_breakpoints() -> None:
    assert Axis.of(normal_density(1.0, 2.0)) == Axis(-math.inf, math.inf, 1.0, 2.0, "gaussian", (1.0,))


def test_the_power_tail_substitution_is_c_plus_s_t_over_1_minus_t2_and_inverts() -> None:
    # x(1/2) = c + s (1/2)/(3/4) = c + 2s/3, and from_real_line brings it back.
    axis = Axis(-math.inf, math.inf, 1.0, 2.0, "power")
    x, dx = to_real_line(np.array([0.5]), axis)
    assert math.isclose(x[0], 1.0 + 2.0 * 0.5 / 0.75, rel_tol=4 * U64)
    assert math.isclose(dx[0], 2.0 * 1.25 / 0.75**2, rel_tol=4 * U64)
    assert math.isclose(from_real_line(float(x[0]), axis), 0.5, rel_tol=16 * U64)


# --- the joint cubature: where the box is split, and what the integrand is --------------------


def spy_on_cubature(monkeypatch) -> list[dict]:
    """Replace the cubature call inside joint_kl_by_cubature by one that records its arguments."""
    calls: list[dict] = []

    def spy(integrand, lower, upper, **options):
        calls.append({"integrand": integrand, "lower": lower, "upper": upper, **options})
        return OracleValue(0.0, 0.0, "spy")

    monkeypatch.setattr(densities, "integral_by_cubature", spy)
    return calls


def test_the_joint_box_is_split_at_every_combination_of_the_kinks_inside_it(monkeypatch) -> None:
    # A bounded axis [1, 4] with kinks at both ends (not inside), at 2 and 2 + 4e-6 (kept:
    # farther apart than 1e-6 of the axis, 3e-6) and at 3 and 3 + 2e-6 (merged); a second
    # bounded axis with no kink inside is split at its midpoint 2.5.
    kinked = Axis(1.0, 4.0, 2.5, 3.0, "bounded", (1.0, 2.0, 2.0 + 4e-6, 3.0, 3.0 + 2e-6, 4.0))
    plain = Axis(1.0, 4.0, 2.5, 3.0, "bounded", (1.0, 4.0))
    calls = spy_on_cubature(monkeypatch)
    joint_kl_by_cubature(lambda x: np.zeros(len(x)), lambda x: np.zeros(len(x)), [kinked, plain], rtol=1e-5, atol=1e-8)
    (call,) = calls
    assert (call["rtol"], call["atol"]) == (1e-5, 1e-8)
    np.testing.assert_array_equal(call["lower"], [1.0, 1.0])
    np.testing.assert_array_equal(call["upper"], [4.0, 4.0])
    assert [tuple(point) for point in call["points"]] == [(2.0, 2.5), (2.0 + 4e-6, 2.5), (3.0, 2.5)]


def test_an_unbounded_axis_is_split_at_its_kinks_mapped_into_the_unit_interval(monkeypatch) -> None:
    # Laplace(0.3, 1) against N(0, 1): kinks at 0 and 0.3, at tanh((x − c)/(k s)) in t.
    axis = Axis.of(laplace_density(0.3, 1.0), normal_density(0.0, 1.0))
    plain = Axis(1.0, 4.0, 2.5, 3.0, "bounded", ())
    calls = spy_on_cubature(monkeypatch)
    joint_kl_by_cubature(lambda x: np.zeros(len(x)), lambda x: np.zeros(len(x)), [axis, plain])
    (call,) = calls
    cuts = [math.tanh((b - 0.3) / (densities.ATANH_STRETCH * 1.0)) for b in (0.0, 0.3)]
    assert [tuple(point) for point in call["points"]] == [(cuts[0], 2.5), (cuts[1], 2.5)]
    np.testing.assert_array_equal(call["lower"], [-1.0, 1.0])


def test_the_joint_integrand_is_zero_where_f_vanishes_and_f_log_f_over_g_elsewhere(monkeypatch) -> None:
    # log f = −∞ where x₀ > 2.5: 0 there (not 0·∞), silently; e⁰·(0 − (−1)) = 1 elsewhere.
    plain = Axis(1.0, 4.0, 2.5, 3.0, "bounded", ())
    calls = spy_on_cubature(monkeypatch)
    joint_kl_by_cubature(lambda x: np.where(x[:, 0] > 2.5, -np.inf, 0.0), lambda x: np.full(len(x), -1.0), [plain, plain])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = calls[0]["integrand"](np.array([[3.0, 2.0], [2.0, 2.0]]))
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [0.0, 1.0])


def test_an_axis_takes_the_kinks_of_both_densities() -> None:
    assert Axis.of(laplace_density(0.3, 1.0), laplace_density(-0.5, 2.0)).breakpoints == (-0.5, 0.3)


def test_pmfs_of_different_lengths_are_refused_with_both_shapes() -> None:
    with pytest.raises(InvalidInput) as raised:
        kl_divergence(np.array([0.5, 0.5]), np.array([0.25, 0.25, 0.5]))
    assert str(raised.value) == "p and q must be pmfs on the same finite set; got shapes (2,) and (3,)"


KINKED = Axis(1.0, 4.0, 2.5, 3.0, "bounded", (1.0, 2.0, 2.0 + 4e-6, 3.0, 3.0 + 2e-6, 4.0))
PLAIN = Axis(1.0, 4.0, 2.5, 3.0, "bounded", ())


def failing_cubature(*arguments, **options):
    raise OracleError("cubature did not converge")


def test_when_2d_cubature_fails_nested_quad_integrates_the_same_integrand_over_the_same_cuts(monkeypatch) -> None:
    calls: list[dict] = []
    monkeypatch.setattr(densities, "integral_by_cubature", failing_cubature)
    monkeypatch.setattr(densities, "integral_by_nested_quad", lambda integrand, lower, upper, **options: calls.append({"integrand": integrand, "lower": lower, "upper": upper, **options}) or OracleValue(1.0, 0.0, "spy"))
    result = joint_kl_by_cubature(lambda x: np.zeros(len(x)), lambda x: np.full(len(x), -1.0), [KINKED, PLAIN], rtol=1e-5, atol=1e-8)
    assert result == OracleValue(1.0, 0.0, "spy")
    (call,) = calls
    assert call["cuts"] == [[2.0, 2.0 + 4e-6, 3.0], [2.5]]
    assert (call["epsabs"], call["epsrel"]) == (1e-8, 1e-5)
    np.testing.assert_array_equal(call["lower"], [1.0, 1.0])
    np.testing.assert_array_equal(call["upper"], [4.0, 4.0])
    np.testing.assert_array_equal(call["integrand"](np.array([[2.0, 2.0]])), [1.0])  # e⁰·(0 − (−1))


def test_when_3d_cubature_fails_the_failure_is_reported_not_retried(monkeypatch) -> None:
    monkeypatch.setattr(densities, "integral_by_cubature", failing_cubature)
    with pytest.raises(OracleError, match="cubature did not converge"):
        joint_kl_by_cubature(lambda x: np.zeros(len(x)), lambda x: np.zeros(len(x)), [PLAIN, PLAIN, PLAIN])


@pytest.mark.parametrize("tail", ["power", "exponential"])
def test_the_substitution_is_increasing_maps_zero_to_the_centre_and_inverts(tail: str) -> None:
    # Scale 3, not 2: s² and 2s coincide at 2.
    axis = Axis(-math.inf, math.inf, 1.0, 3.0, tail)
    t = np.array([-0.9, -0.5, 0.0, 0.25, 0.8])
    x, dx = to_real_line(t, axis)
    assert np.all(np.diff(x) > 0) and np.all(dx > 0) and x[2] == 1.0
    assert from_real_line(1.0, axis) == 0.0
    for t_i, x_i in zip(t, x):
        assert math.isclose(from_real_line(float(x_i), axis), t_i, rel_tol=64 * U64, abs_tol=64 * U64)


@pytest.mark.parametrize(
    ("build", "reference", "fields"),
    [
        (lambda: logistic_density(0.7, 1.3), stats.logistic(loc=0.7, scale=1.3), ("Logistic(0.7, 1.3)", "exponential", math.inf, (0.7,))),
        (lambda: student_t_density(3.0, 0.7, 1.3), stats.t(3.0, loc=0.7, scale=1.3), ("t_3(0.7, 1.3)", "power", 3.0, (0.7,))),
        (lambda: laplace_density(0.7, 1.3), stats.laplace(loc=0.7, scale=1.3), ("Laplace(0.7, 1.3)", "exponential", math.inf, (0.7,))),
        (lambda: normal_density(0.7, 1.3), stats.norm(loc=0.7, scale=1.3), ("N(0.7, 1.3²)", "gaussian", math.inf, (0.7,))),
    ],
    ids=["logistic", "student-t", "laplace", "normal"],
)
def test_a_density_built_in_the_test_is_scipys_and_names_its_tail_and_kinks(build, reference, fields) -> None:
    density = build()  # built in the test, not at collection: a mutated constructor must be the one called
    x = np.array([-3.0, 0.0, 0.7, 2.0, 40.0])
    np.testing.assert_allclose(density.logpdf(x), reference.logpdf(x), rtol=1e-13, atol=0)
    assert (density.name, density.tail, density.nu, density.breakpoints) == fields
    assert (density.lower, density.upper, density.centre, density.scale) == (-math.inf, math.inf, 0.7, 1.3)


def test_a_normal_mixture_is_the_weighted_sum_and_is_laid_out_around_both_modes() -> None:
    density = normal_mixture_density(0.3, -1.0, 0.5, 2.0, 1.5)
    x = np.array([-4.0, -1.0, 0.0, 2.0, 9.0])
    expected = np.log(0.3 * stats.norm(-1.0, 0.5).pdf(x) + 0.7 * stats.norm(2.0, 1.5).pdf(x))
    np.testing.assert_allclose(density.logpdf(x), expected, rtol=1e-13, atol=0)
    assert density.name == "0.3·N(-1, 0.5²) + 0.7·N(2, 1.5²)"
    # centre w·m1 + (1 − w)·m2; scale max(sd) + |m1 − m2|; kinks at both means
    assert (density.lower, density.upper, density.centre, density.scale, density.tail, density.breakpoints) == (
        -math.inf, math.inf, 0.3 * -1.0 + 0.7 * 2.0, 1.5 + 3.0, "gaussian", (-1.0, 2.0),
    )


def test_a_uniform_density_is_log_one_over_the_width_inside_and_minus_infinity_outside() -> None:
    density = uniform_density(-1.0, 2.0)
    values = density.logpdf(np.array([[-2.0, 0.0], [1.5, 2.5]]))
    assert values.shape == (2, 2)
    np.testing.assert_array_equal(values, [[-np.inf, -math.log(3.0)], [-math.log(3.0), -np.inf]])
    np.testing.assert_array_equal(density.logpdf(np.array([-1.0, 2.0])), [-math.log(3.0)] * 2)  # both ends belong to the support
    assert (density.name, density.lower, density.upper, density.centre, density.scale, density.tail, density.breakpoints) == (
        "U[-1, 2]", -1.0, 2.0, 0.5, 3.0, "bounded", (-1.0, 2.0),
    )


@pytest.mark.parametrize(
    ("f", "g", "margin", "finite"),
    [
        (uniform_density(-1.0, 2.0), uniform_density(0.0, 3.0), 0.0, False),  # f leaves g's support on the left
        (uniform_density(0.0, 3.0), uniform_density(-1.0, 2.0), 0.0, False),  # ... and on the right
        (uniform_density(0.0, 1.0), uniform_density(-1.0, 2.0), 0.0, True),
        (student_t_density(2.5, 0.0, 1.0), normal_density(0.0, 1.0), 0.0, True),  # a Gaussian g needs E x² < ∞: ν > 2
        (student_t_density(2.0, 0.0, 1.0), normal_density(0.0, 1.0), 0.0, False),
        (student_t_density(2.5, 0.0, 1.0), normal_density(0.0, 1.0), 1.0, False),  # margin: ν > 3
        (normal_density(0.0, 1.0), normal_density(0.0, 1.0), 0.0, True),
        (student_t_density(1.5, 0.0, 1.0), laplace_density(0.0, 1.0), 0.0, True),  # a Laplace g needs E|x| < ∞: ν > 1
        (student_t_density(1.0, 0.0, 1.0), laplace_density(0.0, 1.0), 0.0, False),
        (student_t_density(1.5, 0.0, 1.0), laplace_density(0.0, 1.0), 1.0, False),  # margin: ν > 2
        (student_t_density(1.0, 0.0, 1.0), student_t_density(3.0, 0.0, 1.0), 0.0, True),  # −log g ~ log|x|
    ],
    ids=["left-of-support", "right-of-support", "inside-support", "t2.5-vs-normal", "t2-vs-normal", "t2.5-vs-normal-margin",
         "normal-vs-normal", "t1.5-vs-laplace", "t1-vs-laplace", "t1.5-vs-laplace-margin", "cauchy-vs-t3"],
)
def test_a_kl_is_expected_finite_exactly_when_supports_nest_and_the_moment_exists(f, g, margin: float, finite: bool) -> None:
    if margin:
        assert finite_kl_expected(f, g, margin=margin) is finite
    else:
        assert finite_kl_expected(f, g) is finite


def test_quadrature_pieces_end_at_the_support_and_break_at_kinks_and_twelve_scales_out() -> None:
    # f = Laplace(0.5, 1), g = N(0, 2): scale 2, kinks at 0 and 0.5, and ±24 around each centre;
    # on [−30, 30] all of them are inside, on [−30, 20] the two at +24 are not.
    densities = (laplace_density(0.5, 1.0), normal_density(0.0, 2.0))
    assert quadrature_breakpoints(densities, -30.0, 30.0) == [-30.0, -24.0, -23.5, 0.0, 0.5, 24.0, 24.5, 30.0]
    assert quadrature_breakpoints(densities, -30.0, 20.0) == [-30.0, -24.0, -23.5, 0.0, 0.5, 20.0]
    # A support's own ends are not repeated, and points within 1e-6 of the scale (here 2) merge.
    uniform = uniform_density(-1.0, 2.0)
    assert quadrature_breakpoints((uniform, uniform), -1.0, 2.0) == [-1.0, 2.0]
    close = (laplace_density(0.0, 2.0), laplace_density(1.5e-6, 2.0))
    assert quadrature_breakpoints(close, -5.0, 5.0) == [-5.0, 0.0, 5.0]


def test_the_1d_integrand_is_zero_where_f_vanishes_and_f_log_f_over_g_elsewhere() -> None:
    integrand = log_ratio_integrand(uniform_density(0.0, 1.0), normal_density(0.0, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = integrand(np.array([-1.0, 0.5]))
    assert values.dtype == np.float64
    np.testing.assert_allclose(values, [0.0, 0.0 - stats.norm.logpdf(0.5)], rtol=1e-15, atol=0)


def test_cuts_exactly_one_gap_apart_merge() -> None:
    assert separated([0.0, 0.5, 0.75], 0.5) == [0.0, 0.75]
