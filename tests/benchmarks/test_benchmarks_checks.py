"""Benchmarks (``make bench``): every theorem's check per example, and the oracles beside it.

A check's cost depends on its example, so each theorem's check is timed over the first
ten examples of its own ``ci`` strategy (derandomized: the same ten on every machine)
and the table shows the time per example (``extra_info["examples"]`` is the divisor).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from scipy import stats

from theorems.gaussian_density.check import gaussian_log_density_by_cholesky
from theorems.gaussian_kl.check import GaussianPair, kl_by_median_of_means, torch_kl_divergence
from theorems.oracles.densities import (
    Axis,
    joint_kl_by_cubature,
    kl_by_quadrature,
    normal_density,
    normal_mixture_density,
)
from theorems._engine.registry import all_theorems
from theorems.oracles.statistics import largest_projection_ks_distance
from theorems.theorem import Theorem
from theorems.variance.monte_carlo import monte_carlo_estimate

EXAMPLES = 10


def ci_examples(theorem: Theorem, count: int = EXAMPLES) -> list[Any]:
    """The first ``count`` examples Hypothesis generates for ``theorem`` (derandomized)."""
    found: list[Any] = []

    @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(theorem.example_strategy())
    def collect(example: Any) -> None:
        found.append(example)

    collect()
    return found[:count]


@pytest.mark.benchmark(group="check per example")
@pytest.mark.parametrize("theorem", all_theorems(), ids=lambda theorem: theorem.id)
def test_check_of_the_reference_per_example(benchmark: Any, theorem: Theorem) -> None:
    examples = ci_examples(theorem, 2 if theorem.example_fraction < 1 else EXAMPLES)
    benchmark.extra_info["examples"] = len(examples)

    def check_all() -> None:
        for example in examples:
            assert theorem.check_reference(example).holds

    # The variance checks cache their Monte Carlo estimate per example (it does not depend
    # on the implementation under test); each round starts cold so that the sampling is timed.
    benchmark.pedantic(check_all, setup=monte_carlo_estimate.cache_clear, rounds=3, iterations=1, warmup_rounds=1)


# --- oracles of the KL theorems ---------------------------------------------------------

F, G = normal_mixture_density(0.3, -1.0, 0.5, 1.0, 1.2), normal_density(0.2, 1.5)


@pytest.mark.benchmark(group="oracle: KL of densities")
def test_kl_of_two_1d_densities_by_adaptive_quad(benchmark: Any) -> None:
    benchmark(kl_by_quadrature, F, G)


@pytest.mark.benchmark(group="oracle: KL of densities")
def test_kl_of_a_2d_joint_density_by_cubature(benchmark: Any) -> None:
    pairs = [(F, G), (normal_density(0.0, 1.0), normal_density(0.5, 0.8))]
    joint_f = lambda x: F.logpdf(x[:, 0]) + pairs[1][0].logpdf(x[:, 1])  # noqa: E731
    joint_g = lambda x: G.logpdf(x[:, 0]) + pairs[1][1].logpdf(x[:, 1])  # noqa: E731
    axes = [Axis.of(f, g) for f, g in pairs]
    benchmark.pedantic(joint_kl_by_cubature, (joint_f, joint_g, axes), rounds=3, iterations=1)


PAIR = GaussianPair(
    np.array([0.3, -0.2]), np.array([[1.0, 0.4], [0.4, 0.8]]), np.array([1.0, 0.5]), np.array([[2.0, -0.3], [-0.3, 1.5]])
)


@pytest.mark.benchmark(group="oracle: Gaussian KL")
def test_gaussian_kl_by_median_of_means_monte_carlo(benchmark: Any) -> None:
    benchmark.pedantic(kl_by_median_of_means, (PAIR, 0, 2e-9), rounds=3, iterations=1)


@pytest.mark.benchmark(group="oracle: Gaussian KL")
def test_gaussian_kl_by_torch_distributions(benchmark: Any) -> None:
    benchmark(torch_kl_divergence, PAIR.mu0, PAIR.cov0, PAIR.mu1, PAIR.cov1)


# --- oracles of the density theorem -----------------------------------------------------

MATRIX = np.array([[1.0, 0.4, 0.0], [-0.3, 0.8, 0.2], [0.1, 0.0, 1.5]])
SHIFT = np.array([0.5, -1.0, 2.0])
POINTS = np.random.default_rng(0).standard_normal((1000, 3))


@pytest.mark.benchmark(group="oracle: Gaussian density")
def test_log_density_by_cholesky_at_1000_points(benchmark: Any) -> None:
    benchmark(gaussian_log_density_by_cholesky, POINTS, SHIFT, MATRIX @ MATRIX.T)


@pytest.mark.benchmark(group="oracle: Gaussian density")
def test_scipy_multivariate_normal_logpdf_at_1000_points(benchmark: Any) -> None:
    benchmark(stats.multivariate_normal(SHIFT, MATRIX @ MATRIX.T).logpdf, POINTS)


@pytest.mark.benchmark(group="oracle: Gaussian density")
def test_goodness_of_fit_of_20000_samples_on_3_projections(benchmark: Any) -> None:
    samples = np.random.default_rng(1).standard_normal((20_000, 3)) @ MATRIX.T + SHIFT
    directions = np.random.default_rng(2).standard_normal((3, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    benchmark(largest_projection_ks_distance, samples, SHIFT, MATRIX @ MATRIX.T, directions)


# --- oracles of the Toeplitz theorems ---------------------------------------------------


@pytest.mark.benchmark(group="oracle: filter gradient")
def test_gradcheck_of_conv1d_in_float64(benchmark: Any) -> None:
    x = torch.randn(1, 2, 16, dtype=torch.float64)
    w = torch.randn(3, 2, 4, dtype=torch.float64, requires_grad=True)
    benchmark(torch.autograd.gradcheck, lambda weight: torch.nn.functional.conv1d(x, weight), (w,))


@pytest.mark.benchmark(group="oracle: filter gradient")
def test_central_finite_differences_of_a_conv1d_loss(benchmark: Any) -> None:
    x = torch.randn(1, 1, 64, dtype=torch.float64)
    w = torch.randn(1, 1, 5, dtype=torch.float64)
    step = math.sqrt(torch.finfo(torch.float64).eps)

    def differences() -> torch.Tensor:
        grads = torch.empty(5, dtype=torch.float64)
        for k in range(5):
            e = torch.zeros_like(w)
            e[..., k] = step
            grads[k] = (torch.nn.functional.conv1d(x, w + e).tanh().sum() - torch.nn.functional.conv1d(x, w - e).tanh().sum()) / (2 * step)
        return grads

    benchmark(differences)


def test_benchmark_the_guard_around_one_call(benchmark: Any) -> None:
    """What :mod:`theorems.guard` adds to each call of an implementation: reading and restoring
    the settings, the oracles' functions and the generators (torch, NumPy and SciPy loaded)."""
    import scipy.integrate  # noqa: F401  (the namespaces an oracle's process has loaded)
    import scipy.special  # noqa: F401

    from theorems.guard import guarded

    benchmark(guarded, lambda: None)
