r"""T2 · Variance recursion (Problem 2), and its ReLU variant.

**Statement.** Let ``y_0 = x`` with ``E x = 0`` and ``Cov x = I`` (any law with those two
moments: Gaussian, Rademacher, uniform on ``(−√3, √3)``). For ``l = 1..L`` let
``y_l = A_l y_{l−1} + b_l`` with every entry of ``A_l`` (``n_l × n_{l−1}``) and ``b_l``
i.i.d. uniform on ``(−1/√n_{l−1}, 1/√n_{l−1})``, independent across layers and of
``x`` — what ``torch.nn.Linear(n_{l−1}, n_l)`` draws by default (``kaiming_uniform_``
with ``a = √5``, bias bound ``1/√fan_in``). Then ``E y_L = 0``, ``Cov y_L = v_L I`` with

    v_0 = 1,   v_l = v_{l−1}/3 + 1/(3 n_{l−1}),   v_L = 3^{−L} + Σ_l 3^{−(L−l+1)}/n_{l−1}.

(``Var U(−a, a) = a²/3``; a row of ``A_l`` has ``n_{l−1}`` entries of variance
``1/(3 n_{l−1})`` meeting coordinates of second moment ``v_{l−1}``.) With ReLU between
layers, ``z_l = A_l relu(z_{l−1}) + b_l``, the pre-activations are symmetric, so
``E relu(z)² = E z²/2`` and the second moment ``q_l = E z_l²`` obeys
``q_1 = 1/3 + 1/(3 n_0)``, ``q_l = q_{l−1}/6 + 1/(3 n_{l−1})``.

**Oracles.** Monte Carlo over sampled networks, by two samplers of the same law: real
``nn.Linear`` modules with their own default initialisation
(:func:`~theorems.variance.monte_carlo.end_to_end_maps_from_linear_modules`; a change to
PyTorch's init is caught) and a batched sampler drawing all networks' weights at once
(:func:`~theorems.variance.monte_carlo.second_moments_batched`). That the two draw the
same law is itself checked: a Kolmogorov–Smirnov test that default ``nn.Linear`` weights
and biases are uniform with bound ``1/√fan_in``, and the variance property run over real
modules.

The mathematics (the recursions, the closed form) is in :mod:`theorems.variance.math`;
the samplers, the Monte Carlo estimate and its statistical design (how many networks, at
which false-alarm rate, with which power) in :mod:`theorems.variance.monte_carlo`. This
module holds the checks, the evidence they give, and the calibration experiments of its
random checks (``random_checks()``, built when called: ``tools.calibration``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import torch
from scipy import stats

from theorems.calling import call_implementation
from theorems.evidence import Evidence
from theorems.oracles.statistics import MonteCarloEstimate, ks_test, mean_with_confidence, z_test_of_zero_mean
from theorems.theorem import InvalidInput
from theorems.variance.math import relu_second_moment_by_recursion, require_widths, variance_by_recursion
from theorems.variance.monte_carlo import (
    DETECTABLE_RELATIVE_ERROR,
    INPUT_LAWS,
    POWER,
    default_linear_parameters,
    end_to_end_maps_batched,
    end_to_end_maps_from_linear_modules,
    false_alarm,
    monte_carlo_estimate,
)

__all__ = [
    "VarianceCase",
    "check_variance",
    "check_variance_by_linear_modules",
    "check_variance_recursion",
    "check_variance_recursion_relu",
    "estimate_evidence",
    "live_init_evidence",
    "pairwise_covariance_samples",
    "uncorrelated_evidence",
    "uniformity_evidence",
    "zero_mean_evidence",
]

# Values of the live nn.Linear init drawn per example (weights and biases of whole modules):
# at α ≈ 1e-9 the KS test then detects a CDF about 0.2 away in sup norm with power 0.99,
# and a change of the default to He-uniform (bound √6/√fan_in) moves it 1 − 1/√6 ≈ 0.59.
LIVE_INIT_VALUES = 600


# --- the check -----------------------------------------------------------------------


@dataclass(frozen=True)
class VarianceCase:
    """One example: widths ``[n_0..n_L]``, the input law, and the seed of the sampled networks."""

    widths: tuple[int, ...]
    inputs: str = "exact"
    seed: int = 0

    def __repr__(self) -> str:
        return f"VarianceCase(widths={list(self.widths)}, inputs={self.inputs!r}, seed={self.seed})"


def require_case(theorem_id: str, case: object, *, relu: bool) -> VarianceCase:
    if not isinstance(case, VarianceCase):
        raise InvalidInput(f"{theorem_id} checks a VarianceCase(widths, inputs, seed), got {type(case).__name__}")
    require_widths(case.widths)
    laws = INPUT_LAWS[1:] if relu else INPUT_LAWS
    if case.inputs not in laws:
        raise InvalidInput(f"inputs={case.inputs!r} is not an input law for {theorem_id}; expected one of {', '.join(laws)}")
    if isinstance(case.seed, bool) or not isinstance(case.seed, int) or not 0 <= case.seed < 2**63:
        raise InvalidInput(f"seed={case.seed!r} must be an int in [0, 2**63)")
    return case


def _real_finite(value: object) -> tuple[float | None, str | None]:
    """A finite real number (a one-element tensor included)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None, f"returned {type(value).__name__}, expected a float"
    if not math.isfinite(float(value)):
        return None, f"returned {float(value)}, expected a finite float"
    return float(value), None


def prediction(theorem_id: str, example: str, implementation: Callable[[list[int]], float], widths: tuple[int, ...]) -> float | Evidence:
    """The implementation's prediction as a float, or the Evidence of how it failed."""
    return call_implementation(theorem_id, example, implementation, (list(widths),), ("widths",), expect=_real_finite)


def check_variance(theorem_id: str, relu: bool, implementation: Callable[[list[int]], float], case: VarianceCase) -> Evidence:
    """Compare ``implementation(widths)`` with the batched Monte Carlo estimate of ``E T``."""
    case = require_case(theorem_id, case, relu=relu)
    example = repr(case)
    predicted = prediction(theorem_id, example, implementation, case.widths)
    if isinstance(predicted, Evidence):
        return predicted
    estimate = monte_carlo_estimate(case.widths, case.inputs, relu, case.seed, false_alarm(theorem_id, "check"))
    evidence = estimate_evidence(theorem_id, example, predicted, estimate, "batched")
    # The batched sampler draws nn.Linear's default law as this project states it; the
    # same run tests that law against the live library, so that a change of PyTorch's
    # default init falsifies the theorem instead of leaving the oracle quietly stale.
    live = live_init_evidence(theorem_id, example, case)
    return evidence if live.holds else live


def live_init_values(fan_in: int, fan_out: int, seed: int) -> torch.Tensor:
    """About ``LIVE_INIT_VALUES`` weights and biases of whole default ``nn.Linear(fan_in, fan_out)`` modules."""
    modules = max(1, math.ceil(LIVE_INIT_VALUES / (fan_in * fan_out + fan_out)))
    weights, biases = default_linear_parameters(fan_in, fan_out, modules, seed=seed)
    return torch.cat([weights, biases])


def live_init_evidence(theorem_id: str, example: str, case: VarianceCase) -> Evidence:
    """KS test of the live default ``nn.Linear(n_0, n_1)`` weights and biases against ``U(±1/√n_0)``."""
    fan_in, fan_out = case.widths[0], case.widths[1]
    return uniformity_evidence(
        theorem_id, example, f"live default nn.Linear({fan_in}, {fan_out}) weights and biases",
        live_init_values(fan_in, fan_out, case.seed), 1 / math.sqrt(fan_in), false_alarm(theorem_id, "live-init"),
    )


def check_variance_by_linear_modules(
    implementation: Callable[[list[int]], float], case: VarianceCase, *, networks: int
) -> Evidence:
    """Compare ``implementation(widths)`` with Monte Carlo over networks of real ``nn.Linear`` modules.

    The second oracle: slower (one module per layer per network), so it runs fewer
    networks; the relative error it detects with power ``POWER`` is in its reason.
    """
    theorem_id = "variance-recursion"
    case = require_case(theorem_id, case, relu=False)
    predicted = prediction(theorem_id, repr(case), implementation, case.widths)
    if isinstance(predicted, Evidence):
        return predicted
    matrix, offset = end_to_end_maps_from_linear_modules(case.widths, networks, seed=case.seed)
    samples = (matrix.pow(2).sum(dim=(1, 2)) + offset.pow(2).sum(dim=1)) / case.widths[-1]
    estimate = mean_with_confidence(samples, false_alarm(theorem_id, "linear-modules"), POWER)
    return estimate_evidence(theorem_id, repr(case), predicted, estimate, "nn.Linear")


def estimate_evidence(theorem_id: str, example: str, predicted: float, estimate: MonteCarloEstimate, sampler: str) -> Evidence:
    return Evidence(
        theorem_id=theorem_id,
        example=example,
        expected=f"{estimate.mean:.6g} ± {estimate.half_width:.2g} (Monte Carlo over {estimate.count} {sampler} networks)",
        actual=f"{predicted:.17g}",
        error=abs(predicted - estimate.mean),
        tolerance=estimate.half_width,
        tolerance_reason=(
            f"z_(α/2)·SE = {estimate.z_alarm:.2f}·{estimate.standard_error:.2e}: false alarm α={estimate.alpha:.1e}; "
            f"detects a {estimate.detectable_relative_error:.2%} relative error with probability {estimate.power}"
        ),
    )


def zero_mean_evidence(theorem_id: str, example: str, what: str, samples: torch.Tensor, alpha: float, scale: float) -> Evidence:
    """A two-sided z-test (:func:`~theorems.oracles.statistics.z_test_of_zero_mean`, power ``POWER``) that the
    i.i.d. ``samples`` have mean 0; the detectable mean is reported in units of ``scale``."""
    test = z_test_of_zero_mean(samples, alpha, POWER)
    return Evidence(
        theorem_id=theorem_id,
        example=example,
        expected=f"{what} = 0",
        actual=f"{test.mean:.3e} (mean over {test.count} networks, SE {test.standard_error:.2e})",
        error=abs(test.mean),
        tolerance=test.threshold,
        tolerance_reason=(
            f"z_(α/2)·SE = {test.z_alarm:.2f}·{test.standard_error:.2e}: false alarm α={alpha:.1e}; detects "
            f"{test.detectable_mean / scale:.2%} of {scale:.3g} with probability {test.power}"
        ),
    )


def pairwise_covariance_samples(matrix: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """Per network, ``E[y_i y_j | network]`` for every pair i < j of output coordinates: (networks, pairs).

    Each pair is tested on its own (an average over pairs lets opposite signs cancel).
    """
    second = matrix @ matrix.transpose(1, 2) + offset.unsqueeze(2) * offset.unsqueeze(1)
    rows, columns = torch.triu_indices(second.shape[1], second.shape[2], offset=1)
    return second[:, rows, columns]


def uncorrelated_evidence(theorem_id: str, example: str, pairs: torch.Tensor, alpha: float, scale: float) -> Evidence:
    """The z-test of zero mean on each pair's samples at α/pairs (Bonferroni); the pair worst off."""
    return max(
        (zero_mean_evidence(theorem_id, example, f"Cov(y_L)_ij for pair {k} of {pairs.shape[1]}", pairs[:, k], alpha / pairs.shape[1], scale) for k in range(pairs.shape[1])),
        key=lambda evidence: evidence.ratio,
    )


def uniformity_evidence(theorem_id: str, example: str, what: str, samples: torch.Tensor, bound: float, alpha: float) -> Evidence:
    """Kolmogorov–Smirnov test of ``samples`` against ``U(−bound, bound)`` at level α.

    Rejects when ``D_n`` exceeds the exact critical value ``kstwo.isf(α, n)``
    (:func:`~theorems.oracles.statistics.ks_test`). By the Dvoretzky–Kiefer–Wolfowitz
    inequality (Massart's constant), a law whose CDF is ``Δ`` away in sup norm is
    rejected with probability at least ``POWER`` once
    ``Δ ≥ √(ln(2/α)/2n) + √(ln(2/β)/2n)``; that ``Δ`` is reported.
    """
    test = ks_test(samples.numpy(), stats.uniform(loc=-bound, scale=2 * bound).cdf, alpha, POWER)
    return Evidence(
        theorem_id=theorem_id,
        example=example,
        expected=f"{what} ~ U(−{bound:.6g}, {bound:.6g})",
        actual=f"KS distance D={test.statistic:.4g} over {test.count} values, p={test.pvalue:.2g}, max |value|={float(samples.abs().max()):.6g}",
        error=test.statistic,
        tolerance=test.critical_value,
        tolerance_reason=(
            f"exact KS critical value at α={alpha:.1e} for n={test.count}; detects a CDF {test.detectable_distance:.3f} away "
            f"(sup norm) with probability {test.power}"
        ),
    )


def check_variance_recursion(implementation: Callable[[list[int]], float], case: VarianceCase) -> Evidence:
    """The check of ``variance-recursion``."""
    return check_variance("variance-recursion", False, implementation, case)


def check_variance_recursion_relu(implementation: Callable[[list[int]], float], case: VarianceCase) -> Evidence:
    """The check of ``variance-recursion-relu``."""
    return check_variance("variance-recursion-relu", True, implementation, case)


# --- calibration (tools.calibration) ------------------------------------------------------

# Widths for the calibration experiment: narrow and deep, where CV² is largest (≈1.65).
CALIBRATION_WIDTHS = (3, 3, 3, 3)


def _variance_alarm(theorem_id: str, relu: bool) -> Callable[[int, float, bool], bool]:
    """Whether the main check raises an alarm on the exact value (or one 2 % too large)."""

    def alarm(seed: int, alpha: float, wrong: bool) -> bool:
        exact = (relu_second_moment_by_recursion if relu else variance_by_recursion)(CALIBRATION_WIDTHS)
        predicted = exact * (1 + DETECTABLE_RELATIVE_ERROR) if wrong else exact
        estimate = monte_carlo_estimate(CALIBRATION_WIDTHS, "gaussian" if relu else "exact", relu, seed, alpha)
        return abs(predicted - estimate.mean) > estimate.half_width

    return alarm


def _live_init_alarm(seed: int, alpha: float, wrong: bool) -> bool:
    """The live-init KS test on nn.Linear(3, 3) at level ``alpha``, on the live law or on He-uniform (bound √6 times wider)."""
    fan_in, fan_out = CALIBRATION_WIDTHS[0], CALIBRATION_WIDTHS[1]
    values = live_init_values(fan_in, fan_out, seed) * (math.sqrt(6.0) if wrong else 1.0)  # kaiming_uniform with a=0 instead of a=√5
    return not uniformity_evidence("variance-recursion", "calibration", "live init", values, 1 / math.sqrt(fan_in), alpha).holds


# The sizes the property tests of the other random checks run with (tests/variance/test_variance.py
# takes them from here), so that their calibration measures the checks as run.
LINEAR_MODULE_NETWORKS = 3000
GOODNESS_OF_FIT_SAMPLES = 10000
GOODNESS_OF_FIT_MAX_MODULES = 500
MOMENT_NETWORKS = 20000
# The relative error the real-module Monte Carlo is stated to detect: at 3000 networks of
# widths (3, 3, 3, 3) its detectable error is about 9 % (measured by the calibration, not
# the 2 % of the batched check, which sizes its N for 2 %).
LINEAR_MODULES_DETECTABLE = 0.10


def _linear_modules_alarm(seed: int, alpha: float, wrong: bool) -> bool:
    """The real-module Monte Carlo on the exact value, or one ``LINEAR_MODULES_DETECTABLE`` too large."""
    exact = variance_by_recursion(CALIBRATION_WIDTHS)
    predicted = exact * (1 + LINEAR_MODULES_DETECTABLE) if wrong else exact
    matrix, offset = end_to_end_maps_from_linear_modules(CALIBRATION_WIDTHS, LINEAR_MODULE_NETWORKS, seed=seed)
    samples = (matrix.pow(2).sum(dim=(1, 2)) + offset.pow(2).sum(dim=1)) / CALIBRATION_WIDTHS[-1]
    estimate = mean_with_confidence(samples, alpha, POWER)
    return abs(predicted - estimate.mean) > estimate.half_width


def _goodness_of_fit_alarm(seed: int, alpha: float, wrong: bool) -> bool:
    """The KS test of default nn.Linear(3, 3) weights (as the property runs it), or of He-uniform ones."""
    fan_in, fan_out = CALIBRATION_WIDTHS[0], CALIBRATION_WIDTHS[1]
    modules = min(GOODNESS_OF_FIT_MAX_MODULES, math.ceil(GOODNESS_OF_FIT_SAMPLES / fan_out))
    weights, _ = default_linear_parameters(fan_in, fan_out, modules, seed=seed)
    values = weights * (math.sqrt(6.0) if wrong else 1.0)
    return not uniformity_evidence("variance-recursion", "calibration", "weight", values, 1 / math.sqrt(fan_in), alpha).holds


def _zero_mean_alarm(which: str) -> Callable[[int, float, bool], bool]:
    """The z-test(s) as the properties run them, or with one sample mean shifted by what its test states it detects."""

    def alarm(seed: int, alpha: float, wrong: bool) -> bool:
        matrix, offset = end_to_end_maps_batched(CALIBRATION_WIDTHS, MOMENT_NETWORKS, generator=torch.Generator().manual_seed(seed))
        columns = offset.mean(dim=1, keepdim=True) if which == "mean" else pairwise_covariance_samples(matrix, offset)
        level = alpha / columns.shape[1]
        if wrong:  # the first pair (or the mean) off by the covariance (or mean) its test states it detects
            columns = columns.clone()
            columns[:, 0] += z_test_of_zero_mean(columns[:, 0], level, POWER).detectable_mean
        return any(z_test_of_zero_mean(columns[:, k], level, POWER).rejects for k in range(columns.shape[1]))

    return alarm


def random_checks() -> tuple:
    from theorems.oracles.statistics import RandomCheck

    live_init = RandomCheck(
        name="variance-recursion: KS test of the live nn.Linear(3, 3) default init, inside the check",
        theorem_id="variance-recursion",
        detectable="He-uniform instead of the default (bound √6 times wider; CDF 0.59 away)",
        stated_alpha=lambda: false_alarm("variance-recursion", "live-init"),
        stated_power=POWER,
        alarm=_live_init_alarm,
    )
    others = (
        RandomCheck(
            name=f"variance-recursion: Monte Carlo over {LINEAR_MODULE_NETWORKS} networks of real nn.Linear modules, widths {list(CALIBRATION_WIDTHS)}",
            theorem_id="variance-recursion",
            detectable=f"{LINEAR_MODULES_DETECTABLE:.0%} relative",
            stated_alpha=lambda: false_alarm("variance-recursion", "linear-modules"),
            stated_power=POWER,
            alarm=_linear_modules_alarm,
            runs=300,  # 0.5 s a run: 9000 real modules built each time
        ),
        RandomCheck(
            name="variance-recursion: KS test of default nn.Linear(3, 3) weights",
            theorem_id="variance-recursion",
            detectable="He-uniform instead of the default (bound √6 times wider)",
            stated_alpha=lambda: false_alarm("variance-recursion", "goodness-of-fit"),
            stated_power=POWER,
            alarm=_goodness_of_fit_alarm,
        ),
        RandomCheck(
            name=f"variance-recursion: z-test of a zero output mean over {MOMENT_NETWORKS} networks",
            theorem_id="variance-recursion",
            detectable="the mean it states it detects ((z_α/2 + z_β)·SE)",
            stated_alpha=lambda: false_alarm("variance-recursion", "mean"),
            stated_power=POWER,
            alarm=_zero_mean_alarm("mean"),
        ),
        RandomCheck(
            name=f"variance-recursion: z-tests of uncorrelated output pairs over {MOMENT_NETWORKS} networks",
            theorem_id="variance-recursion",
            detectable="one pair's covariance at what its test states it detects ((z_α/2 + z_β)·SE at α/pairs)",
            stated_alpha=lambda: false_alarm("variance-recursion", "uncorrelated"),
            stated_power=POWER,
            alarm=_zero_mean_alarm("uncorrelated"),
        ),
    )
    return tuple(
        RandomCheck(
            name=f"{theorem_id}: batched Monte Carlo, widths {list(CALIBRATION_WIDTHS)}",
            theorem_id=theorem_id,
            detectable=f"{DETECTABLE_RELATIVE_ERROR:.0%} relative",
            stated_alpha=lambda theorem_id=theorem_id: false_alarm(theorem_id, "check"),
            stated_power=POWER,
            alarm=_variance_alarm(theorem_id, relu),
        )
        for theorem_id, relu in (("variance-recursion", False), ("variance-recursion-relu", True))
    ) + (live_init, *others)
