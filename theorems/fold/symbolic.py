r"""T1 over symbols (``theorems prove``): the fold of one layer and its BatchNorm, proved at fixed sizes.

The same algebra as :mod:`theorems.fold.check` over SymPy symbols: the layer written out
as sums over its entries (PyTorch's definition of each layer, never torch itself),
BatchNorm in eval mode, and the fold's ``W' = s·W``, ``c' = s·(c − μ) + β``. numpy object
arrays hold the symbols, so the layouts (groups, the transposed weight) read as they do in
the numeric check. Beside the statements: the wrong folds ``theorems prove`` must refute,
and the registry of this theorem's statements (``SYMBOLIC_STATEMENTS``, ``WRONG_STATEMENTS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from theorems.oracles.symbolic import Identity, Ref, SymbolicStatement, mistake_of, symbol_array, wrong_statement

__all__ = [
    "SYMBOLIC_STATEMENTS",
    "WRONG_STATEMENTS",
    "fold_without_beta",
    "fold_without_eps",
    "fold_without_mean_shift",
    "symbolic_batchnorm",
    "symbolic_batchnorm_eval",
    "symbolic_conv",
    "symbolic_conv_transpose",
    "symbolic_fold_conv",
    "symbolic_fold_conv_transpose",
    "symbolic_fold_linear",
    "symbolic_folded_parameters",
    "transpose_fold_without_group_offset",
]


# --- the statement ----------------------------------------------------------------------------


def symbolic_batchnorm(channels: int) -> dict[str, Any]:
    """Symbolic eval-mode BatchNorm parameters: ``mean``, ``var`` (positive), ``eps`` (positive), ``gamma``, ``beta``."""
    import sympy

    return {
        "mean": symbol_array("μ", (channels,)),
        "var": symbol_array("σ²", (channels,), positive=True),
        "eps": sympy.Symbol("ε", positive=True),
        "gamma": symbol_array("γ", (channels,)),
        "beta": symbol_array("β", (channels,)),
    }


def symbolic_batchnorm_eval(z: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any) -> Any:
    """``γ (z − μ)/√(σ² + ε) + β`` per channel (axis 0 of ``z``): BatchNorm in eval mode."""
    import sympy

    spatial = (1,) * (z.ndim - 1)
    root = np.array([sympy.sqrt(v + eps) for v in var], dtype=object).reshape(-1, *spatial)
    return gamma.reshape(-1, *spatial) * (z - mean.reshape(-1, *spatial)) / root + beta.reshape(-1, *spatial)


def symbolic_folded_parameters(
    weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, transpose: bool = False, groups: int = 1
) -> tuple[Any, Any]:
    """The theorem's fold over symbols: ``W' = s·W``, ``c' = s·(c − μ) + β``, ``s = γ/√(σ² + ε)``.

    ``ConvTranspose`` weights ``(C_in, C_out/groups, k…)``: input channel ``i`` is in group
    ``g = i ÷ (C_in/groups)``, and its column ``j`` feeds output channel ``g·(C_out/groups) + j``.
    """
    import sympy

    scale = np.array([g / sympy.sqrt(v + eps) for g, v in zip(gamma, var)], dtype=object)
    spatial = (1,) * (weight.ndim - 2)
    if not transpose:
        folded = weight * scale.reshape(-1, 1, *spatial)
    else:
        in_channels, out_per_group = weight.shape[:2]
        group = np.arange(in_channels) // (in_channels // groups)
        output_channel = group[:, None] * out_per_group + np.arange(out_per_group)[None, :]
        folded = weight * scale[output_channel].reshape(in_channels, out_per_group, *spatial)
    return folded, scale * (bias - mean) + beta


def symbolic_conv(
    x: Any, weight: Any, bias: Any, *, stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...],
    groups: int, padding_mode: str = "zeros",
) -> Any:
    """PyTorch's ``ConvNd`` written out: ``y[o, p] = c[o] + Σ_{i<C_in/groups} Σ_k W[o, i, k]·x̃[g·C_in/groups + i, s·p + d·k]``.

    ``g = o ÷ (C_out/groups)`` and ``x̃`` is ``x`` padded by ``padding_mode`` (zeros,
    reflect, replicate, circular as numpy's constant, reflect, edge, wrap).
    """
    import sympy

    dims = x.ndim - 1
    mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[padding_mode]
    extra = {"constant_values": sympy.S.Zero} if mode == "constant" else {}
    padded = np.pad(x, [(0, 0)] + [(p, p) for p in padding], mode=mode, **extra)
    out_channels, in_per_group = weight.shape[:2]
    kernel = weight.shape[2:]
    out_shape = tuple((padded.shape[1 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(dims))
    out = np.empty((out_channels, *out_shape), dtype=object)
    for o in range(out_channels):
        first = (o // (out_channels // groups)) * in_per_group
        for p in np.ndindex(*out_shape):
            terms = [
                weight[(o, i, *k)] * padded[(first + i, *(stride[a] * p[a] + dilation[a] * k[a] for a in range(dims)))]
                for i in range(in_per_group)
                for k in np.ndindex(*kernel)
            ]
            out[(o, *p)] = bias[o] + sympy.Add(*terms)
    return out


def symbolic_conv_transpose(
    x: Any, weight: Any, bias: Any, *, stride: tuple[int, ...], padding: tuple[int, ...], output_padding: tuple[int, ...],
    dilation: tuple[int, ...], groups: int,
) -> Any:
    """PyTorch's ``ConvTransposeNd`` written out: each ``x[i, p]·W[i, j, k]`` lands on output ``(g·C_out/groups + j, s·p + d·k − padding)``.

    ``g = i ÷ (C_in/groups)``; the output is ``(L−1)s − 2·padding + d(k−1) + output_padding + 1`` long.
    """
    import sympy

    dims = x.ndim - 1
    in_channels, out_per_group = weight.shape[:2]
    kernel = weight.shape[2:]
    full = tuple((x.shape[1 + a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 + output_padding[a] for a in range(dims))
    out = np.full((out_per_group * groups, *full), sympy.S.Zero, dtype=object)
    for i in range(in_channels):
        group = i // (in_channels // groups)
        for p in np.ndindex(*x.shape[1:]):
            for j in range(out_per_group):
                for k in np.ndindex(*kernel):
                    position = tuple(stride[a] * p[a] + dilation[a] * k[a] for a in range(dims))
                    out[(group * out_per_group + j, *position)] += x[(i, *p)] * weight[(i, j, *k)]
    cropped = out[(slice(None), *(slice(padding[a], full[a] - padding[a]) for a in range(dims)))]
    return cropped + bias.reshape(-1, *(1,) * dims)


def symbolic_fold_linear(*, in_features: int, out_features: int, fold: Callable[..., tuple[Any, Any]] | None = None) -> Iterator[Any]:
    """``BN(Wx + c) = W'x + c'`` for symbolic ``W``, ``c``, ``x`` and BatchNorm (``fold``: the formula for ``W', c'``)."""
    fold = fold or symbolic_folded_parameters
    x, weight, bias = symbol_array("x", (in_features,)), symbol_array("W", (out_features, in_features)), symbol_array("c", (out_features,))
    bn = symbolic_batchnorm(out_features)
    folded_weight, folded_bias = fold(weight, bias, **bn)
    left = symbolic_batchnorm_eval(weight.dot(x) + bias, **bn)
    yield Identity(what=f"BN(Linear {in_features}→{out_features}(x)) = Linear'(x)", left=left, right=folded_weight.dot(x) + folded_bias)


def symbolic_fold_conv(
    *, dims: int, in_channels: int, out_channels: int, kernel_size: tuple[int, ...], input_size: tuple[int, ...],
    stride: tuple[int, ...] | None = None, padding: tuple[int, ...] | None = None, dilation: tuple[int, ...] | None = None,
    groups: int = 1, padding_mode: str = "zeros", fold: Callable[..., tuple[Any, Any]] | None = None,
) -> Iterator[Any]:
    """``BN(conv(x)) = conv'(x)``, the conv written out over symbolic ``x``, ``W``, ``c`` and BatchNorm."""
    fold = fold or symbolic_folded_parameters
    options = {
        "stride": stride or (1,) * dims, "padding": padding or (0,) * dims, "dilation": dilation or (1,) * dims,
        "groups": groups, "padding_mode": padding_mode,
    }
    x = symbol_array("x", (in_channels, *input_size))
    weight = symbol_array("W", (out_channels, in_channels // groups, *kernel_size))
    bias = symbol_array("c", (out_channels,))
    bn = symbolic_batchnorm(out_channels)
    folded_weight, folded_bias = fold(weight, bias, **bn)
    left = symbolic_batchnorm_eval(symbolic_conv(x, weight, bias, **options), **bn)
    right = symbolic_conv(x, folded_weight, folded_bias, **options)
    what = f"BN(conv{dims}d {_symbolic_layer_text(in_channels, out_channels, kernel_size, options)}(x)) = conv'(x)"
    yield Identity(what=what, left=left, right=right)


def symbolic_fold_conv_transpose(
    *, dims: int, in_channels: int, out_channels: int, kernel_size: tuple[int, ...], input_size: tuple[int, ...],
    stride: tuple[int, ...] | None = None, padding: tuple[int, ...] | None = None, output_padding: tuple[int, ...] | None = None,
    dilation: tuple[int, ...] | None = None, groups: int = 1, fold: Callable[..., tuple[Any, Any]] | None = None,
) -> Iterator[Any]:
    """``BN(conv_transpose(x)) = conv_transpose'(x)`` over symbols, the weight ``(C_in, C_out/groups, k…)``."""
    fold = fold or symbolic_folded_parameters
    options = {
        "stride": stride or (1,) * dims, "padding": padding or (0,) * dims, "output_padding": output_padding or (0,) * dims,
        "dilation": dilation or (1,) * dims, "groups": groups,
    }
    x = symbol_array("x", (in_channels, *input_size))
    weight = symbol_array("W", (in_channels, out_channels // groups, *kernel_size))
    bias = symbol_array("c", (out_channels,))
    bn = symbolic_batchnorm(out_channels)
    folded_weight, folded_bias = fold(weight, bias, **bn, transpose=True, groups=groups)
    left = symbolic_batchnorm_eval(symbolic_conv_transpose(x, weight, bias, **options), **bn)
    right = symbolic_conv_transpose(x, folded_weight, folded_bias, **options)
    what = f"BN(conv_transpose{dims}d {_symbolic_layer_text(in_channels, out_channels, kernel_size, options)}(x)) = conv_transpose'(x)"
    yield Identity(what=what, left=left, right=right)


def _symbolic_layer_text(in_channels: int, out_channels: int, kernel_size: tuple[int, ...], options: dict[str, Any]) -> str:
    """``2→4 k2×2 stride (2, 1) groups 2 reflect``: the layer's options, defaults left out."""

    def spelled(values: tuple[int, ...]) -> str:
        return str(values[0]) if len(values) == 1 else "(" + ", ".join(map(str, values)) + ")"

    words = [f"{in_channels}→{out_channels}", "k" + "×".join(map(str, kernel_size))]
    for name, value in options.items():
        if isinstance(value, tuple) and any(v != (1 if name in ("stride", "dilation") else 0) for v in value):
            words.append(f"{name} {spelled(value)}")
    if options.get("groups", 1) > 1:
        words.append(f"groups {options['groups']}")
    if options.get("padding_mode", "zeros") != "zeros":
        words.append(options["padding_mode"])
    return " ".join(words)


# --- the wrong folds (each must be refuted) ----------------------------------------------------


def fold_without_eps(weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, **layout: Any) -> tuple[Any, Any]:
    """``s = γ/√σ²``: ε forgotten (right only as ε → 0)."""
    return symbolic_folded_parameters(weight, bias, mean=mean, var=var, eps=0, gamma=gamma, beta=beta, **layout)


def fold_without_mean_shift(weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, **layout: Any) -> tuple[Any, Any]:
    """``c' = s·c + β``: the running mean forgotten."""
    return symbolic_folded_parameters(weight, bias, mean=0 * mean, var=var, eps=eps, gamma=gamma, beta=beta, **layout)


def fold_without_beta(weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, **layout: Any) -> tuple[Any, Any]:
    """``c' = s·(c − μ)``: β forgotten in the folded bias."""
    return symbolic_folded_parameters(weight, bias, mean=mean, var=var, eps=eps, gamma=gamma, beta=0 * beta, **layout)


def transpose_fold_without_group_offset(
    weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, transpose: bool = False, groups: int = 1
) -> tuple[Any, Any]:
    """A ``ConvTranspose`` weight's column ``j`` scaled by ``s[j]`` in every group (right only for groups=1).

    The recorded defect of ``torch.nn.utils.fusion`` for grouped ``ConvTranspose``.
    """
    return symbolic_folded_parameters(weight, bias, mean=mean, var=var, eps=eps, gamma=gamma, beta=beta, transpose=transpose, groups=1)


# --- the registry (theorems._engine.prove) -------------------------------------------------------

SYMBOLIC_STATEMENTS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "fold-linear",
        "Linear 3→2 and 1→1",
        10.0,
        "theorems.fold.symbolic:symbolic_fold_linear",
        ({"in_features": 3, "out_features": 2}, {"in_features": 1, "out_features": 1}),
        how="W, c, x, γ, β, μ, σ² > 0, ε > 0 symbolic (affine=False and bias=False are the cases γ=1, β=0 and c=0)",
    ),
    SymbolicStatement(
        "fold-conv",
        "conv1d 4→2 k3 stride 2 dilation 2 padding 1 groups 2 on 7; conv1d 2→3 k2 padding 1 replicate on 4; "
        "conv2d 2→4 k2×2 stride (2, 1) dilation (1, 2) padding (1, 0) groups 2 reflect on 4×4; "
        "conv3d 2→2 k2×2×2 stride (1, 2, 1) dilation (2, 1, 1) padding 1 groups 2 circular on 3×3×3",
        15.0,
        "theorems.fold.symbolic:symbolic_fold_conv",
        (
            {"dims": 1, "in_channels": 4, "out_channels": 2, "kernel_size": (3,), "input_size": (7,), "stride": (2,), "padding": (1,), "dilation": (2,), "groups": 2},
            {"dims": 1, "in_channels": 2, "out_channels": 3, "kernel_size": (2,), "input_size": (4,), "padding": (1,), "padding_mode": "replicate"},
            {
                "dims": 2, "in_channels": 2, "out_channels": 4, "kernel_size": (2, 2), "input_size": (4, 4), "stride": (2, 1),
                "padding": (1, 0), "dilation": (1, 2), "groups": 2, "padding_mode": "reflect",
            },
            {
                "dims": 3, "in_channels": 2, "out_channels": 2, "kernel_size": (2, 2, 2), "input_size": (3, 3, 3), "stride": (1, 2, 1),
                "padding": (1, 1, 1), "dilation": (2, 1, 1), "groups": 2, "padding_mode": "circular",
            },
        ),
        how="the convolution written out as sums over symbolic entries (PyTorch's definition, not torch), BatchNorm symbolic",
    ),
    SymbolicStatement(
        "fold-conv-transpose",
        "conv_transpose1d 4→4 k3 stride 2 padding 1 output_padding 1 groups 2 on 3; "
        "conv_transpose2d 2→4 k2×2 stride (2, 1) dilation (1, 2) output_padding (1, 0) groups 2 on 2×3; "
        "conv_transpose3d 2→2 k2×2×2 stride 2 on 2×2×2",
        15.0,
        "theorems.fold.symbolic:symbolic_fold_conv_transpose",
        (
            {"dims": 1, "in_channels": 4, "out_channels": 4, "kernel_size": (3,), "input_size": (3,), "stride": (2,), "padding": (1,), "output_padding": (1,), "groups": 2},
            {
                "dims": 2, "in_channels": 2, "out_channels": 4, "kernel_size": (2, 2), "input_size": (2, 3), "stride": (2, 1),
                "dilation": (1, 2), "output_padding": (1, 0), "groups": 2,
            },
            {"dims": 3, "in_channels": 2, "out_channels": 2, "kernel_size": (2, 2, 2), "input_size": (2, 2, 2), "stride": (2, 2, 2)},
        ),
        how="the transposed convolution written out as sums over symbolic entries, weight (C_in, C_out/groups, k…)",
    ),
)

_CONV1D = {"dims": 1, "in_channels": 2, "out_channels": 2, "kernel_size": (2,), "input_size": (3,)}
_CONV_TRANSPOSE1D = {"dims": 1, "in_channels": 4, "out_channels": 4, "kernel_size": (2,), "input_size": (2,), "stride": (2,), "groups": 2}

WRONG_STATEMENTS: tuple[SymbolicStatement, ...] = (
    wrong_statement(
        "fold-linear", "fold-linear/eps-forgotten", "theorems.fold.symbolic:symbolic_fold_linear",
        {"in_features": 2, "out_features": 1, "fold": Ref("theorems.fold.symbolic:fold_without_eps")},
        "Linear 2→1", mistake_of(fold_without_eps),
    ),
    wrong_statement(
        "fold-linear", "fold-linear/beta-forgotten", "theorems.fold.symbolic:symbolic_fold_linear",
        {"in_features": 2, "out_features": 1, "fold": Ref("theorems.fold.symbolic:fold_without_beta")},
        "Linear 2→1", mistake_of(fold_without_beta),
    ),
    wrong_statement(
        "fold-conv", "fold-conv/mean-forgotten", "theorems.fold.symbolic:symbolic_fold_conv",
        {**_CONV1D, "fold": Ref("theorems.fold.symbolic:fold_without_mean_shift")},
        "conv1d 2→2 k2 L3", mistake_of(fold_without_mean_shift),
    ),
    wrong_statement(
        "fold-conv", "fold-conv/eps-forgotten", "theorems.fold.symbolic:symbolic_fold_conv",
        {**_CONV1D, "fold": Ref("theorems.fold.symbolic:fold_without_eps")},
        "conv1d 2→2 k2 L3", mistake_of(fold_without_eps),
    ),
    wrong_statement(
        "fold-conv-transpose", "fold-conv-transpose/group-offset-dropped", "theorems.fold.symbolic:symbolic_fold_conv_transpose",
        {**_CONV_TRANSPOSE1D, "fold": Ref("theorems.fold.symbolic:transpose_fold_without_group_offset")},
        "conv_transpose1d 4→4 k2 s2 groups2 L2", mistake_of(transpose_fold_without_group_offset),
    ),
)
