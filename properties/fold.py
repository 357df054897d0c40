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
from torch import nn

from theorems.fold import BATCHNORM_FOR_DIMS, FoldCase
from theorems.strategies._domain import one_of_values
from theorems.strategies.seeding import log_scales, seeds, torch_seeded
from theorems.fold_networks import NetworkCase, SmallNetTrain, calibrate

__all__ = [
    "batchnorms",
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


def _dtypes(dtype: str | torch.dtype | None) -> st.SearchStrategy[torch.dtype]:
    """``dtype`` as a strategy: ``"float32"``/``torch.float32`` (or a collection of them), None for both."""
    names = None if dtype is None else [str(d).removeprefix("torch.") for d in (dtype if isinstance(dtype, (tuple, list)) else [dtype])]
    return one_of_values("dtype", names, tuple(DTYPES)).map(DTYPES.__getitem__)


def batchnorms(*, num_features: int, dims: int, affine: bool | None = None) -> st.SearchStrategy[nn.modules.batchnorm._BatchNorm]:
    """An eval-mode BatchNorm with running statistics; draw it inside :func:`torch_seeded`.

    ``affine`` fixes whether it has γ and β (None: either).
    """
    return _batchnorms(num_features, dims, one_of_values("affine", affine, FLAGS))


@st.composite
def _batchnorms(draw: st.DrawFn, num_features: int, dims: int, affines: st.SearchStrategy[bool]) -> nn.modules.batchnorm._BatchNorm:
    eps = draw(log_scales(min_exponent=-12, max_exponent=-1))
    affine = draw(affines)
    smallest_var = draw(log_scales(min_exponent=-8, max_exponent=4))
    var_span = draw(st.floats(min_value=0, max_value=3))
    mean_scale = draw(log_scales(min_exponent=-2, max_exponent=2))
    beta_scale = draw(log_scales(min_exponent=-2, max_exponent=1))
    # Statistics as trained networks have them at the edges: dead channels (σ² = 0 exactly,
    # s = γ/√ε), γ = 0, or none of these.
    edge = draw(st.sampled_from(["none", "dead channels", "zero gamma"]))
    bn = BATCHNORM_FOR_DIMS[max(dims, 1)](num_features, eps=eps, affine=affine)
    with torch.no_grad():
        bn.running_var.copy_(smallest_var * 10.0 ** (var_span * torch.rand(num_features)))
        bn.running_mean.copy_(mean_scale * torch.randn(num_features))
        if affine:
            bn.weight.copy_(1 + 0.5 * torch.randn(num_features))
            bn.bias.copy_(beta_scale * torch.randn(num_features))
        chosen = torch.rand(num_features) < 0.5
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

    @classmethod
    def of(cls, dtype: Any, affine: bool | None, bias: bool | None) -> _Restrictions:
        return cls(_dtypes(dtype), one_of_values("affine", affine, FLAGS), one_of_values("bias", bias, FLAGS))


def _finish(
    draw: st.DrawFn, layer: nn.Module, bn_features: int, dims: int, x_shape: tuple[int, ...], seed: int, restrictions: _Restrictions
) -> FoldCase:
    """Attach a BatchNorm and an input of realistic scale; cast to a drawn dtype."""
    dtype = draw(restrictions.dtypes)
    x_scale = draw(log_scales(min_exponent=-2, max_exponent=2))
    bn = draw(_batchnorms(bn_features, dims, restrictions.affine))
    x = x_scale * torch.randn(x_shape)
    return FoldCase(layer=layer.eval().to(dtype), bn=bn.to(dtype), x=x.to(dtype), seed=seed)


def linear_cases(*, dtype: str | torch.dtype | None = None, affine: bool | None = None, bias: bool | None = None) -> st.SearchStrategy[FoldCase]:
    """``Linear(in, out, bias=?)`` then ``BatchNorm1d(out)`` on a ``(batch, in)`` input.

    Every keyword restricts the domain (None: any): ``dtype`` ``"float32"`` or
    ``"float64"``, ``affine`` and ``bias`` flags.

    >>> from theorems.strategies import linear_cases
    >>> linear_cases(dtype="float32", affine=False).example().bn.affine
    False
    """
    return _linear_cases(_Restrictions.of(dtype, affine, bias))


@st.composite
def _linear_cases(draw: st.DrawFn, restrictions: _Restrictions) -> FoldCase:
    seed = draw(seeds)
    in_features = draw(st.integers(1, 64))
    out_features = draw(st.integers(1, 32))
    bias = draw(restrictions.bias)
    batch = draw(st.integers(1, 8))
    with torch_seeded(seed):
        layer = nn.Linear(in_features, out_features, bias=bias)
        return _finish(draw, layer, out_features, 0, (batch, in_features), seed, restrictions)


GROUPS = (1, 2, 3, 4)


@st.composite
def _conv_geometry(draw: st.DrawFn, *, dims: int, groups: st.SearchStrategy[int], bias: st.SearchStrategy[bool]) -> dict:
    groups = draw(groups)
    depthwise = draw(st.booleans())
    in_per_group = 1 if depthwise else draw(st.integers(1, 3))
    max_size = {1: 12, 2: 7, 3: 5}[dims]
    return dict(
        in_channels=groups * in_per_group,
        out_channels=groups * draw(st.integers(1, 3)),
        groups=groups,
        kernel_size=tuple(draw(st.integers(1, 3)) for _ in range(dims)),
        stride=tuple(draw(st.integers(1, 3)) for _ in range(dims)),
        dilation=tuple(draw(st.integers(1, 2)) for _ in range(dims)),
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
) -> st.SearchStrategy[FoldCase]:
    """``Conv{d}d`` with groups (depthwise too), stride, dilation, every padding mode, then BatchNorm{d}d.

    Every keyword restricts the domain (None: any): ``dims`` 1, 2, 3; ``dtype``
    ``"float32"``/``"float64"``; ``affine``, ``bias``; ``groups`` 1 to 4;
    ``padding_mode`` ``"zeros"``, ``"reflect"``, ``"replicate"``, ``"circular"``. A
    value or a tuple of values.

    >>> from theorems.strategies import conv_cases
    >>> type(conv_cases(dims=2, dtype="float32").example().layer).__name__
    'Conv2d'
    """
    return _conv_cases(
        one_of_values("dims", dims, (1, 2, 3)), one_of_values("groups", groups, GROUPS),
        one_of_values("padding_mode", padding_mode, PADDING_MODES), _Restrictions.of(dtype, affine, bias),
    )


@st.composite
def _conv_cases(
    draw: st.DrawFn, dims: st.SearchStrategy[int], groups: st.SearchStrategy[int], padding_modes: st.SearchStrategy[str],
    restrictions: _Restrictions,
) -> FoldCase:
    d = draw(dims)
    seed = draw(seeds)
    geometry = draw(_conv_geometry(dims=d, groups=groups, bias=restrictions.bias))
    padding_mode = draw(padding_modes)
    padding = tuple(draw(st.integers(0, 2)) for _ in range(d))
    sizes = []
    for k, p, dil in zip(geometry["kernel_size"], padding, geometry["dilation"]):
        # Valid output needs n + 2p >= dil·(k−1) + 1; reflect needs p < n, circular p <= n.
        smallest = max(1, dil * (k - 1) + 1 - 2 * p, p + 1 if padding_mode in ("reflect", "circular") else 1)
        sizes.append(draw(st.integers(smallest, max(smallest, geometry["max_size"]))))
    with torch_seeded(seed):
        layer = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[d](
            geometry["in_channels"], geometry["out_channels"], geometry["kernel_size"],
            stride=geometry["stride"], padding=padding, dilation=geometry["dilation"],
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
) -> st.SearchStrategy[FoldCase]:
    """``ConvTranspose{d}d`` with groups, stride, dilation, padding, output_padding, then BatchNorm{d}d.

    The keywords restrict the domain as for :func:`conv_cases`.

    >>> from theorems.strategies import conv_transpose_cases
    >>> conv_transpose_cases(dims=1, groups=1).example().layer.groups
    1
    """
    return _conv_transpose_cases(
        one_of_values("dims", dims, (1, 2, 3)), one_of_values("groups", groups, GROUPS), _Restrictions.of(dtype, affine, bias)
    )


@st.composite
def _conv_transpose_cases(
    draw: st.DrawFn, dims: st.SearchStrategy[int], groups: st.SearchStrategy[int], restrictions: _Restrictions
) -> FoldCase:
    d = draw(dims)
    seed = draw(seeds)
    geometry = draw(_conv_geometry(dims=d, groups=groups, bias=restrictions.bias))
    # padding <= dil·(k−1)/2 keeps the output non-empty; output_padding < max(stride, dilation).
    padding = tuple(draw(st.integers(0, dil * (k - 1) // 2)) for k, dil in zip(geometry["kernel_size"], geometry["dilation"]))
    output_padding = tuple(draw(st.integers(0, max(s, dil) - 1)) for s, dil in zip(geometry["stride"], geometry["dilation"]))
    sizes = tuple(draw(st.integers(1, max(1, geometry["max_size"] // 2))) for _ in range(d))
    with torch_seeded(seed):
        layer = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}[d](
            geometry["in_channels"], geometry["out_channels"], geometry["kernel_size"],
            stride=geometry["stride"], padding=padding, output_padding=output_padding,
            dilation=geometry["dilation"], groups=geometry["groups"], bias=geometry["bias"],
        )
        x_shape = (geometry["batch"], geometry["in_channels"], *sizes)
        return _finish(draw, layer, geometry["out_channels"], d, x_shape, seed, restrictions)


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