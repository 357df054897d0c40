"""What the command prints: the list of theorems, per-check progress, the table of verdicts, the
power of the catalogue of wrong implementations, the symbolic proofs and the closing verdict line.

The command (:mod:`theorems.cli`) decides and exits; this module only renders results it is handed,
as lines a person reads (the report, :mod:`theorems.report`, renders the same results as files).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from theorems.theorem import Theorem

__all__ = ["print_proofs", "print_table", "print_theorems", "print_verify_verdict", "progress_printer", "proof_line"]


def print_theorems(theorems: Sequence[Theorem], *, contracts: bool) -> None:
    """One line per theorem (id, source problem, title); with ``contracts``, each contract and its ``--assume`` names."""
    width = max((len(theorem.id) for theorem in theorems), default=0)
    for theorem in theorems:
        if not contracts:
            print(f"{theorem.id:<{width}}  {theorem.source:<11}  {theorem.title}")
            continue
        print(f"{theorem.id}  ({theorem.source})")
        print(f"  contract: {theorem.contract}")
        for assumption in theorem.assumptions:
            values = "|".join(assumption.spelled(value) for value in assumption.values)
            print(f"  --assume {assumption.name}={values}  ({assumption.meaning})")


def progress_printer() -> Callable[[str, str, Any], None] | None:
    """Per-check progress on a terminal; nothing in CI logs (stderr not a TTY)."""
    if not sys.stderr.isatty():
        return None

    def progress(kind: str, name: str, run: Any) -> None:
        print(f"  {kind} {name}: {run.verdict} ({_examples(run.examples)}, {run.seconds:.1f} s)", file=sys.stderr, flush=True)

    return progress


def _examples(count: int) -> str:
    return f"{count} example" if count == 1 else f"{count} examples"


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return "inf" if value == float("inf") else f"{value:.3g}"


def print_table(verification: Any) -> None:
    """One row per check (verdict, examples, worst ratio, seconds), then the catalogue's power if it was measured."""
    rows = [("check", "verdict", "examples", "worst ratio", "seconds")]
    for result in verification.theorems:
        rows.append((result.theorem_id, result.run.verdict, str(result.run.examples), _ratio(result.run.worst_ratio), f"{result.run.seconds:.2f}"))
    for result in verification.claims:
        want = "" if result.passed else "  (must be falsified)"
        rows.append((f"claim {result.claim_id}", result.run.verdict + want, str(result.run.examples), _ratio(result.run.worst_ratio), f"{result.run.seconds:.2f}"))
    _print_rows(rows)
    if verification.power is not None:
        _print_power(verification)


def _print_rows(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _print_power(verification: Any) -> None:
    """The catalogue of wrong implementations: caught per theorem, smallest counterexample, time."""
    from theorems.report.power import catalogue_summary

    order = tuple(result.theorem_id for result in verification.theorems)
    budget = verification.environment.get("profile", "")
    rows = [("wrong implementations of", f"caught within the {budget} budget", "smallest counterexample (characters)")]
    for row in catalogue_summary(verification.power, order):
        missed = f"  (missed: {', '.join(row.missed)})" if row.missed else ""
        rows.append((row.theorem_id, f"{row.caught} of {row.total}{missed}", "-" if row.smallest_size is None else str(row.smallest_size)))
    print()
    _print_rows(rows)
    caught = sum(result.caught for result in verification.power)
    seconds = sum(result.run.seconds for result in verification.power)
    print(f"power: {caught} of {len(verification.power)} wrong implementations caught ({seconds:.1f} s of checks)")


def proof_line(proof: Any) -> str:
    """``id: proved for <sizes> (s)``, or the verdict and why; a claim's id is marked as one."""
    name = f"claim {proof.id}" if proof.kind == "claim" else proof.id
    if proof.sizes is None:
        return f"{name}: {proof.status}: {proof.reason}"
    want = "" if proof.passed else f"  (must be {proof.expected})"
    if proof.status == "proved":
        return f"{name}: proved for {proof.sizes} ({proof.seconds:.2f} s){want}"
    return f"{name}: {proof.status} for {proof.sizes} ({proof.seconds:.2f} s): {proof.reason}{want}"


def print_proofs(proofs: Sequence[Any]) -> None:
    """The symbolic proofs of ``verify --prove``, after the table."""
    print()
    for proof in proofs:
        print(proof_line(proof))


def print_verify_verdict(verification: Any) -> None:
    """The closing line of ``verify``: everything held (and what else was asked of it), or FAILED and what might not have."""
    if verification.passed:
        claims = " and every transcribed claim is falsified" if verification.claims else ""
        caught = "" if verification.power is None else ", and every wrong implementation is caught"
        print(f"every theorem holds{claims}{caught}")
        return
    not_falsified = " or some transcribed claim was not falsified" if verification.claims else ""
    lost = "" if verification.power is None else ", or some wrong implementation was not caught (the suite lost its power)"
    print(f"FAILED: some theorem does not hold{not_falsified}{lost}")
