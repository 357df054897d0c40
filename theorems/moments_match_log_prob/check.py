r"""Beyond the notes · a univariate law's ``mean``, ``variance``, ``entropy()`` and ``mode`` are those of its ``log_prob``.

For a class ``L`` (torch's, a subclass, or any ``Distribution`` a user writes) with ``event_shape ()``,
built as in log-prob-normalises from values its ``arg_constraints`` admit, and ``q ∝ exp(log_prob)``
for each batch element:

    mean = ∫ x q,   variance = ∫ (x − mean)² q,   entropy() = −∫ q log q,   log_prob(mode) = sup log_prob

(sums on the integers), each where the class implements it: a quantity that raises NotImplementedError
is not the class's claim and is not checked. The oracles (:mod:`theorems.moments_match_log_prob.oracle`,
:mod:`~theorems.moments_match_log_prob.peak`) use ``log_prob`` alone. A mean or variance whose integral
diverges is decided from the tails (+∞, −∞ or NaN, the oracle module's convention) and the class must
return exactly that value.

Tolerance of one element: the oracle's bar (``QUADRATURE_SAFETY ×`` its estimates, its rounding and what
its nodes leave out, propagated) plus the closed form's own rounding, ``γ_64 (1 + Σ_θ |θ|(1 + |log|θ||))``
times the size of the terms it combines (``|c| + E|X − c|`` for the mean, the variance itself, ``1 + E|log q|``
for the entropy; log-prob-normalises' model of a closed form of the same parameters). The mode holds when
``log_prob(mode)`` is within the rounding of ``log_prob`` at both points (and the mode's own rounding moving
it) of the highest value the oracle found; NaN is the class's claim that there is no single highest point,
right exactly where the density is flat at its top or unbounded at an end. An example the oracle cannot
decide is rejected and counted, never a verdict.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import distributions as D

from theorems.calling import call_implementation
from theorems.evidence import Evidence, implementation_failure
from theorems.finding import RecordedErrors, recorded_errors
from theorems.log_prob_normalises.case import ParameterDraw
from theorems.log_prob_normalises.check import build_law, nan_mass, torch_family
from theorems.log_prob_normalises.oracle import LogProbFailed, Undecidable, log_prob_and_slope
from theorems.moments_match_log_prob.oracle import Moment, Moments, moments_of
from theorems.moments_match_log_prob.peak import CLOSED_FORM_OPERATIONS, log_prob_rounding
from theorems.oracles.quadrature import QUADRATURE_SAFETY
from theorems.oracles.tolerance import U64, gamma
from theorems.theorem import undecided

__all__ = ["NOT_CHECKED_QUANTITIES", "QUANTITIES", "check_moments_match_log_prob", "claimed_quantities"]

THEOREM_ID = "moments-match-log-prob"
QUANTITIES = ("mean", "variance", "entropy", "mode")
# torch's quantities the reference run does not hold to the theorem, and why (every other one it implements is checked).
NOT_CHECKED_QUANTITIES = {
    ("Categorical", "mean"): "NaN by design: its values are labels 0 … K−1 of unordered categories (torch returns NaN, not Σ k p_k)",
    ("Categorical", "variance"): "NaN by design, as its mean",
}
_NOT_IMPLEMENTED = object()
# The most mass log_prob's recorded NaNs may hide for an example to be decided: four roundings of a probability.
NAN_MASS_LIMIT = 4 * U64


def _quantity(law: Any, name: str) -> Any:
    """The class's value of ``name`` (``entropy`` is a method, the others properties), or a marker where it does not implement it."""
    try:
        return law.entropy() if name == "entropy" else getattr(law, name)
    except NotImplementedError:
        return _NOT_IMPLEMENTED


def _as_batch(batch: int) -> Any:
    def expect(value: Any) -> tuple[Any, str | None]:
        if value is _NOT_IMPLEMENTED:
            return value, None
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != (batch,):
            return value, f"returned {type(value).__name__} of shape {tuple(getattr(value, 'shape', ()))}, expected a tensor of shape ({batch},)"
        return value.detach().double().numpy().copy(), None

    return expect


def claimed_quantities(law: Any, batch: int, example: str, family: str | None = None) -> dict[str, np.ndarray] | Evidence:
    """The quantities the class implements, per batch element (float64), or Evidence of how one failed;
    for the reference (``family``), without those :data:`NOT_CHECKED_QUANTITIES` lists."""
    found: dict[str, np.ndarray] = {}
    for name in QUANTITIES:
        if (family, name) in NOT_CHECKED_QUANTITIES:
            continue
        value = call_implementation(THEOREM_ID, example, _quantity, (law, name), ("law", "name"), expect=_as_batch(batch))
        if isinstance(value, Evidence):
            return _naming(value, name)
        if value is not _NOT_IMPLEMENTED:
            found[name] = value
    return found


def _naming(evidence: Evidence, name: str) -> Evidence:
    return implementation_failure(THEOREM_ID, evidence.example, f"{name}: {evidence.failure}")


def check_moments_match_log_prob(implementation: Any, draw: ParameterDraw) -> Evidence:
    """Build the class (the example's torch family for the reference), and compare each quantity it implements with the oracle's."""
    built = build_law(implementation, draw, THEOREM_ID)
    if built.refusal is not None:
        return built.refusal
    reference = implementation is torch_family
    claims = claimed_quantities(built.law, draw.batch, built.example, draw.family if reference else None)
    if isinstance(claims, Evidence):
        return claims
    if not claims:
        undecided(f"{built.example} implements none of {', '.join(QUANTITIES)}: the theorem claims nothing of it")
    hidden = nan_mass(built, draw.batch)
    if np.any(hidden > NAN_MASS_LIMIT):
        undecided(f"the oracle cannot decide {built.example}: its log_prob is NaN (a recorded defect) where up to {float(np.max(hidden)):.3g} of its mass lies")
    try:
        moments = moments_of(built.law, draw.batch, built.terms, integrate=bool(set(claims) - {"mode"}))
        recorded = _recorded(draw) if reference else None
        found = [_moment_evidence(built.example, name, moments.found[name], claims[name], built.terms, _for(recorded, name), hidden) for name in claims if name != "mode"]
        if "mode" in claims:
            found.append(_mode_evidence(built.law, built.example, moments, claims["mode"], built.terms, _for(recorded, "mode")))
    except LogProbFailed as failure:
        return implementation_failure(THEOREM_ID, built.example, str(failure))
    except Undecidable as why:
        undecided(f"the oracle cannot decide {built.example}: {why}")
    return max(found, key=lambda evidence: evidence.ratio)


def _recorded(draw: ParameterDraw) -> RecordedErrors | None:
    """Inside a recorded finding, the reference (torch's own classes) is held to its error model."""
    from theorems.moments_match_log_prob.findings import FINDINGS

    return recorded_errors(FINDINGS, THEOREM_ID, draw)


def _for(recorded: RecordedErrors | None, name: str) -> RecordedErrors | None:
    """The recorded defects of the quantity ``name`` alone, their error models asked about it."""
    from theorems.moments_match_log_prob.findings import QUANTITIES_OF, Asked

    if recorded is None:
        return None
    mine = tuple(finding for finding in recorded.findings if name in QUANTITIES_OF[finding.id])
    return RecordedErrors(mine, Asked(recorded.example, name)) if mine else None


def _exactly(value: float) -> str:
    return "NaN (undefined)" if np.isnan(value) else f"{value:.17g}"


def _element(example: str, name: str, i: int, moment: Moment, actual: float, allowance: float, recorded: RecordedErrors | None) -> Evidence:
    """One batch element's comparison of the class's ``name`` with the oracle's (module docstring)."""
    expected, how = float(moment.value[i]), f"{name} at batch index {i}, by {moment.how}"
    wrong = recorded.wrong_value(i, actual) if recorded is not None else None
    if wrong is not None and not (np.isnan(actual) and np.isnan(expected)):
        return Evidence(THEOREM_ID, example, f"{_exactly(expected)} ({how})", _exactly(actual), 0.0, 0.0, f"the value recorded by the finding {wrong.id}")
    if not np.isfinite(expected) or not np.isfinite(actual):
        same = (np.isnan(expected) and np.isnan(actual)) or expected == actual
        reason = "decided from the tails' exponents: the class must return exactly this value" if not np.isfinite(expected) else "a finite value"
        return Evidence(THEOREM_ID, example, f"{_exactly(expected)} ({how})", _exactly(actual), 0.0 if same else np.inf, 0.0, reason)
    return Evidence(
        THEOREM_ID,
        example,
        f"{expected:.17g} ({how})",
        f"{actual:.17g}",
        abs(actual - expected),
        float(moment.bar[i]) + allowance,
        f"the oracle's bar {float(moment.bar[i]):.2e} ({QUADRATURE_SAFETY:g} × its estimates, its rounding and the integral its nodes leave out, "
        f"propagated) + the closed form's rounding γ_{CLOSED_FORM_OPERATIONS}·(1 + Σ|θ|(1 + |log|θ||))·{float(moment.size[i]):.3g} = {allowance:.2e}"
        + (f" + the recorded defect's allowance ({recorded.reason()})" if recorded is not None else ""),
    )


def _moment_evidence(
    example: str, name: str, moment: Moment, actual: np.ndarray, terms: np.ndarray, recorded: RecordedErrors | None, hidden: np.ndarray
) -> Evidence:
    """The worst batch element of one moment (held, inside a recorded finding, to its error model). ``hidden``: the mass
    log_prob's recorded NaNs may hide (at most 4u), which moves a moment of a law on [0, 1] by 2·hidden (its entropy by
    hidden·(1 + |log hidden|) more)."""
    allowance = gamma(CLOSED_FORM_OPERATIONS, U64) * (1 + terms) * moment.size
    with np.errstate(divide="ignore", invalid="ignore"):
        allowance = allowance + np.where(hidden > 0, hidden * (2 + (1 + np.abs(np.log(hidden)) if name == "entropy" else 0.0)), 0.0)
    if recorded is not None:
        allowance = allowance + np.broadcast_to(np.asarray(recorded.allowance(), dtype=float), allowance.shape)
        offset = np.broadcast_to(np.asarray(recorded.offset(), dtype=float), allowance.shape)
        moment = Moment(np.where(offset != 0, moment.value + offset, moment.value), moment.bar, moment.size, moment.how)
    found = [_element(example, name, i, moment, float(actual[i]), float(allowance[i]), recorded) for i in range(actual.shape[0])]
    return max(found, key=lambda evidence: evidence.ratio)


def _in_support(law: D.Distribution, x: np.ndarray) -> np.ndarray:
    try:
        return law.support.check(torch.tensor(x, dtype=torch.float64)).numpy().astype(bool)
    except Exception:  # a support that cannot say: the log_prob below will
        return np.ones(x.shape, bool)


def _mode_evidence(law: D.Distribution, example: str, moments: Moments, mode: np.ndarray, terms: np.ndarray, recorded: RecordedErrors | None) -> Evidence:
    """The worst batch element of the mode (module docstring)."""
    peak = moments.peak
    at_end = np.isfinite(mode) & (mode == peak.end)
    # a supremum approached at an end the support leaves out is not attained: no point is highest there
    unattained = np.isfinite(peak.end) & ~_in_support(law, np.where(np.isfinite(peak.end), peak.end, peak.x))
    inside = np.isfinite(mode) & ~at_end & _in_support(law, np.where(np.isfinite(mode), mode, peak.x))
    points = np.where(inside, mode, peak.x)  # the class's mode where it can be evaluated, the top elsewhere
    try:
        with torch.no_grad():  # +∞ is a value here (a density unbounded at its mode), not a failure
            log_p = law.log_prob(torch.tensor(points, dtype=torch.float64)).double().numpy()
    except Exception as error:  # the class's log_prob at its own mode
        return implementation_failure(THEOREM_ID, example, f"log_prob(mode) raised {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    _, slope = log_prob_and_slope(law, np.where(np.isinf(log_p), peak.x, points))
    moved = np.abs(slope) * gamma(CLOSED_FORM_OPERATIONS, U64) * (1 + terms) * (np.abs(points) + moments.spread)
    tolerance = peak.rounding + log_prob_rounding(log_p, slope, points, terms) + moved
    found = [
        _mode_element(example, i, peak, float(mode[i]), (bool(at_end[i]), bool(inside[i]), bool(peak.unique[i] and not unattained[i])), float(log_p[i]), float(tolerance[i]), recorded)
        for i in range(mode.shape[0])
    ]
    return max(found, key=lambda evidence: evidence.ratio)


def _mode_element(example: str, i: int, peak: Any, mode: float, where: tuple[bool, bool, bool], log_p: float, tolerance: float, recorded: RecordedErrors | None) -> Evidence:
    """One batch element's mode: ``where`` says whether it is the end the supremum is approached at, inside the
    support, and whether one point of the support is highest."""
    at_end, inside, unique = where
    top = float(peak.log_p[i])
    expected = f"log p ≥ {top:.17g} − tolerance (the highest value of log_prob the oracle found, at x = {float(peak.x[i]):.17g}; batch index {i})"
    wrong = recorded.wrong_value(i, mode) if recorded is not None else None
    if wrong is not None:
        return Evidence(THEOREM_ID, example, expected, f"mode {_exactly(mode)}", 0.0, 0.0, f"the value recorded by the finding {wrong.id}")
    if np.isnan(mode):
        return Evidence(THEOREM_ID, example, expected, "mode NaN", np.inf if unique else 0.0, 0.0,
                        "NaN says the density has no single highest point: " + ("it has one" if unique else "right, its top is flat, or unbounded or not attained at an end"))
    if at_end:
        return Evidence(THEOREM_ID, example, expected, f"mode {mode:.17g}", 0.0, 0.0, "the end of the support at which the density's supremum is approached")
    if not inside:
        return Evidence(THEOREM_ID, example, expected, f"mode {mode:.17g}, outside the support", np.inf, 0.0, "a mode is a point of the support")
    return Evidence(
        THEOREM_ID, example, expected, f"log p(mode {mode:.17g}) = {log_p:.17g}", max(0.0, top - log_p), tolerance,
        "the rounding of log_prob at the oracle's top and at the mode (γ_64 (1 + |log p| + Σ|θ|(1 + |log|θ||)) + u|x ∂ₓ log p| each) "
        "and the mode's own rounding moving log p (|∂ₓ log p|·γ_64 (1 + Σ|θ|(…))·(|mode| + the spread))",
    )
