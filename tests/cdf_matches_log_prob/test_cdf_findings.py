"""torch's defects found by ``cdf-matches-log-prob`` (theorems/cdf_matches_log_prob/findings.py).

Each finding: confirmed by mpmath at 50 digits; still reproduced on its recorded example by torch as any
implementation; held by the reference run to its error model there; and a planted 10 % error inside its
domain still falsifies the reference.
"""

from __future__ import annotations

import dataclasses

import mpmath
import numpy as np
import pytest
import torch
from torch import distributions as D

from theorems.cdf_matches_log_prob.case import CdfCase
from theorems.cdf_matches_log_prob.check import check_cdf_matches_log_prob
from theorems.cdf_matches_log_prob.findings import FINDINGS, continuous_bernoulli_cdf
from theorems.log_prob_normalises.check import torch_family

DIGITS = 50


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def _exact_cdf(logit: mpmath.mpf, x: mpmath.mpf) -> mpmath.mpf:
    return mpmath.expm1(logit * x) / mpmath.expm1(logit)


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.id)
def test_each_finding_still_reproduces_and_the_reference_is_held_to_its_model(finding) -> None:
    """If torch fixes a defect, this fails: update theorems/cdf_matches_log_prob/findings.py."""
    assert finding.applies(finding.example)
    assert not check_cdf_matches_log_prob(getattr(D, finding.example.family), finding.example).holds
    evidence = check_cdf_matches_log_prob(torch_family, finding.example)
    assert evidence.holds, evidence.explain()


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.id)
def test_a_ten_percent_error_inside_each_findings_domain_falsifies_the_reference(finding, monkeypatch: pytest.MonkeyPatch) -> None:
    cls = getattr(D, finding.example.family)
    original = cls.cdf
    monkeypatch.setattr(cls, "cdf", lambda self, value: 1.1 * original(self, value))
    assert not check_cdf_matches_log_prob(torch_family, finding.example).holds


def test_the_true_distribution_function_is_within_a_few_ulps_of_mpmath_for_any_logit() -> None:
    for logit in (-1e5, -100.0, -1.0, -1e-9, 1e-9, 3.3e-8, 1.0, 100.0, 1e5):
        for x in (1e-12, 0.3, 0.5, 0.999):
            with mpmath.workdps(DIGITS):
                exact = _exact_cdf(mpmath.mpf(logit), mpmath.mpf(x))
            found = float(continuous_bernoulli_cdf(np.array(logit), np.array(x)))
            # the exponent ℓx or ℓ(x − 1) carries x's (or x − 1's) rounding times |ℓ|
            assert abs(found - float(exact)) <= 8 * 2.0**-53 * (1 + abs(logit)) * float(exact), (logit, x)


def test_in_its_taylor_window_torch_returns_the_uniform_cdf() -> None:
    lam = 0.501
    with mpmath.workdps(DIGITS):
        exact = _exact_cdf(mpmath.log(mpmath.mpf(lam) / (1 - mpmath.mpf(lam))), mpmath.mpf(0.5))
    torch_cdf = D.ContinuousBernoulli(probs=_t(lam)).cdf(_t(0.5)).item()
    assert torch_cdf == 0.5 and abs(torch_cdf - float(exact)) > 4.9e-4


def test_near_half_the_cdf_and_icdf_cancel() -> None:
    law = D.ContinuousBernoulli(probs=_t(0.496477))
    with mpmath.workdps(DIGITS):
        logit = mpmath.log(mpmath.mpf(0.496477) / (1 - mpmath.mpf(0.496477)))
        exact = _exact_cdf(logit, mpmath.mpf(1.0200211033504198e-10))
    assert abs(law.cdf(_t(1.0200211033504198e-10)).item() - float(exact)) / float(exact) > 1e-4
    inverse = D.ContinuousBernoulli(probs=_t(0.495508))
    with mpmath.workdps(DIGITS):
        logit = mpmath.log(mpmath.mpf(0.495508) / (1 - mpmath.mpf(0.495508)))
        v = mpmath.mpf(1.0285912152460416e-10)
        exact_x = mpmath.log1p(v * mpmath.expm1(logit)) / logit
    assert abs(inverse.icdf(_t(float(v))).item() - float(exact_x)) / float(exact_x) > 1e-5


def test_past_the_clamp_the_cdf_is_that_of_eps() -> None:
    with mpmath.workdps(DIGITS):
        exact = _exact_cdf(mpmath.mpf(-232080), mpmath.mpf(3.4849193701250941e-06))
    torch_cdf = D.ContinuousBernoulli(logits=_t(-232080.0)).cdf(_t(3.4849193701250941e-06)).item()
    assert abs(float(exact) - 0.5546) < 1e-3 and abs(torch_cdf - 1.256e-4) < 1e-6


# (family, law, its distribution function at 50 digits, a point far below its median, F there about 1e-10)
ABSOLUTE = {
    "Normal": (lambda: D.Normal(_t(0.3), _t(1.5)), lambda x: mpmath.erfc(-(x - mpmath.mpf(0.3)) / (mpmath.mpf(1.5) * mpmath.sqrt(2))) / 2, -9.1),
    "Cauchy": (lambda: D.Cauchy(_t(0.3), _t(1.5)), lambda x: mpmath.atan((x - mpmath.mpf(0.3)) / mpmath.mpf(1.5)) / mpmath.pi + mpmath.mpf(1) / 2, -4.7e9),
    "Exponential": (lambda: D.Exponential(_t(1.5)), lambda x: -mpmath.expm1(-mpmath.mpf(1.5) * x), 6.7e-11),
    "Laplace": (lambda: D.Laplace(_t(0.3), _t(1.5)), lambda x: mpmath.exp((x - mpmath.mpf(0.3)) / mpmath.mpf(1.5)) / 2, -32.8),
    "Gumbel": (lambda: D.Gumbel(_t(0.3), _t(1.5)), lambda x: mpmath.exp(-mpmath.exp(-(x - mpmath.mpf(0.3)) / mpmath.mpf(1.5))), -4.2),
    "InverseGamma": (lambda: D.InverseGamma(_t(1.5), _t(1.5)), lambda x: mpmath.gammainc(mpmath.mpf(1.5), mpmath.mpf(1.5) / x, mpmath.inf, regularized=True), 0.0552),
}


@pytest.mark.parametrize("family", sorted(ABSOLUTE))
def test_below_the_median_torch_keeps_a_probability_only_absolutely(family: str) -> None:
    """mpmath at 50 digits: torch's cdf far below the median is within 4u absolutely but far off relatively."""
    build, exact, x = ABSOLUTE[family]
    with mpmath.workdps(DIGITS):
        truth = exact(mpmath.mpf(x))
    error = abs(mpmath.mpf(build().cdf(_t(x)).item()) - truth)
    assert float(truth) < 1e-6 and float(error) <= 4 * 2.0**-53 and float(error / truth) > 1e-9, (family, float(truth), float(error))


def test_gamma_keeps_its_relative_precision_below_the_median() -> None:
    with mpmath.workdps(DIGITS):
        truth = mpmath.gammainc(mpmath.mpf(1.5), 0, mpmath.mpf(1.5) * mpmath.mpf(1e-7), regularized=True)
    error = abs(mpmath.mpf(D.Gamma(_t(1.5), _t(1.5)).cdf(_t(1e-7)).item()) - truth)
    assert float(error / truth) < 64 * 2.0**-53


def test_a_case_of_a_finding_replayed_with_other_levels_is_still_in_its_domain() -> None:
    finding = FINDINGS[1]
    assert finding.applies(dataclasses.replace(finding.example, levels=(1e-12, 0.5, 1 - 1e-12)))
    assert isinstance(finding.example, CdfCase)


def test_past_a_shape_of_20_torchs_incomplete_gamma_keeps_nine_digits_and_below_it_all() -> None:
    from theorems.cdf_matches_log_prob.findings import IGAMMA_SERIES_ERROR

    def error(shape: float, x: float) -> float:
        with mpmath.workdps(DIGITS):
            truth = mpmath.gammainc(mpmath.mpf(shape), 0, mpmath.mpf(x), regularized=True)
        return float(abs(mpmath.mpf(torch.special.gammainc(_t(shape), _t(x)).item()) - truth))

    past = error(10**1.5 + 0.0, 1.5 * 15.206572498076472)  # the recorded example's 5 % quantile
    assert 1e-11 < past <= IGAMMA_SERIES_ERROR, past
    assert error(20.0001, 19.667772418186072) <= IGAMMA_SERIES_ERROR  # the worst measured, at the median just past 20
    assert error(20.0, 19.667772418186072) < 16 * 2.0**-53 and error(19.9, 19.6) < 16 * 2.0**-53
    # InverseGamma's cdf is the Gamma's upper tail at rate/x (thorough seed 1: 1.0e-10 off at its 5 % quantile)
    with mpmath.workdps(DIGITS):
        truth = mpmath.gammainc(mpmath.mpf(10**1.5), mpmath.mpf(1.5) / mpmath.mpf(0.036668168778702923), mpmath.inf, regularized=True)
    found = D.InverseGamma(_t(10**1.5), _t(1.5)).cdf(_t(0.036668168778702923)).item()
    assert 1e-11 < float(abs(mpmath.mpf(found) - truth)) <= IGAMMA_SERIES_ERROR


def test_a_kumaraswamy_with_a_large_b_carries_b_roundings_in_its_probabilities() -> None:
    from theorems.cdf_matches_log_prob.case import CdfCase
    from theorems.log_prob_normalises.case import one_element_draw

    case = CdfCase(one_element_draw("Kumaraswamy", positive=(2.24, 100.0)), (1e-7, 0.5, 0.95))
    x = 1.0275554889652368e-4  # thorough seed 1's point, at level 1e-7
    with mpmath.workdps(DIGITS):
        truth = 1 - (1 - mpmath.mpf(x) ** mpmath.mpf(2.24)) ** 100
    found = D.Kumaraswamy(_t(2.24), _t(100.0)).cdf(_t(x)).item()
    assert 8 * 2.0**-53 < float(abs(mpmath.mpf(found) - truth)) <= (4 + 2 * 100) * 2.0**-53  # past 4u, within (4 + 2b)u
    assert check_cdf_matches_log_prob(torch_family, case).holds
    assert not check_cdf_matches_log_prob(D.Kumaraswamy, case).holds
