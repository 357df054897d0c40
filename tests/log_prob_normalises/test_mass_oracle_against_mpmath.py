"""The mass oracles of ``log-prob-normalises`` against mpmath's quadrature at 30 digits.

An oracle is trusted once compared with an independent value of higher precision (STYLE 13). Each
law's textbook density is written here in mpmath and integrated by mpmath's tanh-sinh quadrature
over its support; the oracle's mass of torch's ``log_prob`` must lie within the oracle's own bar
(``QUADRATURE_SAFETY ×`` its estimate + its rounding and left-out mass) of that value. Heavy tails
included: Cauchy, StudentT with df on both sides of 1, Pareto with α below 1, and an end singularity.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch
from torch import distributions as D

from theorems.log_prob_normalises.check import mass_of
from theorems.log_prob_normalises.oracle import parameter_terms
from theorems.oracles.quadrature import QUADRATURE_SAFETY

DIGITS = 30
mp = mpmath.mp


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def _student(df, loc, scale):
    def density(x):
        z = (x - loc) / scale
        return mpmath.gamma((df + 1) / 2) / (mpmath.sqrt(df * mpmath.pi) * mpmath.gamma(df / 2) * scale) * (1 + z * z / df) ** (-(df + 1) / 2)

    return density


# name: (torch law, textbook density at mpmath precision, mpmath's pieces of the support)
LAWS = {
    "Cauchy": (lambda: D.Cauchy(_t(0.3), _t(1e-3)), lambda x: 1 / (mpmath.pi * mpmath.mpf("1e-3") * (1 + ((x - mpmath.mpf(0.3)) / mpmath.mpf("1e-3")) ** 2)), [-mpmath.inf, 0.3, mpmath.inf]),
    "StudentT df 1.01": (lambda: D.StudentT(_t(1.01), _t(0.0), _t(2.0)), _student(mpmath.mpf(1.01), 0, 2), [-mpmath.inf, 0, mpmath.inf]),
    "StudentT df 0.9": (lambda: D.StudentT(_t(0.9), _t(5.0), _t(1.0)), _student(mpmath.mpf(0.9), 5, 1), [-mpmath.inf, 5, mpmath.inf]),
    "Pareto α 0.7": (lambda: D.Pareto(_t(2.0), _t(0.7)), lambda x: mpmath.mpf(0.7) * mpmath.mpf(2) ** mpmath.mpf(0.7) / x ** mpmath.mpf(1.7), [2, 4, mpmath.inf]),
    "Pareto α 3": (lambda: D.Pareto(_t(1e-3), _t(3.0)), lambda x: 3 * mpmath.mpf("1e-3") ** 3 / x**4, [1e-3, 2e-3, mpmath.inf]),
    "Beta with a singular end": (lambda: D.Beta(_t(0.6), _t(2.0)), lambda x: x ** mpmath.mpf(-0.4) * (1 - x) / mpmath.beta(mpmath.mpf(0.6), 2), [0, 0.5, 1]),
    "Normal narrow and far": (lambda: D.Normal(_t(1e4), _t(1e-3)), lambda x: mpmath.npdf(x, 10000, mpmath.mpf("1e-3")), [-mpmath.inf, 10000, mpmath.inf]),
}


@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_mass_oracle_is_within_its_bar_of_mpmath(name: str) -> None:
    build, density, pieces = LAWS[name]
    law = build()
    found = mass_of(law, 1, parameter_terms({}, 1))
    with mpmath.workdps(DIGITS):
        exact = mpmath.quad(density, [mpmath.mpf(p) for p in pieces])
    bar = QUADRATURE_SAFETY * float(found.error[0]) + float(found.rounding[0])
    error = abs(mpmath.mpf(float(found.value[0])) - exact)
    assert error <= bar, f"{name}: oracle {found.value[0]!r}, mpmath {mpmath.nstr(exact, 20)}, error {float(error):.3g} above its bar {bar:.3g}"


def test_the_sum_oracle_matches_mpmath_on_a_poisson_whose_first_terms_underflow() -> None:
    law = D.Poisson(_t(300.0))
    found = mass_of(law, 1, parameter_terms({"rate": _t(300.0)}, 1))
    with mpmath.workdps(DIGITS):  # the terms past 1 000 are below 1e-150 and fall faster than 0.3^k
        exact = mpmath.fsum(mpmath.exp(k * mpmath.log(300) - 300 - mpmath.loggamma(k + 1)) for k in range(1000))
    assert abs(mpmath.mpf(float(found.value[0])) - exact) <= float(found.rounding[0])
    assert np.all(found.error == 0)
