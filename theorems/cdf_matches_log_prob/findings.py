"""Defects of torch.distributions' cdf found by ``cdf-matches-log-prob``, each with the error model the reference
run holds torch to (see :mod:`theorems.finding`), each confirmed against mpmath at 50 digits
(tests/cdf_matches_log_prob/test_cdf_findings.py).

An error model is asked about the points the cdf is compared at: an :class:`At` (the example and the
points ``x``, shape ``(levels, batch)``); its offset and allowance have that shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import distributions as D

from theorems.cdf_matches_log_prob.case import CdfCase
from theorems.finding import ErrorModel, Finding
from theorems.log_prob_normalises.case import one_element_draw, parameters_for
from theorems.log_prob_normalises.findings import CLAMPED_LOGIT, EPS

__all__ = ["FINDINGS", "At", "continuous_bernoulli_cdf"]

U = 2.0**-53
TYPICAL_LEVELS = (0.05, 0.5, 0.95)
# Torch's Taylor window about ½ (ContinuousBernoulli._lims), where its cdf is the uniform's, x.
TAYLOR_WINDOW = (0.499, 0.501)
# Past here from ½ the closed form's cancellation, 4u/|2λ − 1|, is under a probability's 4u floor (|2λ − 1| > ½ ... 1).
NEAR_HALF = 0.25


@dataclass(frozen=True)
class At:
    """What an error model is asked about: the cdf of one example at the points ``x``."""

    case: CdfCase
    x: np.ndarray


def _lambda(case: CdfCase) -> np.ndarray:
    """torch's probability λ of a ContinuousBernoulli (probs, or σ(logits)), clamped to [eps, 1 − eps] as torch's is."""
    parameters = parameters_for(D.ContinuousBernoulli, case.draw)
    lam = parameters["probs"].numpy() if "probs" in parameters else 1 / (1 + np.exp(-parameters["logits"].numpy()))
    return np.clip(lam, EPS, 1 - EPS)


def _in_window(case: CdfCase) -> np.ndarray:
    if case.family != "ContinuousBernoulli":
        return np.zeros(case.batch, bool)
    lam = _lambda(case)
    return (lam > TAYLOR_WINDOW[0]) & (lam <= TAYLOR_WINDOW[1])


def _near_half(case: CdfCase) -> np.ndarray:
    if case.family != "ContinuousBernoulli":
        return np.zeros(case.batch, bool)
    lam = _lambda(case)
    return ~_in_window(case) & (np.abs(lam - 0.5) <= NEAR_HALF)


def continuous_bernoulli_cdf(logit: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The true distribution function of the density ∝ e^{ℓx} on [0, 1], (e^{ℓx} − 1)/(e^ℓ − 1), without cancellation or
    overflow: expm1(ℓx)/expm1(ℓ) for ℓ < 0, e^{ℓ(x−1)}·expm1(−ℓx)/expm1(−ℓ) for ℓ > 0 (the same divided through by e^ℓ), x at ℓ = 0."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        negative = np.expm1(logit * x) / np.expm1(logit)
        positive = np.exp(logit * (x - 1)) * np.expm1(-logit * x) / np.expm1(-logit)
        return np.where(logit == 0, x, np.where(logit < 0, negative, positive))


def _logit(case: CdfCase) -> np.ndarray:
    """The logits ℓ of the density's exponent: given, or log(λ/(1 − λ)) of the probs given."""
    parameters = parameters_for(D.ContinuousBernoulli, case.draw)
    if "logits" in parameters:
        return parameters["logits"].numpy()
    probs = parameters["probs"].numpy()
    with np.errstate(divide="ignore"):
        return np.log(probs) - np.log1p(-probs)


def _window_offset(at: At) -> np.ndarray:
    """torch's x minus the true F(x), where its λ is in the window."""
    where = _in_window(at.case)
    return np.where(where, at.x - continuous_bernoulli_cdf(np.where(where, _logit(at.case), 0.0), at.x), 0.0)


def _window_rounding(at: At) -> np.ndarray:
    # expm1 twice and a quotient, each within an ulp, on values below 1.
    return np.where(_in_window(at.case), 8 * U, 0.0)


def _cancellation(at: At) -> np.ndarray:
    """(λ^x (1 − λ)^{1−x} + λ − 1)/(2λ − 1): the power is within 3u of itself (pow of a rounded exponent), λ − 1 exact,
    their sum within u of it; divided by |2λ − 1|, the absolute error 4u (|power| + |λ − 1|)/|2λ − 1|."""
    where = _near_half(at.case)
    lam = np.where(where, _lambda(at.case), 0.25)
    power = lam**at.x * (1 - lam) ** (1 - at.x)
    return np.where(where, 4 * U * (np.abs(power) + np.abs(lam - 1)) / np.abs(2 * lam - 1), 0.0)


def _clamped(case: CdfCase) -> np.ndarray:
    if case.family != "ContinuousBernoulli" or not case.draw.logits:
        return np.zeros(case.batch, bool)
    return np.abs(_logit(case)) > CLAMPED_LOGIT


def _clamped_offset(at: At) -> np.ndarray:
    """torch's closed form at the clamped λ (eps or 1 − eps), transcribed, minus the true F(x) of the logits."""
    where = _clamped(at.case)
    lam = np.where(where, _lambda(at.case), 0.25)
    torch_cdf = (lam**at.x * (1 - lam) ** (1 - at.x) + lam - 1) / (2 * lam - 1)
    return np.where(where, torch_cdf - continuous_bernoulli_cdf(np.where(where, _logit(at.case), 1.0), at.x), 0.0)


def _clamped_rounding(at: At) -> np.ndarray:
    # torch's form within a few roundings of numbers up to 1 (2λ − 1 ≈ ∓1 there: no cancellation); the true one's exponent
    # ℓx or ℓ(x − 1) carries the rounding of x or x − 1 times |ℓ|, a relative |ℓ|u of F ≤ 1.
    return np.where(_clamped(at.case), 16 * U * (1 + np.abs(_logit(at.case))), 0.0)


# torch's classes whose cdf (and icdf, where it has one) subtracts from ½ or 1 (or a composed transform's
# 1 − F): exact to u absolutely, not relatively, below the median (tests/cdf_matches_log_prob/test_cdf_findings.py
# measures each against mpmath: relative errors up to 1e9 u at F = 1e-10, absolute ones up to u).
ABSOLUTE_ONLY = (
    "Cauchy", "ContinuousBernoulli", "Exponential", "Gumbel", "HalfCauchy", "HalfNormal", "InverseGamma", "Kumaraswamy",
    "Laplace", "LogNormal", "Normal", "Pareto", "Weibull",
)
# ½(1 + erf), 1 − e^{−x}, atan(z)/π + ½, 2F − 1: the function within an ulp of numbers up to 1 (2u), the sum or
# difference with ½ or 1 within u, a doubling or halving exact, and one more rounding of the result: 4u, as
# transform-laws' ABSOLUTE_ERROR_OF_P for Normal.
ABSOLUTE_ERROR_OF_P = 4 * U


def _below_the_median(case: CdfCase) -> bool:
    return case.family in ABSOLUTE_ONLY and min(case.levels) < 0.5


def _absolute_error_of_p(at: At) -> np.ndarray:
    """Per point: 4u where its level is below the median (above it, F ≥ ½ and 4u is within F's own relative rounding);
    a Kumaraswamy's (4 + 2b)u (:func:`_kumaraswamy_power`)."""
    below = np.asarray(at.case.levels)[:, None] < 0.5
    size = ABSOLUTE_ERROR_OF_P + _kumaraswamy_power(at.case)[None, :]
    return np.broadcast_to(np.where(below & (at.case.family in ABSOLUTE_ONLY), size, 0.0), at.x.shape)


def _kumaraswamy_power(case: CdfCase) -> np.ndarray:
    """torch's Kumaraswamy cdf is 1 − (1 − x^a)^b and its icdf (1 − (1 − q)^{1/b})^{1/a}: the power b carries 1 − x^a's
    rounding u into b·u of the probability, and the root 1/b maps (1 − q)^{1/b}'s u back onto b·u of the probability it
    inverts: 2b·u more (thorough seed 1: Kumaraswamy(2.24, 100) at level 1e-7, cdf 45u off, icdf(cdf(x)) 1.9e-12 off x,
    mpmath)."""
    if case.family != "Kumaraswamy":
        return np.zeros(case.batch)
    return 2 * parameters_for(D.Kumaraswamy, case.draw)["concentration0"].numpy() * U


# torch.special.igamma (Gamma's and Chi2's cdf) takes another path past a shape of 20 (its asymptotic series) that keeps
# only about 9 digits: mpmath (30 digits) over shapes in (20, 1e5] and levels 1e-12 to 1 − 1e-8 (364 points) finds
# absolute errors up to 4.1e-10, the worst just past 20 (Gamma(20.0001) at its median: 0.4999999995856 for 0.5), and at
# 20 itself and below a few u. The allowance is 2.4 times the worst measured.
IGAMMA_SERIES_FROM = 20.0
IGAMMA_SERIES_ERROR = 1e-9


def _igamma_shape(case: CdfCase) -> np.ndarray:
    if case.family == "Gamma":
        return parameters_for(D.Gamma, case.draw)["concentration"].numpy()
    if case.family == "Chi2":
        return parameters_for(D.Chi2, case.draw)["df"].numpy() / 2
    if case.family == "InverseGamma":  # 1 − the Gamma's cdf at 1/x (thorough seed 1: InverseGamma(10^1.5, 1.5), 1.0e-10 off)
        return parameters_for(D.InverseGamma, case.draw)["concentration"].numpy()
    return np.zeros(case.batch)


def _igamma_series(at: At) -> np.ndarray:
    return np.broadcast_to(np.where(_igamma_shape(at.case) > IGAMMA_SERIES_FROM, IGAMMA_SERIES_ERROR, 0.0), at.x.shape)


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="torch-gamma-cdf-nine-digits-past-shape-20",
        theorem_id="cdf-matches-log-prob",
        library="torch.distributions.Gamma, Chi2 and InverseGamma cdf (torch.special.gammainc, torch 2.14.1)",
        summary=(
            "for a shape above 20 torch's regularised incomplete gamma keeps about 9 digits: Gamma(10^1.5, 1.5).cdf at its 5 % "
            "quantile x = 15.206572498076472 is 0.046337974248195 where mpmath gives 0.046337974326222 (a relative 1.7e-9), and "
            "Gamma(20.0001).cdf at its median 0.4999999995856; at a shape of 20 and below it is within a few u"
        ),
        applies=lambda case: bool(np.any(_igamma_shape(case) > IGAMMA_SERIES_FROM)),
        example=CdfCase(one_element_draw("Gamma", positive=(10**1.5, 1.5)), TYPICAL_LEVELS),
        error_model=ErrorModel("the cdf within 1e-9 absolutely where the shape (Gamma's and InverseGamma's concentration, Chi2's df/2) exceeds 20", allowance=_igamma_series),
    ),
    Finding(
        id="torch-cdfs-absolute-below-the-median",
        theorem_id="cdf-matches-log-prob",
        library="torch.distributions' cdf and icdf (torch 2.14.1): Cauchy, ContinuousBernoulli, Exponential, Gumbel, HalfCauchy, HalfNormal, InverseGamma, Kumaraswamy, Laplace, LogNormal, Normal, Pareto, Weibull",
        summary=(
            "below the median their distribution functions lose relative precision: ½(1 + erf(z/√2)), atan(z)/π + ½, ½ − ½ expm1(·), "
            "1 − e^{−x}, and a TransformedDistribution's 1 − F of a decreasing composition, keep the probability only to u absolutely: "
            "mpmath at F = 1e-10 finds relative errors of 7.45e8 u (Normal, LogNormal, Laplace, Exponential, Gumbel, InverseGamma), "
            "4.25e9 u (Cauchy), while Gamma, Chi2 (igamma) and Uniform keep a few u; their icdfs (erfinv(2p − 1), tan(π(p − ½)), "
            "log1p(−2|p − ½|)) lose the same in the probability they invert. The same defect as transform-laws' torch-normal-cdf-lower-tail-cancels"
        ),
        applies=_below_the_median,
        example=CdfCase(one_element_draw("Normal", real=(0.3,), positive=(1.5,)), (1e-10, 0.5, 0.95)),
        error_model=ErrorModel("the probability within 4u absolutely (not 4u·F) at points below the median, in the cdf and in the probability the icdf inverts", allowance=_absolute_error_of_p),
    ),
    Finding(
        id="torch-continuous-bernoulli-cdf-of-the-clamped-probability",
        theorem_id="cdf-matches-log-prob",
        library="torch.distributions.ContinuousBernoulli (torch 2.14.1), given logits",
        summary=(
            "cdf uses self.probs, which clamp_probs keeps within [eps, 1 − eps], while log_prob's exponent uses the logits: past "
            "|logits| 36.04 it is the cdf of λ = eps whatever the logits (logits −232080 at x = 3.48e-6: 1.256e-4 where the density's "
            "F is 0.5546, mpmath), the clamp of log-prob-normalises' finding on the normaliser"
        ),
        applies=lambda case: bool(np.any(_clamped(case))),
        example=CdfCase(one_element_draw("ContinuousBernoulli", logits=True, real=(-100.0,)), TYPICAL_LEVELS),
        error_model=ErrorModel("the cdf of the clamped probability (torch's closed form at eps or 1 − eps) where |logits| > 36.04", offset=_clamped_offset, allowance=_clamped_rounding),
    ),
    Finding(
        id="torch-continuous-bernoulli-cdf-uniform-in-its-taylor-window",
        theorem_id="cdf-matches-log-prob",
        library="torch.distributions.ContinuousBernoulli (torch 2.14.1)",
        summary=(
            "for λ in its Taylor window (0.499, 0.501] the cdf returns x, the uniform law's, where the density λ^x(1 − λ)^{1−x} "
            "has F(x) = expm1(ℓx)/expm1(ℓ) ≈ x − ℓx(1 − x)/2: off by 5.0e-4 at λ = 0.501, x = ½ (mpmath); its mean and variance "
            "use Taylor polynomials there, its cdf only the zeroth term"
        ),
        applies=lambda case: bool(np.any(_in_window(case))),
        example=CdfCase(one_element_draw("ContinuousBernoulli", unit_interval=(0.501,)), TYPICAL_LEVELS),
        error_model=ErrorModel("F(x) = x, the uniform's, where λ is in (0.499, 0.501]", offset=_window_offset, allowance=_window_rounding),
    ),
    Finding(
        id="torch-continuous-bernoulli-cdf-cancels-near-half",
        theorem_id="cdf-matches-log-prob",
        library="torch.distributions.ContinuousBernoulli (torch 2.14.1)",
        summary=(
            "outside its Taylor window the cdf is (λ^x(1 − λ)^{1−x} + λ − 1)/(2λ − 1), two numbers near ∓½ cancelling over a "
            "small 2λ − 1: absolute error 4u/|2λ − 1|, 2.2e-14 at λ = 0.496477 where F = 1.03e-10 (mpmath), a relative 2e-4; its icdf "
            "adds v(2λ − 1) to −λ inside log1p, the same error in the probability it inverts (icdf(1.0286e-10) at λ = 0.495508 is "
            "1.01936e-10, mpmath 1.01940e-10)"
        ),
        applies=lambda case: bool(np.any(_near_half(case))),
        example=CdfCase(one_element_draw("ContinuousBernoulli", unit_interval=(0.496477,)), (1e-10, 0.5, 0.95)),
        error_model=ErrorModel(
            "the cancellation's 4u(|λ^x(1 − λ)^{1−x}| + |λ − 1|)/|2λ − 1| in the probability, the cdf's and the icdf's, where λ is outside the window and within ¼ of ½",
            allowance=_cancellation,
        ),
    ),
)
