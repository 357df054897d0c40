r"""Whether a moment is infinite, decided from the exponent of ``log_prob``'s tails, never by integrating it.

Far from the centre ``c`` a density with a power-law tail is ``p(c ± d) ≈ C d^{s}``; its exponent is
``s = d·∂ₓ log p`` on the right (``−d·∂ₓ log p`` on the left), read by autograd at ``d = 1e50`` and
``d = 1e100``. The absolute moment of order ``r`` has the tail ``∫ d^{r+s} dd``, which **diverges** when
``r + s ≥ −1``. The oracle decides divergence only where the tail *is* a power law there: the two
readings agree within their rounding (every torch law's corrections to its power law are ``O(d^{-1})``
or smaller, 1e-50 at these distances), and ``r + s + 1`` is not below ``−`` its rounding. A log-normal
tail (``s`` falling like ``−log d/σ²``) is not decided divergent unless ``σ`` is so large that its
exponent does not change in float64 between the readings, where its moment ``e^{σ²/2}`` overflows float64
anyway (σ > 3e5: its +∞ is the correctly rounded value).

Everywhere else the moment is integrated, and the integral beyond the last node is bounded by the
local exponent of the integrand (log-prob-normalises' oracle): a tail exponent just below ``−1 − r``,
whose moment is finite but lies mostly beyond 1e100, is then undecidable, not a verdict. A density that
is 0 (``log p = −∞``) at these distances has no power-law tail: its moments are finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import distributions as D

from theorems.log_prob_normalises.oracle import log_prob_and_slope
from theorems.oracles.tolerance import U64, gamma

__all__ = ["FAR", "Tails", "tails_of"]

# The distances from the centre at which the exponent is read (log-prob-normalises' oracle reaches 1e100).
FAR = (1e50, 1e100)
# An exponent is d·∂ₓ log p through a log_prob of at most 64 rounded operations: relative error γ_64.
EXPONENT_ROUNDING = gamma(64, U64)


@dataclass(frozen=True)
class Tails:
    """Per batch element, the tail exponent ``s`` at each far distance (shape ``(2, batch)``) on each side;
    NaN on a side the support closes, −∞ where the density is 0 there."""

    left: np.ndarray
    right: np.ndarray

    def _diverges(self, exponents: np.ndarray, order: int) -> np.ndarray:
        near, far = exponents
        with np.errstate(invalid="ignore"):
            # (a density that is 0 at either distance, exponent −∞, has no power-law tail)
            power_law = np.isfinite(near) & np.isfinite(far) & (np.abs(near - far) <= EXPONENT_ROUNDING * (1 + np.abs(near) + np.abs(far)))
            return power_law & (far + order + 1 >= -EXPONENT_ROUNDING * (1 + np.abs(far)))

    def diverges(self, order: int) -> tuple[np.ndarray, np.ndarray]:
        """Where ``∫ |x|^order p`` diverges on the left and on the right."""
        return self._diverges(self.left, order), self._diverges(self.right, order)


def _exponents(law: D.Distribution, centre: np.ndarray, inside: np.ndarray, open_side: np.ndarray, direction: float) -> np.ndarray:
    distance = np.array(FAR)[:, None]
    x = np.where(open_side[None], centre[None] + direction * distance, inside[None])
    # A NaN slope (Pyro's SoftAsymmetricLaplace: autograd's derivative of its log_prob is NaN past |x − loc| ≈ 1000
    # scales, where log_prob itself is right) is no exponent: read as 0 it made a tail of e^{−x} a flat power law
    # and its mean undefined. NaN here is no power law, so the moment is integrated (its tail bounded by values).
    log_p, slope = log_prob_and_slope(law, x, nan_slope=np.nan)
    with np.errstate(invalid="ignore"):
        exponent = np.where(log_p == -np.inf, -np.inf, direction * distance * slope)
    return np.where(open_side[None], exponent, np.nan)


def tails_of(law: D.Distribution, centre: np.ndarray, inside: np.ndarray, a: np.ndarray, b: np.ndarray) -> Tails:
    """The tail exponents of each batch element around ``centre`` on the sides its support ``[a, b]`` leaves
    open (``inside``: a point of the support, evaluated on a closed side and ignored)."""
    return Tails(_exponents(law, centre, inside, ~np.isfinite(a), -1.0), _exponents(law, centre, inside, ~np.isfinite(b), 1.0))
