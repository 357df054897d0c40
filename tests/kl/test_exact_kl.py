"""Exact tests of ``theorems.kl.check`` (T5 KL nonnegativity and T6 KL additivity, on pmfs).

What they pin: the full Evidence each check records (what a person reads when a check
fails: the definition, the floor ``D ≥ 0`` and, for additivity, the sum over the
factors), the text of each refusal, the exact derived rounding tolerance, the boundary
of the pmf precondition (a pmf may miss 1 by ``8ku`` and no more), and how an
implementation's failure or floating-point warnings are handled.

Why such exact tests exist: the KL properties (``test_kl.py``) compare an implementation
with the exact definition within a rounding tolerance, so a looser tolerance, a
precondition off by one ulp or a record with the wrong words passes them. Mutation
testing (``make mutation``) finds such mutants; these exact tests on fixed small pmfs
kill them in milliseconds. The continuous-density oracle is pinned in
``test_exact_densities.py``; mutants no test can tell apart are explained in
``tests/mutation_equivalents.json``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from records import recorded
from theorems.evidence import Evidence, implementation_failure
from theorems.kl.check import (
    IndependentPmfs,
    PmfPair,
    check_kl_additivity,
    check_kl_nonnegativity,
    kl_by_definition,
    kl_divergence,
    kl_rounding_tolerance,
    product_pmf,
)
from theorems.oracles.quadrature import compare_scalar
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64


P = np.array([0.25, 0.75])
Q = np.array([0.5, 0.5])


# --- the nonnegativity check -----------------------------------------------------------------


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


# --- how an implementation's failure is reported ---------------------------------------------


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


# --- the additivity check --------------------------------------------------------------------


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


# --- the reference and its precondition ------------------------------------------------------


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
    # Each term rounds its two logs, the subtract and the multiply; the reference sums two terms,
    # fsum rounds once: eight roundings at most, relative to the terms (all of one sign here).
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
    assert math.isclose(tolerance, 12 * U64 * size, rel_tol=8 * U64)  # the same few roundings of a sum of positive terms as above


def test_pmfs_of_different_lengths_are_refused_with_both_shapes() -> None:
    with pytest.raises(InvalidInput) as raised:
        kl_divergence(np.array([0.5, 0.5]), np.array([0.25, 0.25, 0.5]))
    assert str(raised.value) == "p and q must be pmfs on the same finite set; got shapes (2,) and (3,)"


def test_the_product_allowance_counts_only_subnormal_products_by_the_underflow_floor() -> None:
    from theorems.kl.check import UNDERFLOW, product_rounding_allowance

    assert UNDERFLOW == 5e-324 and UNDERFLOW > 0  # 2**-1075 would round to 0
    normal = product_pmf((np.array([0.25, 0.75]), np.array([0.5, 0.5])))
    assert product_rounding_allowance(normal, normal, 2) == 0.0
    p, q = np.array([0.25]), np.array([1e-313])  # q subnormal: p·η/q
    assert product_rounding_allowance(p, q, 3) == 2 * 0.25 * (UNDERFLOW / 1e-313)
    p, q = np.array([1e-313]), np.array([0.5])  # p subnormal: η(|log(p/q)| + 1)
    assert product_rounding_allowance(p, q, 2) == float(UNDERFLOW * (np.abs(np.log(p) - np.log(q)) + 1)[0])
