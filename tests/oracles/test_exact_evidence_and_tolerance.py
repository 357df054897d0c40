"""Exact tests of ``theorems.oracles.tolerance`` and ``theorems.evidence``: the rounding units and what every verdict says.

What they pin: ``γ_k = k·u/(1 − k·u)`` and where it stops existing, the unit roundoff of
each dtype (TF32 exactly where torch allows it), an Evidence's ratio and its verdict at
the boundary (an error equal to the tolerance holds), what ``explain`` prints for a
person, that every Evidence made inside ``observing_evidence`` is seen, and how
``compare_elementwise`` picks and reports the worst element.

Why such exact tests exist: every property of the suite compares an implementation
with an oracle within a derived tolerance, so a mutant that loosens ``γ_k`` a little,
moves ``≤`` to ``<`` or drops a word from a failure message passes them all. Mutation
testing (``make mutation``) finds such mutants; these exact tests on fixed inputs tell
them apart in milliseconds, which is why they run first under the mutation profile
(``conftest.cheapest_first``). Mutants no test can tell apart are explained in
``tests/mutation_equivalents.json``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from theorems.evidence import Evidence, compare_elementwise, implementation_failure, observing_evidence
from theorems.oracles.tolerance import TF32_UNIT_ROUNDOFF, UNIT_ROUNDOFF, gamma, unit_roundoff


# --- tolerance.py ----------------------------------------------------------------------------


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


# --- evidence.py -----------------------------------------------------------------------------


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
    assert found.ratio == ratio.max()  # the same float64 subtraction, abs and division on both sides: exact
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


def test_a_layers_roundoff_follows_the_flag_of_the_operation_it_runs() -> None:
    # PyTorch's defaults on CUDA: TF32 for cuDNN convolutions, IEEE float32 for matmuls. The fold
    # tolerance of a Linear took the convolution flag and was 2¹³ too loose there.
    from torch import nn

    from theorems.oracles.tolerance import layer_roundoff

    conv, matmul = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    try:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = True, False
        assert layer_roundoff(nn.Linear(2, 2), torch.float32, "cuda") == 2.0**-24
        for layer in (nn.Conv1d(2, 2, 1), nn.Conv2d(2, 2, 1), nn.ConvTranspose3d(2, 2, 1)):
            assert layer_roundoff(layer, torch.float32, "cuda") == TF32_UNIT_ROUNDOFF
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = False, True
        assert layer_roundoff(nn.Linear(2, 2), torch.float32, "cuda") == TF32_UNIT_ROUNDOFF
        assert layer_roundoff(nn.Conv2d(2, 2, 1), torch.float32, "cuda") == 2.0**-24
        assert layer_roundoff(nn.Linear(2, 2), torch.float32, "cpu") == 2.0**-24
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = conv, matmul


def test_a_nan_tolerance_is_the_worst_ratio_never_skipped() -> None:
    # max() and > skip a NaN: a comparison whose bound came out NaN must not pass for a small ratio.
    assert evidence(error=1.0, tolerance=math.nan).ratio == math.inf
    assert not evidence(error=0.0, tolerance=math.nan).holds
    assert max([evidence(error=1.0, tolerance=2.0), evidence(error=1.0, tolerance=math.nan)], key=lambda e: e.ratio).tolerance != 2.0
    found = compare_elementwise(
        theorem_id="t", example="e", expected=torch.zeros(3, dtype=torch.float64), actual=torch.tensor([0.5, 0.0, 0.1], dtype=torch.float64),
        tolerance=torch.tensor([1.0, math.nan, 1.0], dtype=torch.float64), tolerance_reason="r",
    )
    assert not found.holds and found.expected.endswith("at index (1,)") and found.mismatches.startswith("1 of 3")
