"""Exact tests of ``theorems.toeplitz.check`` (T3, convolution as a Toeplitz matrix, and its filter gradient).

What they pin: the matrix check's allowance ``2γ_n Σ|w||x|`` and the gradient check's
``2γ_{m+1}`` times the superdiagonal sums of ``|∂L/∂A|``, exactly (an error of one in the
last output is caught), the geometry (output length, column indices, stride and
dilation defaults, a filter that does not fit), each refusal of a case outside one
channel, stride one and dilation one, the downstream loss, and how a failed
implementation is reported.

Why such exact tests exist: the Toeplitz properties (``test_toeplitz.py``) compare with
``torch.nn.functional.conv1d`` and autograd within derived tolerances on random cases,
so a looser allowance, an off-by-one in the geometry that no generated case reaches,
or a refusal with the wrong words passes them. Mutation testing (``make mutation``)
finds such mutants; these exact tests on integer-valued cases kill them in
milliseconds. Mutants no test can tell apart are explained in
``tests/mutation_equivalents.json``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from theorems.strategies.toeplitz import general_cases
from theorems.theorem import InvalidInput
from theorems.toeplitz.check import (
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
from theorems.oracles.tolerance import U64, gamma


# --- the matrix check ------------------------------------------------------------------------


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
    assert found.tolerance == 2 * gamma(n, U64) * (kernel_size * (kernel_size + 1) // 2)  # Σ|w||x| an exact integer: one product
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
        (lambda w, n: toeplitz_matrix(w.mul_(2.0) / 2.0, n), "modified its argument w"),
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


# --- the gradient check ----------------------------------------------------------------------


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


def loss_rounding_bound(case: ToeplitzCase, matrix: torch.Tensor) -> float:
    """First-order bound on ``|ℓ(conv1d) − ℓ(A x)|``: Higham's ``γ_{k+1}·Σ|terms|`` for each of the
    three products (``z``, ``U tanh z + c``, ``vᵀ tanh h``) on both sides, carried forward through
    the weights' absolute values and tanh (1-Lipschitz, each evaluation within 1 ulp = 2u)."""
    x = case.x.reshape(-1)
    z = matrix @ x + case.bias
    dz = 2 * gamma(x.numel() + 1, U64) * (matrix.abs() @ x.abs() + case.bias.abs())
    t = torch.tanh(z)
    dt = dz + 2 * 2 * U64 * t.abs()
    h = case.hidden_weight @ t + case.hidden_bias
    dh = case.hidden_weight.abs() @ dt + 2 * gamma(t.numel() + 1, U64) * (case.hidden_weight.abs() @ t.abs() + case.hidden_bias.abs())
    s = torch.tanh(h)
    ds = dh + 2 * 2 * U64 * s.abs()
    return float(case.readout.abs() @ ds + 2 * gamma(s.numel(), U64) * (case.readout.abs() @ s.abs()))


@given(general_cases())
def test_loss_of_filter_is_the_dense_matrix_loss_with_the_bias_added(case: ToeplitzCase) -> None:
    matrix = block_toeplitz_matrix(case.w, case.n, stride=case.stride, dilation=case.dilation)
    z = matrix @ case.x.reshape(-1) + case.bias
    allowed = loss_rounding_bound(case, matrix)
    assert float(loss_of_filter(case)(case.w, case.bias)) == pytest.approx(float(downstream_loss(case, z)), rel=0, abs=allowed)


# --- what a check accepts --------------------------------------------------------------------


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


# --- geometry --------------------------------------------------------------------------------


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


def test_geometry_defaults_are_stride_one_and_dilation_one() -> None:
    assert output_length(5, 2) == 4 and output_length(5, 2, stride=2) == 2 and output_length(5, 2, dilation=2) == 3
    assert column_indices(2, 3).tolist() == [[0, 1, 2], [1, 2, 3]]
    assert torch.equal(block_toeplitz_matrix(torch.ones(1, 1, 2), 3), torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    require_geometry(3, 3)


# --- the pure math: the matrix, the filter gradient, the downstream loss ---------------------


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
    # Each side: two tanh (1 ulp = 2u each), a product and two sums inside (γ_7 of the inner terms'
    # size), then tanh (1-Lipschitz, 2u) and the readout product (u); twice, one per side.
    inner_size = math.tanh(0.25) + 2.0 * math.tanh(1.0) + 0.5
    allowed = 2 * 3.0 * (gamma(7, U64) * inner_size + gamma(3, U64) * abs(expected) / 3.0)
    assert float(downstream_loss(case, z)) == pytest.approx(expected, rel=0, abs=allowed)


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
