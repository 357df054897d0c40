"""What a check records on its way to a verdict (for tests that pin the whole record)."""

from __future__ import annotations

from theorems.evidence import Evidence, observing_evidence


def recorded(check, implementation, example) -> tuple[Evidence, list[Evidence]]:
    """The check's verdict and every Evidence it created on the way."""
    seen: list[Evidence] = []
    with observing_evidence(seen.append):
        verdict = check(implementation, example)
    return verdict, seen
