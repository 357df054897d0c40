"""Machine-readable outputs of a verification: JSON and JUnit XML.

JSON::

    {"passed", "scope": "full" | "only" | "check",
     "theorems": [{"id", "implementation", "domain", "assumptions", "verdict", "examples", "worst_ratio", "seconds", "counterexample", …}],
     "claims": [{"id", "verdict", "counterexample", …}],          (not for check)
     "environment": {…},
     "power": {"catalogue": {…} | null, "calibration", "flakiness", "benchmarks", "mutation"}}   (the whole suite only)

``verdict`` is one of ``holds``, ``falsified``, ``error``; ``worst_ratio`` is the worst
error-to-tolerance ratio, ``null`` when it is infinite (JSON has no infinity: an
implementation that failed outright) or when no example ran; ``counterexample`` is
``null`` or the minimal example with both sides, the error and the tolerance (each ``null`` when infinite) and a replay
command. ``power`` is the power of this suite: ``catalogue`` is ``null`` when the run
did not measure it, else the wrong implementations run through the same checks
(``caught``/``total`` overall and per theorem, the smallest counterexample's size, and
every implementation's verdict); the other four are the measurements handed in, as read
from the files their own commands write under ``reports/`` (:mod:`theorems.report.power`),
or ``{"not_measured": why, "path"}``. ``proofs`` (``verify --prove``) lists each symbolic
proof: ``{"id", "status", "sizes", "seconds", "reason"}``. JUnit XML has one test case per
theorem and per claim, with the same fields as ``<property>`` elements.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from theorems.files import write_atomically
from theorems.report.power import SuiteMeasurements, catalogue_summary
from theorems.results import ClaimResult, Run, TheoremResult, Verification, WrongResult, finite_or_none

__all__ = ["to_json", "write_json", "write_junitxml"]


def counterexample_json(run: Run) -> dict[str, Any] | None:
    evidence = run.counterexample
    if evidence is None:
        return None
    return {
        "example": evidence.example,
        "expected": evidence.expected,
        "actual": evidence.actual,
        "error": finite_or_none(evidence.error),
        "tolerance": finite_or_none(evidence.tolerance),
        "tolerance_reason": evidence.tolerance_reason,
        "failure": evidence.failure,
        "explanation": evidence.explain(),
        "hypothesis_representation": run.representation,
        "replay": run.replay,
        "reproduce_failure": run.reproduction,
    }


def theorem_json(result: TheoremResult) -> dict[str, Any]:
    return {
        "id": result.theorem_id,
        "implementation": result.implementation,
        "domain": "restricted" if result.assumptions else "full",
        "assumptions": dict(result.assumptions),
        "verdict": result.run.verdict,
        "examples": result.run.examples,
        "worst_ratio": finite_or_none(result.run.worst_ratio),
        "seconds": round(result.run.seconds, 4),
        "peak_memory_bytes": result.run.peak_memory,
        "classes": result.run.classes,
        "rejected": result.run.rejected,
        "rejected_classes": result.run.rejected_classes,
        "counterexample": counterexample_json(result.run),
        "error": result.run.error,
    }


def claim_json(result: ClaimResult) -> dict[str, Any]:
    return {
        "id": result.claim_id,
        "theorem": result.theorem_id,
        "verdict": result.run.verdict,
        "examples": result.run.examples,
        "seconds": round(result.run.seconds, 4),
        "counterexample": counterexample_json(result.run),
        "error": result.run.error,
    }


def wrong_json(result: WrongResult) -> dict[str, Any]:
    return {
        "theorem": result.theorem_id,
        "name": result.name,
        "mistake": result.mistake,
        "verdict": result.run.verdict,
        "caught": result.caught,
        "examples": result.run.examples,
        "seconds": round(result.run.seconds, 4),
        "counterexample_size": result.counterexample_size,
        "counterexample": counterexample_json(result.run),
        "error": result.run.error,
    }


def catalogue_json(verification: Verification) -> dict[str, Any] | None:
    if verification.power is None:
        return None
    order = tuple(result.theorem_id for result in verification.theorems)
    return {
        "caught": sum(result.caught for result in verification.power),
        "total": len(verification.power),
        "seconds": round(sum(result.run.seconds for result in verification.power), 4),
        "counterexample_size": "characters in the theorem's rendering of the shrunk example",
        "theorems": [
            {
                "id": row.theorem_id,
                "caught": row.caught,
                "total": row.total,
                "smallest_counterexample_size": row.smallest_size,
                "smallest_counterexample": row.smallest_example,
                "missed": list(row.missed),
            }
            for row in catalogue_summary(verification.power, order)
        ],
        "implementations": [wrong_json(result) for result in verification.power],
    }


def power_json(verification: Verification, measurements: SuiteMeasurements) -> dict[str, Any]:
    return {"catalogue": catalogue_json(verification), **measurements.to_json()}


def proof_json(proof: Any) -> dict[str, Any]:
    """One symbolic proof (``theorems._engine.prove.Proof``), in the shape ``theorems prove --json`` writes."""
    return {"id": proof.id, "status": proof.status, "sizes": proof.sizes, "seconds": round(proof.seconds, 3), "reason": proof.reason}


def to_json(verification: Verification, *, measurements: SuiteMeasurements | None = None) -> dict[str, Any]:
    """The verification as plain data.

    A run of the whole suite (``scope`` ``"full"``) carries the suite's own measurements
    under ``power``, handed in as ``measurements`` (ValueError without them: nothing is read
    here); ``verify --only`` carries only what it ran (its claims, the catalogue if
    measured); ``check`` describes the user's implementation alone (``theorems`` and
    ``environment``, which lists any ``assumptions``).
    """
    if verification.scope == "full" and measurements is None:
        raise ValueError("the JSON of the whole suite carries the suite's measurements: hand them as measurements=")
    found: dict[str, Any] = {
        "passed": verification.passed,
        "scope": verification.scope,
        "theorems": [theorem_json(result) for result in verification.theorems],
    }
    if verification.scope != "check":
        found["claims"] = [claim_json(result) for result in verification.claims]
    found["environment"] = dict(verification.environment)
    if verification.scope == "full" and measurements is not None:  # always, past the check above
        found["power"] = power_json(verification, measurements)
    elif verification.power is not None:
        found["power"] = {"catalogue": catalogue_json(verification)}
    if verification.proofs is not None:
        found["proofs"] = [proof_json(proof) for proof in verification.proofs]
    return found


def write_json(verification: Verification, path: str | os.PathLike[str], *, measurements: SuiteMeasurements | None = None) -> Path:
    return write_atomically(path, json.dumps(to_json(verification, measurements=measurements), indent=2, allow_nan=False) + "\n")


def _testcase(suite: ElementTree.Element, classname: str, name: str, run: Run, wanted: str, fields: dict[str, Any]) -> None:
    case = ElementTree.SubElement(suite, "testcase", classname=classname, name=name, time=f"{run.seconds:.3f}")
    properties = ElementTree.SubElement(case, "properties")
    for key, value in fields.items():
        if value is not None:
            text = value if isinstance(value, str) else json.dumps(value, allow_nan=False)
            ElementTree.SubElement(properties, "property", name=key, value=text)
    if run.verdict == "error":
        ElementTree.SubElement(case, "error", message=run.error or "error").text = run.error
    elif run.verdict != wanted:
        message = f"expected {wanted}, got {run.verdict}"
        detail = run.counterexample.explain() if run.counterexample else message
        if run.replay:
            detail += f"\nreplay: {run.replay}"
        ElementTree.SubElement(case, "failure", message=message).text = detail


def write_junitxml(verification: Verification, path: str | os.PathLike[str]) -> Path:
    """One ``<testcase>`` per theorem and claim; a theorem fails unless it holds, a claim unless falsified."""
    results = [*verification.theorems, *verification.claims]
    failures = sum(1 for r in results if not r.passed and r.run.verdict != "error")
    errors = sum(1 for r in results if r.run.verdict == "error")
    suite = ElementTree.Element(
        "testsuite",
        name="theorems",
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        time=f"{verification.seconds:.3f}",
    )
    environment = ElementTree.SubElement(suite, "properties")
    for key, value in verification.environment.items():
        ElementTree.SubElement(environment, "property", name=key, value=str(value))
    for result in verification.theorems:
        fields = theorem_json(result)
        fields["counterexample"] = fields["counterexample"]["explanation"] if fields["counterexample"] else None
        _testcase(suite, "theorems.theorem", result.theorem_id, result.run, "holds", fields)
    for result in verification.claims:
        fields = claim_json(result)
        fields["counterexample"] = fields["counterexample"]["explanation"] if fields["counterexample"] else None
        _testcase(suite, "theorems.claim", result.claim_id, result.run, "falsified", fields)
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    return write_atomically(path, ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))
