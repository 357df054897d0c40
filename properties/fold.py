"""Strategies for fold equivalence: layers, the BatchNorm after them, and inputs.

Shapes, flags and scales are drawn by Hypothesis (they shrink); parameter values come
from the layers' own default initialisers and from torch under a drawn seed
(see :mod:`theorems.strategies.seeding`). Every BatchNorm is in eval mode with running
statistics spanning many orders of magnitude.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from hypothesis import strategies as st
from torch import nn

from theorems.strategies.seeding import log_scales, seeds, torch_seeded
from theorems.fold import BATCHNORM_FOR_DIMS, FoldCase
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

dtypes = st.sampled_from([torch.float64, torch.float32])
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


@st.composite
def batchnorms(draw: st.DrawFn, *, num_features: int, dims: int) -> nn.modules.batchnorm._BatchNorm:
    """An eval-mode BatchNorm with running statistics; call inside :func:`torch_seeded`."""
    eps = draw(log_scales(min_exponent=-12, max_exponent=-1))
    affine = draw(st.booleans())
    smallest_var = draw(log_scales(min_exponent=-8, max_exponent=4))
    var_span = draw(st.floats(min_value=0, max_value=3))
    mean_scale = draw(log_scales(min_exponent=-2, max_exponent=2))
    beta_scale = draw(log_scales(min_exponent=-2, max_exponent=1))
    bn = BATCHNORM_FOR_DIMS[max(dims, 1)](num_features, eps=eps, affine=affine)
    with torch.no_grad():
        bn.running_var.copy_(smallest_var * 10.0 ** (var_span * torch.rand(num_features)))
        bn.running_mean.copy_(mean_scale * torch.randn(num_features))
        if affine:
            bn.weight.copy_(1 + 0.5 * torch.randn(num_features))
            bn.bias.copy_(beta_scale * torch.randn(num_features))
    return bn.eval()


def _finish(draw: st.DrawFn, layer: nn.Module, bn_features: int, dims: int, x_shape: tuple[int, ...], seed: int) -> FoldCase:
    """Attach a BatchNorm and an input of realistic scale; cast to a drawn dtype."""
    dtype = draw(dtypes)
    x_scale = draw(log_scales(min_exponent=-2, max_exponent=2))
    bn = draw(batchnorms(num_features=bn_features, dims=dims))
    x = x_scale * torch.randn(x_shape)
    return FoldCase(layer=layer.eval().to(dtype), bn=bn.to(dtype), x=x.to(dtype), seed=seed)


@st.composite
def linear_cases(draw: st.DrawFn) -> FoldCase:
    """``Linear(in, out, bias=?)`` then ``BatchNorm1d(out)`` on a ``(batch, in)`` input."""
    seed = draw(seeds)
    in_features = draw(st.integers(1, 64))
    out_features = draw(st.integers(1, 32))
    bias = draw(st.booleans())
    batch = draw(st.integers(1, 8))
    with torch_seeded(seed):
        layer = nn.Linear(in_features, out_features, bias=bias)
        return _finish(draw, layer, out_features, 0, (batch, in_features), seed)


@st.composite
def _conv_geometry(draw: st.DrawFn, *, dims: int) -> dict:
    groups = draw(st.integers(1, 4))
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
        bias=draw(st.booleans()),
        max_size=max_size,
        batch=draw(st.integers(1, 3)),
    )


@st.composite
def conv_cases(draw: st.DrawFn, *, dims: st.SearchStrategy[int] = st.sampled_from([1, 2, 3])) -> FoldCase:
    """``Conv{d}d`` with groups (depthwise too), stride, dilation, every padding mode, then BatchNorm{d}d."""
    d = draw(dims)
    seed = draw(seeds)
    geometry = draw(_conv_geometry(dims=d))
    padding_mode = draw(st.sampled_from(PADDING_MODES))
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
        return _finish(draw, layer, geometry["out_channels"], d, x_shape, seed)


@st.composite
def conv_transpose_cases(draw: st.DrawFn, *, dims: st.SearchStrategy[int] = st.sampled_from([1, 2, 3])) -> FoldCase:
    """``ConvTranspose{d}d`` with groups, stride, dilation, padding, output_padding, then BatchNorm{d}d."""
    d = draw(dims)
    seed = draw(seeds)
    geometry = draw(_conv_geometry(dims=d))
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
        return _finish(draw, layer, geometry["out_channels"], d, x_shape, seed)


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


@st.composite
def network_cases(draw: st.DrawFn, *, names: st.SearchStrategy[str] = st.sampled_from(list(NETWORKS))) -> NetworkCase:
    """A calibrated network (statistics from two train-mode passes over synthetic images) and a batch."""
    name = draw(names)
    seed = draw(seeds)
    batch = draw(st.integers(1, 2))
    dtype = draw(dtypes)
    build, size = NETWORKS[name]
    with torch_seeded(seed):
        model = build()
        calibrate(model, [normalised_images(8, size) for _ in range(2)])
        randomise_batchnorm_affine(model)
        x = normalised_images(batch, size)
    return NetworkCase(name=name, model=model.to(dtype), x=x.to(dtype), seed=seed)
