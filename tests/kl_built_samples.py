"""In-domain samples built by hand for the kl-closed-forms findings whose domains the strategy does not reach.

Shared by tests/kl_closed_forms/test_kl_closed_forms.py (each finding's error model and its planted 10 % error)
and tests/kl_closed_forms/test_kl_pareto_findings.py (each pair's KL confirmed by mpmath).
"""

from __future__ import annotations

import numpy as np

from theorems.kl_closed_forms.laws import Law, LawPair


def law(family: str, **params: object) -> Law:
    return Law(family, tuple((name, np.atleast_1d(np.asarray(value, dtype=float))) for name, value in params.items()))


# A domain the strategy's draws do not reach (uniform-pareto-power-underflow: 0 in domain of 1000 derandomized
# Uniform-Pareto draws) gets a built sample besides, spanning its three ways: s^α underflowing to 0 at α = 2 and
# at α = 10 and with a wide Uniform, the product overflowing, and a subnormal step (the last two each with an
# element outside the domain in the same batch). Each pair's KL is confirmed by mpmath
# (tests/kl_closed_forms/test_kl_pareto_findings.py).
BUILT_IN_DOMAIN = {
    "torch-kl-uniform-pareto-power-underflow": (
        LawPair(law("Uniform", low=1e-40, high=1.0), law("Pareto", scale=1e-40, alpha=10.0)),
        LawPair(law("Uniform", low=3e-200, high=1e-199), law("Pareto", scale=1e-200, alpha=2.0)),
        LawPair(law("Uniform", low=2.0, high=5.0), law("Pareto", scale=1e-300, alpha=1.5)),
        LawPair(law("Uniform", low=[1e200, 1.0], high=[3e200, 2.0]), law("Pareto", scale=[1e200, 0.5], alpha=[2.0, 2.0])),
        LawPair(law("Uniform", low=[1e-160, 1e-300], high=[1.0, 1.0]), law("Pareto", scale=[1e-160, 1e-300], alpha=[2.0, 1.05])),
    ),
    # Ratios just past float64's largest and far past it (p.scale up to 1e300: at 1e308 the oracle's quantiles overflow, error
    # estimate NaN), with a small or large α_q; one element outside
    # (a ratio of 1e16) batched in (the strategy's Pareto scales reach 10^±8: 0 in domain of 1000 draws).
    "torch-kl-pareto-pareto-scale-ratio-overflow": (
        LawPair(law("Pareto", scale=1e300, alpha=2.0), law("Pareto", scale=1e-9, alpha=0.5)),
        LawPair(law("Pareto", scale=1e250, alpha=1.0), law("Pareto", scale=1e-300, alpha=50.0)),
        LawPair(law("Pareto", scale=[1e200, 1e8], alpha=[3.0, 3.0]), law("Pareto", scale=[1e-150, 1e-8], alpha=[4.0, 4.0])),
        LawPair(law("Pareto", scale=1.5e154, alpha=0.7), law("Pareto", scale=1e-155, alpha=1e-3)),
        LawPair(law("Pareto", scale=1e10, alpha=5.0), law("Pareto", scale=1e-300, alpha=2.0)),
    ),
}
