r"""Beyond the notes · every bijective transform of ``torch.distributions``: its log-determinant.

Problem 4 (T4) changes variables through one affine map of a Gaussian. In general, for a
bijection ``f`` of an event ``x`` onto ``y = f(x)``,

    log p_Y(y) = log p_X(f⁻¹(y)) − log|det J_f(f⁻¹(y))|,

and every transform of ``torch.distributions.transforms`` implements the last term as
``log_abs_det_jacobian(x, y)``. The check compares it with ``log|det J|`` where ``J`` is
the Jacobian autograd computes from the transform's own forward map (float64,
``torch.autograd.functional.jacobian``), block by block of the batch, ``slogdet`` for the
determinant. Where ``f`` maps into a larger space (``StickBreakingTransform``: the simplex
in ``R^K`` from ``R^{K−1}``; ``CorrCholeskyTransform``: Cholesky factors of correlation
matrices from ``R^{n(n−1)/2}``), ``J`` is taken onto the free coordinates (the first
``K − 1``; the strictly lower triangle), as the density on that manifold is written.

Tolerance of one batch element, with ``u`` float64's unit roundoff:

* the oracle's Jacobian: autograd's entries carry a relative error ``γ_K`` (``K = 32``
  rounded operations), and near a bound of a bounded codomain (sigmoid, tanh, the
  simplex, correlations) ``1 − y`` loses ``4u/(1 − |y|)`` relatively (``y`` itself rounded
  within two ulps, then the product); through ``slogdet``
  (backward stable) that moves ``log|det J|`` by ``n κ(J)`` times the entries' error;
* the implementation's formula: ``γ_K (1 + |log|det J|| + Σ|x| + Σ|y|)``, the size of the
  terms it combines (``−softplus(−x) − softplus(x)`` has terms of size ``|x|``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import torch
from torch.distributions import constraints
from torch.distributions import transforms as T

from theorems.calling import call_implementation, tensor
from theorems.evidence import Evidence, compare_elementwise, implementation_failure
from theorems.log_det_jacobian.case import TransformCase
from theorems.theorem import InvalidInput, undecided
from theorems.oracles.tolerance import U64, gamma

__all__ = ["NOT_BIJECTIVE", "TransformCase", "check_log_det_jacobian", "log_abs_det_jacobian", "log_det_by_autograd"]

THEOREM_ID = "log-det-jacobian"
FORMULA_OPERATIONS = 32

# The transforms of torch.distributions.transforms that are not bijections, and so have no
# log-determinant to check (torch marks them bijective = False and implements none).
NOT_BIJECTIVE = {
    "AbsTransform": "|x| is two-to-one",
    "LowerCholeskyTransform": "keeps the lower triangle of any square matrix: many-to-one",
    "PositiveDefiniteTransform": "maps any square matrix through its lower triangle: many-to-one",
    "SoftmaxTransform": "softmax is invariant to adding a constant: many-to-one",
}


# --- the oracle ----------------------------------------------------------------------------


def _event_dims(transform: T.Transform) -> tuple[int, int]:
    return transform.domain.event_dim, transform.codomain.event_dim


def _free_outputs(transform: T.Transform, out_event: tuple[int, ...]) -> np.ndarray:
    """Indices (in the flattened output event) of the coordinates that determine the rest."""
    base = transform
    while isinstance(base, T.IndependentTransform):
        base = base.base_transform
    size = int(np.prod(out_event)) if out_event else 1
    if isinstance(base, T.StickBreakingTransform):
        return np.arange(size - 1)
    if isinstance(base, T.CorrCholeskyTransform):
        n = out_event[-1]
        rows, columns = np.tril_indices(n, -1)
        return rows * n + columns
    return np.arange(size)


@dataclass(frozen=True)
class AutogradLogDet:
    """``log|det J|`` per batch element, with each block's size ``n`` and condition ``κ(J)``."""

    value: np.ndarray
    size: int
    condition: np.ndarray
    # Σ 1/(1 − |y|) over the block's outputs of bounded transforms (their 1 − y's rounding).
    saturation: np.ndarray


def log_det_by_autograd(transform: T.Transform, x: torch.Tensor) -> AutogradLogDet:
    """``log|det J|`` of each batch element's block of the Jacobian of ``transform`` at ``x``."""
    in_dims, out_dims = _event_dims(transform)
    y = transform(x)
    batch_shape = x.shape[: x.dim() - in_dims]
    in_event, out_event = tuple(x.shape[x.dim() - in_dims :]), tuple(y.shape[y.dim() - out_dims :])
    in_size, out_size = int(np.prod(in_event)) if in_event else 1, int(np.prod(out_event)) if out_event else 1
    batch = int(np.prod(batch_shape)) if batch_shape else 1
    full = torch.autograd.functional.jacobian(lambda v: transform(v.reshape(x.shape)).reshape(-1), x.reshape(-1)).numpy()
    free = _free_outputs(transform, out_event)
    saturation = np.asarray(_saturation(transform, x)).reshape(-1)
    values, conditions, near = np.empty(batch), np.empty(batch), np.empty(batch)
    for b in range(batch):
        block = full[np.ix_(b * out_size + free, b * in_size + np.arange(in_size))]
        if block.shape[0] != block.shape[1]:
            raise InvalidInput(f"the Jacobian block of {type(transform).__name__} is {block.shape}, not square: not a bijection of the event")
        values[b] = np.linalg.slogdet(block)[1]
        conditions[b] = np.linalg.cond(block)
        near[b] = saturation[b * out_size + free].sum()
    return AutogradLogDet(values.reshape(batch_shape), in_size, conditions.reshape(batch_shape), near.reshape(batch_shape))


# Codomains bounded by ±1 or [0, 1]: near the bound 1, 1 − |y| is rounded relatively by u/(1 − |y|).
_BOUNDED = (T.SigmoidTransform, T.TanhTransform, T.StickBreakingTransform, T.CorrCholeskyTransform, T.CumulativeDistributionTransform)


def _near_one(y: torch.Tensor) -> np.ndarray:
    """``1/(1 − |y|)`` where ``|y| > ½`` (0 elsewhere, where ``1 − |y|`` is rounded like ``y``)."""
    magnitude = np.abs(y.detach().numpy())
    with np.errstate(divide="ignore"):
        return np.where(magnitude > 0.5, 1.0 / (1.0 - magnitude), 0.0)


def _saturation(transform: T.Transform, x: torch.Tensor) -> np.ndarray:
    """``Σ 1/(1 − |y|)`` over the outputs of the bounded transforms ``x`` passes through, shaped as the output."""
    if isinstance(transform, T.ComposeTransform):
        total, value = 0.0, x
        for part in transform.parts:
            value = part(value)
            total = total + _saturation_of_leaf(part, value)
        return np.broadcast_to(total, tuple(value.shape))
    return _saturation_of_leaf(transform, transform(x))


def _saturation_of_leaf(transform: T.Transform, y: torch.Tensor) -> np.ndarray:
    leaves = [transform]
    while isinstance(leaves[0], T.IndependentTransform):
        leaves = [leaves[0].base_transform]
    if isinstance(transform, (T.CatTransform, T.StackTransform)):
        leaves = list(transform.transforms)
    bounded = any(isinstance(leaf, _BOUNDED) for leaf in leaves)
    return _near_one(y) if bounded else np.zeros(tuple(y.shape))


def tolerance_of(x: torch.Tensor, oracle: AutogradLogDet, y: torch.Tensor) -> tuple[np.ndarray, str]:
    """The bar of ``log|det J|`` per batch element at the input ``x`` and its output ``y`` (module docstring),
    and its reason. ``y`` is passed, not recomputed: a class under test's map runs only under its guard."""
    batch_shape = tuple(oracle.value.shape)
    y = y.detach().numpy()
    x_values = x.detach().numpy()
    sizes_x = np.abs(x_values).reshape(*batch_shape, -1).sum(axis=-1) if batch_shape else np.abs(x_values).sum()
    sizes_y = np.abs(y).reshape(*batch_shape, -1).sum(axis=-1) if batch_shape else np.abs(y).sum()
    g = gamma(FORMULA_OPERATIONS, U64)
    entries = g + 4 * U64 * oracle.saturation
    oracle_error = oracle.size * oracle.condition * entries
    formula = g * (1 + np.abs(oracle.value) + sizes_x + sizes_y)
    reason = (
        f"n κ(J) (γ_{FORMULA_OPERATIONS} + 4u Σ 1/(1−|y|)) for autograd's Jacobian through slogdet, n = {oracle.size}, "
        f"κ up to {float(np.max(oracle.condition)):.3g}; + γ_{FORMULA_OPERATIONS}(1 + |log|det J|| + Σ|x| + Σ|y|) for the formula"
    )
    return oracle_error + formula, reason


# --- the check -----------------------------------------------------------------------------


def log_abs_det_jacobian(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    """The reference: the transform's own ``log_abs_det_jacobian(x, transform(x))``, audited with
    its recorded findings' error models (as :func:`theorems.kl_closed_forms.check.kl_divergence`)."""
    return transform.log_abs_det_jacobian(x, transform(x))


def torch_log_abs_det_jacobian(transform: T.Transform, x: torch.Tensor) -> torch.Tensor:
    """The library itself, everywhere: what ``theorems check`` on torch's transforms runs."""
    return transform.log_abs_det_jacobian(x, transform(x))


def _undecided(case: TransformCase) -> NoReturn:
    """The oracle cannot decide ``case``: its bar is infinite where an output of a bounded transform
    rounds to ±1 in float64 (autograd's derivative through ``1 − y²`` is then lost: tanh(e³) is 1.0,
    and the Jacobian 0, where log|det J| = −35.78). Not one of the run's examples (it is rejected and
    counted), never a verdict: an oracle that cannot bound its own error accuses no one."""
    undecided(f"the autograd oracle cannot decide log|det J| on {case.spelled()}: an output rounds to ±1 in float64, so its error bar is infinite")


def require_case(case: object) -> TransformCase:
    if not isinstance(case, TransformCase):
        raise InvalidInput(f"{THEOREM_ID} checks a TransformCase(kind, x, params, parts), got {type(case).__name__}")
    return case


def check_log_det_jacobian(implementation: Callable[[T.Transform, torch.Tensor], torch.Tensor], case: TransformCase) -> Evidence:
    """Compare ``implementation(transform, x)`` with ``log|det J|`` from autograd, element by element of the batch."""
    case = require_case(case)
    example = repr(case)
    recorded = None
    if implementation is log_abs_det_jacobian:
        from theorems.finding import recorded_errors
        from theorems.log_det_jacobian.findings import FINDINGS

        recorded = recorded_errors(FINDINGS, THEOREM_ID, case)
    transform = case.build()
    x = case.input()
    if not bool(constraints.is_dependent(transform.domain)) and not bool(transform.domain.check(x).all()):
        raise InvalidInput(f"x lies outside the domain of {case.spelled()}")
    actual = call_implementation(THEOREM_ID, example, implementation, (transform, x), ("transform", "x"), expect=tensor())
    if isinstance(actual, Evidence):
        return actual
    oracle = log_det_by_autograd(transform, x)
    if tuple(actual.shape) != tuple(oracle.value.shape):
        return implementation_failure(THEOREM_ID, example, f"returned shape {tuple(actual.shape)}, expected the batch shape {tuple(oracle.value.shape)}")
    tolerance, reason = tolerance_of(x, oracle, transform(x))
    if not np.all(np.isfinite(tolerance)):
        _undecided(case)
    if recorded is not None:  # inside a recorded finding: its error model's allowance, per entry of x summed as the batch sums
        batch_shape = tuple(oracle.value.shape)
        allowance = np.asarray(recorded.allowance(), dtype=float)
        allowance = allowance.reshape(*batch_shape, -1).sum(axis=-1) if batch_shape else allowance.sum()
        tolerance = tolerance + allowance
        reason += f"; + the recorded defect's error model ({recorded.reason()})"
    return compare_elementwise(
        theorem_id=THEOREM_ID,
        example=example,
        expected=torch.from_numpy(np.asarray(oracle.value, dtype=float)),
        actual=actual.detach().double(),
        tolerance=torch.from_numpy(np.asarray(tolerance, dtype=float)),
        tolerance_reason=reason,
    )


def transform_classes() -> list[str]:
    """The Transform subclasses torch.distributions.transforms exports (the base class aside)."""
    return sorted(
        name for name in T.__all__
        if isinstance(getattr(T, name), type) and issubclass(getattr(T, name), T.Transform) and getattr(T, name) is not T.Transform
    )

