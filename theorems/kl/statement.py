"""T5, T6 · KL nonnegativity and additivity over independent components (Problem 5). Math and checks: :mod:`theorems.kl.check`."""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["CONTRACT", "KL_ADDITIVITY", "KL_NONNEGATIVITY", "THEOREMS"]

CONTRACT = "(p: ndarray (k,), q: ndarray (k,)) -> float, D(p‖q) in nats, +inf when some p_i > 0 = q_i"

# The structural classes a mistake hides in (theorems.strategies.kl draws and classifies them).
_ZERO_CLASSES = ("none", "p", "q", "both")
_ZERO_MEANING = "none; p (some p_i = 0 < q_i only); q (some p_i > 0 = q_i, so D = +inf); both (some p_i = q_i = 0, none in q alone)"
_NEAR_MEANING = "near a point mass: an entry within an ulp of 1 and the others at subnormal scale (or a one-point pmf 1 − 2^-53)"

KL_NONNEGATIVITY = Theorem(
    id="kl-nonnegativity",
    title="The KL divergence is nonnegative, and zero only between equal laws",
    source="Problem 5a",
    statement=r"D(f\|g) = \int f \log\frac{f}{g} \ge 0,\ \text{with equality iff } f = g \text{ a.e.};\ D = +\infty \text{ unless } f \ll g",
    hypotheses=("f, g densities (or pmfs) on the same space", "0 log 0 = 0; p log(p/0) = +∞ for p > 0"),
    oracles=(
        "the exact finite sum for pmfs (the check), and the property D ≥ 0, = 0 iff p = q",
        "adaptive quadrature on 1-D densities: normal, Laplace, logistic, Student-t, normal mixtures, uniform, beta",
        "the pointwise inequality f log(f/g) ≥ f − g at sampled points",
    ),
    contract=CONTRACT,
    reference_target="theorems.kl.check:kl_divergence",
    check_target="theorems.kl.check:check_kl_nonnegativity",
    examples="theorems.strategies.kl:pmf_pairs",
    parameters=("p", "q"),
    assumptions=(
        Assumption("support", (*range(1, 9), 64, 1024), "the number of points k of p and q"),
        Assumption("size", ("1", "2", "large"), "p's support size, the points where p > 0: a point mass, two, three or more"),
        Assumption("zeros", _ZERO_CLASSES, f"where p and q have zeros: {_ZERO_MEANING}"),
        Assumption("degenerate", (True, False), f"p or q {_NEAR_MEANING}"),
    ),
    # 3 × 4 × 2 classes in 12 rows (every pair of values once): 8 free examples in dev, 88 in ci.
    cover=("size", "zeros", "degenerate"),
    classify_target="theorems.strategies.kl:classify_pmf_pair",
)

KL_ADDITIVITY = Theorem(
    id="kl-additivity",
    title="The KL divergence of independent components is the sum of the components' divergences",
    source="Problem 5b",
    statement=r"X, Y \text{ with independent components} \Rightarrow D(X\|Y) = \sum_{i=1}^d D(X_i\|Y_i)",
    hypotheses=("X = (X_1..X_d) with independent components, Y likewise", "the same product space"),
    oracles=(
        "the exact finite sum on the joint pmf and the implementation's own marginal values (the check)",
        "2-D and 3-D adaptive cubature of the joint density as a whole against 1-D quadratures",
        "correlated Gaussians with the same marginals: D(joint) ≠ Σ D(marginals) (the hypothesis is needed)",
    ),
    contract=CONTRACT,
    reference_target="theorems.kl.check:kl_divergence",
    check_target="theorems.kl.check:check_kl_additivity",
    examples="theorems.strategies.kl:independent_pmfs",
    parameters=("p", "q"),
    assumptions=(
        Assumption("factors", (2, 3), "the number of independent components"),
        Assumption("support", (1, 2, 3, 4), "the number of points of each component"),
        Assumption("zeros", _ZERO_CLASSES, f"the most telling zero class among the components (also the joint's): {_ZERO_MEANING}"),
        Assumption("degenerate", (True, False), f"some component's p or q {_NEAR_MEANING}"),
    ),
    # Per component: one factor in the class, the others in a class no more telling (the
    # joint's zero class is the most telling factor's). 2 × 4 × 2 classes in 8 rows.
    cover=("factors", "zeros", "degenerate"),
    classify_target="theorems.strategies.kl:classify_independent_pmfs",
)

THEOREMS = (KL_NONNEGATIVITY, KL_ADDITIVITY)
