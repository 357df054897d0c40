"""An example of ``transform-laws``: torch's transform with its input (the reference's), and a bank a
class under test is built from.

The class under test is not known when Hypothesis draws (every route draws from one strategy), so an
example holds, beside torch's :class:`~theorems.log_det_jacobian.case.TransformCase`, parameter values
for every constraint kind the strategies know (a :class:`~theorems.log_prob_normalises.case.ParameterDraw`
whose batch is the event's width ``d``) and a block ``z`` of reals of shape ``(n, d)``. A class takes its
parameters from the bank by its own ``arg_constraints`` (its k-th parameter constrained ``positive``
takes the k-th ``positive`` value: a scalar, or the whole width-``d`` vector for ``independent(positive, 1)``),
and its input is ``z`` carried into its ``domain`` (:func:`input_in`). Apart from the check, so that the
strategies need no oracle.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.distributions import constraints as C

from theorems.log_det_jacobian.case import TransformCase
from theorems.log_prob_normalises.case import SLOTS, ParameterDraw, constraint_kind
from theorems.theorem import InvalidInput

__all__ = ["TransformDraw", "constructor_arguments", "draw_of", "input_in", "spelled", "typical_bank"]

# Constructor arguments every Transform takes and no arg_constraints names (a cache is never drawn).
_UNDRAWN = ("cache_size",)


@dataclass(frozen=True)
class TransformDraw:
    """torch's transform and input (``case``), and what a class under test is built from: ``bank``
    (values per constraint kind, ``bank.batch`` the event's width) and ``z`` (reals, shape ``(n, width)``)."""

    case: TransformCase
    bank: ParameterDraw
    z: np.ndarray

    @property
    def kind(self) -> str:
        """The torch class the reference checks (``Identity``: ``identity_transform``)."""
        return self.case.kind

    @property
    def width(self) -> int:
        return self.bank.batch

    def __repr__(self) -> str:
        shown = ", ".join(f"{kind}={[_shown(v) for v in values]}" for kind, values in self.bank.values)
        return f"TransformDraw({self.case!r}; for a class under test: width {self.width}, z = {_shown(self.z)}, {shown})"


def _shown(value: Any) -> str:
    flat = np.asarray(value, dtype=float).reshape(-1)
    return "[" + ", ".join(f"{v:.6g}" for v in flat) + "]"


def spelled(cls: type, arguments: dict[str, torch.Tensor], x: torch.Tensor | None = None) -> str:
    """``Cls(name=[values], …)``, and the input where given: a class under test on its example."""
    shown = ", ".join(f"{name}={_shown(value.detach().numpy())}" for name, value in arguments.items())
    at = f" at x of shape {tuple(x.shape)} = {_shown(x.detach().numpy())}" if x is not None else ""
    return f"{cls.__name__}({shown}){at}"


# --- parameters, from the class's arg_constraints ----------------------------------------------


def _constructor_parameters(cls: type) -> dict[str, inspect.Parameter] | None:
    """The constructor's named parameters but the cache's; None where they are not known: a signature
    Python cannot read, or one that takes ``**kwargs`` (a subclass forwarding to its base)."""
    try:
        found = inspect.signature(cls).parameters.items()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for _, p in found):
        return None
    return {name: p for name, p in found if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in _UNDRAWN}


def _declared_constraints(cls: type) -> dict[str, Any]:
    declared = getattr(cls, "arg_constraints", None)
    return declared if isinstance(declared, dict) else {}


def _vector_base(constraint: Any) -> Any | None:
    """The base of ``independent(base, 1)`` over scalars (a parameter of the event's width), else None."""
    if type(constraint) is C._IndependentConstraint and constraint.reinterpreted_batch_ndims == 1 and constraint.base_constraint.event_dim == 0:
        return constraint.base_constraint
    return None


def _value_for(cls: type, name: str, constraint: Any, draw: TransformDraw, used: dict[str, int]) -> torch.Tensor:
    base = _vector_base(constraint)
    kind = constraint_kind(base if base is not None else constraint)
    if kind is None or kind in ("simplex", "real_vector"):
        raise InvalidInput(
            f"{cls.__name__}.arg_constraints[{name!r}] is {constraint!r}, a constraint transform-laws has no strategy for "
            f"(known: {', '.join(k for k in SLOTS if k != 'simplex')}, and independent(one of them, 1) for a vector of the event's width)"
        )
    if used.get(kind, 0) >= SLOTS[kind]:
        raise InvalidInput(f"{cls.__name__} takes more than {SLOTS[kind]} parameters constrained {kind}; the strategies draw {SLOTS[kind]}")
    values = draw.bank.of(kind)[used.get(kind, 0)]
    used[kind] = used.get(kind, 0) + 1
    return torch.tensor(values if base is not None else values[0], dtype=torch.float64)


def constructor_arguments(cls: type, draw: TransformDraw) -> dict[str, torch.Tensor]:
    """The keyword arguments ``cls`` is built with: every parameter its ``arg_constraints`` names and
    its constructor takes, drawn from ``draw``'s bank as float64 tensors (none for a class whose
    constructor requires nothing and declares no ``arg_constraints``).

    Raises InvalidInput naming a required argument no ``arg_constraints`` entry constrains (nothing
    says what values it takes), or a constraint the strategies do not know.
    """
    accepted = _constructor_parameters(cls)
    declared = _declared_constraints(cls)
    missing = [name for name, p in (accepted or {}).items() if p.default is inspect.Parameter.empty and name not in declared]
    if missing:
        raise InvalidInput(
            f"{cls.__name__} requires {', '.join(missing)}, which no arg_constraints entry constrains: declare "
            f"arg_constraints = {{{', '.join(f'{name!r}: constraints.real' for name in missing)}, …}} on the class (the contract of transform-laws)"
        )
    used: dict[str, int] = {}
    # Where the parameters are not known, every declared one is passed (nothing says which are taken).
    return {name: _value_for(cls, name, constraint, draw, used) for name, constraint in declared.items() if accepted is None or name in accepted}


# --- the input, carried into the domain ---------------------------------------------------------


def _scalar_into(constraint: Any, z: np.ndarray) -> np.ndarray | None:
    """``z`` carried into a constraint on scalars (None for one the strategies do not know)."""
    kind = type(constraint)
    if kind is C._Real:
        return z
    if kind in (C._GreaterThan, C._GreaterThanEq):
        return float(constraint.lower_bound) + np.exp(z)
    if kind is C._LessThan:
        return float(constraint.upper_bound) - np.exp(z)
    if kind in (C._Interval, C._HalfOpenInterval):
        low, high = float(constraint.lower_bound), float(constraint.upper_bound)
        return low + (high - low) / (1 + np.exp(-z))  # σ(z) in (0, 1) for |z| ≤ 30
    return None


def input_in(domain: Any, z: np.ndarray) -> np.ndarray:
    """``z`` (shape ``(n, d)``) carried into ``domain``: ``(n, d)`` scalars for a domain of scalars
    (a batch of ``n × d``), ``n`` events of width ``d`` for ``independent(…, 1)``.

    Raises InvalidInput naming a domain the strategies do not know.
    """
    base = domain
    if type(domain) is C._IndependentConstraint and domain.reinterpreted_batch_ndims == 1:
        base = domain.base_constraint
    carried = _scalar_into(base, z) if not C.is_dependent(domain) and base.event_dim == 0 else None
    if carried is None:
        raise InvalidInput(
            f"the domain {domain!r} has no strategy in transform-laws (known: real, greater_than, greater_than_eq, less_than, "
            "interval, half_open_interval on scalars, and independent(one of them, 1) on vectors)"
        )
    return carried


def typical_bank(width: int = 1) -> ParameterDraw:
    """A bank of moderate values of every kind, ``width`` of each (a finding's or a test's example)."""
    values = {kind: tuple(np.linspace(0.5, 0.9, width) for _ in range(count)) for kind, count in SLOTS.items()}
    values["nonnegative_integer"] = (np.arange(2.0, 2.0 + width),)
    values["simplex"] = (np.full((width, 2), 0.5),)
    return ParameterDraw("Normal", width, tuple(values.items()), (np.zeros(width), np.ones(width)))


def draw_of(case: TransformCase, z: np.ndarray | None = None) -> TransformDraw:
    """The example holding ``case`` for the reference, with a typical bank (and ``z``, default ``[[0.3], [0.67]]``) for a class under test."""
    block = np.array([[0.3], [0.67]]) if z is None else np.asarray(z, dtype=float)
    return TransformDraw(case, typical_bank(block.shape[1]), block)
