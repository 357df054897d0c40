"""Per-class tables of the audits of torch.distributions: one row per registered KL pair, per transform.

A run counts its examples per class (``Run.classes``); these tables add, per class, the
worst error-to-tolerance ratio of the examples in it and the library findings recorded
there. Each example's class is the one the engine gave the structured example it checked
(``Evidence.example_class``); a finding's is the class of its recorded example, handed in
(``ReportContext.finding_classes``). Nothing is read back from an example's rendering.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from theorems.evidence import Evidence
from theorems.results import Run

__all__ = ["CLASS_TABLES", "class_rows", "excluded", "findings_by_class"]

# theorem id → the covered assumption its table has a row for each value of
CLASS_TABLES = {"kl-closed-forms": "pair", "log-det-jacobian": "transform", "transform-laws": "transform"}


def excluded(name: str, value: str, assumptions: Any) -> bool:
    """Whether the run's assumptions (``(name, value)`` pairs, as ``--assume`` spelled them) left the class ``name=value`` out."""
    assumed = dict(assumptions or ())
    return name in assumed and str(assumed[name]) != str(value)


def _class_of(evidence: Evidence, name: str) -> str | None:
    return dict(evidence.example_class).get(name)


def class_rows(
    theorem_id: str, run: Run, assumptions: Any = (), findings: Mapping[str, Mapping[str, list[str]]] | None = None
) -> list[dict[str, Any]]:
    """One row per class of ``theorem_id``'s covered assumption: examples, worst ratio, verdict, findings.

    ``findings`` is :func:`findings_by_class`'s (none when not given). A class the run's
    ``assumptions`` left out is "excluded", not "not reached": nothing was asked of it.
    """
    if theorem_id not in CLASS_TABLES or not run.classes:
        return []
    name = CLASS_TABLES[theorem_id]
    worst: dict[str, float] = {}
    for evidence in run.evidence:
        value = _class_of(evidence, name)
        if value is not None:
            worst[value] = max(worst.get(value, 0.0), evidence.ratio)
    falsified = _class_of(run.counterexample, name) if run.counterexample is not None else None
    recorded = (findings or {}).get(theorem_id, {})
    rows = []
    for value, count in run.classes.get(name, {}).items():
        ratio = worst.get(value)
        verdict = (
            "falsified" if value == falsified or (ratio is not None and ratio > 1)
            else "holds" if count else "excluded" if excluded(name, value, assumptions) else "not reached"
        )
        rejected = run.rejected_classes.get(name, {}).get(value, 0)
        rows.append({"class": value, "examples": count, "rejected": rejected, "worst_ratio": ratio, "verdict": verdict, "findings": recorded.get(value, [])})
    return rows


def findings_by_class(findings: Iterable[Any], classes: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, list[str]]]:
    """Per theorem with a class table, per class, the ids of the findings whose recorded example lies in it.

    ``classes`` maps a finding's id to its example's class (``ReportContext.finding_classes``).
    """
    found: dict[str, dict[str, list[str]]] = {}
    for finding in findings:
        name = CLASS_TABLES.get(finding.theorem_id)
        value = classes.get(finding.id, {}).get(name or "")
        if value is not None:
            found.setdefault(finding.theorem_id, {}).setdefault(value, []).append(finding.id)
    return found
