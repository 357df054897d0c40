"""torch's defects found by ``sampler-matches-log-prob`` (theorems/sampler_matches_log_prob/findings.py).

Each finding: confirmed by mpmath at 50 digits; still reproduced on its recorded example by torch as any
implementation; held by the reference run to its error model there; and a sampler off by a further mistake
inside its domain still falsifies the reference.
"""

from __future__ import annotations

import mpmath
import pytest
import torch
from torch import distributions as D

from theorems.log_prob_normalises.findings import CLAMPED_LOGIT
from theorems.log_prob_normalises.check import torch_family
from theorems.sampler_matches_log_prob.check import check_sampler_matches_log_prob
from theorems.sampler_matches_log_prob.findings import FINDINGS

DIGITS = 50


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.id)
def test_each_finding_still_reproduces_and_the_reference_is_held_to_its_model(finding) -> None:
    """If torch fixes a defect, this fails: update theorems/sampler_matches_log_prob/findings.py."""
    assert finding.applies(finding.example)
    assert not check_sampler_matches_log_prob(getattr(D, finding.example.family), finding.example).holds
    evidence = check_sampler_matches_log_prob(torch_family, finding.example)
    assert evidence.holds, evidence.explain()


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.id)
def test_a_further_mistake_inside_each_findings_domain_falsifies_the_reference(finding, monkeypatch: pytest.MonkeyPatch) -> None:
    cls = getattr(D, finding.example.family)
    original = cls.rsample
    monkeypatch.setattr(cls, "rsample", lambda self, sample_shape=torch.Size(): original(self, sample_shape) ** 2)
    assert not check_sampler_matches_log_prob(torch_family, finding.example).holds


def test_past_the_clamp_the_draws_follow_the_law_of_eps_not_of_the_logits() -> None:
    """torch's icdf(½) for logits −100 is mpmath's median of the law of logit −36.04 (λ = eps), not of the logits' law,
    whose F there is 0.854; torch's median of 30,000 draws agrees with the clamped one."""
    law = D.ContinuousBernoulli(logits=_t(-100.0))
    with mpmath.workdps(DIGITS):
        clamped, logit = mpmath.mpf(-CLAMPED_LOGIT), mpmath.mpf(-100)
        median_clamped = mpmath.log1p(mpmath.expm1(clamped) / 2) / clamped  # F⁻¹(½) of the density ∝ e^{ℓx} on [0, 1]
        median_true = mpmath.log1p(mpmath.expm1(logit) / 2) / logit
        f_true_at_clamped = mpmath.expm1(logit * median_clamped) / mpmath.expm1(logit)
    assert abs(law.icdf(_t(0.5)).item() - float(median_clamped)) <= 1e-12
    assert abs(float(median_true) - 0.0069315) < 1e-7 and abs(float(f_true_at_clamped) - 0.854) < 1e-3
    generator_state = torch.get_rng_state()
    torch.manual_seed(0)
    drawn = law.sample((30_000,))
    torch.set_rng_state(generator_state)
    assert abs(float(drawn.median()) - float(median_clamped)) < 1e-3
