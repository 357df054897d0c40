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
)
