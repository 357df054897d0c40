"""torch's defects found by ``moments-match-log-prob`` (theorems/moments_match_log_prob/findings.py).

Each finding: confirmed by mpmath at 50 digits (the defect is torch's, not the oracle's); still reproduced
on its recorded example by torch as any implementation (a fix upstream turns this red); held by the
reference run to its error model there; and a planted error inside its domain still falsifies the
reference (the model hides nothing beyond the defect).
"""

from __future__ import annotations

import dataclasses
import math

import mpmath
import numpy as np
import pytest
import torch
from torch import distributions as D

from theorems.log_prob_normalises.check import torch_family
from theorems.moments_match_log_prob.check import check_moments_match_log_prob
from theorems.moments_match_log_prob.findings import FINDINGS, QUANTITIES_OF

DIGITS = 50
BY_ID = {finding.id: finding for finding in FINDINGS}


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def test_every_finding_names_the_quantities_it_touches() -> None:
    assert set(QUANTITIES_OF) == set(BY_ID)


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.id)
def test_each_finding_still_reproduces_and_the_reference_is_held_to_its_model(finding) -> None:
    """If torch fixes a defect, this fails: update theorems/moments_match_log_prob/findings.py."""
    assert finding.applies(finding.example)
    torch_class = getattr(D, finding.example.family)
    assert not check_moments_match_log_prob(torch_class, finding.example).holds
    evidence = check_moments_match_log_prob(torch_family, finding.example)
    assert evidence.holds, evidence.explain()


def _with(draw, **kinds):  # noqa: ANN001, ANN003, ANN202
    values = dict(draw.values)
    for kind, given in kinds.items():
        values[kind] = tuple(np.array([v]) for v in given) + values[kind][len(given):]
    return dataclasses.replace(draw, values=tuple(values.items()))


# (finding, the quantity planted, how: a function of torch's own value and the law, an example inside the domain)
PLANTED = {
    "torch-cauchy-variance-infinite-where-undefined": ("variance", lambda value, law: 1.1 * law.scale**2, None),  # a finite value where it is undefined
    "torch-fisher-snedecor-nan-where-moments-are-infinite": ("mean", lambda value, law: torch.full_like(value, 1.1), None),  # finite where +∞
    "torch-kumaraswamy-mode-nan-where-it-exists": ("mode", lambda value, law: 1.1 * ((law.concentration1 - 1) / (law.concentration1 * law.concentration0 - 1)) ** (1 / law.concentration1), None),
    "torch-kumaraswamy-log-prob-vanishes-near-zero": ("mode", lambda value, law: torch.full_like(value, 0.11), None),
    "torch-continuous-bernoulli-moments-of-the-clamped-probability": ("mean", lambda value, law: 1.1 * value, None),
    "torch-continuous-bernoulli-cancellation-outside-its-taylor-window": ("variance", lambda value, law: 1.1 * value, None),
    "torch-geometric-mean-cancels-near-one": ("mean", lambda value, law: 1.1 * value, {"unit_interval": (0.97,)}),
    "torch-bernoulli-binomial-variance-of-a-rounded-probability": ("variance", lambda value, law: 1.1 * value, None),
    "torch-bernoulli-binomial-log-prob-clamps-probs": ("mean", lambda value, law: value + 0.1, None),
    "torch-kumaraswamy-variance-cancels": ("variance", lambda value, law: 1.1 * value, None),
    "torch-weibull-mode-of-a-negative-power": ("mode", lambda value, law: 1.1 * value, None),
    "torch-weibull-variance-cancels": ("variance", lambda value, law: 1.1 * value, None),
    "torch-negative-binomial-point-mass-moments-nan": ("mean", lambda value, law: torch.full_like(value, 0.1), None),  # finite but not 0
}


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.id)
def test_a_planted_error_inside_each_findings_domain_falsifies_the_reference(finding, monkeypatch: pytest.MonkeyPatch) -> None:
    name, plant, kinds = PLANTED[finding.id]
    example = _with(finding.example, **kinds) if kinds else finding.example
    assert finding.applies(example)
    cls = getattr(D, example.family)
    original = getattr(cls, name)
    monkeypatch.setattr(cls, name, property(lambda self: plant(original.fget(self), self)))
    assert not check_moments_match_log_prob(torch_family, example).holds


# --- each defect confirmed by mpmath at 50 digits -------------------------------------------------


def test_cauchy_has_no_mean_so_no_variance_and_torch_says_so_for_its_own_student_t() -> None:
    with mpmath.workdps(DIGITS):
        half = [mpmath.log(1 + mpmath.mpf(r) ** 2) / (2 * mpmath.pi) for r in (1e10, 1e20, 1e40)]  # ∫₀ᴿ x p, either side
    assert half[0] < half[1] < half[2] and half[2] > 29
    assert math.isnan(D.StudentT(_t(1.0), _t(0.0), _t(1.0)).variance.item())
    assert D.Cauchy(_t(0.0), _t(1.0)).variance.item() == math.inf


def test_fisher_snedecor_has_an_infinite_mean_for_df2_below_two() -> None:
    d1 = d2 = mpmath.mpf(1.5)

    def log_density(x: mpmath.mpf) -> mpmath.mpf:
        return (d1 / 2) * mpmath.log(d1 / d2) + (d1 / 2 - 1) * mpmath.log(x) - ((d1 + d2) / 2) * mpmath.log(1 + d1 * x / d2) - mpmath.log(mpmath.beta(d1 / 2, d2 / 2))

    with mpmath.workdps(DIGITS):
        exponent = (log_density(mpmath.mpf(10) ** 80) - log_density(mpmath.mpf(10) ** 40)) / mpmath.log(mpmath.mpf(10) ** 40)
    assert abs(float(exponent) + 1.75) < 1e-30  # p ~ x^{−1−df2/2}: ∫ x p diverges, x > 0: +∞
    assert math.isnan(D.FisherSnedecor(_t(1.5), _t(1.5)).mean.item())


def test_kumaraswamy_has_a_mode_where_torch_returns_nan() -> None:
    a = b = mpmath.mpf(1.5)
    with mpmath.workdps(DIGITS):
        mode = mpmath.findroot(lambda x: (a - 1) / x - (b - 1) * a * x ** (a - 1) / (1 - x**a), 0.5)
        assert abs(mode - ((a - 1) / (a * b - 1)) ** (1 / a)) < mpmath.mpf(10) ** -40
    assert abs(float(mode) - 0.542883523) < 1e-9
    assert math.isnan(D.Kumaraswamy(_t(1.5), _t(1.5)).mode.item())


def test_kumaraswamy_log_prob_is_minus_infinity_where_the_density_is_largest() -> None:
    a, b, x = mpmath.mpf(0.5), mpmath.mpf(2), mpmath.mpf("1e-40")
    with mpmath.workdps(DIGITS):
        exact = mpmath.log(a * b) + (a - 1) * mpmath.log(x) + (b - 1) * mpmath.log(1 - x**a)
    assert abs(float(exact) - 46.0517) < 1e-3
    assert D.Kumaraswamy(_t(0.5), _t(2.0)).log_prob(_t(1e-40)).item() == -math.inf


def test_continuous_bernoulli_past_the_clamp_has_the_moments_of_eps() -> None:
    logit = mpmath.mpf(-100)
    with mpmath.workdps(DIGITS):
        mass = mpmath.quad(lambda x: mpmath.exp(logit * x), [0, 0.01, 1])
        mean = mpmath.quad(lambda x: x * mpmath.exp(logit * x), [0, 0.01, 1]) / mass
    assert abs(float(mean) - 0.01) < 1e-12
    assert abs(D.ContinuousBernoulli(logits=_t(-100.0)).mean.item() - 0.027744) < 1e-5


def test_continuous_bernoulli_cancels_just_outside_its_taylor_window() -> None:
    lam = 0.5011
    with mpmath.workdps(DIGITS):
        logit = mpmath.log(mpmath.mpf(lam) / (1 - mpmath.mpf(lam)))
        variance = 1 / logit**2 - 1 / (4 * mpmath.sinh(logit / 2) ** 2)
    error = abs(D.ContinuousBernoulli(probs=_t(lam)).variance.item() - float(variance))
    assert 1e-10 < error < 1e-8


def test_geometric_mean_near_one_is_eleven_percent_off() -> None:
    p = 1 - 1e-15
    with mpmath.workdps(DIGITS):
        exact = (1 - mpmath.mpf(p)) / mpmath.mpf(p)
    torch_mean = D.Geometric(probs=_t(p)).mean.item()
    assert 0.10 < abs(torch_mean - float(exact)) / float(exact) < 0.12


def test_bernoulli_given_probs_zero_has_a_pmf_of_probability_eps() -> None:
    law = D.Bernoulli(probs=_t(0.0))
    log_one = law.log_prob(_t(1.0)).item()
    with mpmath.workdps(DIGITS):
        mean = mpmath.exp(log_one) / (mpmath.exp(log_one) + mpmath.exp(law.log_prob(_t(0.0)).item()))
    assert abs(log_one + 36.04) < 0.01 and 1e-16 < float(mean) < 1e-15 and law.mean.item() == 0.0


def test_bernoulli_variance_from_a_rounded_sigmoid() -> None:
    with mpmath.workdps(DIGITS):
        exact = 1 / ((1 + mpmath.exp(-10)) * (1 + mpmath.exp(10)))
    error = abs(D.Bernoulli(logits=_t(10.0)).variance.item() - float(exact))
    assert error > 1e-17 and error / float(exact) > 1e-13


def test_kumaraswamy_variance_cancels_near_one() -> None:
    a, b = mpmath.mpf(53431.5), mpmath.mpf(2.42039)
    with mpmath.workdps(DIGITS):
        m1, m2 = (b * mpmath.beta(1 + n / a, b) for n in (1, 2))
        exact = m2 - m1**2
    torch_variance = D.Kumaraswamy(_t(53431.5), _t(2.42039)).variance.item()
    assert abs(torch_variance - float(exact)) / float(exact) > 1e-7


def test_weibull_concentration_half_has_no_mode_but_torch_gives_its_scale() -> None:
    k, scale = mpmath.mpf(0.5), mpmath.mpf(2.24)

    def log_density(x: mpmath.mpf) -> mpmath.mpf:
        return mpmath.log(k / scale) + (k - 1) * mpmath.log(x / scale) - (x / scale) ** k

    with mpmath.workdps(DIGITS):
        assert log_density(mpmath.mpf("1e-150")) > log_density(scale) + 170  # unbounded at 0
    assert D.Weibull(_t(2.24), _t(0.5)).mode.item() == 2.24


def test_weibull_variance_cancels_for_a_large_concentration() -> None:
    k, scale = mpmath.mpf(131558), mpmath.mpf(1.87)
    with mpmath.workdps(DIGITS):
        exact = scale**2 * (mpmath.gamma(1 + 2 / k) - mpmath.gamma(1 + 1 / k) ** 2)
    torch_variance = D.Weibull(_t(1.87), _t(131558.0)).variance.item()
    assert abs(torch_variance - float(exact)) / float(exact) > 5e-8


def test_negative_binomial_with_no_trials_is_the_point_mass_at_zero_where_torch_says_nan() -> None:
    law = D.NegativeBinomial(_t(0.0), logits=_t(1000.0))
    with mpmath.workdps(DIGITS):
        exact = mpmath.mpf(0) * mpmath.exp(1000)  # total_count·e^logits, e^1000 ≈ 2e434 finite at 50 digits
    assert exact == 0 and law.log_prob(_t(0.0)).item() == 0.0  # all the mass at 0
    assert math.isnan(law.mean.item()) and math.isnan(law.variance.item())
    assert D.NegativeBinomial(_t(0.0), logits=_t(709.0)).mean.item() == 0.0  # below exp's overflow torch is right
