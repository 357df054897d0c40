"""Defects of torch.distributions' samplers found by ``sampler-matches-log-prob``, each with the error model the
reference run holds torch to (see :mod:`theorems.finding`), each confirmed against mpmath at 50 digits
(tests/sampler_matches_log_prob/test_sampler_findings.py).

An error model is asked about the points the draws are counted at: an :class:`At` (the example and the points
``x``, shape ``(points, batch)``); its offset (the law torch draws minus the law of log_prob, in ``F``) and its
allowance have that shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import distributions as D

from theorems.cdf_matches_log_prob.findings import continuous_bernoulli_cdf
from theorems.finding import ErrorModel, Finding
from theorems.log_prob_normalises.case import one_element_draw, parameters_for
from theorems.log_prob_normalises.findings import CLAMPED_LOGIT
from theorems.sampler_matches_log_prob.case import SamplerCase

__all__ = ["FINDINGS", "At"]

U = 2.0**-53
# torch.poisson's counts are int64: a count of 2^63 or more comes back as −2^63 (torch.poisson(1e19) is −9.2233720368547758e18).
INT64_OVERFLOW = -(2.0**63)
# A Gamma(r) draw exceeds r + 50√r + 50 with probability below e^{−50} = 2e-22: Gamma(r) is sub-gamma with variance r and
# scale 1, so P(X ≥ r + √(2rx) + x) ≤ e^{−x} (Boucheron, Lugosi, Massart 2013, §2.4), and √(2r·50) = 10√r ≤ 50√r.
GAMMA_REACH = 50.0


@dataclass(frozen=True)
class At:
    """What an error model is asked about: the draws of one example counted at the points ``x``."""

    case: SamplerCase
    x: np.ndarray


def _logit(case: SamplerCase) -> np.ndarray:
    return parameters_for(D.ContinuousBernoulli, case.draw)["logits"].numpy()


def _clamped(case: SamplerCase) -> np.ndarray:
    """Per batch element: a ContinuousBernoulli given logits beyond ±36.04, where torch's λ is clamped to eps or 1 − eps."""
    if case.family != "ContinuousBernoulli" or not case.draw.logits:
        return np.zeros(case.batch, bool)
    return np.abs(_logit(case)) > CLAMPED_LOGIT


def _clamped_offset(at: At) -> np.ndarray:
    """F of the clamped logit ±36.04 (the law torch's icdf inverts) minus F of the logits (log_prob's law)."""
    where = _clamped(at.case)
    logit = np.where(where, _logit(at.case), 1.0)
    return np.where(where, continuous_bernoulli_cdf(np.sign(logit) * CLAMPED_LOGIT, at.x) - continuous_bernoulli_cdf(logit, at.x), 0.0)


def _clamped_rounding(at: At) -> np.ndarray:
    # each F's exponent ℓx or ℓ(x − 1) carries the rounding of x or x − 1 times |ℓ| (cdf-matches-log-prob's model of the same form)
    return np.where(_clamped(at.case), 16 * U * (1 + np.abs(_logit(at.case))), 0.0)


def _poisson_rate_reach(case: SamplerCase) -> np.ndarray:
    """Per batch element, the largest Poisson rate torch's sampler may pass to torch.poisson (0 for other families):
    Poisson's rate (plus 50√rate for its draw's own spread), NegativeBinomial's Gamma(r) draw times the odds p/(1 − p)."""
    if case.family not in ("Poisson", "NegativeBinomial"):
        return np.zeros(case.batch)
    parameters = {name: value.numpy() for name, value in parameters_for(getattr(D, case.family), case.draw).items()}
    with np.errstate(over="ignore", divide="ignore"):
        if case.family == "Poisson":
            rate = parameters["rate"]
            return rate + GAMMA_REACH * np.sqrt(rate)
        odds = np.exp(parameters["logits"]) if "logits" in parameters else parameters["probs"] / (1 - parameters["probs"])
        r = parameters["total_count"]
        return odds * (r + GAMMA_REACH * np.sqrt(r) + GAMMA_REACH)


def _overflows(case: SamplerCase) -> np.ndarray:
    return _poisson_rate_reach(case) >= 2.0**63


def _overflow_returns(at: At) -> list[tuple[float, ...]]:
    return [((INT64_OVERFLOW,) if where else ()) for where in _overflows(at.case)]


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="torch-continuous-bernoulli-draws-the-clamped-probability",
        theorem_id="sampler-matches-log-prob",
        library="torch.distributions.ContinuousBernoulli sample and rsample (torch 2.14.1), given logits",
        summary=(
            "rsample is icdf(u), and icdf uses self.probs, which clamp_probs keeps within [eps, 1 − eps], while log_prob's exponent "
            "uses the logits: past |logits| 36.04 it draws the law of λ = eps (or 1 − eps) whatever the logits. ContinuousBernoulli(logits=−100) "
            "draws a median 0.0192 (icdf(½) = 0.019230769230769225, mpmath's median of logit −36.04 to 16 digits) where log_prob's law has its median at "
            "log(2/(1 + e^{−100}))/100 = 0.0069315 (mpmath); its F there is 0.854, not ½. The clamp of cdf-matches-log-prob's and "
            "log-prob-normalises' findings, in the sampler"
        ),
        applies=lambda case: bool(np.any(_clamped(case))),
        example=SamplerCase(one_element_draw("ContinuousBernoulli", logits=True, real=(-100.0,)), 0),
        error_model=ErrorModel(
            "the draws follow F of the clamped logits ±36.04 (torch's λ = eps or 1 − eps) where |logits| > 36.04: F_n is compared "
            "with that law's F at each point",
            offset=_clamped_offset, allowance=_clamped_rounding,
        ),
    ),
    Finding(
        id="torch-poisson-sampler-overflows-int64",
        theorem_id="sampler-matches-log-prob",
        library="torch.distributions.Poisson and NegativeBinomial sample (torch 2.14.1)",
        summary=(
            "sample() draws torch.poisson(rate) (NegativeBinomial: of a Gamma(total_count) draw times the odds), whose counts are int64: "
            "a count of 2^63 or more comes back as −2^63 = −9.2233720368547758e18, outside the support {0, 1, …}. "
            "NegativeBinomial(2.5, logits=100), whose mean is 2.5·e^100 = 6.7e43 (mpmath), draws −2^63 every time; at logits 43, 56 % of "
            "its draws (thorough seed 1). Float64 holds those counts; the draws should be them (or at least not negative)"
        ),
        applies=lambda case: bool(np.any(_overflows(case))),
        example=SamplerCase(one_element_draw("NegativeBinomial", logits=True, real=(100.0,), nonnegative=(2.5,)), 0),
        error_model=ErrorModel(
            "a draw of −2^63 stands for a count of 2^63 or more where the Poisson rate torch samples can reach 2^63 "
            "(Poisson's rate + 50√rate, or the odds times total_count + 50√total_count + 50): counted above every point",
            returns=_overflow_returns,
        ),
    ),
)
