"""Deliberately wrong log-determinants: torch's transforms with one class's formula wrong.

Each is right on every transform but one, as a library with one bad ``log_abs_det_jacobian``
is: every run covers every transform class, and the check must resolve the mistake there.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.distributions import transforms as T

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


def _torch(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    return transform.log_abs_det_jacobian(x, transform(x))


def tanh_without_the_factor_two(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    if isinstance(transform, T.TanhTransform):
        return math.log(2.0) - x - F.softplus(-2.0 * x)  # log(1 − tanh²) is 2(log 2 − x − softplus(−2x))
    return _torch(transform, x)


def sigmoid_sign_flipped(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    return -_torch(transform, x) if isinstance(transform, T.SigmoidTransform) else _torch(transform, x)


def affine_log_of_the_signed_scale(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(transform, T.AffineTransform):
        return _torch(transform, x)
    value = torch.as_tensor(transform.scale).log().expand(x.shape)
    return value.sum(dim=tuple(range(-transform.event_dim, 0))) if transform.event_dim else value


def stick_breaking_with_the_last_coordinate(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(transform, T.StickBreakingTransform):
        return _torch(transform, x)
    return _torch(transform, x) + transform(x)[..., -1].log()  # the K-th coordinate is not free


def compose_parts_at_the_first_input(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(transform, T.ComposeTransform) or not transform.parts:
        return _torch(transform, x)
    return sum(part.log_abs_det_jacobian(x, part(x)) for part in transform.parts)  # each part at x, not at its own input


def independent_not_summed(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(transform, T.IndependentTransform):
        return _torch(transform, x)
    return transform.base_transform.log_abs_det_jacobian(x, transform(x)).mean(-1)  # averaged over the event


def _wrong(name: str, mistake: str, implementation: object) -> WrongImplementation:
    return WrongImplementation("log-det-jacobian", name, mistake, implementation)


WRONG_IMPLEMENTATIONS = (
    _wrong("Tanh without the factor 2", "log(1 − tanh²x) written as log 2 − x − softplus(−2x)", tanh_without_the_factor_two),
    _wrong("Sigmoid sign flipped", "log|det J⁻¹| returned for the forward map", sigmoid_sign_flipped),
    _wrong("Affine log of the signed scale", "log scale instead of log |scale| (NaN for a reflection)", affine_log_of_the_signed_scale),
    _wrong("StickBreaking with the K-th coordinate", "the Jacobian onto all K outputs, whose last is determined by the rest", stick_breaking_with_the_last_coordinate),
    _wrong("Compose parts at the first input", "every part's log-det evaluated at x, not at the output of the parts before it", compose_parts_at_the_first_input),
    _wrong("Independent averaged", "reinterpreted dimensions averaged instead of summed", independent_not_summed),
)
