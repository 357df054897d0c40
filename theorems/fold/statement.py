r"""T1 · Fold equivalence (Problem 1): eval-mode BatchNorm folds into the layer before it.

The math and the check: :mod:`theorems.fold.check`.
"""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["FOLD_CONV", "FOLD_CONV_TRANSPOSE", "FOLD_LINEAR", "HYPOTHESES", "ORACLES", "STATEMENT", "THEOREMS"]

STATEMENT = (
    r"\mathrm{BN}(L(x)) = L'(x),\quad W' = s\cdot W,\quad c' = s\,(c-\mu)+\beta,"
    r"\quad s = \frac{\gamma}{\sqrt{\sigma^2+\varepsilon}}"
)
HYPOTHESES = (
    "BatchNorm is in eval mode and tracks running statistics (μ, σ²)",
    "nothing (no nonlinearity) sits between the layer and BatchNorm",
    "γ = 1, β = 0 when affine=False; c = 0 when bias=False",
)
ORACLES = (
    "the unfused pair bn(layer(x)) evaluated in float64",
    "torch.nn.utils.fusion as a second implementation (recorded findings)",
)

DTYPE = Assumption("dtype", ("float32", "float64"), "the dtype of the layer, BatchNorm and input")
AFFINE = Assumption("affine", (True, False), "whether BatchNorm has γ and β")
BIAS = Assumption("bias", (True, False), "whether the layer has a bias")
DIMS = Assumption("dims", (1, 2, 3), "spatial dimensions of the convolution")
GROUPS = Assumption("groups", (1, 2, 3, 4), "the convolution's groups")
PADDING_MODE = Assumption("padding_mode", ("zeros", "reflect", "replicate", "circular"), "the convolution's padding mode")
# The structural classes below are where a fold that is right on most layers goes wrong:
# a weight layout told from its shape (square channel dimensions), groups, a rebuilt layer
# that forgets one of its options.
CHANNELS = Assumption(
    "channels", ("equal", "different"),
    "input channels (features) equal to the output channels, at least 2 (a weight whose channel dimensions can be confused), or not",
)
GROUPING = Assumption(
    "grouping", ("none", "depthwise", "grouped"),
    "groups=1; depthwise (groups = in_channels ≥ 2, out_channels a multiple); grouped (1 < groups < in_channels)",
)
STRIDED = Assumption("strided", (True, False), "whether some stride or dilation exceeds 1")
UPSAMPLING = Assumption(
    "upsampling", ("none", "strided", "output-padded"),
    "stride and dilation 1; some stride or dilation above 1, output_padding 0; some output_padding above 0 (so a stride or dilation above 1)",
)


def _fold_theorem(
    theorem_id: str, title: str, layer: str, contract: str, examples: str, assumptions: tuple[Assumption, ...], cover: tuple[str, ...]
) -> Theorem:
    return Theorem(
        id=theorem_id,
        title=title,
        source="Problem 1",
        statement=STATEMENT,
        hypotheses=HYPOTHESES,
        oracles=ORACLES,
        contract=contract,
        parameters=(layer, "bn"),
        reference_target=f"theorems.fold.check:{theorem_id.replace('-', '_')}",
        check_target=f"theorems.fold.check:check_{theorem_id.replace('-', '_')}",
        examples=examples,
        assumptions=assumptions,
        cover=cover,
        classify_target="theorems.strategies.fold:classify_fold_case",
    )


FOLD_LINEAR = _fold_theorem(
    "fold-linear",
    "Eval-mode BatchNorm1d folds into the preceding Linear",
    "linear",
    "(linear: nn.Linear, bn: nn.BatchNorm1d) -> nn.Module computing bn(linear(x)); must not modify its arguments",
    "theorems.strategies.fold:linear_cases",
    (DTYPE, AFFINE, BIAS, CHANNELS),
    ("channels", "bias", "affine", "dtype"),
)
FOLD_CONV = _fold_theorem(
    "fold-conv",
    "Eval-mode BatchNorm folds into the preceding Conv1d/2d/3d",
    "conv",
    "(conv: nn.Conv1d/2d/3d, bn: nn.BatchNorm1d/2d/3d) -> nn.Module computing bn(conv(x)); "
    "the signature of torch.nn.utils.fusion.fuse_conv_bn_eval; must not modify its arguments",
    "theorems.strategies.fold:conv_cases",
    (DIMS, DTYPE, AFFINE, BIAS, GROUPS, PADDING_MODE, GROUPING, CHANNELS, STRIDED),
    ("padding_mode", "dims", "grouping", "channels", "strided", "bias", "affine", "dtype"),
)
FOLD_CONV_TRANSPOSE = _fold_theorem(
    "fold-conv-transpose",
    "Eval-mode BatchNorm folds into the preceding ConvTranspose1d/2d/3d",
    "conv_transpose",
    "(conv_transpose: nn.ConvTranspose1d/2d/3d, bn: nn.BatchNorm1d/2d/3d) -> nn.Module computing "
    "bn(conv_transpose(x)); must not modify its arguments",
    "theorems.strategies.fold:conv_transpose_cases",
    (DIMS, DTYPE, AFFINE, BIAS, GROUPS, GROUPING, CHANNELS, UPSAMPLING),
    ("dims", "grouping", "upsampling", "channels", "bias", "affine", "dtype"),
)

THEOREMS = (FOLD_LINEAR, FOLD_CONV, FOLD_CONV_TRANSPOSE)
