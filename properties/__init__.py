"""Hypothesis strategies for the theorems' examples, public library code (``theorems.strategies``).

In the repository these live in ``properties/``; installed, they are
``theorems.strategies``, in the manner of ``hypothesis.extra.numpy``: keyword-only
arguments that restrict the domain (the same names as ``--assume``), validated at once
with ``InvalidArgument`` naming ``name=value``. Use them in your own property tests::

    from hypothesis import given
    from theorems.strategies import conv_cases

    @given(conv_cases(dims=2, dtype="float32"))
    def test_my_fold(case):
        folded = my_fold(case.layer, case.bn)
        ...

Continuous values come from torch or numpy under a Hypothesis-drawn seed
(:mod:`theorems.strategies.seeding`), so every example replays and shrinks.
"""

from __future__ import annotations

import importlib
from typing import Any

# Each name is imported from its module when first used: a fold check does not import
# scipy for the Gaussian strategies (0.8 s here).
_HOMES = {
    "batchnorms": "fold",
    "conv_cases": "fold",
    "conv_transpose_cases": "fold",
    "linear_cases": "fold",
    "network_cases": "fold",
    "normalised_images": "fold",
    "affine_gaussian_cases": "gaussian",
    "covariances": "gaussian",
    "gaussian_pairs": "gaussian",
    "invertible_matrices": "gaussian",
    "rotations": "gaussian",
    "densities": "kl",
    "density_pairs": "kl",
    "law_pairs": "distributions",
    "parameter_draws": "log_prob_normalises",
    "moment_draws": "moments_match_log_prob",
    "cdf_cases": "cdf_matches_log_prob",
    "sampler_cases": "sampler_matches_log_prob",
    "constraint_values": "log_prob_normalises",
    "laws": "distributions",
    "independent_pmfs": "kl",
    "pmf_pairs": "kl",
    "pmfs": "kl",
    "log_scales": "seeding",
    "seeds": "seeding",
    "torch_seeded": "seeding",
    "general_cases": "toeplitz",
    "transform_cases": "transforms",
    "transform_draws": "transform_laws",
    "gradient_cases": "toeplitz",
    "relu_cases": "variance",
    "variance_cases": "variance",
}

__all__ = [
    "affine_gaussian_cases",
    "batchnorms",
    "conv_cases",
    "constraint_values",
    "conv_transpose_cases",
    "covariances",
    "densities",
    "density_pairs",
    "gaussian_pairs",
    "general_cases",
    "gradient_cases",
    "independent_pmfs",
    "invertible_matrices",
    "law_pairs",
    "laws",
    "linear_cases",
    "log_scales",
    "network_cases",
    "normalised_images",
    "parameter_draws",
    "moment_draws",
    "cdf_cases",
    "sampler_cases",
    "pmf_pairs",
    "pmfs",
    "relu_cases",
    "rotations",
    "seeds",
    "torch_seeded",
    "transform_cases",
    "transform_draws",
    "variance_cases",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
