r"""Beyond the notes · a univariate law's ``log_prob`` integrates (or sums) to one over its support.

For a class ``L`` of ``torch.distributions`` (or a subclass, or any ``Distribution`` a user writes)
with ``event_shape ()`` and parameters ``θ`` its ``arg_constraints`` admit,

    ∫_{support} exp(log_prob(x)) dx = 1   (Σ_{k ∈ support} exp(log_prob(k)) = 1 on the integers)

for every batch element. The oracles (:mod:`theorems.log_prob_normalises.oracle`) use ``log_prob``
alone, never the class's cdf, entropy or normaliser: adaptive cubature in the log-distance from the
mode and the support's ends, or the exact sum with its tail bounded. The class is built as
``L(**θ, validate_args=True)``, ``θ`` taken from the example's bank by ``L``'s own ``arg_constraints``
(:mod:`theorems.log_prob_normalises.case`).

Tolerance of one element: ``QUADRATURE_SAFETY ×`` the cubature's error estimate, plus the oracle's
rounding and the mass its nodes leave out (bounded: the oracle module), which also carries the
rounding of ``log_prob`` on the scale of the terms it combines. An example where the oracle cannot
bound its own error (mass beyond float64's range, a density float64 cannot resolve) is rejected
and counted, never a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import torch
from torch import distributions as D

from theorems.calling import call_implementation
from theorems.evidence import Evidence, implementation_failure
from theorems.finding import RecordedErrors
from theorems.log_prob_normalises.case import ParameterDraw, parameters_for
from theorems.log_prob_normalises.oracle import LogProbFailed, Mass, Undecidable, is_discrete_support, mass_by_quadrature, mass_by_sum, parameter_terms
from theorems.oracles.quadrature import QUADRATURE_SAFETY, compare_scalar
from theorems.theorem import InvalidInput, undecided

__all__ = [
    "NOT_CHECKED", "Built", "build_law", "check_log_prob_normalises", "distribution_classes", "held_to_findings", "mass_of", "nan_mass", "recorded_defects", "require_class",
    "require_draw", "spelled_law", "torch_family",
]

THEOREM_ID = "log-prob-normalises"

# The classes torch.distributions exports that the theorem does not check, and why.
NOT_CHECKED = {
    "Distribution": "the abstract base: no log_prob",
    "ExponentialFamily": "an abstract base: no log_prob of its own",
    "Dirichlet": "multivariate (event on the simplex)",
    "LKJCholesky": "multivariate (Cholesky factors of correlation matrices)",
    "LogisticNormal": "multivariate (event on the simplex)",
    "LowRankMultivariateNormal": "multivariate",
    "Multinomial": "multivariate (vectors of counts)",
    "MultivariateNormal": "multivariate",
    "OneHotCategorical": "multivariate (one-hot vectors)",
    "OneHotCategoricalStraightThrough": "multivariate (one-hot vectors)",
    "RelaxedOneHotCategorical": "multivariate (event on the simplex)",
    "Wishart": "multivariate (positive-definite matrices)",
    "Independent": "a wrapper: its event is its base law's batch, reinterpreted",
    "MixtureSameFamily": "a wrapper of component laws, built from other Distribution objects, not from arg_constraints",
    "TransformedDistribution": "a wrapper of a base law and transforms, built from objects, not from arg_constraints (its density is log-det-jacobian's)",
    "RelaxedBernoulli": "its temperature is a required argument its arg_constraints do not constrain",
    "GeneralizedPareto": "its log_prob raises RuntimeError ('Double did not match Float') on float64 parameters (torch 2.14.1); the oracles work in float64",
    "VonMises": "circular: its support is declared real, but its density is periodic and normalised over one period [−π, π)",
}


def torch_family(draw: ParameterDraw) -> type:
    """The reference: the torch class the example names (``family``), itself under test everywhere."""
    return getattr(D, draw.family)


def distribution_classes() -> list[str]:
    """The Distribution subclasses torch.distributions exports (the base classes included)."""
    return sorted(name for name in D.__all__ if isinstance(getattr(D, name), type) and issubclass(getattr(D, name), D.Distribution))


def require_draw(draw: object, theorem_id: str = THEOREM_ID) -> ParameterDraw:
    if not isinstance(draw, ParameterDraw):
        raise InvalidInput(f"{theorem_id} checks a ParameterDraw (theorems.log_prob_normalises.case), got {type(draw).__name__}")
    return draw


def require_class(implementation: Any, theorem_id: str = THEOREM_ID) -> type:
    if not (isinstance(implementation, type) and issubclass(implementation, D.Distribution)):
        raise InvalidInput(f"{theorem_id} checks a torch.distributions.Distribution subclass, got {getattr(implementation, '__name__', type(implementation).__name__)}")
    return implementation


def _undecided(example: str, why: str) -> NoReturn:
    """The oracle cannot bound its own error here: the example is rejected and counted (inside a
    Hypothesis run), never a verdict; outside one, a one-line InvalidInput says why."""
    undecided(f"the oracle cannot decide {example}: {why}")


def spelled_law(cls: type, parameters: dict[str, torch.Tensor]) -> str:
    shown = ", ".join(f"{name}=[{', '.join(f'{v:.6g}' for v in value.reshape(-1).tolist())}]" for name, value in parameters.items())
    return f"{cls.__name__}({shown})"


def mass_of(law: D.Distribution, batch: int, terms: np.ndarray) -> Mass:
    """The oracle's mass of each batch element: the sum on the integers, the cubature elsewhere."""
    if is_discrete_support(law.support):
        return mass_by_sum(law, batch, terms)
    return mass_by_quadrature(law, batch, terms)


@dataclass(frozen=True)
class Built:
    """A class built on an example's parameters: the law, held to the recorded defects of its log_prob
    (the reference's; None where it refused them: ``refusal`` says why), how it is spelled, and the
    size of its parameters' terms (:func:`~theorems.log_prob_normalises.oracle.parameter_terms`)."""

    law: Any
    refusal: Evidence | None
    example: str
    terms: np.ndarray
    recorded: RecordedErrors | None


def build_law(implementation: Any, draw: ParameterDraw, theorem_id: str = THEOREM_ID) -> Built:
    """Build the class (the example's torch family for the reference) on the draw's parameters; a
    refusal is the class's failure unless a recorded finding of log-prob-normalises says torch refuses them."""
    draw = require_draw(draw, theorem_id)
    cls = torch_family(draw) if implementation is torch_family else require_class(implementation, theorem_id)
    parameters = parameters_for(cls, draw)
    example = spelled_law(cls, parameters)
    recorded = recorded_defects(draw) if implementation is torch_family else None
    terms = parameter_terms(parameters, draw.batch)
    law = call_implementation(theorem_id, example, lambda: cls(**parameters, validate_args=True), (), ())
    if isinstance(law, Evidence):
        return Built(None, _refusal(example, law, recorded, theorem_id), example, terms, recorded)
    if not isinstance(law, D.Distribution) or tuple(law.event_shape) != () or tuple(law.batch_shape) != (draw.batch,):
        shapes = f"event_shape {tuple(getattr(law, 'event_shape', ()))}, batch_shape {tuple(getattr(law, 'batch_shape', ()))}"
        raise InvalidInput(f"{cls.__name__} built {shapes} from a batch of {draw.batch}: the theorem checks univariate laws (event_shape ())")
    return Built(held_to_findings(law, recorded), None, example, terms, recorded)


def check_log_prob_normalises(implementation: Any, draw: ParameterDraw) -> Evidence:
    """Build the class (the example's torch family for the reference) and compare each batch element's mass with 1."""
    built = build_law(implementation, draw)
    if built.refusal is not None:
        return built.refusal
    try:
        mass = mass_of(built.law, draw.batch, built.terms)
    except LogProbFailed as failure:
        return implementation_failure(THEOREM_ID, built.example, str(failure))
    except Undecidable as why:
        _undecided(built.example, str(why))
    return _worst_element(built.example, mass, built.recorded)


def _refusal(example: str, failure: Evidence, recorded: RecordedErrors | None, theorem_id: str) -> Evidence:
    """A class that refused its parameters fails, unless a recorded finding says the library refuses them."""
    refused = recorded.refusal(failure.failure or "") if recorded is not None else None
    if refused is None:
        return failure
    return Evidence(theorem_id, example, "a law", f"refused ({failure.failure})", 0.0, 0.0, f"the refusal recorded by the finding {refused.id}")


class _RecordedNaN:
    """``law`` with its recorded NaNs read as the −∞ they stand for, at exactly the points its findings
    mark (any other NaN still fails the check); every other attribute is the law's own."""

    def __init__(self, law: D.Distribution, recorded: RecordedErrors) -> None:
        self._law, self._recorded = law, recorded

    def __getattr__(self, name: str) -> Any:
        return getattr(self._law, name)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        values = self._law.log_prob(x)
        marked = torch.from_numpy(self._recorded.nan_where(x.detach().double().numpy())) & torch.isnan(values)
        return torch.where(marked, torch.full_like(values, -torch.inf), values)


def held_to_findings(law: D.Distribution, recorded: RecordedErrors | None) -> Any:
    if recorded is None or not any(finding.error_model.nan_where for finding in recorded.findings):
        return law
    return _RecordedNaN(law, recorded)


def nan_mass(built: Built, batch: int) -> np.ndarray:
    """Per batch element, the mass the recorded NaNs of log_prob (read as −∞) may hide: the allowances of the
    findings with NaNs at points; 0 outside them (and for a class under test, never held to any)."""
    if built.recorded is None:
        return np.zeros(batch)
    found = [finding for finding in built.recorded.findings if finding.error_model.nan_where is not None and finding.error_model.allowance is not None]
    return sum((np.broadcast_to(np.asarray(f.error_model.allowance(built.recorded.example), dtype=float), (batch,)) for f in found), np.zeros(batch))


def recorded_defects(draw: ParameterDraw) -> RecordedErrors | None:
    """Inside a recorded finding, the reference (torch's own classes) is held to its error model."""
    from theorems.finding import recorded_errors
    from theorems.log_prob_normalises.findings import FINDINGS

    return recorded_errors(FINDINGS, THEOREM_ID, draw)


def _worst_element(example: str, mass: Mass, recorded: RecordedErrors | None = None) -> Evidence:
    batch = mass.value.shape[0]
    offset = np.broadcast_to(np.asarray(recorded.offset(), dtype=float), (batch,)) if recorded else np.zeros(batch)
    allowance = np.broadcast_to(np.asarray(recorded.allowance(), dtype=float), (batch,)) if recorded else np.zeros(batch)
    worst: Evidence | None = None
    for i in range(batch):
        tolerance = QUADRATURE_SAFETY * float(mass.error[i]) + float(mass.rounding[i]) + float(allowance[i])
        model = f"; the recorded defect's error model ({recorded.reason()})" if recorded and offset[i] else ""
        evidence = compare_scalar(
            theorem_id=THEOREM_ID,
            example=example,
            expected=1.0 + float(offset[i]),
            expected_how=f"at batch index {i}: the total mass of a law" + (" as torch's recorded defect makes it" if offset[i] else ""),
            actual=float(mass.value[i]),
            tolerance=tolerance,
            tolerance_reason=(
                f"{QUADRATURE_SAFETY:g} × the oracle's error estimate {float(mass.error[i]):.1e} ({mass.how}) + its rounding, "
                f"the mass its nodes leave out and γ_64·u × the terms of log_prob: {float(mass.rounding[i]):.1e}{model}"
            ),
        )
        if worst is None or not evidence.ratio <= worst.ratio:
            worst = evidence
    return worst
