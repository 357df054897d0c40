"""Deliberately wrong KL registries: torch's ``kl_divergence`` with one pair's closed form wrong.

Each is right on every pair but one (or one kind of value), as a registry with one bad
``@register_kl`` is: the generator must reach that pair (every run covers every registered
pair) and the oracle must resolve the mistake there.
"""

from __future__ import annotations

import torch
from torch import distributions as D

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


def _pair(p: D.Distribution, q: D.Distribution, p_type: type, q_type: type) -> bool:
    return type(p) is p_type and type(q) is q_type


def gamma_gamma_one_percent_off(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    kl = D.kl_divergence(p, q)
    return kl * 1.01 if _pair(p, q, D.Gamma, D.Gamma) else kl


def beta_beta_arguments_swapped(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    return D.kl_divergence(q, p) if _pair(p, q, D.Beta, D.Beta) else D.kl_divergence(p, q)


def normal_normal_mean_term_dropped(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    if not _pair(p, q, D.Normal, D.Normal):
        return D.kl_divergence(p, q)
    ratio = (p.scale / q.scale) ** 2
    return 0.5 * (ratio - 1 - ratio.log())


def laplace_laplace_small_offset(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    kl = D.kl_divergence(p, q)
    return kl + 1e-9 if _pair(p, q, D.Laplace, D.Laplace) else kl


def infinite_clamped_to_a_large_number(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    return D.kl_divergence(p, q).clamp(max=1e30)


def independent_mean_instead_of_sum(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    if not _pair(p, q, D.Independent, D.Independent):
        return D.kl_divergence(p, q)
    return D.kl_divergence(p.base_dist, q.base_dist).mean(-1)


def _wrong(name: str, mistake: str, implementation: object) -> WrongImplementation:
    return WrongImplementation("kl-closed-forms", name, mistake, implementation)


WRONG_IMPLEMENTATIONS = (
    _wrong("Gamma‖Gamma 1 % off", "one registered pair's closed form scaled by 1.01", gamma_gamma_one_percent_off),
    _wrong("Beta‖Beta arguments swapped", "KL(q‖p) registered for (Beta, Beta)", beta_beta_arguments_swapped),
    _wrong("Normal‖Normal mean term dropped", "½(σ²/τ² − 1 − log σ²/τ²) without (μ−ν)²/τ²", normal_normal_mean_term_dropped),
    _wrong("Laplace‖Laplace offset 1e-9", "a constant 1e-9 added to one pair", laplace_laplace_small_offset),
    _wrong("+∞ clamped to 1e30", "an infinite KL (supports not nested) reported as a large finite number", infinite_clamped_to_a_large_number),
    _wrong("Independent: mean over components", "KL of independent components averaged instead of summed (T6)", independent_mean_instead_of_sum),
)
