"""Defects of torch.distributions' log_prob found by ``log-prob-normalises``, each with the error model
the reference run holds torch to (see :mod:`theorems.finding`)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import distributions as D

from theorems.finding import ErrorModel, Finding
from theorems.log_prob_normalises.case import ParameterDraw, one_element_draw, parameters_for

__all__ = ["FINDINGS", "clamped_mass"]

EPS = float(torch.finfo(torch.float64).eps)  # torch's clamp_probs keeps λ within [eps, 1 − eps]
# |logit| beyond which σ(logit) lies outside [eps, 1 − eps]: log((1 − eps)/eps).
CLAMPED_LOGIT = math.log((1 - EPS) / EPS)
U = 2.0**-53
LOG_LARGEST = math.log(float(np.finfo(np.float64).max))  # log of float64's largest value, 709.78


def _logits(draw: ParameterDraw) -> np.ndarray | None:
    """The logits a continuous Bernoulli of ``draw`` is given, or None where it is given probabilities."""
    if draw.family != "ContinuousBernoulli" or not draw.logits:
        return None
    return parameters_for(D.ContinuousBernoulli, draw)["logits"].numpy()


def _in_clamped_range(draw: ParameterDraw) -> bool:
    logits = _logits(draw)
    return logits is not None and bool(np.any(np.abs(logits) > CLAMPED_LOGIT))


def _normaliser(logit_size: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """C(λ) = 2 atanh(1 − 2λ)/(1 − 2λ) for λ = σ(−|ℓ|) < ½, written as |ℓ|/(1 − 2λ) (log((1 − λ)/λ) = |ℓ|)."""
    return logit_size / (1 - 2 * lam)


def clamped_mass(draw: ParameterDraw) -> np.ndarray:
    """Per batch element, the mass of torch's continuous Bernoulli density given by logits: C(λ_c)/C(λ),
    λ_c the probability clamped to [eps, 1 − eps] (torch's normaliser) and λ the logits' own (its
    exponent); 1 where no clamp applies."""
    logits = _logits(draw)
    if logits is None:
        return np.ones(draw.batch)
    size = np.abs(logits)
    lam = np.exp(-size) / (1 + np.exp(-size))  # the smaller of λ and 1 − λ
    clamped = size > CLAMPED_LOGIT
    true_normaliser = _normaliser(size, lam)
    clamped_normaliser = _normaliser(np.full(size.shape, CLAMPED_LOGIT), np.full(size.shape, EPS))
    return np.where(clamped, clamped_normaliser / true_normaliser, 1.0)


def _offset(draw: ParameterDraw) -> np.ndarray:
    return clamped_mass(draw) - 1.0


def _offset_rounding(draw: ParameterDraw) -> np.ndarray:
    # A quotient of two quotients of terms each within a few roundings, and torch's own log-normaliser
    # (log1p and log, then exp in the mass): 16 u on the mass's size.
    return 16 * U * clamped_mass(draw)


def _weibull(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray] | None:
    if draw.family != "Weibull":
        return None
    parameters = parameters_for(D.Weibull, draw)
    return parameters["scale"].numpy(), parameters["concentration"].numpy()


def _power_overflows(draw: ParameterDraw, x: np.ndarray) -> np.ndarray:
    """Where (x/scale)^concentration overflows float64 (within a part in 1e12 of the threshold, where
    its rounding decides): torch's Weibull inverts its transforms there through inf/inf."""
    scale, concentration = _weibull(draw)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = concentration * (np.log(np.asarray(x, dtype=float)) - np.log(scale))
    return power >= LOG_LARGEST * (1 - 1e-12)


def _weibull_overflows_somewhere(draw: ParameterDraw) -> bool:
    """A Weibull whose support reaches a point where its power overflows: k·log(max/scale) > log max."""
    found = _weibull(draw)
    if found is None:
        return False
    largest = np.full(found[0].shape, float(np.finfo(np.float64).max))
    return bool(np.any(_power_overflows(draw, largest)))


def _geometric_given_zero(draw: ParameterDraw) -> bool:
    """A Geometric given probabilities, one of them exactly 0 (which ``unit_interval`` admits)."""
    if draw.family != "Geometric" or draw.logits:
        return False
    return bool(np.any(parameters_for(D.Geometric, draw)["probs"].numpy() == 0.0))


def _kumaraswamy(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray] | None:
    if draw.family != "Kumaraswamy":
        return None
    parameters = parameters_for(D.Kumaraswamy, draw)
    return parameters["concentration1"].numpy(), parameters["concentration0"].numpy()


def _kumaraswamy_reaches_one(draw: ParameterDraw) -> bool:
    """A Kumaraswamy with a = concentration1 ≤ ½: x^a rounds to 1 at the float below 1, where log_prob is NaN."""
    found = _kumaraswamy(draw)
    return found is not None and bool(np.any(found[0] <= 0.5))


def _power_rounds_to_one(draw: ParameterDraw, x: np.ndarray) -> np.ndarray:
    """Where x^a is within u of 1 (a(1 − x) ≤ u; 1 − x is exact there): a superset of where it rounds to 1 and torch's
    log_prob is NaN (a NaN outside it still fails, a finite value inside it is the law's own)."""
    a, _ = _kumaraswamy(draw)
    x = np.asarray(x, dtype=float)
    return (x < 1) & (a * (1 - x) <= U)


def _mass_near_one(draw: ParameterDraw) -> np.ndarray:
    # The law's mass on a(1 − x) ≤ u: 1 − F(x) = (1 − x^a)^b with 1 − x^a ≤ u there (to first order), so at most u^b; doubled.
    a, b = _kumaraswamy(draw)
    return np.where(a <= 0.5, 2 * U**b, 0.0)


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="torch-geometric-declares-probs-zero",
        theorem_id="log-prob-normalises",
        library="torch.distributions.Geometric (torch 2.14.1), given probs",
        summary=(
            "arg_constraints declares probs in unit_interval, [0, 1], but the constructor refuses probs = 0 "
            "('to be positive'): the refusal is right (a geometric law with p = 0 puts no mass on any k, and no "
            "pmf normalises), the declared constraint is too wide, so code that draws parameters from "
            "arg_constraints (as this suite does) builds a law torch will not build; it should be half_open_interval(0, 1]"
        ),
        applies=_geometric_given_zero,
        example=one_element_draw("Geometric", unit_interval=(0.0,)),
        raises="ValueError",
        error_model=ErrorModel("raises ValueError ('to be positive') for the whole batch where a probs is 0", raises="to be positive"),
    ),
    Finding(
        id="torch-continuous-bernoulli-clamped-normaliser",
        theorem_id="log-prob-normalises",
        library="torch.distributions.ContinuousBernoulli (torch 2.14.1), given logits",
        summary=(
            "log_prob's exponent uses the logits as given (binary_cross_entropy_with_logits), but its normaliser "
            "(_cont_bern_log_norm) uses self.probs, which clamp_probs keeps within [eps, 1 − eps]: for |logits| > "
            "log((1 − eps)/eps) ≈ 36.04 the density is off by the constant C(eps)/C(σ(ℓ)) and integrates to that "
            "instead of 1 (0.3604 at logits −100, confirmed by mpmath to 1e-10: log_prob(0) is 3.5847 where the "
            "true log density is 4.6052)"
        ),
        applies=_in_clamped_range,
        example=one_element_draw("ContinuousBernoulli", logits=True, real=(-100.0,)),
        error_model=ErrorModel(
            "the mass C(eps)/C(σ(ℓ)) instead of 1 where |ℓ| > 36.04 (torch's normaliser of the clamped probability)",
            offset=_offset,
            allowance=_offset_rounding,
        ),
    ),
    Finding(
        id="torch-weibull-nan-where-the-power-overflows",
        theorem_id="log-prob-normalises",
        library="torch.distributions.Weibull (torch 2.14.1)",
        summary=(
            "log_prob returns NaN, where the right value is −∞ (a log-density below −1.8e308), at every x where "
            "(x/scale)^concentration overflows float64: Weibull is Exponential(1) through PowerTransform(1/k) and "
            "AffineTransform(0, scale), and the power transform's log-determinant divides inf by inf there "
            "(Weibull(1, 4) at x = 1e78: NaN; at 1e77: −1e308)"
        ),
        applies=_weibull_overflows_somewhere,
        example=one_element_draw("Weibull", positive=(1.5, 4.0)),
        error_model=ErrorModel(
            "NaN for a log-density of −∞ exactly where (x/scale)^concentration overflows float64",
            nan_where=_power_overflows,
        ),
    ),
    Finding(
        id="torch-kumaraswamy-nan-where-the-power-rounds-to-one",
        theorem_id="log-prob-normalises",
        library="torch.distributions.Kumaraswamy (torch 2.14.1), concentration1 ≤ ½",
        summary=(
            "log_prob returns NaN at the floats just below 1 where x^a rounds to 1 (a ≤ ½: at 1 − u at least; a = 0.01: from "
            "1 − 5.5e-15), found by moments-match-log-prob's reference run: Kumaraswamy is Uniform(0, 1) through power and affine "
            "transforms, and the density a b x^{a−1}(1 − x^a)^{b−1} there is finite (Kumaraswamy(0.01, 1.5) at 1 − 9e-16: NaN, "
            "mpmath −23.83; Kumaraswamy(0.3, 1.5) at 1 − u: NaN, mpmath −19.77); the mass there is at most u^b"
        ),
        applies=_kumaraswamy_reaches_one,
        example=one_element_draw("Kumaraswamy", positive=(0.05, 1.5)),
        error_model=ErrorModel(
            "NaN where a(1 − x) ≤ u (x^a rounds to 1), read as a density of 0 there; the mass there, at most 2u^b, allowed",
            nan_where=_power_rounds_to_one,
            allowance=_mass_near_one,
        ),
    ),
)
