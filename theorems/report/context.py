"""What a report is handed beside the verification: declarations, findings, figures, measurements.

The report renders; it looks nothing up. Whoever asks for a report (the command, the pytest
plugin) has it assembled by :func:`theorems._engine.report_context.report_context`, which
reads the registry, classifies the findings' examples and reads the measurements from the
folders it is given, and hands the result here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only names: the report imports no declaration module
    from theorems.figure import FigureLike
    from theorems.finding import Finding
    from theorems.report.power import SuiteMeasurements
    from theorems.theorem import Claim, Theorem

__all__ = ["ReportContext"]


@dataclass(frozen=True)
class ReportContext:
    """Everything the HTML report shows that the :class:`~theorems.results.Verification` does not hold.

    ``theorems`` and ``claims`` are the declarations the results are shown beside (a result
    whose declaration is not here is shown without it); ``findings`` are the defects of real
    libraries, each with ``finding_classes[finding.id]``, the class of its recorded example
    (covered assumption → value, spelled as ``Evidence.example_class`` spells it);
    ``figures`` are the figures the report may draw (those of the theorems that ran are
    drawn); ``measurements`` are the suite's own, already read, for a report of the whole
    suite (None for any other); ``quadrature_safety`` is the factor the quadrature oracles
    allow on their error estimate, shown beside the record it was derived from.
    """

    theorems: tuple[Theorem, ...] = ()
    claims: tuple[Claim, ...] = ()
    findings: tuple[Finding, ...] = ()
    finding_classes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    figures: tuple[FigureLike, ...] = ()
    measurements: SuiteMeasurements | None = None
    quadrature_safety: float | None = None
