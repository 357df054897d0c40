"""The unfused network run in float64 under an ``fx.Interpreter`` that keeps where it rounds.

:class:`RoundingBounds` records each rounding site (a value, its roundings per element and
the largest term they round) and each folded pair's parameters, beside a forward error
estimate that finds the pre-activations within rounding of an activation's kink. What
:mod:`theorems.fold_networks.bounds` differentiates and sums.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import torch
from torch import fx, nn

from theorems.fold.check import absolute_layer, batchnorm_scale, term_magnitude, terms_per_output
from theorems.fold_networks.folding import FOLDERS, foldable_pairs
from theorems.oracles.tolerance import U64, UNIT_ROUNDOFF, layer_roundoff
from theorems.theorem import InvalidInput

__all__ = ["FoldedParameters", "RoundingBounds"]

# Operations by how they round (module types, functions and methods as torch.fx names them).
EXACT_MODULES = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Hardtanh, nn.Identity, nn.Dropout,
                 nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.Flatten)
AVERAGE_MODULES = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
EXACT_FUNCTIONS = {torch.flatten, torch.relu, torch.nn.functional.relu, getattr}
EXACT_METHODS = {"flatten", "view", "reshape", "size", "contiguous", "relu"}
ADDITIONS = {operator.add, operator.iadd, torch.add}
AVERAGES = {torch.nn.functional.adaptive_avg_pool1d, torch.nn.functional.adaptive_avg_pool2d,
            torch.nn.functional.adaptive_avg_pool3d}


def _average_terms(node_input: torch.Tensor, output: torch.Tensor) -> tuple[int, torch.Tensor]:
    """(m+1, mean|a|) for an adaptive average of m values per output element."""
    window = max(1, node_input[0, 0].numel() // max(1, output[0, 0].numel()))
    pooled = torch.nn.functional.adaptive_avg_pool2d if output.dim() == 4 else torch.nn.functional.adaptive_avg_pool1d
    if output.dim() == 5:
        pooled = torch.nn.functional.adaptive_avg_pool3d
    return window + 1, pooled(node_input.detach().abs(), output.shape[2:])


# Piecewise-linear activations: their kinks, derivative and Lipschitz constant. At a
# float64 pre-activation within rounding of a kink the computed value may sit on the other
# side, where the derivative at the float64 point says nothing (0 for a dead ReLU): there
# the error propagates by the Lipschitz constant instead.
def _kinks(module: nn.Module | None) -> tuple[float, ...]:
    """Where the activation's slope changes: ReLU6 and Hardtanh (ReLU6's parent) at both ends, the rest at 0."""
    if isinstance(module, nn.Hardtanh):
        return (module.min_val, module.max_val)
    return (0.0,)


def _derivative(module: nn.Module | None, a: torch.Tensor) -> torch.Tensor:
    """The activation's derivative at ``a`` (what autograd uses; 0 at a kink)."""
    if isinstance(module, nn.LeakyReLU):
        return torch.where(a > 0, 1.0, module.negative_slope).to(a.dtype)
    if isinstance(module, nn.Hardtanh):
        return ((a > module.min_val) & (a < module.max_val)).to(a.dtype)
    return (a > 0).to(a.dtype)


def _lipschitz(module: nn.Module | None) -> float:
    return max(1.0, abs(module.negative_slope)) if isinstance(module, nn.LeakyReLU) else 1.0


ACTIVATION_MODULES = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Hardtanh)
ACTIVATION_FUNCTIONS = {torch.relu, torch.nn.functional.relu}


@dataclass(frozen=True)
class _Site:
    """A computed value: ``count`` roundings per element, each of a term at most ``magnitude``."""

    value: torch.Tensor
    count: int
    magnitude: torch.Tensor
    unit: float  # u + u₆₄ of the operation that rounds here (a matmul and a convolution may differ on CUDA)


@dataclass(frozen=True)
class FoldedParameters:
    """A (layer, BatchNorm) pair: its output, and what its folded parameters' rounding is relative to."""

    output: torch.Tensor  # the BatchNorm's output y = s(W⊛x + c − μ) + β, in the autograd graph
    layer: nn.Module  # the float64 layer, to differentiate its output by its weight
    layer_input: torch.Tensor
    scale: torch.Tensor  # s per channel, shaped to broadcast against ``output``
    beta: torch.Tensor  # β per channel, likewise
    bias_magnitude: torch.Tensor  # |β| + |s|(|c| + |μ|) per channel, likewise


class RoundingBounds(fx.Interpreter):
    """Run the unfused network in float64, keeping each rounding site and each folded pair.

    Beside it runs a forward error estimate ``e(v)`` of each node's own rounding plus what
    it inherits, through ``|W|`` for a layer and the slope for an activation, with the unit
    roundoff of ``margin_dtype``, the parameters' dtype. With ``z=None`` it is the worst case;
    with ``z`` it is a variance (``W²``, squared slopes, ``n·M²``) and the margin is ``z``
    standard deviations. It serves one purpose: to find the pre-activations within rounding
    of a kink, whose derivative is then taken as the activation's Lipschitz constant. At
    the parameters' unit roundoff it covers what their rounding moves a pre-activation by:
    k+8 roundings of T per element against the 2+4+3 of a folded weight, scale and bias.
    The rounding sites themselves round in float64, the dtype both networks run in.
    """

    def __init__(self, module: fx.GraphModule, x: torch.Tensor, *, z: float | None, margin_dtype: torch.dtype) -> None:
        super().__init__(module)
        self.dtype, self.device = x.dtype, x.device
        self.margin_dtype = margin_dtype
        self.z = z
        self.modules = dict(module.named_modules())
        self.folded = {bn.name: layer for layer, bn in foldable_pairs(module)}
        self.inputs: dict[str, torch.Tensor] = {}
        self.sites: list[_Site] = []
        self.pairs: list[FoldedParameters] = []
        self.errors: dict[str, torch.Tensor] = {}
        self.kinks_crossed = 0

    def run_node(self, node: fx.Node) -> object:
        value = super().run_node(node)
        if node.op == "call_module" and isinstance(self.modules[node.target], tuple(FOLDERS)):
            self.inputs[node.name] = self.env[node.args[0]]
        terms = self._terms(node, value)
        if terms is not None:
            self.sites.append(_Site(value, *terms, unit=self._unit(node)))
            self._keep_folded_parameters(node, value)
        if not isinstance(value, torch.Tensor):
            return value
        if self._is_activation(node):
            value, slope = self._slope_at_kinks(node, value)
            self.errors[node.name] = slope ** (1 if self.z is None else 2) * self._error_of(node.args[0])
            return value
        error = self._inherited(node, value)
        if terms is not None:
            count, magnitude = terms
            unit = self._unit(node, self.margin_dtype)
            error = error + (count * unit * magnitude.detach() if self.z is None else count * (unit * magnitude.detach()).square())
        self.errors[node.name] = error
        return value

    def _unit(self, node: fx.Node, dtype: torch.dtype | None = None) -> float:
        """u + u₆₄ of what rounds at ``node`` in ``dtype`` (the run's by default): a layer's product (with its
        BatchNorm) by the layer's kind, the rest elementwise."""
        dtype = self.dtype if dtype is None else dtype
        module = self.modules.get(node.target) if node.op == "call_module" else None
        layer = self.modules[self.folded[node.name].target] if node.name in self.folded else module
        if isinstance(layer, tuple(FOLDERS)):
            return layer_roundoff(layer, dtype, self.device) + U64
        return UNIT_ROUNDOFF[dtype] + U64

    def _error_of(self, argument: object) -> torch.Tensor | float:
        return self.errors.get(argument.name, 0.0) if isinstance(argument, fx.Node) else 0.0

    def _inherited(self, node: fx.Node, value: torch.Tensor) -> torch.Tensor:
        """The error ``node`` inherits from its inputs' errors (first order, rigorous for these operations)."""
        if node.op in ("placeholder", "get_attr") or not node.args:
            return torch.zeros_like(value).detach()
        incoming = self._error_of(node.args[0])
        if node.op == "output" and isinstance(incoming, torch.Tensor):
            return incoming
        if not isinstance(incoming, torch.Tensor):
            return torch.zeros_like(value).detach()
        with torch.no_grad():
            if node.op == "call_module":
                module = self.modules[node.target]
                power = 1 if self.z is None else 2
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    return _channels(_scale(module).abs() ** power, incoming) * incoming
                if isinstance(module, tuple(FOLDERS)):
                    return absolute_layer(module, incoming, power=power, bias=False)
                return module(incoming).detach().abs()  # pooling, flatten, identity, dropout in eval
            if node.op == "call_function" and node.target in ADDITIONS:
                return sum(self._error_of(argument) for argument in node.args[:2]) + torch.zeros_like(value)
            args, kwargs = self.fetch_args_kwargs_from_env(node)
            if node.op == "call_function":
                return node.target(incoming, *args[1:], **kwargs)
            return getattr(incoming, node.target)(*args[1:], **kwargs)

    def _is_activation(self, node: fx.Node) -> bool:
        module = self.modules.get(node.target) if node.op == "call_module" else None
        return (
            isinstance(module, ACTIVATION_MODULES)
            or (node.op == "call_function" and node.target in ACTIVATION_FUNCTIONS)
            or (node.op == "call_method" and node.target == "relu")
        )

    def _slope_at_kinks(self, node: fx.Node, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``value`` with its derivative set to the Lipschitz constant at pre-activations within rounding of
        a kink, and the slope that carries an input error through: the Lipschitz constant there, the
        derivative elsewhere (the computed pre-activation lies on the same side of every kink)."""
        module = self.modules.get(node.target) if node.op == "call_module" else None
        a = self.env[node.args[0]]
        error = self._error_of(node.args[0])
        margin = error if self.z is None else self.z * error**0.5
        near = torch.zeros_like(a, dtype=torch.bool)
        for kink in _kinks(module):
            near |= (a.detach() - kink).abs() <= margin
        self.kinks_crossed += int(near.sum())
        derivative = _derivative(module, a.detach()).abs()
        slope = torch.where(near, _lipschitz(module), derivative)
        return value + (slope - derivative) * (a - a.detach()), slope

    def _keep_folded_parameters(self, node: fx.Node, value: torch.Tensor) -> None:
        layer_node = self.folded.get(node.name)
        if layer_node is None:
            return
        layer, bn = self.modules[layer_node.target], self.modules[node.target]
        with torch.no_grad():
            scale = _scale(bn)
            beta = torch.zeros_like(scale) if bn.bias is None else bn.bias.detach().double()
            bias = torch.zeros_like(scale) if layer.bias is None else layer.bias.detach().abs()
            magnitude = beta.abs() + scale.abs() * (bias + bn.running_mean.abs())
        per_channel = [_channels(v, value) for v in (scale, beta, magnitude)]
        self.pairs.append(FoldedParameters(value, layer, self.inputs[layer_node.name].detach(), *per_channel))

    def _terms(self, node: fx.Node, value: object) -> tuple[int, torch.Tensor] | None:
        """(n, M): the node's roundings per element and the largest term they round, or None if exact."""
        if node.op in ("placeholder", "output", "get_attr"):
            return None
        if node.op == "call_module":
            module = self.modules[node.target]
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                layer_node = self.folded.get(node.name)
                if layer_node is None:
                    raise InvalidInput(f"BatchNorm {node.target!r} does not follow a Conv/Linear alone; no fold and no bound")
                layer = self.modules[layer_node.target]
                return terms_per_output(layer) + 8, term_magnitude(layer, module, self.inputs[layer_node.name])
            if isinstance(module, tuple(FOLDERS)):
                if any(bn_layer is node for bn_layer in self.folded.values()):
                    return None  # bounded together with its BatchNorm
                return terms_per_output(module) + 8, term_magnitude(module, None, self.inputs[node.name])
            if isinstance(module, EXACT_MODULES):
                return None
            if isinstance(module, AVERAGE_MODULES):
                return _average_terms(self.env[node.args[0]], value)
            raise InvalidInput(f"no rounding-error model for module {node.target!r} of type {type(module).__name__}")
        if node.op == "call_function" and node.target in ADDITIONS:
            return 1, sum(arg.abs() for arg in (self.env[a] for a in node.args[:2])).detach()
        if node.op == "call_function" and node.target in AVERAGES:
            return _average_terms(self.env[node.args[0]], value)
        if (node.op == "call_function" and node.target in EXACT_FUNCTIONS) or (
            node.op == "call_method" and node.target in EXACT_METHODS
        ):
            return None
        raise InvalidInput(f"no rounding-error model for {node.op} {node.target!r}")


def _scale(bn: nn.modules.batchnorm._BatchNorm) -> torch.Tensor:
    weight = None if bn.weight is None else bn.weight.detach().double()
    return batchnorm_scale(bn.running_var.double(), bn.eps, weight)


def _channels(per_channel: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A per-channel vector shaped to broadcast along dimension 1 of ``like``."""
    return per_channel.reshape((1, -1) + (1,) * (like.dim() - 2))


