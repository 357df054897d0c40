"""Deliberately wrong classes: torch's transforms, each subclassed with one mistake a flow author makes.

Each is a class a user could write (``theorems check transform-laws --impl module:Class``); the check
builds it (``cls()``, or from its own ``arg_constraints``) and must find the law it breaks.
"""

from __future__ import annotations

import math

import torch
from torch.distributions import constraints
from torch.distributions import transforms as T

from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]

# A part in a million: a slip far below what a plot or a loss curve shows, far above float64's rounding.
MILLIONTH = 1e-6


class ExpWithTheInversesLogDet(T.ExpTransform):
    """log|det J| of the inverse map returned for the forward one: −x where x belongs."""

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -super().log_abs_det_jacobian(x, y)


class SigmoidLogDetAtTheOutput(T.SigmoidTransform):
    """The log-derivative evaluated at y = σ(x) instead of at x (the arguments swapped)."""

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return super().log_abs_det_jacobian(y, x)


class AffineWithAnInverseOffByAMillionth(T.AffineTransform):
    """The inverse (y − loc)/scale scaled by 1 + 1e-6: a round trip off by a part in a million."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}

    def _inverse(self, y: torch.Tensor) -> torch.Tensor:
        return super()._inverse(y) * (1 + MILLIONTH)


class SigmoidScaledPastOne(T.SigmoidTransform):
    """σ(x)·(1 + 1e-6), inverted consistently, with its log-det: a bijection onto [0, 1 + 1e-6], not the declared [0, 1]."""

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        return super()._call(x) * (1 + MILLIONTH)

    def _inverse(self, y: torch.Tensor) -> torch.Tensor:
        return super()._inverse(y / (1 + MILLIONTH))

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return super().log_abs_det_jacobian(x, y) + math.log1p(MILLIONTH)


class ReflectedTanh(T.TanhTransform):
    """−tanh x (a decreasing map onto the same interval) that keeps tanh's sign +1."""

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        return -super()._call(x)

    def _inverse(self, y: torch.Tensor) -> torch.Tensor:
        return super()._inverse(-y)


class AffineOnVectorsWithOneLogScale(T.AffineTransform):
    """An affine map of vectors (event_dim 1) by a scalar scale whose log-det counts log|scale| once per
    event, not once per coordinate: right only in one dimension."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}

    def __init__(self, loc: torch.Tensor, scale: torch.Tensor, cache_size: int = 0) -> None:
        super().__init__(loc, scale, event_dim=1, cache_size=cache_size)

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(self.scale).abs().log().expand(x.shape[:-1])


def _wrong(name: str, mistake: str, implementation: object) -> WrongImplementation:
    return WrongImplementation("transform-laws", name, mistake, implementation)


WRONG_IMPLEMENTATIONS = (
    _wrong("Exp with the inverse's log-det", "−log|det J| (the inverse's) returned for the forward map", ExpWithTheInversesLogDet),
    _wrong("Sigmoid log-det at the output", "log σ'(y) for log σ'(x): the log-det evaluated at y", SigmoidLogDetAtTheOutput),
    _wrong("Affine inverse off by a millionth", "(y − loc)/scale · (1 + 1e-6)", AffineWithAnInverseOffByAMillionth),
    _wrong("Sigmoid scaled past one", "σ(x)·(1 + 1e-6): outputs above 1, outside the declared codomain [0, 1]", SigmoidScaledPastOne),
    _wrong("Reflected tanh keeps sign +1", "−tanh x declared increasing", ReflectedTanh),
    _wrong("Vector affine with one log|scale|", "log|scale| once per event instead of once per coordinate", AffineOnVectorsWithOneLogScale),
)
