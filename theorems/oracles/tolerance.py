"""Tolerances derived from the dtype's unit roundoff and the size of the terms.

One table by dtype (as ``torch.testing`` keeps one), and the classical bound on a
k-term dot product: ``|fl(Σ w_i x_i) − Σ w_i x_i| ≤ γ_k Σ|w_i x_i|`` with
``γ_k = k u / (1 − k u) ≈ k u`` (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., §3.1). Every tolerance in the suite is this bound applied to
the terms actually summed, never a fixed ``atol``.
"""

from __future__ import annotations

import torch

__all__ = ["U64", "UNIT_ROUNDOFF", "gamma", "layer_roundoff", "unit_roundoff"]

# u = 2^-p for a p-bit significand (round to nearest). U64, float64's, is the one the
# float64 oracles of every theorem round with.
U64 = 2.0**-53
UNIT_ROUNDOFF: dict[torch.dtype, float] = {
    torch.float64: U64,
    torch.float32: 2.0**-24,
    torch.bfloat16: 2.0**-8,
    torch.float16: 2.0**-11,
}

# TF32 keeps float32's range but a 10-bit stored significand: products are formed
# after rounding inputs to 11 significant bits.
TF32_UNIT_ROUNDOFF = 2.0**-11


def unit_roundoff(dtype: torch.dtype, device: torch.device | str = "cpu", *, convolution: bool = True) -> float:
    """The unit roundoff of ``dtype`` as computed on ``device``.

    On CUDA, float32 convolutions run in TF32 when ``torch.backends.cudnn.allow_tf32``
    (PyTorch's default) and float32 matmuls when ``torch.backends.cuda.matmul.allow_tf32``;
    then the effective roundoff is TF32's, not float32's.
    """
    if dtype not in UNIT_ROUNDOFF:
        raise ValueError(f"dtype={dtype} has no unit roundoff in the table; expected one of {list(UNIT_ROUNDOFF)}")
    if torch.device(device).type == "cuda" and dtype == torch.float32:
        tf32 = torch.backends.cudnn.allow_tf32 if convolution else torch.backends.cuda.matmul.allow_tf32
        if tf32:
            return TF32_UNIT_ROUNDOFF
    return UNIT_ROUNDOFF[dtype]


def gamma(terms: int, u: float) -> float:
    """Higham's γ_k = k u / (1 − k u): the relative error bound of a k-term sum of products."""
    if terms * u >= 1:
        raise ValueError(f"terms={terms} with u={u:g} gives k·u >= 1: no error bound exists")
    return terms * u / (1 - terms * u)


def layer_roundoff(layer: torch.nn.Module, dtype: torch.dtype, device: torch.device | str) -> float:
    """The unit roundoff of ``layer``'s own product as run on ``device``: a Linear is a matmul
    (``torch.backends.cuda.matmul.allow_tf32``), a convolution or its transpose is cuDNN's
    (``torch.backends.cudnn.allow_tf32``). PyTorch's defaults differ (TF32 for convolutions,
    IEEE float32 for matmuls), so taking one flag for both is 2¹³ off for one of them."""
    return unit_roundoff(dtype, device, convolution=not isinstance(layer, torch.nn.Linear))
