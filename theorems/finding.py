"""A defect found in a real library by running it through a theorem's check, and the error it makes.

A finding is recorded and shown, never silenced: its domain (``applies``), its recorded
example, on which the library must still be falsified, and, for a library that is a theorem's
reference (torch.distributions), an error model: what the library returns inside the domain
(an error bound derived from its formula, an exact wrong term, an exact wrong value or a
refusal). The reference run checks the library against that model inside the domain and
within the normal tolerance outside it, so a regression larger than the recorded defect is
falsified anywhere; the tests hold the library to each model on many in-domain examples and
require the defect to strike at least a stated floor of them (its prevalence), so a fix
upstream, or a domain grown wider than the defect, turns the suite red until this record is
updated.

Each theorem records its findings in its own package (``theorems/<theorem>/findings.py``,
``FINDINGS``), found by location like its statement and its catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ErrorModel", "Finding", "Prevalence", "RecordedErrors", "recorded_errors", "recorded_finding"]


@dataclass(frozen=True)
class ErrorModel:
    """What the library returns inside a finding's domain, batch element by batch element.

    The audited reference run checks the library against it there instead of leaving the
    examples unchecked, so a regression larger than the recorded defect is still falsified:

    * ``allowance(example)``: the absolute error the defect may add to the check's normal
      tolerance, derived from the library's formula (the rounding of the cancellation it
      makes, or the size of the term it drops); 0 where the defect does not strike, and
      ``inf`` only where nothing at all can be said of the element (the statement says why);
    * ``offset(example)``: the library's value minus the true one, where the defect is an
      exact, computable wrong term (the check compares with the true value plus it);
    * ``returns(example)``: per element, the exact wrong values (``nan``, ``inf``) the
      library may return there instead of the true one;
    * ``raises``: words of the refusal the library may give on the whole example;
    * ``nan_where(example, x)``: for a check that evaluates the library at points ``x`` (a density
      at the nodes of a quadrature, last axis the batch), where it returns NaN for a value of −∞.
    """

    statement: str
    allowance: Callable[[Any], np.ndarray] | None = None
    offset: Callable[[Any], np.ndarray] | None = None
    returns: Callable[[Any], list[tuple[float, ...]]] | None = None
    raises: str | None = None
    nan_where: Callable[[Any, np.ndarray], np.ndarray] | None = None


@dataclass(frozen=True)
class Prevalence:
    """How often the defect strikes inside its domain: of ``in_domain`` generated examples (drawn
    by the theorem's strategy, :mod:`tools.measure_findings`), ``wrong`` exceeded the check's
    normal tolerance. The findings' tests fail when a fresh sample's fraction falls below
    ``floor`` (a fix upstream, or a domain grown wider than the defect)."""

    wrong: int
    in_domain: int
    floor: float

    @property
    def fraction(self) -> float:
        return self.wrong / self.in_domain if self.in_domain else 0.0  # a domain the strategy did not reach: nothing measured

    def __str__(self) -> str:
        return f"{self.wrong} of {self.in_domain} in-domain examples ({self.fraction:.0%}) past the normal tolerance; floor {self.floor:.0%}"


@dataclass(frozen=True)
class Finding:
    """A defect of ``library`` under theorem ``theorem_id``, on the examples where ``applies``."""

    id: str
    theorem_id: str
    library: str
    summary: str
    applies: Callable[[Any], bool]
    example: Any = None
    # Set when the defect is a refusal: words the implementation's failure on the example contains.
    raises: str | None = None
    # What the library gets wrong in the domain (for a library that is a theorem's reference).
    error_model: ErrorModel | None = None
    prevalence: Prevalence | None = None
    # For a defect of one class under test (an audit's, :mod:`theorems.audit`), not of a theorem's reference:
    # the class, ``module:qualname``; the audit applies the finding to that class's falsified verdicts alone.
    implementation: str | None = None


def recorded_finding(findings: Iterable[Finding], theorem_id: str, example: Any) -> Finding | None:
    """The first of ``findings`` recorded for ``theorem_id`` whose domain holds ``example``, or None."""
    return next((finding for finding in findings if finding.theorem_id == theorem_id and finding.applies(example)), None)


@dataclass(frozen=True)
class RecordedErrors:
    """What the findings whose domains hold one example allow the audited library to get wrong there."""

    findings: tuple[Finding, ...]
    example: Any

    def allowance(self) -> np.ndarray | float:
        return sum((np.asarray(f.error_model.allowance(self.example), dtype=float) for f in self.findings if f.error_model.allowance), 0.0)

    def offset(self) -> np.ndarray | float:
        return sum((np.asarray(f.error_model.offset(self.example), dtype=float) for f in self.findings if f.error_model.offset), 0.0)

    def refusal(self, failure: str) -> Finding | None:
        """The finding that records this refusal, if one does."""
        return next((f for f in self.findings if f.error_model.raises and f.error_model.raises in failure), None)

    def wrong_value(self, i: int, actual: float) -> Finding | None:
        """The finding that records ``actual`` (NaN, ±inf) as the library's value at element ``i``, if one does."""
        for finding in self.findings:
            if finding.error_model.returns is not None:
                for value in finding.error_model.returns(self.example)[i]:
                    if (math.isnan(value) and math.isnan(actual)) or value == actual:
                        return finding
        return None

    def nan_where(self, x: np.ndarray) -> np.ndarray:
        """Where, among the points ``x``, the findings say the library returns NaN for −∞."""
        marked = np.zeros(np.shape(x), dtype=bool)
        for f in self.findings:
            if f.error_model.nan_where is not None:
                marked |= np.asarray(f.error_model.nan_where(self.example, x), dtype=bool)
        return marked

    def reason(self) -> str:
        return "; ".join(f"{f.id}: {f.error_model.statement}" for f in self.findings)


def recorded_errors(findings: Iterable[Finding], theorem_id: str, example: Any) -> RecordedErrors | None:
    """For a theorem whose reference is the library under audit (torch.distributions): the recorded
    defects whose domains hold ``example``, which the check applies instead of its normal tolerance
    there (None outside every finding). Every KL and transform finding has an error model; an
    example inside a finding without one is not one of the reference run's examples
    (``hypothesis.reject``, or an Evidence saying so outside a Hypothesis run): nothing is said of
    what the library returns there."""
    findings = tuple(finding for finding in findings if finding.theorem_id == theorem_id and finding.applies(example))
    if not findings:
        return None
    without = [finding.id for finding in findings if finding.error_model is None]
    if without:
        from hypothesis import currently_in_test_context, reject

        if currently_in_test_context():
            reject()
        raise LookupError(f"inside the recorded findings {', '.join(without)}, which state no error model")
    return RecordedErrors(findings, example)
