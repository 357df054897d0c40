"""Properties of T3, the Toeplitz gradient (``theorems.toeplitz.check``). Exact algebra in float64."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from theorems.strategies.toeplitz import general_cases, gradient_cases
from theorems.toeplitz.catalogue import WRONG_IMPLEMENTATIONS
from theorems.evidence import compare_elementwise
from theorems._engine.run import find_counterexample, run_check
from theorems.theorem import InvalidInput
from theorems.toeplitz.check import (
    ToeplitzCase,
    block_toeplitz_matrix,
    filter_gradient_from_matrix_gradient,
    filter_gradient_through_conv1d,
    gradients_through_dense_matrix,
    loss_of_filter,
    output_length,
    sum_tolerance,
    superdiagonal_sums,
    toeplitz_matrix,
)
from theorems.toeplitz.statement import FILTER, TOEPLITZ_GRADIENT, TOEPLITZ_MATRIX
from theorems.oracles.tolerance import U64, gamma


@given(gradient_cases())
def test_toeplitz_matrix_times_x_equals_conv1d(case: ToeplitzCase) -> None:
    evidence = TOEPLITZ_MATRIX.check_reference(case)
    assert evidence.holds, evidence.explain()


@given(general_cases())
def test_block_toeplitz_matrix_with_stride_dilation_and_channels_equals_conv1d(case: ToeplitzCase) -> None:
    matrix = block_toeplitz_matrix(case.w, case.n, stride=case.stride, dilation=case.dilation)
    conv = torch.nn.functional.conv1d
    expected = conv(case.x.unsqueeze(0), case.w, stride=case.stride, dilation=case.dilation).reshape(-1)
    magnitude = conv(case.x.abs().unsqueeze(0), case.w.abs(), stride=case.stride, dilation=case.dilation).reshape(-1)
    terms = case.channels[1] * case.n
    evidence = compare_elementwise(
        theorem_id="toeplitz-matrix", example=repr(case), expected=expected, actual=matrix @ case.x.reshape(-1),
        tolerance=2 * gamma(terms, U64) * magnitude, tolerance_reason=f"2γ_m·Σ|w||x| with m={terms} terms per output",
    )
    assert evidence.holds, evidence.explain()


@given(gradient_cases())
def test_filter_gradient_is_the_sum_of_superdiagonals_of_the_matrix_gradient(case: ToeplitzCase) -> None:
    evidence = TOEPLITZ_GRADIENT.check_reference(case)
    assert evidence.holds, evidence.explain()


@given(general_cases())
def test_strided_dilated_multichannel_filter_gradient_matches_autograd_through_conv1d(case: ToeplitzCase) -> None:
    dense = gradients_through_dense_matrix(case)
    actual = filter_gradient_from_matrix_gradient(
        dense["grad_A"], case.kernel_size, stride=case.stride, dilation=case.dilation, channels=case.channels
    )
    expected = filter_gradient_through_conv1d(case, dense["delta"])
    n_out = output_length(case.n, case.kernel_size, stride=case.stride, dilation=case.dilation)
    magnitude = filter_gradient_from_matrix_gradient(
        dense["grad_A"].abs(), case.kernel_size, stride=case.stride, dilation=case.dilation, channels=case.channels
    )
    evidence = compare_elementwise(
        theorem_id="toeplitz-gradient", example=repr(case), expected=expected, actual=actual.reshape(expected.shape),
        tolerance=sum_tolerance(magnitude, n_out), tolerance_reason=f"2γ_(m+1)·Σ_i|δ_i x_(s i+d k)| with m={n_out} terms",
    )
    assert evidence.holds, evidence.explain()


@given(general_cases())
def test_shared_bias_gradient_is_the_sum_of_delta(case: ToeplitzCase) -> None:
    dense = gradients_through_dense_matrix(case)
    delta = dense["delta"]
    evidence = compare_elementwise(
        theorem_id="toeplitz-gradient", example=repr(case), expected=delta.sum().reshape(1), actual=dense["grad_b"].reshape(1),
        tolerance=sum_tolerance(delta.abs().sum(), delta.numel()), tolerance_reason=f"2γ_(m+1)·Σ|δ| with m={delta.numel()}",
    )
    assert evidence.holds, evidence.explain()


# gradcheck's default step, within a factor 7 of the float64 optimum (3u|ℓ|/|ℓ'''|)^(1/3) for O(1) terms.
FINITE_DIFFERENCE_STEP = 1e-6
TANH_SECOND_DERIVATIVE_MAX = 4 / (3 * 3**0.5)  # max|tanh''| = 4/(3√3); max|tanh'| = 1, max|tanh'''| = 2


def central_difference_tolerance(case: ToeplitzCase) -> float:
    """|autograd − (ℓ(p+h) − ℓ(p−h))/2h| for any one parameter p of ``(w, b)``, in float64.

    Moving p moves z = conv1d(x, w) + b by a with |a| ≤ M = max(1, max|x|) entrywise, so the
    hidden pre-activations s = U tanh(z) + c move by at most r M (r_i = Σ_j|U_ij|), and
    |ℓ'''| ≤ M³ Σ|v_i|(2r_i³ + 3·max|tanh''|²·r_i² + 2r_i) =: L3: truncation h²L3/6. Each ℓ is
    within E = γ_N Σ|v_i|(1 + r_i(1 + Z) + |c_i|) of exact (first order), N the roundings a term
    meets (the k-term conv and its bias, two tanh of ≤ 2u each, the m-term hidden sum and its bias,
    the h-term readout), Z = max(|w|⊛|x| + |b|): the difference quotient adds E/h; rounding p ± h
    moves the step by u(|p| + h), u(|p| + h)/h of |ℓ'| ≤ M Σ|v_i| r_i; autograd's own gradient γ_N of that.
    """
    x, w, bias, hidden, readout = case.x, case.w, case.bias, case.hidden_weight, case.readout
    reach = max(1.0, float(x.abs().max()))
    rows = hidden.abs().sum(1)
    third = reach**3 * float((readout.abs() * (2 * rows**3 + 3 * TANH_SECOND_DERIVATIVE_MAX**2 * rows**2 + 2 * rows)).sum())
    conv = torch.nn.functional.conv1d(x.abs().unsqueeze(0), w.abs(), stride=case.stride, dilation=case.dilation).reshape(-1)
    z_size = float((conv + bias.abs()).max())
    roundings = w[0].numel() + 1 + 2 * 2 + hidden.shape[1] + 1 + readout.numel()
    size = float((readout.abs() * (1 + rows * (1 + z_size) + case.hidden_bias.abs())).sum())
    slope = reach * float((readout.abs() * rows).sum())
    h = FINITE_DIFFERENCE_STEP
    parameter = max(float(w.abs().max()), float(bias.abs().max()))
    return h**2 * third / 6 + gamma(roundings, U64) * size / h + (U64 * (parameter + h) / h + gamma(roundings, U64)) * slope


@given(general_cases())
def test_autograd_through_conv1d_agrees_with_central_finite_differences(case: ToeplitzCase) -> None:
    w = case.w.detach().clone().requires_grad_(True)
    bias = case.bias.detach().clone().requires_grad_(True)
    tolerance = central_difference_tolerance(case)  # rtol 0: every error above is in atol's terms
    assert torch.autograd.gradcheck(loss_of_filter(case), (w, bias), eps=FINITE_DIFFERENCE_STEP, atol=tolerance, rtol=0)


TOEPLITZ_THEOREMS = {TOEPLITZ_GRADIENT.id: TOEPLITZ_GRADIENT, TOEPLITZ_MATRIX.id: TOEPLITZ_MATRIX}


@pytest.mark.parametrize("wrong", WRONG_IMPLEMENTATIONS, ids=lambda w: f"{w.theorem_id}:{w.name}")
def test_wrong_toeplitz_implementation_is_falsified_on_a_small_example(wrong) -> None:
    counterexample = find_counterexample(TOEPLITZ_THEOREMS[wrong.theorem_id], wrong.implementation)
    assert counterexample is not None, f"{wrong.name} ({wrong.mistake}) was not falsified"
    assert not counterexample.evidence.holds
    assert counterexample.example.n <= 3 and counterexample.example.kernel_size <= 2, counterexample.evidence.explain()


@pytest.mark.parametrize(
    ("grad_A", "kernel_size"),
    [
        ("not a tensor", 1),
        (torch.zeros(3), 1),
        (torch.zeros(2, 3, dtype=torch.float64), 0),
        (torch.zeros(2, 3, dtype=torch.float64), 2.0),
        (torch.zeros(2, 3, dtype=torch.float64), True),
        (torch.zeros(1, 3, dtype=torch.float64), 4),
        (torch.zeros(3, 3, dtype=torch.float64), 2),
    ],
)
def test_bad_matrix_gradients_raise_invalid_input_with_a_one_line_message(grad_A, kernel_size) -> None:
    with pytest.raises(InvalidInput) as raised:
        superdiagonal_sums(grad_A, kernel_size)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("n", "kernel_size"), [(3, 4), (0, 1), (2.5, 1)])
def test_bad_sizes_raise_invalid_input_with_a_one_line_message(n, kernel_size: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        toeplitz_matrix(torch.zeros(kernel_size, dtype=torch.float64), n)
    assert "\n" not in str(raised.value)


def test_a_non_case_example_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        TOEPLITZ_GRADIENT.check(superdiagonal_sums, (torch.zeros(2, 3), 2))


# Each mistake below is wrong only inside one `filter` class: the covering rows are what find it.
HIDDEN_IN_ONE_CLASS = [
    ("toeplitz-gradient", "1-tap fast path", "1"),
    ("toeplitz-gradient", "squeezed before diag", "n"),
    ("toeplitz-matrix", "squeezed Jacobian", "n"),
]


@pytest.mark.parametrize(("theorem_id", "name", "filter_class"), HIDDEN_IN_ONE_CLASS, ids=lambda value: str(value))
def test_a_mistake_hidden_in_one_filter_class_holds_on_the_others_and_is_falsified_in_it(theorem_id: str, name: str, filter_class: str) -> None:
    theorem = TOEPLITZ_THEOREMS[theorem_id]
    (wrong,) = [w for w in WRONG_IMPLEMENTATIONS if w.theorem_id == theorem_id and w.name == name]
    others = tuple(value for value in FILTER.values if value != filter_class)

    @given(gradient_cases(filter=others))
    def holds_outside_its_class(case: ToeplitzCase) -> None:
        evidence = theorem.check(wrong.implementation, case)
        assert evidence.holds, evidence.explain()

    holds_outside_its_class()
    # One example, the simplest of the class: what every run's covering row draws.
    run = run_check(theorem, wrong.implementation, profile="ci", max_examples=1, assume={"filter": filter_class})
    assert run.verdict == "falsified"
    assert run.classes["filter"][filter_class] >= 1 and not any(run.classes["filter"][value] for value in others)
