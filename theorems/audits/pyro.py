"""Pyro (pyro-ppl 1.9.x) under the audited theorems: the classes listed with a reason, and Pyro's defects.

``theorems.audit(pyro.distributions, listed=LISTED, findings=FINDINGS)`` (and the same for
``pyro.distributions.transforms``: :data:`MODULES`) checks every other class; ``make audit-pyro`` writes the
table (reports/audit-pyro.json). Pyro is not imported here: the predicates read the examples' banks in the
order each class's ``arg_constraints`` declares its parameters (tests/audit/ holds them to it).

The findings live here, not in ``theorems/<theorem>/findings.py``: those are torch's, and the engine replays
every one of their examples on each implementation of its theorem, torch's reference runs included (which
tests/engine/test_layout_kept_behaviour.py pins); a Pyro finding is about one class of another library, and
the audit applies it to that class alone. One module for the library: its findings span five theorems and
share its listing. Each is confirmed against mpmath in tests/audit/test_pyro_findings.py.
"""

from __future__ import annotations

import math

import numpy as np

import dataclasses
from typing import Any

from scipy.special import gammaln

from theorems.cdf_matches_log_prob.case import CdfCase
from theorems.cdf_matches_log_prob.findings import FINDINGS as CDF_FINDINGS
from theorems.finding import ErrorModel, Finding
from theorems.log_det_jacobian.case import TransformCase
from theorems.log_prob_normalises.case import ParameterDraw, one_element_draw
from theorems.log_prob_normalises.findings import FINDINGS as MASS_FINDINGS
from theorems.moments_match_log_prob.findings import FINDINGS as MOMENT_FINDINGS
from theorems.moments_match_log_prob.findings import Asked
from theorems.sampler_matches_log_prob.case import SamplerCase
from theorems.transform_laws.case import TransformDraw, draw_of

__all__ = [
    "CHECKED", "FINDINGS", "LISTED", "MODULES", "ORACLE_LIMITS", "OUTSIDE", "lnnb_moments_of_its_pmf", "ordered_ties", "skew_logistic_cdf_underflows",
    "skew_logistic_sampler_masses", "soft_asymmetric_laplace_strikes",
]

MODULES = ("pyro.distributions", "pyro.distributions.transforms")
U = 2.0**-53
# torch's erfc (Pyro's _logerfc falls back to erfc().log(): torch has no logerfc) is below the smallest normal
# double past 26.54326 (its log then keeps fewer digits: 1.2e-8 off at 26.9, 0.03 at 27.2, mpmath) and 0 past 27.22602.
ERFC_SUBNORMAL_FROM = 26.54326
ERFC_ZERO_FROM = 27.22602
# Gauss–Hermite points of LogNormalNegativeBinomial's log_prob (its num_quad_points default).
QUAD_POINTS = 8
# A moment of the 8-point rule's law within this of the exact law's is no defect (a few roundings of the sums).
MOMENT_AGREEMENT = 1e-9

_SAL = "pyro.distributions.asymmetriclaplace:SoftAsymmetricLaplace"
_LNNB = "pyro.distributions.log_normal_negative_binomial:LogNormalNegativeBinomial"

# The classes the audit does not run, and why (a pair: against that theorem only).
LISTED: dict[str | tuple[str, str], str] = {
    "GaussianScaleMixture": "multivariate (a scale mixture of Gaussians in D dimensions); its constructor takes no validate_args",
    "MixtureOfDiagNormals": "multivariate (a mixture of diagonal Gaussians in D dimensions); its constructor takes no validate_args",
    "MixtureOfDiagNormalsSharedCovariance": "multivariate (a mixture of diagonal Gaussians in D dimensions); its constructor takes no validate_args",
    "OneOneMatching": "a law of perfect matchings of a bipartite graph (its event is a matching); its constructor takes no validate_args and refuses batches",
    "OneTwoMatching": "a law of matchings of a bipartite graph (its event is a matching); its constructor takes no validate_args and refuses batches",
    "VonMises3D": "a law on the unit sphere of R^3: its concentration is a 3-vector, not a scalar of the bank",
    "CorrLCholeskyTransform": (
        "maps vectors of length n(n−1)/2 only, while its domain declares real vectors of any length: the contract draws "
        "widths 1 to 3, and width 2 is no such length (its _call raises)"
    ),
    ("Categorical", "moments-match-log-prob"): (
        "NaN mean and variance by design (torch's own properties, unchanged: its values are labels of unordered categories), "
        "as torch's reference run lists them; Pyro's Categorical overrides log_prob only"
    ),
}


# --- SoftAsymmetricLaplace: its log-erfc underflows --------------------------------------------


def _soft_asymmetric_laplace(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray]:
    """(asymmetry, softness) of the example: arg_constraints loc (real), scale, asymmetry, softness (positive)."""
    positive = draw.of("positive")
    return positive[1], positive[2]


def soft_asymmetric_laplace_strikes(draw: ParameterDraw) -> np.ndarray:
    """Per element, whether some x has both erfc arguments of log_prob past ERFC_SUBNORMAL_FROM.

    In units of scale, the arguments are z₁ = (S² + Lx)/(L S √2) (rising in x) and z₂ = (S² − Rx)/(R S √2)
    (falling), L the asymmetry, R = 1/L, S the softness: both pass T on an interval of x exactly when
    S (L + R) > 2√2 T.
    """
    asymmetry, softness = _soft_asymmetric_laplace(draw)
    return softness * (asymmetry + 1 / asymmetry) > 2 * math.sqrt(2) * ERFC_SUBNORMAL_FROM


def _whole_mass(draw: ParameterDraw) -> np.ndarray:
    # The density is 0 or a subnormal's log where it strikes, anywhere the law's bulk lies: the mass anywhere in [0, 1].
    return np.where(soft_asymmetric_laplace_strikes(draw), 1.0, 0.0)


# --- LogNormalNegativeBinomial: moments of the exact law, pmf of an 8-point rule ---------------------


def _lnnb(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(total_count, logits, multiplicative_noise_scale): arg_constraints nonnegative, real, positive."""
    return draw.of("nonnegative")[0], draw.of("real")[0], draw.of("positive")[0]


def _exact_moments(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray]:
    """Pyro's mean ν e^{ℓ + σ²/2} and variance m + m²(e^{σ²}(1 + 1/ν) − 1): the exact mixture's (its docstring)."""
    nu, logit, sigma = _lnnb(draw)
    mean = np.exp(logit + np.log(nu) + sigma**2 / 2)
    return mean, mean + (np.exp(sigma**2) * (1 + 1 / nu) - 1) * mean**2


def lnnb_moments_of_its_pmf(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray]:
    """The mean and variance of the law log_prob sums to: negative binomials NB(ν, ℓ + σ z_i) mixed with the weights w_i
    of the 8-point Gauss–Hermite rule for N(0, 1); NB(ν, ℓ)'s mean ν e^ℓ and variance ν e^ℓ (1 + e^ℓ) (torch's)."""
    nu, logit, sigma = _lnnb(draw)
    nodes, weights = np.polynomial.hermite.hermgauss(QUAD_POINTS)
    z, w = nodes * math.sqrt(2), weights / math.sqrt(math.pi)
    means = nu[:, None] * np.exp(logit[:, None] + sigma[:, None] * z)
    variances = means * (1 + np.exp(logit[:, None] + sigma[:, None] * z))
    mean = means @ w
    return mean, variances @ w + (means**2) @ w - mean**2


def _lnnb_offset(asked: Asked) -> np.ndarray:
    """Pyro's value minus the pmf's law's, for the quantity asked (entropy and mode: Pyro implements neither)."""
    exact, of_pmf = _exact_moments(asked.draw), lnnb_moments_of_its_pmf(asked.draw)
    index = {"mean": 0, "variance": 1}.get(asked.quantity)
    return exact[index] - of_pmf[index] if index is not None else np.zeros(asked.batch)


def _lnnb_rounding(asked: Asked) -> np.ndarray:
    # The two closed forms and the rule's sums of 8 terms, each within a few u of their terms' sizes: 64u of the moment.
    exact = _exact_moments(asked.draw)
    return 64 * U * np.abs(exact[1] if asked.quantity == "variance" else exact[0])


def _lnnb_strikes(draw: ParameterDraw) -> bool:
    exact, of_pmf = _exact_moments(draw), lnnb_moments_of_its_pmf(draw)
    return bool(any(np.any(np.abs(e - p) > MOMENT_AGREEMENT * np.abs(e)) for e, p in zip(exact, of_pmf)))


# --- SkewLogistic: its cdf σ(z)^a underflows ----------------------------------------------------------


def skew_logistic_cdf_underflows(case: CdfCase) -> np.ndarray:
    """Per level and element, whether σ(z) at the law's quantile there is below e^{-700} (near float64's smallest
    normal): F = σ(z)^a, so log σ(z) = log F / a; Pyro's cdf z.sigmoid().pow(a) then loses σ(z) (0 past e^{-745})
    and its icdf value.pow(1/a).logit() the probability (parameters: loc real, scale and asymmetry positive)."""
    asymmetry = case.draw.of("positive")[1]
    return np.log(np.asarray(case.levels))[:, None] / asymmetry[None, :] < -700.0


def _skew_logistic_allowance(at: Any) -> np.ndarray:
    # Where it strikes the cdf may be 0 for F and the round trip −∞: nothing smaller than the probability itself.
    return np.broadcast_to(np.where(skew_logistic_cdf_underflows(at.case), np.asarray(at.case.levels)[:, None], 0.0), at.x.shape)


# --- SkewLogistic: its sampler's σ(z) = u^{1/a} underflows -----------------------------------------------

# u^{1/a} (a double) rounds to 0 below 2^-1075 and is subnormal below 2^-1022: P(u^{1/a} < 2^-k) = 2^{-k a}.
POW_ZERO_EXPONENT, POW_SUBNORMAL_EXPONENT = 1075, 1022


def skew_logistic_sampler_masses(case: SamplerCase) -> tuple[np.ndarray, np.ndarray]:
    """Per element, the mass rsample() draws as −∞ (u^{1/a} rounded to 0: 2^{−1075 a}) and the mass drawn through a
    zero or subnormal σ(z) (2^{−1022 a}), a the asymmetry (parameters: loc real, scale and asymmetry positive)."""
    asymmetry = case.draw.of("positive")[1]
    return 2.0 ** (-POW_ZERO_EXPONENT * asymmetry), 2.0 ** (-POW_SUBNORMAL_EXPONENT * asymmetry)


def _skew_logistic_cdf(case: SamplerCase, x: np.ndarray) -> np.ndarray:
    # F = σ(z)^a = exp(−a log(1 + e^{−z})), in logarithms: no underflow before F itself does.
    loc, (scale, asymmetry) = case.draw.of("real")[0], case.draw.of("positive")[:2]
    return np.exp(-asymmetry * np.logaddexp(0.0, -(x - loc) / scale))


def _skew_logistic_sampler_offset(at: Any) -> np.ndarray:
    """The law drawn minus F: below the −∞ draws' mass F₀ the drawn law's F is F₀ (every −∞ draw lies below x)."""
    zero, _ = skew_logistic_sampler_masses(at.case)
    return np.maximum(zero - _skew_logistic_cdf(at.case, at.x), 0.0)


def _skew_logistic_sampler_allowance(at: Any) -> np.ndarray:
    # Where F lies between the two masses a draw through a subnormal σ(z) may fall anywhere below the band's top; 64u beside.
    zero, subnormal = skew_logistic_sampler_masses(at.case)
    value = _skew_logistic_cdf(at.case, at.x)
    return np.where((value >= zero) & (value <= subnormal), subnormal - zero, 0.0) + 64 * U


# --- transforms -------------------------------------------------------------------------------------


def _inputs(draw: TransformDraw) -> np.ndarray:
    """The input of a transform whose domain is the reals (of scalars or vectors): z itself (transform-laws' input_in)."""
    return np.asarray(draw.z, dtype=float)


def ordered_ties(draw: TransformDraw) -> bool:
    """Whether y₁ = x₁, yᵢ = yᵢ₋₁ + e^{xᵢ} rounds two consecutive entries to one float (an increment under half an ulp)."""
    x = _inputs(draw)
    y = np.concatenate([x[:, :1], x[:, :1] + np.cumsum(np.exp(x[:, 1:]), axis=1)], axis=1)
    return bool(np.any(np.diff(y, axis=1) <= 0))


def _transform_example(z: list[list[float]]) -> TransformDraw:
    return draw_of(TransformCase("Exp", np.array([[0.3]])), np.array(z))


# --- inherited: torch's recorded defects, in a class Pyro re-declares --------------------------------


def _relabelled(example: Any, family: str) -> Any:
    """The example with torch's family label ``family``: torch's predicates then read the bank as torch's class does."""
    if isinstance(example, CdfCase):
        return CdfCase(dataclasses.replace(example.draw, family=family), example.levels)
    return dataclasses.replace(example, family=family) if isinstance(example, ParameterDraw) else example


def _inherited(torch_id: str, family: str, implementation: str, why: str, example: Any) -> Finding:
    """A Pyro class that computes with torch's family's method at fault (``why``): torch's finding, applied to it."""
    torch_finding = next(f for f in (*MASS_FINDINGS, *MOMENT_FINDINGS, *CDF_FINDINGS) if f.id == torch_id)
    name = implementation.rpartition(":")[2]
    return Finding(
        id=f"pyro-{name.lower()}-inherits-{torch_id}",
        theorem_id=torch_finding.theorem_id,
        library=f"pyro.distributions.{name} (pyro-ppl 1.9.1 and 1.9.2), torch's {family} inherited",
        summary=f"{why}: torch's finding {torch_id}, in a class Pyro re-declares (so the audit checks it). {torch_finding.summary}",
        applies=lambda found: isinstance(found, (ParameterDraw, CdfCase)) and torch_finding.applies(_relabelled(found, family)),
        example=example,
        error_model=torch_finding.error_model,
        implementation=implementation,
    )


INHERITED: tuple[Finding, ...] = (
    _inherited("torch-geometric-declares-probs-zero", "Geometric", "pyro.distributions.torch:Geometric",
               "its constructor and arg_constraints are torch's (Pyro overrides log_prob)", one_element_draw("Normal", unit_interval=(0.0,))),
    _inherited("torch-geometric-mean-cancels-near-one", "Geometric", "pyro.distributions.torch:Geometric",
               "its mean and variance are torch's", one_element_draw("Normal", unit_interval=(0.9999,))),
    _inherited("torch-bernoulli-binomial-log-prob-clamps-probs", "Binomial", "pyro.distributions.torch:Binomial",
               "its log_prob (Pyro's own) takes torch's logits of probs clamped to [eps, 1 − eps] as torch's does",
               one_element_draw("Normal", unit_interval=(0.0,), nonnegative_integer=(4.0,))),
    _inherited("torch-cdfs-absolute-below-the-median", "LogNormal", "pyro.distributions.torch:LogNormal",
               "its cdf and icdf are torch's (½(1 + erf) through exp; Pyro re-declares __init__ and expand)",
               CdfCase(one_element_draw("Normal", real=(0.3,), positive=(1.5,)), (0.5, 0.5, 1e-07))),
    _inherited("torch-cdfs-absolute-below-the-median", "Normal", "pyro.distributions.nanmasked:NanMaskedNormal",
               "its cdf and icdf are torch's Normal's (Pyro re-declares log_prob)",
               CdfCase(one_element_draw("Normal", real=(0.3,), positive=(1.5,)), (0.5, 0.5, 1e-09))),
)

# --- ZeroInflatedNegativeBinomial: validates a probability it derives ------------------------------

# torch's sigmoid rounds to 1 from here (2^-53 below 1 needs e^{−ℓ} ≥ 2^-53 · (1 + e^{−ℓ})).
SIGMOID_ONE_FROM = 36.7369


def _zinb_logits_round_to_one(draw: ParameterDraw) -> bool:
    """Given logits (real[0], after total_count), whether one reaches SIGMOID_ONE_FROM."""
    return draw.logits and bool(np.any(draw.of("real")[0] >= SIGMOID_ONE_FROM))


def _bank(example: Any) -> ParameterDraw | None:
    """The bank of parameter values of an example of the distribution theorems (a SamplerCase holds one), else None."""
    found = example.draw if isinstance(example, SamplerCase) else example
    return found if isinstance(found, ParameterDraw) else None


def _example_of(theorem_id: str, draw: ParameterDraw) -> ParameterDraw | SamplerCase:
    # The sampler theorem's example is the bank and the seed of torch's generator (0: any seed shows these defects).
    return SamplerCase(draw, 0) if theorem_id == "sampler-matches-log-prob" else draw


def _zinb_refusal(theorem_id: str) -> Finding:
    return Finding(
        id=f"pyro-zero-inflated-negative-binomial-refuses-its-logits-{theorem_id.split('-')[0]}",
        theorem_id=theorem_id,
        library="pyro.distributions.ZeroInflatedNegativeBinomial (pyro-ppl 1.9.1 and 1.9.2), given logits",
        summary=(
            "with validate_args its constructor checks every arg_constraints entry through its properties, the probs it derives "
            "(σ(logits)) included, which rounds to 1 from logits 36.7369 and fails half_open_interval(0, 1): it refuses the logits "
            "its own arg_constraints admit (real), ZeroInflatedNegativeBinomial(2.5, logits=37, gate_logits=0.5) raises ValueError; "
            "torch's NegativeBinomial(2.5, logits=37) skips the parameter it was not given (σ(37) = 1 − 8.5e-17, mpmath)"
        ),
        applies=lambda example: _bank(example) is not None and _zinb_logits_round_to_one(_bank(example)),
        example=_example_of(theorem_id, one_element_draw("Normal", logits=True, nonnegative=(2.5,), real=(37.0, 0.5))),
        raises="ValueError",
        error_model=ErrorModel("raises ValueError ('Expected parameter probs') for the whole batch where a logit reaches 36.7369", raises="Expected parameter probs"),
        implementation="pyro.distributions.zero_inflated:ZeroInflatedNegativeBinomial",
    )


FINDINGS: tuple[Finding, ...] = (
    _zinb_refusal("log-prob-normalises"),
    _zinb_refusal("moments-match-log-prob"),
    _zinb_refusal("sampler-matches-log-prob"),
    Finding(
        id="pyro-soft-asymmetric-laplace-log-erfc-underflows",
        theorem_id="log-prob-normalises",
        library="pyro.distributions.SoftAsymmetricLaplace (pyro-ppl 1.9.1 and 1.9.2)",
        summary=(
            "log_prob sums two terms e^{a} erfc(z) in log space with _logerfc, which falls back to erfc(z).log() (torch has no "
            "logerfc): erfc is subnormal past z = 26.54 and 0 past 27.23, so where both arguments pass them log_prob is −∞ or "
            "digits short while the density is finite (S(L + 1/L) > 2√2·26.54, S the softness, L the asymmetry): "
            "SoftAsymmetricLaplace(0.3, 1.5, 1.5, softness 100).log_prob(0.3) is −inf, mpmath −5.92974317923552, and its mass is "
            "3.46e-302 for 1"
        ),
        applies=lambda draw: isinstance(draw, ParameterDraw) and bool(np.any(soft_asymmetric_laplace_strikes(draw))),
        example=one_element_draw("Normal", real=(0.3,), positive=(1.5, 1.5, 100.0)),
        error_model=ErrorModel("log_prob −∞ or from subnormal erfc values where both arguments pass 26.54: a mass anywhere in [0, 1]", allowance=_whole_mass),
        implementation=_SAL,
    ),
    Finding(
        id="pyro-lognormal-negative-binomial-moments-of-another-law",
        theorem_id="moments-match-log-prob",
        library="pyro.distributions.LogNormalNegativeBinomial (pyro-ppl 1.9.1 and 1.9.2)",
        summary=(
            "mean and variance are the exact mixture's (ν e^{ℓ+σ²/2}, m + m²(e^{σ²}(1 + 1/ν) − 1)), but log_prob is the pmf of "
            "another law: the mixture over the logit noise by an 8-point Gauss–Hermite rule (num_quad_points), whose moments "
            "differ: LogNormalNegativeBinomial(2.5, 0.3, 1.5).variance is 1337.5376969774823, the variance its log_prob sums "
            "to is 1326.06560846 (mpmath, 50 digits: the exact mixture's 1337.53769697748, the 8-point rule's 1326.06560846354), "
            "0.86 % apart; the gap grows with σ (e^{σz} is no polynomial of degree below 16)"
        ),
        applies=lambda draw: isinstance(draw, ParameterDraw) and _lnnb_strikes(draw),
        example=one_element_draw("Normal", real=(0.3,), positive=(1.5,), nonnegative=(2.5,)),
        error_model=ErrorModel("the exact mixture's mean and variance for the 8-point rule's: the difference, computed", offset=_lnnb_offset, allowance=_lnnb_rounding),
        implementation=_LNNB,
    ),
    Finding(
        id="pyro-skew-logistic-cdf-underflows",
        theorem_id="cdf-matches-log-prob",
        library="pyro.distributions.SkewLogistic (pyro-ppl 1.9.1 and 1.9.2)",
        summary=(
            "cdf is z.sigmoid().pow(asymmetry) and icdf value.pow(1/asymmetry).logit(): for a small asymmetry a the law's lower "
            "quantiles have σ(z) = F^{1/a} below float64's range, so cdf returns 0 for F and icdf −∞ (exp(a·logsigmoid(z)) and "
            "logit(exp(log(F)/a)) keep them): SkewLogistic(0.3, 1.5, asymmetry 0.001) at its 5 % quantile x = −4493.11 "
            "has cdf 0, mpmath 0.05"
        ),
        applies=lambda case: isinstance(case, CdfCase) and bool(np.any(skew_logistic_cdf_underflows(case))),
        example=CdfCase(one_element_draw("Normal", real=(0.3,), positive=(1.5, 0.001)), (0.05, 0.5, 0.95)),
        error_model=ErrorModel("cdf 0 for F (and icdf −∞) at the levels F with log F / asymmetry < −700", allowance=_skew_logistic_allowance),
        implementation="pyro.distributions.logistic:SkewLogistic",
    ),
    Finding(
        id="pyro-skew-logistic-sampler-draws-minus-infinity",
        theorem_id="sampler-matches-log-prob",
        library="pyro.distributions.SkewLogistic rsample and sample (pyro-ppl 1.9.1 and 1.9.2)",
        summary=(
            "rsample is icdf(u) = loc + scale·logit(u^{1/a}), u uniform: for a small asymmetry a, u^{1/a} rounds to 0 (logit −∞) for "
            "every u below 2^{−1075 a}, so that share of the draws is −∞ where the law's draws are finite (the cdf finding's "
            "underflow, in the sampler; u^{1/a} as exp(log(u)/a), logit by log, keeps them): SkewLogistic(0.3, 1.5, asymmetry 0.001) "
            "draws −∞ with probability 2^{−1.075} = 0.4747 (47.4 % of 200,000 draws), and 47 % of its draws lie below x = −3583.92, "
            "where F is 0.0916771 (mpmath)"
        ),
        applies=lambda case: isinstance(case, SamplerCase) and bool(np.any(skew_logistic_sampler_masses(case)[1] >= U)),
        example=SamplerCase(one_element_draw("Normal", real=(0.3,), positive=(1.5, 0.001)), 0),
        error_model=ErrorModel(
            "draws −∞ with probability F₀ = 2^{−1075 a}: the drawn law's F is max(F, F₀), within 2^{−1022 a} − F₀ where F lies between them",
            offset=_skew_logistic_sampler_offset, allowance=_skew_logistic_sampler_allowance,
        ),
        implementation="pyro.distributions.logistic:SkewLogistic",
    ),
    Finding(
        id="pyro-elu-transform-codomain-declared-positive",
        theorem_id="transform-laws",
        library="pyro.distributions.transforms.ELUTransform (pyro-ppl 1.9.1 and 1.9.2)",
        summary=(
            "codomain is constraints.positive, but ELU maps the reals onto (−1, ∞): ELUTransform()(−1) = e^{−1} − 1 = −0.632…, "
            "and ELUTransform()(0) = 0, both outside (0, ∞) (exact); a TransformedDistribution through it declares the wrong "
            "support and its validate_args refuses the law's own samples; the codomain should be greater_than(−1)"
        ),
        applies=lambda draw: isinstance(draw, TransformDraw) and bool(np.any(_inputs(draw) <= 0)),
        example=_transform_example([[-1.0], [0.5]]),
        error_model=ErrorModel("outputs in (−1, 0] outside the declared codomain wherever x ≤ 0; every other law holds"),
        implementation="pyro.distributions.transforms.basic:ELUTransform",
    ),
    Finding(
        id="pyro-softplus-transform-linear-past-twenty",
        theorem_id="transform-laws",
        library="pyro.distributions.transforms.SoftplusTransform (pyro-ppl 1.9.1 and 1.9.2)",
        summary=(
            "its forward is torch.nn.functional.softplus at its default threshold 20, which returns x itself past x = 20, where "
            "softplus is x + log1p(e^{−x}) (an absolute error below e^{−20} = 2.1e-9), while its inverse y + log(−expm1(−y)) is "
            "exact: f(g(21)) = 20.999999999241744 for 21 (mpmath: g(21) = 20.99999999924174…, f of it 21.000000000000000); "
            "the same defect as log-det-jacobian's torch-softplus-threshold-in-log-det, in the forward"
        ),
        applies=lambda draw: isinstance(draw, TransformDraw) and bool(np.any(_inputs(draw) > 20 - 1e-6)),
        example=_transform_example([[0.5], [21.0]]),
        error_model=ErrorModel("f(x) = x, e^{−x} below softplus(x), where x > 20; the round trips off by as much"),
        implementation="pyro.distributions.transforms.softplus:SoftplusTransform",
    ),
    *INHERITED,
)


# --- the oracles' recorded limits: where a Pyro class breaks an oracle's hypothesis and is right ---------


def _window_underflows(draw: ParameterDraw, zero_inflated: str) -> np.ndarray:
    """Whether the count law's pmf at k = 62, 63 (the end of the sums' first window of 64) is below e^{-745}, where it
    underflows to 0: the window then ends there, its tail read as 0, before the law's bulk (Poisson: rate positive[0];
    negative binomial: total_count nonnegative[0], logits real[0] or probs half_open_unit_interval[0])."""
    k = np.array([[62.0], [63.0]])
    if zero_inflated == "Poisson":
        rate = draw.of("positive")[0][None, :]
        log_p = -rate + k * np.log(rate) - gammaln(k + 1)
    else:
        total = draw.of("nonnegative")[0][None, :]
        logit = draw.of("real")[0] if draw.logits else np.log(draw.of("half_open_unit_interval")[0]) - np.log1p(-draw.of("half_open_unit_interval")[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = gammaln(k + total) - gammaln(total) - gammaln(k + 1) - total * np.logaddexp(0, logit[None, :]) - k * np.logaddexp(0, -logit[None, :])
    return np.all(np.nan_to_num(log_p, nan=-np.inf) < -745.0, axis=0)


def _window_limit(name: str, law: str, theorem_id: str = "moments-match-log-prob") -> Finding:
    sampler = theorem_id == "sampler-matches-log-prob"
    return Finding(
        id=f"oracle-window-ends-before-{name.lower()}-bulk" + ("-sampler" if sampler else ""),
        theorem_id=theorem_id,
        library="theorems' sums over the integers (log_prob_normalises.oracle.window_by_doubling)",
        summary=(
            f"the sum's window ends where its last two terms are 0, reading the tail past them as 0 (its hypothesis: past the window "
            f"the ratio of consecutive terms is monotone); {name}'s pmf is the gate's mass at 0, then terms that underflow to 0, then "
            f"the {law}'s bulk far past 64: ZeroInflatedPoisson(rate 53431.5, gate ½) sums to ½ with mean 0 where its mean is "
            "26715.75 exactly (mpmath: (1 − ½)·53431.5)" + ("; its F is 1 from 0 on, while half the draws lie in that bulk" if sampler else "")
            + "; Pyro is right"
        ),
        applies=lambda example: _bank(example) is not None and bool(np.any(_window_underflows(_bank(example), law))),
        example=_example_of(theorem_id, one_element_draw("Normal", positive=(53431.5,), unit_interval=(0.5,))
                            if law == "Poisson" else one_element_draw("Normal", logits=True, nonnegative=(1000.0,), real=(2.0, 0.0))),
        implementation=f"pyro.distributions.zero_inflated:{name}",
    )


ORACLE_LIMITS: tuple[Finding, ...] = (
    _window_limit("ZeroInflatedPoisson", "Poisson"),
    _window_limit("ZeroInflatedNegativeBinomial", "NegativeBinomial"),
    _window_limit("ZeroInflatedPoisson", "Poisson", "sampler-matches-log-prob"),
    _window_limit("ZeroInflatedNegativeBinomial", "NegativeBinomial", "sampler-matches-log-prob"),
    Finding(
        id="oracle-autograd-at-a-kink",
        theorem_id="transform-laws",
        library="theorems' log|det J| by autograd (transform_laws.check)",
        summary=(
            "LeakyReLU is not differentiable at 0: autograd returns the left slope 0.01 there (log 0.01 = −4.605), Pyro's "
            "log_abs_det_jacobian the right one (0); neither is wrong at a point where J does not exist (the theorem's hypothesis "
            "is a differentiable map); everywhere else they agree"
        ),
        applies=lambda draw: isinstance(draw, TransformDraw) and bool(np.any(_inputs(draw) == 0)),
        example=_transform_example([[0.0], [0.5]]),
        implementation="pyro.distributions.transforms.basic:LeakyReLUTransform",
    ),
    Finding(
        id="oracle-exact-codomain-of-a-rounded-order",
        theorem_id="transform-laws",
        library="theorems' exact codomain check (transform_laws.check)",
        summary=(
            "OrderedTransform's yᵢ = yᵢ₋₁ + e^{xᵢ} is strictly increasing, but an increment under half an ulp of the running sum "
            "rounds away (x = [0, 14, −23]: e^{−23} = 1e-10 on 1202604.28, whose ulp is 2.3e-10), so no float64 output is in "
            "OrderedVector() there, however it is computed; the exact check of the codomain cannot allow for it"
        ),
        applies=lambda draw: isinstance(draw, TransformDraw) and ordered_ties(draw),
        example=_transform_example([[0.0, 14.0, -23.0]]),
        implementation="pyro.distributions.transforms.ordered:OrderedTransform",
    ),
)

# The classes the audit runs (at least one theorem applies), kept literal: a class Pyro adds, or one that becomes
# checkable, fails tests/audit/test_pyro_audit.py until it is added here or listed.
CHECKED = (
    "AffineBeta", "AsymmetricLaplace", "BetaBinomial", "Binomial", "Categorical", "GammaPoisson", "Geometric", "LogNormal",
    "LogNormalNegativeBinomial", "Logistic", "NanMaskedNormal", "Poisson", "SkewLogistic", "SoftAsymmetricLaplace", "SoftLaplace",
    "Uniform", "ZeroInflatedNegativeBinomial", "ZeroInflatedPoisson",
    "DiscreteCosineTransform", "ELUTransform", "HaarTransform", "LeakyReLUTransform", "OrderedTransform", "SoftplusTransform",
)

# The classes outside every audited theorem's contract, kept literal as CHECKED is: the audit says why for each, in the
# check's own words (multivariate, a constructor argument no arg_constraints constrains, not a bijection, …).
OUTSIDE = (
    "AVFMultivariateNormal", "CoalescentTimes", "CoalescentTimesWithRate", "Delta", "DirichletMultinomial", "DiscreteHMM", "Empirical",
    "ExpandedDistribution", "ExtendedBetaBinomial", "ExtendedBinomial", "FoldedDistribution", "GammaGaussianHMM", "GaussianHMM",
    "GaussianMRF", "GroupedNormalNormal", "ImproperUniform", "IndependentHMM", "LKJ", "LKJCorrCholesky", "LinearHMM", "MaskedDistribution",
    "MaskedMixture", "MultivariateStudentT", "NanMaskedMultivariateNormal", "OMTMultivariateNormal", "OrderedLogistic", "ProjectedNormal",
    "Rejector", "RelaxedBernoulliStraightThrough", "RelaxedOneHotCategoricalStraightThrough", "SineBivariateVonMises", "SineSkewed",
    "SpanningTree", "Stable", "StableWithLogProb", "TorchDistribution", "TruncatedPolyaGamma", "Unit", "ZeroInflatedDistribution",
    "AffineAutoregressive", "AffineCoupling", "BatchNorm", "BlockAutoregressive", "CholeskyTransform", "ComposeTransformModule",
    "CorrMatrixCholeskyTransform", "GeneralizedChannelPermute", "Householder", "LowerCholeskyAffine", "MatrixExponential",
    "NeuralAutoregressive", "Normalize", "Permute", "Planar", "Polynomial", "PositivePowerTransform", "Radial", "SimplexToOrderedTransform",
    "SoftplusLowerCholeskyTransform", "Spline", "SplineAutoregressive", "SplineCoupling", "Sylvester", "TransformModule",
)
