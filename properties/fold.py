"""Strategies for fold equivalence: layers, the BatchNorm after them, and inputs.

Shapes, flags and scales are drawn by Hypothesis (they shrink); parameter values come
from the layers' own default initialisers and from torch under a drawn seed
(see :mod:`theorems.strategies.seeding`). Every BatchNorm is in eval mode with running
statistics spanning many orders of magnitude.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from torch import nn

from theorems.fold.check import BATCHNORM_FOR_DIMS, FoldCase
from theorems.strategies._domain import one_of_values
from theorems.strategies.seeding import log_scales, seeds, torch_seeded
from theorems.fold_networks.check import NetworkCase
from theorems.fold_networks.networks import SmallNetTrain, calibrate

__all__ = [
    "batchnorms",
    "classify_fold_case",
    "conv_cases",
    "conv_transpose_cases",
    "dtypes",
    "linear_cases",
    "network_cases",
    "normalised_images",
]

DTYPES = {"float64": torch.float64, "float32": torch.float32}
dtypes = st.sampled_from([torch.float64, torch.float32])
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
FLAGS = (False, True)
GROUPS = (1, 2, 3, 4)
GROUPINGS = ("none", "depthwise", "grouped")
CHANNELS = ("equal", "different")
UPSAMPLINGS = ("none", "strided", "output-padded")


def _dtypes(dtype: str | torch.dtype | None) -> st.SearchStrategy[torch.dtype]:
    """``dtype`` as a strategy: ``"float32"``/``torch.float32`` (or a collection of them), None for both."""
    names = None if dtype is None else [str(d).removeprefix("torch.") for d in (dtype if isinstance(dtype, (tuple, list)) else [dtype])]
    return one_of_values("dtype", names, tuple(DTYPES)).map(DTYPES.__getitem__)


def batchnorms(*, num_features: int, dims: int, affine: bool | None = None) -> st.SearchStrategy[nn.modules.batchnorm._BatchNorm]:
    """An eval-mode BatchNorm with running statistics; draw it inside :func:`torch_seeded`.

    ``affine`` fixes whether it has γ and β (None: either). With two channels or more
    the per-channel scales ``s = γ/√(σ² + ε)`` differ (one channel's σ² + ε stands out),
    so that a scale applied along the wrong weight dimension, or one scale for every
    channel, changes the numbers.
    """
    return _batchnorms(num_features, dims, one_of_values("affine", affine, FLAGS))


# The strategies a case draws from, built once: a strategy built inside a draw is built and
# validated again on every example (measured: a third to a half of drawing a fold case). The draws are
# the same, so a derandomized run draws the same examples.
EPSILONS = log_scales(min_exponent=-12, max_exponent=-1)
SMALLEST_VARIANCES = log_scales(min_exponent=-8, max_exponent=4)
VARIANCE_SPANS = st.floats(min_value=0, max_value=3)
STANDOUTS = log_scales(min_exponent=0.5, max_exponent=2)
MEAN_SCALES = log_scales(min_exponent=-2, max_exponent=2)
BETA_SCALES = log_scales(min_exponent=-2, max_exponent=1)
EDGES = st.sampled_from(["none", "dead channels", "zero gamma"])
INPUT_SCALES = log_scales(min_exponent=-2, max_exponent=2)


@functools.lru_cache(maxsize=1024)
def _batchnorm_strategy(num_features: int, dims: int, affines: st.SearchStrategy[bool]) -> st.SearchStrategy[nn.modules.batchnorm._BatchNorm]:
    return _batchnorms(num_features, dims, affines)


@st.composite
def _batchnorms(draw: st.DrawFn, num_features: int, dims: int, affines: st.SearchStrategy[bool]) -> nn.modules.batchnorm._BatchNorm:
    eps = draw(EPSILONS)
    affine = draw(affines)
    smallest_var = draw(SMALLEST_VARIANCES)
    var_span = draw(VARIANCE_SPANS)
    standout = draw(STANDOUTS)
    mean_scale = draw(MEAN_SCALES)
    beta_scale = draw(BETA_SCALES)
    # Statistics as trained networks have them at the edges: dead channels (σ² = 0 exactly,
    # s = γ/√ε), γ = 0, or none of these.
    edge = draw(EDGES)
    bn = BATCHNORM_FOR_DIMS[max(dims, 1)](num_features, eps=eps, affine=affine)
    with torch.no_grad():
        bn.running_var.copy_(smallest_var * 10.0 ** (var_span * torch.rand(num_features)))
        bn.running_mean.copy_(mean_scale * torch.randn(num_features))
        if affine:
            bn.weight.copy_(1 + 0.5 * torch.randn(num_features))
            bn.bias.copy_(beta_scale * torch.randn(num_features))
        order = torch.randperm(num_features)
        if num_features > 1:
            # One channel's σ² + ε well above the others' (a factor 3 to 100): without affine,
            # σ² ≪ ε or equal variances would otherwise give every channel the same scale.
            bn.running_var[order[0]] = standout * (bn.running_var.max() + eps)
            order = order[1:]  # the edges below never reach the standout channel
        chosen = order[torch.rand(len(order)) < 0.5]
        if edge == "dead channels":
            bn.running_var[chosen] = 0.0
        elif edge == "zero gamma" and affine:
            bn.weight[chosen] = 0.0
    return bn.eval()


@dataclass(frozen=True)
class _Restrictions:
    """The validated strategies of the keywords every fold case shares."""

    dtypes: st.SearchStrategy[torch.dtype]
    affine: st.SearchStrategy[bool]
    bias: st.SearchStrategy[bool]
    channels: st.SearchStrategy[str]

    @classmethod
    def of(cls, dtype: Any, affine: bool | None, bias: bool | None, channels: str | tuple[str, ...] | None) -> _Restrictions:
        return cls(
            _dtypes(dtype), one_of_values("affine", affine, FLAGS), one_of_values("bias", bias, FLAGS),
            one_of_values("channels", channels, CHANNELS),
        )


def _finish(
    draw: st.DrawFn, layer: nn.Module, bn_features: int, dims: int, x_shape: tuple[int, ...], seed: int, restrictions: _Restrictions
) -> FoldCase:
    """Attach a BatchNorm and an input of realistic scale; cast to a drawn dtype."""
    dtype = draw(restrictions.dtypes)
    x_scale = draw(INPUT_SCALES)
    bn = draw(_batchnorm_strategy(bn_features, dims, restrictions.affine))
    x = x_scale * torch.randn(x_shape)
    return FoldCase(layer=layer.eval().to(dtype), bn=bn.to(dtype), x=x.to(dtype), seed=seed)


def _other_than(draw: st.DrawFn, value: int, low: int, high: int) -> int:
    """An int in ``[low, high]`` other than ``value`` (the range holds at least two)."""
    drawn = draw(st.integers(low, high - 1))
    return drawn + 1 if drawn >= value else drawn


def linear_cases(
    *, dtype: str | torch.dtype | None = None, affine: bool | None = None, bias: bool | None = None, channels: str | tuple[str, ...] | None = None
) -> st.SearchStrategy[FoldCase]:
    """``Linear(in, out, bias=?)`` then ``BatchNorm1d(out)`` on a ``(batch, in)`` input.

    Every keyword restricts the domain (None: any): ``dtype`` ``"float32"`` or
    ``"float64"``, ``affine`` and ``bias`` flags, ``channels`` ``"equal"``
    (``in_features == out_features ≥ 2``: a square weight, whose two dimensions a fold
    can confuse) or ``"different"``.

    >>> from theorems.strategies import linear_cases
    >>> linear_cases(dtype="float32", affine=False).example().bn.affine
    False
    """
    return _linear_cases(_Restrictions.of(dtype, affine, bias, channels))


@st.composite
def _linear_cases(draw: st.DrawFn, restrictions: _Restrictions) -> FoldCase:
    seed = draw(seeds)
    if draw(restrictions.channels) == "equal":
        in_features = out_features = draw(st.integers(2, 32))
    else:
        in_features = draw(st.integers(1, 64))
        out_features = _other_than(draw, in_features, 1, 32) if in_features <= 32 else draw(st.integers(1, 32))
    bias = draw(restrictions.bias)
    batch = draw(st.integers(1, 8))
    with torch_seeded(seed):
        layer = nn.Linear(in_features, out_features, bias=bias)
        return _finish(draw, layer, out_features, 0, (batch, in_features), seed, restrictions)


def _chosen(name: str, given: Any, allowed: tuple[Any, ...]) -> tuple[Any, ...]:
    """The values ``given`` allows (all of ``allowed`` for None), validated by :func:`one_of_values`."""
    one_of_values(name, given, allowed)
    if given is None:
        return allowed
    return tuple(given) if isinstance(given, (tuple, list, set, frozenset, range)) else (given,)


def _grouping_options(groups: Any, grouping: Any) -> st.SearchStrategy[tuple[str, int]]:
    """``(grouping, groups)`` pairs that both restrictions allow; InvalidArgument naming both if none.

    ``grouping="none"`` is ``groups=1``; ``"depthwise"`` and ``"grouped"`` need ``groups ≥ 2``.
    """
    numbers = _chosen("groups", groups, GROUPS)
    pairs = [(kind, number) for kind in _chosen("grouping", grouping, GROUPINGS) for number in numbers if (number == 1) == (kind == "none")]
    if not pairs:
        raise InvalidArgument(
            f"groups={groups!r} and grouping={grouping!r} allow nothing; grouping='none' is groups=1, "
            "'depthwise' and 'grouped' need groups of 2 or more"
        )
    kinds = tuple(dict.fromkeys(kind for kind, _ in pairs))
    return st.sampled_from(kinds).flatmap(lambda kind: st.sampled_from([number for k, number in pairs if k == kind]).map(lambda number: (kind, number)))


@st.composite
def _channel_counts(draw: st.DrawFn, *, grouping: str, groups: int, channels: str) -> tuple[int, int]:
    """``(in_channels, out_channels)`` of the grouping class; ``"equal"`` is ``in == out ≥ 2``.

    Depthwise: one input channel per group, a channel multiplier of 1 (equal) or 2 to 3.
    Grouped: 2 to 3 input channels per group, as many output channels per group or another number.
    """
    if grouping == "none":
        if channels == "equal":
            count = draw(st.integers(2, 4))
            return count, count
        in_channels = draw(st.integers(1, 4))
        return in_channels, _other_than(draw, in_channels, 1, 4)
    in_per_group = 1 if grouping == "depthwise" else draw(st.integers(2, 3))
    if channels == "equal":
        out_per_group = in_per_group
    elif grouping == "depthwise":
        out_per_group = draw(st.integers(2, 3))
    else:
        out_per_group = _other_than(draw, in_per_group, 1, 3)
    return groups * in_per_group, groups * out_per_group


@functools.lru_cache(maxsize=1024)
def _channel_count_strategy(grouping: str, groups: int, channels: str) -> st.SearchStrategy[tuple[int, int]]:
    return _channel_counts(grouping=grouping, groups=groups, channels=channels)


@functools.lru_cache(maxsize=1024)
def _conv_geometry_strategy(
    dims: int, groupings: st.SearchStrategy[tuple[str, int]], channels: st.SearchStrategy[str], strided: bool, bias: st.SearchStrategy[bool]
) -> st.SearchStrategy[dict]:
    return _conv_geometry(dims=dims, groupings=groupings, channels=channels, strided=strided, bias=bias)


@st.composite
def _conv_geometry(
    draw: st.DrawFn, *, dims: int, groupings: st.SearchStrategy[tuple[str, int]], channels: st.SearchStrategy[str], strided: bool,
    bias: st.SearchStrategy[bool],
) -> dict:
    grouping, groups = draw(groupings)
    in_channels, out_channels = draw(_channel_count_strategy(grouping, groups, draw(channels)))
    kernel_size = [draw(st.integers(1, 3)) for _ in range(dims)]
    stride, dilation = [1] * dims, [1] * dims
    if strided:
        stride = [draw(st.integers(1, 3)) for _ in range(dims)]
        dilation = [draw(st.integers(1, 2)) for _ in range(dims)]
        if max(stride + dilation) == 1:
            # At least one dimension strides, or dilates a kernel wider than 1 (where dilation shows).
            at = draw(st.integers(0, dims - 1))
            if draw(st.booleans()):
                stride[at] = draw(st.integers(2, 3))
            else:
                dilation[at], kernel_size[at] = 2, max(kernel_size[at], 2)
    max_size = {1: 12, 2: 7, 3: 5}[dims]
    return dict(
        in_channels=in_channels,
        out_channels=out_channels,
        groups=groups,
        kernel_size=tuple(kernel_size),
        stride=tuple(stride),
        dilation=tuple(dilation),
        bias=draw(bias),
        max_size=max_size,
        batch=draw(st.integers(1, 3)),
    )


def conv_cases(
    *,
    dims: int | tuple[int, ...] | None = None,
    dtype: str | torch.dtype | None = None,
    affine: bool | None = None,
    bias: bool | None = None,
    groups: int | tuple[int, ...] | None = None,
    padding_mode: str | tuple[str, ...] | None = None,
    grouping: str | tuple[str, ...] | None = None,
    channels: str | tuple[str, ...] | None = None,
    strided: bool | None = None,
) -> st.SearchStrategy[FoldCase]:
    """``Conv{d}d`` with groups (depthwise too), stride, dilation, every padding mode, then BatchNorm{d}d.

    Every keyword restricts the domain (None: any): ``dims`` 1, 2, 3; ``dtype``
    ``"float32"``/``"float64"``; ``affine``, ``bias``; ``groups`` 1 to 4;
    ``padding_mode`` ``"zeros"``, ``"reflect"``, ``"replicate"``, ``"circular"`` (a mode
    other than zeros pads at least one dimension, else it would change nothing);
    ``grouping`` ``"none"`` (groups=1), ``"depthwise"`` (groups = in_channels ≥ 2) or
    ``"grouped"`` (1 < groups < in_channels), which must allow one of ``groups``;
    ``channels`` ``"equal"`` (``in_channels == out_channels ≥ 2``) or ``"different"``;
    ``strided``: some stride or dilation above 1, or none. A value or a tuple of values
    (``strided`` a flag).

    >>> from theorems.strategies import conv_cases
    >>> type(conv_cases(dims=2, dtype="float32").example().layer).__name__
    'Conv2d'
    """
    return _conv_cases(
        one_of_values("dims", dims, (1, 2, 3)), _grouping_options(groups, grouping),
        one_of_values("padding_mode", padding_mode, PADDING_MODES), one_of_values("strided", strided, FLAGS),
        _Restrictions.of(dtype, affine, bias, channels),
    )


@st.composite
def _conv_cases(
    draw: st.DrawFn, dims: st.SearchStrategy[int], groupings: st.SearchStrategy[tuple[str, int]], padding_modes: st.SearchStrategy[str],
    strided: st.SearchStrategy[bool], restrictions: _Restrictions,
) -> FoldCase:
    d = draw(dims)
    seed = draw(seeds)
    geometry = draw(_conv_geometry_strategy(d, groupings, restrictions.channels, draw(strided), restrictions.bias))
    padding_mode = draw(padding_modes)
    padding = [draw(st.integers(0, 2)) for _ in range(d)]
    if padding_mode != "zeros" and max(padding) == 0:
        padding[draw(st.integers(0, d - 1))] = draw(st.integers(1, 2))
    sizes = []
    for k, p, dil in zip(geometry["kernel_size"], padding, geometry["dilation"]):
        # Valid output needs n + 2p >= dil·(k−1) + 1; reflect needs p < n, circular p <= n.
        smallest = max(1, dil * (k - 1) + 1 - 2 * p, p + 1 if padding_mode in ("reflect", "circular") else 1)
        sizes.append(draw(st.integers(smallest, max(smallest, geometry["max_size"]))))
    with torch_seeded(seed):
        layer = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[d](
            geometry["in_channels"], geometry["out_channels"], geometry["kernel_size"],
            stride=geometry["stride"], padding=tuple(padding), dilation=geometry["dilation"],
            groups=geometry["groups"], bias=geometry["bias"], padding_mode=padding_mode,
        )
        x_shape = (geometry["batch"], geometry["in_channels"], *sizes)
        return _finish(draw, layer, geometry["out_channels"], d, x_shape, seed, restrictions)


def conv_transpose_cases(
    *,
    dims: int | tuple[int, ...] | None = None,
    dtype: str | torch.dtype | None = None,
    affine: bool | None = None,
    bias: bool | None = None,
    groups: int | tuple[int, ...] | None = None,
    grouping: str | tuple[str, ...] | None = None,
    channels: str | tuple[str, ...] | None = None,
    upsampling: str | tuple[str, ...] | None = None,
) -> st.SearchStrategy[FoldCase]:
    """``ConvTranspose{d}d`` with groups, stride, dilation, padding, output_padding, then BatchNorm{d}d.

    The keywords restrict the domain as for :func:`conv_cases`, and ``upsampling``:
    ``"none"`` (stride and dilation 1), ``"strided"`` (some stride or dilation above 1,
    output_padding 0) or ``"output-padded"`` (some output_padding above 0, which needs a
    stride or dilation above it in that dimension).

    >>> from theorems.strategies import conv_transpose_cases
    >>> conv_transpose_cases(dims=1, groups=1).example().layer.groups
    1
    """
    return _conv_transpose_cases(
        one_of_values("dims", dims, (1, 2, 3)), _grouping_options(groups, grouping), one_of_values("upsampling", upsampling, UPSAMPLINGS),
        _Restrictions.of(dtype, affine, bias, channels),
    )


@st.composite
def _conv_transpose_cases(
    draw: st.DrawFn, dims: st.SearchStrategy[int], groupings: st.SearchStrategy[tuple[str, int]], upsamplings: st.SearchStrategy[str],
    restrictions: _Restrictions,
) -> FoldCase:
    d = draw(dims)
    seed = draw(seeds)
    upsampling = draw(upsamplings)
    geometry = draw(_conv_geometry_strategy(d, groupings, restrictions.channels, upsampling != "none", restrictions.bias))
    # padding <= dil·(k−1)/2 keeps the output non-empty; output_padding < max(stride, dilation).
    padding = tuple(draw(st.integers(0, dil * (k - 1) // 2)) for k, dil in zip(geometry["kernel_size"], geometry["dilation"]))
    output_padding = [0] * d
    if upsampling == "output-padded":
        largest = [max(s, dil) - 1 for s, dil in zip(geometry["stride"], geometry["dilation"])]
        output_padding = [draw(st.integers(0, most)) for most in largest]
        if max(output_padding) == 0:
            at = draw(st.sampled_from([i for i, most in enumerate(largest) if most > 0]))
            output_padding[at] = draw(st.integers(1, largest[at]))
    sizes = tuple(draw(st.integers(1, max(1, geometry["max_size"] // 2))) for _ in range(d))
    with torch_seeded(seed):
        layer = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}[d](
            geometry["in_channels"], geometry["out_channels"], geometry["kernel_size"],
            stride=geometry["stride"], padding=padding, output_padding=tuple(output_padding),
            dilation=geometry["dilation"], groups=geometry["groups"], bias=geometry["bias"],
        )
        x_shape = (geometry["batch"], geometry["in_channels"], *sizes)
        return _finish(draw, layer, geometry["out_channels"], d, x_shape, seed, restrictions)


def classify_fold_case(case: FoldCase) -> dict[str, Any]:
    """The structural classes of a fold case: every covered assumption of its theorem and its value.

    ``channels``, ``bias``, ``affine``, ``dtype`` for every layer; ``dims`` and
    ``grouping`` for (transposed) convolutions; ``padding_mode`` and ``strided`` for a
    convolution, ``upsampling`` for a transposed one (the values as in :func:`conv_cases`
    and :func:`conv_transpose_cases`).
    """
    layer = case.layer
    linear = isinstance(layer, nn.Linear)
    in_channels, out_channels = (layer.in_features, layer.out_features) if linear else (layer.in_channels, layer.out_channels)
    classes: dict[str, Any] = {
        "channels": "equal" if in_channels == out_channels else "different",
        "bias": layer.bias is not None,
        "affine": case.bn.affine,
        "dtype": str(case.x.dtype).removeprefix("torch."),
    }
    if linear:
        return classes
    classes["dims"] = len(layer.kernel_size)
    classes["grouping"] = "none" if layer.groups == 1 else "depthwise" if layer.groups == in_channels else "grouped"
    strided = max((*layer.stride, *layer.dilation)) > 1
    if isinstance(layer, nn.modules.conv._ConvTransposeNd):
        classes["upsampling"] = "output-padded" if max(layer.output_padding) > 0 else "strided" if strided else "none"
    else:
        classes["padding_mode"] = layer.padding_mode
        classes["strided"] = strided
    return classes


# --- whole networks ----------------------------------------------------------------------

# CIFAR-10's per-channel mean and standard deviation (the usual Normalize constants).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def torchvision_model(name: str) -> Callable[[], nn.Module]:
    """A torchvision model for CIFAR-10's ten classes, without weights (nothing downloads).

    torchvision is imported when a model is built, not with this module: its import
    costs 1.2 s in every process that only needs the layer strategies.
    """

    def build() -> nn.Module:
        import torchvision

        return getattr(torchvision.models, name)(weights=None, num_classes=10)

    return build


NETWORKS: dict[str, tuple[Callable[[], nn.Module], int]] = {
    "small-net": (SmallNetTrain, 32),
    "resnet18": (torchvision_model("resnet18"), 64),
    "mobilenet_v2": (torchvision_model("mobilenet_v2"), 64),
}


def normalised_images(batch: int, size: int) -> torch.Tensor:
    """CIFAR-shaped images: uniform pixels in [0, 1], normalised per channel."""
    mean = torch.tensor(CIFAR10_MEAN).reshape(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD).reshape(1, 3, 1, 1)
    return (torch.rand(batch, 3, size, size) - mean) / std


def randomise_batchnorm_affine(model: nn.Module) -> nn.Module:
    """Give every BatchNorm a realistic γ ≈ 1 ± 0.5 and β ≈ ±0.1 (the defaults 1 and 0 hide layout bugs)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.affine:
                module.weight.copy_(1 + 0.5 * torch.randn_like(module.weight))
                module.bias.copy_(0.1 * torch.randn_like(module.bias))
    return model


def network_cases(*, network: str | tuple[str, ...] | None = None, dtype: str | torch.dtype | None = None) -> st.SearchStrategy[NetworkCase]:
    """A calibrated network (statistics from two train-mode passes over synthetic images) and a batch.

    ``network`` is one of ``"small-net"`` (the notes'), ``"resnet18"``, ``"mobilenet_v2"``
    (or a tuple of them; None: any), ``dtype`` as for :func:`conv_cases`.
    """
    return _network_cases(one_of_values("network", network, tuple(NETWORKS)), _dtypes(dtype))


@st.composite
def _network_cases(draw: st.DrawFn, names: st.SearchStrategy[str], dtypes: st.SearchStrategy[torch.dtype]) -> NetworkCase:
    name = draw(names)
    seed = draw(seeds)
    batch = draw(st.integers(1, 2))
    dtype = draw(dtypes)
    model, x = _built_network(name, seed, batch)
    # A copy each time: a wrong fold that works in place must not change the cached network.
    return NetworkCase(name=name, model=copy.deepcopy(model).to(dtype), x=x.to(dtype), seed=seed)


@functools.lru_cache(maxsize=4)
def _built_network(name: str, seed: int, batch: int) -> tuple[nn.Module, torch.Tensor]:
    """The calibrated network and input batch for one draw, built once.

    The same draw recurs: in each covered class of every wrong implementation of a
    derandomized run, and while shrinking; building and calibrating takes a second.
    """
    build, size = NETWORKS[name]
    with torch_seeded(seed):
        model = build()
        calibrate(model, [normalised_images(8, size) for _ in range(2)])
        randomise_batchnorm_affine(model)
        x = normalised_images(batch, size)
    return model, x