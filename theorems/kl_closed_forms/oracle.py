"""The KL by its definition, ``E_p[log p − log q]``, for every registered pair: which oracle, and the definitions kept.

The oracles compute the definition from the densities alone (scipy.stats' log-densities, or
a few written out in :mod:`theorems.kl_closed_forms.families`), never from a torch formula:
discrete laws by sums (:mod:`~theorems.kl_closed_forms.discrete`), one-dimensional continuous
laws by cubature over p's quantiles (:mod:`~theorems.kl_closed_forms.continuous`), laws of
several dimensions by their own (:mod:`~theorems.kl_closed_forms.multivariate`);
**Independent**: the sum of the components' oracles (T6, additivity);
**TransformedDistribution** with the same transform on both sides: the base laws' KL (KL is
invariant under a common bijection).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorems.kl_closed_forms.continuous import continuous_definition
from theorems.kl_closed_forms.definition import Definition
from theorems.kl_closed_forms.discrete import discrete_definition, finite_sum
from theorems.kl_closed_forms.families import FAMILIES
from theorems.kl_closed_forms.laws import Law, scalars
from theorems.kl_closed_forms.multivariate import dirichlet_definition, gaussian_definition, wishart_definition
from theorems.oracles.tolerance import U64

__all__ = ["kl_by_definition"]


def kl_by_definition(p: Law, q: Law) -> list[Definition]:
    """The definition of KL(p_i‖q_i) for each element ``i`` of the batch."""
    # Overflow and log(0) inside scipy are expected deep in a tail; their values are handled.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _definitions(p, q)


def _definitions(p: Law, q: Law) -> list[Definition]:
    if p.family == "Independent":
        return [_summed([_definition(p.base.component(i, j), q.base.component(i, j)) for j in range(p.base.components)]) for i in range(p.batch)]
    if p.family == "TransformedDistribution":
        return [_invariant(kl_by_definition(p.base.element(i), q.base.element(i))[0]) for i in range(p.batch)]
    return [_definition(p.element(i), q.element(i)) for i in range(p.batch)]


def _summed(parts: list[Definition]) -> Definition:
    value = math.fsum(part.value for part in parts) if all(math.isfinite(part.value) for part in parts) else math.inf
    rounding = sum(part.rounding for part in parts) + U64 * sum(abs(part.value) for part in parts if math.isfinite(part.value))
    return Definition(value, sum(part.error for part in parts), sum(part.scale for part in parts), f"the sum of {len(parts)} components' KLs (additivity, T6): " + parts[0].how, rounding)


def _invariant(base: Definition) -> Definition:
    return Definition(base.value, base.error, base.scale, "the base laws' KL (invariant under the common bijection): " + base.how, base.rounding)


def _law_key(law: Law) -> tuple[Any, ...]:
    """A hashable key that determines ``law`` exactly: its family, each parameter's name, shape
    and bytes (so −0.0 and 0.0, or two NaN payloads, are different keys: never a wrong hit), its
    base's key and its transform."""
    return (
        law.family,
        tuple((name, value.shape, value.dtype.str, value.tobytes()) for name, value in law.params),
        None if law.base is None else _law_key(law.base),
        law.transform,
    )


@dataclass(frozen=True, eq=False)
class _Keyed:
    """A law that hashes and compares by :func:`_law_key`, so that ``functools.lru_cache`` can keep its definitions."""

    law: Law

    def __hash__(self) -> int:
        return hash(_law_key(self.law))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Keyed) and _law_key(self.law) == _law_key(other.law)


def _definition(p: Law, q: Law) -> Definition:
    return _kept_definition(_Keyed(p), _Keyed(q))


# The definitions already computed in this process: the oracle is a pure function of the laws'
# parameters (its cubature is deterministic), and the same pair is asked for again and again
# within a run (the audited reference and torch-as-an-implementation on the same example, a
# planted error's exact value and then the check's, a shrink revisiting an example, a batch
# element shared by several examples). A hit returns the very Definition the first call computed;
# an OracleError is not kept (lru_cache keeps only returned values) and is raised again.
# lru_cache is thread-safe: a check may run in a worker thread (the engine's time limit).
@functools.lru_cache(maxsize=4096)
def _kept_definition(p: _Keyed, q: _Keyed) -> Definition:
    return _computed_definition(p.law, q.law)


def _computed_definition(p: Law, q: Law) -> Definition:
    """KL(p‖q) for laws of one element, by the oracle of p's family."""
    if p.family in ("MultivariateNormal", "LowRankMultivariateNormal"):
        return gaussian_definition(p, q)
    if p.family == "Dirichlet":
        return dirichlet_definition(p, q)
    if p.family == "Wishart":
        return wishart_definition(p, q)
    if p.family in ("Categorical", "OneHotCategorical"):
        pp, qp = (law.parameters["probs"][0] for law in (p, q))
        return finite_sum(np.log(pp / pp.sum()), np.log(qp / qp.sum()), "the exact sum over the categories")
    family_p, family_q = FAMILIES[p.family], FAMILIES[q.family]
    law_p, law_q = family_p.scipy(**scalars(p)), family_q.scipy(**scalars(q))
    if family_p.discrete:
        return discrete_definition(p, q, law_p, law_q)
    return continuous_definition(p, q, law_p, law_q)
