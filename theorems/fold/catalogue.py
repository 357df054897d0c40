"""Deliberately wrong folds: the mistakes people make, each of which the check must falsify."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from theorems.fold.check import CONV_TRANSPOSES, folded_bias, folded_weight
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


def _gamma(bn: nn.modules.batchnorm._BatchNorm) -> torch.Tensor | float:
    return 1.0 if bn.weight is None else bn.weight


def layout_from_shape(*, transposed_first: bool) -> Callable[[nn.Module, nn.modules.batchnorm._BatchNorm], nn.Module]:
    """One fold for every layer kind that tells the weight's layout by its shape, not by the layer's type.

    ``transposed_first``: the weight is taken for a ConvTranspose's ``(C_in, C_out/groups, k…)``
    when dimension 1 times groups counts BatchNorm's channels, which a Linear or Conv
    weight with as many input as output channels does too (its input channels get the
    scales). Otherwise: the weight is taken for a Conv's ``(C_out, C_in/groups, k…)`` when
    dimension 0 counts them, which a ConvTranspose weight with as many input as output
    channels does too.
    """

    def fold(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
        groups = getattr(layer, "groups", 1)
        if transposed_first:
            transposed = layer.weight.shape[1] * groups == bn.num_features
        else:
            transposed = layer.weight.shape[0] != bn.num_features
        folded = copy.deepcopy(layer)
        with torch.no_grad():
            scale = _scale(bn)
            folded.weight = nn.Parameter(folded_weight(layer.weight, scale, transpose=transposed, groups=groups))
            folded.bias = nn.Parameter(_bias(layer, bn, scale))
        return folded

    return fold


def rebuilt_without(option: str) -> Callable[[nn.Module, nn.modules.batchnorm._BatchNorm], nn.Module]:
    """A fold into a new layer built from the old one's options, one of them (``option``) forgotten.

    The way fusion helpers are often written: ``nn.Conv2d(conv.in_channels,
    conv.out_channels, conv.kernel_size, stride=conv.stride, padding=conv.padding, …)``,
    then the folded weight viewed into the new layer's weight.
    """

    def fold(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
        transposed = isinstance(layer, CONV_TRANSPOSES)
        names = ("stride", "padding", "output_padding", "dilation", "groups") if transposed else ("stride", "padding", "dilation", "groups", "padding_mode")
        options = {name: getattr(layer, name) for name in names if name != option}
        fused = type(layer)(layer.in_channels, layer.out_channels, layer.kernel_size, bias=True, dtype=layer.weight.dtype, **options).eval()
        with torch.no_grad():
            scale = _scale(bn)
            weight = folded_weight(layer.weight, scale, transpose=transposed, groups=layer.groups)
            fused.weight.copy_(weight.view(fused.weight.shape))
            fused.bias.copy_(_bias(layer, bn, scale))
        return fused

    return fold


def folded_in_float32(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
    """The fold computed in float32 (``.float()``, as code written for half-precision models does), then cast back."""
    folded = copy.deepcopy(layer)
    with torch.no_grad():
        scale = _scale(bn).float()
        weight = folded_weight(
            layer.weight.float(), scale, transpose=isinstance(layer, CONV_TRANSPOSES), groups=getattr(layer, "groups", 1)
        )
        bias = folded_bias(None if layer.bias is None else layer.bias.float(), scale, bn.running_mean.float(), None if bn.bias is None else bn.bias.float())
        folded.weight = nn.Parameter(weight.to(layer.weight.dtype))
        folded.bias = nn.Parameter(bias.to(layer.weight.dtype))
    return folded


_right_fold = _folding(_scale, _bias)


def not_folded_without_affine(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
    """A BatchNorm without affine taken for the identity ("no γ, no β: nothing to fold"): the layer is returned as it is."""
    return copy.deepcopy(layer) if not bn.affine else _right_fold(layer, bn)


# Mistakes each of which is wrong only inside one structural class of its theorem (the
# class in brackets): the covered classes (``cover``) are what catch them in every run.
CLASS_MISTAKES: dict[str, tuple[str, Callable[[nn.Module, nn.modules.batchnorm._BatchNorm], nn.Module]]] = {
    "eps-outside-sqrt": (
        "s = γ/(sqrt(σ²) + ε): ε added outside the square root [small σ², dead channels]",
        _folding(lambda bn: _gamma(bn) / (torch.sqrt(bn.running_var) + bn.eps), _bias),
    ),
    "per-tensor-scale": (
        "one scale for every channel, the mean of the per-channel s (a per-tensor statistic) [two channels or more]",
        _folding(lambda bn: torch.full_like(_scale(bn), _scale(bn).mean().item()), _bias),
    ),
    "mean-dropped-without-bias": (
        "c' = β for a layer without bias: μ is subtracted only through the layer's own bias [bias=false]",
        _folding(_scale, lambda layer, bn, s: _bias(layer, bn, s) if layer.bias is not None else _zero_if_none(bn.bias, s)),
    ),
    "not-folded-without-affine": (
        "a BatchNorm without affine taken for the identity: the layer returned unchanged [affine=false]",
        not_folded_without_affine,
    ),
    "folded-in-float32": (
        "the fold computed in float32 and cast back: float64 layers lose half their digits [dtype=float64]",
        folded_in_float32,
    ),
}

LAYOUT_FROM_SHAPE = {
    "fold-linear": (
        "the weight taken for a transposed layout when its dimension 1 counts BatchNorm's features: "
        "with in_features == out_features the input features get the scales [channels=equal]",
        layout_from_shape(transposed_first=True),
    ),
    "fold-conv": (
        "the weight taken for a ConvTranspose's (C_in, C_out/groups, k…) when dimension 1 × groups counts "
        "BatchNorm's channels: with in_channels == out_channels the input channels get the scales [channels=equal]",
        layout_from_shape(transposed_first=True),
    ),
    "fold-conv-transpose": (
        "the weight taken for a Conv's (C_out, C_in/groups, k…) when dimension 0 counts BatchNorm's channels: "
        "with in_channels == out_channels the input channels get the scales [channels=equal]",
        layout_from_shape(transposed_first=False),
    ),
}

REBUILT = {
    "fold-conv": {
        "rebuilt-without-groups": ("a new Conv built without groups=conv.groups [grouping=depthwise, grouped]", rebuilt_without("groups")),
        "rebuilt-without-dilation": ("a new Conv built without dilation=conv.dilation [strided=true]", rebuilt_without("dilation")),
        "rebuilt-without-padding-mode": (
            "a new Conv built without padding_mode=conv.padding_mode: zeros where it reflected, replicated or wrapped "
            "[padding_mode other than zeros]",
            rebuilt_without("padding_mode"),
        ),
    },
    "fold-conv-transpose": {
        "rebuilt-without-output-padding": (
            "a new ConvTranspose built without output_padding=layer.output_padding: its output is too short "
            "[upsampling=output-padded]",
            rebuilt_without("output_padding"),
        ),
    },
}

WRONG_IMPLEMENTATIONS: tuple[WrongImplementation, ...] = tuple(
    WrongImplementation(theorem_id=theorem_id, name=name, mistake=mistake, implementation=implementation)
    for theorem_id in FOLD_IDS
    for name, (mistake, implementation) in {
        **MISTAKES, **STRUCTURAL_MISTAKES, **CLASS_MISTAKES, "layout-from-shape": LAYOUT_FROM_SHAPE[theorem_id], **REBUILT.get(theorem_id, {})
    }.items()
) + (
    WrongImplementation(
        theorem_id="fold-conv-transpose",
        name="groups-ignored",
        mistake="the scale reshaped to (1, C_out, 1, …) on a grouped ConvTranspose weight (C_in, C_out/groups, k…)",
        implementation=_folding(_scale, _bias, layout="ungrouped"),
    ),
)
