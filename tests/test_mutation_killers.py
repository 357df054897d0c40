"""Properties that kill mutants of the reference implementations (``make mutation``).

Each one pins a fact the rest of the suite relied on without stating: the exact
derived tolerance (a check with a looser bound still passes every correct example),
the boundary of a precondition, the wording of a failure a person reads, the branch a
wrong implementation takes through a check. Mutants these leave alive are explained in
``properties/mutation_equivalents.json``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from theorems.strategies.gaussian import gaussian_pairs
from records import recorded
from theorems.strategies.toeplitz import general_cases
from theorems.calling import call_implementation
from theorems.evidence import Evidence, compare_elementwise, implementation_failure, observing_evidence
from theorems.fold import (
    CONVS,
    FoldCase,
    _unfused_in_float64,
    fold_conv,
    fold_linear,
    fold_tolerance,
    folded_weight,
    layer_dims,
    require_foldable,
    term_magnitude,
    terms_per_output,
)
from theorems.statements.fold import FOLD_CONV, FOLD_LINEAR, HYPOTHESES, ORACLES, STATEMENT
from theorems.statistics import dkw_threshold, largest_projection_ks_distance
from theorems.false_alarms import per_check_false_alarm
from theorems.gaussian_density import (
    GOODNESS_OF_FIT_PROJECTIONS,
    GOODNESS_OF_FIT_SAMPLES,
    LOG_2PI,
    RANDOM_CHECKS,
    AffineGaussianCase,
    _goodness_of_fit_alarm,
)
from theorems.gaussian_density import _calibration_checks as density_calibration_checks
from theorems.gaussian_density import (
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
from theorems.gaussian_kl import RANDOM_CHECKS as KL_RANDOM_CHECKS
from theorems.gaussian_kl import MONTE_CARLO_BLOCK, GaussianPair, _monte_carlo_alarm
from theorems.gaussian_kl import _calibration_checks as kl_calibration_checks
from theorems.gaussian_kl import (
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
from theorems.quadrature import compare_scalar
from theorems.theorem import InvalidInput
from theorems.toeplitz import (
    U64,
    ToeplitzCase,
    block_toeplitz_matrix,
    check_toeplitz_gradient,
    check_toeplitz_matrix,
    column_indices,
    downstream_loss,
    filter_gradient_from_matrix_gradient,
    gradients_through_dense_matrix,
    loss_of_filter,
    output_length,
    require_geometry,
    sum_tolerance,
    superdiagonal_sums,
    toeplitz_matrix,
)
from theorems.tolerance import TF32_UNIT_ROUNDOFF, UNIT_ROUNDOFF, gamma, unit_roundoff

# --- tolerance.py ----------------------------------------------------------------------


@given(st.integers(1, 10**6), st.sampled_from(sorted(UNIT_ROUNDOFF.values())))
def test_gamma_is_k_u_over_one_minus_k_u(terms: int, u: float) -> None:
    if terms * u >= 1:
        with pytest.raises(ValueError, match=r"terms=\d+ with u=.* gives k·u >= 1"):
            gamma(terms, u)
    else:
        assert gamma(terms, u) == terms * u / (1 - terms * u)


def test_gamma_has_no_bound_when_k_u_is_exactly_one() -> None:
    with pytest.raises(ValueError):
        gamma(256, 2.0**-8)


def test_unit_roundoff_is_two_to_minus_the_significand_bits_of_each_dtype() -> None:
    expected = {torch.float64: 2.0**-53, torch.float32: 2.0**-24, torch.bfloat16: 2.0**-8, torch.float16: 2.0**-11}
    assert {dtype: unit_roundoff(dtype) for dtype in expected} == expected


def test_float32_on_cuda_uses_tf32_roundoff_exactly_where_torch_allows_tf32() -> None:
    conv, matmul = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    try:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = True, False
        assert unit_roundoff(torch.float32, "cuda") == TF32_UNIT_ROUNDOFF == 2.0**-11
        assert unit_roundoff(torch.float32, "cuda", convolution=False) == 2.0**-24
        assert unit_roundoff(torch.float64, "cuda") == 2.0**-53
        assert unit_roundoff(torch.float32, "cpu") == 2.0**-24
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = False, True
        assert unit_roundoff(torch.float32, "cuda") == 2.0**-24
        assert unit_roundoff(torch.float32, "cuda", convolution=False) == TF32_UNIT_ROUNDOFF
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = conv, matmul


def test_unit_roundoff_of_a_dtype_outside_the_table_names_it() -> None:
    with pytest.raises(ValueError, match=r"dtype=torch.int32 has no unit roundoff in the table"):
        unit_roundoff(torch.int32)


# --- evidence.py -----------------------------------------------------------------------


def evidence(**changes: object) -> Evidence:
    fields: dict[str, object] = dict(
        theorem_id="t", example="e", expected="1", actual="2", error=0.5, tolerance=0.25, tolerance_reason="r"
    )
    fields.update(changes)
    return Evidence(**fields)  # type: ignore[arg-type]


@given(st.floats(0, 1e300), st.floats(1e-300, 1e300))
def test_evidence_ratio_is_error_over_tolerance_and_holds_up_to_one(error: float, tolerance: float) -> None:
    found = evidence(error=error, tolerance=tolerance)
    assert found.ratio == error / tolerance
    assert found.holds == (error / tolerance <= 1.0)


def test_evidence_at_exactly_its_tolerance_holds() -> None:
    assert evidence(error=0.25, tolerance=0.25).holds


def test_zero_tolerance_admits_only_zero_error() -> None:
    assert evidence(error=0.0, tolerance=0.0).ratio == 0.0
    assert evidence(error=0.0, tolerance=0.0).holds
    assert evidence(error=1e-300, tolerance=0.0).ratio == math.inf


def test_nan_error_or_a_failure_is_an_infinite_ratio() -> None:
    assert evidence(error=math.nan).ratio == math.inf
    assert evidence(error=0.0, failure="raised").ratio == math.inf
    assert not evidence(error=0.0, failure="raised").holds


def test_explain_states_verdict_both_sides_error_tolerance_and_mismatches() -> None:
    assert evidence(mismatches="3 of 4 elements out of tolerance").explain() == (
        "t: FALSIFIED on e\n"
        "  expected (oracle):   1\n"
        "  actual (under test): 2\n"
        "  error 5.000e-01 vs tolerance 2.500e-01 (ratio 2)\n"
        "  tolerance: r\n"
        "  3 of 4 elements out of tolerance"
    )
    assert evidence(error=0.125).explain().splitlines()[0] == "t: holds on e"
    assert len(evidence().explain().splitlines()) == 5


def test_explain_of_a_failure_states_only_what_the_implementation_did() -> None:
    assert implementation_failure("t", "e", "raised ValueError: x").explain() == (
        "t: FALSIFIED on e\n  the implementation raised ValueError: x"
    )


def test_implementation_failure_is_infinite_error_against_zero_tolerance() -> None:
    failure = implementation_failure("t", "e", "why")
    assert (failure.theorem_id, failure.example, failure.failure) == ("t", "e", "why")
    assert (failure.expected, failure.actual, failure.tolerance_reason, failure.mismatches) == ("", "", "", "")
    assert failure.error == math.inf and failure.tolerance == 0.0


def test_every_evidence_made_inside_the_block_is_observed_and_none_after() -> None:
    seen: list[Evidence] = []
    with observing_evidence(seen.append):
        made = evidence()
    evidence()
    assert seen == [made]


shapes = st.tuples(st.integers(1, 4), st.integers(1, 4))


@given(st.data())
def test_compare_elementwise_reports_the_element_with_the_worst_ratio(data: st.DataObject) -> None:
    shape = data.draw(shapes)
    values = st.floats(-100, 100, allow_nan=False, width=64)
    expected = data.draw(arrays(np.float64, shape, elements=values))
    actual = data.draw(arrays(np.float64, shape, elements=values))
    tolerance = data.draw(arrays(np.float64, shape, elements=st.floats(1e-3, 10)))
    found = compare_elementwise(
        theorem_id="t", example="e", expected=torch.tensor(expected), actual=torch.tensor(actual),
        tolerance=torch.tensor(tolerance), tolerance_reason="r",
    )
    error = np.abs(actual - expected)
    ratio = error / tolerance
    worst = np.unravel_index(int(np.argmax(ratio)), shape)
    assert found.ratio == pytest.approx(ratio.max(), rel=1e-12, abs=0)
    assert found.error == error[worst] and found.tolerance == tolerance[worst]
    assert found.expected == f"{expected[worst]:.17g} at index {tuple(int(i) for i in worst)}"
    assert found.actual == f"{actual[worst]:.17g}"
    assert found.mismatches == f"{int((ratio > 1).sum())} of {ratio.size} elements out of tolerance"
    assert (found.theorem_id, found.example, found.tolerance_reason, found.failure) == ("t", "e", "r", None)


def test_compare_elementwise_broadcasts_a_scalar_tolerance_and_counts_zero_error_as_a_match() -> None:
    found = compare_elementwise(
        theorem_id="t", example="e", expected=torch.zeros(3), actual=torch.tensor([0.0, 2.0, 0.0]),
        tolerance=torch.tensor(0.0), tolerance_reason="r",
    )
    assert found.error == 2.0 and found.tolerance == 0.0 and found.ratio == math.inf
    assert found.expected == "0 at index (1,)" and found.mismatches == "1 of 3 elements out of tolerance"
    assert compare_elementwise(
        theorem_id="t", example="e", expected=torch.zeros(3), actual=torch.zeros(3),
        tolerance=torch.tensor(0.0), tolerance_reason="r",
    ).holds


def test_compare_elementwise_names_a_wrong_shape() -> None:
    found = compare_elementwise(
        theorem_id="t", example="e", expected=torch.zeros(3), actual=torch.zeros(2, 3),
        tolerance=torch.tensor(1.0), tolerance_reason="r",
    )
    assert found == implementation_failure("t", "e", "returned shape (2, 3), expected (3,)")


def test_compare_elementwise_counts_non_finite_values() -> None:
    found = compare_elementwise(
        theorem_id="t", example="e", expected=torch.zeros(3), actual=torch.tensor([math.nan, 0.0, math.inf]),
        tolerance=torch.tensor(1.0), tolerance_reason="r",
    )
    assert found == implementation_failure("t", "e", "returned 2 non-finite values (NaN or inf)")


# --- toeplitz.py: the matrix check -----------------------------------------------------


def integer_case(n: int, kernel_size: int) -> ToeplitzCase:
    """x = ±1 alternating and small integer w: every product and sum is exact, Σ|w||x| is the same per output.

    The downstream network ``ℓ = tanh(0.1·(1, 2, …)ᵀ tanh(z))`` makes every ``∂ℓ/∂A`` entry nonzero.
    """
    w = torch.arange(1.0, kernel_size + 1, dtype=torch.float64).reshape(1, 1, -1)
    return ToeplitzCase(
        x=torch.tensor([[(-1.0) ** j for j in range(n)]], dtype=torch.float64), w=w, bias=torch.zeros(1, dtype=torch.float64),
        hidden_weight=0.1 * torch.arange(1.0, n - kernel_size + 2, dtype=torch.float64).reshape(1, -1),
        hidden_bias=torch.zeros(1, dtype=torch.float64), readout=torch.ones(1, dtype=torch.float64),
    )


@given(st.integers(1, 8).flatmap(lambda f: st.tuples(st.integers(f, 12), st.just(f))))
def test_toeplitz_matrix_check_allows_exactly_two_gamma_n_times_the_sum_of_w_x(geometry: tuple[int, int]) -> None:
    n, kernel_size = geometry
    case = integer_case(n, kernel_size)
    found = check_toeplitz_matrix(toeplitz_matrix, case)
    assert found.holds and found.error == 0.0
    assert (found.theorem_id, found.example) == ("toeplitz-matrix", repr(case))
    assert found.tolerance == pytest.approx(2 * gamma(n, U64) * kernel_size * (kernel_size + 1) / 2, rel=1e-12, abs=0)
    assert found.tolerance_reason == (
        f"2γ_n·Σ|w||x| per output: a product over n={n} entries against f={kernel_size} terms"
    )
    assert found.mismatches == f"0 of {n - kernel_size + 1} elements out of tolerance"


def test_toeplitz_matrix_check_catches_an_error_of_one_in_the_last_output() -> None:
    def off_by_one_at_the_end(w: torch.Tensor, n: int) -> torch.Tensor:
        matrix = toeplitz_matrix(w, n)
        matrix[-1, -1] += 1.0
        return matrix

    found = check_toeplitz_matrix(off_by_one_at_the_end, integer_case(5, 2))
    assert not found.holds and found.error == 1.0
    assert found.expected == "1 at index (3,)" and found.actual == "2"


@pytest.mark.parametrize(
    ("implementation", "failure"),
    [
        (lambda w, n: (_ for _ in ()).throw(ValueError("no\nmore")), "raised ValueError: no"),
        (lambda w, n: [[0.0]], "returned list, expected a torch.Tensor"),
        (lambda w, n: torch.zeros(4, dtype=torch.float64), "returned a 1-D tensor, expected 2-D"),
        (lambda w, n: torch.zeros(3, 5, dtype=torch.float64), "returned shape (3, 5), expected (4, 5)"),
        (lambda w, n: torch.zeros(4, 4, dtype=torch.float64), "returned shape (4, 4), expected (4, 5)"),
    ],
)
def test_toeplitz_matrix_check_names_how_an_implementation_failed(implementation, failure: str) -> None:
    case = integer_case(5, 2)
    found = check_toeplitz_matrix(implementation, case)
    assert found.failure == failure
    assert (found.theorem_id, found.example) == ("toeplitz-matrix", repr(case))


def test_toeplitz_matrix_check_hands_the_implementation_w_and_n() -> None:
    calls: list[tuple[list[float], int]] = []

    def recording(w: torch.Tensor, n: int) -> torch.Tensor:
        calls.append((w.tolist(), n))
        return toeplitz_matrix(w, n)

    assert check_toeplitz_matrix(recording, integer_case(5, 2)).holds
    assert calls == [([1.0, 2.0], 5)]


# --- toeplitz.py: the gradient check ---------------------------------------------------


def test_toeplitz_gradient_check_allows_two_gamma_m_plus_one_times_the_superdiagonal_sums_of_abs_grad_a() -> None:
    case = integer_case(6, 3)
    found = check_toeplitz_gradient(superdiagonal_sums, case)
    grad_A = gradients_through_dense_matrix(case)["grad_A"]
    bound = 2 * gamma(grad_A.shape[0] + 1, U64) * superdiagonal_sums(grad_A.abs(), 3)
    assert found.holds and found.theorem_id == "toeplitz-gradient" and found.example == repr(case)
    assert found.tolerance in bound.tolist()
    assert found.tolerance_reason == "2γ_(m+1)·Σ_i|∂ℓ/∂A_(i,i+k)|: two sums of m=4 terms in float64 (Higham §3.1)"
    assert torch.equal(sum_tolerance(torch.tensor([3.0]), 4), 2 * gamma(5, U64) * torch.tensor([3.0]))


def test_toeplitz_gradient_check_is_falsified_by_the_gradient_plus_one() -> None:
    found = check_toeplitz_gradient(lambda grad_A, f: superdiagonal_sums(grad_A, f) + 1.0, integer_case(6, 3))
    assert not found.holds and found.error == pytest.approx(1.0)


def modifies_its_argument(grad_A: torch.Tensor, kernel_size: int) -> torch.Tensor:
    result = superdiagonal_sums(grad_A, kernel_size).clone()
    grad_A.add_(1.0)
    return result


@pytest.mark.parametrize(
    ("implementation", "failure"),
    [
        (lambda g, f: (_ for _ in ()).throw(ValueError("first line\nsecond line")), "raised ValueError: first line"),
        (modifies_its_argument, "modified its argument grad_A"),
        (lambda g, f: [0.0] * f, "returned list, expected a torch.Tensor"),
        (lambda g, f: superdiagonal_sums(g, f).float(), "returned dtype torch.float32, expected torch.float64"),
    ],
)
def test_toeplitz_gradient_check_names_how_an_implementation_failed(implementation, failure: str) -> None:
    case = integer_case(6, 3)
    found = check_toeplitz_gradient(implementation, case)
    assert (found.failure, found.theorem_id, found.example) == (failure, "toeplitz-gradient", repr(case))


@given(general_cases())
def test_toeplitz_checks_refuse_every_case_outside_one_channel_stride_one_dilation_one(case: ToeplitzCase) -> None:
    outside = case.channels != (1, 1) or case.stride != 1 or case.dilation != 1
    for theorem_id, check, reference in (
        ("toeplitz-gradient", check_toeplitz_gradient, superdiagonal_sums),
        ("toeplitz-matrix", check_toeplitz_matrix, toeplitz_matrix),
    ):
        if outside:
            with pytest.raises(InvalidInput, match=f"^{theorem_id}'s contract is one channel, stride 1, dilation 1; got "):
                check(reference, case)
        else:
            assert check(reference, case).holds


@given(general_cases())
def test_loss_of_filter_is_the_dense_matrix_loss_with_the_bias_added(case: ToeplitzCase) -> None:
    z = block_toeplitz_matrix(case.w, case.n, stride=case.stride, dilation=case.dilation) @ case.x.reshape(-1) + case.bias
    assert float(loss_of_filter(case)(case.w, case.bias)) == pytest.approx(float(downstream_loss(case, z)), rel=1e-9, abs=1e-12)


# --- gaussian_kl.py: the transcribed claim ---------------------------------------------


@given(st.floats(0.1, 10), st.floats(0.1, 10))
def test_notes_claim_in_one_dimension_is_half_log_ratio_minus_inverse_plus_ratio(var0: float, var1: float) -> None:
    claim = notes_gaussian_kl(np.zeros(1), np.array([[var0]]), np.ones(1), np.array([[var1]]))
    assert claim == pytest.approx(0.5 * (math.log(var0 / var1) - 1 / var1 + var0 / var1), rel=1e-9, abs=1e-12)


# --- gaussian_kl.py: the check ---------------------------------------------------------


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
    assert tolerance == pytest.approx(expected, rel=1e-9, abs=0)
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
    assert not shifted.holds and shifted.error == pytest.approx(1e-6, rel=1e-6)


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


# --- fold.py: the check ----------------------------------------------------------------


def linear_case(*, affine: bool = True, bias: bool = True) -> FoldCase:
    """Linear(3 → 2) then BatchNorm1d(2) with hand-picked statistics, on a float32 batch of 2."""
    linear = nn.Linear(3, 2, bias=bias)
    bn = nn.BatchNorm1d(2, eps=0.25, affine=affine).eval()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]))
        if bias:
            linear.bias.copy_(torch.tensor([0.5, -1.5]))
        bn.running_mean.copy_(torch.tensor([1.0, -2.0]))
        bn.running_var.copy_(torch.tensor([0.75, 3.75]))  # σ² + ε = 1 and 4: s = γ and γ/2
        if affine:
            bn.weight.copy_(torch.tensor([2.0, -4.0]))
            bn.bias.copy_(torch.tensor([0.25, -0.5]))
    return FoldCase(linear, bn, torch.tensor([[1.0, 1.0, 1.0], [-2.0, 0.0, 4.0]]), seed=7)


def test_term_magnitude_is_abs_scale_times_abs_layer_plus_abs_mean_plus_abs_beta() -> None:
    case = linear_case()
    # |W||x| + |c|: rows (3.5 + 0.5, 4 + 1.5) and (4 + 0.5, 4 + 1.5); |s| = (2, 2); |μ| = (1, 2); |β| = (0.25, 0.5)
    expected = torch.tensor([[2 * (4.0 + 1) + 0.25, 2 * (5.5 + 2) + 0.5], [2 * (4.5 + 1) + 0.25, 2 * (5.5 + 2) + 0.5]])
    assert torch.equal(term_magnitude(case.layer, case.bn, case.x), expected.double())
    assert torch.equal(term_magnitude(case.layer, None, case.x), torch.tensor([[4.0, 5.5], [4.5, 5.5]]).double())


def test_term_magnitude_without_affine_or_bias_takes_gamma_one_beta_zero_and_c_zero() -> None:
    case = linear_case(affine=False, bias=False)
    # s = (1, 1/2), |W||x| = (3.5, 4) and (4, 4), |μ| = (1, 2)
    expected = torch.tensor([[3.5 + 1, 0.5 * (4 + 2)], [4 + 1, 0.5 * (4 + 2)]]).double()
    assert torch.allclose(term_magnitude(case.layer, case.bn, case.x), expected, rtol=1e-6, atol=0)


def test_fold_tolerance_is_k_plus_eight_times_u_plus_u64_times_the_term_magnitude() -> None:
    case = linear_case()
    tolerance, reason = fold_tolerance(case)
    u = 2.0**-24 + 2.0**-53
    assert torch.allclose(tolerance, (3 + 8) * u * term_magnitude(case.layer, case.bn, case.x), rtol=1e-15, atol=0)
    assert reason == "(k+8)(u+u64)·T with k=3 terms per output, u=5.96e-08, T=|s|(|W|⊛|x|+|c|+|μ|)+|β| per element"


def test_terms_per_output_counts_in_channels_per_group_times_the_kernel_volume() -> None:
    assert terms_per_output(nn.Linear(5, 2)) == 5
    assert terms_per_output(nn.Conv2d(6, 4, (2, 3), groups=2)) == 3 * 6
    assert terms_per_output(nn.Conv3d(2, 2, (1, 2, 3))) == 2 * 6
    assert terms_per_output(nn.ConvTranspose1d(4, 6, 3, groups=2)) == 2 * 3


def test_fold_check_evidence_carries_the_theorem_the_example_and_the_tolerance() -> None:
    case = linear_case()
    found = FOLD_LINEAR.check(fold_linear, case)
    tolerance, reason = fold_tolerance(case)
    assert found.holds and (found.theorem_id, found.example, found.tolerance_reason) == ("fold-linear", repr(case), reason)
    assert found.tolerance in tolerance.reshape(-1).tolist()


def test_fold_case_repr_names_layer_batchnorm_statistics_input_and_seed() -> None:
    assert repr(linear_case()) == (
        "Linear(in_features=3, out_features=2, bias=True) → BatchNorm1d(2, affine=True, eps=2.5e-01, "
        "running_var∈[7.50e-01, 3.75e+00]) on x(2, 3) float32, seed=7"
    )


class Returns:
    def __init__(self, value: object) -> None:
        self.value = value

    def __call__(self, layer: nn.Module, bn: nn.Module) -> object:
        return self.value


class Raises(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("bad\nshape")


class ReturnsList(nn.Module):
    def forward(self, x: torch.Tensor) -> list[float]:
        return x.tolist()


class InFloat64(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.double()


@pytest.mark.parametrize(
    ("implementation", "failure"),
    [
        (lambda layer, bn: (_ for _ in ()).throw(TypeError("no\nfold")), "raised TypeError: no"),
        (Returns("folded"), "returned str, expected an nn.Module"),
        (Returns(Raises()), "returned a module that raised RuntimeError on x: bad"),
        (Returns(ReturnsList()), "returned a module whose output is list, expected torch.float32"),
        (
            lambda layer, bn: nn.Sequential(fold_linear(layer, bn), InFloat64()),
            "returned a module whose output is torch.float64, expected torch.float32",
        ),
    ],
)
def test_fold_check_names_how_an_implementation_failed(implementation, failure: str) -> None:
    case = linear_case()
    found = FOLD_LINEAR.check(implementation, case)
    assert (found.failure, found.theorem_id, found.example) == (failure, "fold-linear", repr(case))


@pytest.mark.parametrize(
    ("vandalise", "failure"),
    [
        (lambda layer, bn: bn.train(), "modified its argument bn.training"),
        (lambda layer, bn: layer.weight.data.mul_(2.0), "modified its argument layer.weight"),
        (lambda layer, bn: bn.running_var.add_(1.0), "modified its argument bn.running_var"),
    ],
)
def test_fold_check_names_the_argument_an_implementation_modified(vandalise, failure: str) -> None:
    case = linear_case()

    def implementation(layer: nn.Module, bn: nn.Module) -> nn.Module:
        folded = fold_linear(layer, bn)
        vandalise(layer, bn)
        return folded

    example = repr(case)  # before the implementation alters the case
    assert FOLD_LINEAR.check(implementation, case) == implementation_failure("fold-linear", example, failure)


def test_a_modified_argument_is_noticed_when_a_buffer_vanished_or_changed_shape() -> None:
    def drops_the_bias(layer: nn.Module) -> int:
        layer.bias = None
        return 0

    def reshapes_the_weight(layer: nn.Module) -> int:
        layer.weight = nn.Parameter(torch.zeros(1, 2))
        return 0

    assert call_implementation("t", "e", lambda layer: 0, (nn.Linear(2, 2),), ("layer",)) == 0
    dropped = call_implementation("t", "e", drops_the_bias, (nn.Linear(2, 2),), ("layer",))
    assert dropped == implementation_failure("t", "e", "modified its argument layer.bias")
    reshaped = call_implementation("t", "e", reshapes_the_weight, (nn.Linear(2, 2),), ("other",))
    assert reshaped == implementation_failure("t", "e", "modified its argument other.weight")


def test_a_check_refuses_what_is_not_a_fold_case_naming_the_theorem() -> None:
    with pytest.raises(InvalidInput, match=r"^fold-conv checks a FoldCase\(layer, bn, x\), got tuple$"):
        FOLD_CONV.check(fold_linear, (nn.Linear(1, 1), nn.BatchNorm1d(1)))


@pytest.mark.parametrize(
    ("layer", "bn", "message"),
    [
        (nn.Conv1d(1, 2, 1), nn.BatchNorm1d(2).eval(), "layer must be a Linear, got Conv1d"),
        (nn.Linear(1, 2), nn.LayerNorm(2), "bn must be a torch.nn.BatchNorm1d/2d/3d, got LayerNorm"),
        (nn.Linear(1, 2), nn.BatchNorm2d(2).eval(), "a Linear is followed by BatchNorm1d, got BatchNorm2d"),
        (nn.Linear(1, 2), nn.BatchNorm1d(3).eval(), "Linear has 2 output channels but bn.num_features=3"),
        (nn.Linear(1, 2), nn.BatchNorm1d(2), "bn is in training mode; fold equivalence needs eval mode (call bn.eval())"),
        (
            nn.Linear(1, 2),
            nn.BatchNorm1d(2, track_running_stats=False).eval(),
            "bn has no running statistics (track_running_stats=False); nothing can be folded",
        ),
    ],
)
def test_require_foldable_says_which_hypothesis_failed(layer, bn, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        require_foldable(layer, bn, (nn.Linear,))
    assert str(raised.value) == message


def without_running_variance() -> nn.BatchNorm1d:
    bn = nn.BatchNorm1d(2).eval()
    bn.running_var = None
    return bn


def not_tracking() -> nn.BatchNorm1d:
    bn = nn.BatchNorm1d(2).eval()
    bn.track_running_stats = False  # the buffers are still there
    return bn


@pytest.mark.parametrize("bn", [without_running_variance(), not_tracking()], ids=["no-running-var", "flag-off"])
def test_require_foldable_needs_the_flag_and_both_running_statistics(bn: nn.BatchNorm1d) -> None:
    with pytest.raises(InvalidInput, match=r"^bn has no running statistics \(track_running_stats=False\); nothing can be folded$"):
        require_foldable(nn.Linear(1, 2), bn, (nn.Linear,))


def test_a_fold_case_without_running_statistics_still_shows_itself() -> None:
    case = FoldCase(nn.Linear(1, 2), nn.BatchNorm1d(2, track_running_stats=False), torch.zeros(1, 1))
    assert "BatchNorm1d(2, affine=True, no running stats)" in repr(case)


def test_a_linear_layer_has_no_spatial_dimensions() -> None:
    assert [layer_dims(nn.Linear(1, 1)), layer_dims(nn.Conv1d(1, 1, 1)), layer_dims(nn.ConvTranspose3d(1, 1, 1))] == [0, 1, 3]


def test_folded_weight_by_default_scales_each_output_row_of_an_ungrouped_layer() -> None:
    weight = torch.arange(12.0).reshape(4, 3, 1)
    scale = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert torch.equal(folded_weight(weight, scale), weight * scale.view(4, 1, 1))
    # A transposed weight (C_in, C_out, k) is ungrouped by default: output channel j meets scale[j].
    transposed = torch.arange(8.0).reshape(2, 4, 1)
    assert torch.equal(folded_weight(transposed, scale, transpose=True), transposed * scale.view(1, 4, 1))


def test_a_grouped_convs_tolerance_counts_in_channels_over_groups_times_kernel_terms() -> None:
    conv = nn.Conv1d(4, 2, 3, groups=2)
    case = FoldCase(conv, nn.BatchNorm1d(2).eval(), torch.zeros(1, 4, 5))
    _, reason = fold_tolerance(case)
    assert reason.startswith("(k+8)(u+u64)·T with k=6 terms per output, u=5.96e-08,")


def test_the_fold_tolerance_asks_for_the_roundoff_of_the_cases_own_device(monkeypatch) -> None:
    # On CUDA, float32 may run in TF32; the device is what tells (no GPU needed to check the call).
    import theorems.fold as fold

    asked: list[tuple] = []
    monkeypatch.setattr(fold, "unit_roundoff", lambda *arguments, **options: asked.append((arguments, options)) or 2.0**-24)
    case = linear_case()
    fold_tolerance(case)
    assert asked == [((torch.float32, torch.device("cpu")), {})]


def test_the_oracle_and_the_tolerance_leave_the_case_in_its_own_dtype() -> None:
    # Both work on float64 copies; a shallow copy would convert the case's own modules.
    case = linear_case()
    _unfused_in_float64(case)
    term_magnitude(case.layer, case.bn, case.x)
    assert case.layer.weight.dtype == case.bn.running_var.dtype == torch.float32


def test_require_foldable_pairs_each_conv_dimension_with_its_batchnorm() -> None:
    require_foldable(nn.Conv3d(1, 2, 1), nn.BatchNorm3d(2).eval(), (nn.Conv3d,))
    require_foldable(nn.ConvTranspose2d(1, 2, 1), nn.BatchNorm2d(2).eval(), (nn.ConvTranspose2d,))
    with pytest.raises(InvalidInput, match="^a Conv2d is followed by BatchNorm2d, got BatchNorm1d$"):
        require_foldable(nn.Conv2d(1, 2, 1), nn.BatchNorm1d(2).eval(), (nn.Conv1d, nn.Conv2d))
    with pytest.raises(InvalidInput, match="^layer must be a Conv1d/Conv2d, got Linear$"):
        require_foldable(nn.Linear(1, 2), nn.BatchNorm1d(2).eval(), (nn.Conv1d, nn.Conv2d))


def test_each_fold_theorem_carries_problem_one_and_checks_with_its_own_id_and_layer_kinds() -> None:
    for theorem in (FOLD_LINEAR, FOLD_CONV):
        assert (theorem.source, theorem.statement, theorem.hypotheses, theorem.oracles) == ("Problem 1", STATEMENT, HYPOTHESES, ORACLES)
    assert FOLD_LINEAR.reference is fold_linear and FOLD_CONV.reference is fold_conv
    found = FOLD_LINEAR.check(fold_linear, linear_case())
    assert found.holds and found.theorem_id == "fold-linear"
    with pytest.raises(InvalidInput, match=r"^fold-linear checks a FoldCase"):
        FOLD_LINEAR.check(fold_linear, None)
    with pytest.raises(InvalidInput, match="^layer must be a Conv1d/Conv2d/Conv3d, got Linear$"):
        FOLD_CONV.check(fold_conv, linear_case())


# --- gaussian_kl.py: torch's KL under the contract -------------------------------------


def test_torch_kl_divergence_accepts_integer_array_likes_as_float64() -> None:
    value = torch_kl_divergence([0], [[1]], [1], [[2]])
    assert value == pytest.approx(0.5 * (0.5 + 0.5 - 1 + math.log(2)), rel=1e-12)


# --- toeplitz.py: what a check accepts -------------------------------------------------


def reshaped_case(n: int, kernel_size: int, *, dilation: int = 1, x_dtype: torch.dtype = torch.float64, w_dtype: torch.dtype = torch.float64) -> ToeplitzCase:
    return ToeplitzCase(
        x=torch.ones(1, n, dtype=x_dtype), w=torch.ones(1, 1, kernel_size, dtype=w_dtype), bias=torch.zeros(1, dtype=torch.float64),
        hidden_weight=torch.zeros(1, 1, dtype=torch.float64), hidden_bias=torch.zeros(1, dtype=torch.float64),
        readout=torch.zeros(1, dtype=torch.float64), dilation=dilation,
    )


@pytest.mark.parametrize("check", [check_toeplitz_gradient, check_toeplitz_matrix])
def test_toeplitz_checks_refuse_a_filter_longer_than_its_input(check) -> None:
    with pytest.raises(InvalidInput, match=r"^kernel_size=6 with dilation=1 spans 6 > n_in=4: no valid output$"):
        check(superdiagonal_sums, reshaped_case(4, 6))
    with pytest.raises(InvalidInput, match=r"^kernel_size=3 with dilation=2 spans 5 > n_in=4: no valid output$"):
        check(superdiagonal_sums, reshaped_case(4, 3, dilation=2))


@pytest.mark.parametrize(("theorem_id", "check"), [("toeplitz-gradient", check_toeplitz_gradient), ("toeplitz-matrix", check_toeplitz_matrix)])
def test_toeplitz_checks_refuse_anything_but_float64_naming_both_dtypes(theorem_id: str, check) -> None:
    for x_dtype, w_dtype in ((torch.float32, torch.float64), (torch.float64, torch.float32)):
        with pytest.raises(InvalidInput, match=f"^{theorem_id} works in float64; got x {x_dtype}, w {w_dtype}$"):
            check(superdiagonal_sums, reshaped_case(5, 2, x_dtype=x_dtype, w_dtype=w_dtype))
    with pytest.raises(InvalidInput, match=f"^{theorem_id} checks a ToeplitzCase, got list$"):
        check(superdiagonal_sums, [])


@pytest.mark.parametrize(
    ("grad_A", "channels", "message"),
    [
        ([[0.0]], (1, 1), "grad_A must be a 2-D torch.Tensor, got list"),
        (torch.zeros(3, 4, dtype=torch.float64), (2, 2), "grad_A of shape (3, 4) does not split into 2×2 blocks"),
        (torch.zeros(4, 3, dtype=torch.float64), (2, 2), "grad_A of shape (4, 3) does not split into 2×2 blocks"),
    ],
    ids=["not-a-tensor", "rows-do-not-split", "columns-do-not-split"],
)
def test_filter_gradient_from_a_matrix_gradient_names_what_is_wrong_with_it(grad_A, channels, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        filter_gradient_from_matrix_gradient(grad_A, 1, channels=channels)
    assert str(raised.value) == message


# --- gaussian_kl.py: the log-ratio as a quadratic --------------------------------------


@given(gaussian_pairs(), arrays(np.float64, 8, elements=st.floats(-2, 2)))
def test_log_ratio_minus_its_linear_and_quadratic_parts_is_constant_along_whitened_directions(pair: GaussianPair, z: np.ndarray) -> None:
    linear, quadratic = log_ratio_as_quadratic(*pair.arguments())
    factor0 = np.linalg.cholesky(pair.cov0)
    z = z[: pair.dim]
    points = pair.mu0 + np.stack([np.zeros(pair.dim), z]) @ factor0.T
    log_ratio = gaussian_log_density_by_cholesky(points, pair.mu0, pair.cov0) - gaussian_log_density_by_cholesky(points, pair.mu1, pair.cov1)
    predicted_change = float(linear @ z + z @ quadratic @ z)
    size = float(np.abs(log_ratio).sum() + np.abs(linear).sum() * 2 + np.abs(quadratic).sum() * 4 + 1)
    assert log_ratio[1] - log_ratio[0] == pytest.approx(predicted_change, abs=1e-9 * size)


# --- toeplitz.py: geometry ------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ((2.5, 1, 1, 1), "n_in=2.5 must be an int"),
        ((4, True, 1, 1), "kernel_size=True must be an int"),
        ((4, 2, "1", 1), "stride='1' must be an int"),
        ((4, 2, 1, None), "dilation=None must be an int"),
        ((0, 1, 1, 1), "n_in=0 must be at least 1"),
        ((4, 0, 1, 1), "kernel_size=0 must be at least 1"),
        ((4, 2, -1, 1), "stride=-1 must be at least 1"),
        ((4, 2, 1, 0), "dilation=0 must be at least 1"),
        ((4, 2, 1, 4), "kernel_size=2 with dilation=4 spans 5 > n_in=4: no valid output"),
    ],
)
def test_require_geometry_names_the_size_that_is_wrong(sizes: tuple, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        require_geometry(*sizes)
    assert str(raised.value) == message


def test_require_geometry_accepts_sizes_of_one_and_a_filter_spanning_the_whole_input() -> None:
    require_geometry(1, 1, 1, 1)
    require_geometry(np.int64(5), 3, 1, 2)


def test_toeplitz_case_repr_names_its_geometry_and_seed() -> None:
    assert repr(integer_case(5, 2)) == "ToeplitzCase(n_in=5, kernel_size=2, channels=(1, 1), stride=1, dilation=1, hidden=1, seed=0)"


# --- fold.py: the folded module --------------------------------------------------------


@pytest.mark.parametrize("requires_grad", [True, False])
def test_a_folded_layer_keeps_the_layers_requires_grad_and_dtype(requires_grad: bool) -> None:
    case = linear_case()
    case.layer.requires_grad_(requires_grad)
    folded = fold_linear(case.layer, case.bn)
    assert folded.weight.requires_grad == folded.bias.requires_grad == requires_grad
    assert folded.weight.dtype == folded.bias.dtype == torch.float32
    assert folded is not case.layer and folded.weight is not case.layer.weight


def test_geometry_defaults_are_stride_one_and_dilation_one() -> None:
    assert output_length(5, 2) == 4 and output_length(5, 2, stride=2) == 2 and output_length(5, 2, dilation=2) == 3
    assert column_indices(2, 3).tolist() == [[0, 1, 2], [1, 2, 3]]
    assert torch.equal(block_toeplitz_matrix(torch.ones(1, 1, 2), 3), torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    require_geometry(3, 3)


def test_toeplitz_matrix_refuses_a_dilated_filter_that_does_not_fit() -> None:
    with pytest.raises(InvalidInput, match=r"^kernel_size=3 with dilation=2 spans 5 > n_in=4: no valid output$"):
        toeplitz_matrix(torch.ones(3, dtype=torch.float64), 4, dilation=2)
    with pytest.raises(InvalidInput, match=r"^kernel_size=3 with dilation=2 spans 5 > n_in=4: no valid output$"):
        toeplitz_matrix(torch.ones(3, dtype=torch.float64), 4, stride=1, dilation=2)


def test_downstream_loss_is_readout_of_tanh_of_hidden_layer_of_tanh() -> None:
    case = ToeplitzCase(
        x=torch.zeros(1, 2, dtype=torch.float64), w=torch.zeros(1, 1, 1, dtype=torch.float64), bias=torch.zeros(1, dtype=torch.float64),
        hidden_weight=torch.tensor([[1.0, -2.0]], dtype=torch.float64), hidden_bias=torch.tensor([0.5], dtype=torch.float64),
        readout=torch.tensor([3.0], dtype=torch.float64),
    )
    z = torch.tensor([0.25, -1.0], dtype=torch.float64)
    expected = 3.0 * math.tanh(math.tanh(0.25) - 2.0 * math.tanh(-1.0) + 0.5)
    assert float(downstream_loss(case, z)) == pytest.approx(expected, rel=1e-14)


def test_filter_gradient_refuses_a_dilated_filter_that_does_not_fit_its_blocks() -> None:
    with pytest.raises(InvalidInput) as raised:
        filter_gradient_from_matrix_gradient(torch.zeros(1, 4, dtype=torch.float64), 3, dilation=2)
    assert str(raised.value) == "kernel_size=3 with dilation=2 spans 5 > n_in=4: no valid output"
    with pytest.raises(InvalidInput) as raised:
        filter_gradient_from_matrix_gradient(torch.zeros(1, 4, dtype=torch.float64), 3, stride=1, dilation=2)
    assert str(raised.value) == "kernel_size=3 with dilation=2 spans 5 > n_in=4: no valid output"


def test_filter_gradient_names_a_row_count_that_does_not_match_the_output_length() -> None:
    with pytest.raises(InvalidInput) as raised:
        filter_gradient_from_matrix_gradient(torch.zeros(3, 3, dtype=torch.float64), 2)
    assert str(raised.value) == "grad_A has 3 rows per block; kernel_size=2 on n_in=3 gives a different output length"


# --- gaussian_kl.py: precision and the oracle's size of terms --------------------------


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
    assert kl(*float32_pair()) == pytest.approx(kl(*as_float64), rel=1e-13)


def test_gauss_hermite_oracle_sums_weighted_absolute_values_over_the_two_point_rule() -> None:
    # D(N(0, 1) ‖ N(0, 4)): g(x) = log 2 − 3x²/8; the 2-point rule has nodes ±1, weights ½.
    value, terms_size = gaussian_kl_by_gauss_hermite(np.zeros(1), np.eye(1), np.zeros(1), 4 * np.eye(1))
    assert value == pytest.approx(math.log(2) - 3 / 8, rel=1e-14)
    assert terms_size == pytest.approx(abs(math.log(2) - 3 / 8), rel=1e-14)


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


# --- gaussian_density.py ----------------------------------------------------------------
# Here rather than in a file of their own: mutmut drops every cached verdict when its
# test selection (pyproject.toml) changes, and a full rerun takes hours on two cores.
# They pin the Evidence the check records at every point, each refusal's text and
# boundary, what the two transcribed formulas compute, the DKW threshold and the
# Kolmogorov–Smirnov distance (against scipy.stats.kstest), and the goodness-of-fit
# experiment's verdict on both sides of its threshold.

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


# --- what a case shows -------------------------------------------------------------------------


def test_a_case_shows_A_and_the_points_up_to_two_dimensions_and_rounds_to_four_places() -> None:
    one = AffineGaussianCase(np.array([[2.0]]), np.array([0.123456]), np.array([[1.234567], [-3.0]]))
    two = AffineGaussianCase(np.array([[1.0, 2.0], [0.0, -0.5]]), np.array([0.5, -1.0]), np.array([[1.0, 2.0]]))
    assert repr(one) == "n=1, A=[[2.0]] (det 2, κ(A)=1), b=[0.1235], x=[[1.2346], [-3.0]]"
    assert repr(two) == "n=2, A=[[1.0, 2.0], [0.0, -0.5]] (det -0.5, κ(A)=10.4), b=[0.5, -1.0], x=[[1.0, 2.0]]"
    assert repr(THREE_D) == "n=3, A=… (det 8, κ(A)=4), b=[0.5, -1.0, 0.1235], x=1 points"


def test_a_malformed_case_still_shows_itself_with_no_determinant() -> None:
    # Hypothesis prints a case before the check refuses it: a non-square A must not raise.
    assert "(det nan, " in repr(AffineGaussianCase(np.ones((2, 3)), np.zeros(2), np.zeros((1, 2))))


# --- the check's records -------------------------------------------------------------------------


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


# --- refusals ---------------------------------------------------------------------------------


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


# --- the transcribed formulas compute what the notes say --------------------------------------


def test_the_transcribed_normaliser_is_exp_of_minus_half_q_over_2pi_to_the_n_times_det() -> None:
    x, mean, cov = np.array([1.0, -0.5]), np.array([0.25, 0.5]), np.array([[2.0, 0.5], [0.5, 1.0]])
    q = (x - mean) @ np.linalg.inv(cov) @ (x - mean)
    expected = -0.5 * q - 2 * math.log(2 * math.pi) - math.log(np.linalg.det(cov))
    assert notes_normaliser_log_density(x, mean, cov) == pytest.approx(expected, rel=1e-14, abs=0)


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
        assert actual == pytest.approx(math.log(density), rel=1e-14, abs=0)
    else:
        assert math.isnan(actual)
    # Whatever LAPACK's sign, the value is the true log-density or NaN, never anything else.
    true = float(gaussian_log_density_by_change_of_variables(x[None, :], np.linalg.cholesky(cov), mean)[0])
    assert math.isnan(actual) or actual == pytest.approx(true, rel=1e-13, abs=0)


def test_the_transcribed_signed_jacobian_computes_in_float64_whatever_the_dtype_of_its_inputs() -> None:
    # In one dimension the eigen-factor is +√σ², so the value is finite and float32 would show.
    narrow = [np.array(v, np.float32) for v in ([0.1], [0.7], [[0.3]])]
    wide = [v.astype(np.float64) for v in narrow]
    assert notes_signed_jacobian_log_density(*narrow) == notes_signed_jacobian_log_density(*wide)
    assert math.isfinite(notes_signed_jacobian_log_density(*wide))


def test_the_transcribed_signed_jacobian_is_the_true_density_in_one_dimension() -> None:
    # A 1×1 eigen-factor is +√σ², so the signed formula is right at n = 1.
    actual = notes_signed_jacobian_log_density(np.array([1], dtype=np.int64), np.array([0.25]), np.array([[4.0]]))
    assert actual == pytest.approx(-0.5 * (0.75 / 2) ** 2 - math.log(2) - 0.5 * LOG_2PI, rel=1e-15, abs=0)


# --- the goodness-of-fit experiment --------------------------------------------------------------


def test_the_dkw_threshold_is_the_massart_bound_inverted() -> None:
    # 2 exp(−2mε²) = α  ⇔  ε = √(log(2/α)/(2m)).
    assert dkw_threshold(2000, 0.05) == pytest.approx(math.sqrt(math.log(40) / 4000), rel=1e-15, abs=0)
    assert dkw_threshold(50, 1e-6) == pytest.approx(math.sqrt(math.log(2e6) / 100), rel=1e-15, abs=0)


def test_the_largest_projection_distance_is_scipys_kolmogorov_smirnov_statistic() -> None:
    rng = np.random.default_rng(7)
    samples = rng.standard_normal((300, 2)) * [1.0, 2.0] + [0.1, 0.0]
    mean, cov = np.zeros(2), np.diag([1.0, 4.0])
    directions = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    statistics = [stats.kstest(samples @ u, stats.norm(loc=u @ mean, scale=math.sqrt(u @ cov @ u)).cdf).statistic for u in directions]
    assert largest_projection_ks_distance(samples, mean, cov, directions) == pytest.approx(max(statistics), rel=1e-12, abs=0)
    for u, statistic in zip(directions, statistics):
        assert largest_projection_ks_distance(samples, mean, cov, u[None, :]) == pytest.approx(statistic, rel=1e-12, abs=0)


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
    alpha = RANDOM_CHECKS[0].stated_alpha()
    assert [_goodness_of_fit_alarm(seed, alpha, True) for seed in range(5)] == [True] * 5
    assert [_goodness_of_fit_alarm(seed, alpha, False) for seed in range(5)] == [False] * 5


def test_a_fresh_density_calibration_check_names_its_design_its_detectable_error_and_its_stated_alpha() -> None:
    # Built afresh: RANDOM_CHECKS was built when the module was imported.
    (check,) = density_calibration_checks()
    assert [c.name for c in RANDOM_CHECKS] == [check.name]
    assert check.name == "affine-gaussian-density: DKW test on 3 random projections of 2000 samples"
    assert check.theorem_id == DENSITY_ID
    assert check.detectable == "0.3σ location (worst of the projections)"
    assert check.stated_alpha() == 3 * per_check_false_alarm("affine-gaussian-density", checks_per_example=3)
    assert check.stated_power == 0.99
    assert check.alarm is _goodness_of_fit_alarm


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
    assert log_det < 0 and tolerance == pytest.approx(expected, rel=1e-12, abs=0)
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
    assert tolerance == pytest.approx((constant + 18 * U64) * 3.5, rel=1e-12, abs=0)
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
    np.testing.assert_allclose(values, expected, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(called_with[0], SKEWED.shift + offset)


def test_gauss_hermite_moments_use_the_three_point_rule() -> None:
    # log f ≡ 0 in one dimension: Σ wᵢ/φ(zᵢ) over nodes 0, ±√3 with weights 2/3, 1/6, 1/6
    # is √(2π)(2/3 + e^{3/2}/3); a rule with more points gives another number.
    estimate, size = gaussian_moments_by_gauss_hermite(lambda x: np.zeros(len(x)), np.eye(1), np.zeros(1))
    assert estimate[0] == pytest.approx(math.sqrt(2 * math.pi) * (2 / 3 + math.exp(1.5) / 3), rel=1e-14, abs=0)
    assert size[0] == pytest.approx(estimate[0], rel=1e-15, abs=0)


def test_cubature_moments_of_the_standard_normal_in_one_dimension() -> None:
    # ∫φ = 1, ∫zφ = 0, ∫z²φ = 1, and the size component ∫(1+z²)(1+|z|+z²)φ by quad.
    reference = lambda x: gaussian_log_density_by_cholesky(x, np.zeros(1), np.eye(1))  # noqa: E731
    estimate, error = gaussian_moments_by_cubature(reference, np.eye(1), np.zeros(1))
    size = integrate.quad(lambda z: (1 + z * z) * (1 + abs(z) + z * z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -np.inf, np.inf)[0]
    np.testing.assert_allclose(estimate, [1.0, 0.0, 1.0, size], rtol=1e-6, atol=1e-9)
    # Requested accuracy: every component's error estimate within 1e-9 + 1e-6·|estimate|.
    assert np.all(error <= 1e-9 + 1e-6 * np.abs(estimate)) and np.all(error >= 0)


# --- gaussian_kl.py: the median-of-means bound and its calibration experiment -------------------

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


@pytest.mark.parametrize("alpha", [0.9, 1e-3], ids=["one-block", "56-blocks"])
def test_the_median_of_means_bound_is_its_documented_design(alpha: float) -> None:
    estimate, half_width = kl_by_median_of_means(CALIBRATION_PAIR, 3, alpha)
    expected_estimate, expected_half_width = median_of_means_by_hand(CALIBRATION_PAIR, 3, alpha)
    assert MONTE_CARLO_BLOCK == 100
    assert estimate == pytest.approx(expected_estimate, rel=1e-12, abs=0)
    assert half_width == pytest.approx(expected_half_width, rel=1e-12, abs=0)


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
    assert [c.name for c in KL_RANDOM_CHECKS] == [check.name]
    assert check.name == "gaussian-kl: median-of-means Monte Carlo bound (blocks of 100)"
    assert check.theorem_id == "gaussian-kl"
    assert check.detectable == "0.4σ·1.01 absolute (twice the bound's half-width)"
    assert check.stated_alpha() == per_check_false_alarm("gaussian-kl", checks_per_example=1)
    assert check.stated_power == 0.99
    assert check.alarm is _monte_carlo_alarm



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
