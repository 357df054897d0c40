"""Strategies for pairs of ``torch.distributions`` laws, one class per registered KL pair.

``law_pairs(pair="Gamma-Normal")`` draws a batch of one to three pairs of laws of those
families (``pair`` names p's family, a hyphen, q's family, as ``torch.distributions.kl``
registers them; ``ExponentialFamily-ExponentialFamily``, torch's generic Bregman
fallback, is drawn as two Wisharts, the only installed family routed to it).

Parameters run from the realistic to the extreme: scales and rates ``10**e`` with ``e``
in ``[-8, 8]``, locations up to ``±1e8`` and exactly 0, concentrations from 1e-3 to 1e4,
probabilities with exact 0 and 1 where the family admits them and within ``1e-15`` of
them, ``0.5 ± 10**e`` for the continuous Bernoulli's unstable centre, Pareto tail indices
on both sides of the moments q needs. Between laws of one family, q is either drawn
independently, within a relative ``10**e`` of p (the closed form cancels), or equal to
p (KL = 0). Where q's support is bounded, p's is put inside it half the time, so that
both the finite and the infinite KLs are drawn.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from theorems.kl_closed_forms.families import FAMILIES
from theorems.kl_closed_forms.laws import Law, LawPair
from theorems.kl_closed_forms.statement import KL_PAIRS
from theorems.strategies._domain import one_of_values

__all__ = ["classify_law_pair", "law_pairs", "laws"]

BATCH = (1, 2, 3)
# torch routes only Wishart to its generic exponential-family KL.
STAND_IN = {"ExponentialFamily": "Wishart"}


# The parameter strategies below are built once per argument and kept (functools.cache): a draw asks
# for them hundreds of times per example, and Hypothesis validates each freshly built strategy
# tree (measured: most of a law pair's draw, about 8 ms of 10). A kept strategy is the same tree,
# so the same choices draw the same values: the examples are unchanged.
@functools.cache
def _exponent(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high).map(lambda e: float(10.0**e))


@functools.cache
def positive(low: float = -8.0, high: float = 8.0) -> st.SearchStrategy[float]:
    """A scale or rate: realistic (0.1 to 10) or anywhere in ``10**[low, high]``."""
    return st.one_of(st.floats(0.1, 10.0), _exponent(low, high))


# Concentrations below ½ put p's quantiles below the smallest double over much of a tail
# (Beta(0.1, ·): x ≈ u^10): the quadrature oracle cannot resolve them in float64.
SMALLEST_CONCENTRATION = 0.5


@functools.cache
def concentration() -> st.SearchStrategy[float]:
    return st.one_of(st.floats(0.5, 10.0), _exponent(np.log10(SMALLEST_CONCENTRATION), 4))


@functools.cache
def location() -> st.SearchStrategy[float]:
    return st.one_of(st.just(0.0), st.floats(-10.0, 10.0), st.tuples(st.sampled_from((-1.0, 1.0)), _exponent(-8, 8)).map(lambda t: t[0] * t[1]))


@functools.cache
def probability(*, zero: bool, one: bool) -> st.SearchStrategy[float]:
    """In (0, 1): realistic, or within ``10**e`` (down to 1e-15) of 0 or 1; exactly 0 or 1 where allowed."""
    options = [st.floats(0.01, 0.99), _exponent(-15, -1), _exponent(-15, -1).map(lambda t: 1.0 - t)]
    options += [st.just(0.0)] if zero else []
    options += [st.just(1.0)] if one else []
    return st.one_of(*options)


@functools.cache
def _continuous_bernoulli_probs() -> st.SearchStrategy[float]:
    # Around ½ the normaliser is 0/0: torch switches to a Taylor expansion inside (0.499, 0.501).
    centre = st.tuples(st.sampled_from((-1.0, 1.0)), _exponent(-12, -1.5)).map(lambda t: 0.5 + t[0] * t[1])
    return st.one_of(st.floats(0.01, 0.99), centre, st.just(0.5), _exponent(-6, -1), _exponent(-6, -1).map(lambda t: 1.0 - t))


@functools.cache
def _scalar_parameters(family: str) -> dict[str, st.SearchStrategy[float]]:
    table: dict[str, dict[str, st.SearchStrategy[float]]] = {
        "Normal": {"loc": location(), "scale": positive()},
        "HalfNormal": {"scale": positive()},
        "Laplace": {"loc": location(), "scale": positive()},
        "Cauchy": {"loc": location(), "scale": positive()},
        "Gumbel": {"loc": location(), "scale": positive()},
        "Exponential": {"rate": positive()},
        "Gamma": {"concentration": concentration(), "rate": positive()},
        "Beta": {"concentration1": concentration(), "concentration0": concentration()},
        "ContinuousBernoulli": {"probs": _continuous_bernoulli_probs()},
        "Pareto": {"scale": positive(), "alpha": st.one_of(st.floats(0.5, 10.0), _exponent(-1, 2), st.sampled_from((1.0, 2.0)), _exponent(-12, -1).map(lambda t: 2.0 + t))},
        "Bernoulli": {"probs": probability(zero=True, one=True)},
        "Binomial": {"total_count": st.one_of(st.integers(0, 20), st.integers(0, 100_000)).map(float), "probs": probability(zero=True, one=True)},
        "Poisson": {"rate": st.one_of(st.just(0.0), positive(-8, 6))},
        "Geometric": {"probs": st.one_of(st.floats(0.01, 0.99), _exponent(-6, -1), st.just(1.0), _exponent(-15, -1).map(lambda t: 1.0 - t))},
    }
    return table[family]


@st.composite
def _uniform(draw: st.DrawFn, batch: int) -> Law:
    low = np.array([draw(location()) for _ in range(batch)])
    # Widths stay above a millionth of |low|: a narrower interval is not an interval in float64 for long.
    width = np.array([max(draw(positive()), 1e-6 * abs(x)) for x in low])
    return Law("Uniform", (("low", low), ("high", low + width)))


@st.composite
def _categorical(draw: st.DrawFn, family: str, batch: int, size: int) -> Law:
    from theorems.strategies.kl import pmfs

    return Law(family, (("probs", np.stack([draw(pmfs(size)) for _ in range(batch)])),))


@st.composite
def _spd(draw: st.DrawFn, dim: int) -> np.ndarray:
    from theorems.strategies.gaussian import covariances

    return draw(covariances(dim))


@st.composite
def _gaussian(draw: st.DrawFn, family: str, batch: int, dim: int) -> Law:
    loc = np.stack([np.array([draw(st.floats(-10, 10)) for _ in range(dim)]) for _ in range(batch)])
    if family == "MultivariateNormal":
        return Law(family, (("loc", loc), ("covariance_matrix", np.stack([draw(_spd(dim)) for _ in range(batch)]))))
    rank = draw(st.integers(1, dim))
    factor = np.stack([np.array([[draw(st.floats(-3, 3)) for _ in range(rank)] for _ in range(dim)]) for _ in range(batch)])
    diag = np.stack([np.array([draw(positive(-3, 3)) for _ in range(dim)]) for _ in range(batch)])
    return Law(family, (("loc", loc), ("cov_factor", factor), ("cov_diag", diag)))


@st.composite
def _dirichlet(draw: st.DrawFn, batch: int, size: int) -> Law:
    return Law("Dirichlet", (("concentration", np.array([[draw(concentration()) for _ in range(size)] for _ in range(batch)])),))


@st.composite
def _wishart(draw: st.DrawFn, batch: int, dim: int) -> Law:
    df = np.array([dim - 1 + draw(st.one_of(st.floats(0.5, 10.0), _exponent(-1, 2))) for _ in range(batch)])
    return Law("Wishart", (("df", df), ("covariance_matrix", np.stack([draw(_spd(dim)) for _ in range(batch)]))))


@st.composite
def _scalar_family(draw: st.DrawFn, family: str, shape: tuple[int, ...]) -> Law:
    if family == "Uniform":
        flat = draw(_uniform(int(np.prod(shape))))
        return Law("Uniform", tuple((name, value.reshape(shape)) for name, value in flat.params))
    parameters = _scalar_parameters(family)
    return Law(family, tuple((name, np.array([draw(strategy) for _ in range(int(np.prod(shape)))]).reshape(shape)) for name, strategy in parameters.items()))


@st.composite
def laws(draw: st.DrawFn, family: str, batch: int, *, event: int = 2) -> Law:
    """A batch of ``batch`` laws of ``family`` (``event``: the categories, dimension or components)."""
    if family in ("Categorical", "OneHotCategorical"):
        return draw(_categorical(family, batch, event))
    if family in ("MultivariateNormal", "LowRankMultivariateNormal"):
        return draw(_gaussian(family, batch, event))
    if family == "Dirichlet":
        return draw(_dirichlet(batch, event))
    if family == "Wishart":
        return draw(_wishart(batch, event))
    return draw(_scalar_family(family, (batch,)))


# --- pairs --------------------------------------------------------------------------------


def _near(draw: st.DrawFn, law: Law) -> Law:
    """q within a relative ``10**e`` of p, parameter by parameter (integer counts kept)."""
    factor = draw(st.tuples(st.sampled_from((-1.0, 1.0)), _exponent(-12, -2)).map(lambda t: 1.0 + t[0] * t[1]))
    params = []
    for name, value in law.params:
        moved = value if name == "total_count" else value * factor
        if name == "probs" and law.family == "ContinuousBernoulli":
            moved = np.where((moved > 0) & (moved < 1), moved, value)  # its normaliser needs 0 < λ < 1
        elif name == "probs":
            moved = np.clip(moved, 0.0, 1.0)
            moved = moved / moved.sum(axis=-1, keepdims=True) if value.ndim > 1 else moved
        if name == "high":
            moved = np.maximum(moved, dict(params)["low"] + 1e-6 * np.abs(dict(params)["low"]) + 1e-300)
        if name == "df":
            moved = np.maximum(moved, value)  # df must stay above dim − 1
        params.append((name, moved))
    return Law(law.family, tuple(params), law.base, law.transform)


def _support_inside(p: Law, q: Law, draw: st.DrawFn) -> Law:
    """q with its bounded support moved to contain p's (Uniform: the interval; Pareto: the scale)."""
    values = p.parameters
    if q.family == "Uniform":
        lo = values["low"] if p.family == "Uniform" else (values["scale"] if p.family == "Pareto" else np.zeros(p.batch))
        hi = values["high"] if p.family == "Uniform" else np.ones(p.batch)
        if p.family in ("Exponential", "Gamma", "HalfNormal", "Normal", "Laplace", "Gumbel", "Pareto"):
            return q  # an unbounded p never fits: KL = +∞ whatever q is
        margin = np.array([draw(st.one_of(st.just(0.25), st.just(0.0), _exponent(-8, 1))) for _ in range(p.batch)])
        return Law("Uniform", (("low", lo - margin * (hi - lo)), ("high", hi + margin * (hi - lo))))
    if q.family == "Pareto":
        lo = values["scale"] if p.family == "Pareto" else (values["low"] if p.family == "Uniform" else None)
        if lo is None or np.any(lo <= 0):
            return q
        shrink = np.array([draw(st.one_of(st.just(0.5), st.just(1.0), st.floats(0.01, 1.0))) for _ in range(p.batch)])
        return Law("Pareto", (("scale", lo * shrink), ("alpha", q.parameters["alpha"])))
    return q


def _typical_components(side: int, batch: int, components: int) -> Law:
    values = TYPICAL["Normal"][side]
    shift = np.arange(components, dtype=float)  # components that differ from one another
    return Law("Normal", (("loc", np.full((batch, components), values["loc"]) + shift), ("scale", np.full((batch, components), values["scale"]))))


@st.composite
def _independent(draw: st.DrawFn, batch: int) -> tuple[Law, Law]:
    if not draw(st.booleans()):
        return Law("Independent", base=_typical_components(0, batch, 3)), Law("Independent", base=_typical_components(1, batch, 3))
    family = draw(st.sampled_from(("Normal", "Gamma", "Beta", "Bernoulli")))
    components = draw(st.integers(1, 4))
    p = draw(_scalar_family(family, (batch, components)))
    q = draw(st.one_of(_scalar_family(family, (batch, components)), st.just(p)))
    return Law("Independent", base=p), Law("Independent", base=q)


@st.composite
def _transformed(draw: st.DrawFn, batch: int) -> tuple[Law, Law]:
    typical = not draw(st.booleans())
    base_p = typical_law("Normal", 0, batch) if typical else _resolvable_locations(draw(laws("Normal", batch)))
    base_q = typical_law("Normal", 1, batch) if typical else _resolvable_locations(draw(laws("Normal", batch)))
    if typical:
        return (Law("TransformedDistribution", base=base_p, transform="exp"), Law("TransformedDistribution", base=base_q, transform="exp"))
    if draw(st.booleans()):
        return (Law("TransformedDistribution", base=base_p, transform="exp"), Law("TransformedDistribution", base=base_q, transform="exp"))
    params = (("loc", np.array([draw(location()) for _ in range(batch)])), ("scale", np.array([draw(st.sampled_from((-1.0, 1.0))) * draw(positive()) for _ in range(batch)])))
    return (Law("TransformedDistribution", params, base_p, "affine"), Law("TransformedDistribution", params, base_q, "affine"))


# Each family's typical laws, one for p and another for q: the simplest example of every
# pair (the one each run's covered row draws) is then two different, ordinary laws with a
# finite KL wherever the supports allow, not a law against itself. Laws of the other
# families of a pair are fitted to p's support by _support_inside.
TYPICAL: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "Normal": ({"loc": 0.3, "scale": 1.7}, {"loc": -1.1, "scale": 0.6}),
    "HalfNormal": ({"scale": 1.3}, {"scale": 0.7}),
    "Laplace": ({"loc": 0.4, "scale": 1.2}, {"loc": -0.9, "scale": 2.5}),
    "Cauchy": ({"loc": 0.2, "scale": 0.8}, {"loc": 1.5, "scale": 2.2}),
    "Gumbel": ({"loc": 0.5, "scale": 1.4}, {"loc": -0.3, "scale": 2.1}),
    "Exponential": ({"rate": 1.6}, {"rate": 0.45}),
    "Gamma": ({"concentration": 2.5, "rate": 1.3}, {"concentration": 1.4, "rate": 0.8}),
    "Beta": ({"concentration1": 2.2, "concentration0": 3.1}, {"concentration1": 1.3, "concentration0": 0.8}),
    "ContinuousBernoulli": ({"probs": 0.3}, {"probs": 0.7}),
    "Uniform": ({"low": 0.2, "high": 0.9}, {"low": -0.5, "high": 1.5}),
    "Pareto": ({"scale": 1.5, "alpha": 3.5}, {"scale": 0.8, "alpha": 2.5}),
    "Bernoulli": ({"probs": 0.35}, {"probs": 0.6}),
    "Binomial": ({"total_count": 7.0, "probs": 0.35}, {"total_count": 7.0, "probs": 0.6}),
    "Poisson": ({"rate": 3.2}, {"rate": 1.7}),
    "Geometric": ({"probs": 0.3}, {"probs": 0.55}),
    "Categorical": ({"probs": [0.2, 0.5, 0.3]}, {"probs": [0.4, 0.25, 0.35]}),
    "OneHotCategorical": ({"probs": [0.2, 0.5, 0.3]}, {"probs": [0.4, 0.25, 0.35]}),
    "Dirichlet": ({"concentration": [2.0, 0.7, 3.5]}, {"concentration": [1.2, 1.9, 0.9]}),
    "MultivariateNormal": ({"loc": [0.3, -0.2], "covariance_matrix": [[1.5, 0.4], [0.4, 0.8]]}, {"loc": [-0.5, 0.6], "covariance_matrix": [[0.9, -0.3], [-0.3, 1.6]]}),
    "LowRankMultivariateNormal": (
        {"loc": [0.3, -0.2], "cov_factor": [[0.8], [0.5]], "cov_diag": [0.6, 0.9]},
        {"loc": [-0.5, 0.6], "cov_factor": [[-0.4], [1.1]], "cov_diag": [1.2, 0.5]},
    ),
    "Wishart": ({"df": 4.5, "covariance_matrix": [[1.5, 0.4], [0.4, 0.8]]}, {"df": 3.2, "covariance_matrix": [[0.9, -0.3], [-0.3, 1.6]]}),
}


def typical_law(family: str, side: int, batch: int) -> Law:
    """``batch`` copies of ``family``'s typical law for p (``side`` 0) or q (1)."""
    values = TYPICAL[family][side]
    return Law(family, tuple((name, np.stack([np.asarray(value, dtype=float)] * batch)) for name, value in values.items()))


@st.composite
def _pair_of(draw: st.DrawFn, name: str, batch: int) -> LawPair:
    p_family, q_family = (STAND_IN.get(family, family) for family in name.split("-"))
    if not draw(st.booleans()) and p_family in TYPICAL:
        p, q = typical_law(p_family, 0, batch), typical_law(q_family, 1, batch)
        return LawPair(p, _representable_gumbel(p, _support_inside(p, q, draw)))
    if p_family == "Independent":
        return LawPair(*draw(_independent(batch)))
    if p_family == "TransformedDistribution":
        return LawPair(*draw(_transformed(batch)))
    event = draw(st.integers(2, 4)) if p_family in ("Categorical", "OneHotCategorical", "Dirichlet") else draw(st.integers(1, 3)) if "Normal" in p_family and p_family != "Normal" else 2
    p = draw(laws(p_family, batch, event=event))
    if p_family == q_family:
        relation = draw(st.sampled_from(("independent", "near", "equal")))
        q = p if relation == "equal" else _near(draw, p) if relation == "near" else draw(laws(q_family, batch, event=event))
    else:
        q = draw(laws(q_family, batch, event=event))
    if draw(st.booleans()):
        q = _support_inside(p, q, draw)
    p, q = _resolvable_locations(p), _resolvable_locations(q)
    return LawPair(_resolvable_tail(p, q), _representable_gumbel(p, q))


# A location of 1e8 with a scale of 1e-8 is not a law float64 can evaluate (x − μ keeps no
# digit of x/σ): locations are capped at LOCATION_REACH scales of their own law.
LOCATION_REACH = 1e6


def _resolvable_locations(law: Law) -> Law:
    values = law.parameters
    if "loc" not in values or "scale" not in values or law.family == "TransformedDistribution":
        return law
    cap = LOCATION_REACH * np.abs(values["scale"])
    return Law(law.family, tuple((name, np.clip(value, -cap, cap) if name == "loc" else value) for name, value in law.params), law.base, law.transform)


# Against a q with log q ~ −x^m, a Pareto p's KL is finite for α > m, but for α in (m, m + ¼)
# the log-ratio's mean converges so slowly (over p's quantiles, like v^{−m/α}) that no
# quadrature resolves it in float64: such α are moved up by ¼ (α ≤ m, where KL = +∞, stays).
PARETO_MARGIN = 0.25


def _resolvable_tail(p: Law, q: Law) -> Law:
    tail = FAMILIES[q.family].tail if q.family in FAMILIES else 0.0
    if p.family != "Pareto" or not tail:
        return p
    alpha = p.parameters["alpha"]
    moved = np.where((alpha > tail) & (alpha < tail + PARETO_MARGIN), alpha + PARETO_MARGIN, alpha)
    return Law("Pareto", (("scale", p.parameters["scale"]), ("alpha", moved)))


# A Gumbel q's log-density holds exp(−(x − μ)/β), whose mean under p can exceed every
# double (then so does the KL): log E_p exp(−(x − μ)/β) is (μ − μ_p)/β + σ²/(2β²) for a
# Normal p, (μ − μ_p)/β + lgamma(1 + β_p/β) for a Gumbel p, at most (μ − inf supp p)/β for
# the others (supported on a half-line or an interval). q's scale is doubled until that
# log-mean is at most GUMBEL_REACH (KLs up to about e^600 stay drawn).
GUMBEL_REACH = 600.0


def _gumbel_log_mean(p: Law, loc: float, scale: float) -> float:
    values = {name: float(value[0]) for name, value in p.params}
    if p.family == "Normal":
        return (loc - values["loc"]) / scale + 0.5 * (values["scale"] / scale) ** 2
    if p.family == "Gumbel":
        return (loc - values["loc"]) / scale + math.lgamma(1 + values["scale"] / scale)
    low = FAMILIES[p.family].support(**values)[0]
    return (loc - low) / scale


def _representable_gumbel(p: Law, q: Law) -> Law:
    if q.family != "Gumbel":
        return q
    loc, scale = q.parameters["loc"], q.parameters["scale"].copy()
    for i in range(p.batch):
        while _gumbel_log_mean(p.element(i), float(loc[i]), float(scale[i])) > GUMBEL_REACH:
            scale[i] *= 2.0
    return Law("Gumbel", (("loc", loc), ("scale", scale)))


def law_pairs(*, pair: Any = None, batch: Any = None) -> st.SearchStrategy[LawPair]:
    """Pairs of laws of a registered pair of families (``pair``, or any), ``batch`` laws each (1 to 3)."""
    names = one_of_values("pair", pair, KL_PAIRS)
    sizes = one_of_values("batch", batch, BATCH)
    return st.tuples(names, sizes).flatmap(lambda t: _pair_of(*t))


def classify_law_pair(pair: LawPair) -> dict[str, Any]:
    """The example's ``pair`` class: p's family, a hyphen, q's (Wishart drawn for ExponentialFamily)."""
    name = "-".join({"Wishart": "ExponentialFamily"}.get(law.family, law.family) for law in (pair.p, pair.q))
    return {"pair": name}
