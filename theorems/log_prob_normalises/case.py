"""An example of ``log-prob-normalises``: a bank of parameter values, one list per constraint kind.

The class under test is not known when Hypothesis draws (every route draws from one strategy), so an
example holds values for every constraint the strategies know, several of each, and a class takes
its parameters from it by its own ``arg_constraints``: its k-th parameter constrained ``positive``
takes the k-th ``positive`` value. The reference builds the torch class ``family`` from the same bank.
Apart from the check, so that the strategies need no oracle.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.distributions import constraints as C

from theorems.theorem import InvalidInput

__all__ = ["KINDS", "LOGIT_OF_ZERO", "SLOTS", "ParameterDraw", "constraint_kind", "logits_of", "one_element_draw", "parameters_for"]

# The constraint kinds the strategies know, and how many values of each an example holds (the
# most parameters of one kind any torch class takes: three positives, StudentT's df and scale
# and a spare; two reals, GeneralizedPareto's loc and concentration).
SLOTS = {"real": 2, "positive": 3, "nonnegative": 1, "unit_interval": 1, "half_open_unit_interval": 1, "nonnegative_integer": 1, "simplex": 1}
KINDS = tuple(SLOTS)
# Two parameters of a class that are each other's alternative (torch refuses both at once; Pyro's zero-inflated
# laws take a gate as a probability or as logits, by the same flag).
ALTERNATIVES = (("probs", "logits"), ("gate", "gate_logits"))


def constraint_kind(constraint: Any) -> str | None:
    """The kind of ``constraint`` the strategies know (``None`` for one they do not)."""
    kind = type(constraint)
    if kind is C._Real:
        return "real"
    if kind is C._GreaterThan and float(constraint.lower_bound) == 0.0:
        return "positive"
    if kind is C._GreaterThanEq and float(constraint.lower_bound) == 0.0:
        return "nonnegative"
    if kind is C._Interval and (float(constraint.lower_bound), float(constraint.upper_bound)) == (0.0, 1.0):
        return "unit_interval"
    if kind is C._HalfOpenInterval and (float(constraint.lower_bound), float(constraint.upper_bound)) == (0.0, 1.0):
        return "half_open_unit_interval"
    if kind is C._IntegerGreaterThan and int(constraint.lower_bound) == 0:
        return "nonnegative_integer"
    if kind is C._Simplex:
        return "simplex"
    if kind is C._IndependentConstraint and type(constraint.base_constraint) is C._Real and constraint.reinterpreted_batch_ndims == 1:
        return "real_vector"  # a categorical law's logits: taken from the simplex the draw holds
    return None


# A categorical law's logits are the log of the draw's simplex; an exact zero probability becomes
# this logit, far enough below the others that its softmax weight is 0 in float64 (e^-745 underflows).
LOGIT_OF_ZERO = -800.0


def logits_of(probabilities: np.ndarray) -> np.ndarray:
    """Logits with ``probabilities`` as their softmax (each row a point of the simplex)."""
    with np.errstate(divide="ignore"):
        return np.where(probabilities > 0, np.log(probabilities), LOGIT_OF_ZERO)


@dataclass(frozen=True)
class ParameterDraw:
    """Values for every constraint kind (``values``: kind, then a tuple of arrays of the batch's shape,
    a simplex's with one more axis), ``interval`` (low, width) for a class whose ``low``/``high`` are
    constrained by each other, and whether a class with ``probs`` or ``logits`` takes its ``logits``."""

    family: str
    batch: int
    values: tuple[tuple[str, tuple[np.ndarray, ...]], ...]
    interval: tuple[np.ndarray, np.ndarray]
    logits: bool = False

    def of(self, kind: str) -> tuple[np.ndarray, ...]:
        return dict(self.values)[kind]

    def __repr__(self) -> str:
        return f"ParameterDraw(family={self.family}, batch={self.batch}, logits={self.logits}, " + ", ".join(
            f"{kind}={[_shown(v) for v in values]}" for kind, values in self.values
        ) + f", interval=(low={_shown(self.interval[0])}, width={_shown(self.interval[1])}))"


def one_element_draw(family: str, *, logits: bool = False, **kinds: tuple[float, ...]) -> ParameterDraw:
    """A draw of one batch element labelled ``family``: 0.5 for every value (1 for an integer: every recorded example
    is replayed on other classes, Pyro's BetaBinomial refused a total_count of 0.5), a uniform two-point simplex, the
    interval [0, 1], and the first values of each kind named replaced (a finding's recorded example)."""
    values = {kind: tuple(np.array([1.0 if kind == "nonnegative_integer" else 0.5]) for _ in range(count)) for kind, count in SLOTS.items()}
    values["simplex"] = (np.array([[0.5, 0.5]]),)
    for kind, given in kinds.items():
        values[kind] = tuple(np.array([v]) for v in given) + values[kind][len(given):]
    return ParameterDraw(family, 1, tuple(values.items()), (np.array([0.0]), np.array([1.0])), logits=logits)


def _shown(value: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in np.asarray(value).reshape(-1)) + "]"


def _constructor_parameters(cls: type) -> dict[str, inspect.Parameter]:
    try:
        return {name: p for name, p in inspect.signature(cls).parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    except (TypeError, ValueError):
        return {}


def _arg_constraints(cls: type) -> dict[str, Any]:
    found = cls.__dict__.get("arg_constraints") if isinstance(cls.__dict__.get("arg_constraints"), property) else None
    constraints = getattr(cls, "arg_constraints", None)
    if found is not None or not isinstance(constraints, dict):
        return {}
    return constraints


def parameters_for(cls: type, draw: ParameterDraw) -> dict[str, torch.Tensor]:
    """The keyword arguments of ``cls`` taken from ``draw`` by its ``arg_constraints`` (float64 tensors).

    Raises InvalidInput naming a constraint the strategies do not know, or a required argument of
    ``cls`` that its ``arg_constraints`` do not constrain (nothing says what values it takes).
    """
    accepted = _constructor_parameters(cls)
    constraints = _arg_constraints(cls)
    dependent = {name for name, c in constraints.items() if isinstance(c, C._Dependent)}
    if {"low", "high"} <= set(accepted) and (not constraints or {"low", "high"} <= dependent):
        low, width = draw.interval
        chosen = {"low": torch.tensor(low, dtype=torch.float64), "high": torch.tensor(low + width, dtype=torch.float64)}
        constraints = {name: c for name, c in constraints.items() if name not in ("low", "high")}
    else:
        chosen = {}
    skipped = {pair[0] if draw.logits else pair[1] for pair in ALTERNATIVES if set(pair) <= set(constraints)}
    used = {kind: 0 for kind in KINDS}
    for name, constraint in constraints.items():
        if name in skipped or (accepted and name not in accepted):
            continue
        kind = constraint_kind(constraint)
        if kind == "real_vector":
            chosen[name] = torch.tensor(logits_of(draw.of("simplex")[0]), dtype=torch.float64)
            continue
        if kind is None:
            raise InvalidInput(
                f"{cls.__name__}.arg_constraints[{name!r}] is {constraint!r}, a constraint theorems.strategies.log_prob_normalises "
                f"has no strategy for (known: {', '.join(KINDS)}); pass parameters it knows or give the constraint a strategy"
            )
        if used[kind] >= SLOTS[kind]:
            raise InvalidInput(f"{cls.__name__} takes more than {SLOTS[kind]} parameters constrained {kind}; the strategies draw {SLOTS[kind]}")
        chosen[name] = torch.tensor(draw.of(kind)[used[kind]], dtype=torch.float64)
        used[kind] += 1
    missing = [name for name, p in accepted.items() if p.default is inspect.Parameter.empty and name not in chosen]
    if missing:
        raise InvalidInput(f"{cls.__name__} requires {', '.join(missing)}, which its arg_constraints do not constrain: no values can be drawn for it")
    return chosen
