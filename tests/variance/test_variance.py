"""Properties of T2, the variance recursion, and its ReLU variant (``theorems.variance.check``).

The statistical design (false alarms, power, sample sizes) is in the module docstring
of :mod:`theorems.variance.monte_carlo`; each random property here runs the number of examples its
false-alarm share was divided by (``EXAMPLE_FRACTIONS``).
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorems.strategies.seeding import seeds
from theorems.strategies.variance import depth_capped_widths, relu_cases, variance_cases
from theorems.variance.catalogue import WRONG_IMPLEMENTATIONS, output_layer_peeled_off, relu_output_layer_peeled_off
from theorems.profiles import scaled
from theorems._engine.run import find_counterexample
from theorems.theorem import InvalidInput
from theorems.variance.check import (
    VarianceCase,
    check_variance_by_linear_modules,
    pairwise_covariance_samples,
    uncorrelated_evidence,
    uniformity_evidence,
    zero_mean_evidence,
)
from theorems.variance.math import recursion_tolerance, relu_second_moment_by_recursion, variance_by_recursion, variance_closed_form
from theorems.variance.monte_carlo import (
    DETECTABLE_RELATIVE_ERROR,
    EXAMPLE_FRACTIONS,
    default_linear_parameters,
    end_to_end_maps_batched,
    false_alarm,
    monte_carlo_estimate,
)
from theorems.variance.statement import VARIANCE_RECURSION, VARIANCE_RECURSION_RELU

THEOREMS = {theorem.id: theorem for theorem in (VARIANCE_RECURSION, VARIANCE_RECURSION_RELU)}
LINEAR_MODULE_NETWORKS = 3000
GOODNESS_OF_FIT_SAMPLES = 10000
GOODNESS_OF_FIT_MAX_MODULES = 500
MOMENT_NETWORKS = 20000
MOMENT_MAX_WIDTH = 12


def _estimate(theorem_id: str, case: VarianceCase):
    relu = theorem_id == "variance-recursion-relu"
    return monte_carlo_estimate(case.widths, case.inputs, relu, case.seed, false_alarm(theorem_id, "check"))


@pytest.mark.slow
@settings(scaled(EXAMPLE_FRACTIONS["check"]))
@given(variance_cases())
def test_predicted_variance_matches_monte_carlo_with_power_to_detect_a_two_percent_error(case: VarianceCase) -> None:
    evidence = VARIANCE_RECURSION.check_reference(case)
    assert evidence.holds, evidence.explain()
    estimate = _estimate("variance-recursion", case)
    assert estimate.detectable_relative_error <= DETECTABLE_RELATIVE_ERROR, estimate


@pytest.mark.slow
@settings(scaled(EXAMPLE_FRACTIONS["check"]))
@given(relu_cases())
def test_relu_pre_activation_second_moment_matches_monte_carlo_with_power_to_detect_a_two_percent_error(
    case: VarianceCase,
) -> None:
    evidence = VARIANCE_RECURSION_RELU.check_reference(case)
    assert evidence.holds, evidence.explain()
    estimate = _estimate("variance-recursion-relu", case)
    assert estimate.detectable_relative_error <= DETECTABLE_RELATIVE_ERROR, estimate


@given(depth_capped_widths())
def test_closed_form_equals_the_recursion(widths: tuple[int, ...]) -> None:
    assert abs(variance_closed_form(widths) - variance_by_recursion(widths)) <= recursion_tolerance(widths)


@pytest.mark.slow
@settings(scaled(EXAMPLE_FRACTIONS["linear-modules"]))
@given(st.builds(VarianceCase, widths=depth_capped_widths(max_depth=3), seed=seeds))
def test_predicted_variance_matches_monte_carlo_over_default_linear_layers(case: VarianceCase) -> None:
    evidence = check_variance_by_linear_modules(variance_by_recursion, case, networks=LINEAR_MODULE_NETWORKS)
    assert evidence.holds, evidence.explain()


@pytest.mark.slow
@settings(scaled(EXAMPLE_FRACTIONS["goodness-of-fit"]))
@given(fan_in=st.integers(1, 256), fan_out=st.integers(1, 256), seed=seeds)
def test_default_linear_weights_and_biases_are_uniform_with_bound_inverse_sqrt_fan_in(fan_in: int, fan_out: int, seed: int) -> None:
    modules = min(GOODNESS_OF_FIT_MAX_MODULES, math.ceil(GOODNESS_OF_FIT_SAMPLES / fan_out))
    weights, biases = default_linear_parameters(fan_in, fan_out, modules, seed=seed)
    alpha = false_alarm("variance-recursion", "goodness-of-fit")
    example = f"{modules} × nn.Linear({fan_in}, {fan_out}), seed={seed}"
    for what, values in (("weight", weights), ("bias", biases)):
        evidence = uniformity_evidence("variance-recursion", example, what, values, 1 / math.sqrt(fan_in), alpha)
        assert evidence.holds, evidence.explain()


@settings(scaled(EXAMPLE_FRACTIONS["mean"]))
@given(widths=depth_capped_widths(max_depth=4, max_width=MOMENT_MAX_WIDTH), seed=seeds)
def test_output_mean_is_zero(widths: tuple[int, ...], seed: int) -> None:
    matrix, offset = end_to_end_maps_batched(widths, MOMENT_NETWORKS, generator=torch.Generator().manual_seed(seed))
    evidence = zero_mean_evidence(
        "variance-recursion", f"widths={list(widths)}, seed={seed}", "E y_L (averaged over coordinates)",
        offset.mean(dim=1), false_alarm("variance-recursion", "mean"), math.sqrt(variance_by_recursion(widths)),
    )
    assert evidence.holds, evidence.explain()


@settings(scaled(EXAMPLE_FRACTIONS["uncorrelated"]))
@given(widths=depth_capped_widths(max_depth=4, max_width=MOMENT_MAX_WIDTH).filter(lambda widths: widths[-1] >= 2), seed=seeds)
def test_distinct_output_coordinates_are_uncorrelated(widths: tuple[int, ...], seed: int) -> None:
    matrix, offset = end_to_end_maps_batched(widths, MOMENT_NETWORKS, generator=torch.Generator().manual_seed(seed))
    # Each pair on its own: an average over pairs would let opposite covariances cancel.
    evidence = uncorrelated_evidence(
        "variance-recursion", f"widths={list(widths)}, seed={seed}", pairwise_covariance_samples(matrix, offset),
        false_alarm("variance-recursion", "uncorrelated"), variance_by_recursion(widths),
    )
    assert evidence.holds, evidence.explain()


def test_opposite_covariances_of_two_pairs_do_not_cancel() -> None:
    # Cov(y_0, y_1) = +c and Cov(y_0, y_2) = −c: the average over pairs is 0, each pair is not.
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(20000, 3, dtype=torch.float64, generator=generator)
    y = torch.stack([z[:, 0], 0.6 * z[:, 0] + 0.8 * z[:, 1], -0.6 * z[:, 0] + 0.8 * z[:, 2]], dim=1)
    samples = pairwise_covariance_samples(torch.zeros(20000, 3, 1, dtype=torch.float64), y)
    assert abs(float(samples[:, 0].mean() + samples[:, 1].mean())) < 0.05  # pairs (0, 1) and (0, 2) cancel in a sum
    assert not uncorrelated_evidence("variance-recursion", "opposite pairs", samples, 1e-9, 1.0).holds


@pytest.mark.parametrize("wrong", WRONG_IMPLEMENTATIONS, ids=lambda wrong: f"{wrong.theorem_id}:{wrong.name}")
def test_wrong_variance_implementation_is_falsified_on_a_small_example(wrong) -> None:
    counterexample = find_counterexample(THEOREMS[wrong.theorem_id], wrong.implementation)
    assert counterexample is not None, f"{wrong.name} ({wrong.mistake}) was not falsified"
    assert not counterexample.evidence.holds
    widths = counterexample.example.widths
    assert len(widths) <= 3 and max(widths) <= 3, counterexample.evidence.explain()


@pytest.mark.parametrize(
    "widths",
    [None, "3,4", 5, [], [3], [0, 2], [2, 0], [-1, 2], [2.5, 3], [2, 3.0], ["2", 3], [True, 2], [2, None]],
)
def test_bad_widths_raise_invalid_input_with_a_one_line_message(widths) -> None:
    with pytest.raises(InvalidInput) as raised:
        variance_by_recursion(widths)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("theorem_id", "case"),
    [
        ("variance-recursion", (1, 1)),
        ("variance-recursion", VarianceCase(widths=(1, 0))),
        ("variance-recursion", VarianceCase(widths=(2, 2), inputs="cauchy")),
        ("variance-recursion-relu", VarianceCase(widths=(2, 2), inputs="exact")),
        ("variance-recursion", VarianceCase(widths=(2, 2), seed=-1)),
    ],
)
def test_bad_examples_raise_invalid_input_with_a_one_line_message(theorem_id: str, case) -> None:
    with pytest.raises(InvalidInput) as raised:
        THEOREMS[theorem_id].check(variance_by_recursion, case)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("implementation", "said"),
    [(lambda widths: 1 / 0, "raised ZeroDivisionError"), (lambda widths: math.nan, "finite"), (lambda widths: "0.5", "expected a float")],
)
def test_an_implementation_that_fails_outright_is_falsified_in_words(implementation, said: str) -> None:
    evidence = VARIANCE_RECURSION.check(implementation, VarianceCase(widths=(1, 1)))
    assert not evidence.holds and said in evidence.failure


def test_a_change_of_pytorchs_default_init_falsifies_the_theorems_own_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify`` runs the theorem's check, whose oracle is a batched sampler of the law this
    project states for nn.Linear; the check tests that law against the live library in the
    same run, so a changed default (here He-uniform, kaiming_uniform with a=0) makes it fail."""
    from theorems._engine.checks import check_implementation

    def he_uniform(self: torch.nn.Linear) -> None:
        torch.nn.init.kaiming_uniform_(self.weight, a=0)
        torch.nn.init.uniform_(self.bias, -math.sqrt(6 / self.in_features), math.sqrt(6 / self.in_features))

    assert check_implementation(VARIANCE_RECURSION, variance_by_recursion, profile="ci", max_examples=3).passed
    monkeypatch.setattr(torch.nn.Linear, "reset_parameters", he_uniform)
    result = check_implementation(VARIANCE_RECURSION, variance_by_recursion, profile="ci", max_examples=3)
    assert result.run.verdict == "falsified"
    assert "live default nn.Linear" in result.run.counterexample.expected


@pytest.mark.parametrize(
    ("wrong", "reference"),
    [(output_layer_peeled_off, variance_by_recursion), (relu_output_layer_peeled_off, relu_second_moment_by_recursion)],
    ids=lambda function: function.__name__,
)
@given(widths=depth_capped_widths())
def test_a_mistake_hidden_in_depth_one_equals_the_recursion_on_every_deeper_network(wrong, reference, widths: tuple[int, ...]) -> None:
    # Bit for bit from two layers on (the same operations in the same order), so no check
    # of a deep network can tell it from the recursion; the depth-1 covering rows do.
    if len(widths) > 2:
        assert wrong(widths) == reference(widths)
    else:
        assert abs(wrong(widths) - reference(widths)) > DETECTABLE_RELATIVE_ERROR * reference(widths)
