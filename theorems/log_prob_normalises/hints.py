"""What the mass oracle reads from a law beside ``log_prob``: where its pieces start, and whether a sum can hold its mass.

**Where to start.** The pieces are cut at the law's ``mode``, else its ``mean``; a law that does not implement ``mode``
is started from its ``loc`` (where it has one) before its mean: a location family's top, and any kink of its density,
sits at or near it. Pyro's AsymmetricLaplace(−100, ½, ½) has its kink ¾ from its mean, where the cubature's estimate
was 2.6e-9 for an error of 1.9e-7 (mpmath: its mass is 1), and Pyro's SkewLogistic, with neither mode nor mean, was
looked for around 0, where its bump at −1000, 1.5 wide, fell between the nodes (mass 7e-38). Every torch law of the
reference runs implements a mode but ContinuousBernoulli, which has no loc: their centres are unchanged.

**Whether a sum can hold the mass.** A window of integers whose every term is below float64's range while ``log_prob``
is finite says nothing of the mass: it lies over more integers than any sum reaches (Pyro's Geometric(logits −1000):
``log_prob`` −1000 at every k, p = e^{−1000}, mean e^{1000}), and its terms, each 0 in float64, would sum to 0.
"""

from __future__ import annotations

import numpy as np
from torch import distributions as D

__all__ = ["centre_hints", "vanished"]


def _has_mode(law: D.Distribution) -> bool:
    try:
        law.mode
    except NotImplementedError:
        return False
    except Exception:  # noqa: BLE001  (a mode that fails otherwise is the class's own; the oracle skips its hint)
        return True
    return True


def centre_hints(law: D.Distribution) -> tuple[str, str]:
    """The attributes whose values the pieces start from, in order (module docstring)."""
    return ("mode", "mean") if _has_mode(law) else ("loc", "mean")


def vanished(log_p: np.ndarray) -> np.ndarray:
    """Per column of ``log_p`` (integers down axis 0), whether every term underflows to 0 while ``log_prob`` is finite."""
    with np.errstate(over="ignore"):
        return np.all(np.exp(log_p) == 0, axis=0) & np.any(np.isfinite(log_p), axis=0)
