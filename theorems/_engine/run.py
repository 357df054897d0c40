"""The one Hypothesis run of a theorem's check on an implementation: :func:`run_check`.

Every route (``theorems verify`` and ``check``, :func:`theorems.check`, the pytest plugin, the
property tests' searches for counterexamples, the catalogue of wrong implementations) runs a
theorem's check through :func:`run_check`, as a Hypothesis test
``@given(theorem.example_strategy(**assume))`` under one of the project's own profiles, named
explicitly: whatever profile a host project has loaded (a 200 ms deadline, say) does not apply.
What a person wants to know about that run is read from Hypothesis's own observations
(:mod:`theorems._engine.observe`). The shrunk example itself comes from Hypothesis's own
shrinking: the test raises on a falsified example, and the exception Hypothesis finally
re-raises is the one from the minimal example.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import Phase, given, settings
from hypothesis.database import ExampleDatabase
from hypothesis.errors import UnsatisfiedAssumption

from theorems._engine.database import database_key
from theorems._engine.observe import Tally, class_counts, classed, example_class, observing, spelled_class
from theorems._engine.observe import class_of as _class_of
from theorems._engine.plan import Slice, check_settings, covered_rows, free_examples
from theorems._engine.preconditions import require_extra
from theorems._engine.registry import all_findings
from theorems._engine.replay import Replay, implementation_name, narrowed
from theorems.calling import DidNotReturn, first_line, time_limit
from theorems.evidence import Evidence, implementation_failure, with_class
from theorems.guard import terminal_interrupts, user_interrupted
from theorems.oracles.false_alarms import examples_in_run
from theorems.results import RECORDED_COUNTEREXAMPLE, Run
from theorems.theorem import InvalidInput, Theorem, Undecided

__all__ = ["Counterexample", "Falsified", "OracleFailure", "find_counterexample", "merged_runs", "run_check"]


class Falsified(AssertionError):
    """Raised in the test body on an example where the implementation fails the check."""

    def __init__(self, evidence: Evidence) -> None:
        super().__init__(evidence.explain())
        self.evidence = evidence


class OracleFailure(Exception):
    """The check itself (oracle, hypotheses, strategy) raised: an ``error`` verdict, not a falsification."""


@dataclass(frozen=True)
class Counterexample:
    """The minimal example Hypothesis found, and the evidence against the implementation there."""

    example: Any
    evidence: Evidence


def run_check(
    theorem: Theorem,
    implementation: Callable[..., Any],
    *,
    profile: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    replay: Replay | None = None,
    phases: Sequence[Phase] | None = None,
    assume: dict[str, Any] | None = None,
    timeout: float | None = None,
    database: ExampleDatabase | None = None,
    part: Slice | None = None,
) -> Run:
    """Run ``theorem.check(implementation, ·)`` over generated examples under ``profile``.

    ``seed`` fixes the examples when the profile is not derandomized (the seed used is
    written into the replay command); ``phases`` as in :func:`~theorems._engine.plan.check_settings`;
    ``assume`` restricts the examples (the theorem's assumptions, already parsed); ``timeout`` is
    the most seconds one call of the implementation may take; ``database`` is a shared
    Hypothesis example database (:mod:`theorems._engine.database`), replayed first and written
    with what this run finds; ``part`` runs only that slice of the examples.

    A theorem with ``cover`` first runs one example restricted to each class (each row of
    the pairwise covering array over the covered assumptions that ``assume`` leaves open;
    Hypothesis draws a class's simplest example first, so the rows are the same in every
    run), stopping at the first that does not hold, then the free search with the rest of
    the budget (at least two examples where the budget has two); the runs are merged.
    """
    require_extra(theorem)
    once = functools.partial(_run_once, theorem, implementation, profile=profile, phases=phases, timeout=timeout, database=database)
    classes = covered_rows(theorem, assume)
    if not classes and part is None:
        return once(max_examples=max_examples, seed=seed, assume=assume, replay=replay)
    budget = max_examples or check_settings(profile, None).max_examples
    free = free_examples(budget, len(classes)) if classes else budget
    planned = len(classes) + free  # a random check's share of α is divided by all of them
    if part is not None:
        classes, free, seed = (classes if part.index == 0 else []), part.share(free), part.seed(seed)
    runs: list[Run] = []
    for restriction, examples, reuse_only in _steps(theorem, implementation, database, assume, classes, free):
        runs.append(
            once(
                max_examples=examples, seed=seed, assume={**(assume or {}), **restriction}, planned=planned, reuse_only=reuse_only,
                replay=narrowed(replay, theorem, restriction),
            )
        )
        if runs[-1].verdict != "holds":
            break
    return merged_runs(runs) if runs else Run(verdict="holds", examples=0, seconds=0.0)


def _steps(
    theorem: Theorem,
    implementation: Callable[..., Any],
    database: ExampleDatabase | None,
    assume: dict[str, Any] | None,
    classes: list[dict[str, Any]],
    free: int,
) -> Iterator[tuple[dict[str, Any], int, bool]]:
    """The runs of a check with covered rows, in order, as (restriction, examples, reuse only).

    First every counterexample saved for this check (the free search's, a row's): one found
    once is the first example of every later run; then one example of each row; then the
    free search. Asked for one at a time: the caller stops at the first run that does not hold.
    """
    if database is not None and classes:
        for restriction in [{}, *classes]:
            if _saved(database, theorem, implementation, {**(assume or {}), **restriction}):
                yield restriction, 1, True
    for restriction in classes:
        yield restriction, 1, False
    if free:
        yield {}, free, False


def _saved(database: ExampleDatabase, theorem: Theorem, implementation: Callable[..., Any], assume: dict[str, Any] | None) -> bool:
    """Whether ``database`` holds examples of this check (Hypothesis refuses a replay of nothing)."""
    key = database_key(theorem.id, implementation_name(implementation), assume)
    return next(iter(database.fetch(key)), None) is not None


@dataclass(frozen=True)
class _Outcome:
    """How one Hypothesis run ended: its verdict, the evidence against the implementation, or the check's error."""

    verdict: str
    counterexample: Evidence | None = None
    error: str | None = None


def _run_once(
    theorem: Theorem,
    implementation: Callable[..., Any],
    *,
    profile: str | None,
    max_examples: int | None,
    seed: int | None,
    replay: Replay | None,
    phases: Sequence[Phase] | None,
    assume: dict[str, Any] | None,
    timeout: float | None,
    database: ExampleDatabase | None = None,
    planned: int | None = None,
    reuse_only: bool = False,
) -> Run:
    """One Hypothesis run of the check (see :func:`run_check`); ``planned`` is the examples of the
    whole run it belongs to (its own ``max_examples`` if None); ``reuse_only`` replays the
    database's examples (shrinking a failure) and generates none."""
    tally = Tally()
    run_settings = _run_settings(theorem, profile, max_examples, (Phase.reuse, Phase.shrink) if reuse_only else phases, database)
    replay_line = replay(seed if not run_settings.derandomize else None) if replay else None
    start = time.perf_counter()
    with observing(tally.observe) as observed, time_limit(timeout), examples_in_run(planned or run_settings.max_examples), terminal_interrupts():
        outcome = _outcome(theorem, implementation, tally, run_settings, seed=seed, assume=assume, database=database, reuse_only=reuse_only)
    seconds = time.perf_counter() - start
    return _run_of(theorem, tally, observed, outcome, seconds=seconds, replay_line=replay_line)


def _run_settings(
    theorem: Theorem, profile: str | None, max_examples: int | None, phases: Sequence[Phase] | None, database: ExampleDatabase | None
) -> settings:
    """The run's settings (:func:`~theorems._engine.plan.check_settings`), without shrinking where the theorem does not shrink."""
    run_settings = check_settings(profile, max_examples, phases=phases, database=database)
    if not theorem.shrinks:
        run_settings = settings(run_settings, phases=[phase for phase in run_settings.phases if phase is not Phase.shrink])
    return run_settings


def _outcome(
    theorem: Theorem,
    implementation: Callable[..., Any],
    tally: Tally,
    run_settings: settings,
    *,
    seed: int | None,
    assume: dict[str, Any] | None,
    database: ExampleDatabase | None,
    reuse_only: bool,
) -> _Outcome:
    """Run the Hypothesis test and say how it ended; every exception of the run becomes a verdict."""
    try:
        _test(theorem, implementation, tally, run_settings, seed=seed, assume=assume, database=database)()
        # Recorded examples lie in the full domain, not necessarily in a restricted one.
        replayed = _recorded_counterexample(theorem, implementation) if not assume and not reuse_only else None
        if replayed is None:
            return _Outcome("holds")
        tally.failing_example, tally.failing_representation = replayed.example, RECORDED_COUNTEREXAMPLE
        return _Outcome("falsified", replayed.evidence)
    except Falsified as falsified:  # raised by the body's last call (the minimal example), whose class was noted last
        return _Outcome("falsified", with_class(falsified.evidence, spelled_class(theorem, tally.body_classes[-1])))
    except DidNotReturn as hang:  # no shrinking: every smaller example might hang as long
        evidence = with_class(hang.evidence(), spelled_class(theorem, (tally.body_classes or [None])[-1]))
        tally.hung(evidence, hang.example)
        return _Outcome("falsified", evidence)
    except OracleFailure as failure:
        return _Outcome("error", error=str(failure).split("\n")[0] + _failing_case(failure))
    except Exception as failure:  # health checks, flakiness, unsatisfiable strategies
        return _Outcome("error", error=f"{type(failure).__name__}: {str(failure).strip().splitlines()[0] if str(failure).strip() else ''}")


def _failing_case(failure: BaseException) -> str:
    """The example an error came from, as Hypothesis notes it on the exception, on one line
    (so that an oracle's failure can be reproduced; empty where Hypothesis noted none)."""
    notes = [note for note in getattr(failure, "__notes__", []) if note.startswith(("Failing test case", "Falsifying example"))]
    return "; failing case: " + " ".join(notes[-1].split()) if notes else ""


def _test(
    theorem: Theorem,
    implementation: Callable[..., Any],
    tally: Tally,
    run_settings: settings,
    *,
    seed: int | None,
    assume: dict[str, Any] | None,
    database: ExampleDatabase | None,
) -> Callable[[], None]:
    """The Hypothesis test of one run: the check as its body, over the theorem's examples under ``assume``."""
    try:
        strategy = theorem.example_strategy(**(assume or {}))
    except Exception as failure:  # the strategy's module is missing or broken
        raise OracleFailure(f"the examples of {theorem.id} ({theorem.examples}) could not be built: {type(failure).__name__}: {failure}") from failure
    test = run_settings(given(strategy)(_property(theorem, implementation, tally)))
    if seed is not None and not run_settings.derandomize:
        test = _seeded(test, seed)
    elif run_settings.derandomize:
        # The seed Hypothesis itself derives from the body's digest for a derandomized run
        # (``Random(int_from_bytes(function_digest(test)))``), digested once per process
        # (:func:`_body_digest`) instead of on every run: the same examples.
        test = _seeded(test, int.from_bytes(_body_digest(), "big"))
    if database is not None:
        # Hypothesis reads this attribute (set by its own ``find``) before digesting the
        # test function, which is the same for every check; the derandomized examples
        # still come from that digest, so ci's examples do not depend on the database.
        test._hypothesis_internal_database_key = database_key(theorem.id, implementation_name(implementation), assume)
    elif run_settings.database is None:
        # Nothing is saved without a database: no key, so Hypothesis does not digest the body for one.
        test._hypothesis_internal_database_key = None
    return test


def _seeded(test: Callable[..., None], seed: int) -> Callable[..., None]:
    """``test`` seeded as ``hypothesis.seed(seed)`` seeds it (the attribute that decorator sets), its database kept.

    The decorator also turns the database off (a seed is for reproducing a failure, it says).
    Every run of a profile that is not derandomized has a seed (dev, thorough: drawn, and printed
    in the replay command), so through it ``--database`` saved and replayed nothing on those
    profiles (measured outside CI, where dev is not derandomized: kl-nonnegativity's ratio_first under dev
    saved no example; under ci, derandomized and unseeded, it saved 10). A run with no database given has none either way.
    """
    test._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    return test


@functools.cache
def _body_digest() -> bytes:
    """Hypothesis's ``function_digest`` of the test body (:func:`_property`'s ``property_holds``), which
    seeds every derandomized run: one source and one signature for every check, so digested once.

    Measured: Hypothesis digesting it itself (``inspect.getsource`` tokenizes the body) for the seed
    and again for the database key, twice for each of the gate's engine runs, was about 2.5 % of the
    CPU cProfile saw in the in-process tests (tests/engine/test_layout_kept_behaviour.py holds ci's
    examples to what they were).
    """
    from hypothesis.internal.reflection import function_digest

    return function_digest(_property(None, None, None))  # type: ignore[arg-type]  # its text, not its closure


def _property(theorem: Theorem, implementation: Callable[..., Any], tally: Tally) -> Callable[[Any], None]:
    """The test body: the check on one example, told to ``tally``; raises :class:`Falsified` where it fails.

    Its source is the seed of every derandomized run (ci): Hypothesis seeds a derandomized test with a
    digest of its body's source (``function_digest``), and every check runs this one body. An edit
    here, even a renamed variable, changes every ci example; tests/engine/test_layout_kept_behaviour.py says
    so. Hence the body keeps the text it had before the engine was split, ``_class_of`` included.
    """

    def property_holds(example: Any) -> None:
        tally.body_calls += 1
        tally.pending = None
        tally.pending_class = _class_of(theorem, example)
        tally.body_classes.append(tally.pending_class)
        try:
            evidence = theorem.check(implementation, example)
        except UnsatisfiedAssumption:  # the check rejected the example (hypothesis.reject): not one of the run's
            raise
        except InvalidInput as error:
            raise OracleFailure(f"a generated example breaks {theorem.id}'s hypotheses: {error}") from error
        except Exception as error:  # the check machinery itself failed; not the implementation's fault
            raise OracleFailure(f"the check of {theorem.id} raised {type(error).__name__}: {error}") from error
        except BaseException as error:
            if _passes_through(error):
                raise
            # No oracle ends the process or raises a bare BaseException: it came from the
            # implementation's code (a returned object's method, a thread it started).
            evidence = implementation_failure(theorem.id, _shown(example), f"raised {type(error).__name__} during the check ({first_line(error)})")
        tally.pending = evidence
        tally.body_evidence.append(evidence)
        if not evidence.holds:
            tally.failing_example = example
            raise Falsified(evidence)

    return property_holds


def _run_of(theorem: Theorem, tally: Tally, observed: bool, outcome: _Outcome, *, seconds: float, replay_line: str | None) -> Run:
    """The :class:`~theorems.results.Run` of one Hypothesis run: what it counted, and how it ended."""
    counted = tally.counted(observed)
    failed = outcome.verdict != "holds"
    return Run(
        verdict=outcome.verdict,
        examples=counted.examples,
        seconds=seconds,
        evidence=classed(theorem, counted.evidence, counted.evidence_classes),
        counterexample=outcome.counterexample,
        representation=tally.failing_representation if failed else None,
        reproduction=tally.reproduction if failed else None,
        replay=replay_line if failed else None,
        error=outcome.error,
        counted_by=counted.counted_by,
        example=tally.failing_example if outcome.verdict == "falsified" else None,
        classes=class_counts(theorem, counted.classes),
        rejected=tally.rejected,
        rejected_classes=class_counts(theorem, tally.rejected_classes, unclassed=True) if tally.rejected else {},
    )


def _passes_through(error: BaseException) -> bool:
    """A BaseException that is not the implementation's doing: the run's time limit, a terminal's
    Ctrl-C, or Hypothesis's own control flow (it stops a test case with a BaseException)."""
    if isinstance(error, DidNotReturn):
        return True
    if isinstance(error, KeyboardInterrupt):
        return user_interrupted()
    return type(error).__module__.startswith("hypothesis")


def _shown(example: Any) -> str:
    """An example as a falsification shows it when the check itself could not say."""
    try:
        return " ".join(repr(example).split())
    except Exception:  # a repr that fails must not hide the falsification
        return f"<{type(example).__name__}>"


def _recorded_counterexample(theorem: Theorem, implementation: Callable[..., Any]) -> Counterexample | None:
    """The first example recorded in ``theorem``'s findings (``theorems/<theorem>/findings.py``) that falsifies ``implementation``.

    A run whose generated examples all held replays the examples on which a real library
    was found wrong, as Hypothesis replays its database: a defect seen once (a rare
    rounding case the generator reaches only when steered) is caught in any run, in the
    library and in any implementation that shares it. After the search, not before it,
    so that an ordinary mistake is still shrunk to its minimal example.
    """
    for finding in all_findings():
        if finding.theorem_id == theorem.id and finding.example is not None:
            try:
                evidence = theorem.check(implementation, finding.example)
            except Undecided:  # the oracle cannot judge this example (a law beyond any sum): no counterexample, and no failure
                continue
            except Exception as error:  # the check machinery itself failed on a recorded example
                raise OracleFailure(f"the check of {theorem.id} raised {type(error).__name__} on the recorded example of {finding.id}: {error}") from error
            if not evidence.holds:
                return Counterexample(finding.example, with_class(evidence, example_class(theorem, finding.example)))
    return None


def merged_runs(runs: list[Run]) -> Run:
    """One run from consecutive runs: counts, times and evidence added; the verdict and counterexample of the last."""
    last = runs[-1]
    return dataclasses.replace(
        last,
        examples=sum(run.examples for run in runs),
        seconds=sum(run.seconds for run in runs),
        evidence=tuple(evidence for run in runs for evidence in run.evidence),
        counted_by=last.counted_by if all(run.counted_by == last.counted_by for run in runs) else "test body",
        classes=_added([run.classes for run in runs]),
        rejected=sum(run.rejected for run in runs),
        rejected_classes=_added([run.rejected_classes for run in runs]),
    )


def _added(counts: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    """Per-class counts of several runs, added value by value."""
    total: dict[str, dict[str, int]] = {}
    for found in counts:
        for name, values in found.items():
            merged = total.setdefault(name, {})
            for value, count in values.items():
                merged[value] = merged.get(value, 0) + count
    return total


def find_counterexample(
    theorem: Theorem, implementation: Callable[..., Any], *, max_examples: int | None = None, profile: str | None = None
) -> Counterexample | None:
    """The shrunk example falsifying ``implementation``, or None if every generated example holds.

    The same run as every other route (:func:`run_check`); a check that itself fails is
    an error here, never a pass.
    """
    run = run_check(theorem, implementation, profile=profile, max_examples=max_examples)
    if run.verdict == "error":
        raise AssertionError(f"the check of {theorem.id} could not run: {run.error}")
    if run.verdict == "holds":
        return None
    return Counterexample(example=run.example, evidence=run.counterexample)
