"""What the KL oracle returns: ``E_p[log p − log q]`` for one pair of laws, with its error bar.

A :class:`Definition` states its value, the error estimate of a quadrature (trusted only
times ``QUADRATURE_SAFETY``), a bound on the oracle's own rounding and truncation, and the
scale of the terms a closed form combines (what the check's tolerance is taken on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from theorems.oracles.quadrature import QUADRATURE_SAFETY


@dataclass(frozen=True)
class Definition:
    """``E_p[log p − log q]`` for one pair of laws: its value, the error *estimate* of a
    quadrature (``error``, trusted only times QUADRATURE_SAFETY), a *bound* on the oracle's
    own rounding and truncation (``rounding``: its evaluations of L, a tail summed past a
    window), and the terms' scale (what a closed form rounds)."""

    value: float
    error: float
    scale: float
    how: str
    rounding: float = 0.0

    @property
    def bound(self) -> float:
        """The oracle's stated error bar: ``|value − KL| ≤ bound`` is what it claims (and what
        tests/kl_closed_forms/test_kl_oracles_against_mpmath.py checks against 50-digit values)."""
        return QUADRATURE_SAFETY * self.error + self.rounding


def infinite(how: str) -> Definition:
    return Definition(math.inf, 0.0, 0.0, how)


# What the oracle's own evaluation of L rounds: each log-density (scipy's, or written out in families)
# and each quantile is within DENSITY_OPERATIONS·u of its value on the scale of 1 + its terms (a
# handful of rounded operations and special functions within a couple of ulps each; the 1 for a
# logarithm of a number near 1, as scipy's Beta takes log B(a, b) near a = b = 1; a quantile
# off by ε relatively moves L by |x L'(x)| ε, of the order of the terms): the integral of L is
# then within DENSITY_OPERATIONS·u·(1 + E_p Σ|terms|) of the exact one. Checked against 50-digit
# values across the strategies' ranges in tests/kl_closed_forms/test_kl_oracles_against_mpmath.py.
DENSITY_OPERATIONS = 16

