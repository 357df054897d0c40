"""The families of ``kl-closed-forms``: how torch builds each, and what the oracle needs of it.

For each family that ``torch.distributions.kl`` registers: its torch constructor, a frozen
scipy.stats law (or one written out here where scipy has none or rounds: the continuous
Bernoulli, Laplace's and Pareto's log-densities) for the oracle's densities and quantiles,
the closure of its support, its tail, and the terms of its log-density as closed forms
write them (what a closed form of the KL rounds).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special
import scipy.stats
import torch
from torch import distributions as D

__all__ = ["FAMILIES", "ContinuousBernoulliLaw"]


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
    "Normal": Family(lambda t: D.Normal(t["loc"], t["scale"], validate_args=True), lambda loc, scale: scipy.stats.norm(loc, scale), lambda **_: (-INF, INF), tail=2.0, terms=lambda x, loc, scale: abs(math.log(scale)) + HALF_LOG_TAU + 0.5 * ((x - loc) / scale) ** 2 + np.abs((x - loc) / scale) * standardised_reach(x, loc, scale)),
    "HalfNormal": Family(lambda t: D.HalfNormal(t["scale"], validate_args=True), lambda scale: scipy.stats.halfnorm(scale=scale), lambda **_: (0.0, INF), tail=2.0, terms=lambda x, scale: abs(math.log(scale)) + HALF_LOG_TAU + 0.5 * (x / scale) ** 2),
    "Laplace": Family(lambda t: D.Laplace(t["loc"], t["scale"], validate_args=True), _laplace, lambda **_: (-INF, INF), tail=1.0, terms=lambda x, loc, scale: abs(math.log(2 * scale)) + standardised_reach(x, loc, scale)),
    "Cauchy": Family(lambda t: D.Cauchy(t["loc"], t["scale"], validate_args=True), lambda loc, scale: scipy.stats.cauchy(loc, scale), lambda **_: (-INF, INF), terms=lambda x, loc, scale: abs(math.log(math.pi * scale)) + np.log1p(((x - loc) / scale) ** 2) + _cauchy_rounding(x, loc, scale)),
    "Gumbel": Family(lambda t: D.Gumbel(t["loc"], t["scale"], validate_args=True), lambda loc, scale: scipy.stats.gumbel_r(loc, scale), lambda **_: (-INF, INF), tail=1.0, terms=lambda x, loc, scale: abs(math.log(scale)) + (1 + np.exp(-(x - loc) / scale)) * standardised_reach(x, loc, scale)),
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
        terms=lambda x, concentration1, concentration0: lgammas(concentration1, concentration0, concentration1 + concentration0) + np.abs(scipy.special.xlogy(concentration1 - 1, x)) + np.abs(scipy.special.xlog1py(concentration0 - 1, -x)),
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


def standardised_reach(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
    """``(|x| + |μ|)/σ``: the standardised ``(x − μ)/σ`` is rounded on that scale, which is far
    above ``|x − μ|/σ`` when a law sits far from 0 in units of its own scale."""
    return (np.abs(x) + abs(loc)) / scale


def _cauchy_rounding(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
    """What the rounding of z = (x − μ)/σ does to log1p(z²): its slope 2|z|/(1 + z²) times
    (|x| + |μ|)/σ, which stays of order 2 in the tails (where E|x| itself is infinite)."""
    z = (x - loc) / scale
    return 2 * np.abs(z) / (1 + z**2) * standardised_reach(x, loc, scale)


def lgammas(*arguments: float) -> float:
    """Σ|lgamma(a)|: a Beta or Dirichlet normaliser as closed forms write it, one lgamma each."""
    return sum(abs(math.lgamma(a)) for a in arguments)

