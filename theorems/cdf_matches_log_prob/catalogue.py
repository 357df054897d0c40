"""Deliberately wrong classes: torch's laws, each subclassed with one mistake in its cdf or its icdf.

Each is a class a user could write (``theorems check cdf-matches-log-prob --impl module:Class``); its
log_prob is torch's own, so the check must find the cdf that does not integrate it, or the icdf that does
not invert the cdf.
"""

from __future__ import annotations

import math

import torch
from torch import distributions as D

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


class NormalCdfStandardisedByTheVariance(D.Normal):
    """Φ((x − μ)/σ²) where Φ((x − μ)/σ) belongs: a cdf standardised by the variance instead of the scale."""

    def cdf(self, value: torch.Tensor) -> torch.Tensor:
        return 0.5 * (1 + torch.erf((value - self.loc) / (self.scale**2 * math.sqrt(2))))


class ExponentialCdfOfTheWrongTail(D.Exponential):
    """e^{−λx}, the survival function, where 1 − e^{−λx} belongs: a cdf of the wrong tail."""

    def cdf(self, value: torch.Tensor) -> torch.Tensor:
        return torch.exp(-self.rate * value)


class LaplaceIcdfOffByAConstant(D.Laplace):
    """Torch's icdf plus 1e-6: an inverse off by a small constant."""

    def icdf(self, value: torch.Tensor) -> torch.Tensor:
        return super().icdf(value) + 1e-6


class HalfNormalCdfOfTheNormal(D.HalfNormal):
    """Φ(x/σ), the unfolded normal's, where 2Φ(x/σ) − 1 belongs: the fold forgotten."""

    def cdf(self, value: torch.Tensor) -> torch.Tensor:
        return 0.5 * (1 + torch.erf(value / (self.scale * math.sqrt(2))))


class GumbelIcdfOfTheMinimum(D.Gumbel):
    """μ + β log(−log(1 − v)), the inverse of the minimum's Gumbel law, where μ − β log(−log v) belongs."""

    def icdf(self, value: torch.Tensor) -> torch.Tensor:
        return self.loc + self.scale * torch.log(-torch.log1p(-value))


class CauchyCdfWithoutTheHalf(D.Cauchy):
    """atan((x − μ)/γ)/π without its + ½: a cdf that starts at −½."""

    def cdf(self, value: torch.Tensor) -> torch.Tensor:
        return torch.atan((value - self.loc) / self.scale) / math.pi


def _wrong(name: str, mistake: str, implementation: object) -> WrongImplementation:
    return WrongImplementation("cdf-matches-log-prob", name, mistake, implementation)


WRONG_IMPLEMENTATIONS = (
    _wrong("Normal cdf standardised by the variance", "Φ((x − μ)/σ²) instead of Φ((x − μ)/σ)", NormalCdfStandardisedByTheVariance),
    _wrong("Exponential cdf of the wrong tail", "e^{−λx} instead of 1 − e^{−λx}", ExponentialCdfOfTheWrongTail),
    _wrong("Laplace icdf off by a constant", "icdf(v) + 1e-6", LaplaceIcdfOffByAConstant),
    _wrong("HalfNormal cdf of the normal", "Φ(x/σ) instead of 2Φ(x/σ) − 1", HalfNormalCdfOfTheNormal),
    _wrong("Gumbel icdf of the minimum", "μ + β log(−log(1 − v)) instead of μ − β log(−log v)", GumbelIcdfOfTheMinimum),
    _wrong("Cauchy cdf without the half", "atan((x − μ)/γ)/π without + ½", CauchyCdfWithoutTheHalf),
)
