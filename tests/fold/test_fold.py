"""Fold equivalence (T1): the reference fold, torch's fusion utilities, the hypotheses, wrong folds."""

from __future__ import annotations

import copy

import pytest
import torch
from hypothesis import Phase, assume, find, given
from hypothesis import strategies as st
from torch import nn

from theorems.strategies.fold import conv_cases, conv_transpose_cases, linear_cases
from theorems.evidence import Evidence
from theorems.fold.findings import FINDINGS, LIBRARY_IMPLEMENTATIONS
from theorems.fold.check import (
    FoldCase,
    fold_conv,
    fold_linear,
    fold_tolerance,
    normalize_folded_into_conv,
    terms_per_output,
)
from theorems.fold.statement import FOLD_CONV, FOLD_CONV_TRANSPOSE, FOLD_LINEAR
from theorems.oracles.tolerance import U64, gamma
from theorems._engine.registry import all_wrong_implementations, get_theorem
from theorems._engine.checks import check_wrong_implementation
from theorems._engine.plan import check_settings
from theorems._engine.run import find_counterexample, run_check
from theorems.theorem import InvalidInput

CASES = {"fold-linear": linear_cases, "fold-conv": conv_cases, "fold-conv-transpose": conv_transpose_cases}
FOLDS = {"fold-linear": FOLD_LINEAR, "fold-conv": FOLD_CONV, "fold-conv-transpose": FOLD_CONV_TRANSPOSE}


def assert_holds(evidence: Evidence) -> None:
    assert evidence.holds, evidence.explain()


# --- the theorem, on the reference implementation ---------------------------------------


@given(linear_cases())
def test_folded_linear_matches_linear_then_batchnorm(case: FoldCase) -> None:
    assert_holds(FOLD_LINEAR.check_reference(case))


@given(conv_cases())
def test_folded_conv_matches_conv_then_batchnorm(case: FoldCase) -> None:
    assert_holds(FOLD_CONV.check_reference(case))


@given(conv_transpose_cases())
def test_folded_conv_transpose_matches_conv_transpose_then_batchnorm(case: FoldCase) -> None:
    assert_holds(FOLD_CONV_TRANSPOSE.check_reference(case))


# --- torch.nn.utils.fusion as a second implementation, with its recorded findings ------------


@pytest.mark.parametrize("theorem_id", [theorem_id for theorem_id in LIBRARY_IMPLEMENTATIONS if theorem_id in FOLDS])
def test_fusion_utility_matches_the_theorem_outside_its_recorded_findings(theorem_id: str) -> None:
    _, implementation = LIBRARY_IMPLEMENTATIONS[theorem_id]
    findings = [finding for finding in FINDINGS if finding.theorem_id == theorem_id]

    @given(CASES[theorem_id]())
    def fusion_holds(case: FoldCase) -> None:
        assume(not any(finding.applies(case) for finding in findings))
        assert_holds(FOLDS[theorem_id].check(implementation, case))

    fusion_holds()


@pytest.mark.parametrize("finding", [finding for finding in FINDINGS if finding.theorem_id in FOLDS], ids=lambda finding: finding.id)
def test_recorded_fusion_finding_still_reproduces_on_every_example_in_its_domain(finding) -> None:
    """If torch fixes the defect, this fails: update theorems/fold/findings.py (the record must stay true)."""
    _, implementation = LIBRARY_IMPLEMENTATIONS[finding.theorem_id]

    @given(CASES[finding.theorem_id]())
    def fusion_is_falsified(case: FoldCase) -> None:
        assume(finding.applies(case))
        evidence = FOLDS[finding.theorem_id].check(implementation, case)
        assert not evidence.holds, f"finding {finding.id} no longer reproduces on {case!r}: {evidence.explain()}"

    fusion_is_falsified()


# --- the hypotheses are needed -----------------------------------------------------------------


def breaks_fold(case: FoldCase, unfused) -> bool:
    """Whether ``unfused(layer, bn, x)`` differs from the eval-mode fold beyond the fold's tolerance."""
    with torch.no_grad():
        try:
            expected = unfused(copy.deepcopy(case.layer).double(), copy.deepcopy(case.bn).double(), case.x.double())
        except (ValueError, RuntimeError):  # e.g. train-mode BatchNorm on one value per channel
            return False
        actual = fold_conv(case.layer, case.bn)(case.x).double()
    tolerance, _ = fold_tolerance(case)
    return bool(((expected - actual).abs() > tolerance).any())


HYPOTHESIS_BREAKERS = {
    "batchnorm-in-train-mode": lambda layer, bn, x: bn.train()(layer(x)),
    "track-running-stats-false": lambda layer, bn, x: nn.BatchNorm2d(
        bn.num_features, eps=bn.eps, affine=False, track_running_stats=False, dtype=x.dtype
    ).eval()(layer(x)),
    "relu-between-layer-and-batchnorm": lambda layer, bn, x: bn(torch.relu(layer(x))),
}


@pytest.mark.parametrize("breaker", list(HYPOTHESIS_BREAKERS))
def test_fold_equivalence_fails_without_its_hypotheses(breaker: str) -> None:
    unfused = HYPOTHESIS_BREAKERS[breaker]
    counterexample = find(
        conv_cases(dims=2, affine=False),  # the strategy's own restriction: no draw is rejected
        lambda case: breaks_fold(case, unfused),
        settings=check_settings(None, 200),
    )
    print(f"{breaker}: counterexample {counterexample!r}")
    assert counterexample.x.numel() <= 64, f"the shrunk counterexample is not minimal: {counterexample!r}"


# --- the check can fail ------------------------------------------------------------------------

FOLD_WRONG = [wrong for wrong in all_wrong_implementations() if wrong.theorem_id in FOLDS]


# Each wrong fold is run as a check runs it, up to its first counterexample. The shrinking that follows a
# failure cannot change the verdict (it only looks for a smaller example that fails too), and over the 50
# wrong folds it was 10 s of the gate's CPU (0.1-0.4 s each), so it is asserted on SHRUNK alone. The
# phases are the profile's less shrinking, as the engine runs a theorem that does not shrink (run._run_settings).
# That a counterexample shrinks small is the strategy's and the shrinker's doing, the same for every wrong
# fold of a theorem; it is asserted, per theorem, on the mistakes whose failing examples are narrowest: one
# at rounding level (folded in float32), one seen only where a running variance is small (eps dropped), and
# one seen only where a layer has a rare parameter (a square weight; a padding mode; an output padding).
SHRUNK = {
    ("fold-linear", "folded-in-float32"), ("fold-linear", "eps-dropped"), ("fold-linear", "layout-from-shape"),
    ("fold-conv", "folded-in-float32"), ("fold-conv", "eps-dropped"), ("fold-conv", "rebuilt-without-padding-mode"),
    ("fold-conv-transpose", "folded-in-float32"), ("fold-conv-transpose", "eps-dropped"),
    ("fold-conv-transpose", "rebuilt-without-output-padding"),
}


@pytest.mark.slow  # the catalogue: 50 wrong folds, each checked up to its first counterexample
@pytest.mark.parametrize("wrong", FOLD_WRONG, ids=lambda wrong: f"{wrong.theorem_id}:{wrong.name}")
def test_each_wrong_fold_is_falsified(wrong) -> None:
    until_falsified = [phase for phase in check_settings(None, None).phases if phase is not Phase.shrink]
    run = run_check(get_theorem(wrong.theorem_id), wrong.implementation, max_examples=300, phases=until_falsified)
    assert run.verdict == "falsified", f"{wrong.name} ({wrong.mistake}): {run.verdict} after {run.examples} examples {run.error or ''}"


@pytest.mark.slow  # each shrunk to its minimal counterexample (0.2-0.4 s each)
@pytest.mark.parametrize("wrong", [wrong for wrong in FOLD_WRONG if (wrong.theorem_id, wrong.name) in SHRUNK], ids=lambda wrong: f"{wrong.theorem_id}:{wrong.name}")
def test_wrong_fold_is_falsified_with_a_small_counterexample(wrong) -> None:
    counterexample = find_counterexample(get_theorem(wrong.theorem_id), wrong.implementation, max_examples=300)
    assert counterexample is not None, f"{wrong.name} ({wrong.mistake}) was never falsified"
    print(counterexample.evidence.explain())
    assert counterexample.example.x.numel() <= 64, f"not shrunk: {counterexample.example!r}"


def test_the_shrunk_wrong_folds_are_in_the_catalogue() -> None:
    assert SHRUNK <= {(wrong.theorem_id, wrong.name) for wrong in FOLD_WRONG}, "a name in SHRUNK is not a wrong fold of the catalogue"


def test_a_fold_that_scales_the_input_features_of_a_square_weight_is_caught_under_ci() -> None:
    """Scaling the input features when ``in_features == out_features`` held on all 100 free ci examples.

    Right wherever the weight is not square, and square weights are rare among free
    draws; the covered class ``channels=equal`` puts one in every run.
    """
    wrong = next(wrong for wrong in FOLD_WRONG if (wrong.theorem_id, wrong.name) == ("fold-linear", "layout-from-shape"))
    caught = check_wrong_implementation(wrong, profile="ci").run
    assert caught.verdict == "falsified", caught.error
    assert FOLD_LINEAR.classify(caught.example)["channels"] == "equal"
    outside = run_check(FOLD_LINEAR, wrong.implementation, profile="ci", max_examples=20, assume={"channels": "different"})
    assert outside.verdict == "holds", "the mistake is meant to hide outside its class; see theorems/fold/catalogue.py"


# --- bad input gets a one-line answer -----------------------------------------------------------


def one_line_error(theorem_id: str, case: object) -> str:
    with pytest.raises(InvalidInput) as error:
        get_theorem(theorem_id).check_reference(case)
    assert "\n" not in str(error.value)
    return str(error.value)


def a_case(layer: nn.Module, bn: nn.Module, x_shape: tuple[int, ...]) -> FoldCase:
    return FoldCase(layer=layer.eval(), bn=bn.eval(), x=torch.randn(x_shape))


def test_check_rejects_the_wrong_kind_of_layer() -> None:
    message = one_line_error("fold-conv", a_case(nn.Linear(3, 4), nn.BatchNorm1d(4), (2, 3)))
    assert "Conv1d/Conv2d/Conv3d" in message and "Linear" in message


def test_check_rejects_mismatched_channel_counts() -> None:
    message = one_line_error("fold-conv", a_case(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(5), (1, 3, 5, 5)))
    assert "4 output channels" in message and "num_features=5" in message


def test_check_rejects_batchnorm_in_train_mode() -> None:
    case = FoldCase(layer=nn.Linear(3, 4).eval(), bn=nn.BatchNorm1d(4).train(), x=torch.randn(2, 3))
    assert "training mode" in one_line_error("fold-linear", case)


def test_check_rejects_batchnorm_without_running_statistics() -> None:
    bn = nn.BatchNorm2d(4, track_running_stats=False)
    assert "running statistics" in one_line_error("fold-conv", a_case(nn.Conv2d(3, 4, 1), bn, (1, 3, 2, 2)))


def test_check_rejects_something_that_is_not_a_case() -> None:
    assert "FoldCase" in one_line_error("fold-linear", (nn.Linear(2, 2), nn.BatchNorm1d(2)))


def test_reference_fold_rejects_a_batchnorm_of_the_wrong_dimension() -> None:
    with pytest.raises(InvalidInput, match="BatchNorm2d"):
        fold_linear(nn.Linear(2, 2), nn.BatchNorm2d(2).eval())


# --- beyond the notes: an input Normalize folds into the first conv only without padding -----


def normalize_then_conv_discrepancy(case: FoldCase, mean: torch.Tensor, std: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """|conv(normalize(x)) − folded(x)| and the fold's tolerance (BatchNorm ignored: the layer alone)."""
    layer = copy.deepcopy(case.layer).double()
    channel_shape = (1, -1) + (1,) * (case.x.dim() - 2)
    with torch.no_grad():
        expected = layer((case.x.double() - mean.reshape(channel_shape)) / std.reshape(channel_shape))
        layer_bias = torch.zeros(layer.out_channels, dtype=torch.float64) if layer.bias is None else layer.bias.detach().clone()
        weight, bias = normalize_folded_into_conv(layer.weight, layer.bias, mean, std)
        layer.weight.copy_(weight)
        layer.bias = nn.Parameter(bias)
        actual = layer(case.x.double())
        # Both sides float64 against exact, with W' = W/σ and M = |W'|⊛|x| + |c| + Σ|W'||m| (Higham's θ_j):
        # conv(normalize(x)) is within γ_(k+3)·M (2 roundings of (x−m)/σ, then a (k+1)-term sum);
        # the fold within γ_(k+2)·(|W'|⊛|x| + |c|) + γ_(2k+3)·Σ|W'||m| (W/σ rounds once; its shift
        # c − ΣW'm is a (k+1)-term sum that the conv's (k+1)-term sum adds once more). Their sum is
        # at most γ_(3k+6)·M; one more u·M covers computing M, the product and the difference.
        magnitude = copy.deepcopy(layer)
        magnitude.weight.abs_()
        magnitude.bias.copy_(layer_bias.abs() + (weight.abs() * mean.abs().reshape(channel_shape)).flatten(1).sum(1))
        k = terms_per_output(case.layer)
        tolerance = gamma(3 * k + 7, U64) * magnitude(case.x.double().abs())
    return (expected - actual).abs(), tolerance


def input_normalizations(channels: int) -> st.SearchStrategy[tuple[torch.Tensor, torch.Tensor]]:
    means = st.lists(st.floats(-1, 1), min_size=channels, max_size=channels)
    stds = st.lists(st.floats(0.1, 2), min_size=channels, max_size=channels)
    return st.tuples(means, stds).map(lambda pair: (torch.tensor(pair[0], dtype=torch.float64), torch.tensor(pair[1], dtype=torch.float64)))


@given(st.data())
def test_input_normalize_folds_into_an_unpadded_conv(data: st.DataObject) -> None:
    case = data.draw(conv_cases(grouping="none").map(_unpadded))  # groups=1, restricted by the strategy, not by rejection
    mean, std = data.draw(input_normalizations(case.layer.in_channels))
    error, tolerance = normalize_then_conv_discrepancy(case, mean, std)
    assert (error <= tolerance).all(), f"worst ratio {float((error / tolerance).max()):.3g} on {case!r}"


def _unpadded(case: FoldCase) -> FoldCase:
    layer = copy.deepcopy(case.layer)
    layer.padding = (0,) * len(layer.kernel_size)
    layer._reversed_padding_repeated_twice = [0] * (2 * len(layer.kernel_size))
    assume(all(n >= (k - 1) * d + 1 for n, k, d in zip(case.x.shape[2:], layer.kernel_size, layer.dilation)))
    return FoldCase(layer=layer, bn=case.bn, x=case.x, seed=case.seed)


def test_input_normalize_does_not_fold_into_a_zero_padded_conv() -> None:
    counterexample = find(
        # Zero padding and groups=1 restricted by the strategy; in_channels == 1 (what one mean and
        # std normalise) by rejection, of one draw in four instead of 95 in 96.
        st.tuples(conv_cases(dims=1, padding_mode="zeros", grouping="none", channels="different"), input_normalizations(1)).filter(
            lambda pair: pair[0].layer.in_channels == 1
        ),
        lambda pair: bool((lambda e, t: (e > t).any())(*normalize_then_conv_discrepancy(pair[0], *pair[1]))),
        settings=check_settings(None, 300),
    )
    print(f"the border breaks the fold: {counterexample[0]!r}, mean {counterexample[1][0].tolist()}")
    assert counterexample[0].layer.padding[0] >= 1


def identity_convolution(channels: int) -> nn.Conv2d:
    """A 1×1 convolution by the identity matrix: right numbers, one layer too many."""
    identity = nn.Conv2d(channels, channels, 1, bias=False).double()
    with torch.no_grad():
        identity.weight.copy_(torch.eye(channels, dtype=torch.float64).reshape(channels, channels, 1, 1))
    return identity


@pytest.mark.parametrize(
    ("keep", "said"),
    [
        (lambda layer, bn: nn.Sequential(copy.deepcopy(layer), copy.deepcopy(bn)).eval(), "still runs batch normalisation (aten.native_batch_norm ×1)"),
        (lambda layer, bn: nn.Sequential(fold_conv(layer, bn), identity_convolution(layer.out_channels)).eval(), "computes 2 convolutions (aten.convolution ×2)"),
    ],
    ids=["Sequential(conv, bn)", "folded, then an identity convolution"],
)
def test_a_fold_that_computes_more_than_one_layer_is_falsified_whatever_its_numbers(keep, said: str) -> None:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        conv = nn.Conv2d(2, 2, 1, bias=False).double().eval()
        bn = nn.BatchNorm2d(2).double().eval()
        case = FoldCase(layer=conv, bn=bn, x=torch.randn(1, 2, 3, 3, dtype=torch.float64))
    found = FOLD_CONV.check(keep, case)
    assert not found.holds and said in (found.failure or found.explain())


def test_a_single_layer_with_its_bias_added_afterwards_is_still_one_folded_layer() -> None:
    class BiasAfter(nn.Module):
        def __init__(self, folded: nn.Conv2d) -> None:
            super().__init__()
            self.conv = nn.Conv2d(folded.in_channels, folded.out_channels, folded.kernel_size, bias=False).to(folded.weight.dtype)
            self.conv.weight = folded.weight
            self.register_buffer("bias", folded.bias.detach().reshape(1, -1, 1, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(x) + self.bias  # aten.add: a bias, still one affine layer

    with torch.random.fork_rng():
        torch.manual_seed(1)
        conv = nn.Conv2d(2, 3, 1).double().eval()
        bn = nn.BatchNorm2d(3).double().eval()
        case = FoldCase(layer=conv, bn=bn, x=torch.randn(1, 2, 3, 3, dtype=torch.float64))
    assert FOLD_CONV.check(lambda layer, bn: BiasAfter(fold_conv(layer, bn)), case).holds
