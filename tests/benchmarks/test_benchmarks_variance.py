"""Benchmarks (``pytest --benchmark-only``): networks sampled per second by each sampler.

The batched sampler must be at least 50× faster per network than building real
``nn.Linear`` modules; both return the end-to-end map ``(M, c)`` of each network.
"""

from __future__ import annotations

import pytest
import torch

from theorems.variance.monte_carlo import end_to_end_maps_batched, end_to_end_maps_from_linear_modules

WIDTHS = (8, 8, 8, 8)
LOOP_NETWORKS = 200
BATCHED_NETWORKS = 20000


@pytest.mark.benchmark(group="variance: sampling networks")
def test_linear_module_sampler_networks_per_second(benchmark) -> None:
    benchmark.extra_info["networks"] = LOOP_NETWORKS
    benchmark(end_to_end_maps_from_linear_modules, WIDTHS, LOOP_NETWORKS, seed=0)


@pytest.mark.benchmark(group="variance: sampling networks")
def test_batched_sampler_networks_per_second(benchmark) -> None:
    benchmark.extra_info["networks"] = BATCHED_NETWORKS
    generator = torch.Generator().manual_seed(0)
    benchmark(end_to_end_maps_batched, WIDTHS, BATCHED_NETWORKS, generator=generator)
