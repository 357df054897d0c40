"""Deliberately wrong classes: torch's laws, each subclassed with one mistake in its log_prob.

Each is a class a user could write (``theorems check log-prob-normalises --impl module:Class``); the
check builds it from its own ``arg_constraints`` and must find the mass off one.
"""

from __future__ import annotations

import math

import torch
from torch import distributions as D

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


class LaplaceOffByAConstant(D.Laplace):
    """log_prob off by 1e-4 (a normaliser's constant mistyped): every mass is e^{1e-4}."""

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        return super().log_prob(value) + 1e-4


class PoissonWithStirling(D.Poisson):
    """log k! by Stirling's approximation k log k − k + ½ log 2πk, without its 1/(12k) term (and log 0! = 0)."""

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        if self._validate_args:
            self._validate_sample(value)
        rate, value = torch.broadcast_tensors(self.rate, value)
        k = value.clamp(min=1)
        stirling = torch.where(value >= 1, k * k.log() - k + 0.5 * torch.log(2 * math.pi * k), torch.zeros_like(k))
        return torch.xlogy(value, rate) - rate - stirling


class NormalWithTheVarianceInItsNormaliser(D.Normal):
    """The normaliser 1/(σ²√2π) where 1/(σ√2π) belongs: the mass is 1/σ."""

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        if self._validate_args:
            self._validate_sample(value)
        variance = self.scale**2
        return -((value - self.loc) ** 2) / (2 * variance) - variance.log() - math.log(math.sqrt(2 * math.pi))


class ExponentialWithTheScaleForTheRate(D.Exponential):
    """log λ − λx written with the scale 1/λ in the normaliser: log(1/λ) − λx, a mass of 1/λ²."""

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -self.rate.log() - self.rate * value


class GammaWithoutLgamma(D.Gamma):
    """The density without its normaliser's lgamma(α): the mass is Γ(α) (right only at α = 1 and 2)."""

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        return super().log_prob(value) + torch.lgamma(self.concentration)


class BinomialWithoutTheCoefficient(D.Binomial):
    """The pmf p^k (1 − p)^{n−k} without its binomial coefficient C(n, k)."""

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        n = self.total_count
        coefficient = torch.lgamma(n + 1) - torch.lgamma(value + 1) - torch.lgamma(n - value + 1)
        return super().log_prob(value) - coefficient


def _wrong(name: str, mistake: str, implementation: object) -> WrongImplementation:
    return WrongImplementation("log-prob-normalises", name, mistake, implementation)


WRONG_IMPLEMENTATIONS = (
    _wrong("Laplace off by a constant", "log_prob + 1e-4", LaplaceOffByAConstant),
    _wrong("Poisson with Stirling's log k!", "log k! ≈ k log k − k + ½ log 2πk, without the 1/(12k) term", PoissonWithStirling),
    _wrong("Normal with the variance in its normaliser", "−log σ² where −log σ belongs", NormalWithTheVarianceInItsNormaliser),
    _wrong("Exponential with the scale for the rate", "log(1/λ) − λx instead of log λ − λx", ExponentialWithTheScaleForTheRate),
    _wrong("Gamma without lgamma(α)", "the normaliser's Γ(α) dropped", GammaWithoutLgamma),
    _wrong("Binomial without its coefficient", "p^k (1 − p)^{n−k} without C(n, k)", BinomialWithoutTheCoefficient),
)
