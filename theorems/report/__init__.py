"""Writing what a verification found: the HTML report, JSON and JUnit XML.

:mod:`~theorems.report.html`, :mod:`~theorems.report.formats` and
:mod:`~theorems.report.figures` turn a :class:`~theorems.results.Verification` (made by
the engine, :mod:`theorems._engine.verify`) into the HTML report, JSON and JUnit XML. They
render what they are handed and look nothing up: the declarations, findings, figures and
measurements the HTML report shows beside the results come in a
:class:`~theorems.report.context.ReportContext` (assembled by
:mod:`theorems._engine.report_context`), the measurements of a JSON of the whole suite as
an argument. The public surface only re-exports, and imports each module when a name of
it is first used: writing JSON does not import Jinja2, matplotlib or the figures' oracles.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Figure", "FigureContext", "ReportContext", "render_html", "write_html", "write_json", "write_junitxml"]

_HOMES = {
    "Figure": "figures",
    "FigureContext": "figures",
    "ReportContext": "context",
    "render_html": "html",
    "write_html": "html",
    "write_json": "formats",
    "write_junitxml": "formats",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
