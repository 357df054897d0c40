"""Deliberately wrong folds: the mistakes people make, each of which the check must falsify."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from theorems.fold import CONV_TRANSPOSES, folded_bias, folded_weight
from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]

FOLD_IDS = ("fold-linear", "fold-conv", "fold-conv-transpose")


def _folding(
    scale_of: Callable[[nn.modules.batchnorm._BatchNorm], torch.Tensor],
    bias_of: Callable[[nn.Module, nn.modules.batchnorm._BatchNorm, torch.Tensor], torch.Tensor],
    *,
    layout: str = "right",
    in_place: bool = False,
) -> Callable[[nn.Module, nn.modules.batchnorm._BatchNorm], nn.Module]:
    """A fold built from a (possibly wrong) scale, bias and weight layout."""

    def fold(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
        folded = layer if in_place else copy.deepcopy(layer)
        with torch.no_grad():
            scale = scale_of(bn)
            transpose = isinstance(layer, CONV_TRANSPOSES)
            if layout == "right":
                weight = folded_weight(layer.weight, scale, transpose=transpose, groups=getattr(layer, "groups", 1))
            elif layout == "ungrouped":  # the scale on weight dimension 1, ignoring groups
                weight = layer.weight * scale.reshape(1, -1, *(1,) * (layer.weight.dim() - 2))
            else:  # "input-channels": the scale on the wrong weight dimension
                weight = folded_weight(layer.weight, scale, transpose=not transpose, groups=1)
            bias = bias_of(layer, bn, scale)
            if in_place:
                layer.weight.copy_(weight)
            else:
                folded.weight = nn.Parameter(weight)
            folded.bias = nn.Parameter(bias)
        return folded

    return fold


def _scale(bn: nn.modules.batchnorm._BatchNorm) -> torch.Tensor:
    gamma = 1.0 if bn.weight is None else bn.weight
    return gamma / torch.sqrt(bn.running_var + bn.eps)


def _bias(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm, scale: torch.Tensor) -> torch.Tensor:
    return folded_bias(layer.bias, scale, bn.running_mean, bn.bias)


def _zero_if_none(tensor: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(like) if tensor is None else tensor


MISTAKES: dict[str, tuple[str, Callable[[nn.Module, nn.modules.batchnorm._BatchNorm], nn.Module]]] = {
    "eps-dropped": (
        "s = γ/sqrt(σ²): the ε inside the square root is forgotten",
        _folding(lambda bn: (1.0 if bn.weight is None else bn.weight) / torch.sqrt(bn.running_var), _bias),
    ),
    "sqrt-dropped": (
        "s = γ/(σ² + ε): the variance used where the standard deviation belongs",
        _folding(lambda bn: (1.0 if bn.weight is None else bn.weight) / (bn.running_var + bn.eps), _bias),
    ),
    "mean-dropped": (
        "c' = s·c + β: the running mean is not subtracted",
        _folding(_scale, lambda layer, bn, s: s * _zero_if_none(layer.bias, s) + _zero_if_none(bn.bias, s)),
    ),
    "bias-unscaled": (
        "c' = c − μ + β: the shift is not multiplied by s",
        _folding(
            _scale,
            lambda layer, bn, s: _zero_if_none(layer.bias, s) - bn.running_mean + _zero_if_none(bn.bias, s),
        ),
    ),
    "beta-dropped": (
        "c' = s·(c − μ): BatchNorm's own shift β is lost",
        _folding(_scale, lambda layer, bn, s: folded_bias(layer.bias, s, bn.running_mean, None)),
    ),
    "wrong-weight-dimension": (
        "the scale applied along the input-channel dimension of the weight (a transposed layout)",
        _folding(_scale, _bias, layout="input-channels"),
    ),
    "mutates-arguments": (
        "right values, but the layer's weight is scaled in place: the caller's layer is modified",
        _folding(_scale, _bias, in_place=True),
    ),
}

def batchnorm_kept(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
    """Exact numbers, nothing folded: copies of the layer and its BatchNorm in an ``nn.Sequential``."""
    return nn.Sequential(copy.deepcopy(layer), copy.deepcopy(bn)).eval()


class _ScaledLayer(nn.Module):
    """The layer, then BatchNorm's scale and shift applied to its output: numerically the fold, structurally not."""

    def __init__(self, layer: nn.Module, scale: torch.Tensor, shift: torch.Tensor) -> None:
        super().__init__()
        self.layer = copy.deepcopy(layer)
        shape = (-1,) + (1,) * (layer.weight.dim() - 2)
        self.register_buffer("scale", scale.detach().reshape(shape).clone())
        self.register_buffer("shift", shift.detach().reshape(shape).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(x) * self.scale + self.shift


def scale_left_outside(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
    """``s·layer(x) + (β − s·μ)``: BatchNorm's affine map kept after the layer instead of folded into W and c."""
    with torch.no_grad():
        scale = _scale(bn).to(layer.weight.dtype)
        shift = _zero_if_none(bn.bias, scale) - scale * bn.running_mean
    return _ScaledLayer(layer, scale, shift.to(layer.weight.dtype)).eval()


STRUCTURAL_MISTAKES: dict[str, tuple[str, Callable[[nn.Module, nn.modules.batchnorm._BatchNorm], nn.Module]]] = {
    "batchnorm-kept": ("nn.Sequential(layer, bn): exact numbers, nothing folded", batchnorm_kept),
    "scale-left-outside": ("s·layer(x) + (β − s·μ): BatchNorm's affine map applied after the layer, not folded into it", scale_left_outside),
}

WRONG_IMPLEMENTATIONS: tuple[WrongImplementation, ...] = tuple(
    WrongImplementation(theorem_id=theorem_id, name=name, mistake=mistake, implementation=implementation)
    for theorem_id in FOLD_IDS
    for name, (mistake, implementation) in {**MISTAKES, **STRUCTURAL_MISTAKES}.items()
) + (
    WrongImplementation(
        theorem_id="fold-conv-transpose",
        name="groups-ignored",
        mistake="the scale reshaped to (1, C_out, 1, …) on a grouped ConvTranspose weight (C_in, C_out/groups, k…)",
        implementation=_folding(_scale, _bias, layout="ungrouped"),
    ),
)
