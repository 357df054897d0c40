"""Defects of torch's fusion utility (``torch.nn.utils.fusion``) found by the fold checks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from torch import nn
from torch.nn.utils import fusion

from theorems.finding import Finding
from theorems.fold.check import FoldCase

__all__ = ["FINDINGS", "LIBRARY_IMPLEMENTATIONS"]

# The real library functions that run through the fold checks, by theorem id. For a
# ConvTranspose, fuse_conv_bn_eval needs transpose=True (its documented flag).
LIBRARY_IMPLEMENTATIONS: dict[str, tuple[str, Callable[..., Any]]] = {
    "fold-linear": ("torch.nn.utils.fusion.fuse_linear_bn_eval", fusion.fuse_linear_bn_eval),
    "fold-conv": ("torch.nn.utils.fusion.fuse_conv_bn_eval", fusion.fuse_conv_bn_eval),
    "fold-conv-transpose": (
        "torch.nn.utils.fusion.fuse_conv_bn_eval(transpose=True)",
        functools.partial(fusion.fuse_conv_bn_eval, transpose=True),
    ),
}


def _without_affine(case: FoldCase) -> bool:
    return not case.bn.affine


def _grouped(case: FoldCase) -> bool:
    return isinstance(case.layer, nn.modules.conv._ConvTransposeNd) and case.layer.groups > 1


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="fusion-linear-affine-false",
        theorem_id="fold-linear",
        library="torch.nn.utils.fusion.fuse_linear_bn_eval",
        summary=(
            "raises TypeError for a BatchNorm1d with affine=False: fuse_linear_bn_weights multiplies "
            "bn.weight (None) without the None-handling that fuse_conv_bn_weights has"
        ),
        applies=_without_affine,
    ),
    Finding(
        id="fusion-conv-transpose-groups",
        theorem_id="fold-conv-transpose",
        library="torch.nn.utils.fusion.fuse_conv_bn_eval(transpose=True)",
        summary=(
            "wrong for a grouped ConvTranspose (groups > 1): the scale is reshaped to (1, C_out, 1, …) "
            "against a weight of shape (C_in, C_out/groups, k…), which broadcasts to a wrong-shaped "
            "weight or raises, instead of scaling output channel g·(C_out/groups)+j"
        ),
        applies=_grouped,
    ),
)
