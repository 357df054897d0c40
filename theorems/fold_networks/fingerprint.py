"""What a network's bound is a function of, as one hashable key: :func:`network_fingerprint`.

:func:`~theorems.fold_networks.bounds.network_bounds` keeps the bounds of the last few
networks under this key, because a run meets the same network and input many times: every
wrong implementation of the catalogue is checked on the same first covered example (the
strategy builds it once and hands out copies), Hypothesis replays a failing example, and the
tests judge several folds of one network. The bound is most of a check's cost (0.6 s of
smallNet's 1.4 s in float64, 1.4 s of resnet18's 2 s in float32); the key costs one SHA-256
pass over the tensors (0.1 s for smallNet's 134 MB in float64).

The bound is computed from the network's torch.fx graph run in float64 (its leaf modules
called on the values), the leaf modules' types and settings, every tensor the graph reads,
the input, and the false-alarm rate its λ is chosen for. The key holds each of them:

* the traced graph's code: the network's structure, with the Python-level control flow on its
  attributes (``if self.use_res_connect``) already resolved by tracing;
* per leaf module its target, type, ``extra_repr()`` (every setting of the torch.nn modules a
  bound has a rounding model for: a convolution's stride, padding, groups and padding mode, a
  BatchNorm's ε, an activation's slope and limits) and its training flag;
* the SHA-256 of the bytes of every parameter, buffer and tensor constant, with shape, dtype
  and device, and of the input: equal exactly when the numbers are equal.

A network with hooks (its own or every module's) gets no key (None): what a hook does is in no setting.
"""

from __future__ import annotations

import hashlib
import itertools

import torch
from torch import fx, nn

__all__ = ["network_fingerprint"]


def _tensor_digest(tensor: torch.Tensor) -> tuple[object, ...]:
    """Shape, dtype, device and SHA-256 of the bytes of ``tensor``."""
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    data = flat.view(torch.uint8).numpy() if flat.numel() else b""
    return tuple(tensor.shape), tensor.dtype, str(tensor.device), hashlib.sha256(data).digest()


HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")


def _has_hooks(module: nn.Module) -> bool:
    return any(getattr(module, name, None) for name in HOOKS)


def _global_hooks() -> bool:
    """Hooks registered for every module (``torch.nn.modules.module.register_module_forward_hook``, …)."""
    from torch.nn.modules import module as modules

    return any(getattr(modules, f"_global{name}", None) for name in HOOKS)


def network_fingerprint(model: nn.Module, x: torch.Tensor, *extra: object) -> tuple[object, ...] | None:
    """A key equal for two (network, input) pairs exactly when the bound sees the same network and input.

    ``extra`` joins the key (what else the bound depends on: its false-alarm rate). None for a
    network with hooks. ``model`` is traced, not modified.
    """
    if _global_hooks() or any(_has_hooks(module) for module in model.modules()):
        return None
    traced = fx.symbolic_trace(model)
    leaves = tuple(
        (node.target, type(module), module.extra_repr(), module.training)
        for node in traced.graph.nodes
        if node.op == "call_module"
        for module in (traced.get_submodule(node.target),)
    )
    constants = tuple(
        (node.target, _tensor_digest(value))
        for node in traced.graph.nodes
        if node.op == "get_attr"
        for value in (_attribute(traced, node.target),)
        if isinstance(value, torch.Tensor)
    )
    tensors = tuple(
        (name, _tensor_digest(tensor))
        for name, tensor in itertools.chain(model.named_parameters(remove_duplicate=False), model.named_buffers(remove_duplicate=False))
    )
    return (traced.code, leaves, constants, tensors, _tensor_digest(x), *extra)


def _attribute(module: nn.Module, target: str) -> object:
    value: object = module
    for part in target.split("."):
        value = getattr(value, part)
    return value
