"""Deliberately wrong classes: torch's laws, each subclassed with one mistake in its sampler.

Each is a class a user could write (``theorems check sampler-matches-log-prob --impl module:Class``); its
log_prob is torch's own, so the check must find draws that do not follow it. The mistakes are of the size the
check is stated to detect (a distribution function off by 2ε = 0.038 at a point, ci): a tail cut at its 99.9 %
quantile moves F by 0.001 at most and would take about 4·10⁷ draws to see, so the one-tailed mistake here cuts 6 %.
"""

from __future__ import annotations

import torch
from torch import distributions as D

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


class ExponentialSamplerWithTheRateAsScale(D.Exponential):
    """λ·E where E/λ belongs (E a standard exponential draw): the rate taken for the scale."""

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        shape = self._extended_shape(sample_shape)
        return self.rate.new(shape).exponential_() * self.rate


class NormalSamplerWithTheVarianceForTheScale(D.Normal):
    """μ + σ²·z where μ + σ·z belongs: the variance taken for the scale (in sample() and rsample())."""

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        shape = self._extended_shape(sample_shape)
        return self.loc + torch.randn(shape, dtype=self.loc.dtype) * self.scale**2

    def sample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        with torch.no_grad():
            return self.rsample(sample_shape)


class GammaSamplerWithTheShapeOffByOne(D.Gamma):
    """Gamma(α + 1) draws over the rate where Gamma(α) belongs: the shape off by one (the boost for α < 1, U^{1/α}, applied to no draw)."""

    def rsample(self, sample_shape: torch.Size = torch.Size(), generator: torch.Generator | None = None) -> torch.Tensor:
        shape = self._extended_shape(sample_shape)
        return torch._standard_gamma(self.concentration.expand(shape) + 1, generator=generator) / self.rate.expand(shape)


class PoissonSamplerOffByOne(D.Poisson):
    """torch's draws plus one: a count that starts at 1 (the inversion loop's counter returned one step late)."""

    def sample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        return super().sample(sample_shape) + 1


class CauchySamplerClippedInItsUpperTail(D.Cauchy):
    """Draws clamped at μ + 5γ (a guard against the heavy tail): right below it, 6.3 % of the mass piled onto one point."""

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        return torch.minimum(super().rsample(sample_shape), self.loc + 5 * self.scale)


class NormalRsampleWithoutTheLocation(D.Normal):
    """torch's sample(), but a hand-written rsample() σ·z without its μ: the reparameterised path alone is wrong."""

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        shape = self._extended_shape(sample_shape)
        return torch.randn(shape, dtype=self.loc.dtype) * self.scale


def _wrong(name: str, mistake: str, implementation: object) -> WrongImplementation:
    return WrongImplementation("sampler-matches-log-prob", name, mistake, implementation)


WRONG_IMPLEMENTATIONS = (
    _wrong("Exponential sampler with the rate as scale", "λ·E instead of E/λ", ExponentialSamplerWithTheRateAsScale),
    _wrong("Normal sampler with the variance for the scale", "μ + σ²z instead of μ + σz", NormalSamplerWithTheVarianceForTheScale),
    _wrong("Gamma sampler with the shape off by one", "Gamma(α + 1)/β instead of Gamma(α)/β", GammaSamplerWithTheShapeOffByOne),
    _wrong("Poisson sampler off by one", "torch's draw + 1", PoissonSamplerOffByOne),
    _wrong("Cauchy sampler clipped in its upper tail", "min(draw, μ + 5γ): 6.3 % of the mass moved onto μ + 5γ", CauchySamplerClippedInItsUpperTail),
    _wrong("Normal rsample without the location", "rsample σz instead of μ + σz (sample right)", NormalRsampleWithoutTheLocation),
)
