r"""The statistical tests of the random checks, with their error rates passed in.

In the manner of TensorFlow Probability's ``statistical_testing``: a random check can
be wrong in two ways, and each test here states both. It *false-alarms* (rejects a
correct implementation) with probability at most ``α``, and it *misses* a discrepancy of
a stated size with probability at most ``β``, that is, detects it with power
``1 − β``. Every function takes ``α`` (and ``power`` where it has one) as an argument;
none reads a Hypothesis profile or a global. *Which* ``α`` a check gets (its theorem's
share of the suite's family-wise budget, :mod:`theorems.oracles.false_alarms`, divided over
the examples it runs) is the theorem module's decision, not this module's.

**Means (the z-test).** For ``N`` i.i.d. draws with mean ``μ``, finite variance
``σ²``, sample mean ``X̄`` and unbiased sample standard error ``SE = s/√N``, the
central limit theorem makes ``(X̄ − μ)/SE`` approximately standard normal. The
two-sided test that rejects ``μ = μ₀`` when ``|X̄ − μ₀| > z_{α/2} SE``
(:func:`mean_with_confidence`, :func:`z_test_of_zero_mean`) false-alarms with
probability ``α`` (asymptotically; the normal approximation's tail accuracy is not
measured below about 10⁻³, :mod:`tools.calibration` measures it above). If instead
``|μ − μ₀| ≥ (z_{α/2} + z_β) SE`` it misses with probability at most ``β``: that is the
*detectable* discrepancy each record reports. Solving it for ``N`` with
``SE = σ/√N`` gives the sample size to detect a relative error ``ε``,
``N = ((z_{α/2} + z_β)/ε)² · CV²`` with ``CV = σ/μ``
(:func:`samples_to_detect_relative_error`).

**Distributions (Kolmogorov–Smirnov and DKW).** For ``n`` i.i.d. draws with continuous
CDF ``F`` and empirical CDF ``F_n``, the Dvoretzky–Kiefer–Wolfowitz inequality with
Massart's constant, ``P(sup |F_n − F| > ε) ≤ 2 exp(−2nε²)``, holds for every finite
``n``; inverted, it gives the threshold :func:`dkw_threshold` with false-alarm rate at
most ``α``. The exact two-sided Kolmogorov–Smirnov critical value
(:func:`ks_critical_value`, ``kstwo.isf(α, n)``) is never larger, so
:func:`ks_test` false-alarms with probability ``α`` exactly. Against a law whose CDF is
``Δ`` away from the claimed one in sup norm, either test misses with probability at
most ``β`` once ``Δ ≥ ε_α + ε_β`` (the triangle inequality and DKW again):
:func:`dkw_detectable_distance`.

**Robust means (median of means).** When only the variance ``σ²`` is known (no
normal approximation), split ``K·B`` draws into ``K`` blocks of ``B`` and take the
median of the block means (:func:`median_of_means`). By Chebyshev each block mean is
within ``2σ/√B`` of ``μ`` with probability at least ¾
(:func:`median_of_means_half_width`); the median leaves that band only if half the
blocks do, which by Hoeffding has probability at most ``exp(−K/8)``; so
``K = ⌈8 ln(1/α)⌉`` blocks (:func:`median_of_means_blocks`) make the false-alarm rate at
most ``α``. A claim off by more than twice the half-width is then outside the band
with probability at least ``1 − α`` (:func:`median_of_means_detectable_error`).

References: TFP, ``tfp.distributions.internal.statistical_testing``; Massart, *The
tight constant in the Dvoretzky–Kiefer–Wolfowitz inequality*, Ann. Probab. 18 (1990);
Lugosi & Mendelson, *Mean estimation and regression under heavy-tailed
distributions: a survey*, Found. Comput. Math. 19 (2019) §2 (median of means).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

if TYPE_CHECKING:  # the z-tests take torch tensors; importing torch here would cost every importer 2 s
    import torch

__all__ = [
    "KsTest",
    "RandomCheck",
    "MonteCarloEstimate",
    "ZeroMeanTest",
    "dkw_detectable_distance",
    "dkw_threshold",
    "ks_critical_value",
    "ks_test",
    "largest_projection_ks_distance",
    "mean_with_confidence",
    "median_of_means",
    "median_of_means_blocks",
    "median_of_means_detectable_error",
    "median_of_means_half_width",
    "samples_to_detect_relative_error",
    "z_critical_values",
    "z_test_of_zero_mean",
]


def _require_probability(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{name}={value!r} must be a probability strictly between 0 and 1")


# --- means: the z-test -----------------------------------------------------------------------


def z_critical_values(alpha: float, power: float) -> tuple[float, float]:
    """``(z_{α/2}, z_β)`` with ``β = 1 − power``: the two-sided threshold and the power quantile.

    A two-sided z-test at ``z_{α/2}`` false-alarms with probability ``α``; it detects a
    mean ``(z_{α/2} + z_β)`` standard errors away with probability ``power``.
    """
    _require_probability("alpha", alpha)
    _require_probability("power", power)
    return float(stats.norm.isf(alpha / 2)), float(stats.norm.isf(1 - power))


@dataclass(frozen=True)
class MonteCarloEstimate:
    """``mean ± z_{α/2}·SE`` from ``count`` i.i.d. samples, and the relative error detectable with ``power``."""

    mean: float
    standard_error: float
    count: int
    alpha: float
    power: float
    z_alarm: float
    detectable_relative_error: float

    @property
    def half_width(self) -> float:
        """``z_{α/2}·SE``: a value farther than this from the mean is rejected (false-alarm rate ``α``)."""
        return self.z_alarm * self.standard_error


def mean_with_confidence(samples: torch.Tensor, alpha: float, power: float) -> MonteCarloEstimate:
    """The sample mean of i.i.d. ``samples`` (1-D) with its two-sided band at level ``α``.

    False alarm: a true mean outside ``mean ± z_{α/2}·SE`` with probability ``α`` (by the
    central limit theorem). Detects: a value off by ``(z_{α/2} + z_β)·SE``, reported
    relative to ``|mean|`` (``inf`` for a mean of exactly 0), with probability ``power``.
    """
    z_alarm, z_power = z_critical_values(alpha, power)
    mean = float(samples.mean())
    standard_error = float(samples.std() / math.sqrt(samples.numel()))
    detectable = (z_alarm + z_power) * standard_error / abs(mean) if mean != 0 else math.inf
    return MonteCarloEstimate(mean, standard_error, samples.numel(), alpha, power, z_alarm, detectable)


def samples_to_detect_relative_error(relative_error: float, cv2: float, alpha: float, power: float) -> float:
    """``N = ((z_{α/2} + z_β)/ε)² · CV²``: samples for the z-test to detect a relative error ``ε``.

    With ``SE = σ/√N`` and ``CV = σ/μ`` the detectable relative error of
    :func:`mean_with_confidence` is ``ε`` at this ``N`` (false alarm ``α``, power
    ``power``). Real-valued: round up after any safety factor.
    """
    z_alarm, z_power = z_critical_values(alpha, power)
    return ((z_alarm + z_power) / relative_error) ** 2 * cv2


@dataclass(frozen=True)
class ZeroMeanTest:
    """A two-sided z-test of ``E X = 0`` on ``count`` i.i.d. samples."""

    mean: float
    standard_error: float
    count: int
    alpha: float
    power: float
    z_alarm: float
    z_power: float

    @property
    def threshold(self) -> float:
        """``z_{α/2}·SE``: the test rejects when ``|mean|`` exceeds it."""
        return self.z_alarm * self.standard_error

    @property
    def detectable_mean(self) -> float:
        """``(z_{α/2} + z_β)·SE``: a true mean this far from 0 is detected with probability ``power``."""
        return (self.z_alarm + self.z_power) * self.standard_error

    @property
    def rejects(self) -> bool:
        return abs(self.mean) > self.threshold


def z_test_of_zero_mean(samples: torch.Tensor, alpha: float, power: float) -> ZeroMeanTest:
    """The z-test that i.i.d. ``samples`` (1-D) have mean 0.

    False alarm: ``α`` (two-sided, by the central limit theorem). Detects: a mean of
    ``detectable_mean = (z_{α/2} + z_β)·SE`` or more, with probability ``power``.
    """
    z_alarm, z_power = z_critical_values(alpha, power)
    mean = float(samples.mean())
    standard_error = float(samples.std() / math.sqrt(samples.numel()))
    return ZeroMeanTest(mean, standard_error, samples.numel(), alpha, power, z_alarm, z_power)


# --- distributions: Kolmogorov–Smirnov and DKW -----------------------------------------------


def dkw_threshold(samples: int, alpha: float) -> float:
    """ε with P(sup|F_m − F| > ε) ≤ α by the DKW–Massart inequality 2 exp(−2mε²), exact for finite m."""
    return math.sqrt(math.log(2 / alpha) / (2 * samples))


def dkw_detectable_distance(samples: int, alpha: float, power: float) -> float:
    """``ε_α + ε_β``: a CDF this far (sup norm) from the claimed one is rejected with probability ``power``.

    Holds for the DKW test at :func:`dkw_threshold` and for the exact Kolmogorov–Smirnov
    test (whose critical value is never larger): with probability ``1 − β`` the
    empirical CDF is within ``ε_β`` of the true one, hence more than ``ε_α`` from the
    claimed one.
    """
    _require_probability("power", power)
    return dkw_threshold(samples, alpha) + dkw_threshold(samples, 1 - power)


def ks_critical_value(samples: int, alpha: float) -> float:
    """The exact two-sided Kolmogorov–Smirnov critical value ``kstwo.isf(α, n)``: false alarm ``α``."""
    _require_probability("alpha", alpha)
    return float(stats.kstwo.isf(alpha, samples))


@dataclass(frozen=True)
class KsTest:
    """The Kolmogorov–Smirnov distance of ``count`` samples from a claimed CDF, against its critical value."""

    statistic: float
    pvalue: float
    count: int
    alpha: float
    power: float
    critical_value: float
    detectable_distance: float

    @property
    def rejects(self) -> bool:
        return self.statistic > self.critical_value


def ks_test(samples: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray], alpha: float, power: float) -> KsTest:
    """The exact one-sample Kolmogorov–Smirnov test of i.i.d. ``samples`` (1-D) against a continuous ``cdf``.

    False alarm: ``α`` (the exact critical value). Detects: a law whose CDF is
    :func:`dkw_detectable_distance` away in sup norm, with probability ``power``.
    """
    values = np.asarray(samples)
    count = len(values)
    result = stats.kstest(values, cdf)
    return KsTest(
        float(result.statistic), float(result.pvalue), count, alpha, power,
        ks_critical_value(count, alpha), dkw_detectable_distance(count, alpha, power),
    )


def largest_projection_ks_distance(
    samples: np.ndarray, mean: np.ndarray, cov: np.ndarray, directions: np.ndarray
) -> float:
    """The largest Kolmogorov–Smirnov distance of ``uᵀ samples`` from ``N(uᵀ mean, uᵀ cov u)`` over unit ``u``.

    For ``k`` directions, comparing it with ``dkw_threshold(m, α/k)`` false-alarms with
    probability at most ``α`` (a union bound over the directions); a law whose
    projection on some ``u`` is ``dkw_detectable_distance(m, α/k, power)`` away is
    detected with probability ``power``.
    """
    m = len(samples)
    grid = np.arange(1, m + 1) / m
    distances = []
    for direction in directions:
        projected = np.sort(samples @ direction)
        cdf = stats.norm.cdf(projected, loc=direction @ mean, scale=math.sqrt(direction @ cov @ direction))
        distances.append(max(np.max(grid - cdf), np.max(cdf - (grid - 1 / m))))
    return float(max(distances))


# --- robust means: median of means -----------------------------------------------------------


def median_of_means_blocks(alpha: float) -> int:
    """``K = ⌈8 ln(1/α)⌉`` blocks: the median of means leaves its band with probability ≤ ``exp(−K/8) ≤ α``."""
    _require_probability("alpha", alpha)
    return math.ceil(8 * math.log(1 / alpha))


def median_of_means(values: np.ndarray, blocks: int) -> float:
    """The median of the means of ``blocks`` consecutive equal blocks of ``values`` (1-D)."""
    if blocks < 1 or len(values) % blocks:
        raise ValueError(f"{len(values)} values do not split into blocks={blocks} equal blocks")
    return float(np.median(values.reshape(blocks, -1).mean(axis=1)))


def median_of_means_half_width(sigma: float, block: int) -> float:
    """``2σ/√B``: by Chebyshev a mean of ``B`` draws with standard deviation ``σ`` is this close with probability ≥ ¾.

    With :func:`median_of_means_blocks` ``(α)`` blocks the median of means is within it
    with probability at least ``1 − α``.
    """
    return 2 * sigma / math.sqrt(block)


def median_of_means_detectable_error(sigma: float, block: int) -> float:
    """Twice the half-width: a claim this far off lies outside the band with probability at least ``1 − α``."""
    return 2 * median_of_means_half_width(sigma, block)


# --- a random check, reduced to one call (for make calibrate) ------------------------------


@dataclass(frozen=True)
class RandomCheck:
    """A random check, reduced to one call: ``alarm(seed, alpha, wrong) -> bool``.

    ``wrong`` asks for the value off by ``detectable`` (for example ``"2 % relative"``);
    ``stated_alpha()`` (under the loaded profile) and ``stated_power`` are what the check claims.
    """

    name: str
    theorem_id: str
    detectable: str
    stated_alpha: Callable[[], float]
    stated_power: float
    alarm: Callable[[int, float, bool], bool]
    runs: int | None = None  # at most this many runs per side (a check that costs a second a run), else --runs
