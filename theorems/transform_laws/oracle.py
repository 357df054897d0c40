r"""The oracles of ``transform-laws``: autograd's Jacobians of a transform and of its inverse, and
the error bars of the two round trips.

A bijection ``f`` with inverse ``g``, both computed in float64: each value ``v`` a formula forms is
rounded to within ``u|v| + 2^-1074`` (``u`` the unit roundoff; the second term is underflow's), which
is ``u (|v| + λ)`` with ``λ = 2^-1021``. Following a perturbation through the two maps to first order,
with ``J_f = ∂f/∂x`` at ``x`` (autograd, float64), ``J_g = ∂g/∂y`` at ``y = f(x)`` and ``|·|`` entrywise,

    |g(f(x)) − x| ≤ γ_K [ (|x| + λ) + |J_g| (|y| + λ) + |J_g| |J_f| (|x| + λ) ],
    |f(g(y)) − y| ≤ γ_K [ (|y| + λ) + |J_f| (|x̂| + λ) + |J_f| |J_g| (|y| + λ) ],   x̂ = g(y):

the input's own rounding, the rounding of the map's output carried back through the other map, and
the rounding inside the first map (of values of size at most what ``|J||v|`` bounds) carried through
both. For a map of scalars ``|g'||f'| = 1`` and the first bar is ``γ_K (2|x| + |g'(y)| |y|)``: the
size of ``x`` and the condition of the map.

* A composition adds each value ``v_k`` it forms between its parts (:class:`Stage`), rounded within
  ``u(|v_k| + λ)`` and carried to either end, directly and through the other map:
  ``γ_K Σ_k (|∂x/∂v_k| + |J_g||∂y/∂v_k|)(|v_k| + λ)`` for ``x``, and its mirror for ``y``.
* A class under test adds each constructor argument ``θ`` as such a value, with ``∂y/∂θ`` (forward)
  and ``∂x/∂θ`` (inverse) by autograd: its formulas form values of its parameters' size, and a map
  computed as the exact map at parameters rounded within ``u`` (backward stable in ``θ`` as in ``x``)
  is within these terms. ``low + width·σ(x)`` near 0 is a difference of values of size ``|low|``: right
  to ``u|low|``, not to ``u|y|`` (the bar without the term falsified it at ``x = 1e-3``, 10 times over).
* ``J_g`` is the larger, entry by entry, of autograd's through the inverse as written and the
  inverse of ``J_f``'s block per batch element (:func:`inverse_of_blocks`, the inverse function
  theorem): an inverse that clamps is flat under autograd exactly where the map is ill-conditioned.
* The products are kept as products of absolute values, not ``|J_g J_f|``: a transform onto a
  manifold (the simplex, Cholesky factors of correlation matrices) computes its inverse through an
  extension off it (1 minus the sum of the others), and an error made there is not cancelled by the
  projection ``J_f J_g`` (torch's ``CorrCholeskyTransform`` showed it: its forward round trip at a
  diagonal of 5e-5 is off by 1e-8 relatively, which the product of absolute values bounds and
  ``|J_f J_g|`` does not).

``K = 32`` rounded operations in one formula (log-det-jacobian's count, the same formulas). Where a
bar is not finite, or not below ``|v| + 1`` (it would pass an inverse that returned 0), float64
cannot resolve the round trip: the example is undecidable, never a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.distributions import constraints as C

from theorems.log_det_jacobian.check import FORMULA_OPERATIONS
from theorems.oracles.tolerance import U64, gamma

__all__ = ["FLOOR", "Stage", "decidable", "forward_round_trip_bar", "inverse_of_blocks", "inverse_round_trip_bar", "jacobian_by_autograd", "near_a_bound"]

# u·λ = 2^-1074, the spacing of float64's subnormals: the absolute error of a rounding that underflows.
FLOOR = 2.0**-1021
G = gamma(FORMULA_OPERATIONS, U64)


def jacobian_by_autograd(function: Callable[[torch.Tensor], torch.Tensor], at: torch.Tensor) -> np.ndarray:
    """``∂ function(at) / ∂ at``, both flattened (a row per output entry), float64, from autograd."""
    flat = at.detach().double().reshape(-1)
    return torch.autograd.functional.jacobian(lambda v: function(v.reshape(at.shape)).reshape(-1), flat).numpy()


def _inverse_of_block(block: np.ndarray) -> np.ndarray:
    """``V Σ⁻¹ Uᵀ`` from the block's SVD, every singular value inverted (numpy's ``pinv`` drops those below
    1e-15 of the largest, the very directions where the map is ill-conditioned); ``inf`` throughout
    where one is zero or the block is not finite (singular: no finite inverse)."""
    if block.size == 0:
        return np.zeros(block.T.shape)
    if not np.all(np.isfinite(block)):
        return np.full(block.T.shape, np.inf)
    u, singular, vt = np.linalg.svd(block, full_matrices=False)
    if singular.size < min(block.shape) or float(singular.min()) == 0.0:
        return np.full(block.T.shape, np.inf)
    return (vt.T / singular) @ u.T


def inverse_of_blocks(j_f: np.ndarray, blocks: int) -> np.ndarray:
    """The inverse function theorem's ``J_g``: per batch element, the (pseudo-)inverse of its block of
    ``J_f`` (its inverse for a square block; for a map onto a manifold, its left inverse on the tangent
    space). The other blocks are 0: a batch element's inverse sees only its own output."""
    if blocks < 1 or j_f.shape[0] % blocks or j_f.shape[1] % blocks:
        blocks = 1  # a shape its declared event does not divide: one block, all of it
    rows, columns = j_f.shape[0] // blocks, j_f.shape[1] // blocks
    inverse = np.zeros((j_f.shape[1], j_f.shape[0]))
    for b in range(blocks):
        block = j_f[b * rows : (b + 1) * rows, b * columns : (b + 1) * columns]
        inverse[b * columns : (b + 1) * columns, b * rows : (b + 1) * rows] = _inverse_of_block(block)
    return inverse


def _through(jacobian: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """``|J| sizes`` (an inf times a 0 is NaN: a bar that cannot be bounded, so undecidable)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(jacobian) @ sizes


def _sizes(value: torch.Tensor) -> np.ndarray:
    return np.abs(value.detach().double().numpy().reshape(-1)) + FLOOR


@dataclass(frozen=True)
class Stage:
    """A value ``v`` a composition forms between its parts (``ComposeTransform``: each part's output but
    the last), or a class under test's constructor argument, and how it moves the ends: ``to_x = ∂x/∂v`` (back through the parts before it) and
    ``to_y = ∂y/∂v`` (on through the parts after it). Its rounding ``u(|v| + λ)`` is no formula's
    inside: ``x − 0.44`` then ``−0.44 − ·`` loses a tiny ``x`` to the stage between them, however
    exact each part is."""

    value: torch.Tensor
    to_x: np.ndarray
    to_y: np.ndarray


def _stage_terms(stages: Sequence[Stage], own: str, across: np.ndarray) -> np.ndarray | float:
    """``Σ_k (|∂end/∂v_k| + |J_across| |∂other end/∂v_k|)(|v_k| + λ)``: each stage's rounding carried to
    this end directly and through the other end's map."""
    total: np.ndarray | float = 0.0
    for stage in stages:
        direct, other = (stage.to_x, stage.to_y) if own == "x" else (stage.to_y, stage.to_x)
        size = _sizes(stage.value)
        total = total + _through(direct, size) + _through(across, _through(other, size))
    return total


def inverse_round_trip_bar(
    x: torch.Tensor, y: torch.Tensor, j_f: np.ndarray, j_g: np.ndarray, extra_y: np.ndarray | float = 0.0, stages: Sequence[Stage] = ()
) -> np.ndarray:
    """The bar of ``|g(f(x)) − x|`` per entry of ``x`` (module docstring), with each stage's rounding,
    plus ``|J_g| extra_y`` for a recorded defect's absolute error ``extra_y`` in the outputs."""
    size_x, size_y = _sizes(x), _sizes(y)
    extra = np.broadcast_to(np.asarray(extra_y, dtype=float).reshape(-1), size_y.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        bar = G * (size_x + _through(j_g, size_y) + _through(j_g, _through(j_f, size_x)) + _stage_terms(stages, "x", j_g))
        bar = bar + _through(j_g, extra)
    return bar.reshape(x.shape)


def forward_round_trip_bar(
    y: torch.Tensor, x_back: torch.Tensor, j_f: np.ndarray, j_g: np.ndarray, extra_y: np.ndarray | float = 0.0, stages: Sequence[Stage] = ()
) -> np.ndarray:
    """The bar of ``|f(g(y)) − y|`` per entry of ``y`` (module docstring), with each stage's rounding,
    plus ``extra_y`` and ``|J_f| |J_g| extra_y`` for a recorded defect's absolute error in the outputs,
    made by either map."""
    size_y, size_x = _sizes(y), _sizes(x_back)
    extra = np.broadcast_to(np.asarray(extra_y, dtype=float).reshape(-1), size_y.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        bar = G * (size_y + _through(j_f, size_x) + _through(j_f, _through(j_g, size_y)) + _stage_terms(stages, "y", j_f))
        bar = bar + extra + _through(j_f, _through(j_g, extra))
    return bar.reshape(y.shape)


def decidable(bar: np.ndarray, value: torch.Tensor) -> bool:
    """Whether float64 resolves a round trip to ``value``: every bar finite and below ``|v| + 1``."""
    size = np.abs(value.detach().double().numpy())
    return bool(np.all(np.isfinite(bar)) and np.all(bar < size + 1))


# --- log-det-jacobian's oracle near the bound of a class under test's codomain -------------------


def _bounds(constraint: Any) -> tuple[float, ...]:
    """The finite, nonzero bounds of a constraint on scalars (a value near 0 keeps its relative precision)."""
    found = [getattr(constraint, name, None) for name in ("lower_bound", "upper_bound")]
    values = [float(bound) for bound in found if isinstance(bound, (int, float)) or (isinstance(bound, torch.Tensor) and bound.numel() == 1)]
    return tuple(value for value in values if np.isfinite(value) and value != 0.0)


def near_a_bound(codomain: Any, y: torch.Tensor) -> np.ndarray:
    """``|c| / |y − c|`` per output entry within ``|c|/2`` of a finite nonzero bound ``c`` of ``codomain``
    (0 elsewhere): the relative rounding a derivative formed from ``y`` loses there, as
    log-det-jacobian's oracle counts ``1/(1 − |y|)`` for torch's bounded transforms (``c = ±1``)."""
    base = codomain.base_constraint if type(codomain) is C._IndependentConstraint else codomain
    values = y.detach().double().numpy()
    near = np.zeros(values.shape)
    for bound in _bounds(base):
        distance = np.abs(values - bound)
        with np.errstate(divide="ignore"):
            near = np.maximum(near, np.where(distance < abs(bound) / 2, abs(bound) / distance, 0.0))
    return near
