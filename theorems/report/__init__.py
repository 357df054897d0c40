"""Writing what a verification found: the HTML report, JSON and JUnit XML.

:mod:`~theorems.report.html`, :mod:`~theorems.report.formats` and
:mod:`~theorems.report.figures` turn a :class:`~theorems.results.Verification` (made by
the engine, :mod:`theorems._engine.verify`) into the HTML report, JSON and JUnit XML. The
public surface only re-exports, and imports each module when a name of it is first
used: writing JSON does not import Jinja2, matplotlib or the figures' oracles.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Figure", "FigureContext", "all_figures", "render_html", "write_html", "write_json", "write_junitxml"]

_HOMES = {
    "Figure": "figures",
    "FigureContext": "figures",
    "all_figures": "figures",
    "render_html": "html",
    "write_html": "html",
    "write_json": "formats",
    "write_junitxml": "formats",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
