"""What a module computes, seen at the operator level: the ATen operators its forward dispatches.

Fold equivalence says BatchNorm folds *into* the layer: a "fold" that returns
``nn.Sequential(conv, bn)``, a scripted or traced copy of the network, a wrapper that
calls ``F.batch_norm``, or a layer followed by its own scale, computes the right numbers
without folding anything. Class names cannot tell (a wrapper is not a ``_BatchNorm``);
the operators can. :func:`dispatched_operators` runs a call under a
``TorchDispatchMode`` (PyTorch's documented hook below autograd, which sees every ATen
operator of eager, scripted, traced and ``torch.fx`` modules alike, after composite
operators are decomposed) and counts the operators by name.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["batch_norm_operators", "dispatched_operators", "layer_computation_failure"]

T = TypeVar("T")

# Operator names (overload packets) by what they compute. Batch normalisation in eval
# mode dispatches native_batch_norm (or _native_batch_norm_legit_no_training, cudnn_…,
# miopen_…): any name containing "batch_norm" is one.
BATCH_NORM = "batch_norm"
CONVOLUTION = "conv"  # convolution, _convolution (traced), conv2d, cudnn_convolution, …
MATRIX_PRODUCTS = frozenset({"addmm", "mm", "matmul", "bmm", "baddbmm", "linear", "_addmm_activation"})
# Elementwise arithmetic that scales or shifts a layer's output: a BatchNorm left outside
# the layer. A bias added after the product (``add``) is still one affine layer.
OUTSIDE_THE_LAYER = frozenset({"mul", "div", "sub", "rsqrt", "sqrt", "reciprocal", "addcmul", "addcdiv", "pow", "neg"})


def dispatched_operators(call: Callable[[], T]) -> tuple[T, collections.Counter[str]]:
    """``call()`` and the ATen operators it dispatched, counted by name."""
    from torch.utils._python_dispatch import TorchDispatchMode

    seen: collections.Counter[str] = collections.Counter()

    class Recording(TorchDispatchMode):
        # TorchDispatchMode wraps a subclass's __torch_dispatch__ in torch._disable_dynamo, which
        # imports torch._dynamo on its first call: 1.5 s of CPU in every process that checks a fold,
        # for a guard against torch.compile tracing into the mode. Nothing here compiles; PyTorch's
        # documented switch for that wrapping is this classmethod (torch/utils/_python_dispatch.py).
        @classmethod
        def _should_skip_dynamo(cls) -> bool:
            return False

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            seen[func.overloadpacket.__name__] += 1
            return func(*args, **(kwargs or {}))

    with Recording():
        result = call()
    return result, seen


def batch_norm_operators(operators: collections.Counter[str]) -> dict[str, int]:
    """The batch-normalisation operators among ``operators`` (empty when nothing normalises)."""
    return {name: count for name, count in operators.items() if BATCH_NORM in name}


def layer_computation_failure(operators: collections.Counter[str], *, linear: bool) -> str | None:
    """Why ``operators`` are not one layer of the kind (a Linear, or a convolution), or None.

    One layer: exactly one matrix product (Linear) or one convolution, no batch
    normalisation, and no arithmetic that scales or shifts the layer's output.
    """
    normalising = batch_norm_operators(operators)
    if normalising:
        return f"returned a module that still runs batch normalisation ({_listed(normalising)}): nothing was folded"
    kind, layers = ("matrix product", {n: c for n, c in operators.items() if n in MATRIX_PRODUCTS}) if linear else (
        "convolution", {n: c for n, c in operators.items() if CONVOLUTION in n}
    )
    if sum(layers.values()) != 1:
        found = _listed(layers) if layers else "none"
        return f"returned a module that computes {sum(layers.values())} {kind}s ({found}), expected one folded layer"
    outside = {name: count for name, count in operators.items() if name in OUTSIDE_THE_LAYER}
    if outside:
        return f"returned a module that scales or shifts the layer's output ({_listed(outside)}): BatchNorm was not folded into the weights"
    return None


def _listed(counts: dict[str, int]) -> str:
    return ", ".join(f"aten.{name} ×{count}" for name, count in sorted(counts.items()))
