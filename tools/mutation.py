"""The mutation score of the reference implementations: ``make mutation`` writes it.

mutmut (configured in ``pyproject.toml``, ``[tool.mutmut]``) mutates the math modules and
runs the property tests that exercise them under the ``mutation`` Hypothesis profile.
This module reads mutmut's verdicts (``mutmut results --all true``), merges the written
explanation of every surviving mutant judged equivalent
(``tests/mutation_equivalents.json``, keyed by mutant name), and writes ``reports/mutation.json``::

    {"tool": "mutmut 3.8.1", "killed": int, "timed_out": int, "survived": int, "total": int,
     "score": float, "survivors": [{"mutant": str, "explanation": str}], "not_run": int,
     "by_module": {module: {"killed": int, "survived": int, "total": int}},
     "provenance": {…}}

``provenance`` (:mod:`theorems.provenance`) hashes the mutated modules. ``score`` is ``killed / total``, a fraction; ``not_run`` counts mutants an interrupted
run never tried (left out of ``total``).

A mutant counts as killed when the suite failed on it or ran past mutmut's time limit
(an infinite loop is caught, just not quickly; ``timed_out`` says how many of the killed
were caught that way, and ``pyproject.toml`` states the limit); every other verdict (survived, no
tests, suspicious, segfault, not checked) counts as a survivor and must be explained.
The exit status is 1 when a survivor has no explanation, so the command is a gate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from theorems.provenance import provenance

__all__ = ["MutationScore", "main", "parse_results", "score"]

KILLED_STATUSES = frozenset({"killed", "timeout", "caught by type check"})
# Mutants mutmut has not run yet (an interrupted run): neither killed nor survived, so
# left out of the total and reported as a count.
NOT_RUN_STATUSES = frozenset({"not checked", "check was interrupted by user"})
EQUIVALENTS = Path("tests/mutation_equivalents.json")
REPORT = Path("reports/mutation.json")


@dataclass(frozen=True)
class MutationScore:
    """Killed and surviving mutants, each survivor with its explanation (or None)."""

    tool: str
    killed: int
    survivors: tuple[tuple[str, str, str | None], ...]  # (mutant, mutmut status, explanation)
    not_run: int = 0
    timed_out: int = 0
    by_module: tuple[tuple[str, int, int], ...] = ()  # (module, killed, survived)

    @property
    def total(self) -> int:
        return self.killed + len(self.survivors)

    @property
    def unexplained(self) -> list[str]:
        return [mutant for mutant, _, explanation in self.survivors if not explanation]

    def as_json(self) -> dict[str, object]:
        return {
            "tool": self.tool,
            "killed": self.killed,
            "timed_out": self.timed_out,
            "survived": len(self.survivors),
            "total": self.total,
            "score": round(self.killed / self.total, 4) if self.total else 0.0,
            "survivors": [
                {"mutant": mutant, "explanation": explanation or f"UNEXPLAINED (mutmut: {status})"}
                for mutant, status, explanation in self.survivors
            ],
            "not_run": self.not_run,
            "by_module": {
                module: {"killed": killed, "survived": survived, "total": killed + survived}
                for module, killed, survived in self.by_module
            },
        }


def parse_results(text: str) -> dict[str, str]:
    """``{mutant: status}`` from ``mutmut results --all true`` (lines ``    name: status``)."""
    verdicts: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name and "__mutmut_" in name:
            verdicts[name] = status
    return verdicts


def score(verdicts: dict[str, str], explanations: dict[str, str], tool: str) -> MutationScore:
    """Count the killed mutants and pair every survivor with its explanation."""
    killed = sum(status in KILLED_STATUSES for status in verdicts.values())
    survivors = tuple(
        (mutant, status, explanations.get(mutant))
        for mutant, status in sorted(verdicts.items())
        if status not in KILLED_STATUSES | NOT_RUN_STATUSES
    )
    not_run = sum(status in NOT_RUN_STATUSES for status in verdicts.values())
    timed_out = sum(status == "timeout" for status in verdicts.values())
    return MutationScore(
        tool=tool, killed=killed, survivors=survivors, not_run=not_run, timed_out=timed_out, by_module=by_module(verdicts)
    )


def by_module(verdicts: dict[str, str]) -> tuple[tuple[str, int, int], ...]:
    """``(module, killed, survived)`` for each mutated module (``theorems.kl.check.x_f__mutmut_3`` is in ``theorems.kl.check``)."""
    counts: dict[str, list[int]] = {}
    for mutant, status in verdicts.items():
        if status in NOT_RUN_STATUSES:
            continue
        module = mutant.rsplit(".", 1)[0]
        counts.setdefault(module, [0, 0])[0 if status in KILLED_STATUSES else 1] += 1
    return tuple((module, killed, survived) for module, (killed, survived) in sorted(counts.items()))


def mutmut_results() -> str:
    """mutmut's verdict on every mutant it generated, as its CLI prints them."""
    mutmut = Path(sys.executable).with_name("mutmut")
    completed = subprocess.run(
        [str(mutmut), "results", "--all", "true"], check=True, capture_output=True, text=True
    )
    return completed.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--equivalents", type=Path, default=EQUIVALENTS)
    parser.add_argument("--output", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    verdicts = parse_results(mutmut_results())
    if not verdicts:
        print("mutmut has no results: run `mutmut run` first", file=sys.stderr)
        return 1
    explanations: dict[str, str] = json.loads(args.equivalents.read_text()) if args.equivalents.exists() else {}
    result = score(verdicts, explanations, tool=f"mutmut {version('mutmut')}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    # What was measured: the mutated modules, named by mutmut's mutants (theorems.fold.check.x_f__mutmut_1).
    report = result.as_json() | {"provenance": provenance(module for module, _, _ in result.by_module)}
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"mutation score {report['score']:.1%}: {result.killed} of {result.total} mutants killed "
        f"({result.timed_out} by the time limit), "
        f"{len(result.survivors)} survived ({len(result.survivors) - len(result.unexplained)} explained as equivalent)"
        + (f"; {result.not_run} not run yet" if result.not_run else "")
    )
    stale = sorted(set(explanations) - {mutant for mutant, _, _ in result.survivors})
    if stale:
        print(f"{len(stale)} explanations name mutants that no longer survive: {', '.join(stale)}", file=sys.stderr)
    for mutant in result.unexplained:
        print(f"survivor without an explanation: {mutant} (mutmut show {mutant})", file=sys.stderr)
    print(f"wrote {args.output}")
    return 1 if result.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
