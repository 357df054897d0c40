"""The distribution-function oracle of ``cdf-matches-log-prob`` against 50-digit values (STYLE 13).

Each law's distribution function in closed form, evaluated by mpmath at 50 digits (never torch's); the
oracle's F at its points, from torch's ``log_prob``, must lie within the oracle's own bar of it, at the
median and far in both tails (levels 1e-12 and 1 − 1e-12). The hard cases: heavy tails (Cauchy, Pareto
with α 0.7), tiny and far scales (Normal(1e4, 1e-3), LogNormal with σ 1e-3), singular ends (Gamma with
α 0.3, Weibull with k ½) and a doubly exponential tail (Gumbel's left).
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import pytest
import torch
from torch import distributions as D

from theorems.cdf_matches_log_prob.oracle import cdf_by_quadrature
from theorems.log_prob_normalises.oracle import parameter_terms

DIGITS = 50
LEVELS = (1e-12, 0.5, 1 - 1e-12)
mp = mpmath.mpf


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


# name: (torch law, its distribution function at 50 digits)
LAWS: dict[str, tuple[Callable[[], D.Distribution], Callable[[mpmath.mpf], mpmath.mpf]]] = {
    "Cauchy": (lambda: D.Cauchy(_t(0.3), _t(2.0)), lambda x: mpmath.atan((x - mp(0.3)) / 2) / mpmath.pi + mp(1) / 2),
    "Pareto α 0.7": (lambda: D.Pareto(_t(2.0), _t(0.7)), lambda x: 1 - (2 / x) ** mp(0.7)),
    "Normal narrow and far": (lambda: D.Normal(_t(1e4), _t(1e-3)), lambda x: mpmath.erfc(-(x - 10000) / (mp(1e-3) * mpmath.sqrt(2))) / 2),
    "LogNormal σ 1e-3": (lambda: D.LogNormal(_t(10.0), _t(1e-3)), lambda x: mpmath.erfc(-(mpmath.log(x) - 10) / (mp(1e-3) * mpmath.sqrt(2))) / 2),
    "Gamma α 0.3": (lambda: D.Gamma(_t(0.3), _t(2.0)), lambda x: mpmath.gammainc(mp(0.3), 0, 2 * x, regularized=True)),
    "Weibull k ½": (lambda: D.Weibull(_t(1.5), _t(0.5)), lambda x: -mpmath.expm1(-((x / mp(1.5)) ** mp(0.5)))),
    "Gumbel": (lambda: D.Gumbel(_t(0.3), _t(1.5)), lambda x: mpmath.exp(-mpmath.exp(-(x - mp(0.3)) / mp(1.5)))),
}


@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_distribution_function_oracle_is_within_its_bar_of_mpmath(name: str) -> None:
    build, exact = LAWS[name]
    found = cdf_by_quadrature(build(), 1, parameter_terms({}, 1), LEVELS)
    for j, level in enumerate(LEVELS):
        with mpmath.workdps(DIGITS):
            truth = exact(mpmath.mpf(float(found.x[j, 0])))
        error = abs(mpmath.mpf(float(found.value[j, 0])) - truth)
        assert error <= float(found.bar[j, 0]), f"{name} at level {level}: oracle {found.value[j, 0]!r}, mpmath {mpmath.nstr(truth, 20)}, error {float(error):.3g} above its bar {float(found.bar[j, 0]):.3g}"


def test_the_points_are_near_their_levels_and_inside_the_support() -> None:
    law = D.Exponential(_t(2.0))
    found = cdf_by_quadrature(law, 1, parameter_terms({}, 1), (1e-6, 0.5, 0.99))
    assert (found.x > 0).all()
    for j, level in enumerate((1e-6, 0.5, 0.99)):
        assert abs(float(found.value[j, 0]) - level) <= 0.05 * min(level, 1 - level) + 0.02
