"""Exact tests of ``theorems.variance`` (T2, the variance recursion and its ReLU variant): its math, Monte Carlo and check.

The statistical properties of ``test_variance.py`` compare sampled means with wide,
false-alarm-controlled bands, so they cannot see a sign flipped on a symmetric law, a
sampler that ignores its generator, or the wording of a result. The tests here pin
those facts exactly: the two batched samplers draw the same networks from the same
generator, the ``nn.Linear`` sampler's map is the network's own forward pass, the
derived tolerances have their documented closed forms, the work is cut into the
documented chunks, each check spends its share of the false-alarm budget, and a
check's evidence names the right theorem, example and numbers. Every sampler runs on a
seeded generator, so nothing here can fail by chance.

Why such exact tests exist: mutation testing (``make mutation``) finds the mutants the
properties cannot tell apart from the original; these tests kill them in
milliseconds. The statistics the checks call are pinned in ``test_exact_statistics.py``;
mutants no test can tell apart are explained in ``tests/mutation_equivalents.json``.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from theorems.variance import check as variance
from theorems.evidence import implementation_failure
from theorems.oracles.false_alarms import per_check_false_alarm
from theorems.variance.monte_carlo import SHARES
from theorems.profiles import loaded_profile_examples, scaled
from theorems.variance.statement import VARIANCE_RECURSION, VARIANCE_RECURSION_RELU
from theorems.oracles.statistics import MonteCarloEstimate, z_critical_values
from theorems.strategies.seeding import seeds, torch_seeded
from theorems.strategies.variance import depth_capped_widths
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import UNIT_ROUNDOFF, gamma
from theorems.variance.check import (
    CALIBRATION_WIDTHS,
    VarianceCase,
    random_checks,
    check_variance_by_linear_modules,
    estimate_evidence,
    prediction,
    require_case,
    uniformity_evidence,
    zero_mean_evidence,
)
from theorems.variance.math import (
    recursion_tolerance,
    relu_second_moment_by_recursion,
    require_widths,
    variance_by_recursion,
    variance_closed_form,
)
from theorems.variance.monte_carlo import (
    CHECKS_PER_EXAMPLE,
    CHUNK_WORK,
    DETECTABLE_RELATIVE_ERROR,
    EXAMPLE_FRACTIONS,
    INPUTS_PER_NETWORK,
    POWER,
    SUB_SHARES,
    _chunked,
    _inputs,
    end_to_end_maps_batched,
    end_to_end_maps_from_linear_modules,
    false_alarm,
    monte_carlo_estimate,
    second_moments_batched,
    work_per_network,
)


U = UNIT_ROUNDOFF[torch.float64]
NETWORKS = 16
small_widths = depth_capped_widths(max_depth=4, max_width=5)


# The sampler properties are exact (no false alarms to budget), and their explicit examples
# already reach every branch: a quarter of the profile's examples keeps the file fast.
SAMPLER_EXAMPLES = 0.25


# --- the batched end-to-end sampler ----------------------------------------------------------


@settings(scaled(SAMPLER_EXAMPLES))
@given(small_widths, seeds)
# Depth 2 and n_0 = 3: a bias added to the wrong column, or assigned instead of added,
# only shows once a second layer multiplies the first one's bias and n_0 > 1.
@example((3, 2, 2), 0)
def test_batched_end_to_end_maps_are_the_networks_the_batched_second_moment_sampler_draws(
    widths: tuple[int, ...], seed: int
) -> None:
    """``end_to_end_maps_batched`` and ``second_moments_batched(inputs="exact")`` read the same
    generator in the same order (per layer: weights, then biases, each U(−1/√fan_in, 1/√fan_in)),
    so from one seed they draw the same networks and ``T = (|M|_F² + |c|²)/n_L`` agrees.

    Both compute the same matrices bit for bit (the first layer applied to ``[I | 0]`` is
    ``[A_1 | b_1]`` exactly); they differ only in how the ``k = n_L(n_0 + 1)`` non-negative
    squares are summed, and then divided by ``n_L``: each result is within ``γ_k`` of the
    exact ``T``, so they differ by at most ``2γ_k T``.
    """
    matrix, offset = end_to_end_maps_batched(widths, NETWORKS, generator=torch.Generator().manual_seed(seed))
    assert matrix.shape == (NETWORKS, widths[-1], widths[0]) and offset.shape == (NETWORKS, widths[-1])
    from_maps = (matrix.pow(2).sum(dim=(1, 2)) + offset.pow(2).sum(dim=1)) / widths[-1]
    sampled = second_moments_batched(widths, NETWORKS, inputs="exact", relu=False, generator=torch.Generator().manual_seed(seed))
    terms = widths[-1] * (widths[0] + 1)
    assert torch.all((from_maps - sampled).abs() <= 2 * gamma(terms, U) * sampled), (from_maps, sampled)


def test_batched_end_to_end_maps_draw_only_from_the_generator_they_are_given() -> None:
    """Same seed, same maps, bit for bit; and the global generator is neither read nor advanced."""
    before = torch.random.get_rng_state()
    first = end_to_end_maps_batched((3, 2, 2), NETWORKS, generator=torch.Generator().manual_seed(5))
    second = end_to_end_maps_batched((3, 2, 2), NETWORKS, generator=torch.Generator().manual_seed(5))
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_a_one_layer_batched_map_is_the_weights_then_the_biases_its_generator_draws() -> None:
    """For ``L = 1``, ``(M, c) = (A_1, b_1)``: the generator's first draw, ``U(−½, ½)`` weights for
    ``n_0 = 4``, then the biases (``rand·2b − b`` with ``b = 1/√4``, exact in float64).

    Pins what the statistical properties cannot see, as ``±b_1`` and ``±A_1`` have one law:
    the sign of the bias, the bound ``1/√n_0``, and which draw is which.
    """
    generator = torch.Generator().manual_seed(7)
    weights = torch.rand((NETWORKS, 3, 4), generator=generator, dtype=torch.float64) * 1.0 - 0.5
    biases = torch.rand((NETWORKS, 3, 1), generator=generator, dtype=torch.float64) * 1.0 - 0.5
    matrix, offset = end_to_end_maps_batched((4, 3), NETWORKS, generator=torch.Generator().manual_seed(7))
    assert torch.equal(matrix, weights) and torch.equal(offset, biases[:, :, 0])


# --- the nn.Linear sampler -------------------------------------------------------------------


@settings(scaled(SAMPLER_EXAMPLES))
@given(depth_capped_widths(max_depth=3, max_width=4), seeds)
@example((2, 1), 0)
def test_a_linear_module_map_is_the_forward_pass_of_the_default_linear_layers_its_seed_builds(
    widths: tuple[int, ...], seed: int
) -> None:
    """Network ``k`` of ``end_to_end_maps_from_linear_modules(widths, 2, seed=s)`` is the
    ``k``-th chain of default ``nn.Linear`` layers built after seeding the global generator
    with ``s``: ``M_k x + c_k`` equals that chain's output (in float64), and the global
    generator is left as it was.

    Both sides evaluate the same affine maps in a different order; by Higham's
    ``(1+θ_a)(1+θ_b) = 1+θ_{a+b}`` each is within ``γ_K`` of the exact value times the
    same network evaluated on ``|W|, |b|, |x|``, with ``K = Σ_l (n_{l−1} + 1) + n_0 + 1``
    (every inner product of every layer, plus ``M x + c`` itself); so they differ by at
    most ``2γ_K`` times that.
    """
    before = torch.random.get_rng_state()
    matrix, offset = end_to_end_maps_from_linear_modules(widths, 2, seed=seed)
    assert torch.equal(torch.random.get_rng_state(), before)
    with torch_seeded(seed), torch.no_grad():
        chains = [nn.Sequential(*[nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])]).double() for _ in range(2)]
    x = torch.linspace(-1.0, 2.0, widths[0], dtype=torch.float64)
    terms = sum(fan_in + 1 for fan_in in widths[:-1]) + widths[0] + 1
    for k, chain in enumerate(chains):
        with torch.no_grad():
            expected = chain(x)
            size = x.abs()
            for layer in chain:
                size = layer.weight.abs() @ size + layer.bias.abs()
        actual = matrix[k] @ x + offset[k]
        assert torch.all((actual - expected).abs() <= 2 * gamma(terms, U) * size), (actual, expected)


# --- the check over nn.Linear modules --------------------------------------------------------


def test_the_linear_module_check_compares_with_the_mean_of_t_over_its_networks() -> None:
    """The check's error is ``|v_L − T̄|`` with ``T = (|M|_F² + |c|²)/n_L`` over the networks its seed
    builds (widths 2, 3, 2: dividing by ``n_1 = 3`` instead of ``n_L = 2`` would show)."""
    case = VarianceCase(widths=(2, 3, 2), seed=3)
    found = check_variance_by_linear_modules(variance_by_recursion, case, networks=50)
    matrix, offset = end_to_end_maps_from_linear_modules(case.widths, 50, seed=3)
    mean = float(((matrix.pow(2).sum(dim=(1, 2)) + offset.pow(2).sum(dim=1)) / 2).mean())
    assert (found.theorem_id, found.example) == ("variance-recursion", repr(case))
    assert found.error == abs(variance_by_recursion(case.widths) - mean)
    assert found.expected.endswith("(Monte Carlo over 50 nn.Linear networks)")


def test_the_linear_module_check_names_its_theorem_the_example_and_how_an_implementation_failed() -> None:
    case = VarianceCase(widths=(1, 1), seed=2)
    found = check_variance_by_linear_modules(lambda widths: 1 / 0, case, networks=4)
    assert (found.theorem_id, found.example, found.failure) == (
        "variance-recursion", "VarianceCase(widths=[1, 1], inputs='exact', seed=2)", "raised ZeroDivisionError: division by zero"
    )


def test_the_linear_module_check_refuses_a_bad_example_naming_the_linear_theorem() -> None:
    with pytest.raises(InvalidInput) as raised:
        check_variance_by_linear_modules(variance_by_recursion, (1, 1), networks=4)
    assert str(raised.value) == "variance-recursion checks a VarianceCase(widths, inputs, seed), got tuple"
    with pytest.raises(InvalidInput) as raised:
        check_variance_by_linear_modules(variance_by_recursion, VarianceCase(widths=(1, 1), inputs="cauchy"), networks=4)
    assert str(raised.value) == (
        "inputs='cauchy' is not an input law for variance-recursion; expected one of exact, gaussian, rademacher, uniform"
    )


# --- the z-test of a zero mean ---------------------------------------------------------------


def test_zero_mean_evidence_is_a_z_test_with_the_sample_standard_error() -> None:
    """Samples 1, 2, 3, 6: mean 3, unbiased variance 14/3, SE = √(14/3)/2; at α = 0.05 the band is
    z_{0.025}·SE, and the detectable mean (z_{α/2} + z_β)·SE is reported in units of the scale 4.

    Every intermediate is exact in float64 except 14/3, its square root and the product by
    z (three roundings), so the band agrees with the formula to within ``γ_3``.
    """
    found = zero_mean_evidence("t", "e", "E y", torch.tensor([1.0, 2.0, 3.0, 6.0], dtype=torch.float64), 0.05, 4.0)
    z_alarm, z_power = z_critical_values(0.05, POWER)
    assert z_alarm == pytest.approx(1.959964, abs=5e-7) and z_power == pytest.approx(2.326348, abs=5e-7)
    assert (found.theorem_id, found.example, found.expected) == ("t", "e", "E y = 0")
    assert found.actual == "3.000e+00 (mean over 4 networks, SE 1.08e+00)"
    assert found.error == 3.0
    assert found.tolerance == pytest.approx(z_alarm * math.sqrt(14 / 3) / 2, rel=gamma(3, U), abs=0)
    assert found.tolerance_reason == (
        "z_(α/2)·SE = 1.96·1.08e+00: false alarm α=5.0e-02; detects 115.74% of 4 with probability 0.99"
    )
    # 3 > 1.96·1.08 = 2.12: a mean of 3 from these samples is rejected.
    assert not found.holds and POWER == 0.99


def test_zero_mean_evidence_of_the_test_suite_uses_the_theorems_false_alarm_share() -> None:
    """At the suite's own α the band is still z_{α/2}·SE: 200 pairs ±1 have mean 0, unbiased variance
    400/399 and SE = √(400/399)/20 (the sums are exact; the roundings are in 400/399, two square
    roots, the division and the product by z, and torch's reduction; ``γ_8`` covers them)."""
    samples = torch.tensor([1.0, -1.0] * 200, dtype=torch.float64)
    alpha = false_alarm("variance-recursion", "mean")
    found = zero_mean_evidence("variance-recursion", "x", "E y", samples, alpha, 1.0)
    z_alarm, _ = z_critical_values(alpha, POWER)
    assert found.error == 0.0 and found.holds
    assert found.tolerance == pytest.approx(z_alarm * math.sqrt(400 / 399) / 20, rel=gamma(8, U), abs=0)


# --- the tolerance of the closed form against the recursion ----------------------------------


@given(depth_capped_widths())
def test_recursion_tolerance_is_four_l_plus_two_unit_roundoffs_of_the_variance(widths: tuple[int, ...]) -> None:
    """``4(L+2)u·v_L`` with ``L + 1 = len(widths)``: two orders of summing ``L + 1`` positive terms."""
    depth = len(widths) - 1
    assert recursion_tolerance(widths) == 4 * (depth + 2) * 2.0**-53 * variance_closed_form(widths)


# --- the Kolmogorov–Smirnov test of uniformity -----------------------------------------------


def test_uniformity_evidence_is_the_ks_distance_against_its_exact_critical_value() -> None:
    """Samples 1.5, −1, 0, 1 against U(−2, 2): the CDF there is ⅞, ¼, ½, ¾, so
    ``D = max(i/4 − F, F − (i−1)/4) = ¼`` (attained at −1), and the exact two-sided p-value for
    n = 4 is ``P(D_4 ≥ ¼) = 29/32 ≈ 0.91``. The band is ``kstwo.isf(α, 4)`` and the reported
    detectable distance is the DKW–Massart ``√(ln(2/α)/2n) + √(ln(2/β)/2n)`` = 1.493 at α = 0.05.
    """
    from scipy import stats

    samples = torch.tensor([1.5, -1.0, 0.0, 1.0], dtype=torch.float64)
    found = uniformity_evidence("t", "e", "weight", samples, 2.0, 0.05)
    assert (found.theorem_id, found.example, found.expected) == ("t", "e", "weight ~ U(−2, 2)")
    assert found.actual == "KS distance D=0.25 over 4 values, p=0.91, max |value|=1.5"
    assert found.error == 0.25 and found.tolerance == float(stats.kstwo.isf(0.05, 4))
    assert found.tolerance_reason == (
        "exact KS critical value at α=5.0e-02 for n=4; detects a CDF 1.493 away (sup norm) with probability 0.99"
    )
    assert found.holds


# --- the calibration experiment's view of the check ------------------------------------------


def test_the_calibration_checks_name_both_theorems_their_two_percent_error_and_their_stated_alpha() -> None:
    """``random_checks()`` is built when called (by ``tools.calibration``, not by these tests): building
    it here is what exercises the builder."""
    linear, relu, *_ = random_checks()
    for check, theorem_id in ((linear, "variance-recursion"), (relu, "variance-recursion-relu")):
        assert check.name == f"{theorem_id}: batched Monte Carlo, widths [3, 3, 3, 3]"
        assert (check.theorem_id, check.detectable, check.stated_power) == (theorem_id, "2% relative", 0.99)
        assert check.stated_alpha() == false_alarm(theorem_id, "check")


@pytest.mark.parametrize(("index", "relu", "law"), [(0, False, "exact"), (1, True, "gaussian")])
def test_a_calibration_alarm_is_the_checks_verdict_on_the_exact_value_or_one_two_percent_too_large(
    monkeypatch: pytest.MonkeyPatch, index: int, relu: bool, law: str
) -> None:
    """``alarm(seed, α, wrong)`` asks the batched estimate on ``CALIBRATION_WIDTHS`` (with the
    theorem's input law, ReLU or not, the seed and α it is given) whether the exact value, or
    the value ``1 + DETECTABLE_RELATIVE_ERROR`` times it, lies outside ``mean ± z·SE``.

    The estimate is replaced by one centred on the 2 %-too-large value, so every verdict is
    exact: that value is inside any band; the exact value is outside a band of half its
    distance, and inside a band whose edge it sits on (an error equal to the tolerance holds,
    as ``Evidence.holds`` has it, ratio ≤ 1).
    """
    exact = (relu_second_moment_by_recursion if relu else variance_by_recursion)(CALIBRATION_WIDTHS)
    centre = exact * (1 + DETECTABLE_RELATIVE_ERROR)
    distance = abs(exact - centre)
    calls: list[tuple] = []
    half_width = distance / 2

    def estimate(widths, inputs, relu_, seed, alpha) -> MonteCarloEstimate:
        calls.append((widths, inputs, relu_, seed, alpha))
        return MonteCarloEstimate(centre, half_width, 1000, alpha, POWER, 1.0, 0.02)

    monkeypatch.setattr(variance, "monte_carlo_estimate", estimate)
    alarm = random_checks()[index].alarm
    assert alarm(11, 0.25, True) is False
    assert alarm(11, 0.25, False) is True
    half_width = distance
    assert alarm(12, 0.5, False) is False
    assert calls == [((3, 3, 3, 3), law, relu, 11, 0.25)] * 2 + [((3, 3, 3, 3), law, relu, 12, 0.5)]


# --- the batched second-moment sampler on sampled inputs -------------------------------------


def forward_pass_statistic(widths: tuple[int, ...], networks: int, law: str, relu: bool, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``T`` by a plain per-network, per-input loop, reading the generator in the documented order
    (the inputs, then for each layer all networks' weights and then their biases), and the
    same network run on ``|x|, |W|, |b|`` (the size of the terms, for the roundoff bound)."""
    generator = torch.Generator().manual_seed(seed)
    shape = (networks, widths[0], INPUTS_PER_NETWORK)
    if law == "gaussian":
        x = torch.randn(shape, generator=generator, dtype=torch.float64)
    elif law == "rademacher":
        x = torch.randint(0, 2, shape, generator=generator).to(torch.float64) * 2 - 1
    else:
        x = (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1) * math.sqrt(3)
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        bound = 1 / math.sqrt(fan_in)
        weight = torch.rand((networks, fan_out, fan_in), generator=generator, dtype=torch.float64) * (2 * bound) - bound
        bias = torch.rand((networks, fan_out, 1), generator=generator, dtype=torch.float64) * (2 * bound) - bound
        layers.append((weight, bias[:, :, 0]))
    statistic, size = torch.zeros(networks, dtype=torch.float64), torch.zeros(networks, dtype=torch.float64)
    for k in range(networks):
        h, s = x[k], x[k].abs()  # one column per input
        for layer, (weight, bias) in enumerate(layers, start=1):
            h, s = weight[k] @ h + bias[k, :, None], weight[k].abs() @ s + bias[k, :, None].abs()
            if relu and layer < len(layers):
                h = h.clamp_min(0)
        statistic[k] = h.pow(2).mean()
        size[k] = s.pow(2).mean()
    return statistic, size


@settings(scaled(SAMPLER_EXAMPLES))
@given(depth_capped_widths(max_depth=3, max_width=4), st.sampled_from(["gaussian", "rademacher", "uniform"]), st.booleans(), seeds)
@example((2, 3, 2), "gaussian", True, 0)
@example((2, 3, 2), "rademacher", False, 1)
@example((3, 2, 2), "uniform", True, 2)
def test_the_batched_statistic_on_sampled_inputs_is_the_forward_pass_of_the_networks_it_draws(
    widths: tuple[int, ...], law: str, relu: bool, seed: int
) -> None:
    """``second_moments_batched`` is ``|y_L|²/n_L`` averaged over its ``INPUTS_PER_NETWORK`` inputs,
    with ReLU between layers and none after the last (``z_L`` is a pre-activation).

    The two evaluations differ only in rounding: each output is within ``γ_K s`` of the exact one
    (``K = Σ_l (n_{l−1} + 1)``, ``s`` the network on absolute values; ReLU is exact and 1-Lipschitz),
    so each squared coordinate within ``(2 + γ_K)γ_K s²`` and each average within
    ``(2.01γ_K + γ_{m+1})·mean(s²)`` with ``m = n_L·INPUTS_PER_NETWORK`` terms; twice that bounds
    the difference.
    """
    networks = 3
    expected, size = forward_pass_statistic(widths, networks, law, relu, seed)
    actual = second_moments_batched(widths, networks, inputs=law, relu=relu, generator=torch.Generator().manual_seed(seed))
    terms = sum(fan_in + 1 for fan_in in widths[:-1])
    tolerance = 2 * (2.01 * gamma(terms, U) + gamma(widths[-1] * INPUTS_PER_NETWORK + 1, U)) * size
    assert torch.all((actual - expected).abs() <= tolerance), (actual, expected)


def test_the_exact_input_law_is_the_identity_and_a_zero_column_for_every_network() -> None:
    basis = _inputs("exact", 3, 2, torch.Generator())
    assert basis.dtype == torch.float64
    assert torch.equal(basis, torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=torch.float64).expand(3, 2, 3))


def test_an_unknown_input_law_is_refused_naming_the_laws() -> None:
    with pytest.raises(InvalidInput) as raised:
        _inputs("cauchy", 2, 2, torch.Generator())
    assert str(raised.value) == "inputs='cauchy' is not an input law; expected one of exact, gaussian, rademacher, uniform"


# --- how the work is cut into chunks and sized -----------------------------------------------


def test_networks_are_sampled_in_chunks_of_chunk_work_over_the_work_per_network() -> None:
    """10 networks at a third of ``CHUNK_WORK`` each: chunks of 3, 3, 3 and 1, concatenated in order;
    none at all is an empty float64 tensor, and a network costing more than ``CHUNK_WORK`` is its own chunk."""
    calls: list[int] = []

    def sample(count: int) -> torch.Tensor:
        calls.append(count)
        return torch.arange(len(calls) * 10.0, len(calls) * 10.0 + count, dtype=torch.float64)

    assert _chunked(sample, 10, int(CHUNK_WORK // 3)).tolist() == [10.0, 11.0, 12.0, 20.0, 21.0, 22.0, 30.0, 31.0, 32.0, 40.0]
    assert calls == [3, 3, 3, 1]
    empty = _chunked(sample, 0, 1)
    assert empty.dtype == torch.float64 and empty.shape == (0,) and calls == [3, 3, 3, 1]
    assert _chunked(sample, -2, 1).shape == (0,)
    calls.clear()
    _chunked(sample, 2, int(CHUNK_WORK * 5))
    assert calls == [1, 1]
    calls.clear()
    assert _chunked(sample, 1, 1).tolist() == [10.0] and calls == [1]


def test_networks_costing_one_multiply_add_are_sampled_chunk_work_at_a_time() -> None:
    """Widths [1, 1] with exact inputs cost one multiply-add a network: 4·10⁶ of them a chunk."""
    assert work_per_network((1, 1), "exact") == 1
    calls: list[int] = []

    def sample(count: int) -> torch.Tensor:
        calls.append(count)
        return torch.zeros(0, dtype=torch.float64)

    _chunked(sample, int(CHUNK_WORK) + 1, 1)
    _chunked(sample, 3, 0)
    assert calls == [int(CHUNK_WORK), 1, 3]


def test_work_per_network_counts_weights_products_and_input_draws() -> None:
    """Widths 2, 3, 4: 6 + 12 = 18 weights. Exact inputs: the first layer is [A_1 | b_1] without a
    product, the second multiplies 12 weights into n_0 + 1 = 3 columns: 18 + 36 = 54. Sampled inputs:
    every weight meets 8 columns, and 2·8 input numbers cost 4 each: 18 + 144 + 64 = 226."""
    assert work_per_network((2, 3, 4), "exact") == 54
    assert work_per_network((2, 3, 4), "gaussian") == 226
    assert work_per_network((5, 1), "exact") == 5
    assert work_per_network((5, 1), "uniform") == 5 + 5 * 8 + 4 * 5 * 8


# --- the estimate's evidence and the false-alarm budget --------------------------------------


def test_estimate_evidence_states_the_band_the_prediction_and_the_power() -> None:
    estimate = MonteCarloEstimate(0.5, 0.01, 100, 1e-8, POWER, 5.73, 0.0123)
    found = estimate_evidence("t", "e", 0.25, estimate, "batched")
    assert (found.theorem_id, found.example, found.error, found.tolerance) == ("t", "e", 0.25, 5.73 * 0.01)
    assert found.expected == "0.5 ± 0.057 (Monte Carlo over 100 batched networks)"
    assert found.actual == "0.25"
    assert found.tolerance_reason == (
        "z_(α/2)·SE = 5.73·1.00e-02: false alarm α=1.0e-08; detects a 1.23% relative error with probability 0.99"
    )


@pytest.mark.parametrize("theorem_id", ["variance-recursion", "variance-recursion-relu"])
def test_each_check_spends_its_share_of_the_budget_over_the_examples_that_run_it(theorem_id: str) -> None:
    """``α = share / (⌈examples·fraction⌉ · checks per example) · sub-share`` (Bonferroni over the
    examples the property runs, split across the theorem's checks)."""
    for check, fraction in EXAMPLE_FRACTIONS.items():
        examples = max(1, math.ceil(loaded_profile_examples() * fraction))
        expected = SHARES[theorem_id] / (examples * CHECKS_PER_EXAMPLE.get(check, 1)) * SUB_SHARES[check]
        assert false_alarm(theorem_id, check) == pytest.approx(expected, rel=4 * U, abs=0)
    assert CHECKS_PER_EXAMPLE == {"goodness-of-fit": 2}


# --- what a check accepts, and how it reports a failed implementation ------------------------


@pytest.mark.parametrize(
    ("widths", "message"),
    [
        (None, "widths must be a sequence of positive ints [n_0, ..., n_L], got NoneType"),
        ("3,4", "widths must be a sequence of positive ints [n_0, ..., n_L], got str"),
        (b"34", "widths must be a sequence of positive ints [n_0, ..., n_L], got bytes"),
        ([3], "widths needs at least two entries (n_0 and n_1), got [3]"),
        ([2.5, 3], "widths[0]=2.5 must be an int"),
        ([2, True], "widths[1]=True must be an int"),
        ([2, 0], "widths[1]=0 must be at least 1"),
    ],
)
def test_require_widths_names_what_is_wrong(widths, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        require_widths(widths)
    assert str(raised.value) == message


def test_require_widths_accepts_two_widths_of_one_and_integral_types_as_ints() -> None:
    import numpy as np

    assert require_widths([1, 1]) == (1, 1)
    found = require_widths([np.int64(2), 3])
    assert found == (2, 3) and all(type(width) is int for width in found)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (VarianceCase((2, 2), inputs="exact"), "inputs='exact' is not an input law for variance-recursion-relu; expected one of gaussian, rademacher, uniform"),
        (VarianceCase((2, 2), inputs="gaussian", seed=2**63), "seed=9223372036854775808 must be an int in [0, 2**63)"),
        (VarianceCase((2, 2), inputs="gaussian", seed=-1), "seed=-1 must be an int in [0, 2**63)"),
        (VarianceCase((2, 2), inputs="gaussian", seed=True), "seed=True must be an int in [0, 2**63)"),
        (VarianceCase((2, 2), inputs="gaussian", seed=1.0), "seed=1.0 must be an int in [0, 2**63)"),
        ((2, 2), "variance-recursion-relu checks a VarianceCase(widths, inputs, seed), got tuple"),
    ],
)
def test_require_case_names_what_is_wrong_with_an_example(case, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        require_case("variance-recursion-relu", case, relu=True)
    assert str(raised.value) == message


def test_require_case_accepts_the_extreme_seeds_and_widths_and_returns_the_case() -> None:
    for seed in (0, 2**63 - 1):
        case = VarianceCase((1, 1), inputs="uniform", seed=seed)
        assert require_case("t", case, relu=True) is case
    exact = VarianceCase((1, 1), inputs="exact")
    assert require_case("t", exact, relu=False) is exact
    with pytest.raises(InvalidInput, match=r"^widths\[1\]=0 must be at least 1$"):
        require_case("t", VarianceCase((1, 0), inputs="uniform"), relu=True)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (True, "returned bool, expected a float"),
        ("0.5", "returned str, expected a float"),
        (torch.tensor([1.0, 2.0]), "returned Tensor, expected a float"),
        (math.inf, "returned inf, expected a finite float"),
        (-math.inf, "returned -inf, expected a finite float"),
        (math.nan, "returned nan, expected a finite float"),
    ],
)
def test_a_prediction_that_is_not_a_finite_real_is_said_in_words(value, said: str) -> None:
    assert prediction("t", "e", lambda widths: value, (1, 1)) == implementation_failure("t", "e", said)


def test_a_prediction_is_taken_as_a_float_from_an_int_or_a_one_element_tensor_given_a_list_of_widths() -> None:
    seen: list[object] = []

    def recording(widths):
        seen.append(widths)
        return torch.tensor([[0.5]])

    assert prediction("t", "e", recording, (2, 3)) == 0.5 and seen == [[2, 3]]
    assert prediction("t", "e", lambda widths: 3, (1, 1)) == 3.0 and type(prediction("t", "e", lambda widths: 3, (1, 1))) is float


def test_a_raising_implementation_is_reported_by_its_exception_and_first_line() -> None:
    def raises(widths):
        raise ValueError("first line\nsecond line")

    assert prediction("t", "e", raises, (1, 1)) == implementation_failure("t", "e", "raised ValueError: first line")
    for theorem, case in ((VARIANCE_RECURSION, VarianceCase((1, 1))), (VARIANCE_RECURSION_RELU, VarianceCase((1, 1), inputs="gaussian", seed=4))):
        found = theorem.check(raises, case)
        assert (found.theorem_id, found.example, found.failure) == (theorem.id, repr(case), "raised ValueError: first line")


@pytest.mark.parametrize(
    ("theorem", "case", "relu"),
    [(VARIANCE_RECURSION, VarianceCase((1, 1), seed=6), False), (VARIANCE_RECURSION_RELU, VarianceCase((1, 1), inputs="uniform", seed=6), True)],
)
def test_the_main_check_compares_the_prediction_with_the_cached_batched_estimate(theorem, case: VarianceCase, relu: bool) -> None:
    """The check's evidence is the batched estimate at the theorem's own α (its share for "check")
    against the prediction: error ``|p − T̄|``, band ``z·SE``, and the sampler named "batched"."""
    found = theorem.check(theorem.reference, case)
    estimate = monte_carlo_estimate(case.widths, case.inputs, relu, case.seed, false_alarm(theorem.id, "check"))
    predicted = theorem.reference(list(case.widths))
    assert (found.theorem_id, found.example) == (theorem.id, repr(case))
    assert found.error == abs(predicted - estimate.mean) and found.tolerance == estimate.half_width
    assert found.expected == f"{estimate.mean:.6g} ± {estimate.half_width:.2g} (Monte Carlo over {estimate.count} batched networks)"
    assert found.actual == f"{predicted:.17g}" and found.holds


@pytest.mark.parametrize("theorem", [VARIANCE_RECURSION, VARIANCE_RECURSION_RELU], ids=lambda theorem: theorem.id)
def test_a_check_given_no_case_names_its_theorem(theorem) -> None:
    with pytest.raises(InvalidInput) as raised:
        theorem.check(lambda widths: 1.0, [4, 4])
    assert str(raised.value) == f"{theorem.id} checks a VarianceCase(widths, inputs, seed), got list"


def test_a_check_run_on_a_fraction_of_too_few_examples_still_counts_one(monkeypatch) -> None:
    # Under a 5-example profile the "check" share (a tenth) rounds up to one example, not two.
    import theorems.variance.monte_carlo as monte_carlo

    monkeypatch.setattr(monte_carlo, "loaded_profile_examples", lambda: 5)
    expected = per_check_false_alarm(SHARES["variance-recursion"], checks_per_example=CHECKS_PER_EXAMPLE.get("check", 1), examples=1)
    assert monte_carlo.false_alarm("variance-recursion", "check") == expected * monte_carlo.SUB_SHARES["check"]
