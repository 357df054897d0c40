"""What Hypothesis did in one run, read from its observations: the examples it generated and rejected.

Hypothesis reports every test case through its observability callbacks (``add_observability_callback``,
or the older ``TESTCASE_CALLBACKS`` list), read here defensively because that interface is young:
which test cases were *generated* (as opposed to replayed or shrunk), which were rejected, and the
representation and ``@reproduce_failure`` blob of the minimal failing example. Where no observation
arrives, the examples are counted in the test body instead, and the count says so
(:meth:`Tally.counted`). The examples of a theorem with covered classes are also counted per class
(:func:`class_counts`), generated and rejected apart.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from theorems.evidence import Evidence, with_class
from theorems.theorem import Theorem

__all__ = ["Counted", "Tally", "class_counts", "class_of", "observing"]

# The phases whose test cases re-run an example already counted (never a new one).
_NOT_GENERATED = ("shrink", "explain", "report")


@dataclass(frozen=True)
class Counted:
    """The generated examples of one run: their evidence, how many, counted by what, and their classes."""

    evidence: tuple[Evidence, ...]
    examples: int
    counted_by: str
    classes: list[dict[str, Any] | None]
    # The class of each piece of ``evidence`` (aligned with it; None where none was noted).
    evidence_classes: tuple[dict[str, Any] | None, ...] = ()


@dataclass
class Tally:
    """What the observations and the test body saw, paired test case by test case."""

    pending: Evidence | None = None
    pending_class: dict[str, Any] | None = None
    body_calls: int = 0
    body_evidence: list[Evidence] = field(default_factory=list)
    body_classes: list[dict[str, Any] | None] = field(default_factory=list)
    observed: int = 0
    generated: list[Evidence | None] = field(default_factory=list)
    generated_classes: list[dict[str, Any] | None] = field(default_factory=list)
    failing_representation: str | None = None
    reproduction: str | None = None
    failing_example: Any = None
    rejected: int = 0
    rejected_classes: list[dict[str, Any] | None] = field(default_factory=list)

    def observe(self, observation: Any, *_thread: Any) -> None:
        """The observability callback: one test case, paired with what the test body saw of it."""
        if _read(observation, "type") != "test_case":
            return
        evidence, self.pending = self.pending, None
        example_class, self.pending_class = self.pending_class, None
        self.observed += 1
        status = _read(observation, "status")
        metadata = _read(observation, "metadata")
        phase = _read(metadata, "phase") or _phase_from_how_generated(_read(observation, "how_generated"))
        if status in ("passed", "failed") and phase not in _NOT_GENERATED:
            self.generated.append(evidence)
            self.generated_classes.append(example_class)
        elif status == "gave_up" and phase not in _NOT_GENERATED:
            # Rejected by the check (hypothesis.reject) or filtered by the strategy: not checked,
            # and counted so that a run cannot look thorough on examples it never checked.
            self.rejected += 1
            self.rejected_classes.append(example_class)
        if status == "failed":
            # The last failing observation is the minimal example Hypothesis re-ran to report.
            self.failing_representation = _read(observation, "representation") or self.failing_representation
            self.reproduction = _read(metadata, "reproduction_decorator") or self.reproduction

    def hung(self, evidence: Evidence, representation: str) -> None:
        """The example a call did not return on: generated (observed already, or not), and the failing one."""
        if self.generated and self.generated[-1] is None:  # observed already, without evidence
            self.generated[-1] = evidence
        else:
            self.generated.append(evidence)
        self.failing_representation = representation

    def counted(self, observed: bool) -> Counted:
        """The generated examples, from the observations where there were any (``observed``: the
        callback was registered), else from the test body: every call up to the first failure."""
        if observed and self.observed:
            kept = [(evidence, found) for evidence, found in itertools.zip_longest(self.generated, self.generated_classes) if evidence is not None]
            return Counted(
                tuple(evidence for evidence, _ in kept), len(self.generated), "observability", self.generated_classes, tuple(found for _, found in kept)
            )
        first_failure = next((i for i, e in enumerate(self.body_evidence) if not e.holds), None)
        checked = self.body_evidence if first_failure is None else self.body_evidence[: first_failure + 1]
        classes = self.body_classes[: len(checked)]
        return Counted(tuple(checked), len(checked), "test body", classes, tuple(classes) + (None,) * (len(checked) - len(classes)))


def _read(source: Any, name: str) -> Any:
    """A field of an observation: attributes in current Hypothesis, dict keys in older ones."""
    if source is None:
        return None
    if isinstance(source, dict):
        return source.get(name)
    return getattr(source, name, None)


def _phase_from_how_generated(how: Any) -> str | None:
    """The phase of a test case that carries none: a shrink step, or the minimal failing example
    that Hypothesis runs once more to report it (an example already counted, not a new one)."""
    if not isinstance(how, str):
        return None
    if "shrink" in how:
        return "shrink"
    return "report" if "minimal failing" in how else None


@contextlib.contextmanager
def observing(callback: Callable[..., None]) -> Iterator[bool]:
    """Register ``callback`` for Hypothesis observations; yield whether that was possible."""
    try:
        from hypothesis.internal import observability
    except ImportError:
        yield False
        return
    add = getattr(observability, "add_observability_callback", None)
    remove = getattr(observability, "remove_observability_callback", None)
    if add is None or remove is None:
        callbacks = getattr(observability, "TESTCASE_CALLBACKS", None)
        if not isinstance(callbacks, list):
            yield False
            return
        add, remove = callbacks.append, callbacks.remove
    # Observability also traces line coverage, which is slow before Python 3.12 and unused
    # here; Hypothesis reads this flag at each run and documents that it may be set.
    had_flag = hasattr(observability, "OBSERVABILITY_COLLECT_COVERAGE")
    saved = getattr(observability, "OBSERVABILITY_COLLECT_COVERAGE", None)
    if had_flag:
        observability.OBSERVABILITY_COLLECT_COVERAGE = False
    add(callback)
    try:
        yield True
    finally:
        remove(callback)
        if had_flag:
            observability.OBSERVABILITY_COLLECT_COVERAGE = saved


def class_of(theorem: Theorem, example: Any) -> dict[str, Any] | None:
    """The example's covered classes, or None when the theorem has no classifier (or it fails on this example)."""
    if not theorem.classify_target:
        return None
    try:
        return theorem.classify(example)
    except Exception:  # a classifier is bookkeeping: it must never decide a verdict
        return None


def spelled_class(theorem: Theorem, found: dict[str, Any] | None) -> dict[str, str]:
    """An example's class (:func:`class_of`) as the counts and the report spell it: each covered assumption's value."""
    return {name: theorem.assumption(name).spelled(value) for name, value in (found or {}).items() if name in theorem.cover}


def example_class(theorem: Theorem, example: Any) -> dict[str, str]:
    """The class of ``example`` (one of ``theorem``'s structured examples), spelled; {} where it has none."""
    return spelled_class(theorem, class_of(theorem, example))


def classed(theorem: Theorem, evidence: Sequence[Evidence], classes: Sequence[dict[str, Any] | None]) -> tuple[Evidence, ...]:
    """Each generated example's evidence with its example's class (noted beside it, test case by test
    case), for the report's per-class tables. Set here, not in the test body: Hypothesis derives a
    derandomized run's examples from the body's source."""
    return tuple(found if example is None else with_class(found, spelled_class(theorem, example)) for found, example in zip(evidence, classes))


# Where a rejected test case goes when it never became an example: Hypothesis gave up on it while
# drawing (a strategy's filter, or a draw over its size budget), before the check could class it.
UNCLASSED = "no class: given up while drawing"


def class_counts(theorem: Theorem, classes: list[dict[str, Any] | None], *, unclassed: bool = False) -> dict[str, dict[str, int]]:
    """Per covered assumption, the examples that fell on each of its values (every value listed, 0 a gap);
    ``unclassed``: those with no class are counted under :data:`UNCLASSED` (rejections), not dropped."""
    if not theorem.cover or not theorem.classify_target:
        return {}
    counts = {name: {theorem.assumption(name).spelled(value): 0 for value in theorem.assumption(name).values} for name in theorem.cover}
    for found in classes:
        spelled = spelled_class(theorem, found)
        for name in counts:
            if name in spelled:
                counts[name][spelled[name]] = counts[name].get(spelled[name], 0) + 1
            elif unclassed:
                counts[name][UNCLASSED] = counts[name].get(UNCLASSED, 0) + 1
    return counts
