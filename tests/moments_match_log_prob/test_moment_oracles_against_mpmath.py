"""The moment oracles of ``moments-match-log-prob`` against 50-digit values (STYLE 13).

Each law's mean, variance and entropy in closed form, evaluated by mpmath at 50 digits (never torch's
formulas); the oracle's value from torch's ``log_prob`` must lie within the oracle's own bar of it. The
hard cases: heavy tails (StudentT with df 3.5, Pareto with α 2.5, LogNormal with σ 2), tiny and far
scales (Normal(1e4, 1e-3), Gumbel with scale 1e-6, Cauchy with scale 1e-3), singular ends (Gamma and
Beta below 1), a near-degenerate shape (Kumaraswamy with a = 50), and the integers (Poisson(300)).
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np
import pytest
import torch
from torch import distributions as D

from theorems.log_prob_normalises.oracle import parameter_terms
from theorems.moments_match_log_prob.oracle import moments_of

DIGITS = 50
mp = mpmath.mpf


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def _student_t(df: float, scale: float) -> dict[str, Callable[[], mpmath.mpf]]:
    nu, s = mp(df), mp(scale)
    return {
        "variance": lambda: s**2 * nu / (nu - 2),
        "entropy": lambda: mpmath.log(s) + (nu + 1) / 2 * (mpmath.digamma((nu + 1) / 2) - mpmath.digamma(nu / 2)) + mpmath.log(mpmath.sqrt(nu) * mpmath.beta(nu / 2, mp(0.5))),
    }


def _pareto(scale: float, alpha: float) -> dict[str, Callable[[], mpmath.mpf]]:
    s, a = mp(scale), mp(alpha)
    return {"mean": lambda: a * s / (a - 1), "variance": lambda: s**2 * a / ((a - 1) ** 2 * (a - 2)), "entropy": lambda: mpmath.log(s / a) + 1 + 1 / a}


def _gamma(alpha: float, rate: float) -> dict[str, Callable[[], mpmath.mpf]]:
    a, r = mp(alpha), mp(rate)
    return {"mean": lambda: a / r, "variance": lambda: a / r**2, "entropy": lambda: a - mpmath.log(r) + mpmath.loggamma(a) + (1 - a) * mpmath.digamma(a)}


def _beta(a: float, b: float) -> dict[str, Callable[[], mpmath.mpf]]:
    x, y = mp(a), mp(b)
    return {
        "mean": lambda: x / (x + y),
        "variance": lambda: x * y / ((x + y) ** 2 * (x + y + 1)),
        "entropy": lambda: mpmath.log(mpmath.beta(x, y)) - (x - 1) * mpmath.digamma(x) - (y - 1) * mpmath.digamma(y) + (x + y - 2) * mpmath.digamma(x + y),
    }


def _kumaraswamy(a: float, b: float) -> dict[str, Callable[[], mpmath.mpf]]:
    x, y = mp(a), mp(b)

    def moment(n: int) -> mpmath.mpf:
        return y * mpmath.beta(1 + n / x, y)

    return {"mean": lambda: moment(1), "variance": lambda: moment(2) - moment(1) ** 2}


def _poisson(rate: float) -> dict[str, Callable[[], mpmath.mpf]]:
    r = mp(rate)

    def entropy() -> mpmath.mpf:
        terms = (mpmath.exp(k * mpmath.log(r) - r - mpmath.loggamma(k + 1)) for k in range(2000))
        return -mpmath.fsum(p * mpmath.log(p) for p in terms if p > 0)

    return {"mean": lambda: r, "variance": lambda: r, "entropy": entropy}


# name: (torch law, the quantities' 50-digit values)
LAWS = {
    "StudentT df 3.5": (lambda: D.StudentT(_t(3.5), _t(0.0), _t(2.0)), _student_t(3.5, 2.0)),
    "Pareto α 2.5, scale 1e-3": (lambda: D.Pareto(_t(1e-3), _t(2.5)), _pareto(1e-3, 2.5)),
    "LogNormal σ 2": (lambda: D.LogNormal(_t(0.0), _t(2.0)), {"mean": lambda: mpmath.exp(2), "variance": lambda: (mpmath.exp(4) - 1) * mpmath.exp(4)}),
    "Normal narrow and far": (
        lambda: D.Normal(_t(1e4), _t(1e-3)),
        {"mean": lambda: mp(1e4), "variance": lambda: mp(1e-3) ** 2, "entropy": lambda: mpmath.log(mp(1e-3) * mpmath.sqrt(2 * mpmath.pi * mpmath.e))},
    ),
    "Gumbel scale 1e-6": (lambda: D.Gumbel(_t(0.3), _t(1e-6)), {"mean": lambda: mp(0.3) + mp(1e-6) * mpmath.euler, "variance": lambda: (mpmath.pi * mp(1e-6)) ** 2 / 6}),
    "Cauchy scale 1e-3": (lambda: D.Cauchy(_t(0.3), _t(1e-3)), {"entropy": lambda: mpmath.log(4 * mpmath.pi * mp(1e-3))}),
    "Gamma α 0.3 (singular at 0)": (lambda: D.Gamma(_t(0.3), _t(2.0)), _gamma(0.3, 2.0)),
    "Beta(0.6, 2) (singular at 0)": (lambda: D.Beta(_t(0.6), _t(2.0)), _beta(0.6, 2.0)),
    "Kumaraswamy a 50 (near 1)": (lambda: D.Kumaraswamy(_t(50.0), _t(2.0)), _kumaraswamy(50.0, 2.0)),
    "Poisson(300)": (lambda: D.Poisson(_t(300.0)), _poisson(300.0)),
}


@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_moment_oracle_is_within_its_bar_of_mpmath(name: str) -> None:
    build, exact = LAWS[name]
    found = moments_of(build(), 1, parameter_terms({}, 1)).found
    for quantity, value in exact.items():
        with mpmath.workdps(DIGITS):
            truth = value()
        moment = found[quantity]
        error = abs(mpmath.mpf(float(moment.value[0])) - truth)
        assert error <= float(moment.bar[0]), f"{name} {quantity}: oracle {moment.value[0]!r}, mpmath {mpmath.nstr(truth, 20)}, error {float(error):.3g} above its bar {float(moment.bar[0]):.3g}"


@pytest.mark.parametrize(
    ("law", "mode"),
    [(D.Gamma(_t(3.0), _t(2.0)), 1.0), (D.LogNormal(_t(0.0), _t(0.5)), float(mpmath.exp(-0.25))), (D.Beta(_t(2.0), _t(5.0)), 0.2)],
    ids=["Gamma(3, 2)", "LogNormal(0, ½)", "Beta(2, 5)"],
)
def test_the_top_the_oracle_finds_is_as_high_as_the_true_mode(law: D.Distribution, mode: float) -> None:
    peak = moments_of(law, 1, np.zeros(1), integrate=False).peak
    at_mode = law.log_prob(_t(mode)).item()
    assert peak.log_p[0] >= at_mode - peak.rounding[0] and abs(peak.x[0] - mode) < 1e-6 and peak.unique[0]
