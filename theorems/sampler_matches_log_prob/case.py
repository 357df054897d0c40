"""An example of ``sampler-matches-log-prob``: log-prob-normalises' bank of parameter values and the seed of
torch's generator for the draws. Apart from the check, so that the strategies need no oracle."""

from __future__ import annotations

from dataclasses import dataclass

from theorems.log_prob_normalises.case import ParameterDraw

__all__ = ["SamplerCase"]


@dataclass(frozen=True)
class SamplerCase:
    """The parameters of a batch of laws and the seed torch's CPU generator is given before the class draws."""

    draw: ParameterDraw
    seed: int

    @property
    def family(self) -> str:
        return self.draw.family

    @property
    def batch(self) -> int:
        return self.draw.batch

    def __repr__(self) -> str:
        return f"SamplerCase({self.draw!r}, seed={self.seed})"
