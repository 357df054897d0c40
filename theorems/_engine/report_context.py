"""Assembling what a report is handed: the one place the doors get it from.

The report (:mod:`theorems.report`) renders and looks nothing up. Whoever writes one
(``theorems verify`` and ``check``, the pytest plugin) calls :func:`report_context` for the
HTML report, and :func:`suite_measurements` for the JSON of the whole suite: they read
the registry (the declarations, the findings, the figures), classify each finding's
recorded example as the engine classifies a generated one, and read the suite's
measurements.

The measurements are read from explicit folders, never from a path of the source tree:
``reports/`` of the working directory, where the maintainer commands write them, and, for
any not made there yet, the project's records, found through the import system as the
package data of ``theorems.measurements`` (in a source checkout that is ``measurements/``,
in an installed wheel ``theorems/measurements/``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from theorems._engine.observe import example_class
from theorems._engine.registry import all_claims, all_findings, all_theorems, from_theorem_packages, get_theorem
from theorems.finding import Finding
from theorems.report.context import ReportContext
from theorems.report.power import SuiteMeasurements, read_measurements
from theorems.results import Verification

__all__ = ["DEFAULT_MEASUREMENTS", "NO_RECORDS", "recorded_folder", "report_context", "suite_measurements"]

DEFAULT_MEASUREMENTS = Path("reports")
# The project's own last measurements, committed with the code (``make record``) in
# measurements/, installed as this package's data: a fresh clone's report, or an installed
# one, shows them, marked as recorded, until the commands are rerun here.
RECORDS_PACKAGE = "theorems.measurements"
NO_RECORDS = (
    "This installation has no recorded measurements (the package theorems.measurements is missing): "
    "only measurements made here, under reports/, can be shown"
)


def recorded_folder() -> Path | None:
    """The folder of the committed records as this installation has them, or None where it has none."""
    try:
        spec = importlib.util.find_spec(RECORDS_PACKAGE)
    except (ImportError, ValueError):
        return None
    locations = [] if spec is None else list(spec.submodule_search_locations or ())
    return next((Path(location) for location in locations if Path(location).is_dir()), None)


def suite_measurements(folder: Path | str | None = None) -> SuiteMeasurements:
    """The suite's own measurements, read from ``folder`` (default ``reports/`` of the working directory).

    With the default folder, a measurement not made here yet is read from the installed
    records (:func:`recorded_folder`), and the report says so in words where there are none;
    a folder named explicitly is read alone.
    """
    if folder is not None:
        return read_measurements(folder)
    recorded = recorded_folder()
    return read_measurements(DEFAULT_MEASUREMENTS, recorded, records_note=NO_RECORDS if recorded is None else None)


def finding_classes(findings: tuple[Finding, ...]) -> dict[str, dict[str, str]]:
    """Per finding with a recorded example, that example's class, as its theorem classifies it."""
    return {finding.id: example_class(get_theorem(finding.theorem_id), finding.example) for finding in findings if finding.example is not None}


def report_context(verification: Verification, *, measurements: SuiteMeasurements | None = None) -> ReportContext:
    """What the HTML report of ``verification`` is handed: every declaration, finding and figure,
    and, for a report of the whole suite, its measurements (``measurements``, else :func:`suite_measurements`)."""
    from theorems.oracles.quadrature import QUADRATURE_SAFETY  # scipy: only where a report is written

    findings = all_findings()
    if verification.scope == "full" and measurements is None:
        measurements = suite_measurements()
    return ReportContext(
        theorems=all_theorems(),
        claims=all_claims(),
        findings=findings,
        finding_classes=finding_classes(findings),
        figures=from_theorem_packages("figures", "FIGURES"),
        measurements=measurements,
        quadrature_safety=QUADRATURE_SAFETY,
    )
