r"""Beyond the notes · the closed-form KL divergences that ``torch.distributions`` registers.

For every pair of families ``(P, Q)`` that ``torch.distributions.kl`` registers,

    KL(p‖q) = E_p[log p(X) − log q(X)],   = +∞ when p charges a set that q does not,

and the closed form must equal the definition. The oracles compute the definition from
the densities alone (scipy.stats' log-densities, or a few written out below), never from
a torch formula:

* **finite discrete laws** (Bernoulli, Binomial, Categorical, OneHotCategorical): the
  exact sum over the support (``math.fsum``);
* **Poisson**: the sum over a window around the mass plus the tails beyond it, bounded
  (the pmf ratio ``λ/(k+1)`` is below ``r < 1`` past the window, a geometric series; the
  log-ratio of two Poisson laws is affine in ``k``, ``log k!`` cancels);
* **Geometric**: ``L(k) = a + b k`` read off the pmfs ``θ(1−θ)^k`` and ``E_p k = (1−θ)/θ``
  (no sum: a mean of 1e6 rounds a sum's terms 1e6 times);
* **one-dimensional continuous laws**: adaptive cubature (``scipy.integrate.cubature``,
  vectorised, with its error estimate) of ``L(x) = log p(x) − log q(x)`` over p's
  *quantiles*: ``∫_0^{1/2} L(F⁻¹(u)) du + ∫_0^{1/2} L(F̄⁻¹(v)) dv``. In ``u`` every law
  has the unit interval as its support whatever its scale (1e-8 or 1e8), and the tails
  become endpoint singularities, integrated in ``s`` with ``u = c e^{−s}``; scipy's
  quantiles are polished by Newton steps (:func:`quantile`). Against a Gumbel q, the term
  ``E_p e^{−(x−μ)/β}`` comes from p's moment-generating function: its mass sits where
  ``p·e^{−x/β}`` peaks, which for a Normal p can be 30σ out, beyond every region sampled;
* **Gaussians** (MultivariateNormal, LowRankMultivariateNormal): the project's
  Gauss–Hermite oracle of T7 (exact for the quadratic log-ratio);
* **Dirichlet and Wishart** (exponential families): ``L`` is affine in the sufficient
  statistics, ``L(x) = c + η·T(x)``; ``c`` from scipy's log-densities at one point,
  ``E_p T`` from one-dimensional quadrature (Dirichlet: ``E log x_i`` under the Beta
  marginal; Wishart: ``E log det X`` by Bartlett's decomposition, a sum of
  ``E log χ²`` by quadrature; ``E X = n V``);
* **Independent**: the sum of the components' oracles (T6, additivity);
  **TransformedDistribution** with the same transform on both sides: the base laws' KL
  (KL is invariant under a common bijection).

Infinities are decided, not integrated: p's support not inside q's (closures of
intervals, or a mass point of p where q has none), or a Pareto p whose tail makes
``E_p log q`` diverge (``α ≤ m`` against a ``q`` with ``log q ~ −x^m``).

The tolerance of each element: the oracle's stated bar (``QUADRATURE_SAFETY ×`` its error
estimate, plus a bound on its own rounding, ``DENSITY_OPERATIONS·u·(1 + E_p Σ|terms|)``,
checked against 50-digit values by tests/test_kl_oracles_against_mpmath.py), plus the rounding of a closed form on the scale of the terms it combines,
``γ_K (1 + E_p Σ|terms of log p| + E_p Σ|terms of log q|)`` with ``K = 64`` (a closed form
of a few dozen rounded operations and special functions, each within a few ulps; Higham
§3.1), the terms counted as closed forms write them (each lgamma of a normaliser apart,
``(|x| + |μ|)/σ`` for a standardised variable, κ-fold where a matrix is inverted): a
formula that cancels terms much larger than those loses more than that, and is reported.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special
import scipy.stats
import torch
from torch import distributions as D

from theorems.calling import call_implementation, tensor
from theorems.evidence import Evidence, implementation_failure
from theorems.oracles.quadrature import QUADRATURE_SAFETY, OracleError, OracleValue, compare_scalar, integrals_by_cubature
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, gamma

__all__ = [
    "FAMILIES",
    "Law",
    "LawPair",
    "check_kl_closed_forms",
    "kl_by_definition",
    "kl_divergence",
    "registered_pairs",
]

THEOREM_ID = "kl-closed-forms"
# Rounded operations (and special functions within a few ulps) a closed form may take.
CLOSED_FORM_OPERATIONS = 64


# --- laws: a family and its parameters ----------------------------------------------------


@dataclass(frozen=True)
class Law:
    """A batch of one family's laws: parameters as float64 arrays, the batch along axis 0.

    ``base`` is the component law of ``Independent`` (one batch dimension reinterpreted)
    and of ``TransformedDistribution`` (with ``transform``: ``"exp"`` or ``"affine"``,
    whose ``loc``/``scale`` are in ``params``).
    """

    family: str
    params: tuple[tuple[str, np.ndarray], ...] = ()
    base: Law | None = None
    transform: str | None = None

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        return dict(self.params)

    @property
    def batch(self) -> int:
        if self.family == "Independent":
            return self.base.batch
        if self.base is not None and not self.params:
            return self.base.batch
        return len(next(iter(self.parameters.values())))

    def element(self, i: int) -> Law:
        """The ``i``-th law of the batch."""
        if self.family == "Independent":
            raise InvalidInput("an Independent law has no elements of its own; take its base's")
        base = self.base.element(i) if self.base is not None else None
        return Law(self.family, tuple((name, value[i : i + 1]) for name, value in self.params), base, self.transform)

    def component(self, i: int, j: int) -> Law:
        """Component ``j`` of element ``i`` of a batch of shape ``(B, n)`` (the base of ``Independent``)."""
        return Law(self.family, tuple((name, value[i, j : j + 1]) for name, value in self.params))

    @property
    def components(self) -> int:
        return next(iter(self.parameters.values())).shape[1]

    def build(self) -> D.Distribution:
        """A fresh torch distribution (float64 parameters; validation on)."""
        if self.family == "Independent":
            return D.Independent(self.base.build(), 1, validate_args=True)
        if self.family == "TransformedDistribution":
            return D.TransformedDistribution(self.base.build(), [self._transform()], validate_args=True)
        tensors = {name: torch.tensor(value, dtype=torch.float64) for name, value in self.params}
        with warnings.catch_warnings():  # Wishart warns of singular *samples* for a low df; no sample is drawn
            warnings.simplefilter("ignore", UserWarning)
            return FAMILIES[self.family].build(tensors)

    def _transform(self) -> D.Transform:
        if self.transform == "exp":
            return D.ExpTransform()
        loc, scale = (torch.tensor(self.parameters[name], dtype=torch.float64) for name in ("loc", "scale"))
        return D.AffineTransform(loc, scale)

    def __repr__(self) -> str:
        if self.family == "Independent":
            return f"Independent({self.base!r}, 1)"
        shown = ", ".join(f"{name}={_shown(value)}" for name, value in self.params)
        if self.family == "TransformedDistribution":
            return f"TransformedDistribution({self.base!r}, {self.transform}{'(' + shown + ')' if shown else ''})"
        return f"{self.family}({shown})"


def _shown(value: np.ndarray) -> str:
    flat = np.asarray(value).reshape(len(value), -1)
    if flat.shape[1] > 6:
        return f"<{value.shape} array>"
    rows = [f"[{', '.join(f'{x:.6g}' for x in row)}]" if flat.shape[1] > 1 else f"{row[0]:.17g}" for row in flat]
    return rows[0] if len(rows) == 1 else "[" + ", ".join(rows) + "]"


@dataclass(frozen=True)
class LawPair:
    """The example of ``kl-closed-forms``: ``p`` and ``q`` with the same batch size."""

    p: Law
    q: Law

    @property
    def pair(self) -> str:
        return pair_name(self.p.family, self.q.family)

    def arguments(self) -> tuple[D.Distribution, D.Distribution]:
        return self.p.build(), self.q.build()

    def __repr__(self) -> str:
        return f"KL({self.p!r} ‖ {self.q!r})"


def pair_name(p_family: str, q_family: str) -> str:
    return f"{p_family}‖{q_family}"


# --- families: how to build each, and its density for the oracle --------------------------


@dataclass(frozen=True)
class Family:
    """One family: its torch constructor and what the oracle needs of it.

    ``scipy`` maps one law's parameters (floats) to a frozen scipy.stats law (or an object
    with ``logpdf``/``ppf``/``isf``/``support``); ``support`` gives the closure of the
    support as an interval (``discrete`` laws: of integers); ``tail`` is ``m`` where
    ``log q(x) ~ −x^m`` as ``x → ∞`` (0: at most logarithmic).
    """

    build: Callable[[dict[str, torch.Tensor]], D.Distribution]
    scipy: Callable[..., Any] | None
    support: Callable[..., tuple[float, float]]
    discrete: bool = False
    tail: float = 0.0
    # Σ|terms| of the log-density at x as its closed form is written (log-normaliser and
    # each sufficient-statistic term apart): what a closed form of the KL rounds.
    terms: Callable[..., np.ndarray] | None = None


class ContinuousBernoulliLaw:
    """The continuous Bernoulli law (Loaiza-Ganem & Cunningham 2019) written out: scipy has none.

    ``f(x) = C(λ) λ^x (1−λ)^{1−x}`` on ``[0, 1]``, ``C(λ) = 2 artanh(1−2λ)/(1−2λ)`` (2 at
    λ = ½), ``F(x) = expm1(xℓ)/expm1(ℓ)`` with ``ℓ = log λ − log(1−λ)``, inverted with ``log1p``.

    Everything is written from ``log λ`` and ``log(1−λ)``, never from ``1 − 2λ`` where that
    rounds: near λ = 1e-6 the rounding of z = 1 − 2λ (u absolute) moves artanh(z) by
    u/(1 − z²) ≈ 3e-11, and ``log C`` by 2e-12 relative. ``complement`` is 1 − λ where it
    is known exactly (the law of 1 − X of a CB(λ) is CB(1 − λ), whose own 1 − λ is λ,
    not fl(1 − fl(1 − λ)), which keeps only 10 digits of λ = 1e-6).
    """

    def __init__(self, probs: float, complement: float | None = None) -> None:
        self.probs = probs
        self.complement = 1.0 - probs if complement is None else complement
        with np.errstate(divide="ignore"):
            self.log_probs = float(np.log(probs)) if complement is None else float(np.log1p(-complement))
            self.log_complement = float(np.log1p(-probs)) if complement is None else float(np.log(complement))

    @property
    def logit(self) -> float:
        """``ℓ = log λ − log(1−λ)``."""
        return self.log_probs - self.log_complement

    def log_normaliser(self) -> float:
        """``log C(λ)``, accurate to a few ulps on (0, 1): with s = min(λ, 1−λ) (C is symmetric),
        ``C = (log1p(−s) − log s)/(1 − 2s)`` for s < ¼ (a sum of two terms of one sign, over
        ``1 − 2s`` taken as log1p(−2s)), and ``2 artanh(z)/z`` with ``z = 1 − 2s`` exact (Sterbenz)
        for s in [¼, ½] (artanh(z)/z → 1 without cancellation as z → 0)."""
        if self.probs <= self.complement:
            small, log_small, log_large = self.probs, self.log_probs, self.log_complement
        else:
            small, log_small, log_large = self.complement, self.log_complement, self.log_probs
        if small < 0.25:
            return math.log(log_large - log_small) - math.log1p(-2.0 * small)
        z = 1.0 - 2.0 * small
        return math.log(2.0) if z == 0 else math.log(2.0 * math.atanh(z) / z)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        inside = (x >= 0) & (x <= 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = self.log_normaliser() + x * self.log_probs + (1 - x) * self.log_complement
        return np.where(inside, value, -np.inf)

    def cdf(self, x: float) -> float:
        ell = self.logit
        x = float(np.clip(x, 0.0, 1.0))
        return x if ell == 0 else float(np.clip(math.expm1(x * ell) / math.expm1(ell), 0.0, 1.0))

    def sf(self, x: float) -> float:
        return self.reflected().cdf(1.0 - x)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """``log1p(u·expm1(ℓ))/ℓ``, as ``u · expm1(ℓ)/ℓ · log1p(y)/y`` (y = u·expm1(ℓ)): near λ = ½
        (ℓ ≈ 1e-12) a tail's y = 1e-300·ℓ is subnormal and keeps few digits; the ratios do not."""
        u = np.asarray(u, dtype=float)
        ell = self.logit
        if ell == 0:
            return u
        y = u * math.expm1(ell)
        with np.errstate(all="ignore"):
            ratio = np.where(np.abs(y) < 1e-8, 1.0 - y / 2, np.log1p(y) / np.where(y == 0, 1.0, y))
        return u * (math.expm1(ell) / ell) * ratio

    def isf(self, v: np.ndarray) -> np.ndarray:
        # 1 − F⁻¹(1 − v) for λ is F⁻¹(v) for 1 − λ: the law of 1 − X.
        return 1.0 - self.reflected().ppf(v)

    def reflected(self) -> ContinuousBernoulliLaw:
        """The law of 1 − X: CB(1 − λ), with λ as its exact complement."""
        return ContinuousBernoulliLaw(self.complement, complement=self.probs)

    def support(self) -> tuple[float, float]:
        return 0.0, 1.0


class _Written:
    """A scipy.stats law whose ``logpdf`` is written out: scipy's is ``log(pdf)`` for Laplace
    (``-inf`` beyond |x| ≈ 745) and Pareto (``-inf`` at 1e300), where the log-density is finite."""

    def __init__(self, law: Any, logpdf: Callable[[np.ndarray], np.ndarray]) -> None:
        self.law, self.logpdf = law, logpdf

    def __getattr__(self, name: str) -> Any:
        return getattr(self.law, name)


def _laplace(loc: float, scale: float) -> _Written:
    return _Written(scipy.stats.laplace(loc, scale), lambda x: -math.log(2 * scale) - np.abs(x - loc) / scale)


def _pareto(scale: float, alpha: float) -> _Written:
    def logpdf(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x >= scale, math.log(alpha) + alpha * math.log(scale) - (alpha + 1) * np.log(x), -np.inf)

    return _Written(scipy.stats.pareto(alpha, scale=scale), logpdf)


def _categorical(probs: torch.Tensor, one_hot: bool) -> D.Distribution:
    return D.OneHotCategorical(probs=probs, validate_args=True) if one_hot else D.Categorical(probs=probs, validate_args=True)


INF = math.inf
HALF_LOG_TAU = 0.5 * math.log(2 * math.pi)
FAMILIES: dict[str, Family] = {
    "Normal": Family(lambda t: D.Normal(t["loc"], t["scale"], validate_args=True), lambda loc, scale: scipy.stats.norm(loc, scale), lambda **_: (-INF, INF), tail=2.0, terms=lambda x, loc, scale: abs(math.log(scale)) + HALF_LOG_TAU + 0.5 * ((x - loc) / scale) ** 2 + np.abs((x - loc) / scale) * _reach(x, loc, scale)),
    "HalfNormal": Family(lambda t: D.HalfNormal(t["scale"], validate_args=True), lambda scale: scipy.stats.halfnorm(scale=scale), lambda **_: (0.0, INF), tail=2.0, terms=lambda x, scale: abs(math.log(scale)) + HALF_LOG_TAU + 0.5 * (x / scale) ** 2),
    "Laplace": Family(lambda t: D.Laplace(t["loc"], t["scale"], validate_args=True), _laplace, lambda **_: (-INF, INF), tail=1.0, terms=lambda x, loc, scale: abs(math.log(2 * scale)) + _reach(x, loc, scale)),
    "Cauchy": Family(lambda t: D.Cauchy(t["loc"], t["scale"], validate_args=True), lambda loc, scale: scipy.stats.cauchy(loc, scale), lambda **_: (-INF, INF), terms=lambda x, loc, scale: abs(math.log(math.pi * scale)) + np.log1p(((x - loc) / scale) ** 2) + _cauchy_rounding(x, loc, scale)),
    "Gumbel": Family(lambda t: D.Gumbel(t["loc"], t["scale"], validate_args=True), lambda loc, scale: scipy.stats.gumbel_r(loc, scale), lambda **_: (-INF, INF), tail=1.0, terms=lambda x, loc, scale: abs(math.log(scale)) + (1 + np.exp(-(x - loc) / scale)) * _reach(x, loc, scale)),
    "Exponential": Family(lambda t: D.Exponential(t["rate"], validate_args=True), lambda rate: scipy.stats.expon(scale=1 / rate), lambda **_: (0.0, INF), tail=1.0, terms=lambda x, rate: abs(math.log(rate)) + rate * np.abs(x)),
    "Gamma": Family(
        lambda t: D.Gamma(t["concentration"], t["rate"], validate_args=True),
        lambda concentration, rate: scipy.stats.gamma(concentration, scale=1 / rate),
        lambda **_: (0.0, INF),
        tail=1.0,
        terms=lambda x, concentration, rate: abs(concentration * math.log(rate)) + abs(math.lgamma(concentration)) + np.abs(scipy.special.xlogy(concentration - 1, x)) + rate * np.abs(x),
    ),
    "Beta": Family(
        lambda t: D.Beta(t["concentration1"], t["concentration0"], validate_args=True),
        lambda concentration1, concentration0: scipy.stats.beta(concentration1, concentration0),
        lambda **_: (0.0, 1.0),
        terms=lambda x, concentration1, concentration0: _lgammas(concentration1, concentration0, concentration1 + concentration0) + np.abs(scipy.special.xlogy(concentration1 - 1, x)) + np.abs(scipy.special.xlog1py(concentration0 - 1, -x)),
    ),
    "ContinuousBernoulli": Family(lambda t: D.ContinuousBernoulli(probs=t["probs"], validate_args=True), ContinuousBernoulliLaw, lambda **_: (0.0, 1.0), terms=lambda x, probs: abs(ContinuousBernoulliLaw(probs).log_normaliser()) + np.abs(scipy.special.xlogy(x, probs)) + np.abs(scipy.special.xlog1py(1 - x, -probs))),
    "Uniform": Family(
        lambda t: D.Uniform(t["low"], t["high"], validate_args=True),
        lambda low, high: scipy.stats.uniform(low, high - low),
        lambda low, high: (low, high),
        terms=lambda x, low, high: abs(math.log(high - low)) + 0 * x,
    ),
    "Pareto": Family(
        lambda t: D.Pareto(t["scale"], t["alpha"], validate_args=True),
        _pareto,
        lambda scale, alpha: (scale, INF),
        terms=lambda x, scale, alpha: abs(math.log(alpha)) + abs(alpha * math.log(scale)) + np.abs((alpha + 1) * np.log(x)),
    ),
    "Bernoulli": Family(lambda t: D.Bernoulli(probs=t["probs"], validate_args=True), lambda probs: scipy.stats.bernoulli(probs), lambda **_: (0, 1), discrete=True, terms=lambda k, probs: np.abs(scipy.special.xlogy(k, probs)) + np.abs(scipy.special.xlog1py(1 - k, -probs))),
    "Binomial": Family(
        lambda t: D.Binomial(t["total_count"], probs=t["probs"], validate_args=True),
        lambda total_count, probs: scipy.stats.binom(int(total_count), probs),
        lambda total_count, probs: (0, int(total_count)),
        discrete=True,
        terms=lambda k, total_count, probs: abs(math.lgamma(total_count + 1)) + np.abs(scipy.special.gammaln(k + 1)) + np.abs(scipy.special.gammaln(total_count - k + 1)) + np.abs(scipy.special.xlogy(k, probs)) + np.abs(scipy.special.xlog1py(total_count - k, -probs)),
    ),
    "Poisson": Family(lambda t: D.Poisson(t["rate"], validate_args=True), lambda rate: scipy.stats.poisson(rate), lambda **_: (0, INF), discrete=True, terms=lambda k, rate: np.abs(scipy.special.xlogy(k, rate)) + rate + scipy.special.gammaln(k + 1)),
    # torch's Geometric counts the failures before the first success: scipy's geom shifted by one.
    "Geometric": Family(lambda t: D.Geometric(probs=t["probs"], validate_args=True), lambda probs: scipy.stats.geom(probs, loc=-1), lambda **_: (0, INF), discrete=True, terms=lambda k, probs: abs(math.log(probs)) + np.abs(scipy.special.xlog1py(k, -probs))),
    "Categorical": Family(lambda t: _categorical(t["probs"], False), None, lambda **_: (0, INF), discrete=True),
    "OneHotCategorical": Family(lambda t: _categorical(t["probs"], True), None, lambda **_: (0, INF), discrete=True),
    "MultivariateNormal": Family(lambda t: D.MultivariateNormal(t["loc"], covariance_matrix=t["covariance_matrix"], validate_args=True), None, lambda **_: (-INF, INF)),
    "LowRankMultivariateNormal": Family(lambda t: D.LowRankMultivariateNormal(t["loc"], t["cov_factor"], t["cov_diag"], validate_args=True), None, lambda **_: (-INF, INF)),
    "Dirichlet": Family(lambda t: D.Dirichlet(t["concentration"], validate_args=True), None, lambda **_: (0.0, 1.0)),
    "Wishart": Family(lambda t: D.Wishart(t["df"], covariance_matrix=t["covariance_matrix"], validate_args=True), None, lambda **_: (0.0, INF)),
}


def _reach(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
    """``(|x| + |μ|)/σ``: the standardised ``(x − μ)/σ`` is rounded on that scale, which is far
    above ``|x − μ|/σ`` when a law sits far from 0 in units of its own scale."""
    return (np.abs(x) + abs(loc)) / scale


def _cauchy_rounding(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
    """What the rounding of z = (x − μ)/σ does to log1p(z²): its slope 2|z|/(1 + z²) times
    (|x| + |μ|)/σ, which stays of order 2 in the tails (where E|x| itself is infinite)."""
    z = (x - loc) / scale
    return 2 * np.abs(z) / (1 + z**2) * _reach(x, loc, scale)


def _lgammas(*arguments: float) -> float:
    """Σ|lgamma(a)|: a Beta or Dirichlet normaliser as closed forms write it, one lgamma each."""
    return sum(abs(math.lgamma(a)) for a in arguments)


def registered_pairs() -> list[tuple[str, str]]:
    """The installed torch's registered pairs (by class name), sorted: the ones every run covers."""
    return sorted((p.__name__, q.__name__) for p, q in D.kl._KL_REGISTRY)


# --- the oracle ---------------------------------------------------------------------------


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
        tests/test_kl_oracles_against_mpmath.py checks against 50-digit values)."""
        return QUADRATURE_SAFETY * self.error + self.rounding


def infinite(how: str) -> Definition:
    return Definition(math.inf, 0.0, 0.0, how)


def kl_by_definition(p: Law, q: Law) -> list[Definition]:
    """The definition of KL(p_i‖q_i) for each element ``i`` of the batch."""
    # Overflow and log(0) inside scipy are expected deep in a tail; their values are handled.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _definitions(p, q)


def _definitions(p: Law, q: Law) -> list[Definition]:
    if p.family == "Independent":
        return [_summed([_definition(p.base.component(i, j), q.base.component(i, j)) for j in range(p.base.components)]) for i in range(p.batch)]
    if p.family == "TransformedDistribution":
        return [_invariant(kl_by_definition(p.base.element(i), q.base.element(i))[0]) for i in range(p.batch)]
    return [_definition(p.element(i), q.element(i)) for i in range(p.batch)]


def _summed(parts: list[Definition]) -> Definition:
    value = math.fsum(part.value for part in parts) if all(math.isfinite(part.value) for part in parts) else math.inf
    rounding = sum(part.rounding for part in parts) + U64 * sum(abs(part.value) for part in parts if math.isfinite(part.value))
    return Definition(value, sum(part.error for part in parts), sum(part.scale for part in parts), f"the sum of {len(parts)} components' KLs (additivity, T6): " + parts[0].how, rounding)


def _invariant(base: Definition) -> Definition:
    return Definition(base.value, base.error, base.scale, "the base laws' KL (invariant under the common bijection): " + base.how, base.rounding)


def _scalars(law: Law) -> dict[str, float]:
    return {name: float(value[0]) for name, value in law.params}


def _law_key(law: Law) -> tuple[Any, ...]:
    """A hashable key that determines ``law`` exactly: its family, each parameter's name, shape
    and bytes (so −0.0 and 0.0, or two NaN payloads, are different keys: never a wrong hit), its
    base's key and its transform."""
    return (
        law.family,
        tuple((name, value.shape, value.dtype.str, value.tobytes()) for name, value in law.params),
        None if law.base is None else _law_key(law.base),
        law.transform,
    )


@dataclass(frozen=True, eq=False)
class _Keyed:
    """A law that hashes and compares by :func:`_law_key`, so that ``functools.lru_cache`` can keep its definitions."""

    law: Law

    def __hash__(self) -> int:
        return hash(_law_key(self.law))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Keyed) and _law_key(self.law) == _law_key(other.law)


def _definition(p: Law, q: Law) -> Definition:
    return _kept_definition(_Keyed(p), _Keyed(q))


# The definitions already computed in this process: the oracle is a pure function of the laws'
# parameters (its cubature is deterministic), and the same pair is asked for again and again
# within a run (the audited reference and torch-as-an-implementation on the same example, a
# planted error's exact value and then the check's, a shrink revisiting an example, a batch
# element shared by several examples). A hit returns the very Definition the first call computed;
# an OracleError is not kept (lru_cache keeps only returned values) and is raised again.
# lru_cache is thread-safe: a check may run in a worker thread (the engine's time limit).
@functools.lru_cache(maxsize=4096)
def _kept_definition(p: _Keyed, q: _Keyed) -> Definition:
    return _computed_definition(p.law, q.law)


def _computed_definition(p: Law, q: Law) -> Definition:
    if p.family in ("MultivariateNormal", "LowRankMultivariateNormal"):
        return _gaussian_definition(p, q)
    if p.family == "Dirichlet":
        return _dirichlet_definition(p, q)
    if p.family == "Wishart":
        return _wishart_definition(p, q)
    if p.family in ("Categorical", "OneHotCategorical"):
        pp, qp = (law.parameters["probs"][0] for law in (p, q))
        return _finite_sum(np.log(pp / pp.sum()), np.log(qp / qp.sum()), "the exact sum over the categories")
    family_p, family_q = FAMILIES[p.family], FAMILIES[q.family]
    law_p, law_q = family_p.scipy(**_scalars(p)), family_q.scipy(**_scalars(q))
    if family_p.discrete:
        return _discrete_definition(p, q, law_p, law_q)
    lo_p, hi_p = family_p.support(**_scalars(p))
    lo_q, hi_q = family_q.support(**_scalars(q))
    if family_q.discrete or lo_p < lo_q or hi_p > hi_q:
        return infinite(f"p's support [{lo_p:.6g}, {hi_p:.6g}] is not inside q's [{lo_q:.6g}, {hi_q:.6g}]")
    if p.family == "Pareto" and family_q.tail and _scalars(p)["alpha"] <= family_q.tail:
        return infinite(f"E_p log q diverges: p's tail x^-(α+1), α = {_scalars(p)['alpha']:.6g} ≤ {family_q.tail:g}, against log q ~ −x^{family_q.tail:g}")
    if q.family == "Gumbel" and p.family in TILTED:
        return _against_gumbel(p, q, law_p)
    reflected = _reflected_side(p, q) if p.family in REFLECTED else None
    return _quantile_definition(law_p, law_q, _breaks(q, family_q), _terms(p, family_p), _terms(q, family_q), reflected)


# --- a Gumbel q: its e^{−z} term by p's moment-generating function ---------------------------
#
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


def _against_gumbel(p: Law, q: Law, law_p: Any) -> Definition:
    values_p, values_q = _scalars(p), _scalars(q)
    loc, scale = values_q["loc"], values_q["scale"]
    t = 1.0 / scale
    tilt = TILTED[p.family](values_p, t)
    log_mean = t * loc + tilt.log_mean
    if log_mean > math.log(np.finfo(float).max):
        return Definition(math.inf, 0.0, 0.0, f"E_p e^{{−z}} = e^{{{log_mean:.6g}}} exceeds every double (from p's moment-generating function)")
    mean = math.exp(log_mean)
    # exp turns the log's absolute error into a relative one, plus its own rounding.
    rounding = mean * (U64 + TILT_OPERATIONS * U64 * (abs(t * loc) + tilt.log_rounding))
    rest = _quantile_definition(
        law_p,
        _GumbelWithoutExponential(loc, scale),
        _breaks(q, FAMILIES["Gumbel"]),
        _terms(p, FAMILIES[p.family]),
        lambda x: abs(math.log(scale)) + _reach(x, loc, scale),
    )
    extra_scale = mean * (1.0 + (tilt.tilted_abs + abs(loc)) / scale)
    return Definition(
        rest.value + mean,
        rest.error,
        rest.scale + extra_scale,
        f"{rest.how} of L less q's e^{{−z}}, plus E_p e^{{−z}} = {mean:.6g} from p's moment-generating function",
        rest.rounding + rounding + U64 * abs(rest.value + mean),
    )


# Laws on [0, 1] whose upper half is integrated as the lower half of 1 − X: near 1 the
# quantile 1 − y keeps no digit of a y below 1e-16, where a Beta(·, ½) still has mass.
# (Not Uniform: its density is flat to its ends, and 1 − high, 1 − low would round a narrow
# interval's width, and so its density, by u/width.)
REFLECTED = {"Beta": ("concentration0", "concentration1"), "ContinuousBernoulli": ("probs",)}


def _reflection(law: Law) -> Law | None:
    """The law of 1 − X as a Law of the same family, where the family is closed under it."""
    values = _scalars(law)
    if law.family == "Beta":
        return _scalar_law("Beta", concentration1=values["concentration0"], concentration0=values["concentration1"])
    if law.family == "ContinuousBernoulli":
        return _scalar_law("ContinuousBernoulli", probs=1.0 - values["probs"])
    if law.family == "Uniform":
        return _scalar_law("Uniform", low=1.0 - values["high"], high=1.0 - values["low"])
    return None


def _reflected_scipy(law: Law, reflection: Law) -> Any:
    """The oracle's law of 1 − X: a continuous Bernoulli keeps λ as its exact complement
    (its parameter 1 − λ rounds, and fl(1 − fl(1 − λ)) keeps 10 digits of λ = 1e-6)."""
    if law.family == "ContinuousBernoulli":
        return ContinuousBernoulliLaw(_scalars(law)["probs"]).reflected()
    return FAMILIES[law.family].scipy(**_scalars(reflection))


def _scalar_law(family: str, **values: float) -> Law:
    return Law(family, tuple((name, np.array([value])) for name, value in values.items()))


@dataclass(frozen=True)
class _AtOneMinus:
    """A law evaluated at 1 − y (its log-density and terms), for a q not closed under reflection."""

    law: Any
    terms: Callable[[np.ndarray], np.ndarray]

    def logpdf(self, y: np.ndarray) -> np.ndarray:
        return self.law.logpdf(1.0 - y)

    def cdf(self, y: float) -> float:
        return float(self.law.sf(1.0 - y))


def _reflected_side(p: Law, q: Law) -> tuple[Any, Any, Callable, Callable, list[float]]:
    """p's and q's laws (and terms) as functions of y = 1 − x, and q's breaks in y."""
    p_r = _reflection(p)
    q_r = _reflection(q)
    family_p = FAMILIES[p.family]
    law_p_r = _reflected_scipy(p, p_r)
    if q_r is not None:
        law_q_r, terms_q_r = _reflected_scipy(q, q_r), _terms(q_r, FAMILIES[q.family])
    else:
        terms_q = _terms(q, FAMILIES[q.family])
        law_q_r = _AtOneMinus(FAMILIES[q.family].scipy(**_scalars(q)), terms_q)
        terms_q_r = lambda y: terms_q(1.0 - y)  # noqa: E731
    breaks = [1.0 - x for x in _breaks(q, FAMILIES[q.family])]
    return law_p_r, law_q_r, _terms(p_r, family_p), terms_q_r, breaks


def _terms(law: Law, family: Family) -> Callable[[np.ndarray], np.ndarray]:
    values = _scalars(law)
    return lambda x: family.terms(x, **values)


def _breaks(q: Law, family: Family) -> list[float]:
    """Points where ``log q`` has a kink, a spike or an end: the cubature's regions are split there."""
    values = _scalars(q)
    lo, hi = family.support(**values)
    points = [lo, hi]
    # A q narrow against p (a scale 1e-8 against p's 1, a Gumbel's e^{-z} within a few of its
    # scales) is a feature of log q that an adaptive rule's first nodes can step over: region
    # edges at its location and 1, 8 and 64 of its scales either side put nodes on it.
    if "loc" in values and "scale" in values:
        points += [values["loc"] + k * values["scale"] for k in (-64, -8, -1, 0, 1, 8, 64)]
    return [x for x in points if math.isfinite(x)]


def _quantile_definition(
    law_p: Any,
    law_q: Any,
    breaks: list[float],
    terms_p: Callable[[np.ndarray], np.ndarray],
    terms_q: Callable[[np.ndarray], np.ndarray],
    reflected: tuple[Any, Any, Callable, Callable, list[float]] | None = None,
) -> Definition:
    """``∫ L dF_p`` (and ``∫ terms_p + terms_q dF_p``) over p's quantiles, below and above the median, split where ``log q`` kinks.

    ``reflected`` (p's and q's laws, terms and breaks as functions of ``y = 1 − x``): the
    upper half is integrated as the lower half of ``1 − X``.
    """

    def integrand(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.stack([law_p.logpdf(x) - law_q.logpdf(x), terms_p(x) + terms_q(x)], axis=-1)

    lower_cuts = [u for u in (float(law_p.cdf(x)) for x in breaks) if 0 < u < 0.5]
    upper_cuts = [v for v in (float(law_p.sf(x)) for x in breaks) if 0 < v < 0.5]
    # Each value of L is rounded on the scale of the log-densities' terms (a Gamma with
    # concentration 4000 has lgamma terms of 3e4 that cancel to L ≈ 1e-10): asking the rule
    # for less than that rounding, it never converges. Its absolute target is set from the
    # terms at p's median (the estimate it returns enters the tolerance as always).
    median = np.atleast_1d(quantile(law_p, np.array([0.5])))
    floor = 64 * U64 * (1.0 + float(np.max(integrand(median)[..., 1])))
    lower = _half_integral(lambda u: integrand(quantile(law_p, u)), lower_cuts, atol=floor)
    if reflected is None:
        upper = _half_integral(lambda v: integrand(quantile(law_p, v, upper=True)), upper_cuts, atol=floor)
    else:
        law_p_r, law_q_r, terms_p_r, terms_q_r, breaks_r = reflected

        def integrand_r(y: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.stack([law_p_r.logpdf(y) - law_q_r.logpdf(y), terms_p_r(y) + terms_q_r(y)], axis=-1)

        cuts_r = [v for v in (float(law_p_r.cdf(y)) for y in breaks_r) if 0 < v < 0.5]
        upper = _half_integral(lambda v: integrand_r(quantile(law_p_r, v)), cuts_r, atol=floor)
    value, error = lower.estimate[0] + upper.estimate[0], lower.error[0] + upper.error[0]
    scale = lower.estimate[1] + upper.estimate[1]
    return Definition(float(value), float(error), float(scale), f"adaptive cubature over p's quantiles (error estimate {error:.1e})", DENSITY_OPERATIONS * U64 * (1.0 + float(scale)))


def quantile(law: Any, u: np.ndarray, *, upper: bool = False) -> np.ndarray:
    """``F⁻¹(u)`` (``upper``: ``F̄⁻¹(u)``), polished by two Newton steps on ``log F(x) = log u`` in ``log x``.

    scipy's inverses are not always right deep in a tail: ``beta(0.5, 3).ppf(1e-10)`` is
    1.96e-25 where ``F⁻¹`` is 2.84e-21 (its cdf there is 1e-12). A tail's cdf behaves like
    a power of x, on which a Newton step in ``log x`` is exact; the steps are taken where
    the law is positive with a finite log-cdf, and kept only where they reduce the residual.
    """
    x = np.asarray(law.isf(u) if upper else law.ppf(u), dtype=float)
    if not hasattr(law, "logcdf"):
        return x  # written out in closed form (the continuous Bernoulli)
    target = np.log(u)
    log_tail = law.logsf if upper else law.logcdf
    sign = -1.0 if upper else 1.0
    # Each log-tail value is computed once and carried along (the same values the steps would
    # recompute: at x, and at a kept step's x, which is where the step moved).
    with np.errstate(all="ignore"):
        at_x = log_tail(x)
    for _ in range(2):
        with np.errstate(all="ignore"):
            residual = at_x - target
            slope = sign * np.exp(law.logpdf(x) + np.log(np.abs(x)) - at_x)  # d log F / d log|x|
            moved = x * np.exp(-np.sign(x) * residual / slope)
            at_moved = log_tail(moved)
            better = np.isfinite(moved) & (x != 0) & (np.abs(at_moved - target) < np.abs(residual))
        x, at_x = np.where(better, moved, x), np.where(better, at_moved, at_x)
    return x


@dataclass(frozen=True)
class _Integral:
    estimate: np.ndarray
    error: np.ndarray


def _half_integral(function: Callable[[np.ndarray], np.ndarray], cuts: list[float], *, atol: float = 1e-13) -> _Integral:
    """``∫_0^{1/2} function(u) du``, vectorised; ``cuts`` in ``(0, ½)`` become region edges.

    The end at 0 (a tail of p, where ``L`` may be singular) is integrated in ``s`` with
    ``u = c e^{−s}``: an integrable singularity ``u^{−β}`` (β < 1) becomes the decay
    ``e^{−(1−β)s}`` and a logarithmic one a polynomial times ``e^{−s}``, which an adaptive
    rule resolves without extrapolation.

    Deep in a tail p's quantile can stop being representable: it rounds to the end of
    p's support (a Beta(·, ½) quantile within 1e-16 of 1, a Pareto quantile past 1e308),
    where a log-density is infinite. The tail is integrated only up to the last ``s`` of a
    grid where every value is finite (a jump to nothing would keep an adaptive rule
    subdividing forever); the part beyond, ``∫_0^{u*} |f|``, is taken into the error
    estimate as ``u*·(1 + 2 max|f|)`` over the resolved grid (the log-densities of these
    families grow only logarithmically toward an end of the support, so that is its order).
    """
    edges = sorted(cuts) + [0.5]
    first = edges[0]
    grid = np.arange(0.0, max(1.0, math.log(first / SMALLEST_U)), 1.0)
    probe = function(first * np.exp(-grid))
    finite = np.all(np.isfinite(probe), axis=1)
    reach, dropped = np.inf, 0.0
    if not finite.all():
        last = int(np.argmin(finite)) - 1  # the grid point before the first unresolved one
        reach = float(grid[max(last, 0)])
        largest = float(np.abs(probe[: max(last, 0) + 1][finite[: max(last, 0) + 1]]).max(initial=0.0))
        dropped = first * math.exp(-reach) * (1.0 + 2.0 * largest)

    def tail(s: np.ndarray) -> np.ndarray:
        u = first * np.exp(-s[:, 0])
        values = function(u) * u[:, None]
        return np.where(np.isfinite(values), values, 0.0)  # u below the smallest double: nothing left

    parts = [_cubature(tail, 0.0, reach, atol, None)] if reach > 0 else []
    if first < 0.5:
        inner = [np.array([edge]) for edge in edges[1:-1]] or None
        parts.append(_cubature(lambda u: function(u[:, 0]), first, 0.5, atol, inner))
    if not reach > 0:
        dropped = first * (1.0 + 2.0 * float(np.abs(probe[0]).max()))
    return _Integral(sum((part.estimate for part in parts), np.zeros(probe.shape[1])), sum((part.error for part in parts), np.zeros(probe.shape[1])) + dropped)


# The cubature's relative target: its error estimate (× QUADRATURE_SAFETY) is the oracle's
# part of the tolerance, so it bounds what the check resolves (a 1e-9 offset on a KL of 0.4
# needs better than 3e-11 relative); the absolute target stays at the terms' rounding.
RELATIVE_TARGET = 1e-11

def _cubature(integrand: Callable[[np.ndarray], np.ndarray], low: float, high: float, atol: float, points: Any) -> Any:
    """Adaptive cubature at RELATIVE_TARGET; where that many digits do not converge (a log
    singularity a narrow q puts inside p, as Cauchy(·, 1e-8) does), once more at a hundred
    times the target, whose honest error estimate then widens this example's tolerance."""
    for target in (RELATIVE_TARGET, 100 * RELATIVE_TARGET):
        try:
            return integrals_by_cubature(integrand, np.array([low]), np.array([high]), rtol=target, atol=atol, points=points)
        except OracleError:
            if target != RELATIVE_TARGET:
                raise
    raise AssertionError("unreachable")


# The smallest u the tail is probed at (and integrated to, where every value is finite):
# the smallest normal double; below it scipy's inverses work in subnormals.
SMALLEST_U = 2.2250738585072014e-308


def _finite_sum(log_p: np.ndarray, log_q: np.ndarray, how: str, terms: np.ndarray | None = None) -> Definition:
    """``Σ_{p_k > 0} p_k (log p_k − log q_k)`` exactly; +∞ if some ``p_k > 0 = q_k``.

    ``terms``: Σ|terms| of both log-pmfs at each point (default ``|log p_k| + |log q_k|``).
    """
    mass = np.exp(log_p)
    charged = mass > 0
    if np.any(charged & np.isneginf(log_q)):
        return infinite("p charges a point that q does not")
    ratio = log_p[charged] - log_q[charged]
    value = math.fsum(mass[charged] * ratio)
    sizes = (np.abs(log_p) + np.abs(log_q) if terms is None else terms)[charged]
    scale = math.fsum(mass[charged] * sizes)
    # The oracle's own rounding: each log p_k is off by DENSITY_OPERATIONS·u·(1 + its terms) at most,
    # which moves each L_k by that much and each weight p_k = exp(log p_k) relatively by as much:
    # Σ p_k L_k moves by at most Σ p_k (1 + |L_k|) DENSITY_OPERATIONS·u·(1 + terms_k) (fsum adds nothing).
    rounding = DENSITY_OPERATIONS * U64 * math.fsum(mass[charged] * (1.0 + np.abs(ratio)) * (1.0 + sizes))
    return Definition(value, 0.0, scale, how, rounding)


# The window of an infinite discrete support: WINDOW standard deviations past the mean
# (and at least WINDOW points); past it the tail below is bounded, not neglected.
WINDOW = 40


def _discrete_definition(p: Law, q: Law, law_p: Any, law_q: Any) -> Definition:
    lo_p, hi_p = FAMILIES[p.family].support(**_scalars(p))
    if math.isfinite(hi_p):
        k = np.arange(lo_p, hi_p + 1, dtype=float)
        with np.errstate(divide="ignore"):
            return _finite_sum(law_p.logpmf(k), law_q.logpmf(k), f"the exact sum over {len(k)} points of p's support", _pmf_terms(p, q, k))
    mean, std = float(law_p.mean()), float(law_p.std())
    if mean == 0.0:  # a point mass at 0 (Poisson with rate 0, Geometric with probs 1)
        zero = np.zeros(1)
        return _finite_sum(law_p.logpmf(zero), law_q.logpmf(zero), "p is a point mass at 0", _pmf_terms(p, q, zero))
    if not FAMILIES[q.family].discrete or math.isfinite(FAMILIES[q.family].support(**_scalars(q))[1]):
        return infinite("p charges every integer ≥ 0; q does not")
    if p.family == "Geometric":
        return _geometric_definition(p, q)
    first = max(0.0, math.floor(mean - WINDOW * std - WINDOW))
    last = math.ceil(mean + WINDOW * std + WINDOW)
    if last - first > 5e6:
        raise OracleError(f"a window of {last - first:.3g} points is too wide to sum")
    k = np.arange(first, last + 1, dtype=float)
    with np.errstate(divide="ignore"):
        inside = _finite_sum(law_p.logpmf(k), law_q.logpmf(k), "", _pmf_terms(p, q, k))
    if not math.isfinite(inside.value):
        return inside
    tail = _tail_bound(p, law_p, law_q, first, last)
    return Definition(inside.value, inside.error, inside.scale, f"the exact sum over k in [{first:.0f}, {last:.0f}] with the tails beyond bounded by {tail:.1e}", inside.rounding + tail)


def _pmf_terms(p: Law, q: Law, k: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return _terms(p, FAMILIES[p.family])(k) + _terms(q, FAMILIES[q.family])(k)


# What the oracle's own evaluation of L rounds: each log-density (scipy's, or written out above)
# and each quantile is within DENSITY_OPERATIONS·u of its value on the scale of 1 + its terms (a
# handful of rounded operations and special functions within a couple of ulps each; the 1 for a
# logarithm of a number near 1, as scipy's Beta takes log B(a, b) near a = b = 1; a quantile
# off by ε relatively moves L by |x L'(x)| ε, of the order of the terms): the integral of L is
# then within DENSITY_OPERATIONS·u·(1 + E_p Σ|terms|) of the exact one. Checked against 50-digit
# values across the strategies' ranges in tests/test_kl_oracles_against_mpmath.py.
DENSITY_OPERATIONS = 16

# Rounded operations in the Geometric oracle: four logarithms within 1 ulp (2u) each, two
# differences, the mean (1 − θ)/θ (two roundings), a product and a sum: 2·4 + 2 + 2 + 2 = 14 ≤ 16.
GEOMETRIC_OPERATIONS = 16


def _geometric_definition(p: Law, q: Law) -> Definition:
    """``E_p[L(K)]`` with ``L(k) = a + b k`` read off the pmf ``θ(1−θ)^k``: ``a = log θ_p − log θ_q``,
    ``b = log1p(−θ_p) − log1p(−θ_q)``, and ``E_p K = (1 − θ_p)/θ_p``.

    Not a sum over k: summing 1e6 terms of a Geometric(1e-6) (or summing 1e5 and the tail)
    rounds ``L(k)`` on the scale of ``|log θ| + k|log1p(−θ)|`` at every k, and taking the slope
    as ``L(1) − L(0)`` cancels ``log θ_p − log θ_q``: 2.2e-9 off at KL ≈ 1.6e4. The bound
    counts each operation on the terms it rounds.
    """
    theta_p, theta_q = _scalars(p)["probs"], _scalars(q)["probs"]
    if q.family != "Geometric":
        raise OracleError(f"no oracle for a Geometric p against {q.family}: its log-ratio is not affine in k")
    if theta_q == 1.0:
        return infinite("p charges every integer ≥ 0; q = Geometric(1) only 0")
    log_p, log_q = math.log(theta_p), math.log(theta_q)
    slope_p, slope_q = math.log1p(-theta_p), math.log1p(-theta_q)
    mean = (1.0 - theta_p) / theta_p
    value = (log_p - log_q) + (slope_p - slope_q) * mean
    size = abs(log_p) + abs(log_q) + mean * (abs(slope_p) + abs(slope_q))
    return Definition(value, 0.0, size, "L(k) = a + b·k read off the pmfs θ(1−θ)^k, E_p k = (1 − θ_p)/θ_p", GEOMETRIC_OPERATIONS * U64 * size)


def _tail_bound(p: Law, law_p: Any, law_q: Any, first: float, last: float) -> float:
    """A bound on a Poisson's ``Σ p_k |L(k)|`` outside ``[first, last]``, with ``|L(k)| ≤ a + b k`` (L affine in k)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        l0, l1 = (float(law_p.logpmf(k) - law_q.logpmf(k)) for k in (0.0, 1.0))
    a, b = abs(l0), abs(l1 - l0)
    rate = _scalars(p)["rate"]
    # Poisson: p_{k+1}/p_k = λ/(k+1) ≤ r = λ/(last+1) < 1 past the window, a geometric series;
    # below it p_{k−1}/p_k = k/λ ≤ first/λ.
    r = rate / (last + 1)
    upper = float(law_p.pmf(last)) * ((a + b * last) * r / (1 - r) + b * r / (1 - r) ** 2)
    lower = 0.0
    if first > 0:
        s = first / rate
        lower = float(law_p.pmf(first)) * (a + b * first) * s / (1 - s)
    return upper + lower


def _gaussian_definition(p: Law, q: Law) -> Definition:
    from theorems.gaussian_kl.check import GaussianPair, gaussian_kl_by_gauss_hermite, gaussian_kl_tolerance

    (mu0, cov0), (mu1, cov1) = _gaussian(p), _gaussian(q)
    value, terms = gaussian_kl_by_gauss_hermite(mu0, cov0, mu1, cov1)
    error, _ = gaussian_kl_tolerance(GaussianPair(mu0, cov0, mu1, cov1), terms)
    # A low-rank law's closed form solves with the capacitance I + Wᵀ D⁻¹ W instead of Σ;
    # its condition, at most 1 + ‖W‖²/min D, multiplies the rounding of those solves.
    error *= max(_capacitance_condition(p), _capacitance_condition(q))
    return Definition(value, error / QUADRATURE_SAFETY, terms, "Gauss–Hermite after whitening by Σ_p (exact for the quadratic log-ratio; T7's oracle)")


def _capacitance_condition(law: Law) -> float:
    if law.family != "LowRankMultivariateNormal":
        return 1.0
    factor, diag = law.parameters["cov_factor"][0], law.parameters["cov_diag"][0]
    return 1.0 + float(np.linalg.norm(factor, 2) ** 2 / diag.min())


def _gaussian(law: Law) -> tuple[np.ndarray, np.ndarray]:
    values = law.parameters
    if law.family == "MultivariateNormal":
        return values["loc"][0], values["covariance_matrix"][0]
    factor = values["cov_factor"][0]
    return values["loc"][0], factor @ factor.T + np.diag(values["cov_diag"][0])


def _dirichlet_definition(p: Law, q: Law) -> Definition:
    """``L(x) = c + Σ (α_i − β_i) log x_i``; ``E log x_i`` under the Beta(α_i, α_0 − α_i) marginal, by quadrature."""
    alpha, beta = p.parameters["concentration"][0], q.parameters["concentration"][0]
    point = np.full(len(alpha), 1.0 / len(alpha))
    c = float(scipy.stats.dirichlet.logpdf(point, alpha) - scipy.stats.dirichlet.logpdf(point, beta)) - float(np.sum((alpha - beta) * np.log(point)))
    total, error, scale = c, 0.0, abs(c) + _lgammas(*alpha, alpha.sum()) + _lgammas(*beta, beta.sum())
    for a_i, b_i in zip(alpha, beta):
        mean_log = _mean_log_beta(float(a_i), float(alpha.sum() - a_i))
        total += (a_i - b_i) * mean_log.value
        error += abs(a_i - b_i) * mean_log.error
        scale += abs(a_i - b_i) * abs(mean_log.value)
    # Its own rounding, on the scale of the terms it combines: the constant is two scipy logpdfs
    # (n + 1 lgammas each) less a sum, and the n products are added to it; near p = q those terms
    # cancel to a KL of 1e-11 and their rounding is what is left (3.5e-16 against mpmath, where a
    # bar without it allowed 2.0e-16: tests/test_kl_oracles_against_mpmath.py). Bounded as the
    # densities' is, DENSITY_OPERATIONS·u per term, plus the sum's γ_{2n+2}, on 1 + the terms: with
    # concentrations near 1 every lgamma is near 0 and the terms' scale alone (1e-5) allowed
    # 5e-20 where the oracle was 3.1e-16 off (p and q one ulp apart, KL 3.7e-25).
    rounding = _closed_form_rounding(len(alpha), scale)
    return Definition(total, error, scale, "L affine in log x; E log x_i by quadrature of the Beta marginal over its quantiles", rounding)


def _closed_form_rounding(dimension: int, terms: float) -> float:
    """The rounding of an exponential family's definition (Dirichlet, Wishart) that adds ``2·dimension + 2``
    terms of total magnitude ``terms``: DENSITY_OPERATIONS·u per term as the densities', plus the sum's
    γ_{2d+2}, on 1 + the terms (near p = q they cancel, and a logarithm near 1 is within u absolutely)."""
    return (DENSITY_OPERATIONS + 2 * dimension + 2) * U64 * (1.0 + terms)


def _quantile_expectation(law: Any, function: Callable[[np.ndarray], np.ndarray]) -> OracleValue:
    """``E f(X)`` over the law's quantiles, as :func:`_half_integral` integrates them."""
    lower = _half_integral(lambda u: function(quantile(law, u))[:, None], [])
    upper = _half_integral(lambda v: function(quantile(law, v, upper=True))[:, None], [])
    return OracleValue(float(lower.estimate[0] + upper.estimate[0]), float(lower.error[0] + upper.error[0]), "")


# E log X under one law, by its parameters: a pure function of them, kept for the process (a
# Wishart's Bartlett terms recur across the elements and pairs that share a df, a Dirichlet's
# Beta marginals across pairs that share p).
@functools.lru_cache(maxsize=1024)
def _mean_log_chi2(df: float) -> OracleValue:
    """``E log X`` for ``X ~ χ²_df``, by quadrature over its quantiles."""
    return _quantile_expectation(scipy.stats.chi2(df), np.log)


@functools.lru_cache(maxsize=1024)
def _mean_log_beta(a: float, b: float) -> OracleValue:
    """``E log X`` for ``X ~ Beta(a, b)``, by quadrature over its quantiles."""
    return _quantile_expectation(scipy.stats.beta(a, b), np.log)


def _wishart_normaliser(df: float, covariance: np.ndarray) -> float:
    """Σ|terms| of a Wishart's log-normaliser ``(n/2) log det V + (nd/2) log 2 + log Γ_d(n/2)``, and ``n/2·tr`` of the precision's term."""
    d = len(covariance)
    return abs(0.5 * df * np.linalg.slogdet(covariance)[1]) + 0.5 * df * d * math.log(2) + abs(float(scipy.special.multigammaln(0.5 * df, d))) + 0.5 * df * d


def _wishart_definition(p: Law, q: Law) -> Definition:
    """``L(X) = c + ½(n_p − n_q) log det X − ½ tr((V_p⁻¹ − V_q⁻¹) X)``; ``E X = n_p V_p``;
    ``E log det X = log det V_p + Σ_i E log χ²_{n_p − i}`` (Bartlett), each by quadrature."""
    n_p, n_q = float(p.parameters["df"][0]), float(q.parameters["df"][0])
    v_p, v_q = p.parameters["covariance_matrix"][0], q.parameters["covariance_matrix"][0]
    d = len(v_p)
    point = n_p * v_p
    c = float(scipy.stats.wishart.logpdf(point, n_p, v_p) - scipy.stats.wishart.logpdf(point, n_q, v_q))
    log_det_point = float(np.linalg.slogdet(point)[1])
    precision_gap = np.linalg.inv(v_p) - np.linalg.inv(v_q)
    c -= 0.5 * (n_p - n_q) * log_det_point - 0.5 * float(np.trace(precision_gap @ point))
    mean_log_det, error = float(np.linalg.slogdet(v_p)[1]), 0.0
    for i in range(d):
        chi2 = _mean_log_chi2(n_p - i)
        mean_log_det += chi2.value
        error += chi2.error
    trace_term = float(np.trace(precision_gap @ (n_p * v_p)))
    value = c + 0.5 * (n_p - n_q) * mean_log_det - 0.5 * trace_term
    scale = abs(c) + 0.5 * abs(n_p - n_q) * abs(mean_log_det) + 0.5 * abs(trace_term) + _wishart_normaliser(n_p, v_p) + _wishart_normaliser(n_q, v_q)
    # A closed form works with the natural parameters −½V⁻¹: tr(V⁻¹ E X) is then off by up to
    # κ(V)·u relatively (Higham 2002, §14.1), and torch's generic exponential-family KL inverts
    # once more (the mean parameter ∝ η⁻¹), so those terms count κ(V)²-fold.
    for covariance in (v_p, v_q):
        scale += 0.5 * float(np.linalg.cond(covariance)) ** 2 * abs(float(np.trace(np.linalg.solve(covariance, n_p * v_p))))
    # Its own rounding: two scipy logpdfs, log-determinants, an inverse and traces, combined near
    # p = q into a KL near 0 (against mpmath it returned −8.9e-16 for a KL of 3.9e-17, with no bar
    # at all: tests/test_kl_oracles_against_mpmath.py). On the scale of its own terms, as the
    # Dirichlet's: DENSITY_OPERATIONS·u per term plus the sums', on 1 + their magnitudes, times the
    # covariances' condition, by which an inverse and a log-determinant lose (Higham 2002, §14.1):
    # V with κ = 1e4 put the oracle 3.0e-13 off where the unconditioned bar allowed 5.9e-14.
    own_terms = abs(c) + 0.5 * abs(n_p - n_q) * abs(mean_log_det) + 0.5 * abs(trace_term) + _wishart_normaliser(n_p, v_p) + _wishart_normaliser(n_q, v_q)
    condition = max(float(np.linalg.cond(v_p)), float(np.linalg.cond(v_q)))
    rounding = _closed_form_rounding(d, own_terms) * condition
    return Definition(value, 0.5 * abs(n_p - n_q) * error, scale, "L affine in (log det X, X); E log det X by Bartlett's decomposition and quadrature", rounding)


# --- the check ----------------------------------------------------------------------------


def kl_divergence(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    """The reference: ``torch.distributions.kl_divergence``, audited with its recorded findings.

    The theorem's reference is the library under audit. Its run (``verify``) checks it
    everywhere: outside the domains of its findings in :mod:`theorems.kl_closed_forms.findings` within the
    normal tolerance, inside them against each finding's error model (the bound it may lose,
    or the exact wrong value it returns), so that a regression larger than the recorded
    defect is falsified. Checking ``torch.distributions:kl_divergence`` itself
    (``theorems check``) is checking an implementation: it meets the findings, unexcused.
    """
    return D.kl_divergence(p, q)


def require_law_pair(pair: object) -> LawPair:
    if not isinstance(pair, LawPair):
        raise InvalidInput(f"{THEOREM_ID} checks a LawPair(p, q) of theorems.kl_closed_forms.check.Law, got {type(pair).__name__}")
    if pair.p.batch != pair.q.batch:
        raise InvalidInput(f"p and q must have the same batch size, got {pair.p.batch} and {pair.q.batch}")
    return pair


def element_tolerance(definition: Definition) -> float:
    return definition.bound + gamma(CLOSED_FORM_OPERATIONS, U64) * (1.0 + definition.scale)


def check_kl_closed_forms(implementation: Callable[[D.Distribution, D.Distribution], torch.Tensor], pair: LawPair) -> Evidence:
    """Compare ``implementation(p, q)`` with ``E_p[log p − log q]`` element by element of the batch.

    For the audited reference (:func:`kl_divergence`), inside a recorded finding's domain the
    comparison is the finding's error model's: the normal tolerance plus its allowance, the
    true value plus its offset, or its exact wrong value or refusal.
    """
    pair = require_law_pair(pair)
    example = repr(pair)
    recorded = None
    if implementation is kl_divergence:
        from theorems.finding import recorded_errors
        from theorems.kl_closed_forms.findings import FINDINGS

        recorded = recorded_errors(FINDINGS, THEOREM_ID, pair)
    actual = call_implementation(THEOREM_ID, example, implementation, pair.arguments(), ("p", "q"), expect=tensor())
    if isinstance(actual, Evidence):
        refused = recorded.refusal(actual.failure or "") if recorded is not None else None
        if refused is None:
            return actual
        return Evidence(THEOREM_ID, example, "a KL", f"refused ({actual.failure})", 0.0, 0.0, f"the refusal recorded by the finding {refused.id}")
    if tuple(actual.shape) != (pair.p.batch,):
        return implementation_failure(THEOREM_ID, example, f"returned shape {tuple(actual.shape)}, expected the batch shape ({pair.p.batch},)")
    definitions = kl_by_definition(pair.p, pair.q)
    for definition in definitions:  # T5 for the oracle itself: a negative definition past its error bar is an oracle to distrust
        if definition.value < -element_tolerance(definition):
            raise OracleError(f"the definition came out {definition.value:.3g}, below 0 by more than its allowance ({definition.how})")
    return _worst_element(example, actual.detach().double().numpy(), definitions, recorded)


def _worst_element(example: str, actual: np.ndarray, definitions: list[Definition], recorded: Any = None) -> Evidence:
    worst: Evidence | None = None
    allowance = np.broadcast_to(recorded.allowance() if recorded is not None else 0.0, (len(definitions),))
    offset = np.broadcast_to(recorded.offset() if recorded is not None else 0.0, (len(definitions),))
    for i, (value, definition) in enumerate(zip(actual, definitions)):
        wrong = recorded.wrong_value(i, float(value)) if recorded is not None else None
        if wrong is not None:
            evidence = Evidence(
                THEOREM_ID, example, f"{definition.value:.17g} (at batch index {i}: {definition.how})", f"{float(value)!r}", 0.0, 0.0,
                f"the wrong value recorded by the finding {wrong.id}: {wrong.error_model.statement}",
            )
        elif recorded is not None and (allowance[i] or offset[i]):
            evidence = _element_evidence(example, i, float(value), definition, float(allowance[i]), float(offset[i]), recorded.reason())
        else:
            evidence = _element_evidence(example, i, float(value), definition)
        if worst is None or not evidence.ratio <= worst.ratio:
            worst = evidence
    return worst


def _element_evidence(
    example: str, i: int, actual: float, definition: Definition, allowance: float = 0.0, offset: float = 0.0, recorded: str = ""
) -> Evidence:
    tolerance = element_tolerance(definition)
    reason = (
        f"{QUADRATURE_SAFETY:g} × the oracle's error estimate {definition.error:.1e} + its rounding {definition.rounding:.1e} + γ_{CLOSED_FORM_OPERATIONS}·u64 × "
        f"(1 + E_p Σ|terms of log p and log q|) = {1 + definition.scale:.3g} (a closed form's rounding on the scale of the terms it combines)"
    )
    if allowance or offset:
        reason += f"; + {allowance:.3g} and the expected value moved by {offset:.3g}, the recorded defect's error model ({recorded})"
        if math.isinf(allowance):  # the model says nothing of this element: any value of torch's is its defect's
            return Evidence(THEOREM_ID, example, f"{definition.value:.17g}", f"{actual!r}", 0.0, math.inf, reason)
    return compare_scalar(
        theorem_id=THEOREM_ID,
        example=example,
        expected=definition.value + offset,
        expected_how=f"at batch index {i}: {definition.how}" + (f", plus the recorded defect's offset {offset:.3g}" if offset else ""),
        actual=actual,
        tolerance=tolerance + allowance,
        tolerance_reason=reason,
    )
