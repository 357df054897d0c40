"""Deliberately wrong whole-network folds: mistakes people make, which ``fold-network``'s check must falsify.

Each follows the contract ``(model in eval mode) -> nn.Module with no BatchNorm left``
and is written the way such folds usually are: find the (layer, BatchNorm) pairs
(:func:`theorems.fold_networks.folding.folded_pairs`), swap modules by name in a copy of the
model. Some get one layer's algebra wrong (the per-layer mistakes of
``theorems/fold/catalogue.py``, applied to every pair); others get the network's
bookkeeping wrong. ``tests/fold_networks/test_fold_networks.py`` proves each is falsified.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from theorems.fold.catalogue import MISTAKES
from theorems.fold_networks.folding import FOLDERS, folded_pairs
from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]

LayerFold = Callable[[nn.Module, nn.modules.batchnorm._BatchNorm], nn.Module]


def _right_fold(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
    return FOLDERS[type(layer)](layer, bn)


def _swap_pairs(
    model: nn.Module, fold: LayerFold, *, drop_batchnorm: bool = True, pairs: slice = slice(None), copied: bool = True
) -> nn.Module:
    """Replace each foldable layer by ``fold(layer, bn)`` and (if ``drop_batchnorm``) its BatchNorm by Identity."""
    folded = copy.deepcopy(model) if copied else model
    for layer_name, bn_name in folded_pairs(folded)[pairs]:
        layer, bn = folded.get_submodule(layer_name), folded.get_submodule(bn_name)
        folded.set_submodule(layer_name, fold(layer, bn))
        if drop_batchnorm:
            folded.set_submodule(bn_name, nn.Identity())
    return folded.eval()


def eps_dropped(model: nn.Module) -> nn.Module:
    """Every pair folded with s = γ/sqrt(σ²): the ε inside the square root is forgotten."""
    return _swap_pairs(model, MISTAKES["eps-dropped"][1])


def running_var_as_std(model: nn.Module) -> nn.Module:
    """Every pair folded with s = γ/(σ² + ε): the running variance used where the standard deviation belongs."""
    return _swap_pairs(model, MISTAKES["sqrt-dropped"][1])


def mean_shift_forgotten(model: nn.Module) -> nn.Module:
    """Every pair folded with c' = s·c + β: the running mean is never subtracted."""
    return _swap_pairs(model, MISTAKES["mean-dropped"][1])


def batchnorm_deleted_not_folded(model: nn.Module) -> nn.Module:
    """Each BatchNorm replaced by Identity and its layer left as it was: the normalisation is lost."""
    return _swap_pairs(model, lambda layer, bn: layer)


def batchnorm_kept_after_folding(model: nn.Module) -> nn.Module:
    """Each layer folded but its BatchNorm left in place: the normalisation is applied twice."""
    return _swap_pairs(model, _right_fold, drop_batchnorm=False)


def first_pair_only(model: nn.Module) -> nn.Module:
    """Folds the first (layer, BatchNorm) pair and stops: the other BatchNorms stay in the network."""
    return _swap_pairs(model, _right_fold, pairs=slice(0, 1))


def keras_eps(model: nn.Module) -> nn.Module:
    """Every pair folded with ε = 1e-3 (Keras' default) instead of the BatchNorm's own ε (PyTorch's 1e-5).

    A few parts in 10⁴ per layer: invisible to a bound on float32's forward rounding, which is
    a sizeable fraction of the output, and far above what rounding the folded parameters
    costs, which is all the float32 check allows (it evaluates them in float64).
    """

    def fold(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
        keras = copy.deepcopy(bn)
        keras.eps = 1e-3
        return _right_fold(layer, keras)

    return _swap_pairs(model, fold)


def linear_pairs_dropped(model: nn.Module) -> nn.Module:
    """Convolutions folded right; a Linear → BatchNorm1d pair loses its BatchNorm unfolded.

    Wrong only where a network has such a pair: smallNet's fc1 (resnet18 and mobilenet_v2
    normalise only after convolutions), the class ``network=small-net`` the run covers.
    """

    def fold(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
        return layer if isinstance(layer, nn.Linear) else _right_fold(layer, bn)

    return _swap_pairs(model, fold)


class FunctionalBatchNorm(nn.Module):
    """A module of another type that still normalises: ``F.batch_norm`` on a BatchNorm's buffers."""

    def __init__(self, bn: nn.modules.batchnorm._BatchNorm) -> None:
        super().__init__()
        self.statistics = bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bn = self.statistics
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)


def batchnorm_renamed_not_folded(model: nn.Module) -> nn.Module:
    """Nothing folded: every BatchNorm hidden in a wrapper that calls ``F.batch_norm`` (exact numbers, no fold)."""
    folded = copy.deepcopy(model)
    for layer_name, bn_name in folded_pairs(folded):
        folded.set_submodule(bn_name, FunctionalBatchNorm(folded.get_submodule(bn_name)))
    return folded.eval()


def folds_in_place(model: nn.Module) -> nn.Module:
    """Right values, but the caller's model is folded in place (weights scaled, BatchNorms replaced)."""
    return _swap_pairs(model, MISTAKES["mutates-arguments"][1], copied=False)


WRONG_IMPLEMENTATIONS: tuple[WrongImplementation, ...] = tuple(
    WrongImplementation("fold-network", name, mistake, function)
    for name, mistake, function in (
        ("eps dropped", "s = γ/sqrt(σ²) in every pair", eps_dropped),
        ("variance as std", "s = γ/(σ² + ε) in every pair", running_var_as_std),
        ("mean shift forgotten", "c' = s·c + β in every pair", mean_shift_forgotten),
        ("BatchNorm deleted", "BatchNorm removed, not folded", batchnorm_deleted_not_folded),
        ("BatchNorm kept", "folded, and BatchNorm applied again", batchnorm_kept_after_folding),
        ("first pair only", "only the first BatchNorm folded", first_pair_only),
        ("Keras eps", "ε = 1e-3 (Keras' default) instead of the BatchNorm's ε", keras_eps),
        ("Linear pairs dropped", "BatchNorm1d after a Linear removed, not folded", linear_pairs_dropped),
        ("folds in place", "the caller's model is modified", folds_in_place),
        ("BatchNorm hidden in a wrapper", "nothing folded; each BatchNorm runs as F.batch_norm in a module of another type", batchnorm_renamed_not_folded),
    )
)
