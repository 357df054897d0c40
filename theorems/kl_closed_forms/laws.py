"""The examples of ``kl-closed-forms``: a batch of one family's laws (:class:`Law`), a pair of them (:class:`LawPair`).

Parameters are float64 arrays with the batch along axis 0; a law builds a fresh torch
distribution (validation on), and gives its parameters as the oracle reads them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import distributions as D

from theorems.kl_closed_forms.families import FAMILIES, Family
from theorems.theorem import InvalidInput

__all__ = ["Law", "LawPair", "registered_pairs"]


@dataclass(frozen=True)
class Law:
    """A batch of one family's laws: parameters as float64 arrays, the batch along axis 0.

    ``base`` is the component law of ``Independent`` (one batch dimension reinterpreted)
    and of ``TransformedDistribution`` (with ``transform``: ``"exp"`` or ``"affine"``,
    whose ``loc``/``scale`` are in ``params``).
    """

    family: str
    params: tuple[tuple[str, np.ndarray], ...] = ()
    base: Law | None = None
    transform: str | None = None

    @property
    def parameters(self) -> dict[str, np.ndarray]:
        return dict(self.params)

    @property
    def batch(self) -> int:
        if self.family == "Independent":
            return self.base.batch
        if self.base is not None and not self.params:
            return self.base.batch
        return len(next(iter(self.parameters.values())))

    def element(self, i: int) -> Law:
        """The ``i``-th law of the batch."""
        if self.family == "Independent":
            raise InvalidInput("an Independent law has no elements of its own; take its base's")
        base = self.base.element(i) if self.base is not None else None
        return Law(self.family, tuple((name, value[i : i + 1]) for name, value in self.params), base, self.transform)

    def component(self, i: int, j: int) -> Law:
        """Component ``j`` of element ``i`` of a batch of shape ``(B, n)`` (the base of ``Independent``)."""
        return Law(self.family, tuple((name, value[i, j : j + 1]) for name, value in self.params))

    @property
    def components(self) -> int:
        return next(iter(self.parameters.values())).shape[1]

    def build(self) -> D.Distribution:
        """A fresh torch distribution (float64 parameters; validation on)."""
        if self.family == "Independent":
            return D.Independent(self.base.build(), 1, validate_args=True)
        if self.family == "TransformedDistribution":
            return D.TransformedDistribution(self.base.build(), [self._transform()], validate_args=True)
        tensors = {name: torch.tensor(value, dtype=torch.float64) for name, value in self.params}
        with warnings.catch_warnings():  # Wishart warns of singular *samples* for a low df; no sample is drawn
            warnings.simplefilter("ignore", UserWarning)
            return FAMILIES[self.family].build(tensors)

    def _transform(self) -> D.Transform:
        if self.transform == "exp":
            return D.ExpTransform()
        loc, scale = (torch.tensor(self.parameters[name], dtype=torch.float64) for name in ("loc", "scale"))
        return D.AffineTransform(loc, scale)

    def __repr__(self) -> str:
        if self.family == "Independent":
            return f"Independent({self.base!r}, 1)"
        shown = ", ".join(f"{name}={_shown(value)}" for name, value in self.params)
        if self.family == "TransformedDistribution":
            return f"TransformedDistribution({self.base!r}, {self.transform}{'(' + shown + ')' if shown else ''})"
        return f"{self.family}({shown})"


def _shown(value: np.ndarray) -> str:
    flat = np.asarray(value).reshape(len(value), -1)
    if flat.shape[1] > 6:
        return f"<{value.shape} array>"
    rows = [f"[{', '.join(f'{x:.6g}' for x in row)}]" if flat.shape[1] > 1 else f"{row[0]:.17g}" for row in flat]
    return rows[0] if len(rows) == 1 else "[" + ", ".join(rows) + "]"


@dataclass(frozen=True)
class LawPair:
    """The example of ``kl-closed-forms``: ``p`` and ``q`` with the same batch size."""

    p: Law
    q: Law

    @property
    def pair(self) -> str:
        return pair_name(self.p.family, self.q.family)

    def arguments(self) -> tuple[D.Distribution, D.Distribution]:
        return self.p.build(), self.q.build()

    def __repr__(self) -> str:
        return f"KL({self.p!r} ‖ {self.q!r})"


def pair_name(p_family: str, q_family: str) -> str:
    return f"{p_family}‖{q_family}"


def registered_pairs() -> list[tuple[str, str]]:
    """The installed torch's registered pairs (by class name), sorted: the ones every run covers."""
    return sorted((p.__name__, q.__name__) for p, q in D.kl._KL_REGISTRY)


def scalars(law: Law) -> dict[str, float]:
    """The parameters of a law of one element, as floats (what scipy's laws and the families' terms take)."""
    return {name: float(value[0]) for name, value in law.params}


def scalar_law(family: str, **values: float) -> Law:
    """A law of one element with these parameters."""
    return Law(family, tuple((name, np.array([value])) for name, value in values.items()))


def log_density_terms(law: Law, family: Family) -> Callable[[np.ndarray], np.ndarray]:
    """Σ|terms| of the law's log-density at ``x``, as ``family`` counts them (:attr:`Family.terms`)."""
    values = scalars(law)
    return lambda x: family.terms(x, **values)

