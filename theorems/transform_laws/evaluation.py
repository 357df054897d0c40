"""What the laws read off a transform under test, in one call of it: its maps and their Jacobians,
its codomain's verdict, its sign and (for a class under test) its log-determinant with the oracle's.

One call, under the one helper that calls an implementation (:func:`theorems.calling.call_implementation`:
its time limit, its guard of the process, its check that ``x`` is left as it was), instead of one per
step: the guard reads and restores the process's settings around each call, and the steps are many.
A step that raises, or returns what is not a tensor, ends the evaluation as :class:`StepFailed`,
which names the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.distributions import constraints as C
from torch.distributions import transforms as T

from theorems.calling import first_line, tensor
from theorems.log_det_jacobian.check import AutogradLogDet, log_det_by_autograd
from theorems.transform_laws.oracle import Stage, inverse_of_blocks, jacobian_by_autograd

__all__ = ["Images", "Parameters", "StepFailed", "evaluate"]


@dataclass(frozen=True)
class Images:
    """``y = f(x)``, ``x̂ = g(y)``, ``ŷ = f(x̂)``; ``J_f`` at ``x``; ``J_g`` at ``y`` (the larger of the map's
    own and autograd's through the inverse as written); ``inside`` (codomain.check(y), None where the
    codomain is dependent); ``sign`` (None where not defined); for a class under test, its
    ``log_det`` and log-det-jacobian's ``oracle``."""

    y: torch.Tensor
    x_back: torch.Tensor
    y_back: torch.Tensor
    j_f: np.ndarray
    j_g: np.ndarray
    inside: torch.Tensor | None
    sign: Any
    stages: tuple[Stage, ...] = ()
    log_det: torch.Tensor | None = None
    oracle: AutogradLogDet | None = None
    inverse_oracle: AutogradLogDet | None = None


@dataclass(frozen=True)
class StepFailed:
    """The step of the evaluation the implementation failed in, and how."""

    step: str
    failure: str


class _Failed(Exception):
    def __init__(self, step: str, failure: str) -> None:
        super().__init__(failure)
        self.step, self.failure = step, failure


def _step(step: str, call: Callable[[], Any], *, expect_tensor: bool = False) -> Any:
    try:
        value = call()
    except Exception as error:  # the implementation under test may fail in any way
        raise _Failed(step, f"raised {first_line(error)}") from None
    if expect_tensor:
        value, problem = tensor()(value)
        if problem is not None:
            raise _Failed(step, problem)
        return value.detach()
    return value


def _declared_sign(transform: T.Transform) -> Any:
    """``transform.sign`` for a map of scalars, or None where torch's convention leaves it undefined."""
    if transform.domain.event_dim != 0 or transform.codomain.event_dim != 0:
        return None
    try:
        return transform.sign
    except NotImplementedError:
        return None


def _batch_size(transform: T.Transform, x: torch.Tensor) -> int:
    """The batch elements of ``x`` (its dims before the domain's event)."""
    return int(np.prod(tuple(x.shape)[: max(x.dim() - transform.domain.event_dim, 0)], dtype=int))


def _inverse_jacobian(transform: T.Transform, x: torch.Tensor, y: torch.Tensor, j_f: np.ndarray) -> np.ndarray:
    """The larger of the map's own condition (the inverse of each block of J_f) and the inverse as written
    (autograd's J_g): an inverse that clamps is flat under autograd where the map is ill-conditioned, and
    an inverse that extends off a manifold (1 minus the sum of the others) is steeper than J_f's left inverse."""
    as_written = _step("∂g by autograd", lambda: jacobian_by_autograd(transform.inv, y.clone()))
    if as_written.shape != j_f.T.shape:
        return as_written
    with np.errstate(invalid="ignore"):
        return np.fmax(np.abs(as_written), inverse_of_blocks(j_f, _batch_size(transform, x)))


def _stages(transform: T.Transform, x: torch.Tensor) -> tuple[Stage, ...]:
    """The values a ComposeTransform forms between its parts, with ∂x/∂v (the parts before, inverted as
    :func:`_inverse_jacobian` inverts) and ∂y/∂v (the parts after) at each."""
    parts = list(transform.parts) if isinstance(transform, T.ComposeTransform) else []
    stages, value = [], x
    for k in range(len(parts) - 1):
        before, after = T.ComposeTransform(parts[: k + 1]), T.ComposeTransform(parts[k + 1 :])
        value = _step(f"part {k + 1} of {len(parts)}", lambda part=parts[k], at=value: part(at), expect_tensor=True)
        to_y = _step(f"∂(parts after {k + 1}) by autograd", lambda: jacobian_by_autograd(after, value))
        to_x = _inverse_jacobian(before, x, value, _step(f"∂(parts to {k + 1}) by autograd", lambda: jacobian_by_autograd(before, x)))
        stages.append(Stage(value, to_x, to_y))
    return tuple(stages)


@dataclass(frozen=True)
class Parameters:
    """A class under test's constructor arguments (``values``) and how to build it from them (``build``)."""

    build: Callable[..., T.Transform]
    values: tuple[tuple[str, torch.Tensor], ...]


def _parameter_stages(parameters: Parameters | None, x: torch.Tensor, y: torch.Tensor) -> tuple[Stage, ...]:
    """Each floating constructor argument θ as a value the class's formulas use: ``∂y/∂θ`` at ``x`` through
    the forward map and ``∂x/∂θ`` at ``y`` through the inverse, by autograd on the class rebuilt from θ."""
    if parameters is None:
        return ()
    given = dict(parameters.values)
    stages = []
    for name, value in parameters.values:
        if not (isinstance(value, torch.Tensor) and value.is_floating_point()):
            continue

        def built(theta: torch.Tensor, name: str = name) -> T.Transform:
            return parameters.build(**{**given, name: theta})

        to_y = _step(f"∂f/∂{name} by autograd", lambda: jacobian_by_autograd(lambda theta: built(theta)(x.clone()), value))
        to_x = _step(f"∂g/∂{name} by autograd", lambda: jacobian_by_autograd(lambda theta: built(theta).inv(y.clone()), value))
        stages.append(Stage(value, to_x, to_y))
    return tuple(stages)


def _evaluated(transform: T.Transform, x: torch.Tensor, with_log_det: bool, parameters: Parameters | None = None) -> Images:
    # The inverse is handed a copy of y: a transform with a cache returns x for y itself, unchecked.
    y = _step("f(x)", lambda: transform(x), expect_tensor=True)
    codomain = transform.codomain
    inside = None if C.is_dependent(codomain) else _step("f(x) ∈ codomain", lambda: torch.as_tensor(codomain.check(y)).bool())
    x_back = _step("g(y)", lambda: transform.inv(y.clone()), expect_tensor=True)
    y_back = _step("f(g(y))", lambda: transform(x_back.clone()), expect_tensor=True)
    j_f = _step("∂f by autograd", lambda: jacobian_by_autograd(transform, x))
    j_g = _inverse_jacobian(transform, x, y, j_f)
    sign = _step("sign", lambda: _declared_sign(transform))
    stages = _stages(transform, x) + _parameter_stages(parameters, x, y)
    if not with_log_det:
        return Images(y, x_back, y_back, j_f, j_g, inside, sign, stages)
    oracle = _step("log|det J| by autograd", lambda: log_det_by_autograd(transform, x))
    log_det = _step("log|det J|", lambda: transform.log_abs_det_jacobian(x, y), expect_tensor=True)
    return Images(y, x_back, y_back, j_f, j_g, inside, sign, stages, log_det, oracle, _through_the_inverse(transform, y))


def _through_the_inverse(transform: T.Transform, y: torch.Tensor) -> AutogradLogDet | None:
    """Autograd's log|det J_g| at ``y``, which the inverse function theorem makes −log|det J_f|: the oracle's
    cross-check. None where it has no square block (an inverse off a manifold) or raises: then there is
    no cross-check, and no accusation rests on it either."""
    try:
        with np.errstate(invalid="ignore", divide="ignore"):  # a Jacobian with NaN: no cross-check, not a warning
            return log_det_by_autograd(transform.inv, y.clone())
    except Exception:  # the cross-check is the suite's own; its failure says nothing of the class
        return None


def evaluate(transform: T.Transform, x: torch.Tensor, with_log_det: bool, parameters: Parameters | None = None) -> Images | StepFailed:
    """Every value the laws read off ``transform`` at ``x`` (the log-determinant and its oracle where
    ``with_log_det``; each of a class's ``parameters`` as a stage), or the step that failed."""
    try:
        return _evaluated(transform, x, with_log_det, parameters)
    except _Failed as failed:
        return StepFailed(failed.step, failed.failure)
