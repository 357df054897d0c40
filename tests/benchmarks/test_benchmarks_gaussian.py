"""Benchmarks (``pytest --benchmark-only -p no:xdist``): routes to a 2-D Gaussian KL, and each check.

The issue's claim: a naive ``scipy.integrate.dblquad`` of a 2-D Gaussian KL takes
about 2 s, the whitened Gauss–Hermite route about 1 ms, for the same accuracy.
"""

from __future__ import annotations

import pytest
import math

import numpy as np
from scipy import integrate

from theorems.gaussian_density.check import AffineGaussianCase, gaussian_log_density_by_cholesky
from theorems.gaussian_density.statement import AFFINE_GAUSSIAN_DENSITY
from theorems.gaussian_kl.check import GaussianPair, gaussian_kl_by_gauss_hermite
from theorems.gaussian_kl.statement import GAUSSIAN_KL
from theorems.kl.check import IndependentPmfs, PmfPair
from theorems.kl.statement import KL_ADDITIVITY, KL_NONNEGATIVITY

MU0, MU1 = np.array([0.3, -0.2]), np.array([1.0, 0.5])
COV0 = np.array([[1.0, 0.4], [0.4, 0.8]])
COV1 = np.array([[2.0, -0.3], [-0.3, 1.5]])


def kl_by_dblquad() -> float:
    def integrand(y: float, x: float) -> float:
        point = np.array([[x, y]])
        log_f = gaussian_log_density_by_cholesky(point, MU0, COV0)[0]
        return math.exp(log_f) * (log_f - gaussian_log_density_by_cholesky(point, MU1, COV1)[0])

    return integrate.dblquad(integrand, -math.inf, math.inf, -math.inf, math.inf, epsabs=1e-10, epsrel=1e-10)[0]


def kl_by_monte_carlo(samples: int = 100_000) -> float:
    rng = np.random.default_rng(0)
    x = MU0 + rng.standard_normal((samples, 2)) @ np.linalg.cholesky(COV0).T
    return float(np.mean(gaussian_log_density_by_cholesky(x, MU0, COV0) - gaussian_log_density_by_cholesky(x, MU1, COV1)))


@pytest.mark.benchmark(group="oracle: Gaussian KL")
def test_naive_dblquad_of_a_2d_gaussian_kl(benchmark) -> None:
    benchmark.pedantic(kl_by_dblquad, rounds=3, iterations=1)


@pytest.mark.benchmark(group="oracle: Gaussian KL")
def test_gauss_hermite_of_a_2d_gaussian_kl(benchmark) -> None:
    benchmark(gaussian_kl_by_gauss_hermite, MU0, COV0, MU1, COV1)


@pytest.mark.benchmark(group="oracle: Gaussian KL")
def test_monte_carlo_of_a_2d_gaussian_kl_with_1e5_samples(benchmark) -> None:
    benchmark(kl_by_monte_carlo)


@pytest.mark.benchmark(group="check per example (hand-picked)")
def test_gaussian_kl_check_per_example(benchmark) -> None:
    pair = GaussianPair(MU0, COV0, MU1, COV1)
    benchmark(GAUSSIAN_KL.check_reference, pair)


@pytest.mark.benchmark(group="check per example (hand-picked)")
def test_affine_gaussian_density_check_per_example(benchmark) -> None:
    matrix = np.array([[1.0, 0.4], [-0.3, 0.8]])
    case = AffineGaussianCase(matrix, MU0, MU0 + np.array([[0.5, -1.0], [2.0, 0.1], [0.0, 0.0]]) @ matrix.T)
    benchmark(AFFINE_GAUSSIAN_DENSITY.check_reference, case)


@pytest.mark.benchmark(group="check per example (hand-picked)")
def test_kl_nonnegativity_check_per_example(benchmark) -> None:
    pair = PmfPair(np.array([0.2, 0.3, 0.5, 0.0]), np.array([0.25, 0.25, 0.25, 0.25]))
    benchmark(KL_NONNEGATIVITY.check_reference, pair)


@pytest.mark.benchmark(group="check per example (hand-picked)")
def test_kl_additivity_check_per_example(benchmark) -> None:
    case = IndependentPmfs((np.array([0.2, 0.8]), np.array([0.5, 0.25, 0.25])), (np.array([0.5, 0.5]), np.array([0.1, 0.6, 0.3])))
    benchmark(KL_ADDITIVITY.check_reference, case)
