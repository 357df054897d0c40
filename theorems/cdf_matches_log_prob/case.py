"""An example of ``cdf-matches-log-prob``: log-prob-normalises' bank of parameter values and the levels of the
distribution at which the cdf is compared (the points are the law's own quantiles there, found from its
``log_prob`` by the oracle). Apart from the check, so that the strategies need no oracle."""

from __future__ import annotations

from dataclasses import dataclass

from theorems.log_prob_normalises.case import ParameterDraw

__all__ = ["CdfCase"]


@dataclass(frozen=True)
class CdfCase:
    """The parameters of a batch of laws and the levels in (0, 1) of the points the cdf is checked at."""

    draw: ParameterDraw
    levels: tuple[float, ...]

    @property
    def family(self) -> str:
        return self.draw.family

    @property
    def batch(self) -> int:
        return self.draw.batch

    def __repr__(self) -> str:
        return f"CdfCase({self.draw!r}, levels=({', '.join(f'{level:.6g}' for level in self.levels)}))"
