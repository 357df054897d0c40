r"""T1 on whole networks: every Conv/Linear → BatchNorm pair of a network folded at once.

:func:`fold_network` traces a network with ``torch.fx``, folds each eval-mode
BatchNorm into the Conv/Linear/ConvTranspose that feeds it (and only it), and returns a
network without those BatchNorms that computes the same function. The tolerance
propagates the per-layer roundoff bound of :mod:`theorems.fold` through the rest of
the network (:func:`network_tolerance`).

The notes' network (:class:`SmallNetTrain`, :class:`SmallNetTest`) lives here too:
conv–BN–ReLU twice, Linear–BN1d–ReLU, Linear–ReLU on CIFAR-10-shaped inputs.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import fx, nn

from theorems.evidence import Evidence, compare_elementwise, implementation_failure
from theorems.operators import batch_norm_operators
from theorems.fold import (
    CONV_TRANSPOSES,
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
from theorems.tolerance import U64, unit_roundoff

__all__ = [
    "NetworkCase",
    "SmallNetTest",
    "SmallNetTrain",
    "calibrate",
    "fold_network",
    "folded_pairs",
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
# A first-order running-error analysis over the traced graph. Every rounding in either
# computation is a relative perturbation of size at most c·(u + u₆₄) of some computed
# term: for an affine layer (with its BatchNorm or its fold) the k products and the
# BatchNorm arithmetic, bounded per output element by (k+8)(u+u₆₄)·T with
# T = |s|(|W|⊛|x|+|c|+|μ|)+|β| (see theorems.fold.fold_tolerance); for a sum a + b,
# (u+u₆₄)(|a|+|b|); for an average over m values, (m+1)(u+u₆₄)·mean|a|. ReLU, ReLU6, max
# pooling, dropout in eval, flatten and reshapes are exact. To first order the output
# error is Σ_nodes ∂N/∂v · δ_v, so
#
#     |N_o(computed) − N_o(exact)| ≤ Σ_nodes Σ_j |∂N_o/∂v_j| · bound_j(v),
#
# with ∂N_o/∂v from autograd through the float64 network (one backward pass per output
# coordinate; samples are independent in eval mode, so one pass serves the batch).

EXACT_MODULES = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Hardtanh, nn.Identity, nn.Dropout,
                 nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.Flatten)
AVERAGE_MODULES = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
EXACT_FUNCTIONS = {torch.flatten, torch.relu, torch.nn.functional.relu, getattr}
EXACT_METHODS = {"flatten", "view", "reshape", "size", "contiguous", "relu"}
ADDITIONS = {operator.add, operator.iadd, torch.add}
AVERAGES = {torch.nn.functional.adaptive_avg_pool1d, torch.nn.functional.adaptive_avg_pool2d,
            torch.nn.functional.adaptive_avg_pool3d}


def _average_bound(node_input: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """(m+1)·mean|a| for an adaptive average of m values per output element."""
    window = max(1, node_input[0, 0].numel() // max(1, output[0, 0].numel()))
    pooled = torch.nn.functional.adaptive_avg_pool2d if output.dim() == 4 else torch.nn.functional.adaptive_avg_pool1d
    if output.dim() == 5:
        pooled = torch.nn.functional.adaptive_avg_pool3d
    return (window + 1) * pooled(node_input.abs(), output.shape[2:])


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


class _RoundingBounds(fx.Interpreter):
    """Run the unfused network in float64, keeping each rounded value and its per-element bound/(u+u₆₄).

    Beside it runs a forward running-error bound ``e(v)`` (in units of ``u+u₆₄``: each
    node's own rounding plus what it inherits, through ``|W|`` for a layer and the
    Lipschitz constant for an activation). It is looser than the first-order backward
    bound that :func:`network_tolerance` computes, and serves one purpose: to find the
    pre-activations within rounding of a kink, whose derivative is then taken as the
    activation's Lipschitz constant.
    """

    def __init__(self, module: fx.GraphModule, u: float) -> None:
        super().__init__(module)
        self.unit = u + U64
        self.modules = dict(module.named_modules())
        self.folded = {bn.name: layer for layer, bn in _foldable_pairs(module)}
        self.inputs: dict[str, torch.Tensor] = {}
        self.rounded: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.errors: dict[str, torch.Tensor] = {}
        self.kinks_crossed = 0

    def run_node(self, node: fx.Node) -> object:
        value = super().run_node(node)
        if node.op == "call_module" and isinstance(self.modules[node.target], tuple(FOLDERS)):
            self.inputs[node.name] = self.env[node.args[0]]
        bound = self._bound(node, value)
        if bound is not None:
            self.rounded.append((value, bound))
        if isinstance(value, torch.Tensor):
            error = self._inherited(node, value)
            self.errors[node.name] = error if bound is None else error + bound.detach()
            value = self._lipschitz_at_kinks(node, value)
        return value

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
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    scale = batchnorm_scale(module.running_var.double(), module.eps, None if module.weight is None else module.weight.double()).abs()
                    return scale.reshape((1, -1) + (1,) * (incoming.dim() - 2)) * incoming
                if isinstance(module, tuple(FOLDERS)):
                    return _absolute(module)(incoming)
                if isinstance(module, ACTIVATION_MODULES):
                    return _lipschitz(module) * incoming
                return module(incoming).detach().abs()  # pooling, flatten, identity, dropout in eval
            if node.op == "call_function" and node.target in ADDITIONS:
                return sum(self._error_of(argument) for argument in node.args[:2]) + torch.zeros_like(value)
            if node.op == "call_function" and node.target in ACTIVATION_FUNCTIONS:
                return incoming
            args, kwargs = self.fetch_args_kwargs_from_env(node)
            if node.op == "call_function":
                return node.target(incoming, *args[1:], **kwargs)
            return getattr(incoming, node.target)(*args[1:], **kwargs)

    def _lipschitz_at_kinks(self, node: fx.Node, value: torch.Tensor) -> torch.Tensor:
        """``value`` unchanged, with the derivative at pre-activations within rounding of a kink set to the Lipschitz constant."""
        module = self.modules.get(node.target) if node.op == "call_module" else None
        is_activation = isinstance(module, ACTIVATION_MODULES) or (node.op == "call_function" and node.target in ACTIVATION_FUNCTIONS) or (
            node.op == "call_method" and node.target == "relu"
        )
        if not is_activation:
            return value
        a = self.env[node.args[0]]
        margin = self.unit * self._error_of(node.args[0])
        near = torch.zeros_like(a, dtype=torch.bool)
        for kink in _kinks(module):
            near |= (a.detach() - kink).abs() <= margin
        self.kinks_crossed += int(near.sum())
        correction = near.to(a.dtype) * (_lipschitz(module) - _derivative(module, a.detach()))
        return value + correction * (a - a.detach())

    def _bound(self, node: fx.Node, value: object) -> torch.Tensor | None:
        if node.op in ("placeholder", "output", "get_attr"):
            return None
        if node.op == "call_module":
            module = self.modules[node.target]
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                layer_node = self.folded.get(node.name)
                if layer_node is None:
                    raise InvalidInput(f"BatchNorm {node.target!r} does not follow a Conv/Linear alone; no fold and no bound")
                layer = self.modules[layer_node.target]
                return (terms_per_output(layer) + 8) * term_magnitude(layer, module, self.inputs[layer_node.name])
            if isinstance(module, tuple(FOLDERS)):
                if any(bn_layer is node for bn_layer in self.folded.values()):
                    return None  # bounded together with its BatchNorm
                return (terms_per_output(module) + 8) * term_magnitude(module, None, self.inputs[node.name])
            if isinstance(module, EXACT_MODULES):
                return None
            if isinstance(module, AVERAGE_MODULES):
                return _average_bound(self.env[node.args[0]], value)
            raise InvalidInput(f"no rounding-error model for module {node.target!r} of type {type(module).__name__}")
        if node.op == "call_function" and node.target in ADDITIONS:
            return sum(arg.abs() for arg in (self.env[a] for a in node.args[:2]))
        if node.op == "call_function" and node.target in AVERAGES:
            return _average_bound(self.env[node.args[0]], value)
        if (node.op == "call_function" and node.target in EXACT_FUNCTIONS) or (
            node.op == "call_method" and node.target in EXACT_METHODS
        ):
            return None
        raise InvalidInput(f"no rounding-error model for {node.op} {node.target!r}")


def _absolute(layer: nn.Module) -> nn.Module:
    """The layer with ``|W|`` and no bias, in float64: ``|W| ⊛ e`` carries an input error ``e`` through it."""
    absolute = copy.deepcopy(layer).double()
    with torch.no_grad():
        absolute.weight.abs_()
        if absolute.bias is not None:
            absolute.bias.zero_()
    return absolute


def network_tolerance(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, str]:
    """Per-output first-order bound ``(u+u₆₄) Σ_nodes Σ_j |∂N_o/∂v_j| c_j(v)`` and its reason."""
    copied = copy.deepcopy(model).double().eval()
    for module in copied.modules():
        if getattr(module, "inplace", False):
            module.inplace = False  # in-place ReLU would overwrite the values we differentiate at
    traced = fx.symbolic_trace(copied)
    u = unit_roundoff(x.dtype, x.device)
    interpreter = _RoundingBounds(traced, u)
    with torch.enable_grad():
        output = interpreter.run(x.double().requires_grad_(True))
        tolerance = torch.zeros_like(output)
        for o in range(output.shape[1]):
            gradients = torch.autograd.grad(output[:, o].sum(), [v for v, _ in interpreter.rounded], retain_graph=True)
            for gradient, (_, bound) in zip(gradients, interpreter.rounded):
                tolerance[:, o] += (gradient.abs() * bound).flatten(1).sum(1)
    reason = (
        f"first-order running-error bound (u+u64)·Σ_nodes|∂N/∂v|·c(v) over {len(interpreter.rounded)} rounding sites "
        f"(affine: (k+8)T, sums: |a|+|b|, averages: (m+1)mean|a|), u={u:.2e}; activations by their Lipschitz constant "
        f"at the {interpreter.kinks_crossed} pre-activations within rounding of a kink"
    )
    return (u + U64) * tolerance.detach(), reason


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


def check_fold_network(implementation: Callable[[nn.Module], nn.Module], case: NetworkCase) -> Evidence:
    """Check ``implementation(model)`` against ``model`` itself evaluated in float64."""
    theorem_id = "fold-network"
    if not isinstance(case, NetworkCase):
        raise InvalidInput(f"{theorem_id} checks a NetworkCase(name, model, x), got {type(case).__name__}")
    if any(module.training for module in case.model.modules()):
        raise InvalidInput("model is in training mode; fold equivalence needs eval mode (call model.eval())")
    example = repr(case)
    with torch.no_grad():
        expected = copy.deepcopy(case.model).double()(case.x.double())
    outcome = run_folding(theorem_id, example, implementation, (case.model,), ("model",), case.x)
    if isinstance(outcome, Evidence):
        return outcome
    _, actual, operators = outcome
    tolerance, reason = network_tolerance(case.model, case.x)
    evidence = compare_elementwise(
        theorem_id=theorem_id, example=example, expected=expected, actual=actual, tolerance=tolerance, tolerance_reason=reason
    )
    # Any batch normalisation the folded network still computes, whatever module runs it
    # (a wrapper, a scripted copy, a functional call), means a pair was not folded.
    remaining = batch_norm_operators(operators)
    if remaining and evidence.holds:
        count = sum(remaining.values())
        names = ", ".join(f"aten.{name}" for name in sorted(remaining))
        return implementation_failure(theorem_id, example, f"returned a network that still runs batch normalisation {count} times ({names}): not every pair was folded")
    return evidence
