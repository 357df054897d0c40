r"""T1 on whole networks: every Conv/Linear → BatchNorm pair of a network folded at once.

:func:`fold_network` traces a network with ``torch.fx``, folds each eval-mode
BatchNorm into the Conv/Linear/ConvTranspose that feeds it (and only it), and returns a
network without those BatchNorms that computes the same function.

The check evaluates the folded network's parameters exactly: a copy cast to float64 runs
on the input in float64, against the unfused network in float64 (the oracle). Forward
rounding is then float64's on both sides; what is left of float32 is the rounding of the
folded parameters, which autograd carries to the outputs (first order). The worst case,
stated once: (u₆₄+u₆₄)·Σ_j |∂N/∂v_j|·n_j·M_j for the forward roundings plus
(u+u₆₄)·Σ_θ k_θ·|θ·∂N/∂θ| for the parameters. The tolerance takes the parameters' term
from an independent-rounding model (Hoeffding) where that is smaller
(:func:`network_bounds`, :func:`network_tolerance`); ``make fold-calibration`` measures
it on right folds of random float32 networks, and the README gives its numbers.

The notes' network (:class:`SmallNetTrain`, :class:`SmallNetTest`) lives here too:
conv–BN–ReLU twice, Linear–BN1d–ReLU, Linear–ReLU on CIFAR-10-shaped inputs.
"""

from __future__ import annotations

import copy
import gc
import itertools
import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import fx, nn

from theorems.evidence import Evidence, compare_elementwise, implementation_failure
from theorems.oracles.false_alarms import per_check_false_alarm, planned_examples
from theorems.oracles.operators import batch_norm_operators
from theorems.fold.check import (
    CONV_TRANSPOSES,
    absolute_layer,
    batchnorm_scale,
    CONVS,
    fold_conv,
    fold_conv_transpose,
    fold_linear,
    run_folding,
    term_magnitude,
    terms_per_output,
)
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, UNIT_ROUNDOFF, layer_roundoff

__all__ = [
    "NetworkCase",
    "SmallNetTest",
    "SmallNetTrain",
    "calibrate",
    "fold_network",
    "folded_pairs",
    "NetworkBounds",
    "network_bounds",
    "network_tolerance",
    "small_net_test_from",
]

FOLDERS: dict[type, Callable[[nn.Module, nn.Module], nn.Module]] = {
    **{kind: fold_conv for kind in CONVS},
    **{kind: fold_conv_transpose for kind in CONV_TRANSPOSES},
    nn.Linear: fold_linear,
}


# --- the notes' network (Problem 1) --------------------------------------------------


class SmallNetTrain(nn.Module):
    """The notes' ``smallNetTrain``: conv–BN–ReLU ×2, Linear–BN1d–ReLU, Linear–ReLU.

    One deviation: the notes' ``x.float().view(-1, 16*32*32)`` becomes ``flatten(1)`` so
    that the network also runs in float64 (``.float()`` would silently drop to float32).
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(16, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.fc1 = nn.Sequential(nn.Linear(16 * 32 * 32, 32 * 32), nn.BatchNorm1d(32 * 32), nn.ReLU())
        self.fc2 = nn.Sequential(nn.Linear(32 * 32, 10), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.fc1(self.conv2(self.conv1(x)).flatten(1)))


class SmallNetTest(nn.Module):
    """The notes' ``smallNetTest``: ``SmallNetTrain`` without BatchNorm."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(16, 16, kernel_size=3, padding=1), nn.ReLU())
        self.fc1 = nn.Sequential(nn.Linear(16 * 32 * 32, 32 * 32), nn.ReLU())
        self.fc2 = nn.Sequential(nn.Linear(32 * 32, 10), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.fc1(self.conv2(self.conv1(x)).flatten(1)))


def small_net_test_from(trained: SmallNetTrain) -> SmallNetTest:
    """The notes' construction: ``SmallNetTest`` with each layer's folded parameters."""
    folded = SmallNetTest().to(next(trained.parameters()).dtype)
    for name in ("conv1", "conv2", "fc1"):
        layer, bn = getattr(trained, name)[0], getattr(trained, name)[1]
        fold = fold_linear if isinstance(layer, nn.Linear) else fold_conv
        getattr(folded, name)[0].load_state_dict(fold(layer, bn).state_dict())
    folded.fc2[0].load_state_dict(trained.fc2[0].state_dict())
    return folded.eval()


# --- folding a traced network ----------------------------------------------------------


def calibrate(model: nn.Module, batches: Iterable[torch.Tensor]) -> nn.Module:
    """Set every BatchNorm's running statistics by train-mode passes, then switch to eval.

    ``momentum=None`` makes the running statistics the plain average over the passes.
    """
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
    model.train()
    with torch.no_grad():
        for batch in batches:
            model(batch)
    return model.eval()


def _foldable_pairs(traced: fx.GraphModule) -> list[tuple[fx.Node, fx.Node]]:
    """(layer node, BatchNorm node) pairs where the BatchNorm's only input is the layer's only use."""
    modules = dict(traced.named_modules())
    pairs = []
    for node in traced.graph.nodes:
        if node.op != "call_module" or not isinstance(modules[node.target], nn.modules.batchnorm._BatchNorm):
            continue
        source = node.args[0]
        if (
            isinstance(source, fx.Node)
            and source.op == "call_module"
            and type(modules[source.target]) in FOLDERS
            and len(source.users) == 1
        ):
            pairs.append((source, node))
    return pairs


def folded_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """The qualified names of the (layer, BatchNorm) pairs :func:`fold_network` folds."""
    traced = fx.symbolic_trace(model)
    return [(layer.target, bn.target) for layer, bn in _foldable_pairs(traced)]


def _rewrite(
    model: nn.Module, replace: Callable[[nn.Module, nn.Module], nn.Module]
) -> tuple[fx.GraphModule, set[str]]:
    """Trace ``model``, replace each foldable layer by ``replace(layer, bn)``, drop the BatchNorm.

    Returns the rewritten network and the names of the replaced layers.
    """
    traced = fx.symbolic_trace(copy.deepcopy(model))
    modules = dict(traced.named_modules())
    pairs = _foldable_pairs(traced)
    for layer_node, bn_node in pairs:
        traced.add_submodule(layer_node.target, replace(modules[layer_node.target], modules[bn_node.target]))
        bn_node.replace_all_uses_with(layer_node)
        traced.graph.erase_node(bn_node)
    traced.graph.lint()
    traced.delete_all_unused_submodules()
    traced.recompile()
    return traced.eval(), {layer_node.target for layer_node, _ in pairs}


def fold_network(model: nn.Module) -> fx.GraphModule:
    """A network computing ``model`` with every Conv/Linear → BatchNorm pair folded.

    ``model`` must be traceable by ``torch.fx`` and in eval mode; it is not modified.
    """
    if not isinstance(model, nn.Module):
        raise InvalidInput(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if any(module.training for module in model.modules()):
        raise InvalidInput("model is in training mode; fold equivalence needs eval mode (call model.eval())")
    folded, _ = _rewrite(model, lambda layer, bn: FOLDERS[type(layer)](layer, bn))
    return folded


# --- the tolerance -------------------------------------------------------------------------
#
# The folded network's parameters are evaluated exactly: a copy cast to float64 runs on the
# input in float64, as the unfused network does (the oracle). Forward rounding is then
# float64's on both sides, and what is left of float32 is the rounding of the folded
# parameters themselves.
#
# Forward rounding, first order, at its worst. Each computed value v_j (an output element of
# a layer with its BatchNorm or its fold, of a sum, of an average) takes n_j elementary
# roundings, each a relative error of at most u₆₄+u₆₄ (one per side) of a term no larger than
# M_j: for an affine layer n = k+8 terms of T = |s|(|W|⊛|x|+|c|+|μ|)+|β| (see
# theorems.fold.check.fold_tolerance); for a sum a + b, n = 1 of |a|+|b|; for an average of m
# values, n = m+1 of mean|a|. ReLU, ReLU6, max pooling, dropout in eval, flatten and
# reshapes are exact. The output error is at most (u₆₄+u₆₄)·Σ_j |∂N/∂v_j|·n_j·M_j, with ∂N/∂v
# from autograd through the float64 network (one backward pass per output element):
# a few 10⁻⁹ of the largest output on the three networks.
#
# Parameter rounding, first order. Each folded parameter θ (a weight W'ᵢ = s·Wᵢ, a channel's
# scale s, a channel's bias c' = β + s(c − μ)) may be off by k_θ roundings in the dtype it is
# stored in (PARAMETER_ROUNDINGS, each u+u₆₄), which moves output o by at most
# (u+u₆₄)·k_θ·|θ·∂N_o/∂θ|. One scale serves every position and every weight of its channel:
# its share is taken per parameter, not per use, so the sharing is respected.
#
# * worst case: (u₆₄+u₆₄)·Σ_j |∂N/∂v_j|·n_j·M_j + (u+u₆₄)·Σ_θ k_θ·|θ·∂N/∂θ|. No model; at
#   first order it always holds, and on float32 networks it is 10⁻⁴ to a few 10⁻³ of the
#   largest output: too wide to see one layer 0.05 % off in mobilenet_v2's last layer,
#   among 52 whose parameters all round.
# * the tolerance: the forward term as above, plus (u+u₆₄)·λ·sqrt(Σ_θ (k_θ·θ·∂N/∂θ)²) for the
#   parameters where that is smaller than their worst case. Its model (Higham & Mary, SIAM J.
#   Sci. Comput. 41 (2019) A2815): the roundings of distinct parameters are independent, mean
#   zero and bounded, so by Hoeffding's inequality their effect on an output exceeds the bound
#   with probability at most 2·exp(−λ²/2); λ makes it model_false_alarm() over all outputs.
#   The model is measured, not assumed: `make fold-calibration` runs right
#   folds (the reference and torch.fx's fuse) on hundreds of random float32 networks and
#   records the largest error-to-tolerance ratio.
#
# A fold whose arithmetic errs one way in every parameter (an approximate reciprocal square
# root that always rounds down) is outside the model: the worst case still bounds it.

EXACT_MODULES = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Hardtanh, nn.Identity, nn.Dropout,
                 nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.Flatten)
AVERAGE_MODULES = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
EXACT_FUNCTIONS = {torch.flatten, torch.relu, torch.nn.functional.relu, getattr}
EXACT_METHODS = {"flatten", "view", "reshape", "size", "contiguous", "relu"}
ADDITIONS = {operator.add, operator.iadd, torch.add}
AVERAGES = {torch.nn.functional.adaptive_avg_pool1d, torch.nn.functional.adaptive_avg_pool2d,
            torch.nn.functional.adaptive_avg_pool3d}

def model_false_alarm() -> float:
    """The chance, under the independent-rounding model, that a right fold's parameter rounding
    exceeds its bound anywhere in one check: fold-network's share of the suite's budget,
    divided among the run's examples."""
    return per_check_false_alarm("fold-network", checks_per_example=1, examples=planned_examples())

PARAMETER_ROUNDINGS = {"weight": 2, "scale": 4, "bias": 3}
"""Roundings allowed in a fold's parameters, in units of u: each W'ᵢ = s·Wᵢ (the product,
and one for a formula that divides by the standard deviation instead); each channel's
s = γ/sqrt(σ² + ε) (ε add, sqrt, divide, γ multiply); each c' = β + s(c − μ), relative to
|β| + |s|(|c| + |μ|) (subtract, multiply, add). The unfused network's parameters cost
nothing: stored in float32, they are exact in float64."""


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
class _FoldedParameters:
    """A (layer, BatchNorm) pair: its output, and what its folded parameters' rounding is relative to."""

    output: torch.Tensor  # the BatchNorm's output y = s(W⊛x + c − μ) + β, in the autograd graph
    layer: nn.Module  # the float64 layer, to differentiate its output by its weight
    layer_input: torch.Tensor
    scale: torch.Tensor  # s per channel, shaped to broadcast against ``output``
    beta: torch.Tensor  # β per channel, likewise
    bias_magnitude: torch.Tensor  # |β| + |s|(|c| + |μ|) per channel, likewise


class _RoundingBounds(fx.Interpreter):
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
        self.folded = {bn.name: layer for layer, bn in _foldable_pairs(module)}
        self.inputs: dict[str, torch.Tensor] = {}
        self.sites: list[_Site] = []
        self.pairs: list[_FoldedParameters] = []
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
        self.pairs.append(_FoldedParameters(value, layer, self.inputs[layer_node.name].detach(), *per_channel))

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


@dataclass(frozen=True)
class _Sums:
    """Per output element: Σ|g|·n·(u₆₄+u₆₄)·M for the forward roundings, and Σ_θ k_θ|θ·∂N/∂θ| and
    Σ_θ (k_θ·θ·∂N/∂θ)² for the folded parameters' (in units of their u)."""

    forward: torch.Tensor
    parameters_worst: torch.Tensor
    parameters_spread: torch.Tensor
    sites: int
    kinks_crossed: int


def _first_order_sums(traced: fx.GraphModule, x: torch.Tensor, *, z: float | None, margin_dtype: torch.dtype) -> _Sums:
    """Run the float64 network under :class:`_RoundingBounds` and sum each site's and pair's share per output.

    One backward pass per output coordinate serves the whole batch: in eval mode a
    sample's output depends on that sample's values alone.
    """
    interpreter = _RoundingBounds(traced, x, z=z, margin_dtype=margin_dtype)
    with torch.enable_grad():
        output = interpreter.run(x.double().requires_grad_(True))
    forward = torch.zeros_like(output).detach()
    sites, pairs = interpreter.sites, interpreter.pairs
    at_pair_outputs: list[list[torch.Tensor]] = [[] for _ in pairs]
    for o in range(output.shape[1]):
        wanted = [site.value for site in sites] + [pair.output for pair in pairs]
        gradients = torch.autograd.grad(output[:, o].sum(), wanted, retain_graph=True, allow_unused=True)
        gradients = [torch.zeros_like(w) if g is None else g for g, w in zip(gradients, wanted)]
        for gradient, site in zip(gradients, sites):
            forward[:, o] += site.unit * (gradient.abs() * site.count * site.magnitude).flatten(1).sum(1)
        for kept, gradient in zip(at_pair_outputs, gradients[len(sites) :]):
            kept.append(gradient.detach())
    parameters_worst, parameters_spread = torch.zeros_like(forward), torch.zeros_like(forward)
    for pair, kept in zip(pairs, at_pair_outputs):
        for share_worst, share_spread in _parameter_shares(pair, torch.stack(kept, dim=1)):
            parameters_worst += share_worst
            parameters_spread += share_spread
    return _Sums(forward, parameters_worst, parameters_spread, sites=len(sites), kinks_crossed=interpreter.kinks_crossed)


def _parameter_shares(pair: _FoldedParameters, at_output: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Σ|share| and Σshare² over each kind of folded parameter, per (sample, output), in units of u.

    ``at_output`` is ∂N_o/∂y per sample, shaped (samples, outputs, channels, positions…). A
    relative change ε of channel c's scale moves output o by ε·Σ_positions ∂N_o/∂y·(y − β);
    of its bias by ε·(|β| + |s|(|c| + |μ|))·Σ_positions ∂N_o/∂y; of one weight Wᵢ by
    ε·Wᵢ·∂N_o/∂Wᵢ, with ∂N_o/∂W = s·∂N_o/∂y pulled back through the layer for that sample.
    """
    y = pair.output.detach().unsqueeze(1)
    scale = PARAMETER_ROUNDINGS["scale"] * _over_positions(at_output * (y - pair.beta.unsqueeze(1)))
    bias = PARAMETER_ROUNDINGS["bias"] * _over_positions(at_output) * pair.bias_magnitude.reshape(1, 1, -1)
    at_layer_output = PARAMETER_ROUNDINGS["weight"] * pair.scale.unsqueeze(1) * at_output
    return [(scale.abs().sum(2), scale.square().sum(2)), (bias.abs().sum(2), bias.square().sum(2)), _weight_shares(pair, at_layer_output)]


def _weight_shares(pair: _FoldedParameters, at_layer_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Σ_i |Wᵢ·∂N_o/∂Wᵢ| and Σ_i (Wᵢ·∂N_o/∂Wᵢ)² per (sample, output).

    A Linear layer uses each weight once per sample, so ∂N_o/∂W_ci = g_c·x_i and both sums
    are products of |g| with |W|·|x| (a 16k × 1k layer's gradients would not fit in memory
    for every output); a convolution shares its weights across positions, so its
    gradients come from the layer's vector-Jacobian product, one per output.
    """
    weight, x = pair.layer.weight.detach(), pair.layer_input
    if isinstance(pair.layer, nn.Linear):
        return (
            (at_layer_output.abs() * (x.abs() @ weight.abs().T).unsqueeze(1)).sum(2),
            (at_layer_output.square() * (x.square() @ weight.square().T).unsqueeze(1)).sum(2),
        )
    if _unfoldable(pair.layer):
        return _conv2d_weight_shares(pair.layer, x, at_layer_output)
    worst, spread = [], []
    for sample in range(x.shape[0]):

        def layer_output(w: torch.Tensor, sample: int = sample) -> torch.Tensor:
            return torch.func.functional_call(pair.layer, {"weight": w}, (x[sample : sample + 1],), strict=False)

        _, pull_back = torch.func.vjp(layer_output, weight)
        # A loop, not vmap: vmap's float64 convolution backward is a hundred times slower,
        # and one output's shares at a time stay in cache.
        norms = torch.zeros(2, at_layer_output.shape[1], dtype=torch.float64)
        for o, g in enumerate(at_layer_output[sample]):
            share = weight * pull_back(g.unsqueeze(0))[0]
            norms[0, o], norms[1, o] = torch.linalg.vector_norm(share, ord=1), torch.linalg.vector_norm(share, ord=2).square()
        worst.append(norms[0])
        spread.append(norms[1])
    return torch.stack(worst), torch.stack(spread)


# Outputs whose weight gradients are computed in one product: a chunk's gradients stay within
# 2²² numbers (32 MB in float64), resnet18's largest convolution one output at a time.
GRADIENT_CHUNK_ELEMENTS = 2**22


def _unfoldable(layer: nn.Module) -> bool:
    """A Conv2d whose input ``unfold`` lays out as the convolution reads it: zero padding given in numbers."""
    return type(layer) is nn.Conv2d and layer.padding_mode == "zeros" and not isinstance(layer.padding, str)


def _conv2d_weight_shares(layer: nn.Conv2d, x: torch.Tensor, at_layer_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`_weight_shares` of a Conv2d, its gradients for all outputs of a sample in one product.

    A convolution's weight gradient is the output gradient times the unfolded input (im2col):
    ∂N_o/∂W[c, i, k] = Σ_l g_o[c, l]·X[group(c)·i, k, l], with X the input's patches, one
    column per output position l. The same numbers the layer's vector-Jacobian product gives,
    without a backward pass per output.
    """
    weight = layer.weight.detach()
    groups, outputs = layer.groups, at_layer_output.shape[1]
    chunk = max(1, GRADIENT_CHUNK_ELEMENTS // weight.numel())
    worst = torch.zeros(x.shape[0], outputs, dtype=torch.float64)
    spread = torch.zeros_like(worst)
    for sample in range(x.shape[0]):
        patches = torch.nn.functional.unfold(
            x[sample : sample + 1], layer.kernel_size, dilation=layer.dilation, padding=layer.padding, stride=layer.stride
        )
        patches = patches.reshape(groups, -1, patches.shape[-1])  # (groups, inputs per group · kernel, positions)
        for first in range(0, outputs, chunk):
            g = at_layer_output[sample, first : first + chunk]
            g = g.reshape(g.shape[0], groups, -1, patches.shape[-1])  # (outputs, groups, channels per group, positions)
            gradient = torch.einsum("ogcl,gkl->ogck", g, patches).reshape(g.shape[0], *weight.shape)
            share = (weight * gradient).flatten(1)
            worst[sample, first : first + chunk] = torch.linalg.vector_norm(share, ord=1, dim=1)
            spread[sample, first : first + chunk] = torch.linalg.vector_norm(share, ord=2, dim=1).square()
    return worst, spread


def _over_positions(t: torch.Tensor) -> torch.Tensor:
    """Sum (samples, outputs, channels, positions…) over the positions (``sum(())`` would sum everything)."""
    return t.flatten(3).sum(3) if t.dim() > 3 else t


@dataclass(frozen=True)
class NetworkBounds:
    """Bounds on ``|N(x) with folded parameters − N(x) exact|`` per output element, both run in float64.

    ``worst`` holds at first order with no model; ``tolerance`` replaces the parameters'
    worst case by the independent-rounding bound where that is smaller.
    """

    exact: torch.Tensor  # the unfused network in float64: the oracle
    forward: torch.Tensor  # (u₆₄+u₆₄)·Σ|∂N/∂v|·n·M: float64 rounding on both sides, at its worst
    parameters_worst: torch.Tensor  # (u+u₆₄)·Σ_θ k_θ|θ·∂N/∂θ|
    parameters_probable: torch.Tensor  # (u+u₆₄)·λ·sqrt(Σ_θ (k_θ·θ·∂N/∂θ)²)
    z: float  # λ
    alpha: float  # the false alarm λ was chosen for
    sites: int
    kinks_crossed: int

    @property
    def worst(self) -> torch.Tensor:
        return self.forward + self.parameters_worst

    @property
    def tolerance(self) -> torch.Tensor:
        return self.forward + torch.minimum(self.parameters_worst, self.parameters_probable)


def network_bounds(model: nn.Module, x: torch.Tensor) -> NetworkBounds:
    """The bounds for a fold of ``model`` whose parameters are stored in ``x``'s dtype, evaluated in float64 on ``x``.

    Pre-activations within rounding of a kink are found at the parameters' unit roundoff:
    at their worst for float64, λ standard deviations of the independent-rounding model
    for float32 (the worst-case estimate at float32's u exceeds mobilenet_v2's output, and
    every unit would count as near a kink).
    """
    if any(module.training for module in model.modules()):
        raise InvalidInput("model is in training mode; fold equivalence needs eval mode (call model.eval())")
    copied = copy.deepcopy(model).double()
    for module in copied.modules():
        if getattr(module, "inplace", False):
            module.inplace = False  # in-place ReLU would overwrite the values we differentiate at
    traced = fx.symbolic_trace(copied)
    x64 = x.double()
    try:
        with torch.no_grad():
            exact = traced(x64).clone()  # a clone: released below with the copy if the network returned a tensor of its own
        alpha = model_false_alarm()
        z = math.sqrt(2 * math.log(2 * exact.numel() / alpha))
        sums = _first_order_sums(traced, x64, z=None if x.dtype == torch.float64 else z, margin_dtype=x.dtype)
    finally:
        _release(copied)
    unit = UNIT_ROUNDOFF[x.dtype] + U64  # the fold's parameters are computed elementwise
    return NetworkBounds(
        exact=exact,
        forward=sums.forward,
        parameters_worst=unit * sums.parameters_worst,
        parameters_probable=unit * z * sums.parameters_spread.sqrt(),
        z=z,
        alpha=alpha,
        sites=sums.sites,
        kinks_crossed=sums.kinks_crossed,
    )


def _release(copied: nn.Module) -> None:
    """Free the tensors of a private copy now.

    A traced network is a cycle (graph ↔ nodes ↔ module) that holds the copy's tensors until
    the interpreter's next full collection, which costs a few tenths of a second in a large
    process (more than the whole check of a small network); emptied here, the cycle holds
    nothing large. Only for a copy made here: no one else sees its tensors.
    """
    with torch.no_grad():
        for tensor in itertools.chain(copied.parameters(), copied.buffers()):
            tensor.data = torch.empty(0, dtype=tensor.dtype)


def network_tolerance(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, str]:
    """The per-output tolerance for a fold of ``model`` evaluated in float64 on ``x``, and its reason."""
    return _tolerance_and_reason(network_bounds(model, x), x)


def _tolerance_and_reason(bounds: NetworkBounds, x: torch.Tensor) -> tuple[torch.Tensor, str]:
    u = UNIT_ROUNDOFF[x.dtype]
    reason = (
        f"the folded parameters evaluated exactly (a float64 copy on the float64 input), against the unfused network in "
        f"float64. Tolerance: forward rounding at its worst, (u64+u64)·Σ|∂N/∂v|·n·M over {bounds.sites} rounding sites "
        f"(affine: k+8 roundings of T=|s|(|W|⊛|x|+|c|+|μ|)+|β|, sums: 1 of |a|+|b|, averages: m+1 of mean|a|), plus the "
        f"folded parameters' rounding (u={u:.2e}; {PARAMETER_ROUNDINGS['weight']}u per weight, "
        f"{PARAMETER_ROUNDINGS['scale']}u per scale, {PARAMETER_ROUNDINGS['bias']}u per bias) by the smaller of its worst case "
        f"(u+u64)·Σ_θ k_θ|θ·∂N/∂θ| and the independent-rounding bound (Hoeffding, λ={bounds.z:.2f}, false alarm ≤ "
        f"{bounds.alpha:.2g}) (u+u64)·λ·sqrt(Σ_θ (k_θ·θ·∂N/∂θ)²); activations by their Lipschitz constant at the "
        f"{bounds.kinks_crossed} pre-activations within rounding of a kink"
    )
    return bounds.tolerance, reason


# --- the check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkCase:
    """A calibrated eval-mode network and an input batch; ``name`` and ``seed`` rebuild it."""

    name: str
    model: nn.Module
    x: torch.Tensor
    seed: int = 0

    def __repr__(self) -> str:
        return f"{self.name} on x{tuple(self.x.shape)} {str(self.x.dtype).removeprefix('torch.')}, seed={self.seed}"


def classify_network_case(case: NetworkCase) -> dict[str, str]:
    """The covered classes of an example: its network and dtype."""
    return {"network": case.name, "dtype": str(case.x.dtype).removeprefix("torch.")}


def _folded_in_float64(folded: nn.Module, x: torch.Tensor, own_output: torch.Tensor) -> torch.Tensor | str:
    """The folded network with its parameters evaluated exactly: a float64 copy on the float64 input.

    A float64 fold's own run is that already. A copy, not ``folded.double()``: a wrong fold
    may share parameters with the caller's model. Returns what went wrong, in words, when
    the copy cannot be made or does not compute in float64.
    """
    if x.dtype == torch.float64:
        return own_output
    copied = None
    try:
        copied = copy.deepcopy(folded).double()
        with torch.no_grad():
            output = copied(x.double())
        if isinstance(output, torch.Tensor):
            output = output.clone()  # not a tensor of the copy, which is released below
    except Exception as error:  # noqa: BLE001 — whatever the returned module raises is the implementation's failure
        return f"returned a network that cannot be evaluated in float64 (.double() on a copy, then the float64 input): {type(error).__name__}: {error}"
    finally:
        if isinstance(copied, nn.Module):
            _release(copied)
    if not isinstance(output, torch.Tensor) or output.dtype != torch.float64:
        got = output.dtype if isinstance(output, torch.Tensor) else type(output).__name__
        return f"returned a network that answers in {got} once cast with .double(): its parameters cannot be evaluated exactly"
    return output


COLLECT_ABOVE_BYTES = 16 * 2**20
"""A network whose tensors take this much (a million float64 parameters, or two million float32) is
collected after each check: the three networks of the strategy are; a test's tiny network is not."""


def _tensor_bytes(model: nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in itertools.chain(model.parameters(), model.buffers()))


def check_fold_network(implementation: Callable[[nn.Module], nn.Module], case: NetworkCase) -> Evidence:
    """Check ``implementation(model)``, its parameters evaluated in float64, against ``model`` itself in float64."""
    theorem_id = "fold-network"
    if not isinstance(case, NetworkCase):
        raise InvalidInput(f"{theorem_id} checks a NetworkCase(name, model, x), got {type(case).__name__}")
    if any(module.training for module in case.model.modules()):
        raise InvalidInput("model is in training mode; fold equivalence needs eval mode (call model.eval())")
    example = repr(case)
    outcome = run_folding(theorem_id, example, implementation, (case.model,), ("model",), case.x)
    if isinstance(outcome, Evidence):
        return outcome
    # The folded network's own run (in the input's dtype) is kept for what it dispatched
    # and for its finiteness; the numbers compared are its parameters' in float64.
    own_output, operators = outcome[1], outcome[2]
    if not torch.isfinite(own_output).all():
        bad = int((~torch.isfinite(own_output)).sum())
        return implementation_failure(theorem_id, example, f"returned {bad} non-finite values (NaN or inf)")
    actual = _folded_in_float64(outcome[0], case.x, own_output)
    del outcome  # the folded network, before the float64 copy of the unfused one is made (peak memory)
    if isinstance(actual, str):
        return implementation_failure(theorem_id, example, actual)
    # The folded network is the implementation's, and a traced one is a cycle (graph ↔ nodes ↔
    # module): freed now, not at the interpreter's next full collection, a large one does not
    # pile up over the examples (measured 0.3 GB an example of the notes' network). A full
    # collection costs a few tenths of a second in a large process, more than the whole check
    # of a small network, whose cycles are left to the interpreter. The float64 copies made
    # here are released as soon as they are used (_release).
    if _tensor_bytes(case.model) >= COLLECT_ABOVE_BYTES:
        gc.collect()
    bounds = network_bounds(case.model, case.x)
    tolerance, reason = _tolerance_and_reason(bounds, case.x)
    evidence = compare_elementwise(
        theorem_id=theorem_id, example=example, expected=bounds.exact, actual=actual, tolerance=tolerance, tolerance_reason=reason
    )
    # Any batch normalisation the folded network still computes, whatever module runs it
    # (a wrapper, a scripted copy, a functional call), means a pair was not folded.
    remaining = batch_norm_operators(operators)
    if remaining and evidence.holds:
        count = sum(remaining.values())
        names = ", ".join(f"aten.{name}" for name in sorted(remaining))
        return implementation_failure(theorem_id, example, f"returned a network that still runs batch normalisation {count} times ({names}): not every pair was folded")
    return evidence
