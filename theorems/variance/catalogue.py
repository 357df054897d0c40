"""Deliberately wrong variance recursions: mistakes people make, which the check must falsify.

Each follows the contract ``widths -> float`` of ``variance-recursion`` or
``variance-recursion-relu``; ``tests/variance/test_variance.py`` proves every one is
falsified and that its shrunk counterexample is small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


def _recursion(widths: Sequence[int], step, first=None) -> float:
    v = 1.0
    for layer, fan_in in enumerate(widths[:-1]):
        v = first(v, fan_in) if layer == 0 and first is not None else step(v, fan_in)
    return v


def _relu_recursion(widths: Sequence[int], relu_factor: float) -> float:
    """q_L with E relu(z)² taken as ``relu_factor``·E z² (1/2 is right)."""
    q = 1 / 3 + 1 / (3 * widths[0])
    for fan_in in widths[1:-1]:
        q = relu_factor * q / 3 + 1 / (3 * fan_in)
    return q


def uniform_variance_as_a_squared_over_12(widths: Sequence[int]) -> float:
    """Var U(−a, a) taken as a²/12 (the formula for U(0, a)) instead of (2a)²/12 = a²/3."""
    return _recursion(widths, lambda v, n: v / 12 + 1 / (12 * n))


def init_bound_one_over_fan_in(widths: Sequence[int]) -> float:
    """Assumes nn.Linear draws U(−1/fan_in, 1/fan_in), so Var = 1/(3 fan_in²)."""
    return _recursion(widths, lambda v, n: v / (3 * n) + 1 / (3 * n * n))


def init_variance_one_over_fan_in(widths: Sequence[int]) -> float:
    """Assumes LeCun/Kaiming-normal-like Var = 1/fan_in for weights and biases."""
    return _recursion(widths, lambda v, n: v + 1 / n)


def bias_term_dropped(widths: Sequence[int]) -> float:
    """Forgets Var(b_l): v_l = v_{l−1}/3."""
    return _recursion(widths, lambda v, n: v / 3)


def fan_out_instead_of_fan_in(widths: Sequence[int]) -> float:
    """Off by one layer: divides the bias term by n_l instead of n_{l−1}."""
    v = 1.0
    for fan_out in widths[1:]:
        v = v / 3 + 1 / (3 * fan_out)
    return v


def closed_form_exponent_off_by_one(widths: Sequence[int]) -> float:
    """Closed form with 3^{−(L−l)} instead of 3^{−(L−l+1)} on the bias terms."""
    depth = len(widths) - 1
    return 3.0**-depth + sum(3.0 ** -(depth - l) / widths[l - 1] for l in range(1, depth + 1))


def output_layer_peeled_off(widths: Sequence[int]) -> float:
    """Input layer, hidden loop, output layer written apart (assuming a hidden layer): one layer is applied twice.

    ``v_1`` from ``n_0``, the loop over ``widths[1:-2]``, then the output layer with fan-in
    ``widths[-2]``: right from two layers on; a single layer is both the input and the
    output layer, and is counted twice. Wrong only for ``depth_class="1"``.
    """
    v = 1 / 3 + 1 / (3 * widths[0])
    for fan_in in widths[1:-2]:
        v = v / 3 + 1 / (3 * fan_in)
    return v / 3 + 1 / (3 * widths[-2])


def relu_halving_forgotten(widths: Sequence[int]) -> float:
    """Treats ReLU as the identity: the linear recursion."""
    return _recursion(widths, lambda v, n: v / 3 + 1 / (3 * n))


def relu_halving_on_the_input(widths: Sequence[int]) -> float:
    """Halves the second moment before the first layer too (there is no ReLU on x)."""
    return _recursion(widths, lambda q, n: q / 6 + 1 / (3 * n))


def relu_halving_the_bias(widths: Sequence[int]) -> float:
    """Halves the bias term as well: q_l = q_{l−1}/6 + 1/(6 n_{l−1})."""
    return _recursion(widths, lambda q, n: q / 6 + 1 / (6 * n), first=lambda q, n: q / 3 + 1 / (3 * n))


def relu_halving_after_the_last_layer(widths: Sequence[int]) -> float:
    """Halves at every layer, the last too: E relu(z_L)² = q_L/2 for E z_L² (there is no ReLU after z_L)."""
    return _relu_recursion(widths, 1 / 2) / 2


def relu_quarter_for_half(widths: Sequence[int]) -> float:
    """E relu(z)² = E z²/4 (half the mass, squared again): q_l = q_{l−1}/12 + 1/(3 n_{l−1})."""
    return _relu_recursion(widths, 1 / 4)


def relu_variance_for_second_moment(widths: Sequence[int]) -> float:
    """Var relu(z) = (1/2 − 1/(2π)) E z² (Gaussian z) used where the next layer needs E relu(z)²."""
    return _relu_recursion(widths, 1 / 2 - 1 / (2 * math.pi))


def relu_output_layer_peeled_off(widths: Sequence[int]) -> float:
    """The ReLU recursion with the input and output layers written apart: a single layer is applied twice.

    ``q_1`` from ``n_0``, the hidden loop over ``widths[1:-2]``, then the output layer
    ``q/6 + 1/(3 widths[-2])``: right from two layers on, wrong only for ``depth_class="1"``.
    """
    q = 1 / 3 + 1 / (3 * widths[0])
    for fan_in in widths[1:-2]:
        q = q / 6 + 1 / (3 * fan_in)
    return q / 6 + 1 / (3 * widths[-2])


def relu_fan_out(widths: Sequence[int]) -> float:
    """The bias term over n_l (fan_out) instead of n_{l−1}: q_l = q_{l−1}/6 + 1/(3 n_l)."""
    q = 1 / 3 + 1 / (3 * widths[1])
    for fan_out in widths[2:]:
        q = q / 6 + 1 / (3 * fan_out)
    return q


WRONG_IMPLEMENTATIONS = (
    WrongImplementation("variance-recursion", "uniform variance a^2/12", "Var U(−a, a) = a²/12", uniform_variance_as_a_squared_over_12),
    WrongImplementation("variance-recursion", "init bound 1/fan_in", "wrong init assumption: bound 1/fan_in", init_bound_one_over_fan_in),
    WrongImplementation("variance-recursion", "init variance 1/fan_in", "wrong init assumption: Var = 1/fan_in", init_variance_one_over_fan_in),
    WrongImplementation("variance-recursion", "bias dropped", "the bias variance term is dropped", bias_term_dropped),
    WrongImplementation("variance-recursion", "fan_out for fan_in", "off by one: n_l instead of n_{l−1}", fan_out_instead_of_fan_in),
    WrongImplementation("variance-recursion", "exponent off by one", "closed form 3^{−(L−l)} for 3^{−(L−l+1)}", closed_form_exponent_off_by_one),
    WrongImplementation("variance-recursion", "output layer peeled off", "a single layer counted as input and output layer", output_layer_peeled_off),
    WrongImplementation("variance-recursion-relu", "ReLU ignored", "the ReLU halving is forgotten", relu_halving_forgotten),
    WrongImplementation("variance-recursion-relu", "ReLU on the input", "halving applied before the first layer", relu_halving_on_the_input),
    WrongImplementation("variance-recursion-relu", "bias halved", "the bias term is halved too", relu_halving_the_bias),
    WrongImplementation("variance-recursion-relu", "ReLU after the last layer", "E relu(z_L)² reported for E z_L²", relu_halving_after_the_last_layer),
    WrongImplementation("variance-recursion-relu", "quarter for half", "E relu(z)² = E z²/4", relu_quarter_for_half),
    WrongImplementation("variance-recursion-relu", "variance for second moment", "Var relu(z) for E relu(z)²", relu_variance_for_second_moment),
    WrongImplementation("variance-recursion-relu", "ReLU fan_out", "bias term over n_l, not n_{l−1}", relu_fan_out),
    WrongImplementation("variance-recursion-relu", "output layer peeled off", "a single layer counted as input and output layer", relu_output_layer_peeled_off),
)
