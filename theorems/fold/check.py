r"""T1 · Fold equivalence (Problem 1): eval-mode BatchNorm folds into the layer before it.

Let ``L(x) = W ⊛ x + c`` be a ``Linear``, ``Conv1d/2d/3d`` (any stride, padding,
padding mode, dilation, groups) or ``ConvTranspose1d/2d/3d``, followed by a BatchNorm
in eval mode with running statistics ``μ, σ²``, ``eps`` ε and affine ``γ, β``
(``γ = 1, β = 0`` without ``affine``). With one scale per output channel
``s = γ / sqrt(σ² + ε)``,

    BN(L(x)) = L'(x),   W' = s · W,   c' = s · (c − μ) + β,

where ``s · W`` scales each output channel's filter: dimension 0 of a ``Linear`` or
``Conv`` weight, and for ``ConvTranspose`` (weight ``(C_in, C_out/groups, k…)``) the
output channel ``g·(C_out/groups) + j`` sits at group ``g``'s rows, column ``j``.

Hypotheses: BN in eval mode *and* tracking running statistics; nothing between the
layer and BN. Source: Problem 1 of the notes. The pure algebra is
:func:`folded_weight` and :func:`folded_bias`; :func:`fold_linear`,
:func:`fold_conv` and :func:`fold_conv_transpose` are the public wrappers (they check
preconditions and never mutate their arguments, as ``torch.nn.utils.fusion`` does).
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from theorems.calling import call_implementation, module
from theorems.evidence import Evidence, compare_elementwise, implementation_failure
from theorems.oracles.operators import dispatched_operators, layer_computation_failure
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, layer_roundoff

__all__ = [
    "FoldCase",
    "batchnorm_scale",
    "check_fold",
    "check_fold_conv",
    "check_fold_conv_transpose",
    "check_fold_linear",
    "fold_conv",
    "fold_conv_transpose",
    "fold_linear",
    "folded_bias",
    "folded_weight",
    "normalize_folded_into_conv",
    "run_folding",
]

CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
CONV_TRANSPOSES = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
BATCHNORM_FOR_DIMS = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


# --- the pure math -------------------------------------------------------------------


def batchnorm_scale(
    running_var: torch.Tensor, eps: float, gamma: torch.Tensor | None
) -> torch.Tensor:
    """``s = γ / sqrt(σ² + ε)``, one entry per channel (``γ = 1`` without affine)."""
    scale = torch.rsqrt(running_var + eps)
    return scale if gamma is None else gamma * scale


def folded_weight(weight: torch.Tensor, scale: torch.Tensor, *, transpose: bool = False, groups: int = 1) -> torch.Tensor:
    """``W' = s · W``: each output channel's filter scaled by its ``s``.

    ``ConvTranspose`` weights are ``(C_in, C_out/groups, k…)``: view them as
    ``(groups, C_in/groups, C_out/groups, k…)`` so that output channel
    ``g·(C_out/groups) + j`` meets ``scale[g·(C_out/groups) + j]``.
    """
    spatial = (1,) * (weight.dim() - 2)
    if not transpose:
        return weight * scale.reshape(-1, 1, *spatial)
    in_channels, out_per_group = weight.shape[:2]
    grouped = weight.reshape(groups, in_channels // groups, out_per_group, *weight.shape[2:])
    return (grouped * scale.reshape(groups, 1, out_per_group, *spatial)).reshape(weight.shape)


def folded_bias(
    bias: torch.Tensor | None, scale: torch.Tensor, running_mean: torch.Tensor, beta: torch.Tensor | None
) -> torch.Tensor:
    """``c' = s · (c − μ) + β`` (``c = 0`` without bias, ``β = 0`` without affine)."""
    centred = -running_mean if bias is None else bias - running_mean
    shifted = scale * centred
    return shifted if beta is None else shifted + beta


def normalize_folded_into_conv(
    weight: torch.Tensor, bias: torch.Tensor | None, mean: torch.Tensor, std: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold an input ``Normalize`` ``(x − m)/σ`` (per input channel) into the conv after it.

    ``W ⊛ ((x − m)/σ) + c = (W/σ) ⊛ x + (c − Σ_{i,k} W_{o,i,k} m_i/σ_i)``, exact when every
    output sees only real pixels (``padding=0``); with zero padding, the border sees
    padded zeros of the *normalised* input, i.e. the value ``m`` in raw units, so the fold
    is not exact there (beyond the notes; a boundary worth showing). No groups.
    """
    channel_shape = (1, -1) + (1,) * (weight.dim() - 2)
    scaled = weight / std.reshape(channel_shape)
    shift = (scaled * mean.reshape(channel_shape)).flatten(1).sum(1)
    return scaled, (torch.zeros_like(shift) if bias is None else bias) - shift


# --- the public wrappers ---------------------------------------------------------------


def fold_linear(linear: nn.Linear, bn: nn.modules.batchnorm._BatchNorm) -> nn.Linear:
    """A new ``Linear`` computing ``bn(linear(x))``; the arguments are not modified."""
    require_foldable(linear, bn, (nn.Linear,))
    return _fold(linear, bn, transpose=False)


def fold_conv(conv: nn.modules.conv._ConvNd, bn: nn.modules.batchnorm._BatchNorm) -> nn.modules.conv._ConvNd:
    """A new ``Conv1d/2d/3d`` computing ``bn(conv(x))``; the arguments are not modified."""
    require_foldable(conv, bn, CONVS)
    return _fold(conv, bn, transpose=False)


def fold_conv_transpose(
    conv_transpose: nn.modules.conv._ConvTransposeNd, bn: nn.modules.batchnorm._BatchNorm
) -> nn.modules.conv._ConvTransposeNd:
    """A new ``ConvTranspose1d/2d/3d`` computing ``bn(conv_transpose(x))``; arguments unmodified."""
    require_foldable(conv_transpose, bn, CONV_TRANSPOSES)
    return _fold(conv_transpose, bn, transpose=True)


def _fold(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm, *, transpose: bool) -> nn.Module:
    folded = copy.deepcopy(layer)
    with torch.no_grad():
        scale = batchnorm_scale(bn.running_var, bn.eps, bn.weight).to(layer.weight.dtype)
        weight = folded_weight(layer.weight, scale, transpose=transpose, groups=getattr(layer, "groups", 1))
        bias = folded_bias(layer.bias, scale, bn.running_mean.to(scale.dtype), bn.bias)
    folded.weight = nn.Parameter(weight, requires_grad=layer.weight.requires_grad)
    folded.bias = nn.Parameter(bias.to(layer.weight.dtype), requires_grad=layer.weight.requires_grad)
    return folded


def out_channels(layer: nn.Module) -> int:
    return layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels


def layer_dims(layer: nn.Module) -> int:
    """Spatial dimensions: 0 for Linear, d for a d-dimensional (transposed) conv."""
    return 0 if isinstance(layer, nn.Linear) else len(layer.kernel_size)


def require_foldable(layer: object, bn: object, kinds: tuple[type, ...]) -> None:
    """Raise InvalidInput (one line) unless ``(layer, bn)`` meets the theorem's hypotheses."""
    names = "/".join(kind.__name__ for kind in kinds)
    if not isinstance(layer, kinds):
        raise InvalidInput(f"layer must be a {names}, got {type(layer).__name__}")
    if not isinstance(bn, nn.modules.batchnorm._BatchNorm):
        raise InvalidInput(f"bn must be a torch.nn.BatchNorm1d/2d/3d, got {type(bn).__name__}")
    expected_bn = BATCHNORM_FOR_DIMS.get(max(layer_dims(layer), 1))
    if type(bn) is not expected_bn:
        raise InvalidInput(f"a {type(layer).__name__} is followed by {expected_bn.__name__}, got {type(bn).__name__}")
    if out_channels(layer) != bn.num_features:
        raise InvalidInput(
            f"{type(layer).__name__} has {out_channels(layer)} output channels but bn.num_features={bn.num_features}"
        )
    if bn.training:
        raise InvalidInput("bn is in training mode; fold equivalence needs eval mode (call bn.eval())")
    if not bn.track_running_stats or bn.running_mean is None or bn.running_var is None:
        raise InvalidInput("bn has no running statistics (track_running_stats=False); nothing can be folded")


# --- the check -----------------------------------------------------------------------


@dataclass(frozen=True)
class FoldCase:
    """One generated example: a layer, the BatchNorm after it, and an input batch.

    ``seed`` is the torch seed (drawn by Hypothesis) that built the parameters and input,
    so the case replays exactly.
    """

    layer: nn.Module
    bn: nn.modules.batchnorm._BatchNorm
    x: torch.Tensor
    seed: int = 0

    def __repr__(self) -> str:
        stats = (
            f"eps={self.bn.eps:.1e}, running_var∈[{self.bn.running_var.min().item():.2e}, "
            f"{self.bn.running_var.max().item():.2e}]"
            if self.bn.running_var is not None
            else "no running stats"
        )
        return (
            f"{self.layer!r} → {type(self.bn).__name__}({self.bn.num_features}, affine={self.bn.affine}, {stats}) "
            f"on x{tuple(self.x.shape)} {str(self.x.dtype).removeprefix('torch.')}, seed={self.seed}; {self.values()}"
        )

    def values(self) -> str:
        """The numbers that enter the fold: γ, β, μ, σ², ε, and the layer's W and b (each in full when
        it has at most :data:`SHOWN_ENTRIES` entries, else its extremes); ``seed`` rebuilds them exactly."""
        bn = self.bn
        named = [("γ", bn.weight if bn.affine else None), ("β", bn.bias if bn.affine else None), ("μ", bn.running_mean), ("σ²", bn.running_var)]
        named += [("W", self.layer.weight), ("b", self.layer.bias)]
        shown = [f"{name}={_entries(tensor)}" for name, tensor in named if tensor is not None]
        return ", ".join([*shown, f"ε={bn.eps:.6g}"])


# A parameter with at most this many entries is printed in full in a counterexample; a larger one by
# its extremes (a shrunk counterexample is small, so the values a person needs are all there).
SHOWN_ENTRIES = 8


def _entries(tensor: torch.Tensor) -> str:
    values = tensor.detach().double().reshape(-1)
    if values.numel() <= SHOWN_ENTRIES:
        return "[" + ", ".join(f"{value:.6g}" for value in values.tolist()) + "]"
    return f"[{values.min().item():.6g} … {values.max().item():.6g}] ({values.numel()} entries)"


def terms_per_output(layer: nn.Module) -> int:
    """The number of products summed into one output element (an upper bound for transposes)."""
    if isinstance(layer, nn.Linear):
        return layer.in_features
    kernel = 1
    for size in layer.kernel_size:
        kernel *= size
    return layer.in_channels // layer.groups * kernel


def absolute_layer(layer: nn.Module, x: torch.Tensor, *, power: int = 1, bias: bool = True) -> torch.Tensor:
    """``|W|ᵖ ⊛ x (+ |c|)`` in float64: the layer run with its weights' absolute values (raised to ``power``).

    By ``torch.func.functional_call`` with new parameters, not a copy of the layer: a
    16k × 1k Linear costs 128 MB a copy.
    """
    weight = layer.weight.detach().double().abs()
    parameters = {"weight": weight if power == 1 else weight**power}
    if layer.bias is not None:
        parameters["bias"] = layer.bias.detach().double().abs() if bias else torch.zeros_like(layer.bias, dtype=torch.float64)
    return torch.func.functional_call(layer, parameters, (x.double(),))


def term_magnitude(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm | None, x: torch.Tensor) -> torch.Tensor:
    """``T = |s| (|W| ⊛ |x| + |c| + |μ|) + |β|`` per output element, in float64 (``|W| ⊛ |x| + |c|`` without BN).

    Every rounding error on either side of the equation is a small multiple of u times
    one of these terms; ``|W| ⊛ |x|`` is the same layer with absolute weights on ``|x|``
    (reflect/replicate/circular padding commute with ``abs``).
    """
    with torch.no_grad():
        summed = absolute_layer(layer, x.abs())
        if bn is None:
            return summed
        scale = batchnorm_scale(bn.running_var.double(), bn.eps, None if bn.weight is None else bn.weight.double()).abs()
        beta = torch.zeros_like(scale) if bn.bias is None else bn.bias.double().abs()
        channel_shape = (1, -1) + (1,) * (summed.dim() - 2)
        return scale.reshape(channel_shape) * (summed + bn.running_mean.double().abs().reshape(channel_shape)) + beta.reshape(channel_shape)


def fold_tolerance(case: FoldCase) -> tuple[torch.Tensor, str]:
    """Per-element tolerance ``(k + 8)(u + u₆₄) T`` and its reason.

    Each side's error is at most ``γ_{k+1}`` on the k-term dot product plus the bias,
    and at most 7 further roundings on the BatchNorm or fold arithmetic (ε add, sqrt,
    divide, γ multiply, mean subtract, β add, and the scaling of W), each relative to a
    term of ``T``. The oracle runs in float64 and the implementation in the case's dtype.
    """
    k = terms_per_output(case.layer)
    u = layer_roundoff(case.layer, case.x.dtype, case.x.device)
    tolerance = (k + 8) * (u + U64) * term_magnitude(case.layer, case.bn, case.x)
    reason = f"(k+8)(u+u64)·T with k={k} terms per output, u={u:.2e}, T=|s|(|W|⊛|x|+|c|+|μ|)+|β| per element"
    return tolerance, reason


def run_folding(
    theorem_id: str,
    example: str,
    implementation: Callable[..., nn.Module],
    arguments: tuple[nn.Module, ...],
    names: tuple[str, ...],
    x: torch.Tensor,
) -> tuple[nn.Module, torch.Tensor, collections.Counter[str]] | Evidence:
    """Call a folding implementation and run what it returns on ``x``.

    Returns ``(folded module, its output, the ATen operators that output took)``
    (:mod:`theorems.oracles.operators`), or Evidence of how the implementation failed
    (:func:`theorems.calling.call_implementation`): it raised, modified one of its
    arguments, returned something that is not a module, or returned a module that raises
    on ``x`` or answers in another dtype.
    """

    def output(folded: nn.Module) -> tuple[nn.Module, torch.Tensor, collections.Counter[str]]:
        with torch.no_grad():
            actual, operators = dispatched_operators(lambda: folded(x))
        return folded, actual, operators

    outcome = call_implementation(
        theorem_id, example, implementation, arguments, names, expect=module, then=output,
        then_failure=lambda error: f"returned a module that raised {type(error).__name__} on x: {error}",
    )
    if isinstance(outcome, Evidence):
        return outcome
    actual = outcome[1]
    if not isinstance(actual, torch.Tensor) or actual.dtype != x.dtype:
        got = actual.dtype if isinstance(actual, torch.Tensor) else type(actual).__name__
        return implementation_failure(theorem_id, example, f"returned a module whose output is {got}, expected {x.dtype}")
    return outcome


def check_fold(
    theorem_id: str, kinds: tuple[type, ...], implementation: Callable[[nn.Module, nn.Module], nn.Module], case: FoldCase
) -> Evidence:
    """Check ``implementation(layer, bn)`` against the unfused pair evaluated in float64.

    The result must also compute one layer of the input's kind (one convolution or one
    matrix product, no batch normalisation and no scale or shift outside the layer),
    decided from the ATen operators it dispatches, not from class names.
    """
    if not isinstance(case, FoldCase):
        raise InvalidInput(f"{theorem_id} checks a FoldCase(layer, bn, x), got {type(case).__name__}")
    require_foldable(case.layer, case.bn, kinds)
    example = repr(case)
    with torch.no_grad():
        expected = _unfused_in_float64(case)
    outcome = run_folding(theorem_id, example, implementation, (case.layer, case.bn), ("layer", "bn"), case.x)
    if isinstance(outcome, Evidence):
        return outcome
    _, actual, operators = outcome
    tolerance, reason = fold_tolerance(case)
    evidence = compare_elementwise(
        theorem_id=theorem_id, example=example, expected=expected, actual=actual, tolerance=tolerance, tolerance_reason=reason
    )
    # Right numbers are not enough: the theorem folds BatchNorm *into* the layer. (Wrong
    # numbers are reported as such: they say more than the structure does.)
    unfolded = layer_computation_failure(operators, linear=isinstance(case.layer, nn.Linear))
    if evidence.holds and unfolded is not None:
        return implementation_failure(theorem_id, example, unfolded)
    return evidence


def _unfused_in_float64(case: FoldCase) -> torch.Tensor:
    """The oracle: the unfused pair itself, on exact float64 copies of the case's parameters."""
    layer, bn = copy.deepcopy(case.layer).double(), copy.deepcopy(case.bn).double()
    return bn(layer(case.x.double()))


def check_fold_linear(implementation: Callable[[nn.Module, nn.Module], nn.Module], case: FoldCase) -> Evidence:
    """The check of ``fold-linear``: ``implementation(linear, bn)`` against the unfused pair."""
    return check_fold("fold-linear", (nn.Linear,), implementation, case)


def check_fold_conv(implementation: Callable[[nn.Module, nn.Module], nn.Module], case: FoldCase) -> Evidence:
    """The check of ``fold-conv``: ``implementation(conv, bn)`` against the unfused pair."""
    return check_fold("fold-conv", CONVS, implementation, case)


def check_fold_conv_transpose(implementation: Callable[[nn.Module, nn.Module], nn.Module], case: FoldCase) -> Evidence:
    """The check of ``fold-conv-transpose``: ``implementation(conv_transpose, bn)`` against the unfused pair."""
    return check_fold("fold-conv-transpose", CONV_TRANSPOSES, implementation, case)
