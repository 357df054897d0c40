"""What a moments finding's error model is asked about (theorems/moments_match_log_prob/findings.py): one
quantity of one example. Its own module, so that each family's findings module can take it."""

from __future__ import annotations

from dataclasses import dataclass

from theorems.log_prob_normalises.case import ParameterDraw

__all__ = ["Asked"]


@dataclass(frozen=True)
class Asked:
    """What an error model is asked about: one quantity of one example."""

    draw: ParameterDraw
    quantity: str

    @property
    def batch(self) -> int:
        return self.draw.batch
