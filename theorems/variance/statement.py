"""T2 · The output variance of a randomly initialised linear network (Problem 2). Math: :mod:`theorems.variance.math`; checks: :mod:`theorems.variance.check`."""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["CHECK_EXAMPLE_FRACTION", "DEPTH", "DEPTH_CLASS", "LAYERS", "THEOREMS", "VARIANCE_RECURSION", "VARIANCE_RECURSION_RELU", "WIDTH"]

# Each example runs a Monte Carlo of networks (0.1 s to seconds): a tenth of the profile's
# examples. The false-alarm share is divided by this many examples (theorems.variance.monte_carlo).
CHECK_EXAMPLE_FRACTION = 0.1
DEPTH = Assumption("depth", tuple(range(1, 13)), "the number of layers L")
# The structural classes: one layer or more, some fan-in of 1 or none, square layers (where
# a fan-in/fan-out mix-up cannot show) or not. Their pairwise covering array has 4 rows: 4 of
# ci's 10 examples; a dev run (a budget of 2) runs the 4 rows and 1 free example. The
# contract (widths -> float) has no bias switch, so bias on/off is not a class here.
DEPTH_CLASS = Assumption("depth_class", ("1", "deep"), "one layer (L = 1) or more (L ≥ 2)")
WIDTH = Assumption("width", ("1", "wide"), "some fan-in n_l (l < L) is 1, or every fan-in is at least 2")
LAYERS = Assumption("layers", ("square", "rectangular"), "every width equal (n_0 = … = n_L), or not")
_CLASSIFY = "theorems.strategies.variance:classify_variance_case"

VARIANCE_RECURSION = Theorem(
    id="variance-recursion",
    # Its part of the suite's false-alarm budget (theorems.oracles.false_alarms).
    false_alarm_share=2e-7,
    title="Per-coordinate variance of a default-initialised linear network",
    source="Problem 2",
    statement=(
        r"\mathbb{E}\,y_L = 0,\quad \operatorname{Cov} y_L = v_L I,\quad v_0 = 1,\ "
        r"v_l = \tfrac{v_{l-1}}{3} + \tfrac{1}{3 n_{l-1}},\quad "
        r"v_L = 3^{-L} + \sum_{l=1}^{L} \frac{3^{-(L-l+1)}}{n_{l-1}}"
    ),
    hypotheses=(
        "E x = 0 and Cov x = I (any law with those two moments)",
        "A_l and b_l have i.i.d. entries uniform on (−1/√n_{l−1}, 1/√n_{l−1}) (nn.Linear's default init)",
        "layers independent of each other and of x; no nonlinearity",
    ),
    oracles=(
        "Monte Carlo over networks of real nn.Linear modules with their default init",
        "Monte Carlo over a batched sampler of the same law (the check), N from the power requirement",
        "Kolmogorov–Smirnov test that default nn.Linear weights and biases are U(−1/√fan_in, 1/√fan_in)",
    ),
    contract="(widths: list[int] [n_0, ..., n_L]) -> float, the predicted per-coordinate Var(y_L)",
    reference_target="theorems.variance.math:variance_by_recursion",
    check_target="theorems.variance.check:check_variance_recursion",
    examples="theorems.strategies.variance:variance_cases",
    parameters=("widths",),
    assumptions=(DEPTH, DEPTH_CLASS, WIDTH, LAYERS),
    cover=(DEPTH_CLASS.name, WIDTH.name, LAYERS.name),
    classify_target=_CLASSIFY,
    example_fraction=CHECK_EXAMPLE_FRACTION,
)

VARIANCE_RECURSION_RELU = Theorem(
    id="variance-recursion-relu",
    # Its part of the suite's false-alarm budget (theorems.oracles.false_alarms).
    false_alarm_share=2e-7,
    title="Second moment of the pre-activations of a default-initialised ReLU network",
    source="Problem 2 (beyond the notes)",
    statement=(
        r"z_l = A_l\,\mathrm{relu}(z_{l-1}) + b_l,\quad \mathbb{E} z_L^2 = q_L,\quad "
        r"q_1 = \tfrac13 + \tfrac{1}{3n_0},\ q_l = \tfrac{q_{l-1}}{6} + \tfrac{1}{3 n_{l-1}}"
    ),
    hypotheses=(
        "E x = 0 and Cov x = I; z_1 = A_1 x + b_1",
        "A_l and b_l have i.i.d. entries uniform on (−1/√n_{l−1}, 1/√n_{l−1}), independent",
        "ReLU between layers, none after the last; pre-activations are symmetric so E relu(z)² = E z²/2",
    ),
    oracles=("Monte Carlo over a batched sampler of nn.Linear's default law with sampled inputs",),
    contract="(widths: list[int] [n_0, ..., n_L]) -> float, the predicted per-coordinate E z_L²",
    reference_target="theorems.variance.math:relu_second_moment_by_recursion",
    check_target="theorems.variance.check:check_variance_recursion_relu",
    examples="theorems.strategies.variance:relu_cases",
    parameters=("widths",),
    assumptions=(DEPTH, DEPTH_CLASS, WIDTH, LAYERS),
    cover=(DEPTH_CLASS.name, WIDTH.name, LAYERS.name),
    classify_target=_CLASSIFY,
    example_fraction=CHECK_EXAMPLE_FRACTION,
)

THEOREMS = (VARIANCE_RECURSION, VARIANCE_RECURSION_RELU)
