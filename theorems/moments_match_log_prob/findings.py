"""Defects of torch.distributions' moments found by ``moments-match-log-prob``, each with the error model
the reference run holds torch to (see :mod:`theorems.finding`), each confirmed against mpmath at 50 digits
(tests/moments_match_log_prob/test_moments_findings.py).

A finding concerns some of the four quantities (:data:`QUANTITIES_OF`); its error model is asked about
one of them at a time, with an :class:`Asked` (the example and the quantity), so one record holds what
torch returns for each quantity the defect touches.
"""

from __future__ import annotations

import math
import numpy as np
from scipy.special import gammaln
from torch import distributions as D

from theorems.finding import ErrorModel, Finding
from theorems.log_prob_normalises.case import ParameterDraw, one_element_draw, parameters_for
from theorems.log_prob_normalises.findings import EPS
from theorems.moments_match_log_prob.asked import Asked
from theorems.moments_match_log_prob.continuous_bernoulli import cancellation, clamped, clamped_offset, clamped_rounding, near_half

__all__ = ["FINDINGS", "QUANTITIES_OF", "Asked"]

U = 2.0**-53
# Geometric's 1/p − 1 loses the absolute 2u/p; past a normal closed form's γ_64·(1 − p)/p once 1 − p < 2u/γ_64 ≈ 1/32.
NEAR_ONE = 1.0 / 32


def _values(cls: type, draw: ParameterDraw, name: str) -> np.ndarray | None:
    parameters = parameters_for(cls, draw)
    return parameters[name].numpy() if name in parameters else None


def _where(asked: Asked, quantity: str, where: np.ndarray, value: float) -> list[tuple[float, ...]]:
    """``(value,)`` at the elements ``where`` holds, for the quantity asked about; nothing elsewhere."""
    return [((value,) if asked.quantity == quantity and bool(w) else ()) for w in np.broadcast_to(where, (asked.batch,))]


# --- Cauchy: variance +∞ where its own StudentT(df=1) says NaN ------------------------------------------


def _cauchy(draw: ParameterDraw) -> bool:
    return draw.family == "Cauchy"


# --- FisherSnedecor: NaN where the moment is +∞ -----------------------------------------------------------


def _df2(draw: ParameterDraw) -> np.ndarray:
    return _values(D.FisherSnedecor, draw, "df2") if draw.family == "FisherSnedecor" else np.full(draw.batch, np.inf)


def _fisher_infinite(draw: ParameterDraw) -> bool:
    return bool(np.any(_df2(draw) <= 4))


def _fisher_returns(asked: Asked) -> list[tuple[float, ...]]:
    df2 = _df2(asked.draw)
    limit = 2.0 if asked.quantity == "mean" else 4.0
    return _where(asked, asked.quantity, df2 <= limit, math.nan) if asked.quantity in ("mean", "variance") else [()] * asked.batch


# --- Kumaraswamy: mode NaN where it exists; log_prob −∞ near 0 for a < 1 ----------------------------------


def _kumaraswamy(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) = (concentration1, concentration0), or NaNs for another family."""
    if draw.family != "Kumaraswamy":
        return np.full(draw.batch, np.nan), np.full(draw.batch, np.nan)
    return _values(D.Kumaraswamy, draw, "concentration1"), _values(D.Kumaraswamy, draw, "concentration0")


def _mode_exists(draw: ParameterDraw) -> np.ndarray:
    a, b = _kumaraswamy(draw)
    return (a >= 1) & (b >= 1) & ~((a == 1) & (b == 1))


def _log_prob_vanishes(draw: ParameterDraw) -> np.ndarray:
    a, _ = _kumaraswamy(draw)
    return a < 1


def _kumaraswamy_moment_logs(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """log E Xⁿ = log b + lgamma(1 + n/a) + lgamma(b) − lgamma(1 + n/a + b), and the size of its lgamma terms."""
    terms = (gammaln(1 + n / a), gammaln(b), gammaln(1 + n / a + b))
    return np.log(b) + terms[0] + terms[1] - terms[2], sum(np.abs(term) for term in terms)


def _kumaraswamy_cancels(draw: ParameterDraw) -> np.ndarray:
    """Where the variance is under 1/64 of E X² (its E X² − (E X)² loses six bits or more): 1 − e^{2 log m₁ − log m₂} < 1/64."""
    a, b = _kumaraswamy(draw)
    if not np.any(np.isfinite(a)):
        return np.zeros(draw.batch, bool)
    with np.errstate(invalid="ignore", over="ignore"):
        (log_m1, _), (log_m2, _) = _kumaraswamy_moment_logs(a, b, 1), _kumaraswamy_moment_logs(a, b, 2)
        return -np.expm1(2 * log_m1 - log_m2) < 1 / 64


def _kumaraswamy_variance_rounding(asked: Asked) -> np.ndarray:
    """torch's E Xⁿ = b·exp(lgamma(1 + n/a) + lgamma(b) − lgamma(1 + n/a + b)) is within mₙ·u·(2Sₙ + 3) of itself (Sₙ the
    lgamma terms' size, each within an ulp, then exp and the product); E X² − (E X)² adds err(m₂) + 2m₁ err(m₁) and 2u(m₂ + m₁²)."""
    where = _kumaraswamy_cancels(asked.draw) if asked.quantity == "variance" else np.zeros(asked.batch, bool)
    a, b = _kumaraswamy(asked.draw)
    a, b = np.where(where, a, 1.0), np.where(where, b, 1.0)
    (log_m1, size1), (log_m2, size2) = _kumaraswamy_moment_logs(a, b, 1), _kumaraswamy_moment_logs(a, b, 2)
    m1, m2 = np.exp(log_m1), np.exp(log_m2)
    bound = m2 * U * (2 * size2 + 3) + 2 * m1 * m1 * U * (2 * size1 + 3) + 2 * U * (m2 + m1**2)
    return np.where(where, bound, 0.0)


# --- Weibull: a mode for concentration ½, ¼, … where the density is unbounded -----------------------------


def _weibull(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray]:
    if draw.family != "Weibull":
        return np.full(draw.batch, np.nan), np.full(draw.batch, np.nan)
    return _values(D.Weibull, draw, "scale"), _values(D.Weibull, draw, "concentration")


def _weibull_power_of_a_negative(draw: ParameterDraw) -> np.ndarray:
    """Concentration k < 1 with 1/k an integer: ((k − 1)/k)^{1/k} is then a real number, not NaN."""
    _, k = _weibull(draw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (k < 1) & (1 / k == np.round(1 / k))


def _weibull_mode(asked: Asked) -> list[tuple[float, ...]]:
    scale, k = _weibull(asked.draw)
    where = _weibull_power_of_a_negative(asked.draw)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = scale * np.power((k - 1) / k, 1 / k)
    return [((float(v),) if asked.quantity == "mode" and w else ()) for v, w in zip(value, where)]


def _weibull_cancels(draw: ParameterDraw) -> np.ndarray:
    """Where the variance is under 1/64 of E X² (Γ(1 + 2/k) − Γ(1 + 1/k)² loses six bits or more: k above about 10)."""
    _, k = _weibull(draw)
    with np.errstate(invalid="ignore"):
        return -np.expm1(2 * gammaln(1 + 1 / k) - gammaln(1 + 2 / k)) < 1 / 64


def _weibull_variance_rounding(asked: Asked) -> np.ndarray:
    """torch's λ²(exp(lgamma(1 + 2/k)) − exp(2 lgamma(1 + 1/k))): each exponential within 4u of itself (lgamma near 0 to
    an ulp of its size, exp and the doubling), the difference within u of the larger, λ² within 2u."""
    where = _weibull_cancels(asked.draw) if asked.quantity == "variance" else np.zeros(asked.batch, bool)
    scale, k = _weibull(asked.draw)
    scale, k = np.where(where, scale, 1.0), np.where(where, k, 1.0)
    bound = 4 * U * scale**2 * (np.exp(gammaln(1 + 2 / k)) + np.exp(2 * gammaln(1 + 1 / k)))
    return np.where(where, bound, 0.0)


# --- Geometric: 1/p − 1 ---------------------------------------------------------------------------------


def _geometric_p(draw: ParameterDraw) -> np.ndarray:
    if draw.family != "Geometric":
        return np.zeros(draw.batch)
    probs = _values(D.Geometric, draw, "probs")
    return probs if probs is not None else 1 / (1 + np.exp(-_values(D.Geometric, draw, "logits")))


def _near_one(draw: ParameterDraw) -> np.ndarray:
    return 1 - _geometric_p(draw) < NEAR_ONE


def _geometric_rounding(asked: Asked) -> np.ndarray:
    """1/p is rounded (u/p) before 1 is taken from it: the mean (1/p − 1) is off by u/p, the variance ((1/p − 1)/p) by u/p²
    (and their last roundings, u of themselves); doubled for log1p, exp and the logits' sigmoid before them."""
    p = np.where(_near_one(asked.draw), _geometric_p(asked.draw), 1.0)
    mean = (1 - p) / p
    bound = {"mean": 2 * U * (1 / p + mean), "variance": 2 * U * (1 / p**2 + 2 * mean / p)}.get(asked.quantity, np.zeros_like(p))
    return np.where(_near_one(asked.draw), bound, 0.0)


# --- Bernoulli and Binomial given probs 0 or 1: log_prob clamps them to [eps, 1 − eps] ----------------------


def _clamped_probs(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray]:
    """(where the probs given lie outside [eps, 1 − eps], the number of trials)."""
    if draw.family not in ("Bernoulli", "Binomial") or draw.logits:
        return np.zeros(draw.batch, bool), np.zeros(draw.batch)
    cls = getattr(D, draw.family)
    probs = _values(cls, draw, "probs")
    trials = _values(cls, draw, "total_count") if draw.family == "Binomial" else np.ones(draw.batch)
    return (probs < EPS) | (probs > 1 - EPS), trials


def _clamped_probs_allowance(asked: Asked) -> np.ndarray:
    # Moving p by at most eps moves n·p and n·p(1 − p) by n·eps, and the entropy by n·eps·(1 + |log eps|)
    # (|dH/dp| = n|log((1 − p)/p)| ≤ n|log eps| there); doubled for torch's own rounding of them.
    where, trials = _clamped_probs(asked.draw)
    return np.where(where, 2 * trials * EPS * (1 + abs(math.log(EPS))), 0.0)


# --- Bernoulli and Binomial given logits: 1 − p from a rounded p -----------------------------------------


def _rounded_probs(draw: ParameterDraw) -> tuple[np.ndarray, np.ndarray]:
    """(σ(ℓ) of the logits given, or 0 where probs are given or another family; the number of trials)."""
    if draw.family not in ("Bernoulli", "Binomial") or not draw.logits:
        return np.zeros(draw.batch), np.ones(draw.batch)
    cls = getattr(D, draw.family)
    trials = _values(cls, draw, "total_count") if draw.family == "Binomial" else np.ones(draw.batch)
    return 1 / (1 + np.exp(-_values(cls, draw, "logits"))), trials


def _near_certain(draw: ParameterDraw) -> np.ndarray:
    probs, _ = _rounded_probs(draw)
    return 1 - probs < NEAR_ONE


def _variance_rounding(asked: Asked) -> np.ndarray:
    """p = σ(ℓ) is rounded (u·p) before 1 − p is taken: n·p(1 − p) is off by n·p·u·p, doubled for sigmoid's own rounding."""
    probs, trials = _rounded_probs(asked.draw)
    where = _near_certain(asked.draw) if asked.quantity == "variance" else np.zeros(asked.batch, bool)
    return np.where(where, 2 * U * trials * probs**2, 0.0)


# --- NegativeBinomial given logits: total_count·exp(logits) overflows at total_count 0 -------------------


def _point_mass_overflows(draw: ParameterDraw) -> np.ndarray:
    """Where total_count is 0 (the point mass at 0) and exp(logits) overflows, as torch's float64 exp does past 709.78."""
    if draw.family != "NegativeBinomial" or not draw.logits:
        return np.zeros(draw.batch, bool)
    with np.errstate(over="ignore"):
        overflows = np.isinf(np.exp(_values(D.NegativeBinomial, draw, "logits")))
    return (_values(D.NegativeBinomial, draw, "total_count") == 0) & overflows


def _point_mass_returns(asked: Asked) -> list[tuple[float, ...]]:
    where = _point_mass_overflows(asked.draw)
    return [((math.nan,) if asked.quantity in ("mean", "variance") and w else ()) for w in where]


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="torch-cauchy-variance-infinite-where-undefined",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Cauchy (torch 2.14.1)",
        summary=(
            "variance is +∞, where the variance is undefined: ∫ x p diverges on both sides (mpmath: (1/π) log R on each), so there is no "
            "mean to centre on; torch's own StudentT(df=1), the same law, returns NaN, as its docstring's convention and the references do"
        ),
        applies=_cauchy,
        example=one_element_draw("Cauchy", real=(0.0,), positive=(1.0,)),
        error_model=ErrorModel("variance +∞ instead of NaN (undefined), for every Cauchy", returns=lambda asked: _where(asked, "variance", np.ones(asked.batch, bool), math.inf)),
    ),
    Finding(
        id="torch-fisher-snedecor-nan-where-moments-are-infinite",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.FisherSnedecor (torch 2.14.1)",
        summary=(
            "mean is NaN for df2 ≤ 2 and variance NaN for df2 ≤ 4, where both are +∞: the density's right tail is x^{−1−df2/2}, so "
            "∫ x p diverges for df2 ≤ 2 and ∫ x² p for df2 ≤ 4, while the left side is bounded (support x > 0): the mean exists and is "
            "+∞ (mpmath: ∫₀ᴿ x p grows as R^{1−df2/2}), as torch's Pareto, HalfCauchy and InverseGamma return"
        ),
        applies=_fisher_infinite,
        example=one_element_draw("FisherSnedecor", positive=(1.5, 1.5)),
        error_model=ErrorModel("NaN instead of +∞: the mean where df2 ≤ 2, the variance where df2 ≤ 4", returns=_fisher_returns),
    ),
    Finding(
        id="torch-kumaraswamy-mode-nan-where-it-exists",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Kumaraswamy (torch 2.14.1)",
        summary=(
            "mode is NaN wherever the mode exists (a = concentration1 ≥ 1, b = concentration0 ≥ 1, not both 1): it computes "
            "exp((1/b)·log1p(−b) − log1p(−ab)), the log of a negative number for b > 1, where the mode is ((a − 1)/(ab − 1))^{1/a} "
            "(Kumaraswamy(1.5, 1.5): 0.54288, where mpmath finds the density's derivative zero)"
        ),
        applies=lambda draw: bool(np.any(_mode_exists(draw))),
        example=one_element_draw("Kumaraswamy", positive=(1.5, 1.5)),
        error_model=ErrorModel("mode NaN where a ≥ 1 and b ≥ 1 (not both 1)", returns=lambda asked: _where(asked, "mode", _mode_exists(asked.draw), math.nan)),
    ),
    Finding(
        id="torch-kumaraswamy-log-prob-vanishes-near-zero",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Kumaraswamy (torch 2.14.1), concentration1 < 1",
        summary=(
            "log_prob is −∞ for x^a < u/2 (its transforms round 1 − x^a to 1, an endpoint of the base Uniform), where the density "
            "a b x^{a−1}(1 − x^a)^{b−1} is largest: Kumaraswamy(0.5, 2).log_prob(1e-40) is −∞, mpmath 46.05. Its mode, NaN, is right for "
            "the law (unbounded at 0), but its own log_prob has a top near (u/2)^{1/a} instead (3.1e-33 there)"
        ),
        applies=lambda draw: bool(np.any(_log_prob_vanishes(draw))),
        example=one_element_draw("Kumaraswamy", positive=(0.5, 2.0)),
        error_model=ErrorModel("mode NaN where a < 1 (the density is unbounded at 0, which log_prob does not show)", returns=lambda asked: _where(asked, "mode", _log_prob_vanishes(asked.draw), math.nan)),
    ),
    Finding(
        id="torch-kumaraswamy-variance-cancels",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Kumaraswamy (torch 2.14.1)",
        summary=(
            "variance is E X² − (E X)², both near 1 when the mass sits near 1 (a large): Kumaraswamy(53431.5, 2.42) has variance "
            "4.5731784766e-10 (mpmath), torch 4.5731696208e-10, off by 8.9e-16 = 4u (E X²), a relative 1.9e-6"
        ),
        applies=lambda draw: bool(np.any(_kumaraswamy_cancels(draw))),
        example=one_element_draw("Kumaraswamy", positive=(53431.5, 2.42039)),
        error_model=ErrorModel("the rounding of E X² − (E X)² and of torch's two moments where the variance is under E X²/64", allowance=_kumaraswamy_variance_rounding),
    ),
    Finding(
        id="torch-weibull-mode-of-a-negative-power",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Weibull (torch 2.14.1), concentration ½, ¼, …",
        summary=(
            "mode is scale·((k − 1)/k)^{1/k} for every k: below 1 the base is negative, NaN for most k (right: the density "
            "k/λ (x/λ)^{k−1} e^{−(x/λ)^k} is unbounded at 0), but a real number where 1/k is an integer: Weibull(2.24, ½) has "
            "mode 2.24, where log_prob is −2.50 and the density grows without bound towards 0 (log_prob(1e-150) = 171.6)"
        ),
        applies=lambda draw: bool(np.any(_weibull_power_of_a_negative(draw))),
        example=one_element_draw("Weibull", positive=(2.24, 0.5)),
        error_model=ErrorModel("mode scale·((k − 1)/k)^{1/k}, a real number, where k < 1 and 1/k is an integer", returns=_weibull_mode),
    ),
    Finding(
        id="torch-weibull-variance-cancels",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Weibull (torch 2.14.1)",
        summary=(
            "variance is λ²(Γ(1 + 2/k) − Γ(1 + 1/k)²) by exp(lgamma(·)), two numbers near 1 for a large concentration k: "
            "Weibull(1.87, 131558) has variance 3.3234453934e-10 (mpmath), torch 3.3234451522e-10, off by 2.4e-17, a relative 7.3e-8"
        ),
        applies=lambda draw: bool(np.any(_weibull_cancels(draw))),
        example=one_element_draw("Weibull", positive=(1.87, 131558.0)),
        error_model=ErrorModel("the rounding of Γ(1 + 2/k) − Γ(1 + 1/k)², 4u λ²(Γ(1 + 2/k) + Γ(1 + 1/k)²), where the variance is under E X²/64", allowance=_weibull_variance_rounding),
    ),
    Finding(
        id="torch-continuous-bernoulli-moments-of-the-clamped-probability",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.ContinuousBernoulli (torch 2.14.1), given logits",
        summary=(
            "mean, variance and entropy use self.probs, which clamp_probs keeps within [eps, 1 − eps], while log_prob's exponent uses "
            "the logits: past |logits| 36.04 they are the moments of λ = eps, whatever the logits (logits −100: mean 0.027744 where the "
            "density's mean is 0.0100000, mpmath), the same clamp as log-prob-normalises' finding on the normaliser"
        ),
        applies=lambda draw: bool(np.any(clamped(draw))),
        example=one_element_draw("ContinuousBernoulli", logits=True, real=(-100.0,)),
        error_model=ErrorModel(
            "the moments of the clamped probability (torch's closed forms at eps or 1 − eps) where |logits| > 36.04",
            offset=clamped_offset,
            allowance=clamped_rounding,
        ),
    ),
    Finding(
        id="torch-continuous-bernoulli-cancellation-outside-its-taylor-window",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.ContinuousBernoulli (torch 2.14.1)",
        summary=(
            "just outside its Taylor window (0.499, 0.501] the closed forms cancel: the variance λ(λ − 1)/(1 − 2λ)² + 1/ℓ², "
            "ℓ = log1p(−λ) − log λ, adds ∓5.4e4 at λ = 0.501071, and ℓ = 0.0043 carries the logarithms' rounding: variance off by "
            "5.3e-10 (mpmath), mean by 1.2e-12 at λ = 0.5011; the window is too narrow for float64"
        ),
        applies=lambda draw: bool(np.any(near_half(draw))),
        example=one_element_draw("ContinuousBernoulli", unit_interval=(0.5011,)),
        error_model=ErrorModel("the closed forms' cancellation bound where λ is outside the Taylor window and within ¼ of ½", allowance=cancellation),
    ),
    Finding(
        id="torch-geometric-mean-cancels-near-one",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Geometric (torch 2.14.1)",
        summary=(
            "mean 1/p − 1 and variance (1/p − 1)/p subtract 1 from a rounded 1/p, an absolute error u/p: at p = 1 − 1e-15 the mean is "
            "1.1102e-15 where (1 − p)/p is 9.9920e-16 (11 % off, mpmath); (1 − p)/p is exact there (1 − p is, by Sterbenz's lemma)"
        ),
        applies=lambda draw: bool(np.any(_near_one(draw))),
        example=one_element_draw("Geometric", unit_interval=(1 - 1e-15,)),
        error_model=ErrorModel("the absolute rounding of 1/p (u/p, u/p² for the variance) where 1 − p < 1/32", allowance=_geometric_rounding),
    ),
    Finding(
        id="torch-bernoulli-binomial-variance-of-a-rounded-probability",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Bernoulli and Binomial (torch 2.14.1), given logits",
        summary=(
            "variance is n·p(1 − p) with p = σ(logits) rounded first, so 1 − p carries p's rounding u·p: a relative u/(1 − p) once "
            "p nears 1 (Bernoulli(logits=10): 4.5395807735907655e-05 where σ(10)σ(−10) is 4.5395807735951633e-05, mpmath), where "
            "σ(ℓ)σ(−ℓ) would be exact to rounding"
        ),
        applies=lambda draw: bool(np.any(_near_certain(draw))),
        example=one_element_draw("Bernoulli", logits=True, real=(10.0,)),
        error_model=ErrorModel("the rounding of p carried into 1 − p, 2u·n·p², where σ(logits) > 1 − 1/32", allowance=_variance_rounding),
    ),
    Finding(
        id="torch-bernoulli-binomial-log-prob-clamps-probs",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.Bernoulli and Binomial (torch 2.14.1), given probs 0 or 1",
        summary=(
            "log_prob takes the logits of probs clamped to [eps, 1 − eps] (probs_to_logits), so Bernoulli(probs=0).log_prob(1) is "
            "−36.04, not −∞: its pmf is that of p = eps, mean eps = 2.2e-16, where mean, variance and entropy are those of p = 0 "
            "(mean 0); an error of n·eps, found by the mean's exact sum"
        ),
        applies=lambda draw: bool(np.any(_clamped_probs(draw)[0])),
        example=one_element_draw("Bernoulli", unit_interval=(0.0,)),
        error_model=ErrorModel("the moments of p = 0 or 1 against log_prob's p = eps or 1 − eps: n·eps(1 + |log eps|), doubled", allowance=_clamped_probs_allowance),
    ),
    Finding(
        id="torch-negative-binomial-point-mass-moments-nan",
        theorem_id="moments-match-log-prob",
        library="torch.distributions.NegativeBinomial (torch 2.14.1), given logits",
        summary=(
            "mean total_count·exp(logits) and variance mean/σ(−logits) are NaN for total_count = 0 once logits > 709.78: exp overflows "
            "and 0·∞ is NaN, where the law is the point mass at 0 (log_prob(0) = 0), mean and variance 0 (mpmath: 0·e^1000 = 0); "
            "thorough seed 2, NegativeBinomial(total_count=0, logits=1000)"
        ),
        applies=lambda draw: bool(np.any(_point_mass_overflows(draw))),
        example=one_element_draw("NegativeBinomial", logits=True, nonnegative=(0.0,), real=(1000.0,)),
        error_model=ErrorModel("mean and variance NaN where total_count = 0 and exp(logits) overflows (logits > 709.78)", returns=_point_mass_returns),
    ),
)

QUANTITIES_OF: dict[str, tuple[str, ...]] = {
    "torch-weibull-variance-cancels": ("variance",),
    "torch-bernoulli-binomial-variance-of-a-rounded-probability": ("variance",),
    "torch-kumaraswamy-variance-cancels": ("variance",),
    "torch-weibull-mode-of-a-negative-power": ("mode",),
    "torch-cauchy-variance-infinite-where-undefined": ("variance",),
    "torch-fisher-snedecor-nan-where-moments-are-infinite": ("mean", "variance"),
    "torch-kumaraswamy-mode-nan-where-it-exists": ("mode",),
    "torch-kumaraswamy-log-prob-vanishes-near-zero": ("mode",),
    "torch-continuous-bernoulli-moments-of-the-clamped-probability": ("mean", "variance", "entropy"),
    "torch-continuous-bernoulli-cancellation-outside-its-taylor-window": ("mean", "variance", "entropy"),
    "torch-geometric-mean-cancels-near-one": ("mean", "variance"),
    "torch-bernoulli-binomial-log-prob-clamps-probs": ("mean", "variance", "entropy"),
    "torch-negative-binomial-point-mass-moments-nan": ("mean", "variance"),
}
