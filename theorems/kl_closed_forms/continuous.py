"""The KL of one-dimensional continuous laws: decided where it is infinite, else integrated over p's quantiles.

Infinities are decided, not integrated: p's support not inside q's (closures of intervals), or
a Pareto p whose tail makes ``E_p log q`` diverge (``α ≤ m`` against a ``q`` with
``log q ~ −x^m``). A Gumbel q takes its ``e^{−z}`` term from p's moment-generating function
(:mod:`theorems.kl_closed_forms.gumbel`); a law on [0, 1] near its upper end is integrated as
the lower end of ``1 − X``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorems.kl_closed_forms.definition import Definition, infinite
from theorems.kl_closed_forms.direct import direct
from theorems.kl_closed_forms.families import FAMILIES, ContinuousBernoulliLaw
from theorems.kl_closed_forms.gumbel import TILTED, against_gumbel
from theorems.kl_closed_forms.laws import Law, log_density_terms, scalar_law, scalars
from theorems.kl_closed_forms.quantiles import break_points, quantile_definition


def continuous_definition(p: Law, q: Law, law_p: Any, law_q: Any) -> Definition:
    """KL(p‖q) for a continuous p on the line (``law_p``, ``law_q``: their scipy laws)."""
    family_p, family_q = FAMILIES[p.family], FAMILIES[q.family]
    lo_p, hi_p = family_p.support(**scalars(p))
    lo_q, hi_q = family_q.support(**scalars(q))
    if family_q.discrete or lo_p < lo_q or hi_p > hi_q:
        return infinite(f"p's support [{lo_p:.6g}, {hi_p:.6g}] is not inside q's [{lo_q:.6g}, {hi_q:.6g}]")
    if p.family == "Pareto" and family_q.tail and scalars(p)["alpha"] <= family_q.tail:
        return infinite(f"E_p log q diverges: p's tail x^-(α+1), α = {scalars(p)['alpha']:.6g} ≤ {family_q.tail:g}, against log q ~ −x^{family_q.tail:g}")
    if q.family == "Gumbel" and p.family in TILTED:
        return against_gumbel(p, q, law_p)
    reflected = reflected_side(p, q) if p.family in REFLECTED else None
    return quantile_definition(law_p, law_q, break_points(q, family_q), log_density_terms(p, family_p), log_density_terms(q, family_q), reflected)


# Laws on [0, 1] whose upper half is integrated as the lower half of 1 − X: near 1 the
# quantile 1 − y keeps no digit of a y below 1e-16, where a Beta(·, ½) still has mass.
# (Not Uniform: its density is flat to its ends, and 1 − high, 1 − low would round a narrow
# interval's width, and so its density, by u/width.)
REFLECTED = {"Beta": ("concentration0", "concentration1"), "ContinuousBernoulli": ("probs",)}


def _reflection(law: Law) -> Law | None:
    """The law of 1 − X as a Law of the same family, where the family is closed under it."""
    values = scalars(law)
    if law.family == "Beta":
        return scalar_law("Beta", concentration1=values["concentration0"], concentration0=values["concentration1"])
    if law.family == "ContinuousBernoulli":
        return scalar_law("ContinuousBernoulli", probs=1.0 - values["probs"])
    if law.family == "Uniform":
        return scalar_law("Uniform", low=1.0 - values["high"], high=1.0 - values["low"])
    return None


def _reflected_scipy(law: Law, reflection: Law) -> Any:
    """The oracle's law of 1 − X: a continuous Bernoulli keeps λ as its exact complement
    (its parameter 1 − λ rounds, and fl(1 − fl(1 − λ)) keeps 10 digits of λ = 1e-6)."""
    if law.family == "ContinuousBernoulli":
        return ContinuousBernoulliLaw(scalars(law)["probs"]).reflected()
    return FAMILIES[law.family].scipy(**scalars(reflection))


@dataclass(frozen=True)
class _AtOneMinus:
    """A law evaluated at 1 − y (its log-density and terms), for a q not closed under reflection."""

    law: Any
    terms: Callable[[np.ndarray], np.ndarray]

    def logpdf(self, y: np.ndarray) -> np.ndarray:
        return self.law.logpdf(1.0 - y)

    def cdf(self, y: float) -> float:
        return float(self.law.sf(1.0 - y))


def reflected_side(p: Law, q: Law) -> tuple[Any, Any, Callable, Callable, list[float]]:
    """p's and q's laws (and terms) as functions of y = 1 − x, and q's breaks in y."""
    p_r = _reflection(p)
    q_r = _reflection(q)
    family_p = FAMILIES[p.family]
    law_p_r = _reflected_scipy(p, p_r)
    if q_r is not None:
        law_q_r, terms_q_r = _reflected_scipy(q, q_r), log_density_terms(q_r, FAMILIES[q.family])
    else:
        terms_q = log_density_terms(q, FAMILIES[q.family])
        law_q_r = _AtOneMinus(direct(FAMILIES[q.family].scipy(**scalars(q))), terms_q)
        terms_q_r = lambda y: terms_q(1.0 - y)  # noqa: E731
    breaks_r = [1.0 - x for x in break_points(q, FAMILIES[q.family])]
    return law_p_r, law_q_r, log_density_terms(p_r, family_p), terms_q_r, breaks_r


