"""The verifier's machinery: run every theorem and claim, and write what was found.

:mod:`~theorems.report.running` checks an implementation under Hypothesis and reads
the per-example counts and the shrunk counterexample from Hypothesis's observability
callbacks; :mod:`~theorems.report.results` holds what a run found;
:mod:`~theorems.report.html`, :mod:`~theorems.report.formats` and
:mod:`~theorems.report.figures` turn it into the HTML report, JSON and JUnit XML.

This package is named ``report`` so that theorem discovery (``registry.MACHINERY``)
skips it. The public surface only re-exports.
"""

from __future__ import annotations

from theorems.report.figures import Figure, FigureContext, all_figures
from theorems.report.formats import write_json, write_junitxml
from theorems.report.html import render_html, write_html
from theorems.report.results import ClaimResult, TheoremResult, Verification
from theorems.report.running import check_claim, check_implementation, verify_all

__all__ = [
    "ClaimResult",
    "Figure",
    "FigureContext",
    "TheoremResult",
    "Verification",
    "all_figures",
    "check_claim",
    "check_implementation",
    "render_html",
    "verify_all",
    "write_html",
    "write_json",
    "write_junitxml",
]
