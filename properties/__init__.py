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

from theorems.strategies.fold import (
    batchnorms,
    conv_cases,
    conv_transpose_cases,
    linear_cases,
    network_cases,
    normalised_images,
)
from theorems.strategies.gaussian import affine_gaussian_cases, covariances, gaussian_pairs, invertible_matrices, rotations
from theorems.strategies.kl import densities, density_pairs, independent_pmfs, pmf_pairs, pmfs
from theorems.strategies.seeding import log_scales, seeds, torch_seeded
from theorems.strategies.toeplitz import general_cases, gradient_cases
from theorems.strategies.variance import relu_cases, variance_cases

__all__ = [
    "affine_gaussian_cases",
    "batchnorms",
    "conv_cases",
    "conv_transpose_cases",
    "covariances",
    "densities",
    "density_pairs",
    "gaussian_pairs",
    "general_cases",
    "gradient_cases",
    "independent_pmfs",
    "invertible_matrices",
    "linear_cases",
    "log_scales",
    "network_cases",
    "normalised_images",
    "pmf_pairs",
    "pmfs",
    "relu_cases",
    "rotations",
    "seeds",
    "torch_seeded",
    "variance_cases",
]
