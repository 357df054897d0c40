r"""Beyond the notes · a continuous law's ``cdf`` is the integral of its own ``log_prob``, and ``icdf(cdf(x)) = x``.

For a class ``L`` (torch's, a subclass, or any ``Distribution`` a user writes) with ``event_shape ()`` and a
continuous support ``[a, b]``, built as in log-prob-normalises from values its ``arg_constraints`` admit,
with ``p = exp(log_prob)``, at points ``x`` of the support (the law's own quantiles at the example's levels):

    cdf(x) = ∫_a^x p / ∫_a^b p,        icdf(cdf(x)) = x,

each where the class implements it (NotImplementedError is no claim); without a cdf, the icdf is checked
on the oracle's ``F(x)``. Oracle: :mod:`theorems.cdf_matches_log_prob.oracle` (``log_prob`` alone).

**cdf.** Tolerance: the oracle's bar on ``F`` plus the closed form's rounding,
``γ_64 (1 + Σ_θ |θ|(1 + |log|θ||)) (F + p(x)(|x| + |c|))``: its value's relative rounding, as every closed
form's here, and the point's (``z = (x − loc)/scale`` is rounded on the scale of ``|x| + |loc|``, ``c`` the
density's top standing for the location). A probability is held to its relative precision in the lower
tail too, as float64 carries it there; ``½(1 + erf z)``, ``1 − e^{−x}`` and ``atan(z)/π + ½`` keep only an
absolute ``u`` (torch's, recorded with their error model, as transform-laws records Normal's).

**Round trip.** ``icdf(cdf(x)) = x`` is the class's own consistency: its cdf returns ``v`` within
``δ = γ_64 (1 + Σ|θ|(…)) F`` of its exact value (the model above), its icdf inverts ``v`` within as much
again in the probability, so the result is within ``Δ/p(ξ)``, ``Δ = 2δ``, of ``x`` for a ``ξ`` between them (a
class without a cdf is given the oracle's ``F(x)``: then ``Δ`` adds the oracle's bar). Where
``|∂ₓ log p(x)|·2Δ/p(x) ≤ ½`` the density varies by at most ``e^{½}`` over that interval, so ``1/p(ξ) ≤ 2/p(x)``:
allowance ``2Δ/p(x)`` plus the icdf's own rounding ``γ_64 (1 + Σ|θ|(…))(|c| + |x − c|)`` (it forms ``x`` from a
location near ``c`` and an offset). Elsewhere — the density too small or too steep at ``x``, or ``Δ`` above
half of ``F`` or of ``1 − F``, where the round trip may run to the support's end — the round trip is
ill-conditioned and accuses no one. An example the oracle cannot decide is rejected and counted, never a verdict.
"""

from __future__ import annotations

from typing import Any

import dataclasses

import numpy as np
import torch

from theorems.calling import call_implementation
from theorems.cdf_matches_log_prob.case import CdfCase
from theorems.cdf_matches_log_prob.oracle import Distribution, cdf_by_quadrature
from theorems.evidence import Evidence, implementation_failure
from theorems.finding import RecordedErrors, recorded_errors
from theorems.log_prob_normalises.check import build_law, nan_mass, torch_family
from theorems.log_prob_normalises.oracle import LogProbFailed, Undecidable, is_discrete_support
from theorems.oracles.quadrature import QUADRATURE_SAFETY
from theorems.oracles.tolerance import U64, gamma
from theorems.theorem import InvalidInput, undecided

__all__ = ["NOT_CHECKED", "check_cdf_matches_log_prob"]

THEOREM_ID = "cdf-matches-log-prob"
# Rounded operations of a closed form (log-prob-normalises' DENSITY_OPERATIONS: the same special functions of the same parameters).
CLOSED_FORM_OPERATIONS = 64
# The most mass log_prob's recorded NaNs may hide for an example to be decided: four roundings of a probability.
NAN_MASS_LIMIT = 4 * U64
_NOT_IMPLEMENTED = object()

# The univariate classes torch.distributions exports that the reference run does not check for this
# theorem (beyond log-prob-normalises' NOT_CHECKED, which it shares), and why.
NOT_CHECKED_HERE = {
    "Bernoulli": "discrete", "Binomial": "discrete", "Categorical": "discrete", "Geometric": "discrete",
    "NegativeBinomial": "discrete", "Poisson": "discrete",
    "Beta": "does not implement cdf or icdf (torch 2.14.1)",
    "FisherSnedecor": "does not implement cdf or icdf (torch 2.14.1)",
    "StudentT": "does not implement cdf or icdf (torch 2.14.1)",
}


def _not_checked() -> dict[str, str]:
    from theorems.log_prob_normalises.check import NOT_CHECKED as SHARED

    return {**SHARED, **NOT_CHECKED_HERE}


NOT_CHECKED = _not_checked()


def _require_case(case: object) -> CdfCase:
    if not isinstance(case, CdfCase):
        raise InvalidInput(f"{THEOREM_ID} checks a CdfCase (theorems.cdf_matches_log_prob.case), got {type(case).__name__}")
    return case


def _method(law: Any, name: str, values: np.ndarray) -> Any:
    try:
        return getattr(law, name)(torch.tensor(values, dtype=torch.float64))
    except NotImplementedError:
        return _NOT_IMPLEMENTED


def _shaped(shape: tuple[int, ...]) -> Any:
    def expect(value: Any) -> tuple[Any, str | None]:
        if value is _NOT_IMPLEMENTED:
            return value, None
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
            return value, f"returned {type(value).__name__} of shape {tuple(getattr(value, 'shape', ()))}, expected a tensor of shape {shape}"
        return value.detach().double().numpy().copy(), None

    return expect


def _called(law: Any, name: str, values: np.ndarray, example: str) -> Any:
    """The class's ``name`` at ``values``, the marker where it does not implement it, or Evidence of how it failed."""
    found = call_implementation(THEOREM_ID, example, _method, (law, name, values), ("law", "name", "values"), expect=_shaped(values.shape))
    if isinstance(found, Evidence):
        return implementation_failure(THEOREM_ID, example, f"{name}: {found.failure}")
    return found


def check_cdf_matches_log_prob(implementation: Any, case: CdfCase) -> Evidence:
    """Build the class (the example's torch family for the reference); compare its cdf with the oracle's and its icdf's round trip."""
    case = _require_case(case)
    built = build_law(implementation, case.draw, THEOREM_ID)
    if built.refusal is not None:
        return built.refusal
    if is_discrete_support(built.law.support):
        raise InvalidInput(f"{THEOREM_ID} checks laws with a continuous support; {built.example} has {built.law.support!r}")
    hidden = nan_mass(built, case.batch)  # log_prob's recorded NaNs, read as −∞, hide at most this much mass
    if np.any(hidden > NAN_MASS_LIMIT):
        undecided(f"the oracle cannot decide {built.example}: its log_prob is NaN (a recorded defect) where up to {float(np.max(hidden)):.3g} of its mass lies")
    try:
        oracle = cdf_by_quadrature(built.law, case.batch, built.terms, case.levels)
    except LogProbFailed as failure:
        return implementation_failure(THEOREM_ID, built.example, str(failure))
    except Undecidable as why:
        undecided(f"the oracle cannot decide {built.example}: {why}")
    cdf = _called(built.law, "cdf", oracle.x, built.example)
    if isinstance(cdf, Evidence):
        return cdf
    given = oracle.value if cdf is _NOT_IMPLEMENTED else cdf
    icdf = _called(built.law, "icdf", np.clip(given, 0.0, 1.0), built.example)
    if isinstance(icdf, Evidence):
        return icdf
    if cdf is _NOT_IMPLEMENTED and icdf is _NOT_IMPLEMENTED:
        undecided(f"{built.example} implements neither cdf nor icdf: the theorem claims nothing of it")
    rounding = gamma(CLOSED_FORM_OPERATIONS, U64) * (1 + built.terms)
    oracle = dataclasses.replace(oracle, bar=oracle.bar + 2 * hidden)  # the hidden mass moves F by at most twice itself
    found = []
    recorded = _recorded(case, oracle.x) if implementation is torch_family else None
    if cdf is not _NOT_IMPLEMENTED:
        found.append(_cdf_evidence(built.example, case, oracle, cdf, rounding, recorded))
    if icdf is not _NOT_IMPLEMENTED:
        found.append(_round_trip_evidence(built.example, case, oracle, given, icdf, rounding, recorded))
    return max(found, key=lambda evidence: evidence.ratio)


def _recorded(case: CdfCase, x: np.ndarray) -> RecordedErrors | None:
    """Inside a recorded finding, the reference (torch's own classes) is held to its error model at the points ``x``."""
    from theorems.cdf_matches_log_prob.findings import FINDINGS, At

    recorded = recorded_errors(FINDINGS, THEOREM_ID, case)
    return RecordedErrors(recorded.findings, At(case, x)) if recorded is not None else None


def _where(case: CdfCase, oracle: Distribution, j: int, i: int) -> str:
    return f"x = {float(oracle.x[j, i]):.17g}, the law's quantile of level {case.levels[j]:.6g}, batch index {i}"


def _worst(found: list[Evidence]) -> Evidence:
    return max(found, key=lambda evidence: evidence.ratio)


def _cdf_evidence(example: str, case: CdfCase, oracle: Distribution, cdf: np.ndarray, rounding: np.ndarray, recorded: RecordedErrors | None) -> Evidence:
    """The worst point of the cdf (module docstring), held inside a recorded finding to its error model."""
    density = np.exp(oracle.log_p)
    closed_form = rounding * (oracle.value + density * (np.abs(oracle.x) + np.abs(oracle.centre)))
    offset = np.zeros(cdf.shape)
    if recorded is not None:
        closed_form = closed_form + np.broadcast_to(np.asarray(recorded.allowance(), dtype=float), cdf.shape)
        offset = np.broadcast_to(np.asarray(recorded.offset(), dtype=float), cdf.shape)
    model = f"; the recorded defect's error model ({recorded.reason()})" if recorded is not None else ""
    found = []
    for j, i in np.ndindex(cdf.shape):
        actual, expected = float(cdf[j, i]), float(oracle.value[j, i] + offset[j, i])
        if np.isnan(actual):
            found.append(implementation_failure(THEOREM_ID, example, f"cdf returned NaN at {_where(case, oracle, j, i)}"))
            continue
        found.append(Evidence(
            THEOREM_ID, example, f"{expected:.17g} (∫ exp(log_prob) from the support's lower end to {_where(case, oracle, j, i)}, over the whole)",
            f"{actual:.17g}", abs(actual - expected), float(oracle.bar[j, i] + closed_form[j, i]),
            f"the oracle's bar {float(oracle.bar[j, i]):.2e} ({QUADRATURE_SAFETY:g} × its estimates, its rounding and the integral its nodes leave out, "
            f"propagated; {oracle.how}) + the cdf's rounding γ_64·(1 + Σ|θ|(1 + |log|θ||))·(F + p(x)(|x| + |c|)) = {float(closed_form[j, i]):.2e}{model}",
        ))
    return _worst(found)


def _round_trip_evidence(
    example: str, case: CdfCase, oracle: Distribution, given: np.ndarray, icdf: np.ndarray, rounding: np.ndarray, recorded: RecordedErrors | None
) -> Evidence:
    """The worst well-conditioned point of the round trip (module docstring); ill-conditioned points accuse no one. A recorded
    defect's allowance is a probability's: the icdf's error in the probability it inverts, as the cdf's in the one it returns."""
    density, x, centre = np.exp(oracle.log_p), oracle.x, oracle.centre
    defect = np.broadcast_to(np.asarray(recorded.allowance(), dtype=float), icdf.shape) if recorded is not None else np.zeros(icdf.shape)
    # the oracle's F stands in for a cdf the class lacks: then its bar is how far the probability inverted may be from F(x)
    stand_in = oracle.bar if given is oracle.value else np.zeros(icdf.shape)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        shift = stand_in + 2 * (rounding * oracle.value + defect)
        reach = 2 * shift / density
        conditioned = (shift < np.minimum(oracle.value, 1 - oracle.value) / 2) & (np.abs(oracle.slope) * reach <= 0.5) & np.isfinite(reach)
        allowance = reach + rounding * (np.abs(centre) + np.abs(x - centre))
    note = " + the oracle's bar (no cdf of its own)" if given is oracle.value else ""
    found = []
    for j, i in np.ndindex(icdf.shape):
        if not conditioned[j, i]:
            continue
        actual = float(icdf[j, i])
        found.append(Evidence(
            THEOREM_ID, example, f"{float(x[j, i]):.17g} (icdf(cdf(x)) at {_where(case, oracle, j, i)}; cdf(x) = {float(given[j, i]):.17g})",
            f"{actual:.17g}", abs(actual - float(x[j, i])) if np.isfinite(actual) else np.inf, float(allowance[j, i]),
            f"2(2γ_64·(1 + Σ|θ|(…))·F (the cdf's rounding and the icdf's){note})/p(x) = "
            f"{float(reach[j, i]):.2e} (the density within e^½ over it) "
            f"+ the icdf's rounding γ_64·(1 + Σ|θ|(…))·(|c| + |x − c|)",
        ))
    if not found:
        return Evidence(THEOREM_ID, example, "icdf(cdf(x)) = x", "not judged", 0.0, 0.0, "every point's round trip is ill-conditioned (module docstring): no accusation")
    return _worst(found)
