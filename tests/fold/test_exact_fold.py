"""Exact tests of ``theorems.fold.check`` (T1, fold equivalence): the check's tolerance, records and refusals.

What they pin: the derived tolerance ``(k + 8)(u + u₆₄)·T`` with the term magnitude
``T`` and the term count ``k`` of each layer kind (grouped, without affine, without
bias), the device and dtype the tolerance and the oracle use, each hypothesis that
``require_foldable`` names when it fails, the wording of a failed or argument-modifying
implementation, and what the folded module keeps of the layer.

Why such exact tests exist: the fold properties (``test_fold.py``) compare a folded
layer with the unfused pair within that tolerance on random layers, so a tolerance a
few units too loose, a term counted twice or a refusal with the wrong reason passes
every one of them. Mutation testing (``make mutation``) finds such mutants; these
exact tests on fixed layers kill them in milliseconds. Mutants no test can tell apart
are explained in ``tests/mutation_equivalents.json``.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from theorems.calling import call_implementation
from theorems.evidence import implementation_failure
from theorems.fold.check import (
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
from theorems.fold.statement import FOLD_CONV, FOLD_LINEAR, HYPOTHESES, ORACLES, STATEMENT
from theorems.theorem import InvalidInput


# --- the check -------------------------------------------------------------------------------


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
    # Exact: every weight, input, σ² + ε (1 and 4) and so s = (1, 1/2) is a short dyadic fraction.
    assert torch.equal(term_magnitude(case.layer, case.bn, case.x), expected)


def test_fold_tolerance_is_k_plus_eight_times_u_plus_u64_times_the_term_magnitude() -> None:
    case = linear_case()
    tolerance, reason = fold_tolerance(case)
    u = 2.0**-24 + 2.0**-53
    # Equal, not close: (k+8)(u+u64) is exact in float64 (30 significant bits), and both sides round
    # its one product with the same T once.
    assert torch.equal(tolerance, (3 + 8) * u * term_magnitude(case.layer, case.bn, case.x))
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


def test_fold_case_repr_names_layer_batchnorm_statistics_input_seed_and_every_value_of_the_formula() -> None:
    assert repr(linear_case()) == (
        "Linear(in_features=3, out_features=2, bias=True) → BatchNorm1d(2, affine=True, eps=2.5e-01, "
        "running_var∈[7.50e-01, 3.75e+00]) on x(2, 3) float32, seed=7; "
        "γ=[2, -4], β=[0.25, -0.5], μ=[1, -2], σ²=[0.75, 3.75], W=[1, -2, 0.5, 0, 3, -1], b=[0.5, -1.5], ε=0.25"
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


def test_the_fold_tolerance_asks_for_the_roundoff_of_the_cases_own_layer_and_device(monkeypatch) -> None:
    # On CUDA, float32 may run in TF32, by a flag per operation (matmul for Linear, cuDNN for
    # convolutions); the layer and the device are what tell (no GPU needed to check the call).
    import theorems.fold.check as fold

    asked: list[tuple] = []
    monkeypatch.setattr(fold, "layer_roundoff", lambda *arguments, **options: asked.append((arguments, options)) or 2.0**-24)
    case = linear_case()
    fold_tolerance(case)
    assert asked == [((case.layer, torch.float32, torch.device("cpu")), {})]


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


# --- the folded module -----------------------------------------------------------------------


@pytest.mark.parametrize("requires_grad", [True, False])
def test_a_folded_layer_keeps_the_layers_requires_grad_and_dtype(requires_grad: bool) -> None:
    case = linear_case()
    case.layer.requires_grad_(requires_grad)
    folded = fold_linear(case.layer, case.bn)
    assert folded.weight.requires_grad == folded.bias.requires_grad == requires_grad
    assert folded.weight.dtype == folded.bias.dtype == torch.float32
    assert folded is not case.layer and folded.weight is not case.layer.weight
