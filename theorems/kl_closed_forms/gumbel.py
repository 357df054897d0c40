"""The KL against a Gumbel q: its ``e^{−z}`` term by p's moment-generating function.

See the note below: an error estimate of a cubature is not a bound where p's tilted mass
lies beyond every region it samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special

from theorems.kl_closed_forms.definition import Definition
from theorems.kl_closed_forms.families import FAMILIES, standardised_reach
from theorems.kl_closed_forms.laws import Law, log_density_terms, scalars
from theorems.kl_closed_forms.quantiles import break_points, quantile_definition
from theorems.oracles.tolerance import U64


# log q(x) = −log β − z − e^{−z}, z = (x − μ)/β. Under p the term e^{−z} weighs x by e^{−x/β}:
# its mass sits where p·e^{−x/β} peaks, for a Normal p at the tilted mean μ_p − σ²/β, which
# can lie far beyond every region a quadrature over p's quantiles samples (Normal(0, 7)
# against Gumbel(0, 0.2159): 32σ out, u ≈ 1e-230; the cubature returned 5e201 with an
# "error estimate" of 3.6e204 where the KL is 1.8537e228). An error estimate is not a bound
# there. E_p e^{−z} = e^{μ/β} M_p(−1/β) is taken from p's moment-generating function instead,
# and only the rest of L, log p + log β + z, is integrated.


@dataclass(frozen=True)
class _Tilt:
    """``E_p e^{−tX}`` (as its log), a bound on its log's rounding, and ``E|X|`` under p tilted by ``e^{−tX}``."""

    log_mean: float
    log_rounding: float
    tilted_abs: float


def _normal_tilt(values: dict[str, float], t: float) -> _Tilt:
    mu, sigma = values["loc"], values["scale"]
    quadratic = 0.5 * (t * sigma) ** 2
    return _Tilt(-t * mu + quadratic, abs(t * mu) + 2 * quadratic, abs(mu - t * sigma**2) + sigma)


def _gumbel_tilt(values: dict[str, float], t: float) -> _Tilt:
    # e^{−(x−μ)/b} under a Gumbel is Exponential(1) (Gamma(1 + tb) once tilted): E e^{−tX} = e^{−tμ} Γ(1 + tb).
    mu, b = values["loc"], values["scale"]
    r = t * b
    lgamma, digamma = float(scipy.special.gammaln(1 + r)), float(scipy.special.digamma(1 + r))
    return _Tilt(-t * mu + lgamma, abs(t * mu) + abs(lgamma) + r * abs(digamma), abs(mu - b * digamma) + b * math.sqrt(float(scipy.special.polygamma(1, 1 + r))))


def _gamma_tilt(values: dict[str, float], t: float) -> _Tilt:
    # Gamma(k, λ) tilted by e^{−tx} is Gamma(k, λ + t): E e^{−tX} = (1 + t/λ)^{−k}.
    k, rate = values.get("concentration", 1.0), values["rate"]
    log1p = math.log1p(t / rate)
    return _Tilt(-k * log1p, k * (abs(log1p) + (t / rate) / (1 + t / rate)), k / (rate + t))


# p's families with a moment-generating function written here (those registered against a Gumbel
# whose tilted mass can leave the quadrature's reach; a Uniform p's is bounded by its interval).
TILTED: dict[str, Callable[[dict[str, float], float], _Tilt]] = {"Normal": _normal_tilt, "Gumbel": _gumbel_tilt, "Gamma": _gamma_tilt, "Exponential": _gamma_tilt}
# Rounded operations in log E_p e^{−z}: a few products and sums on the terms counted, and the
# special functions (log1p, gammaln, digamma) within a couple of ulps each.
TILT_OPERATIONS = 8


@dataclass(frozen=True)
class _GumbelWithoutExponential:
    """A Gumbel's log-density less its e^{−z} term: ``−log β − (x − μ)/β``."""

    loc: float
    scale: float

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        return -math.log(self.scale) - (x - self.loc) / self.scale


def against_gumbel(p: Law, q: Law, law_p: Any) -> Definition:
    """KL(p‖q) for a Gumbel q and a p of :data:`TILTED`: ``E_p e^{−z}`` from p's moment-generating
    function, the rest of ``L`` over p's quantiles (``law_p``: p's scipy law)."""
    values_p, values_q = scalars(p), scalars(q)
    loc, scale = values_q["loc"], values_q["scale"]
    t = 1.0 / scale
    tilt = TILTED[p.family](values_p, t)
    log_mean = t * loc + tilt.log_mean
    if log_mean > math.log(np.finfo(float).max):
        return Definition(math.inf, 0.0, 0.0, f"E_p e^{{−z}} = e^{{{log_mean:.6g}}} exceeds every double (from p's moment-generating function)")
    mean = math.exp(log_mean)
    # exp turns the log's absolute error into a relative one, plus its own rounding.
    rounding = mean * (U64 + TILT_OPERATIONS * U64 * (abs(t * loc) + tilt.log_rounding))
    rest = quantile_definition(
        law_p,
        _GumbelWithoutExponential(loc, scale),
        break_points(q, FAMILIES["Gumbel"]),
        log_density_terms(p, FAMILIES[p.family]),
        lambda x: abs(math.log(scale)) + standardised_reach(x, loc, scale),
    )
    extra_scale = mean * (1.0 + (tilt.tilted_abs + abs(loc)) / scale)
    return Definition(
        rest.value + mean,
        rest.error,
        rest.scale + extra_scale,
        f"{rest.how} of L less q's e^{{−z}}, plus E_p e^{{−z}} = {mean:.6g} from p's moment-generating function",
        rest.rounding + rounding + U64 * abs(rest.value + mean),
    )


