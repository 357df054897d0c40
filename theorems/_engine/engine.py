"""Checking an implementation against a theorem under Hypothesis, and reading what happened.

The one engine: every route (``theorems verify`` and ``check``, :func:`theorems.check`,
the pytest plugin, the property tests' searches for counterexamples, the catalogue of
wrong implementations) runs a theorem's check through :func:`run_check`, as a
Hypothesis test ``@given(theorem.example_strategy(**assume))`` under one of the
project's own profiles, named explicitly: whatever profile a host project has loaded
(a 200 ms deadline, say) does not apply. What a person wants to know about that run is taken from Hypothesis
itself, through its observability callbacks (``add_observability_callback``, or the
older ``TESTCASE_CALLBACKS`` list), read defensively because that interface is young:
which test cases were *generated* (as opposed to replayed or shrunk), and the
representation and ``@reproduce_failure`` blob of the minimal failing example. Where no
observation arrives, the counts fall back to counting in the test body (and the
result says so). The shrunk example itself comes from Hypothesis's own shrinking: the
test raises on a falsified example, and the exception Hypothesis finally re-raises is
the one from the minimal example.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import inspect
import itertools
import math
import random
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.database import ExampleDatabase
from hypothesis.errors import UnsatisfiedAssumption

from theorems.calling import DEFAULT_TIMEOUT, DidNotReturn, first_line, time_limit
from theorems.extras import require
from theorems._engine.database import SharedDatabase, database_key
from theorems._engine.environment import environment
from theorems.evidence import Evidence, implementation_failure, with_class
from theorems.guard import terminal_interrupts, user_interrupted
from theorems.oracles.false_alarms import examples_in_run
from theorems._engine.memory import peak_of, release_free_memory
from theorems.profiles import current_profile_name, profile_settings
from theorems._engine.registry import all_claims, all_findings, all_theorems, all_wrong_implementations, get_theorem
from theorems.results import RECORDED_COUNTEREXAMPLE, ClaimResult, Run, TheoremResult, Verification, WrongResult
from theorems.theorem import Claim, InvalidInput, Theorem, WrongImplementation, resolve

__all__ = [
    "Counterexample",
    "Slice",
    "assemble",
    "check_claim",
    "check_implementation",
    "check_settings",
    "check_wrong_implementation",
    "example_class",
    "find_counterexample",
    "implementation_target",
    "merged_slices",
    "observing",
    "require_signature",
    "examples_planned",
    "run_catalogue",
    "run_check",
    "run_task",
    "settle_examples",
    "verify_all",
]

Progress = Callable[[str, str, Run], None]

# A run's replay line from the seed it used and, for a covered row, that row's assumptions (spelled).
Replay = Callable[..., str]

# One check of verify_all, by name: (kind, label, key, options); kind is "theorem", "claim" or "wrong".
Task = tuple[str, str, Any, dict[str, Any]]


@dataclass(frozen=True)
class Slice:
    """Part ``index`` of ``count`` of one check's examples: a cluster's unit of work.

    The covered rows run in part 0 only; the free search's examples are dealt out evenly,
    each part under a seed of its own derived from the run's (:meth:`seed`), so the parts
    draw different examples and the whole is replayed by the run's seed.
    """

    index: int
    count: int

    def share(self, examples: int) -> int:
        """This part's share of ``examples``: the first ``examples % count`` parts take one more."""
        return examples // self.count + (self.index < examples % self.count)

    def seed(self, seed: int | None) -> int | None:
        """The run's seed for part 0 (one part is the in-process run), a derived one for the others."""
        if seed is None or self.index == 0:
            return seed
        digest = hashlib.sha256(f"{seed}:{self.index}".encode()).digest()
        return int.from_bytes(digest[:4], "big")


class Falsified(AssertionError):
    """Raised in the test body on an example where the implementation fails the check."""

    def __init__(self, evidence: Evidence) -> None:
        super().__init__(evidence.explain())
        self.evidence = evidence


class OracleFailure(Exception):
    """The check itself (oracle, hypotheses, strategy) raised: an ``error`` verdict, not a falsification."""


@dataclass
class _Tally:
    """What the observations and the test body saw, paired test case by test case."""

    pending: Evidence | None = None
    pending_class: dict[str, Any] | None = None
    body_calls: int = 0
    body_evidence: list[Evidence] = field(default_factory=list)
    body_classes: list[dict[str, Any]] = field(default_factory=list)
    observed: int = 0
    generated: list[Evidence | None] = field(default_factory=list)
    generated_classes: list[dict[str, Any] | None] = field(default_factory=list)
    failing_representation: str | None = None
    reproduction: str | None = None
    failing_example: Any = None
    rejected: int = 0
    rejected_classes: list[dict[str, Any] | None] = field(default_factory=list)

    def observe(self, observation: Any, *_thread: Any) -> None:
        if _read(observation, "type") != "test_case":
            return
        evidence, self.pending = self.pending, None
        example_class, self.pending_class = self.pending_class, None
        self.observed += 1
        status = _read(observation, "status")
        metadata = _read(observation, "metadata")
        phase = _read(metadata, "phase") or _phase_from_how_generated(_read(observation, "how_generated"))
        if status in ("passed", "failed") and phase not in ("shrink", "explain", "report"):
            self.generated.append(evidence)
            self.generated_classes.append(example_class)
        elif status == "gave_up" and phase not in ("shrink", "explain", "report"):
            # Rejected by the check (hypothesis.reject) or filtered by the strategy: not checked,
            # and counted so that a run cannot look thorough on examples it never checked.
            self.rejected += 1
            self.rejected_classes.append(example_class)
        if status == "failed":
            # The last failing observation is the minimal example Hypothesis re-ran to report.
            self.failing_representation = _read(observation, "representation") or self.failing_representation
            self.reproduction = _read(metadata, "reproduction_decorator") or self.reproduction


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


def implementation_target(implementation: Callable[..., Any]) -> str | None:
    """``module:qualname`` naming ``implementation``, if importing it gives it back; ``path/to/file.py:qualname``
    where the module was imported from a folder that the command, run from this folder, would not
    search (a test module that pytest imported from ``tests/``)."""
    module = getattr(implementation, "__module__", None)
    qualname = getattr(implementation, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return None
    target = f"{module}:{qualname}"
    try:
        if resolve(target) is not implementation:
            return None
    except Exception:  # any import or attribute failure means it cannot be named
        return None
    path = _file_of(module)
    return target if path is None else f"{path}:{qualname}"


def _file_of(module_name: str) -> str | None:
    """The file of ``module_name`` (relative to this folder where it lies below it), when the command
    run from this folder could not import it by name; None when it can (an installed package, the
    standard library, a module below this folder)."""
    import os
    import sys
    import sysconfig
    from pathlib import Path

    file = getattr(sys.modules.get(module_name), "__file__", None)
    if not file:
        return None
    here = Path.cwd().resolve()
    found = Path(file).resolve()
    depth = module_name.count(".") + (1 if found.name == "__init__.py" else 0)
    root = found.parents[depth]  # the folder the module was imported from
    installed = {Path(path).resolve() for key, path in sysconfig.get_paths().items() if key in ("stdlib", "platstdlib", "purelib", "platlib")}
    if root == here or root in installed or "site-packages" in root.parts or "dist-packages" in root.parts:
        return None
    return os.path.relpath(found, here) if found.is_relative_to(here) else str(found)


def replay_command(
    theorem_id: str,
    target: str | None,
    *,
    profile: str,
    seed: int | None,
    examples: int | None,
    assume: dict[str, str] | None = None,
    timeout: float | None = None,
) -> str:
    """The command that re-runs exactly these examples (``ci`` is derandomized; else the seed fixes them);
    ``assume`` as the command spells it (:func:`spelled`).

    An implementation no import names (a lambda, a closure, a bound method, a
    ``functools.partial``) is replayed by the Python call that checks it, with the callable
    in place of ``<your callable>``.
    """
    if target is None:
        keywords = [f"profile={profile!r}"] + ([f"seed={seed}"] if seed is not None else []) + ([f"examples={examples}"] if examples is not None else [])
        if assume:
            values = {name: _api_value(value) for name, value in assume.items()}
            keywords.append(f"assume={values!r}")
        if timeout is not None and timeout != DEFAULT_TIMEOUT:
            keywords.append(f"timeout={timeout:g}")
        return f"theorems.check({theorem_id!r}, <your callable>, {', '.join(keywords)})"
    words = ["theorems", "check", theorem_id, "--impl", target, "--profile", profile]
    if seed is not None:
        words += ["--seed", str(seed)]
    if examples is not None:
        words += ["--examples", str(examples)]
    for name, value in (assume or {}).items():
        words += ["--assume", f"{name}={value}"]
    if timeout is not None and timeout != DEFAULT_TIMEOUT:
        words += ["--timeout", f"{timeout:g}"]
    return shlex.join(words)


def without_explain(phases: Sequence[Phase]) -> tuple[Phase, ...]:
    """``phases`` less Hypothesis's explain phase.

    Explain reports which parts of a failing example matter; nothing here shows it (a
    counterexample is shown as its Evidence), and it costs most of a failing run's time
    (measured 20 s of 24 s for a search, 2.6 s of 3.2 s for a check whose oracle raised)
    while changing neither the verdict nor the shrunk example.
    """
    return tuple(phase for phase in phases if phase is not Phase.explain)


def check_settings(
    profile: str | None, max_examples: int | None, *, phases: Sequence[Phase] | None = None, database: ExampleDatabase | None = None
) -> settings:
    """The settings of one check: the named profile's (default: the loaded one, if it is the project's).

    No database unless one is given (a check must not replay someone else's failures
    unless asked to: ``--database``, shared on purpose), no deadline (timing is
    measured by benchmarks; a hang is caught by the time limit), one bug, no explain phase
    (:func:`without_explain`); ``phases`` overrides the profile's.
    """
    base = profile_settings(profile or current_profile_name())
    return settings(
        base,
        max_examples=max_examples or base.max_examples,
        database=database,
        deadline=None,
        report_multiple_bugs=False,
        # filter_too_much: a strategy restricted by --assume may filter most of its draws (the audited
        # references no longer reject: inside a finding they are held to its error model).
        suppress_health_check=[*base.suppress_health_check, HealthCheck.too_slow, HealthCheck.filter_too_much],
        phases=without_explain(base.phases) if phases is None else tuple(phases),
    )


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
    written into the replay command); ``phases`` as in :func:`check_settings`; ``assume``
    restricts the examples (the theorem's assumptions, already parsed); ``timeout`` is
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
    common = dict(profile=profile, replay=replay, phases=phases, timeout=timeout, database=database)
    classes = covered_rows(theorem, assume)
    if not classes and part is None:
        return _run_once(theorem, implementation, max_examples=max_examples, seed=seed, assume=assume, **common)
    budget = max_examples or check_settings(profile, None).max_examples
    free = _free_examples(budget, len(classes)) if classes else budget
    planned = len(classes) + free  # a random check's share of α is divided by all of them
    if part is not None:
        classes, free, seed = (classes if part.index == 0 else []), part.share(free), part.seed(seed)
    runs = []
    # Every counterexample saved for this check (the free search's, a row's) before the rows:
    # one found once is the first example of every later run.
    for restriction in [{}, *classes] if database is not None and classes else []:
        narrowed = {**(assume or {}), **restriction}
        if _saved(database, theorem, implementation, narrowed):
            replay_narrowed = _narrowed(replay, theorem, restriction)
            runs.append(_run_once(theorem, implementation, max_examples=1, seed=seed, assume=narrowed, planned=planned, reuse_only=True, **{**common, "replay": replay_narrowed}))
            if runs[-1].verdict != "holds":
                return _merged(runs)
    for restriction in classes:
        run = _run_once(
            theorem, implementation, max_examples=1, seed=seed, assume={**(assume or {}), **restriction}, planned=planned,
            **{**common, "replay": _narrowed(replay, theorem, restriction)},
        )
        runs.append(run)
        if run.verdict != "holds":
            return _merged(runs)
    if free:
        runs.append(_run_once(theorem, implementation, max_examples=free, seed=seed, assume=assume, planned=planned, **common))
    return _merged(runs) if runs else Run(verdict="holds", examples=0, seconds=0.0)


def _narrowed(replay: Replay | None, theorem: Theorem, restriction: dict[str, Any]) -> Replay | None:
    """The replay of a run restricted to one covered row: the check's, with the row's values among its assumptions."""
    if replay is None or not restriction:
        return replay
    return lambda used, row=None: replay(used, {**spelled(theorem, restriction), **(row or {})})


def spelled(theorem: Theorem, assume: dict[str, Any] | None) -> dict[str, str]:
    """Assumptions as the command line spells them (``dims=2``, ``affine=true``, ``dtype=float32``)."""
    return {name: theorem.assumption(name).spelled(value) for name, value in (assume or {}).items()}


def _api_value(word: str) -> Any:
    """An assumption's value as ``theorems.check(assume=...)`` takes it: ``2``, ``True``, ``'float32'``."""
    if word in ("true", "false"):
        return word == "true"
    return int(word) if word.isdigit() else word


def _saved(database: ExampleDatabase, theorem: Theorem, implementation: Callable[..., Any], assume: dict[str, Any] | None) -> bool:
    """Whether ``database`` holds examples of this check (Hypothesis refuses a replay of nothing)."""
    key = database_key(theorem.id, _implementation_name(implementation), assume)
    return next(iter(database.fetch(key)), None) is not None


def covered_rows(theorem: Theorem, assume: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The covering rows a run under ``assume`` draws one example of each (rows ``assume`` excludes are skipped)."""
    return [row for row in theorem.cover_classes(assume) if _possible(theorem, {**(assume or {}), **row})]


def _free_examples(budget: int, rows: int) -> int:
    """The free search keeps up to two examples whatever the rows took: Hypothesis tries each
    class's simplest example first (the rows are the same in every run), so a second free
    example is the one that varies with the seed."""
    return max(min(budget, 2), budget - rows)


def examples_planned(theorem: Theorem, budget: int, assume: dict[str, Any] | None = None) -> int:
    """How many examples a holding run of ``theorem`` with ``budget`` generates: the covered rows, then the free search."""
    rows = len(covered_rows(theorem, assume))
    return budget if not rows else rows + _free_examples(budget, rows)


def _possible(theorem: Theorem, restriction: dict[str, Any]) -> bool:
    """Whether the examples can be restricted so: a covered row that the user's own assumptions
    exclude (``groups=2`` leaves no example with ``grouping=none``) is skipped, not an error."""
    from hypothesis.errors import InvalidArgument

    try:
        theorem.example_strategy(**restriction).validate()
    except InvalidArgument:
        return False
    except Exception:  # a broken strategy is reported by the run itself, with its reason
        return True
    return True


def _merged(runs: list[Run]) -> Run:
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
    tally = _Tally()

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

    if reuse_only:
        phases = (Phase.reuse, Phase.shrink)
    run_settings = check_settings(profile, max_examples, phases=phases, database=database)
    if not theorem.shrinks:
        run_settings = settings(run_settings, phases=[phase for phase in run_settings.phases if phase is not Phase.shrink])
    replay_line = replay(seed if not run_settings.derandomize else None) if replay else None

    start = time.perf_counter()
    counterexample: Evidence | None = None
    error: str | None = None
    with observing(tally.observe) as observed, time_limit(timeout), examples_in_run(planned or run_settings.max_examples), terminal_interrupts():
        try:
            try:
                strategy = theorem.example_strategy(**(assume or {}))
            except Exception as failure:  # the strategy's module is missing or broken
                raise OracleFailure(f"the examples of {theorem.id} ({theorem.examples}) could not be built: {type(failure).__name__}: {failure}") from failure
            test = run_settings(given(strategy)(property_holds))
            if seed is not None and not run_settings.derandomize:
                test = hypothesis.seed(seed)(test)
            if database is not None:
                # Hypothesis reads this attribute (set by its own ``find``) before digesting the
                # test function, which is the same for every check; the derandomized examples
                # still come from that digest, so ci's examples do not depend on the database.
                test._hypothesis_internal_database_key = database_key(theorem.id, _implementation_name(implementation), assume)
            test()
            verdict = "holds"
            # Recorded examples lie in the full domain, not necessarily in a restricted one.
            replayed = _recorded_counterexample(theorem, implementation) if not assume and not reuse_only else None
            if replayed is not None:
                verdict, counterexample = "falsified", replayed.evidence
                tally.failing_example, tally.failing_representation = replayed.example, RECORDED_COUNTEREXAMPLE
        except Falsified as falsified:  # raised by the body's last call (the minimal example), whose class was noted last
            verdict, counterexample = "falsified", with_class(falsified.evidence, spelled_class(theorem, tally.body_classes[-1]))
        except DidNotReturn as hang:  # no shrinking: every smaller example might hang as long
            verdict, counterexample = "falsified", with_class(hang.evidence(), spelled_class(theorem, (tally.body_classes or [None])[-1]))
            if tally.generated and tally.generated[-1] is None:  # observed already, without evidence
                tally.generated[-1] = counterexample
            else:
                tally.generated.append(counterexample)
            tally.failing_representation = hang.example
        except OracleFailure as failure:
            verdict, error = "error", str(failure).split("\n")[0]
        except Exception as failure:  # health checks, flakiness, unsatisfiable strategies
            verdict, error = "error", f"{type(failure).__name__}: {str(failure).strip().splitlines()[0] if str(failure).strip() else ''}"
    seconds = time.perf_counter() - start

    if observed and tally.observed:
        generated = _classed(theorem, tally.generated, tally.generated_classes)
        examples, counted_by = len(tally.generated), "observability"
        classes = tally.generated_classes
    else:
        # Fallback: every body call up to the first failure was a generated example.
        first_failure = next((i for i, e in enumerate(tally.body_evidence) if not e.holds), None)
        generated = tally.body_evidence if first_failure is None else tally.body_evidence[: first_failure + 1]
        examples, counted_by = len(generated), "test body"
        classes = tally.body_classes[: len(generated)]
        generated = _classed(theorem, generated, classes)
    return Run(
        verdict=verdict,
        examples=examples,
        seconds=seconds,
        evidence=tuple(generated),
        counterexample=counterexample,
        representation=tally.failing_representation if verdict != "holds" else None,
        reproduction=tally.reproduction if verdict != "holds" else None,
        replay=replay_line if verdict != "holds" else None,
        error=error,
        counted_by=counted_by,
        example=tally.failing_example if verdict == "falsified" else None,
        classes=_class_counts(theorem, classes),
        rejected=tally.rejected,
        rejected_classes=_class_counts(theorem, tally.rejected_classes) if tally.rejected else {},
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


def _implementation_name(implementation: Callable[..., Any]) -> str:
    """``module:qualname`` where it imports back, else what Python calls it (a database key's part)."""
    return implementation_target(implementation) or f"{getattr(implementation, '__module__', '?')}:{getattr(implementation, '__qualname__', repr(implementation))}"


def _class_of(theorem: Theorem, example: Any) -> dict[str, Any] | None:
    """The example's covered classes, or None when the theorem has no classifier (or it fails on this example)."""
    if not theorem.classify_target:
        return None
    try:
        return theorem.classify(example)
    except Exception:  # a classifier is bookkeeping: it must never decide a verdict
        return None


def spelled_class(theorem: Theorem, found: dict[str, Any] | None) -> dict[str, str]:
    """An example's class (:func:`_class_of`) as the counts and the report spell it: each covered assumption's value."""
    return {name: theorem.assumption(name).spelled(value) for name, value in (found or {}).items() if name in theorem.cover}


def example_class(theorem: Theorem, example: Any) -> dict[str, str]:
    """The class of ``example`` (one of ``theorem``'s structured examples), spelled; {} where it has none."""
    return spelled_class(theorem, _class_of(theorem, example))


def _classed(theorem: Theorem, evidence: Sequence[Evidence | None], classes: Sequence[dict[str, Any] | None]) -> list[Evidence]:
    """The evidence of the generated examples, each with its example's class (noted beside it, test
    case by test case), for the report's per-class tables. Set here, not in the test body: Hypothesis
    derives a derandomized run's examples from the body's source."""
    return [
        found if example is None else with_class(found, spelled_class(theorem, example))
        for found, example in itertools.zip_longest(evidence, classes)
        if found is not None
    ]


def _class_counts(theorem: Theorem, classes: list[dict[str, Any] | None]) -> dict[str, dict[str, int]]:
    """Per covered assumption, the examples that fell on each of its values (every value listed, 0 a gap)."""
    if not theorem.cover or not theorem.classify_target:
        return {}
    counts = {name: {theorem.assumption(name).spelled(value): 0 for value in theorem.assumption(name).values} for name in theorem.cover}
    for found in classes:
        for name, spelled in spelled_class(theorem, found).items():
            counts[name][spelled] = counts[name].get(spelled, 0) + 1
    return counts


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
            except Exception as error:  # the check machinery itself failed on a recorded example
                raise OracleFailure(f"the check of {theorem.id} raised {type(error).__name__} on the recorded example of {finding.id}: {error}") from error
            if not evidence.holds:
                return Counterexample(finding.example, with_class(evidence, example_class(theorem, finding.example)))
    return None


@dataclass(frozen=True)
class Counterexample:
    """The minimal example Hypothesis found, and the evidence against the implementation there."""

    example: Any
    evidence: Evidence


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


# A claim is a search for one counterexample, which stops at the first: a wrong formula
# costs little however large the budget, so it gets at least this many examples (the
# property tests of the claims search 200), whatever --examples says: a small --examples
# (a quick look at the theorems) would otherwise report a wrong formula as holding.
CLAIM_SEARCH_EXAMPLES = 200


def theorem_budget(theorem: Theorem, max_examples: int | None, profile: str | None = None) -> int:
    """``max_examples`` if given, else the profile's scaled by ``theorem.example_fraction``
    (under ``thorough``, at least ``theorem.thorough_per_class`` per covered class).

    A costly theorem (a whole network per example) runs the same share of the profile
    as its property tests do.
    """
    if max_examples is not None:
        return max_examples
    name = profile or current_profile_name()
    budget = max(1, math.ceil(profile_settings(name).max_examples * theorem.example_fraction))
    if name == "thorough" and theorem.thorough_per_class:
        budget = max(budget, theorem.thorough_per_class * max(1, len(theorem.cover_classes())))
    return budget


def require_extra(theorem: Theorem) -> None:
    """The extra of the package ``theorem``'s examples need, or :class:`theorems.extras.MissingExtra` naming it."""
    if theorem.extra is not None:
        require(theorem.extra, f"the theorem {theorem.id}")


def require_consistent(theorem: Theorem, assume: dict[str, Any]) -> None:
    """Raise InvalidInput (one line) if ``assume`` contradicts itself: a covered class that the other
    assumptions leave no example of (``dim=2`` with ``dimension=3+``), decided from an example drawn
    under all of them and classified, as the report classifies every example."""
    given = [name for name in theorem.cover if name in assume]
    if len(assume) < 2 or not given or not theorem.classify_target:
        return
    from hypothesis import find
    from hypothesis.errors import InvalidArgument, NoSuchExample

    try:
        example = find(
            theorem.example_strategy(**assume), lambda _: True,
            settings=settings(database=None, derandomize=True, max_examples=10, phases=[Phase.generate], suppress_health_check=list(HealthCheck)),
        )
    except (InvalidArgument, NoSuchExample):
        raise InvalidInput(f"--assume {', '.join(f'{n}={theorem.assumption(n).spelled(v)}' for n, v in assume.items())} leaves no example") from None
    found = theorem.classify(example)
    for name in given:
        wanted, drawn = theorem.assumption(name).spelled(assume[name]), theorem.assumption(name).spelled(found.get(name))
        if wanted != drawn:
            others = ", ".join(f"{n}={theorem.assumption(n).spelled(v)}" for n, v in assume.items() if n != name)
            raise InvalidInput(f"--assume {name}={wanted} contradicts {others}: their examples have {name}={drawn}")


def require_signature(theorem: Theorem, implementation: Callable[..., Any], name: str) -> None:
    """Raise InvalidInput (one line) if ``implementation`` cannot be called with the contract's arguments.

    Decided from ``inspect.signature`` before any example runs; a callable whose
    signature Python cannot read (some builtins) is let through to the check.
    """
    if not callable(implementation):
        raise InvalidInput(f"{name} is not callable (it is a {type(implementation).__name__})")
    try:
        signature = inspect.signature(implementation)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*theorem.parameters)
    except TypeError as error:
        wanted = ", ".join(theorem.parameters)
        raise InvalidInput(
            f"{name}{signature} cannot be called as {theorem.id}'s contract calls it, with ({wanted}): {error}"
        ) from None


def check_implementation(
    theorem: Theorem,
    implementation: Callable[..., Any],
    *,
    target: str | None = None,
    profile: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    assume: dict[str, Any] | None = None,
    timeout: float | None = None,
    database: ExampleDatabase | None = None,
    part: Slice | None = None,
) -> TheoremResult:
    """Check ``implementation`` (named ``target``, ``MODULE:ATTR``) against ``theorem``.

    ``assume`` restricts the domain (names and values of ``theorem.assumptions``, checked
    here); ``timeout`` bounds each call of the implementation; ``database`` and ``part``
    as in :func:`run_check`.
    """
    profile = profile or current_profile_name()
    target = target or implementation_target(implementation)
    parsed = theorem.parse_assumptions(assume)
    budget = theorem_budget(theorem, max_examples, profile)
    examples = max_examples if part is None else _part_examples(theorem, budget, parsed, part)
    run = run_check(
        theorem,
        implementation,
        profile=profile,
        max_examples=budget,
        seed=seed,
        replay=lambda used, row=None: replay_command(
            theorem.id, target, profile=profile, seed=used, examples=examples, assume={**spelled(theorem, parsed), **(row or {})}, timeout=timeout
        ),
        assume=parsed,
        timeout=timeout,
        database=database,
        part=part,
    )
    assumptions = tuple((name, theorem.assumption(name).spelled(value)) for name, value in parsed.items())
    return TheoremResult(theorem.id, target or repr(implementation), run, assumptions)


# A claim is a search for one counterexample, which stops at the first: a wrong formula
# costs little however large the budget, so it gets at least this many examples (the
# property tests of the claims search 200), whatever --examples says: a small --examples
# (a quick look at the theorems) would otherwise report a wrong formula as holding.
CLAIM_SEARCH_EXAMPLES = 200


def _part_examples(theorem: Theorem, budget: int, assume: dict[str, Any] | None, part: Slice) -> int:
    """``--examples`` that replays one part on one machine under the part's seed: the covered rows
    (the same in every run) and the part's share of the free search, one Hypothesis run of that size."""
    rows = len(covered_rows(theorem, assume))
    free = _free_examples(budget, rows) if rows else budget
    return rows + part.share(free)


def search_budget(profile: str, max_examples: int | None = None) -> int:
    """Examples for a search that must find a counterexample: the larger of the profile's and 200."""
    return max(max_examples or 0, profile_settings(profile).max_examples, CLAIM_SEARCH_EXAMPLES)


def check_claim(
    claim: Claim,
    *,
    profile: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    database: ExampleDatabase | None = None,
    part: Slice | None = None,
) -> ClaimResult:
    """Check a transcribed claim with its theorem's check: the wanted verdict is ``falsified``."""
    profile = profile or current_profile_name()
    try:
        theorem = get_theorem(claim.theorem_id)
    except InvalidInput as error:
        return ClaimResult(claim.id, claim.theorem_id, Run(verdict="error", examples=0, seconds=0.0, error=str(error)))
    target = claim.implementation_target
    budget = search_budget(profile, max_examples)
    examples = budget if part is None else _part_examples(theorem, budget, None, part)
    run = run_check(
        theorem,
        claim.implementation,
        profile=profile,
        max_examples=budget,
        seed=seed,
        replay=lambda used, row=None: replay_command(theorem.id, target, profile=profile, seed=used, examples=examples, assume=row),
        database=database,
        part=part,
    )
    return ClaimResult(claim.id, claim.theorem_id, run)


def check_wrong_implementation(
    wrong: WrongImplementation,
    *,
    profile: str | None = None,
    seed: int | None = None,
    database: ExampleDatabase | None = None,
    part: Slice | None = None,
) -> WrongResult:
    """Run a wrong implementation through its theorem's check: the wanted verdict is ``falsified``.

    The catalogue measures the power of the gate itself: each runs at the profile's own
    budget for its theorem (what ``verify`` and ``check`` spend on a user's
    implementation), whatever ``--examples`` says (a tiny ``--examples`` would otherwise
    report lost power that is not lost).
    """
    profile = profile or current_profile_name()
    try:
        theorem = get_theorem(wrong.theorem_id)
    except InvalidInput as error:
        return WrongResult(wrong.theorem_id, wrong.name, wrong.mistake, Run(verdict="error", examples=0, seconds=0.0, error=str(error)))
    target = implementation_target(wrong.implementation)
    budget = theorem_budget(theorem, None, profile)
    examples = budget if part is None else _part_examples(theorem, budget, None, part)
    run = run_check(
        theorem,
        wrong.implementation,
        profile=profile,
        max_examples=budget,
        seed=seed,
        replay=lambda used, row=None: replay_command(theorem.id, target, profile=profile, seed=used, examples=examples, assume=row),
        database=database,
        part=part,
    )
    return WrongResult(wrong.theorem_id, wrong.name, wrong.mistake, run)


def run_catalogue(
    *,
    profile: str | None = None,
    seed: int | None = None,
    theorem_ids: tuple[str, ...] | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
) -> tuple[WrongResult, ...]:
    """Every wrong implementation of the catalogue (:mod:`theorems.catalogue`) of these theorems, checked."""
    profile = profile or current_profile_name()
    wrongs = [wrong for wrong in all_wrong_implementations() if theorem_ids is None or wrong.theorem_id in theorem_ids]
    tasks: list[Task] = [("wrong", f"{wrong.theorem_id}: {wrong.name}", (wrong.theorem_id, wrong.name), {}) for wrong in wrongs]
    return tuple(_reported(tasks, _run_tasks(tasks, profile=profile, seed=seed, jobs=jobs), progress))


def _reported(tasks: list[Task], results: Iterator[Any], progress: Progress | None) -> Iterator[Any]:
    for (kind, label, _, _), result in zip(tasks, results):
        if progress:
            progress(kind, label, result.run)
        yield result


Result = TheoremResult | ClaimResult | WrongResult


def run_task(
    kind: str,
    key: Any,
    options: dict[str, Any],
    profile: str,
    seed: int | None,
    *,
    database: SharedDatabase | None = None,
    part: Slice | None = None,
) -> Result:
    """One check of :func:`verify_all` by name, or one ``part`` of it (so that a worker process or
    a Dask worker can run it); ``database`` is opened in the process that runs the check."""
    settle_examples()
    with peak_of() as peak:
        result = _run_task(kind, key, options, profile, seed, database=database, part=part)
        # Only a user's check hands its shrunk example back (theorems check: the process that found
        # it); a verification keeps none, so that a whole network per falsified wrong fold is not
        # kept to the end (measured: 0.6 GB each, 5.5 GB for the catalogue). The collection frees
        # the cycles a falsification leaves (traceback ↔ frames holding the example's tensors).
        keep = kind == "user" and not jobs_worker()
        result = dataclasses.replace(result, run=dataclasses.replace(result.run, example=result.run.example if keep else None))
        gc.collect()
    release_free_memory()
    return dataclasses.replace(result, run=dataclasses.replace(result.run, peak_memory=peak[0]))


def _run_task(kind: str, key: Any, options: dict[str, Any], profile: str, seed: int | None, *, database: SharedDatabase | None, part: Slice | None) -> Result:
    shared = {"database": database.open() if database else None, "part": part}
    if kind == "theorem":
        theorem = get_theorem(key)
        result = check_implementation(theorem, theorem.reference, target=theorem.reference_target, profile=profile, seed=seed, **options, **shared)
    elif kind == "claim":
        result = check_claim(next(claim for claim in all_claims() if claim.id == key), profile=profile, seed=seed, **options, **shared)
    elif kind == "wrong":
        wrong = next(w for w in all_wrong_implementations() if (w.theorem_id, w.name) == key)
        result = check_wrong_implementation(wrong, profile=profile, seed=seed, **shared)
    else:  # a user's implementation, named by its import target (``theorems check``)
        theorem = get_theorem(key[0])
        implementation = resolve(key[1])  # key[2], the folder it imports from, is on sys.path already
        result = check_implementation(theorem, implementation, target=key[1], profile=profile, seed=seed, **options, **shared)
    return result


# The modules that run checks, beside those the registry names (see settle_examples).
_RUNNING_MODULES = ("theorems.api", "theorems.cli", "theorems._engine.cluster", "theorems._engine.database", "theorems.finding")
_SETTLED = False


def settle_examples() -> None:
    """Import, once per process, every module a check may load: each theorem's reference, check,
    examples and classifier, the claims' formulas, the catalogue of wrong implementations, the
    findings, and the modules that run checks.

    Hypothesis draws some values from the constants in the source of the project's modules
    loaded at that moment (its "local constants", re-read whenever ``sys.modules`` grows),
    so a derandomized check's examples depend on what its process imported before it: the
    in-process run, a ``--jobs`` worker and a Dask worker drew different examples for the
    same check under ``ci``. With every such module loaded first, a check draws the same
    examples wherever it runs and whatever ran before it.
    """
    global _SETTLED
    if _SETTLED:
        return
    import importlib

    targets = [target for theorem in all_theorems() for target in (theorem.reference_target, theorem.check_target, theorem.examples, theorem.classify_target)]
    targets += [claim.implementation_target for claim in all_claims()]
    all_wrong_implementations()  # the catalogue's modules
    all_findings()  # the findings' modules
    for module in sorted({target.partition(":")[0] for target in targets if target} | set(_RUNNING_MODULES)):
        try:
            importlib.import_module(module)
        except Exception:  # a broken module is reported by the checks that need it, not by every check
            continue
    _SETTLED = True


def merged_slices(results: Sequence[Result]) -> Result:
    """One result from the parts of one check (in part order): examples, evidence, classes and
    seconds added; the verdict and counterexample of the first part that did not hold (an
    error or a falsification anywhere decides the check, as it would have stopped it)."""
    runs = [result.run for result in results]
    decisive = next((index for index, run in enumerate(runs) if run.verdict != "holds"), len(runs) - 1)
    ordered = runs[:decisive] + runs[decisive + 1 :] + [runs[decisive]]
    merged = _merged(ordered)
    evidence = tuple(evidence for run in runs for evidence in run.evidence)  # in part order
    return dataclasses.replace(results[decisive], run=dataclasses.replace(merged, evidence=evidence))


_IN_WORKER = False


def jobs_worker() -> bool:
    """Whether this process is one of :func:`verify_all`'s workers."""
    return _IN_WORKER


def _start_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True
    import torch

    torch.set_num_threads(1)  # one process per core does better than threads on these small tensors


def _run_tasks(
    tasks: list[Task], *, profile: str, seed: int | None, jobs: int, cluster: Any = None, database: SharedDatabase | None = None
) -> Iterator[Any]:
    """The tasks' results in order: in this process, in ``jobs`` spawned worker processes, or in
    slices on a Dask ``cluster`` (:class:`theorems._engine.cluster.Cluster`)."""
    if cluster is not None:
        yield from cluster.run(tasks, profile=profile, seed=seed, database=database)
        return
    if jobs <= 1 or len(tasks) <= 1:
        for kind, _, key, options in tasks:
            yield run_task(kind, key, options, profile, seed, database=database)
        return
    import concurrent.futures
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    # spawn, not fork: a forked copy of a process that has run torch's thread pools can hang.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker) as pool:
        futures = [pool.submit(run_task, kind, key, options, profile, seed, database=database) for kind, _, key, options in tasks]
        for task, future in zip(tasks, futures):
            try:
                yield future.result()
            except BrokenProcessPool:
                # A worker died (a crash in compiled code, the OOM killer): the checks it held and
                # every one still queued are errors, in the report, never a pass.
                yield lost_result(task, "a worker process died while this check was running or queued (BrokenProcessPool)")


def lost_result(task: Task, message: str) -> Result:
    """An ``error`` result for ``task``, whose run never came back (``message`` says why)."""
    kind, label, key, _ = task
    run = Run(verdict="error", examples=0, seconds=0.0, error=message)
    if kind == "claim":
        return ClaimResult(key, next(claim.theorem_id for claim in all_claims() if claim.id == key), run)
    if kind == "wrong":
        wrong = next(wrong for wrong in all_wrong_implementations() if (wrong.theorem_id, wrong.name) == key)
        return WrongResult(wrong.theorem_id, wrong.name, wrong.mistake, run)
    if kind == "theorem":
        return TheoremResult(key, get_theorem(key).reference_target, run)
    return TheoremResult(key[0], label, run)


def draw_seed(profile: str) -> int | None:
    """A fresh seed for a randomized profile (written into the report and replay lines); None if derandomized."""
    return None if profile_settings(profile).derandomize else random.SystemRandom().randrange(2**32)


def assemble(
    theorems: Sequence[TheoremResult],
    claims: Sequence[ClaimResult] = (),
    *,
    scope: str,
    profile: str,
    seed: int | None,
    max_examples: int | None = None,
    command: str | None = None,
    power: Sequence[WrongResult] | None = None,
) -> Verification:
    """The one place a :class:`Verification` is put together, for every route.

    ``scope`` is ``"full"`` (every theorem and claim: the report shows the suite's own
    measurements), ``"only"`` (``verify --only``) or ``"check"`` (a user's
    implementation): the last two describe what was run and nothing else.
    """
    restricted = sorted({f"{name}={value}" for result in theorems for name, value in result.assumptions})
    found = environment(profile=profile, seed=seed, max_examples=max_examples, command=command)
    if restricted:
        found["assumptions"] = ", ".join(restricted)
    return Verification(tuple(theorems), tuple(claims), found, None if power is None else tuple(power), scope=scope)


def verify_all(
    *,
    profile: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    theorem_ids: tuple[str, ...] | None = None,
    command: str | None = None,
    power: bool = False,
    jobs: int = 1,
    prove: bool = False,
    cluster: Any = None,
    database: SharedDatabase | None = None,
) -> Verification:
    """Check every theorem's reference implementation and every transcribed claim.

    ``theorem_ids`` restricts the run to those theorems and their claims (and, with
    ``power``, their part of the catalogue of wrong implementations, each of which must
    be caught). ``jobs`` > 1 runs the checks in that many worker processes (each check is
    independent; the results and the progress lines keep their order). ``prove`` adds the
    symbolic proofs of these theorems and their claims (:func:`theorems._engine.prove.prove`).
    ``cluster`` (:func:`theorems._engine.cluster.connect`) runs the checks in slices on a Dask
    cluster instead; ``database`` shares the counterexamples (:mod:`theorems._engine.database`).
    """
    profile = profile or current_profile_name()
    if seed is None:
        seed = draw_seed(profile)
    theorems = all_theorems() if theorem_ids is None else tuple(get_theorem(i) for i in theorem_ids)
    for theorem in theorems:  # before any check runs, not in a worker minutes later
        require_extra(theorem)
    if prove:
        require("prove", "the symbolic proofs (--prove)")
    wanted = {theorem.id for theorem in theorems}
    claims = tuple(claim for claim in all_claims() if claim.theorem_id in wanted)
    wrongs = tuple(wrong for wrong in all_wrong_implementations() if wrong.theorem_id in wanted) if power else ()
    tasks = (
        [("theorem", theorem.id, theorem.id, {"max_examples": max_examples}) for theorem in theorems]
        + [("claim", claim.id, claim.id, {"max_examples": max_examples}) for claim in claims]
        + [("wrong", f"{wrong.theorem_id}: {wrong.name}", (wrong.theorem_id, wrong.name), {}) for wrong in wrongs]
    )
    results = list(_reported(tasks, _run_tasks(tasks, profile=profile, seed=seed, jobs=jobs, cluster=cluster, database=database), progress))
    proofs = None
    if prove:
        from theorems._engine.prove import prove as prove_symbolically

        proofs = tuple(prove_symbolically([theorem.id for theorem in theorems]))
    theorem_results = results[: len(theorems)]
    claim_results = results[len(theorems) : len(theorems) + len(claims)]
    catalogue = tuple(results[len(theorems) + len(claims) :]) if power else None
    verification = assemble(
        theorem_results, claim_results, scope="full" if theorem_ids is None else "only", profile=profile, seed=seed,
        max_examples=max_examples, command=command, power=catalogue,
    )
    return verification if proofs is None else dataclasses.replace(verification, proofs=proofs)
