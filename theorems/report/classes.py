"""Per-class tables of the audits of torch.distributions: one row per registered KL pair, per transform.

A run counts its examples per class (``Run.classes``); these tables add, per class, the
worst error-to-tolerance ratio of the examples in it and the library findings recorded
there (a finding's own example, classified). The evidence of one example names its class
in its first words (``KL(Gamma(…) ‖ Normal(…))``, ``TanhTransform() at …``).
"""

from __future__ import annotations

import re
from typing import Any

from theorems.results import Run

__all__ = ["CLASS_TABLES", "class_rows", "excluded"]

_PAIR = re.compile(r"^KL\((\w+)\(.*? ‖ (\w+)\(")
_TRANSFORM = re.compile(r"^(\w+?)Transform\(|^(identity_transform)")
# torch routes only Wishart to its generic exponential-family KL.
_STAND_IN = {"Wishart": "ExponentialFamily"}


def _pair_of(example: str) -> str | None:
    found = _PAIR.match(example)
    return None if not found else "-".join(_STAND_IN.get(family, family) for family in found.groups())


def _transform_of(example: str) -> str | None:
    found = _TRANSFORM.match(example)
    return None if not found else ("Identity" if found.group(2) else found.group(1))


# theorem id → (the covered assumption, how an example's text names its class)
CLASS_TABLES = {"kl-closed-forms": ("pair", _pair_of), "log-det-jacobian": ("transform", _transform_of)}


def excluded(name: str, value: str, assumptions: Any) -> bool:
    """Whether the run's assumptions (``(name, value)`` pairs, as ``--assume`` spelled them) left the class ``name=value`` out."""
    assumed = dict(assumptions or ())
    return name in assumed and str(assumed[name]) != str(value)


def class_rows(theorem_id: str, run: Run, assumptions: Any = ()) -> list[dict[str, Any]]:
    """One row per class of ``theorem_id``'s covered assumption: examples, worst ratio, verdict, findings.

    A class the run's ``assumptions`` left out is "excluded", not "not reached": nothing was asked of it.
    """
    if theorem_id not in CLASS_TABLES or not run.classes:
        return []
    name, class_of = CLASS_TABLES[theorem_id]
    worst: dict[str, float] = {}
    for evidence in run.evidence:
        value = class_of(evidence.example)
        if value is not None:
            worst[value] = max(worst.get(value, 0.0), evidence.ratio)
    falsified = class_of(run.counterexample.example) if run.counterexample is not None else None
    findings = _findings_by_class(theorem_id, class_of)
    rows = []
    for value, count in run.classes.get(name, {}).items():
        ratio = worst.get(value)
        verdict = (
            "falsified" if value == falsified or (ratio is not None and ratio > 1)
            else "holds" if count else "excluded" if excluded(name, value, assumptions) else "not reached"
        )
        rejected = run.rejected_classes.get(name, {}).get(value, 0)
        rows.append({"class": value, "examples": count, "rejected": rejected, "worst_ratio": ratio, "verdict": verdict, "findings": findings.get(value, [])})
    return rows


def _findings_by_class(theorem_id: str, class_of: Any) -> dict[str, list[str]]:
    from theorems._engine.registry import all_findings

    found: dict[str, list[str]] = {}
    for finding in all_findings():
        if finding.theorem_id == theorem_id and finding.example is not None:
            found.setdefault(class_of(repr(finding.example)) or "", []).append(finding.id)
    return found
