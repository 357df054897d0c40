"""Audit Pyro's distributions and transforms (pyro-ppl 1.9.x) with every audited theorem: ``make audit-pyro``.

Runs :func:`theorems.audit` on each module of :data:`theorems.audits.pyro.MODULES` with Pyro's listing and
findings, and writes the table as JSON (``--json``, with its provenance) and as a page (``--page``: the
table, then each finding with its minimal example). Not part of ``make verify``: the audit at the ci
profile takes about four minutes (README), past verify's budget of 60 s.

    python -m tools.audit_pyro --profile ci --json reports/audit-pyro.json --page reports/audit-pyro.md
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from theorems.audit import Audit

PROGRAM = "audit_pyro"


def run(profile: str, examples: int | None) -> list[tuple[str, Audit]]:
    import theorems
    from theorems.audits.pyro import FINDINGS, LISTED, MODULES, ORACLE_LIMITS

    return [
        (name, theorems.audit(importlib.import_module(name), profile=profile, examples=examples, listed=LISTED, findings=FINDINGS, oracle_limits=ORACLE_LIMITS))
        for name in MODULES
    ]


def _finite(value: Any) -> Any:
    """JSON has no inf or NaN: a ratio that is one is written as its words."""
    return value if not isinstance(value, float) or math.isfinite(value) else repr(value)


def record(audits: list[tuple[str, Audit]]) -> dict[str, Any]:
    from theorems.provenance import provenance

    modules = {}
    for name, result in audits:
        found = result.to_dict()
        found["rows"] = [{key: _finite(value) for key, value in row.items()} for row in found["rows"]]
        modules[name] = found
    return {"library": _pyro_version(), "modules": modules, "provenance": provenance(["theorems.audit", "theorems.audits.pyro"])}


def _pyro_version() -> str:
    import pyro

    return f"pyro-ppl {pyro.__version__}"


def page(audits: list[tuple[str, Audit]]) -> str:
    """The tables, then each finding with its minimal example (in words, from its record), then the oracles' limits."""
    from theorems.audits.pyro import FINDINGS, ORACLE_LIMITS

    lines = [f"# Audit of {_pyro_version()}", ""]
    for name, result in audits:
        lines += [f"## {name} ({result.profile} profile, {result.seconds:.1f} s)", "", "```", result.table(), "```", ""]
    lines += ["## Findings", ""]
    for finding in FINDINGS:
        lines += [f"### {finding.id} ({finding.theorem_id})", "", f"{finding.library}: {finding.summary}", "",
                  f"Minimal example: `{finding.example!r}`", "", f"Error model: {finding.error_model.statement}", ""]
    lines += ["## The oracles' recorded limits (no accusation: the class is right there)", ""]
    for limit in ORACLE_LIMITS:
        lines += [f"### {limit.id} ({limit.theorem_id}, {limit.implementation})", "", limit.summary, "", f"Example: `{limit.example!r}`", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from theorems.provenance import write_record

    parser = argparse.ArgumentParser(prog=PROGRAM, description="Audit Pyro's distributions and transforms with the theorems.")
    parser.add_argument("--profile", default="ci", help="the profile of every check (default ci)")
    parser.add_argument("--examples", type=int, default=None, help="generated examples per class and theorem (default: the profile's)")
    parser.add_argument("--json", type=Path, default=None, help="write the record here")
    parser.add_argument("--page", type=Path, default=None, help="write the page (Markdown) here")
    arguments = parser.parse_args(argv)
    try:
        importlib.import_module("pyro")
    except ImportError:
        print(f"{PROGRAM}: error: pyro-ppl is not installed (pip install 'theorems[pyro]')", file=sys.stderr)
        return 2
    audits = run(arguments.profile, arguments.examples)
    for name, result in audits:
        print(f"{name}: {result.profile} profile, {result.seconds:.1f} s\n{result.table()}\n")
    if arguments.json is not None and not write_record(arguments.json, record(audits), PROGRAM):
        return 1
    if arguments.page is not None:
        arguments.page.parent.mkdir(parents=True, exist_ok=True)
        arguments.page.write_text(page(audits), encoding="utf-8")
    unsettled = [row for _, result in audits for row in result.unsettled()]
    for row in unsettled:
        print(f"{PROGRAM}: unsettled: {row.implementation} × {row.theorem_id}: {row.verdict}: {row.detail}", file=sys.stderr)
    return 1 if unsettled else 0


if __name__ == "__main__":
    sys.exit(main())
