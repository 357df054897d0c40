"""Pyro (pyro-ppl 1.9.x) under the audited theorems: the classes listed with a reason, and Pyro's defects.

``theorems.audit(pyro.distributions, listed=LISTED, findings=FINDINGS)`` (and the same for
``pyro.distributions.transforms``: :data:`MODULES`) checks every other class; ``make audit-pyro`` writes the
table (reports/audit-pyro.json). Pyro is not imported here: the predicates read the examples' banks in the
order each class's ``arg_constraints`` declares its parameters (tests/audit/ holds them to it).

The findings live here, not in ``theorems/<theorem>/findings.py``: those are torch's, and the engine replays
every one of their examples on each implementation of its theorem, torch's reference runs included (which
tests/engine/test_layout_kept_behaviour.py pins); a Pyro finding is about one class of another library, and
the audit applies it to that class alone. One module for the library: its findings span three theorems and
share its listing. Each is confirmed against mpmath in tests/audit/test_pyro_findings.py.
"""

from __future__ import annotations

import math

import numpy as np

from theorems.cdf_matches_log_prob.case import CdfCase
from theorems.finding import ErrorModel, Finding
from theorems.log_prob_normalises.case import ParameterDraw, one_element_draw
from theorems.moments_match_log_prob.findings import Asked

__all__ = ["FINDINGS", "LISTED", "MODULES", "lnnb_moments_of_its_pmf", "soft_asymmetric_laplace_strikes"]

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


# --- torch's Normal cdf, inherited -------------------------------------------------------------------


def _below_the_median(case: CdfCase) -> bool:
    return min(case.levels) < 0.5


def _absolute_error_of_p(case: CdfCase) -> np.ndarray:
    # torch-cdfs-absolute-below-the-median's model: the probability within 4u absolutely below the median.
    return np.where(np.asarray(case.levels)[:, None] < 0.5, 4 * U, 0.0) * np.ones((1, case.batch))


def _inherited_cdf(name: str, implementation: str, example: CdfCase, worst: str) -> Finding:
    return Finding(
        id=f"pyro-{name.lower()}-cdf-absolute-below-the-median",
        theorem_id="cdf-matches-log-prob",
        library=f"pyro.distributions.{name} (pyro-ppl 1.9.1): torch's cdf and icdf, inherited",
        summary=(
            f"its cdf and icdf are torch's (½(1 + erf(z/√2)) and erfinv(2p − 1){', through exp' if name == 'LogNormal' else ''}), "
            "which keep the probability only to u absolutely below the median: torch's finding torch-cdfs-absolute-below-the-median, "
            f"in a class Pyro re-declares ({'its own __init__ and expand' if name == 'LogNormal' else 'its own log_prob'}), so the audit checks it. {worst}"
        ),
        applies=_below_the_median,
        example=example,
        error_model=ErrorModel("the probability within 4u absolutely (not 4u·F) below the median, in the cdf and in the probability the icdf inverts", allowance=_absolute_error_of_p),
        implementation=implementation,
    )


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="pyro-soft-asymmetric-laplace-log-erfc-underflows",
        theorem_id="log-prob-normalises",
        library="pyro.distributions.SoftAsymmetricLaplace (pyro-ppl 1.9.1)",
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
        library="pyro.distributions.LogNormalNegativeBinomial (pyro-ppl 1.9.1)",
        summary=(
            "mean and variance are the exact mixture's (ν e^{ℓ+σ²/2}, m + m²(e^{σ²}(1 + 1/ν) − 1)), but log_prob is the pmf of "
            "another law: the mixture over the logit noise by an 8-point Gauss–Hermite rule (num_quad_points), whose moments "
            "differ: LogNormalNegativeBinomial(2.5, 0.3, 1.5).variance is 1337.5376969774823, the variance its log_prob sums "
            "to is 1326.06560846 (mpmath, 50 digits: the exact mixture's 1337.53769697748, the 8-point rule's 1326.06560846353), "
            "0.86 % apart; the gap grows with σ (e^{σz} is no polynomial of degree below 16)"
        ),
        applies=lambda draw: isinstance(draw, ParameterDraw) and _lnnb_strikes(draw),
        example=one_element_draw("Normal", real=(0.3,), positive=(1.5,), nonnegative=(2.5,)),
        error_model=ErrorModel("the exact mixture's mean and variance for the 8-point rule's: the difference, computed", offset=_lnnb_offset, allowance=_lnnb_rounding),
        implementation=_LNNB,
    ),
    _inherited_cdf(
        "LogNormal", "pyro.distributions.torch:LogNormal",
        CdfCase(one_element_draw("Normal", real=(0.3,), positive=(1.5,)), (0.5, 0.5, 1e-07)),
        "LogNormal(0.3, 1.5) at its 1e-7 quantile x = 7.1608365446125587e-4: icdf(cdf(x)) = 7.1608365443845239e-4, 2.3e-14 off "
        "(3.2e-11 relatively; mpmath), within the 4u model",
    ),
    _inherited_cdf(
        "NanMaskedNormal", "pyro.distributions.nanmasked:NanMaskedNormal",
        CdfCase(one_element_draw("Normal", real=(0.3,), positive=(1.5,)), (0.5, 0.5, 1e-09)),
        "NanMaskedNormal(0.3, 1.5) at its 1e-9 quantile x = −9.0065275466633938: icdf(cdf(x)) = −9.0065275655839905, "
        "1.9e-8 off (mpmath), within the 4u model",
    ),
)
