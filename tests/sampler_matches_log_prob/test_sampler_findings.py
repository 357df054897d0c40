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
from theorems.sampler_matches_log_prob.findings import FINDINGS, INT64_OVERFLOW
from theorems.theorem import InvalidInput

DIGITS = 50


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.id)
def test_each_finding_still_reproduces_and_the_reference_is_held_to_its_model(finding) -> None:
    """If torch fixes a defect, this fails: update theorems/sampler_matches_log_prob/findings.py. Where the oracle cannot
    sum the law (NegativeBinomial(2.5, logits 100) has its mass near 1e43), the reference is undecided, not falsified:
    its draws of −2^63 are the recorded counts, and only the oracle's window is left to say why."""
    assert finding.applies(finding.example)
    assert not check_sampler_matches_log_prob(getattr(D, finding.example.family), finding.example).holds
    try:
        evidence = check_sampler_matches_log_prob(torch_family, finding.example)
    except InvalidInput as undecided:
        assert "cannot decide" in str(undecided) and "outside the support" not in str(undecided), str(undecided)
        return
    assert evidence.holds, evidence.explain()


# A further mistake inside each finding's domain: the method planted and what it does to torch's draws.
PLANTED = {
    "torch-continuous-bernoulli-draws-the-clamped-probability": ("rsample", lambda drawn: drawn**2),
    "torch-poisson-sampler-overflows-int64": ("sample", lambda drawn: torch.where(drawn == INT64_OVERFLOW, -1.0, drawn)),
}


def test_every_finding_has_a_planted_mistake() -> None:
    assert set(PLANTED) == {finding.id for finding in FINDINGS}


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.id)
def test_a_further_mistake_inside_each_findings_domain_falsifies_the_reference(finding, monkeypatch: pytest.MonkeyPatch) -> None:
    cls = getattr(D, finding.example.family)
    method, plant = PLANTED[finding.id]
    original = getattr(cls, method)
    monkeypatch.setattr(cls, method, lambda self, sample_shape=torch.Size(): plant(original(self, sample_shape)))
    assert not check_sampler_matches_log_prob(torch_family, finding.example).holds


def test_a_count_past_int64_is_drawn_as_minus_two_to_the_63() -> None:
    """NegativeBinomial(2.5, logits 100) has mean 2.5·e^100 = 6.7e43 (mpmath) and support {0, 1, …}; torch draws −2^63,
    torch.poisson's int64 overflow, which strikes from a rate of 2^63 on (below it the count is right)."""
    with mpmath.workdps(DIGITS):
        mean = mpmath.mpf(2.5) * mpmath.exp(100)
    assert abs(float(mean) / 6.7203e43 - 1) < 1e-4
    assert torch.poisson(_t(1e19)).item() == INT64_OVERFLOW and torch.poisson(_t(9e18)).item() > 0
    generator_state = torch.get_rng_state()
    torch.manual_seed(0)
    drawn = D.NegativeBinomial(_t(2.5), logits=_t(100.0)).sample((100,))
    below = D.NegativeBinomial(_t(2.5), logits=_t(30.0)).sample((1000,))
    torch.set_rng_state(generator_state)
    assert bool((drawn == INT64_OVERFLOW).all()) and bool((below >= 0).all())


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
