"""Torch's KL(Uniform ‖ Pareto) takes the log of the product α·s^α·(b − a): its domain and error model.

torch 2.14.1's ``_kl_uniform_pareto`` computes ``t1 = (q.alpha * q.scale.pow(q.alpha) * (p.high - p.low)).log()``
and returns ``t2 * (q.alpha + 1) - t1``. The KL is finite wherever p's support lies inside q's (a ≥ s),
but the product leaves float64's normal range long before its log does: s^α underflows to 0 below about
4.9e-324 (s = 6e-237 at α = 2) and torch returns +∞; it overflows above 1.8e308 (s = 1e200 at α = 2) and torch
returns −∞; in between, a product step that lands among the subnormals keeps only the bits above 2^-1074,
and its log is off by up to the relative spacing there (s = 1e-160, α = 2: 733.13409371 against 733.13408258).
Of the other pairs with a Pareto q, only Pareto ‖ Pareto has a closed form, and it takes q.alpha·log(p.scale/q.scale):
no power, but the same leaving of float64's range, the ratio overflowing to +∞ where p.scale/q.scale > 1.8e308
(KL(Pareto(1e300, 2) ‖ Pareto(1e-10, 3)) is 2141.4987, torch +∞), a finding of its own; the rest (Beta, continuous
Bernoulli, Exponential, Gamma, Gumbel, Laplace, Normal ‖ Pareto) return +∞, which is right: their supports reach
below any Pareto's scale.
"""

from __future__ import annotations

import math

import numpy as np

from theorems.kl_closed_forms.laws import LawPair

__all__ = ["pareto_power_allowance", "pareto_power_elements", "pareto_power_returns", "pareto_ratio_elements"]

U = 2.0**-53  # float64's unit roundoff
TINY = float(np.finfo(np.float64).tiny)  # the smallest normal double: below it a product keeps fewer bits
# The roundings in measuring what the subnormal steps dropped, |log(product) − (log α + α log s + log w)|:
# log α (1), α log s (2), log(b − a) (2: the difference, then its log), the two sums (2), and the
# log of the product (1). Eight roundings, each within u of a term no larger than the terms' sizes
# (the difference b − a within u of 1 once logged, the "+ 1" below): γ₈ ≈ 8u of (sizes + 1).
EXACT_LOG_OPERATIONS = 8


def _torch_products(pair: LawPair) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """s^α, α·s^α and α·s^α·(b − a), each rounded to float64 in torch's order. numpy's pow agreed with torch's
    on every 0, ∞ and subnormal of 300000 draws (s in 10^[−320, −100] and 10^[20, 310]); only in the normal
    range, where torch vectorises a long batch, by 1 ulp (1855 draws), which the normal tolerance covers."""
    low, high = pair.p.parameters["low"], pair.p.parameters["high"]
    scale, alpha = pair.q.parameters["scale"], pair.q.parameters["alpha"]
    with np.errstate(over="ignore", under="ignore"):
        power = np.power(scale, alpha)
        scaled = alpha * power
        return power, scaled, scaled * (high - low)


def pareto_power_elements(pair: LawPair) -> np.ndarray:
    """Elements whose Uniform lies inside the Pareto's support (a ≥ s: elsewhere the KL is +∞ and torch's +∞
    is right) and where some step of torch's product is 0, subnormal or infinite."""
    if pair.p.family != "Uniform" or pair.q.family != "Pareto":
        return np.zeros(pair.p.batch, dtype=bool)
    low, high = pair.p.parameters["low"], pair.p.parameters["high"]
    outside_normal = np.zeros(pair.p.batch, dtype=bool)
    for step in _torch_products(pair):
        outside_normal |= (step < TINY) | np.isinf(step)
    return outside_normal & (low >= pair.q.parameters["scale"]) & (high > low)


def pareto_power_returns(pair: LawPair) -> list[tuple[float, ...]]:
    """+∞ where the product underflowed to 0 (log 0 = −∞ subtracted), −∞ where it overflowed."""
    product = _torch_products(pair)[2]
    wrong = [(math.inf,) if value == 0 else (-math.inf,) if np.isinf(value) else () for value in product]
    return [values if inside else () for values, inside in zip(wrong, pareto_power_elements(pair))]


def pareto_power_allowance(pair: LawPair) -> np.ndarray:
    """Where the product stayed finite and above 0 but passed among the subnormals: torch's t1 is off by
    |log(product) − (log α + α log s + log(b − a))|, the bits the subnormal steps dropped. t1 enters the KL
    with coefficient 1 (t2·(α + 1) − t1), so the KL is off by just that: the allowance is that measured
    error plus the rounding of its measurement (γ₈ of its terms' sizes); the other terms' rounding is
    the check's own bar."""
    inside = pareto_power_elements(pair)
    if not inside.any():
        return np.zeros(pair.p.batch)
    low, high = pair.p.parameters["low"], pair.p.parameters["high"]
    scale, alpha = pair.q.parameters["scale"], pair.q.parameters["alpha"]
    product = _torch_products(pair)[2]
    terms = (np.log(alpha), alpha * np.log(scale), np.log(high - low))
    sizes = sum(np.abs(term) for term in terms)
    with np.errstate(divide="ignore", invalid="ignore"):
        dropped = np.abs(np.log(product) - sum(terms))
    finite = inside & (product > 0) & np.isfinite(product)
    return np.where(finite, dropped + EXACT_LOG_OPERATIONS * U * (sizes + 1), 0.0)


def pareto_ratio_elements(pair: LawPair) -> np.ndarray:
    """Pareto ‖ Pareto elements with p's support inside q's (p.scale ≥ q.scale: elsewhere torch's +∞ is right)
    whose scale ratio overflows float64: torch's q.alpha·log(ratio) is +∞, the KL α_q log(s_p/s_q) − log(α_q/α_p)
    + α_q/α_p − 1 finite. The ratio is at least 1 there, so it never underflows."""
    if pair.p.family != "Pareto" or pair.q.family != "Pareto":
        return np.zeros(pair.p.batch, dtype=bool)
    p_scale, q_scale = pair.p.parameters["scale"], pair.q.parameters["scale"]
    with np.errstate(over="ignore"):
        return (p_scale >= q_scale) & np.isinf(p_scale / q_scale)
