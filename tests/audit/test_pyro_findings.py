"""Each Pyro finding (theorems.audits.pyro) reproduces on its minimal example, lies in its own domain, and is
Pyro's defect, not the oracle's: confirmed against mpmath at 50 digits (the oracle's bar covers mpmath's value)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch

from theorems._engine.registry import get_theorem
from theorems.audits.pyro import (
    ERFC_SUBNORMAL_FROM, ERFC_ZERO_FROM, FINDINGS, ORACLE_LIMITS, SIGMOID_ONE_FROM, lnnb_moments_of_its_pmf, ordered_ties, skew_logistic_sampler_masses,
    soft_asymmetric_laplace_strikes,
)
from theorems.log_prob_normalises.case import parameters_for, one_element_draw
from theorems.oracles.statistics import dkw_threshold
from theorems.sampler_matches_log_prob.check import gaps
from theorems.sampler_matches_log_prob.findings import At
from theorems.sampler_matches_log_prob.oracle import LEVELS
from theorems.theorem import resolve
from types import ModuleType


mpmath.mp.dps = 50
U = 2.0**-53
BY_ID = {finding.id: finding for finding in FINDINGS}


def _tensor(value: float) -> torch.Tensor:
    return torch.tensor([value], dtype=torch.float64)


@pytest.mark.parametrize("finding", FINDINGS + ORACLE_LIMITS, ids=lambda finding: finding.id)
def test_each_pyro_finding_and_oracle_limit_reproduces_on_its_minimal_example_inside_its_domain(finding, pyro_distributions: ModuleType) -> None:
    cls = resolve(finding.implementation)
    evidence = get_theorem(finding.theorem_id).check(cls, finding.example)
    assert not evidence.holds, evidence.explain()
    assert finding.applies(finding.example)


def test_the_predicates_read_each_class_s_parameters_in_its_arg_constraints_order(pyro_distributions: ModuleType) -> None:
    sal = parameters_for(pyro_distributions.SoftAsymmetricLaplace, BY_ID["pyro-soft-asymmetric-laplace-log-erfc-underflows"].example)
    assert [float(v) for v in (sal["asymmetry"][0], sal["softness"][0])] == [1.5, 100.0]
    lnnb = parameters_for(pyro_distributions.LogNormalNegativeBinomial, BY_ID["pyro-lognormal-negative-binomial-moments-of-another-law"].example)
    assert [float(lnnb[name][0]) for name in ("total_count", "logits", "multiplicative_noise_scale")] == [2.5, 0.3, 1.5]


def _soft_asymmetric_laplace_log_density(x: float, loc: float, scale: float, asymmetry: float, softness: float) -> mpmath.mpf:
    """The convolution of AsymmetricLaplace with N(0, softness·scale), in closed form (Pyro's docstring), at 50 digits."""
    z, left, right, s = (mpmath.mpf(x) - loc) / scale, mpmath.mpf(asymmetry), 1 / mpmath.mpf(asymmetry), mpmath.mpf(softness)
    a = mpmath.exp((s**2 / 2 + left * z) / left**2) * mpmath.erfc((s**2 + left * z) / (left * s * mpmath.sqrt(2)))
    b = mpmath.exp((s**2 / 2 - right * z) / right**2) * mpmath.erfc((s**2 - right * z) / (right * s * mpmath.sqrt(2)))
    return mpmath.log((a + b) / 2) - mpmath.log(left + right) - mpmath.log(scale)


def test_soft_asymmetric_laplace_loses_its_density_where_erfc_underflows_and_mpmath_keeps_it(pyro_distributions: ModuleType) -> None:
    law = pyro_distributions.SoftAsymmetricLaplace(_tensor(0.3), _tensor(1.5), _tensor(1.5), _tensor(100.0))
    true = _soft_asymmetric_laplace_log_density(0.3, 0.3, 1.5, 1.5, 100.0)
    assert float(law.log_prob(_tensor(0.3))) == -math.inf
    assert abs(float(true) - -5.92974317923552) < 1e-13
    # The true density integrates to 1 (mpmath over its bulk, ±40 softness·scale), Pyro's to ≈ 0 (the check's 3.46e-302).
    mass = mpmath.quad(lambda x: mpmath.exp(_soft_asymmetric_laplace_log_density(x, 0.3, 1.5, 1.5, 100.0)), [-6000, -1000, 0.3, 1000, 6000])
    assert abs(mass - 1) < 1e-12
    # Outside the domain (softness 10: S(L + 1/L) = 21.7 < 75.1) Pyro's log_prob is mpmath's within a few u.
    small = pyro_distributions.SoftAsymmetricLaplace(_tensor(0.3), _tensor(1.5), _tensor(1.5), _tensor(10.0))
    assert abs(float(small.log_prob(_tensor(0.3))) - float(_soft_asymmetric_laplace_log_density(0.3, 0.3, 1.5, 1.5, 10.0))) < 1e-13
    assert not soft_asymmetric_laplace_strikes(one_element_draw("Normal", positive=(1.5, 1.5, 10.0)))[0]


def test_torch_s_erfc_is_subnormal_and_zero_where_the_finding_says(pyro_distributions: ModuleType) -> None:
    erfc = torch.special.erfc
    assert 0 < float(erfc(torch.tensor(ERFC_SUBNORMAL_FROM, dtype=torch.float64))) < np.finfo(np.float64).tiny
    assert float(erfc(torch.tensor(ERFC_SUBNORMAL_FROM - 1e-4, dtype=torch.float64))) >= np.finfo(np.float64).tiny
    assert float(erfc(torch.tensor(ERFC_ZERO_FROM, dtype=torch.float64))) == 0.0
    assert float(erfc(torch.tensor(ERFC_ZERO_FROM - 1e-4, dtype=torch.float64))) > 0.0


def _lnnb_exact(nu: float, logit: float, sigma: float) -> tuple[mpmath.mpf, mpmath.mpf]:
    """The mean and variance of the exact mixture ∫ NB(ν, ℓ + ε) N(ε; 0, σ) dε, by mpmath's quadrature over ε."""
    def moments(e: mpmath.mpf) -> tuple[mpmath.mpf, mpmath.mpf]:
        mean = nu * mpmath.exp(logit + e)
        return mean, mean * (1 + mpmath.exp(logit + e))

    def weighted(f):  # noqa: ANN001, ANN202
        return mpmath.quad(lambda e: mpmath.npdf(e, 0, sigma) * f(e), [-mpmath.inf, 0, mpmath.inf])

    mean = weighted(lambda e: moments(e)[0])
    return mean, weighted(lambda e: moments(e)[1]) + weighted(lambda e: moments(e)[0] ** 2) - mean**2


def _lnnb_eight_points(nu: float, logit: float, sigma: float) -> tuple[mpmath.mpf, mpmath.mpf]:
    """The same mixture by the 8-point Gauss–Hermite rule (log_prob's), its nodes and weights found by mpmath."""
    nodes = [mpmath.re(x) for x in mpmath.polyroots(mpmath.taylor(lambda x: mpmath.hermite(8, x), 0, 8)[::-1], maxsteps=200, extraprec=200)]
    weights = [2**7 * mpmath.factorial(8) / (64 * mpmath.hermite(7, x) ** 2) for x in nodes]  # for N(0, 1): w·√π/√π
    means = [nu * mpmath.exp(logit + sigma * mpmath.sqrt(2) * x) for x in nodes]
    mean = mpmath.fsum(w * m for w, m in zip(weights, means))
    variance = mpmath.fsum(w * (m * (1 + m / nu) + m**2) for w, m in zip(weights, means)) - mean**2
    return mean, variance


def test_lognormal_negative_binomial_claims_the_exact_mixture_s_variance_while_its_pmf_has_the_rule_s(pyro_distributions: ModuleType) -> None:
    finding = BY_ID["pyro-lognormal-negative-binomial-moments-of-another-law"]
    law = pyro_distributions.LogNormalNegativeBinomial(_tensor(2.5), _tensor(0.3), _tensor(1.5))
    exact_mean, exact_variance = _lnnb_exact(2.5, 0.3, 1.5)
    rule_mean, rule_variance = _lnnb_eight_points(2.5, 0.3, 1.5)
    assert abs(float(law.variance) - float(exact_variance)) <= 1e-13 * float(exact_variance)
    assert abs(float(law.mean) - float(exact_mean)) <= 1e-14 * float(exact_mean)
    # The oracle's variance (from log_prob alone) is the rule's within its bar: the defect is Pyro's, not the oracle's.
    evidence = get_theorem(finding.theorem_id).check(pyro_distributions.LogNormalNegativeBinomial, finding.example)
    assert abs(float(evidence.expected.split()[0]) - float(rule_variance)) <= evidence.tolerance
    assert float(evidence.actual) == float(law.variance)
    # The error model's moments of the pmf are mpmath's within its allowance.
    mean, variance = lnnb_moments_of_its_pmf(finding.example)
    assert abs(mean[0] - float(rule_mean)) <= 64 * U * float(rule_mean) and abs(variance[0] - float(rule_variance)) <= 64 * U * float(rule_variance)


@pytest.mark.parametrize("name", ["LogNormal", "NanMaskedNormal"])
def test_pyro_s_normal_cdfs_are_torch_s_and_within_torch_s_four_u_model(name: str, pyro_distributions: ModuleType) -> None:
    finding = BY_ID[f"pyro-{name.lower()}-inherits-torch-cdfs-absolute-below-the-median"]
    pyro_law = getattr(pyro_distributions, name)(_tensor(0.3), _tensor(1.5))
    torch_law = getattr(torch.distributions, name if name == "LogNormal" else "Normal")(_tensor(0.3), _tensor(1.5))
    level = min(finding.example.levels)
    z = mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(level) - 1)
    logged = name == "LogNormal"
    x = float(mpmath.exp(mpmath.mpf(0.3) + mpmath.mpf(1.5) * z) if logged else mpmath.mpf(0.3) + mpmath.mpf(1.5) * z)
    point = _tensor(x)
    assert torch.equal(pyro_law.cdf(point), torch_law.cdf(point)) and torch.equal(pyro_law.icdf(pyro_law.cdf(point)), torch_law.icdf(torch_law.cdf(point)))
    standard = ((mpmath.log(x) if logged else mpmath.mpf(x)) - mpmath.mpf(0.3)) / mpmath.mpf(1.5)
    density = mpmath.npdf(standard) / (mpmath.mpf(1.5) * (x if logged else 1))
    round_trip = float(pyro_law.icdf(pyro_law.cdf(point)))
    # 4u in the cdf's probability and 4u in the one the icdf inverts, over the density (which varies by far less than e^½ there).
    assert abs(round_trip - x) <= 2 * 8 * U / float(density)
    assert abs(float(pyro_law.cdf(point)) - float(mpmath.ncdf(standard))) <= 4 * U


def test_skew_logistic_s_cdf_is_zero_where_mpmath_s_is_its_level(pyro_distributions: ModuleType) -> None:
    finding = BY_ID["pyro-skew-logistic-cdf-underflows"]
    law = pyro_distributions.SkewLogistic(_tensor(0.3), _tensor(1.5), _tensor(0.001))
    # The 5 % quantile: σ(z)^a = 0.05, z = logit(0.05^{1/a}), by mpmath.
    z = mpmath.log(mpmath.mpf(0.05) ** 1000 / (1 - mpmath.mpf(0.05) ** 1000))
    x = float(mpmath.mpf(0.3) + mpmath.mpf(1.5) * z)
    true = mpmath.exp(mpmath.mpf(0.001) * -mpmath.log1p(mpmath.exp(-((mpmath.mpf(x) - mpmath.mpf(0.3)) / mpmath.mpf(1.5)))))
    assert abs(float(true) - 0.05) < 1e-12 and abs(x - -4493.30) < 0.01
    assert float(law.cdf(_tensor(x))) == 0.0 and float(law.icdf(_tensor(0.05))) == -math.inf
    assert finding.applies(finding.example)


def test_elu_transform_leaves_its_declared_codomain_below_zero(pyro_distributions: ModuleType) -> None:
    transform = pyro_distributions.transforms.ELUTransform()
    y = transform(_tensor(-1.0))
    assert abs(float(y) - float(mpmath.exp(-1) - 1)) < 1e-16 and not bool(transform.codomain.check(y).all())


def test_softplus_transform_returns_x_past_twenty_where_mpmath_does_not(pyro_distributions: ModuleType) -> None:
    transform = pyro_distributions.transforms.SoftplusTransform()
    x = transform.inv(_tensor(21.0))
    assert abs(float(x) - float(mpmath.mpf(21) + mpmath.log(-mpmath.expm1(-21)))) < 1e-14
    assert float(transform(x)) == float(x)  # the forward is x itself past its threshold 20
    assert abs(float(mpmath.log1p(mpmath.exp(mpmath.mpf(float(x))))) - 21.0) < 1e-14


def test_zero_inflated_negative_binomial_refuses_logits_whose_probability_rounds_to_one(pyro_distributions: ModuleType) -> None:
    assert float(torch.sigmoid(torch.tensor(SIGMOID_ONE_FROM, dtype=torch.float64))) == 1.0
    assert float(torch.sigmoid(torch.tensor(SIGMOID_ONE_FROM - 1e-4, dtype=torch.float64))) < 1.0
    assert 1 - mpmath.mpf(1) / (1 + mpmath.exp(-37)) > 0  # σ(37) < 1: a valid probability, and logits 37 a valid real
    with pytest.raises(ValueError, match="Expected parameter probs"):
        pyro_distributions.ZeroInflatedNegativeBinomial(_tensor(2.5), logits=_tensor(37.0), gate_logits=_tensor(0.5), validate_args=True)
    torch.distributions.NegativeBinomial(_tensor(2.5), logits=_tensor(37.0), validate_args=True)


def test_the_oracle_limits_are_where_pyro_is_right(pyro_distributions: ModuleType) -> None:
    # ZeroInflatedPoisson's mean is (1 − gate)·rate exactly; LeakyReLU's slopes either side of 0 are 1 and 0.01;
    # OrderedTransform's tie is float64's: e^{−23} under half an ulp of 1202604.28.
    law = pyro_distributions.ZeroInflatedPoisson(_tensor(53431.5), gate=_tensor(0.5))
    assert float(law.mean) == 26715.75
    assert float(mpmath.exp(-23)) < np.spacing(float(mpmath.exp(14))) / 2
    assert ordered_ties(ORACLE_LIMITS[-1].example)


def test_the_inherited_binomial_and_geometric_defects_are_torch_s_exact_and_mpmath_values(pyro_distributions: ModuleType) -> None:
    # Binomial(4, probs 0): Pyro's own log_prob takes torch's clamped logits, so k = 1 has mass 4·eps (exactly 0 for p = 0)
    # while its mean is torch's, 0: the pmf's mean 8.9e-16 against 0.
    binomial = pyro_distributions.Binomial(_tensor(4.0), probs=_tensor(0.0))
    eps = float(torch.finfo(torch.float64).eps)
    assert float(binomial.mean) == 0.0 and abs(math.exp(float(binomial.log_prob(_tensor(1.0)))) - 4 * eps) <= 1e-12 * 4 * eps
    # Geometric(0.9999): torch's mean 1/p − 1, u/p off absolutely; mpmath's (1 − p)/p at 50 digits.
    p = 0.9999
    geometric = pyro_distributions.Geometric(probs=_tensor(p))
    exact = (1 - mpmath.mpf(p)) / mpmath.mpf(p)
    assert 0 < abs(float(geometric.mean) - float(exact)) <= 2 * U / p
    # Geometric(probs 0): the constructor torch's unit_interval admits refuses it, as torch's does.
    with pytest.raises(ValueError, match="to be positive"):
        pyro_distributions.Geometric(probs=_tensor(0.0), validate_args=True)


def _skew_logistic_quantile(level: float, asymmetry: float) -> float:
    """SkewLogistic(0.3, 1.5, asymmetry)'s quantile: F = σ(z)^a, so z = logit(F^{1/a}), by mpmath at 50 digits."""
    p = mpmath.mpf(level) ** (1 / mpmath.mpf(asymmetry))
    return float(mpmath.mpf(0.3) + mpmath.mpf(1.5) * mpmath.log(p / (1 - p)))


def test_skew_logistic_draws_minus_infinity_where_its_law_draws_finite_values(pyro_distributions: ModuleType) -> None:
    finding = BY_ID["pyro-skew-logistic-sampler-draws-minus-infinity"]
    law = pyro_distributions.SkewLogistic(_tensor(0.3), _tensor(1.5), _tensor(0.001))
    # The minimal example: icdf(0.4) is −∞ (0.4^1000 = 1.1e-398 rounds to 0), mpmath's 0.4 quantile −1374.1 is finite.
    assert float(law.icdf(_tensor(0.4))) == -math.inf and abs(_skew_logistic_quantile(0.4, 0.001) - -1374.1) < 0.1
    # The counterexample's point: F there is mpmath's 0.0916771, 47 % of the draws lie below it (all of them −∞).
    x = -3583.923388726299
    assert abs(float(mpmath.exp(-mpmath.mpf(0.001) * mpmath.log1p(mpmath.exp(-(mpmath.mpf(x) - mpmath.mpf(0.3)) / mpmath.mpf(1.5))))) - 0.0916771) < 1e-7
    with torch.random.fork_rng():
        torch.manual_seed(0)
        draws = law.rsample(torch.Size([30_000]))[:, 0].numpy()
    # Seeded, so deterministic; ε at α = 1e-9 says by how much such draws may miss a right model at all.
    epsilon = dkw_threshold(len(draws), 1e-9)
    zero, subnormal = skew_logistic_sampler_masses(finding.example)
    assert abs(float(zero[0]) - float(mpmath.mpf(2) ** -1.075)) < 1e-15 and abs(np.mean(draws == -math.inf) - zero[0]) < epsilon
    assert np.mean(draws <= x) > 0.0916771 + 0.3
    # The error model accounts for the draws: at mpmath's quantiles of the oracle's levels, the share is F + the offset.
    points = np.array([[_skew_logistic_quantile(level, 0.001)] for level in LEVELS])
    at = At(finding.example, points)
    model = finding.error_model
    gap, _ = gaps(np.sort(draws), points[:, 0], np.asarray(LEVELS) + model.offset(at)[:, 0], np.zeros(len(LEVELS)))
    assert np.all(gap <= epsilon + model.allowance(at)[:, 0]), gap
    assert finding.applies(finding.example) and not finding.applies(_skew_logistic_case(0.1))


def _skew_logistic_case(asymmetry: float):  # noqa: ANN202
    from theorems.sampler_matches_log_prob.case import SamplerCase

    return SamplerCase(one_element_draw("Normal", real=(0.3,), positive=(1.5, asymmetry)), 0)


def test_zero_inflated_poisson_draws_its_far_bulk_where_the_sampler_oracle_s_window_ends(pyro_distributions: ModuleType) -> None:
    # The sampler's oracle limit: Poisson(53431.5)'s mass on 1 … 63 is below 1e-300 (mpmath), so the window ends at 64 with F = 1,
    # while half the draws (the gate's complement) lie in the bulk, within 5 standard deviations of 53431.5: Pyro is right.
    rate = mpmath.mpf(53431.5)
    assert mpmath.fsum(mpmath.exp(-rate + k * mpmath.log(rate) - mpmath.loggamma(k + 1)) for k in range(1, 64)) < mpmath.mpf(10) ** -300
    law = pyro_distributions.ZeroInflatedPoisson(_tensor(53431.5), gate=_tensor(0.5))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        draws = law.sample(torch.Size([30_000]))[:, 0].numpy()
    bulk = draws[draws > 0]
    assert abs(np.mean(draws == 0) - 0.5) < dkw_threshold(len(draws), 1e-9) and np.all(np.abs(bulk - 53431.5) < 6 * math.sqrt(53431.5))
