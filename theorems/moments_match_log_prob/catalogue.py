"""Deliberately wrong classes: torch's laws, each subclassed with one mistake in one of its moments.

Each is a class a user could write (``theorems check moments-match-log-prob --impl module:Class``); its
log_prob is torch's own, so the check must find the one quantity that disagrees with it.
"""

from __future__ import annotations

import math

import torch
from torch import distributions as D

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


class NormalEntropyMissingAHalf(D.Normal):
    """½ log(2πσ²) without the ½ of ½ log(2πeσ²): an entropy missing a term."""

    def entropy(self) -> torch.Tensor:
        return 0.5 * torch.log(2 * math.pi * self.scale**2)


class LaplaceVarianceOffByTwo(D.Laplace):
    """b² where 2b² belongs: a variance off by a factor."""

    @property
    def variance(self) -> torch.Tensor:
        return self.scale**2


class GumbelMeanAtItsMode(D.Gumbel):
    """μ where μ + βγ belongs (Euler's γ forgotten): a mean off by a shift."""

    @property
    def mean(self) -> torch.Tensor:
        return self.loc


class GammaModeAtItsMean(D.Gamma):
    """α/β, the mean, where (α − 1)/β belongs: a skewed law's mode put at its mean."""

    @property
    def mode(self) -> torch.Tensor:
        return self.concentration / self.rate


class GeometricMeanCountingTrials(D.Geometric):
    """1/p, the number of trials to the first success, where torch counts the failures before it, (1 − p)/p."""

    @property
    def mean(self) -> torch.Tensor:
        return 1 / self.probs


class StudentTVarianceWithoutItsInfinity(D.StudentT):
    """σ² ν/(ν − 2) for every ν: negative for 1 < ν < 2, where the variance is +∞ (and NaN for ν ≤ 1)."""

    @property
    def variance(self) -> torch.Tensor:
        return self.scale**2 * self.df / (self.df - 2)


class ExponentialVarianceOfTheScale(D.Exponential):
    """1/λ, the standard deviation, where the variance 1/λ² belongs."""

    @property
    def variance(self) -> torch.Tensor:
        return 1 / self.rate


def _wrong(name: str, mistake: str, implementation: object) -> WrongImplementation:
    return WrongImplementation("moments-match-log-prob", name, mistake, implementation)


WRONG_IMPLEMENTATIONS = (
    _wrong("Normal entropy missing a half", "½ log(2πσ²) instead of ½ log(2πeσ²)", NormalEntropyMissingAHalf),
    _wrong("Laplace variance off by two", "b² instead of 2b²", LaplaceVarianceOffByTwo),
    _wrong("Gumbel mean at its mode", "μ instead of μ + βγ", GumbelMeanAtItsMode),
    _wrong("Gamma mode at its mean", "α/β instead of (α − 1)/β", GammaModeAtItsMean),
    _wrong("Geometric mean counting trials", "1/p instead of (1 − p)/p", GeometricMeanCountingTrials),
    _wrong("StudentT variance without its infinity", "σ²ν/(ν − 2) for every ν", StudentTVarianceWithoutItsInfinity),
    _wrong("Exponential variance of the scale", "1/λ instead of 1/λ²", ExponentialVarianceOfTheScale),
)
