"""Folding a traced network: which (layer, BatchNorm) pairs fold, and the network with them replaced.

A pair folds where the BatchNorm's only input is a Conv/Linear/ConvTranspose whose only use
is that BatchNorm (:func:`foldable_pairs`); :func:`replace_pairs` traces a copy with
``torch.fx``, swaps each such layer for what a fold makes of it, and drops the BatchNorm.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from torch import fx, nn

from theorems.fold.check import CONV_TRANSPOSES, CONVS, fold_conv, fold_conv_transpose, fold_linear

__all__ = ["FOLDERS", "foldable_pairs", "folded_pairs", "replace_pairs"]

# The right fold of each layer type that a BatchNorm may follow (T1's reference, layer by layer).
FOLDERS: dict[type, Callable[[nn.Module, nn.Module], nn.Module]] = {
    **{kind: fold_conv for kind in CONVS},
    **{kind: fold_conv_transpose for kind in CONV_TRANSPOSES},
    nn.Linear: fold_linear,
}


def foldable_pairs(traced: fx.GraphModule) -> list[tuple[fx.Node, fx.Node]]:
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
    return [(layer.target, bn.target) for layer, bn in foldable_pairs(traced)]


def replace_pairs(
    model: nn.Module, replace: Callable[[nn.Module, nn.Module], nn.Module]
) -> tuple[fx.GraphModule, set[str]]:
    """Trace ``model``, replace each foldable layer by ``replace(layer, bn)``, drop the BatchNorm.

    Returns the rewritten network and the names of the replaced layers.
    """
    traced = fx.symbolic_trace(copy.deepcopy(model))
    modules = dict(traced.named_modules())
    pairs = foldable_pairs(traced)
    for layer_node, bn_node in pairs:
        traced.add_submodule(layer_node.target, replace(modules[layer_node.target], modules[bn_node.target]))
        bn_node.replace_all_uses_with(layer_node)
        traced.graph.erase_node(bn_node)
    traced.graph.lint()
    traced.delete_all_unused_submodules()
    traced.recompile()
    return traced.eval(), {layer_node.target for layer_node, _ in pairs}


