"""The discrete distribution function of ``sampler-matches-log-prob``'s oracle against mpmath's sums at 30 digits.

The continuous branch is cdf-matches-log-prob's oracle, compared with mpmath in its own tests; the running sums
over a window are this theorem's. Each law's textbook mass is written here in mpmath and summed exactly (the
closed-form regularized incomplete beta or gamma function checks the sum); at every integer of the oracle's
window, ``F(k)`` must lie within the oracle's bar of mpmath's. Large windows and tiny masses included.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import torch
from torch import distributions as D

from theorems.log_prob_normalises.oracle import parameter_terms
from theorems.sampler_matches_log_prob.oracle import distribution_function

DIGITS = 30


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def _poisson(rate: float):
    return lambda k: mpmath.gammainc(k + 1, mpmath.mpf(rate), regularized=True)  # P(X ≤ k) = Q(k + 1, λ)


def _binomial(n: int, p: float):
    # P(X ≤ k) = I_{1−p}(n − k, k + 1) below n, and 1 at n
    return lambda k: mpmath.betainc(n - k, k + 1, 0, 1 - mpmath.mpf(p), regularized=True) if k < n else mpmath.mpf(1)


def _geometric(p: float):
    return lambda k: 1 - (1 - mpmath.mpf(p)) ** (k + 1)


def _negative_binomial(r: float, p: float):
    # torch's NegativeBinomial counts successes of probability p before r failures: P(X ≤ k) = I_{1−p}(r, k + 1)
    return lambda k: mpmath.betainc(mpmath.mpf(r), k + 1, 0, 1 - mpmath.mpf(p), regularized=True)


# name: (torch law, P(X ≤ k) at mpmath precision)
LAWS = {
    "Poisson 2.5": (lambda: D.Poisson(_t(2.5)), _poisson(2.5)),
    "Poisson 1e4": (lambda: D.Poisson(_t(1e4)), _poisson(1e4)),
    "Binomial 40, 1e-3": (lambda: D.Binomial(_t(40.0), _t(1e-3)), _binomial(40, 1e-3)),
    "Binomial 200, 0.7": (lambda: D.Binomial(_t(200.0), _t(0.7)), _binomial(200, 0.7)),
    "Geometric 1e-3": (lambda: D.Geometric(_t(1e-3)), _geometric(1e-3)),
    "NegativeBinomial 3.5, 0.9": (lambda: D.NegativeBinomial(_t(3.5), _t(0.9)), _negative_binomial(3.5, 0.9)),
}


@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_running_sums_are_within_their_bar_of_mpmath(name: str) -> None:
    build, cdf = LAWS[name]
    grid = distribution_function(build(), 1, parameter_terms({}, 1))
    points = np.unique(np.linspace(0, len(grid.x) - 1, 40).astype(int))  # 40 integers across the window, ends included
    with mpmath.workdps(DIGITS):
        for j in points:
            k = int(grid.x[j, 0])
            error = abs(mpmath.mpf(float(grid.value[j, 0])) - cdf(k))
            assert error <= grid.bar[j, 0], f"{name}: F({k}) = {grid.value[j, 0]!r}, mpmath {mpmath.nstr(cdf(k), 20)}, error {float(error):.3g} above the bar {grid.bar[j, 0]:.3g}"
