"""Torch's recorded KL defects: where each shows (its domain) and how large it is (its error model).

The functions the findings of :mod:`theorems.kl_closed_forms.findings` are made of: for each
defect, a predicate per batch element (``…_elements``, a boolean array over the batch) and the
allowance, offset or wrong values its error model grants those elements. Each states the
arithmetic of torch's closed form that it bounds.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special

from theorems.kl_closed_forms.laws import Law, LawPair

__all__ = [
    "batched_wisharts_allowance",
    "batched_wisharts_elements",
    "batched_wisharts_offset",
    "binomial_counts",
    "cb_near_half_allowance",
    "cb_near_half_elements",
    "cb_uniform_shared_end_elements",
    "exact_extreme_elements",
    "extreme_probabilities_allowance",
    "extreme_probabilities_elements",
    "narrow_uniform_allowance",
    "narrow_uniform_elements",
    "poisson_q_rate_zero_elements",
    "poisson_rate_zero_elements",
    "poisson_zero_returns",
    "small_geometric_allowance",
    "small_geometric_elements",
    "uniform_cb_shared_end_elements",
]


# Each domain is a predicate per batch element (``…_elements``, a boolean array over the
# batch); the finding applies to a pair when it holds on some element, and its error model
# widens only those elements.

U = 2.0**-53  # float64's unit roundoff
NO_ALLOWANCE = 0.0


def _families(pair: LawPair, p_family: str | tuple[str, ...], q_family: str | tuple[str, ...] | None = None) -> bool:
    p_ok = pair.p.family in ((p_family,) if isinstance(p_family, str) else p_family)
    q_ok = q_family is None or pair.q.family in ((q_family,) if isinstance(q_family, str) else q_family)
    return p_ok and q_ok


def _none(pair: LawPair) -> np.ndarray:
    return np.zeros(pair.p.batch, dtype=bool)


# -- Geometric ‖ Geometric with a small p

# Torch's KL(Geometric ‖ Geometric) is −H(p) − log1p(−q)/θ − logit q with H(p) =
# binary_cross_entropy_with_logits(x, θ)/θ, x = logit θ. ATen evaluates that loss as
# (1 − θ)x + max(−x, 0) + log(e^{−max} + e^{−x−max}): for x < 0 the first two terms, of size |x|,
# cancel to about θ|x|, each rounded once (u|x| each), and the log of a number near 1 is off by
# about 2u: an absolute error up to 2u(|x| + 1) before the division by θ, which keeps it. The
# allowance takes 2u(|x| + 2)/θ. It passes the check's tolerance γ₆₄(1 + Σ|terms|) ≈ 64u(2|x| + 3)
# when θ is below about 1/64 (measured: the largest failing θ was 0.0072 over 4000 draws):
# the domain is θ < 1/64.
SMALL_GEOMETRIC = 1 / 64


def small_geometric_elements(pair: LawPair) -> np.ndarray:
    if not _families(pair, "Geometric", "Geometric"):
        return _none(pair)
    return pair.p.parameters["probs"] < SMALL_GEOMETRIC


def small_geometric_allowance(pair: LawPair) -> np.ndarray:
    theta = pair.p.parameters["probs"]
    with np.errstate(divide="ignore"):
        logit = np.abs(np.log(theta) - np.log1p(-theta))
    return np.where(small_geometric_elements(pair), 2 * U * (logit + 2) / theta, NO_ALLOWANCE)


# -- the continuous Bernoulli near ½

# Outside torch's Taylor window (0.499, 0.501) but close to ½, with z = |1 − 2λ| and
# d = log1p(−λ) − log λ ≈ 2z (a difference of two logs of size 0.69, off by about 1.4u: d is
# off by 0.7u/z relatively), torch's closed forms cancel:
#   mean  λ/(2λ − 1) + 1/d,                 two terms of size 1/(2z):   off by about 0.35u/z² + u/z;
#   variance λ(λ − 1)/(1 − 2λ)² + 1/d²,     two terms of size 1/(4z²):  off by about 0.35u/z³ + u/z²;
#   log-normaliser log|d| − log|1 − 2λ|,    log of d:                    off by about 0.7u/z;
#   entropy mean·d − log-normaliser − log1p(−λ):                        off by about 2u/z + 0.7u/z.
# The bounds below round those up (for z ≤ 0.1): mean u/z², variance u/z³, log-normaliser u/z,
# entropy 3u/z; the KL multiplies them by the coefficients of its closed form (torch's
# kl.py: against a Normal q, variance and mean²−2μ·mean over 2σ²; against an Exponential,
# the rate times the mean; between two, p's mean times the difference of logits).
CB_CENTRE = 0.05
CB_TAYLOR = 0.001  # torch's window: |λ − ½| < 0.001 takes a Taylor expansion instead
# Where the loss shows: against a Normal q (the variance's u/z³ over 2σ²), an Exponential (its rate
# times the mean's u/z²: thorough seed 1 met KL(CB(0.498046875) ‖ Exponential(1)), torch 1.5e-12 off,
# past the normal tolerance 8.5e-13 and within the model's 7.3e-12) and between two continuous
# Bernoullis (the log-normaliser's u/z against a KL near 0). Against the other q (Uniform, Pareto; as
# q, against Beta, Uniform, Gamma, …) only the entropy's or log-normaliser's few u/z enter, within
# the normal tolerance (3 wrong of 498 in-domain examples over every pair before the domain was narrowed).
CB_NEAR_HALF_QS = ("Normal", "Exponential", "ContinuousBernoulli")


def _cb_gap(law: Law) -> np.ndarray:
    return np.abs(1 - 2 * law.parameters["probs"])


def _cb_near(law: Law) -> np.ndarray:
    gap = np.abs(law.parameters["probs"] - 0.5)
    return (gap < CB_CENTRE) & (gap >= CB_TAYLOR)


def cb_near_half_elements(pair: LawPair) -> np.ndarray:
    if not _families(pair, "ContinuousBernoulli", CB_NEAR_HALF_QS):
        return _none(pair)
    inside = _cb_near(pair.p)
    if pair.q.family == "ContinuousBernoulli":
        inside = inside | _cb_near(pair.q)
    return inside


def _cb_mean(probs: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(probs - 0.5) < CB_TAYLOR, 0.5, probs / (2 * probs - 1) + 1 / (np.log1p(-probs) - np.log(probs)))


def _logit(probs: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(probs) - np.log1p(-probs)


def cb_near_half_allowance(pair: LawPair) -> np.ndarray:
    total = np.zeros(pair.p.batch)
    if pair.p.family == "ContinuousBernoulli":
        z = np.where(_cb_near(pair.p), _cb_gap(pair.p), np.inf)
        mean_error, variance_error, entropy_error = U / z**2, U / z**3, 3 * U / z
        values = pair.q.parameters
        if pair.q.family == "Normal":
            mean = _cb_mean(pair.p.parameters["probs"])
            total += entropy_error + (variance_error + 2 * (np.abs(mean) + np.abs(values["loc"])) * mean_error) / (2 * values["scale"] ** 2)
        elif pair.q.family == "Exponential":
            total += entropy_error + values["rate"] * mean_error
        elif pair.q.family == "ContinuousBernoulli":
            total += U / z + mean_error * np.abs(_logit(pair.p.parameters["probs"]) - _logit(values["probs"]))
        else:
            total += entropy_error
    if pair.q.family == "ContinuousBernoulli":
        total += U / np.where(_cb_near(pair.q), _cb_gap(pair.q), np.inf)
    return np.where(cb_near_half_elements(pair), total, NO_ALLOWANCE)


# -- Poisson with a rate of 0, Bernoulli ‖ Poisson(0)


def poisson_rate_zero_elements(pair: LawPair) -> np.ndarray:
    if not _families(pair, "Poisson"):
        return _none(pair)
    return pair.p.parameters["rate"] == 0


def poisson_zero_returns(pair: LawPair) -> list[tuple[float, ...]]:
    wrong = math.nan if pair.q.family == "Poisson" else math.inf
    return [(wrong,) if inside else () for inside in poisson_rate_zero_elements(pair)]


def poisson_q_rate_zero_elements(pair: LawPair) -> np.ndarray:
    """Bernoulli(0) ‖ Poisson(0): log 0 times 0 gives NaN (the KL is 0). With p's probability above 0 torch
    returns +inf, which is right (Poisson(0) has no mass at 1): measured 6 wrong of 56 with any p before."""
    if not _families(pair, "Bernoulli", "Poisson"):
        return _none(pair)
    return (pair.q.parameters["rate"] == 0) & (pair.p.parameters["probs"] == 0)


# -- Binomial ‖ Binomial with n_q > n_p


def binomial_counts(pair: LawPair) -> bool:
    return _families(pair, "Binomial", "Binomial") and bool(np.any(pair.q.parameters["total_count"] > pair.p.parameters["total_count"]))


# -- probabilities near 0 or 1

# |logit| > 20: where F.softplus switches to its linear branch (threshold 20) and
# torch's probs_to_logits clamps at eps.
LOGIT_REACH = 1 / (1 + math.exp(20))
EPS = float(np.finfo(np.float64).eps)
PROBABILITY_FAMILIES = ("Bernoulli", "Binomial", "Geometric", "Categorical", "OneHotCategorical")


def _probability_laws(pair: LawPair) -> list[Law]:
    return [law.base if law.family == "Independent" else law for law in (pair.p, pair.q)]  # Independent(Bernoulli) too


def _extreme(law: Law) -> np.ndarray | None:
    """Per entry of the law's probabilities: whether torch's logits clamp it or softplus drops its tail."""
    probs = law.parameters.get("probs")
    if probs is None:
        return None
    if law.family in ("Categorical", "OneHotCategorical"):
        return (probs > 0) & (probs < 2 * EPS)
    return (probs < LOGIT_REACH) | (probs > 1 - LOGIT_REACH)


def _per_element(values: np.ndarray, batch: int) -> np.ndarray:
    return values.reshape(batch, -1).any(axis=1) if values.dtype == bool else values.reshape(batch, -1).sum(axis=1)


def extreme_probabilities_elements(pair: LawPair) -> np.ndarray:
    """Where torch's clamping and dropped tails can show: an extreme probability whose error bound
    passes γ₆₄ (the least tolerance the check gives), or an exact 0 or 1. Without the bound's test the
    domain held every extreme probability (44 Categorical examples of 100 drawn, 6 wrong; 11 with
    it, the same 6 wrong). Independent(Bernoulli) is in: its KL is the sum of its base's, with the same
    defect (it had been left out, 0 wrong of 33 in-domain ci examples, until thorough seed 1 met
    KL(Independent(Bernoulli(½)) ‖ Independent(Bernoulli(1e-9))): torch 9.6684857379132616, mpmath
    9.6684857384132602, the softplus of logit 20.7 dropping its 1e-9 tail, weighted by ½)."""
    from theorems.oracles.tolerance import gamma

    entries = _extreme_entries(pair)
    if not entries.any():
        return entries
    return entries & ((_extreme_probabilities_bound(pair) > gamma(64, U)) | _exact_extreme_entries(pair))


def _extreme_entries(pair: LawPair) -> np.ndarray:
    laws = _probability_laws(pair)
    if laws[0].family not in PROBABILITY_FAMILIES:
        return _none(pair)
    inside = _none(pair)
    for law in laws:
        extreme = _extreme(law)
        if extreme is not None:
            inside = inside | _per_element(extreme, pair.p.batch)
    return inside


def _binary_weights(p: Law) -> tuple[np.ndarray, np.ndarray] | None:
    """E_p of the successes and of the failures, which multiply log θ and log(1 − θ) in a binary law's KL."""
    theta = p.parameters["probs"]
    if p.family == "Bernoulli":
        return theta, 1 - theta
    if p.family == "Binomial":
        n = p.parameters["total_count"]
        return n * theta, n * (1 - theta)
    if p.family == "Geometric":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.ones_like(theta), (1 - theta) / theta
    return None


def _log_change(weight: np.ndarray, exact: np.ndarray, clamped: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = weight * np.abs(clamped - exact)
    return np.where(weight == 0, 0.0, moved)  # 0 · log 0 = 0: a log p never multiplies a zero mass


def extreme_probabilities_allowance(pair: LawPair) -> np.ndarray:
    return np.where(extreme_probabilities_elements(pair), _extreme_probabilities_bound(pair), NO_ALLOWANCE)


def _extreme_probabilities_bound(pair: LawPair) -> np.ndarray:
    """Torch takes each log θ and log(1 − θ) of the laws at θ clamped to [eps, 1 − eps] (probs_to_logits),
    and its softplus drops log1p(e^{−|logit|}) ≤ min(θ, 1 − θ) past |logit| = 20: the KL moves by at
    most the changes of those logs weighted by p's mass on them, plus the dropped terms so weighted.
    A log of an exact 0 (or of 1 − 1) that p's mass multiplies moves by ∞: the KL is +∞ (q has no
    mass where p has some) and torch's is finite or NaN, by an amount nothing bounds."""
    p, q = _probability_laws(pair)
    total = np.zeros(pair.p.batch)
    weights = _binary_weights(p)
    for law in (p, q):
        if "probs" not in law.parameters:  # a Poisson q: no probability to clamp
            continue
        theta = law.parameters["probs"]
        clamped = np.clip(theta, EPS, 1 - EPS)
        with np.errstate(divide="ignore"):
            log_theta, log_clamped = np.log(theta), np.log(clamped)
            log_rest, log_rest_clamped = np.log1p(-theta), np.log1p(-clamped)
        if weights is None:  # Categorical: p's probabilities weight each log
            mass = p.parameters["probs"]
            moved = _log_change(mass, log_theta, log_clamped) + mass * np.minimum(clamped, 1 - clamped) * 2
        else:
            successes, failures = weights
            successes, failures = (np.broadcast_to(w.reshape(w.shape + (1,) * (theta.ndim - w.ndim)), theta.shape) for w in (successes, failures))
            dropped = np.where(_extreme(law), 2 * np.minimum(clamped, 1 - clamped), 0.0)
            moved = _log_change(successes, log_theta, log_clamped) + _log_change(failures, log_rest, log_rest_clamped) + (successes + failures) * dropped
            if law is q and q.family == "Geometric":
                # −log1p(−θ_q)/θ_p − logit θ_q: log(1 − θ_q) once unclamped and once clamped inside the logit, at
                # weight 1, so the clamp no longer cancels (thorough seed 2: KL(Geometric(1 − 3.2e-9) ‖
                # Geometric(1 − 1.1e-16)) is log 2 from torch, 5.1e-8 by mpmath)
                moved = moved + _log_change(np.ones_like(theta), log_rest, log_rest_clamped) + _log_change(np.ones_like(theta), log_theta, log_clamped)
        total += _per_element(moved, pair.p.batch)
    return np.where(_extreme_entries(pair), total, NO_ALLOWANCE)


def exact_extreme_elements(pair: LawPair) -> np.ndarray:
    return _exact_extreme_entries(pair) & extreme_probabilities_elements(pair)


def _exact_extreme_entries(pair: LawPair) -> np.ndarray:
    """Probabilities of exactly 0 or 1 in a binary law: torch's 0·log 0 and log 0 − log 0 give NaN, a Binomial(n, 1)'s
    log1p(−1) −inf, a Geometric(1) +inf."""
    inside = _none(pair)
    for law in _probability_laws(pair):
        probs = law.parameters.get("probs")
        if probs is not None and law.family not in ("Categorical", "OneHotCategorical"):
            inside = inside | _per_element((probs == 0) | (probs == 1), pair.p.batch)
    return inside & _extreme_entries(pair)


# -- a continuous Bernoulli against a Uniform sharing an end, and the reverse


def cb_uniform_shared_end_elements(pair: LawPair) -> np.ndarray:
    if not _families(pair, "ContinuousBernoulli", "Uniform"):
        return _none(pair)
    low, high = pair.q.parameters["low"], pair.q.parameters["high"]
    return ((low == 0) & (high >= 1)) | ((high == 1) & (low <= 0))


def uniform_cb_shared_end_elements(pair: LawPair) -> np.ndarray:
    if not _families(pair, "Uniform", "ContinuousBernoulli"):
        return _none(pair)
    low, high = pair.p.parameters["low"], pair.p.parameters["high"]
    return ((low == 0) & (high <= 1)) | ((high == 1) & (low >= 0))


# -- a narrow Uniform p

# Against a Gamma, Beta or Pareto q, torch's closed form (kl.py, _kl_uniform_gamma/beta/pareto)
# takes E_p log x as (h log h − l log l − w)/w, w = h − l, and the Beta's E_p log(1 − x) as the
# same of 1 − x: three terms of size |h log h| + |l log l| + w, each xlogy rounded within about
# 2u and the two subtractions within u, cancel to w·E log x and are divided by w: an absolute
# error up to 4u(|h log h| + |l log l| + w)/w, times the coefficient (|α − 1|, α + 1); for 1 − x,
# the subtraction's own rounding u·max(1, |x|) enters x log x times |log(1 − x)| + 1.
# Against a Gumbel q (_kl_uniform_gumbel) it takes (β/w)(e^{−z_h} − e^{−z_l}), z = (x − μ)/β, whose
# two terms cancel likewise; each z is off by u(|x| + |μ|)/β + u|z|, which e^{−z} keeps as a
# relative error: an error up to (β/w)·Σ e^{−z}(2u + u(|x| + |μ|)/β + u|z|)·2.
# The other q (Normal, Exponential, Uniform, continuous Bernoulli) take the width and the midpoint
# without such a difference: measured 0 wrong of 203 narrow examples, so they are outside the domain.
# Narrow: the allowance is at least the error torch can make visible, a width below a hundredth of
# the reach (|x| or |1 − x|) the formula's terms have; for a Gumbel, a width below its scale.
NARROW_UNIFORM = 1e-2
NARROW_UNIFORM_QS = ("Gamma", "Beta", "Pareto", "Gumbel")


def narrow_uniform_elements(pair: LawPair) -> np.ndarray:
    if not _families(pair, "Uniform", NARROW_UNIFORM_QS):
        return _none(pair)
    low, high = pair.p.parameters["low"], pair.p.parameters["high"]
    width = high - low
    reach = np.maximum(np.abs(low), np.abs(high))
    if pair.q.family == "Beta":
        reach = np.maximum(reach, np.maximum(np.abs(1 - low), np.abs(1 - high)))
    narrow = width < NARROW_UNIFORM * reach
    if pair.q.family == "Gumbel":
        narrow |= pair.q.parameters["scale"] > width
    return narrow & _inside_q(pair, low, high)


def _inside_q(pair: LawPair, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Elements whose Uniform lies inside q's support: elsewhere the KL is +∞, decided exactly, and torch's
    +∞ there is right (thorough seed 1: Uniform(1, 1.01) ‖ Beta(1, 1), where the allowance came out NaN)."""
    if pair.q.family == "Beta":
        return (low >= 0) & (high <= 1)
    if pair.q.family == "Gamma":
        return low >= 0
    if pair.q.family == "Pareto":
        return low >= pair.q.parameters["scale"]
    return np.ones_like(low, dtype=bool)


def _x_log_x(x: np.ndarray) -> np.ndarray:
    """|x log |x||: the size of torch's xlogy term (NaN there for x < 0, where p's support is outside q's and the KL is +∞)."""
    return np.abs(scipy.special.xlogy(x, np.abs(x)))


def narrow_uniform_allowance(pair: LawPair) -> np.ndarray:
    low, high = pair.p.parameters["low"], pair.p.parameters["high"]
    width = high - low
    values = pair.q.parameters
    with np.errstate(over="ignore", invalid="ignore"):
        if pair.q.family == "Gumbel":
            loc, scale = values["loc"], values["scale"]
            ends = [(x, (x - loc) / scale) for x in (low, high)]
            allowance = 2 * (scale / width) * sum(np.exp(-z) * (2 * U + U * (np.abs(x) + np.abs(loc)) / scale + U * np.abs(z)) for x, z in ends)
        else:
            cancelled = 4 * U * (_x_log_x(high) + _x_log_x(low) + width) / width
            if pair.q.family == "Gamma":
                allowance = np.abs(values["concentration"] - 1) * cancelled
            elif pair.q.family == "Pareto":
                allowance = (values["alpha"] + 1) * cancelled
            else:  # Beta: log x and log(1 − x), where 1 − x is itself rounded (by u·max(1, |x|), which x log x turns into |log(1 − x)| + 1 times that)
                with np.errstate(divide="ignore"):  # x = 1: p's support reaches q's end, where the log is infinite and so is the bound
                    rounded = sum(np.maximum(1, np.abs(x)) * (np.abs(np.log(np.abs(1 - x))) + 1) for x in (low, high))
                cancelled_rest = 4 * U * (_x_log_x(1 - high) + _x_log_x(1 - low) + width) / width + U * rounded / width
                allowance = np.abs(values["concentration1"] - 1) * cancelled + np.abs(values["concentration0"] - 1) * cancelled_rest
    return np.where(narrow_uniform_elements(pair), allowance, NO_ALLOWANCE)


# -- batched Wisharts

# torch's _kl_expfamily_expfamily subtracts Σ (η_q − η_p)·∇A(η_p) summed over the event's two
# rightmost dimensions; the df parameter η = (n − d − 1)/2 has the batch shape only, so its term
# t_j = ½(n_q,j − n_p,j)·E_{p_j} log det X is summed over the whole batch: element i comes out
# KL_i − Σ_{j≠i} t_j, with E log det X = log det V + d log 2 + Σ_{k<d} ψ((n − k)/2) (Bartlett).
WISHART_TERM_OPERATIONS = 64  # a slogdet, d digammas, the product and the batch sum


def batched_wisharts_elements(pair: LawPair) -> np.ndarray:
    """The elements that receive another element's df term: only where some other n_q,j ≠ n_p,j (equal
    laws, or equal dfs, misplace nothing)."""
    if not _families(pair, "Wishart", "Wishart") or pair.p.batch < 2:
        return _none(pair)
    gaps = np.abs(pair.q.parameters["df"] - pair.p.parameters["df"])
    return (gaps.sum() - gaps) > 0


def _wishart_df_terms(pair: LawPair) -> np.ndarray:
    n_p, n_q = pair.p.parameters["df"], pair.q.parameters["df"]
    covariances = pair.p.parameters["covariance_matrix"]
    d = covariances.shape[-1]
    mean_log_det = np.array([
        np.linalg.slogdet(v)[1] + d * math.log(2) + sum(scipy.special.digamma((n - k) / 2) for k in range(d)) for n, v in zip(n_p, covariances)
    ])
    return 0.5 * (n_q - n_p) * mean_log_det


def batched_wisharts_offset(pair: LawPair) -> np.ndarray:
    if not batched_wisharts_elements(pair).any():
        return np.zeros(pair.p.batch)
    terms = _wishart_df_terms(pair)
    return -(terms.sum() - terms)


def batched_wisharts_allowance(pair: LawPair) -> np.ndarray:
    """The rounding of the misplaced terms: torch takes log det V_j through its precision matrix, off by
    about κ(V_j)·u·d relatively to 1 (Higham 2002, §14.1), times ½|n_q,j − n_p,j|; with the rounding of
    each t_j's other operations, 2γ_K Σ_{j≠i} (|t_j| + ½|n_q,j − n_p,j|·d·κ(V_j))."""
    if not batched_wisharts_elements(pair).any():
        return np.zeros(pair.p.batch)
    from theorems.oracles.tolerance import gamma

    covariances = pair.p.parameters["covariance_matrix"]
    d = covariances.shape[-1]
    conditions = np.array([np.linalg.cond(v) for v in covariances])
    sizes = np.abs(_wishart_df_terms(pair)) + 0.5 * np.abs(pair.q.parameters["df"] - pair.p.parameters["df"]) * d * conditions
    return 2 * gamma(WISHART_TERM_OPERATIONS, U) * (sizes.sum() - sizes)

