"""What a verification run found: one result per theorem and per transcribed claim.

A theorem's wanted verdict is ``holds``; a claim's is ``falsified`` (it transcribes a
wrong formula, and a claim that is not falsified means the suite lost its power).
``error`` means the checking machinery itself failed (an oracle raised, a generated
example broke the theorem's hypotheses, a Hypothesis health check failed): nothing was
learned about the implementation.

Results round-trip through plain dicts (:meth:`to_dict`/:meth:`from_dict`) so that the
pytest plugin can carry them from xdist workers to the controller.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from theorems.evidence import Evidence

__all__ = ["RECORDED_COUNTEREXAMPLE", "ClaimResult", "Run", "TheoremResult", "Verdict", "Verification", "WrongResult"]

Verdict = Literal["holds", "falsified", "error"]

# A run's representation when its counterexample is one recorded in a theorem's findings,
# replayed after every generated example held (not one Hypothesis generated and shrank).
RECORDED_COUNTEREXAMPLE = "a counterexample recorded in the theorem's findings"
VERDICTS: tuple[Verdict, ...] = ("holds", "falsified", "error")


@dataclass(frozen=True)
class Run:
    """One implementation checked over generated examples.

    ``examples`` counts generated examples (not shrinking); ``evidence`` holds one
    :class:`Evidence` per generated example, in order, each naming its example's class
    (``Evidence.example_class``, counted per class in ``classes``); ``counterexample`` is the evidence
    on the minimal (shrunk) falsifying example, ``representation`` Hypothesis's own
    rendering of it, ``reproduction`` its ``@reproduce_failure`` decorator when
    Hypothesis supplied one, and ``replay`` a command that replays the run.
    ``counted_by`` says whether the counts came from Hypothesis's observability
    callbacks or from the fallback of counting in the test body.
    """

    verdict: Verdict
    examples: int
    seconds: float
    evidence: tuple[Evidence, ...] = ()
    counterexample: Evidence | None = None
    representation: str | None = None
    reproduction: str | None = None
    replay: str | None = None
    error: str | None = None
    counted_by: str = "observability"
    # The shrunk example object itself, for callers in the same process (not serialised).
    example: Any = field(default=None, compare=False, repr=False)
    # Per covered assumption of the theorem, the generated examples on each of its values.
    classes: dict[str, dict[str, int]] = field(default_factory=dict)
    # The peak resident memory of the process while it ran this check, in bytes (None: unknown).
    peak_memory: int | None = None
    # Examples drawn but not checked (rejected by the check, filtered by the strategy), and per class.
    rejected: int = 0
    rejected_classes: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def worst(self) -> Evidence | None:
        """The counterexample if there is one, else the generated example with the largest ratio."""
        if self.counterexample is not None:
            return self.counterexample
        return max(self.evidence, key=lambda evidence: evidence.ratio, default=None)

    @property
    def worst_ratio(self) -> float | None:
        worst = self.worst
        return None if worst is None else worst.ratio

    def to_dict(self) -> dict[str, Any]:
        values = {item.name: getattr(self, item.name) for item in dataclasses.fields(self) if item.name != "example"}
        values["evidence"] = [dataclasses.asdict(evidence) for evidence in self.evidence]
        if self.counterexample is not None:
            values["counterexample"] = dataclasses.asdict(self.counterexample)
        return values

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        values = dict(data)
        values["evidence"] = tuple(_evidence(item) for item in values.get("evidence", ()))
        if values.get("counterexample") is not None:
            values["counterexample"] = _evidence(values["counterexample"])
        return cls(**values)


def _evidence(item: dict[str, Any]) -> Evidence:
    """Evidence from its plain dict; JSON made the example's class (pairs in a tuple) lists of lists."""
    return Evidence(**{**item, "example_class": tuple(tuple(pair) for pair in item.get("example_class", ()))})


@dataclass(frozen=True)
class TheoremResult:
    """A theorem checked on one implementation (the reference, or a user's).

    ``assumptions`` (name, value) restrict the domain the examples came from: the
    verdict holds *on the restricted domain* only.
    """

    theorem_id: str
    implementation: str
    run: Run
    assumptions: tuple[tuple[str, str], ...] = ()

    @property
    def passed(self) -> bool:
        return self.run.verdict == "holds"

    def to_dict(self) -> dict[str, Any]:
        return {
            "theorem_id": self.theorem_id,
            "implementation": self.implementation,
            "run": self.run.to_dict(),
            "assumptions": [list(pair) for pair in self.assumptions],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TheoremResult:
        assumptions = tuple(tuple(pair) for pair in data.get("assumptions", ()))
        return cls(data["theorem_id"], data["implementation"], Run.from_dict(data["run"]), assumptions)


@dataclass(frozen=True)
class ClaimResult:
    """A transcribed claim of the notes, checked by its theorem's check: it must be falsified."""

    claim_id: str
    theorem_id: str
    run: Run

    @property
    def passed(self) -> bool:
        return self.run.verdict == "falsified"

    def to_dict(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "theorem_id": self.theorem_id, "run": self.run.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClaimResult:
        return cls(data["claim_id"], data["theorem_id"], Run.from_dict(data["run"]))


@dataclass(frozen=True)
class WrongResult:
    """A deliberately wrong implementation from the catalogue, run through its theorem's check.

    It is *caught* when the check falsifies it; the size of its minimal counterexample is
    the length of the theorem's own rendering of the shrunk example (``Evidence.example``),
    a measure comparable within one theorem.
    """

    theorem_id: str
    name: str
    mistake: str
    run: Run

    @property
    def caught(self) -> bool:
        return self.run.verdict == "falsified"

    @property
    def counterexample_size(self) -> int | None:
        evidence = self.run.counterexample
        return None if evidence is None else len(evidence.example)

    def to_dict(self) -> dict[str, Any]:
        return {"theorem_id": self.theorem_id, "name": self.name, "mistake": self.mistake, "run": self.run.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WrongResult:
        return cls(data["theorem_id"], data["name"], data["mistake"], Run.from_dict(data["run"]))


@dataclass(frozen=True)
class Verification:
    """Everything one ``theorems verify`` (or ``check``, or pytest session) found.

    ``power`` is the catalogue of wrong implementations run through the same checks, or
    ``None`` when this run did not measure it (``check``, pytest, ``verify --no-power``).
    ``scope`` is ``"full"`` (the whole suite: its report carries the suite's own
    measurements), ``"only"`` (some theorems and their claims) or ``"check"`` (a user's
    implementation, nothing else).
    """

    theorems: tuple[TheoremResult, ...]
    claims: tuple[ClaimResult, ...]
    environment: dict[str, str] = field(default_factory=dict)
    power: tuple[WrongResult, ...] | None = None
    scope: str = "full"
    # The symbolic proofs (theorems._engine.prove.Proof) when this run asked for them (``verify --prove``).
    proofs: tuple[Any, ...] | None = None

    @property
    def passed(self) -> bool:
        """Every theorem holds, every transcribed claim is falsified, every wrong implementation is caught
        and every symbolic proof attempted succeeds."""
        return (
            all(result.passed for result in self.theorems)
            and all(result.passed for result in self.claims)
            and all(result.caught for result in self.power or ())
            and all(proof.passed for proof in self.proofs or ())
        )

    @property
    def seconds(self) -> float:
        return sum(result.run.seconds for result in (*self.theorems, *self.claims, *(self.power or ())))


def finite_or_none(value: float | None) -> float | None:
    """JSON has no infinity or NaN: such values are written as null."""
    return value if value is not None and math.isfinite(value) else None
