r"""A law's mean, variance and entropy from its ``log_prob`` alone, each with its error bar.

With ``p = exp(log_prob)`` (not assumed normalised: its mass is log-prob-normalises' business, and a
density off by a constant has the same moments), ``c`` the top of the density found by
:mod:`~theorems.moments_match_log_prob.peak` and ``s`` the interquartile range of a coarse picture of
the law (:mod:`~theorems.log_prob_normalises.picture`), one cubature integrates, per batch element,

    M = ∫ p,   I₁ = ∫ p (x − c)/s,   I₂ = ∫ p ((x − c)/s)²,   I₃ = ∫ p (−log p)

(log-prob-normalises' oracle, :func:`~theorems.log_prob_normalises.oracle.integrals_by_quadrature`, in the
log-distance from ``c`` and the ends; on the integers, the exact sum over its window). Then

    mean = c + s I₁/M,   variance = s² (I₂/M − (I₁/M)²),   entropy = log M + I₃/M.

Centring on the top and scaling by the spread keeps every integral of order one, so the cubature's
absolute tolerance means the same for a law of scale 1e-8 as for one of scale 1e8, and the variance
loses at most two bits to cancellation (|mean − mode| ≤ √3 σ for a unimodal law, Johnson and Rogers 1951).

**Infinite and undefined.** A moment whose integral diverges is decided from the tails' exponents
(:mod:`~theorems.moments_match_log_prob.tails`), never integrated: the mean is +∞ where only the right
tail's ``∫ x p`` diverges, −∞ where only the left one's does, and NaN (undefined) where both do; the
variance is NaN where the mean is undefined, +∞ where ``∫ x² p`` diverges and the mean is not undefined.
This is the convention of torch's StudentT (mean NaN for df ≤ 1, variance +∞ for 1 < df ≤ 2 and NaN for
df ≤ 1), Pareto, HalfCauchy and InverseGamma (+∞), and of the standard references (a mean exists, possibly
infinite, when one side of ``E X`` is finite; the variance is ``E (X − E X)²``, undefined without a mean).

**Error bars.** ``B_w = QUADRATURE_SAFETY × estimate + rounding`` on each integral (the oracle's own);
the quotients' bars by first-order propagation: ``bar(I₁/M) = (B₁ + |I₁/M| B₀)/M``, and so on (below),
plus the few roundings of the composition itself (``u`` times the sizes it adds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from torch import distributions as D

from theorems.log_prob_normalises.oracle import MASS, Integrals, Undecidable, Weight, cut, integrals_by_quadrature, is_discrete_support, pmf_term_size, support_ends, window_by_doubling
from theorems.log_prob_normalises.picture import picture_of
from theorems.moments_match_log_prob.peak import CLOSED_FORM_OPERATIONS, Peak, peak_by_search, peak_by_window
from theorems.moments_match_log_prob.tails import tails_of
from theorems.oracles.quadrature import QUADRATURE_SAFETY
from theorems.oracles.tolerance import U64, gamma

__all__ = ["Moment", "Moments", "moments_of"]


@dataclass(frozen=True)
class Moment:
    """A quantity per batch element (±∞ or NaN where decided so), the oracle's bar on it (0 where
    decided), the size of the terms a closed form of it combines, and how it was found."""

    value: np.ndarray
    bar: np.ndarray
    size: np.ndarray
    how: str


@dataclass(frozen=True)
class Moments:
    """The moments asked for (``found``: name to Moment), the density's top and the law's spread."""

    found: dict[str, Moment]
    peak: Peak
    spread: np.ndarray


def _weights(c: np.ndarray, s: np.ndarray, keep_first: np.ndarray, keep_second: np.ndarray) -> tuple[Weight, ...]:
    """The mass, the first and second moments about ``c`` in units of ``s`` (0 where decided divergent), and −log p."""

    def first(x: np.ndarray, log_p: np.ndarray, slope: np.ndarray) -> np.ndarray:
        return np.where(keep_first, (x - c) / s, 0.0)

    def second(x: np.ndarray, log_p: np.ndarray, slope: np.ndarray) -> np.ndarray:
        return np.where(keep_second, ((x - c) / s) ** 2, 0.0)

    def information(x: np.ndarray, log_p: np.ndarray, slope: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(log_p), -log_p, 0.0)  # p log p → 0 where p vanishes

    def information_sensitivity(x: np.ndarray, log_p: np.ndarray, slope: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(log_p), np.abs(1 + log_p), 0.0)  # ∂(−p log p)/∂ log p = −p(1 + log p)

    return (
        MASS,
        Weight(first, lambda x, lp, sl: np.abs(first(x, lp, sl)), lambda x, lp, sl: np.where(keep_first, np.abs((x - c) / s * sl + 1 / s), 0.0)),
        Weight(second, lambda x, lp, sl: second(x, lp, sl), lambda x, lp, sl: np.where(keep_second, np.abs(((x - c) / s) ** 2 * sl + 2 * (x - c) / s**2), 0.0)),
        Weight(information, information_sensitivity, lambda x, lp, sl: np.abs(sl) * information_sensitivity(x, lp, sl)),
    )


def _composed(found: Integrals, c: np.ndarray, s: np.ndarray, divergent: dict[str, np.ndarray]) -> dict[str, Moment]:
    """Mean, variance and entropy from the four integrals, with their bars (module docstring)."""
    value, size = found.value, found.size
    bar = QUADRATURE_SAFETY * found.error + found.rounding
    if not np.all(value[0] > 2 * bar[0]):  # a law whose mass float64 cannot resolve (all of it where its density underflows)
        raise Undecidable(f"the mass {float(np.min(value[0])):.3g} is not resolved beyond its bar {float(np.max(bar[0])):.3g}")
    with np.errstate(divide="ignore", invalid="ignore"):
        mass, m1, m2, information = value[0], value[1] / value[0], value[2] / value[0], value[3] / value[0]
        bar_m1 = (bar[1] + np.abs(m1) * bar[0]) / mass
        bar_m2 = (bar[2] + m2 * bar[0]) / mass
        mean = Moment(c + s * m1, s * bar_m1 + 2 * U64 * (np.abs(c) + s * np.abs(m1)), np.abs(c) + s * size[1] / mass, found.how)
        variance = Moment(
            s**2 * (m2 - m1**2), s**2 * (bar_m2 + 2 * np.abs(m1) * bar_m1 + 4 * U64 * (m2 + m1**2)), s**2 * np.abs(m2 - m1**2), found.how
        )
        entropy = Moment(
            np.log(mass) + information,
            (bar[3] + np.abs(information) * bar[0]) / mass + bar[0] / mass + 2 * U64 * (np.abs(np.log(mass)) + np.abs(information)),
            1 + size[3] / mass + np.abs(np.log(mass)),
            found.how,
        )
    return {"mean": _decided(mean, divergent["mean"]), "variance": _decided(variance, divergent["variance"]), "entropy": entropy}


def _decided(moment: Moment, decided: np.ndarray) -> Moment:
    """``moment`` with the values the tails decided (±∞ or NaN, where ``decided`` is not 0) in place of the integral's."""
    where = decided != 0
    value = np.where(where, np.where(decided == 2, np.nan, np.where(decided > 0, np.inf, -np.inf)), moment.value)
    how = moment.how + ("; infinite or undefined where the tails' exponents decide it" if where.any() else "")
    return Moment(value, np.where(where, 0.0, moment.bar), np.where(where, 0.0, moment.size), how)


def _divergence(left1: np.ndarray, right1: np.ndarray, left2: np.ndarray, right2: np.ndarray) -> dict[str, np.ndarray]:
    """Per element: 0 where finite, +1 for +∞, −1 for −∞, 2 for undefined (NaN)."""
    mean = np.where(left1 & right1, 2, np.where(right1, 1, np.where(left1, -1, 0)))
    variance = np.where(mean == 2, 2, np.where(left2 | right2, 1, 0))
    return {"mean": mean, "variance": variance}


def _continuous(law: D.Distribution, batch: int, terms: np.ndarray, integrate: bool) -> Moments:
    a, b = support_ends(law.support, batch)
    first_cut = cut(law, a, b)
    spread = picture_of(law, first_cut).spread()
    peak = peak_by_search(law, first_cut, spread, terms)
    if not integrate:
        return Moments({}, peak, spread)
    pieces = cut(law, a, b, centre=peak.x)
    if np.any(np.isfinite(np.stack([a, b])) & ~pieces.present[2:]):  # a support shorter than the nodes' nearest offset
        raise Undecidable("the support is narrower than the oracle's nodes reach from its ends (1e-150, or four ulps of an end)")
    c = pieces.anchor[0]  # the top where it is inside [a, b], else the fallback the cut chose
    tails = tails_of(law, c, pieces.inside, a, b)
    (left1, right1), (left2, right2) = tails.diverges(1), tails.diverges(2)
    weights = _weights(c, spread, ~(left1 | right1), ~(left2 | right2))
    found = integrals_by_quadrature(law, pieces, terms, weights, per_region=True)
    return Moments(_composed(found, c, spread, _divergence(left1, right1, left2, right2)), peak, spread)


def _discrete(law: D.Distribution, batch: int, terms: np.ndarray, integrate: bool) -> Moments:
    window = window_by_doubling(law, batch)
    peak = peak_by_window(window, terms)
    spread = np.ones(batch)  # integers: the sums are exact, no scale is needed
    if not integrate:
        return Moments({}, peak, spread)
    keep = np.ones(batch, bool)
    found = _sums(window.integers, window.log_p, window.tail, terms, _weights(peak.x, spread, keep, keep), window.finite)
    return Moments(_composed(found, peak.x, spread, _divergence(~keep, ~keep, ~keep, ~keep)), peak, spread)


def _sums(k: np.ndarray, log_p: np.ndarray, mass_tail: np.ndarray, terms: np.ndarray, weights: tuple[Weight, ...], finite: bool) -> Integrals:
    """``Σ_k p_k w(k)`` per weight, correctly rounded (math.fsum), with the rounding of the terms and the tail past the window bounded."""
    p = np.exp(log_p)
    x = np.broadcast_to(k, log_p.shape)
    zero = np.zeros_like(log_p)
    finite_log = np.where(np.isfinite(log_p), np.abs(log_p), 0.0)
    own = pmf_term_size(x)  # log k! and lgamma(k + r) beside the parameters' terms
    values, roundings, sizes = [], [], []
    for weight in weights:
        with np.errstate(invalid="ignore"):
            terms_w = np.where(p > 0, p * weight.value(x, log_p, zero), 0.0)
            sensitivity = np.where(p > 0, p * weight.per_log_p(x, log_p, zero), 0.0)
        total = np.array([math.fsum(column) for column in terms_w.T])
        size = np.abs(terms_w).sum(axis=0)
        rounding = gamma(CLOSED_FORM_OPERATIONS, U64) * (sensitivity * (1 + finite_log + terms + own)).sum(axis=0) + math.ceil(math.log2(len(k)) + 1) * U64 * size
        values.append(total)
        roundings.append(rounding + (0.0 if finite else _tail(np.abs(terms_w), mass_tail)))
        sizes.append(size)
    if not all(np.all(np.isfinite(r)) for r in roundings):
        raise Undecidable("a weighted sum's tail past the window is not bounded (the ratio of its last terms is not below 1)")
    how = f"the sum over {len(k)} integers" + ("" if finite else ", the tails past them bounded")
    return Integrals(np.stack(values), np.zeros((len(weights), p.shape[1])), np.stack(roundings), how, np.stack(sizes))


def _tail(terms_w: np.ndarray, mass_tail: np.ndarray) -> np.ndarray:
    """The weighted terms past the window: ``t_K ρ/(1 − ρ)`` doubled, ``ρ`` the ratio of its last two (the mass's own bound where they vanish)."""
    last, before = terms_w[-1], terms_w[-2]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = last / before
        return np.where((last == 0) & (before == 0), mass_tail, np.where(ratio < 1, 2 * last * ratio / (1 - ratio), np.inf))


def moments_of(law: D.Distribution, batch: int, terms: np.ndarray, integrate: bool = True) -> Moments:
    """The oracle's mean, variance and entropy (when ``integrate``) and the top of the density of each batch element."""
    if is_discrete_support(law.support):
        return _discrete(law, batch, terms, integrate)
    return _continuous(law, batch, terms, integrate)
