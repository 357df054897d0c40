"""The layout refactor (issue 24) changed where code lives, not what it does.

``tests/data/verify_before_layout.json`` was written by the code before the move (commit bc62500):
``theorems verify --only toeplitz-matrix --only gaussian-kl --profile ci --examples 10 --json …``.
The same command now must give the same verdicts, example counts, examples per class and minimal
counterexamples for every theorem, claim and wrong implementation it ran (ci is derandomized:
the examples are fixed, and each of these follows from the examples alone).

A change that is meant to alter examples (a new strategy, a new constant in the source, which
Hypothesis mines for values) rewrites the file with that command, and says why in its commit.

Not the worst ratio: it is the rounding of the examples' arithmetic, in the order BLAS sums on
the CPU at hand. Measured on the same 10 examples of toeplitz-matrix: the file's 0.0495 is what
``matrix @ x`` gives summed in interleaved lanes (any width from 2 to 16, redone in Python);
MKL's dgemv on an AMD EPYC with AVX-512 sums otherwise and gives 0.0219. Each order stays within
γ_n·Σ|w||x| of the exact value, half of the 2γ_n·Σ|w||x| allowed, so a ratio is held to its
theorem's verdict only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from theorems.cli import main

BEFORE = Path(__file__).resolve().parents[1] / "data" / "verify_before_layout.json"
COMMAND = ("verify", "--only", "toeplitz-matrix", "--only", "gaussian-kl", "--profile", "ci", "--examples", "10")


def outcomes(found: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Per theorem, claim and wrong implementation: its verdict, examples (per class, for a theorem) and counterexample."""
    rows: dict[str, tuple[Any, ...]] = {}
    for theorem in found["theorems"]:
        shown = theorem["counterexample"] and theorem["counterexample"]["example"]
        rows[f"theorem {theorem['id']}"] = (theorem["verdict"], theorem["examples"], theorem["classes"], shown)
    for claim in found["claims"]:
        rows[f"claim {claim['id']}"] = (claim["verdict"], claim["examples"], claim["counterexample"] and claim["counterexample"]["example"])
    for wrong in found["power"]["catalogue"]["implementations"]:
        shown = wrong["counterexample"] and wrong["counterexample"]["example"]
        rows[f"wrong {wrong['theorem']} {wrong['name']}"] = (wrong["verdict"], wrong["examples"], shown)
    return rows


@pytest.mark.slow  # a verification with its catalogue and report: about 8 s of CPU
def test_verify_gives_what_it_gave_before_the_layout_moved(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the report goes to its default place, reports/index.html, here
    now = tmp_path / "now.json"
    assert main([*COMMAND, "--json", str(now)]) == 0, capsys.readouterr().out
    before, after = outcomes(json.loads(BEFORE.read_text())), outcomes(json.loads(now.read_text()))
    assert len(before) >= 20
    changed = {key: (before.get(key), after.get(key)) for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert not changed, "\n".join(f"{key}:\n  before {old}\n  now    {new}" for key, (old, new) in sorted(changed.items()))


def test_the_engine_seeds_a_derandomized_run_with_hypothesis_own_digest_of_its_body() -> None:
    """The engine seeds each derandomized run itself, from the body's digest computed once per process
    (theorems._engine.run._body_digest). It must be the digest Hypothesis computes of every run's body,
    closure and all, or ci's examples would move (the test above holds them to what they were)."""
    from hypothesis.internal.reflection import function_digest

    from theorems._engine import run
    from theorems._engine.observe import Tally
    from theorems._engine.registry import get_theorem

    bodies = [run._property(get_theorem(theorem_id), get_theorem(theorem_id).reference, Tally()) for theorem_id in ("toeplitz-matrix", "gaussian-kl")]
    assert {function_digest(body) for body in bodies} == {run._body_digest()}
