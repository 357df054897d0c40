"""A verification: every check, run by name in this process, in worker processes or on a cluster, and
the one place its results are put together (:func:`assemble`).

A check is named by a small frozen task (:class:`TheoremTask`, :class:`ClaimTask`,
:class:`WrongTask`, :class:`UserTask`) that a worker process or a Dask worker receives and runs
(:func:`run_task`): it names what to check, never holds it, so that what a worker runs is
what the registry (or the user's module) gives it there. Every task has a ``kind`` and a ``label``
(the progress lines, the cluster's keys), ``run`` (the check, or one part of it), ``budget``
(the examples it plans under a profile: the cluster's slices and progress) and ``lost`` (its
``error`` result when its run never came back: a worker died, the cluster gave up on it).
"""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from hypothesis.database import ExampleDatabase

from theorems._engine.checks import check_claim, check_implementation, check_wrong_implementation, error_run
from theorems._engine.database import SharedDatabase
from theorems._engine.environment import environment
from theorems._engine.memory import peak_of, release_free_memory
from theorems._engine.plan import Slice, draw_seed, search_budget, theorem_budget
from theorems._engine.preconditions import require_extra
from theorems._engine.registry import all_claims, all_theorems, all_wrong_implementations, get_theorem
from theorems._engine.settle import settle_examples
from theorems.extras import require
from theorems.profiles import current_profile_name
from theorems.results import ClaimResult, Run, TheoremResult, Verification, WrongResult
from theorems.theorem import Claim, WrongImplementation, resolve

__all__ = [
    "ClaimTask",
    "Result",
    "Task",
    "TheoremTask",
    "UserTask",
    "WrongTask",
    "assemble",
    "run_task",
    "run_tasks",
    "verify_all",
]

Progress = Callable[[str, str, Run], None]

Result = TheoremResult | ClaimResult | WrongResult


@dataclass(frozen=True)
class TheoremTask:
    """A theorem's reference implementation, which must hold."""

    theorem_id: str
    max_examples: int | None = None
    kind: ClassVar[str] = "theorem"

    @property
    def label(self) -> str:
        return self.theorem_id

    def run(self, profile: str, seed: int | None, *, database: ExampleDatabase | None = None, part: Slice | None = None) -> TheoremResult:
        theorem = get_theorem(self.theorem_id)
        return check_implementation(
            theorem, theorem.reference, target=theorem.reference_target, profile=profile, seed=seed, max_examples=self.max_examples,
            database=database, part=part,
        )

    def budget(self, profile: str) -> int:
        return theorem_budget(get_theorem(self.theorem_id), self.max_examples, profile)

    def lost(self, message: str) -> TheoremResult:
        return TheoremResult(self.theorem_id, get_theorem(self.theorem_id).reference_target, error_run(message))


@dataclass(frozen=True)
class ClaimTask:
    """A transcribed claim, which must be falsified: a search that stops at its first counterexample."""

    claim_id: str
    max_examples: int | None = None
    kind: ClassVar[str] = "claim"

    @property
    def label(self) -> str:
        return self.claim_id

    def claim(self) -> Claim:
        return next(claim for claim in all_claims() if claim.id == self.claim_id)

    def run(self, profile: str, seed: int | None, *, database: ExampleDatabase | None = None, part: Slice | None = None) -> ClaimResult:
        return check_claim(self.claim(), profile=profile, seed=seed, max_examples=self.max_examples, database=database, part=part)

    def budget(self, profile: str) -> int:
        return search_budget(profile, self.max_examples)

    def lost(self, message: str) -> ClaimResult:
        return ClaimResult(self.claim_id, self.claim().theorem_id, error_run(message))


@dataclass(frozen=True)
class WrongTask:
    """A wrong implementation of the catalogue, which must be caught: a search, at its theorem's budget."""

    theorem_id: str
    name: str
    kind: ClassVar[str] = "wrong"

    @property
    def label(self) -> str:
        return f"{self.theorem_id}: {self.name}"

    def wrong(self) -> WrongImplementation:
        return next(wrong for wrong in all_wrong_implementations() if (wrong.theorem_id, wrong.name) == (self.theorem_id, self.name))

    def run(self, profile: str, seed: int | None, *, database: ExampleDatabase | None = None, part: Slice | None = None) -> WrongResult:
        return check_wrong_implementation(self.wrong(), profile=profile, seed=seed, database=database, part=part)

    def budget(self, profile: str) -> int:
        return theorem_budget(get_theorem(self.theorem_id), None, profile)

    def lost(self, message: str) -> WrongResult:
        wrong = self.wrong()
        return WrongResult(wrong.theorem_id, wrong.name, wrong.mistake, error_run(message))


@dataclass(frozen=True)
class UserTask:
    """A user's implementation (``theorems check``), named ``label`` as the user named it, and by
    ``target`` (``MODULE:ATTR``) importable from ``folder``, as a worker imports it."""

    theorem_id: str
    label: str
    target: str
    folder: str
    max_examples: int | None = None
    assume: dict[str, Any] | None = None
    timeout: float | None = None
    kind: ClassVar[str] = "user"

    @classmethod
    def named(cls, theorem_id: str, target: str, *, max_examples: int | None, assume: dict[str, Any] | None, timeout: float | None) -> UserTask:
        """The task of ``target`` as the user named it: ``FILE.py:ATTR`` becomes the file's module,
        imported from the file's folder (a file system the workers share); ``MODULE:ATTR`` imports
        from this folder."""
        location, _, attribute = target.rpartition(":")
        module_target, folder = target, os.getcwd()
        if location.endswith(".py") or os.sep in location or "/" in location:
            path = Path(location).resolve()
            module_target, folder = f"{path.stem}:{attribute}", str(path.parent)
        return cls(theorem_id, target, module_target, folder, max_examples, assume, timeout)

    def run(self, profile: str, seed: int | None, *, database: ExampleDatabase | None = None, part: Slice | None = None) -> TheoremResult:
        theorem = get_theorem(self.theorem_id)
        implementation = resolve(self.target)  # self.folder, the folder it imports from, is on sys.path already
        return check_implementation(
            theorem, implementation, target=self.target, profile=profile, seed=seed, max_examples=self.max_examples, assume=self.assume,
            timeout=self.timeout, database=database, part=part,
        )

    def budget(self, profile: str) -> int:
        return theorem_budget(get_theorem(self.theorem_id), self.max_examples, profile)

    def lost(self, message: str) -> TheoremResult:
        return TheoremResult(self.theorem_id, self.label, error_run(message))


Task = TheoremTask | ClaimTask | WrongTask | UserTask


def run_task(task: Task, profile: str, seed: int | None, *, database: SharedDatabase | None = None, part: Slice | None = None) -> Result:
    """One check of :func:`verify_all`, or one ``part`` of it (so that a worker process or a Dask
    worker can run it); ``database`` is opened in the process that runs the check."""
    settle_examples()
    with peak_of() as peak:
        result = task.run(profile, seed, database=database.open() if database else None, part=part)
        # Only a user's check hands its shrunk example back (theorems check: the process that found
        # it); a verification keeps none, so that a whole network per falsified wrong fold is not
        # kept to the end (measured: 0.6 GB each, 5.5 GB for the catalogue). The collection frees
        # the cycles a falsification leaves (traceback ↔ frames holding the example's tensors).
        keep = isinstance(task, UserTask) and not _jobs_worker()
        result = dataclasses.replace(result, run=dataclasses.replace(result.run, example=result.run.example if keep else None))
        gc.collect()
        if _HEAP_OURS:
            # What survives a full collection between checks (modules, caches, the results so far)
            # lives on: frozen, the next check's collection walks only what that check made. In a
            # process of ours only: a caller's heap is not ours to freeze. Measured: 0.12 s a
            # collection over the imported heap, about 200 checks in `theorems verify`.
            gc.freeze()
    release_free_memory()
    return dataclasses.replace(result, run=dataclasses.replace(result.run, peak_memory=peak[0]))


_IN_WORKER = False
# Whether this process is one the engine owns (a worker of verify_all, or the command itself), so
# that what lives on between checks may be frozen out of the collector's way (run_task).
_HEAP_OURS = False


def own_the_heap() -> None:
    """Say that this process is the engine's own (the command, or one of its workers)."""
    global _HEAP_OURS
    _HEAP_OURS = True


def _jobs_worker() -> bool:
    """Whether this process is one of :func:`verify_all`'s workers."""
    return _IN_WORKER


def _start_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True
    own_the_heap()
    import torch

    torch.set_num_threads(1)  # one process per core does better than threads on these small tensors


def run_tasks(
    tasks: Sequence[Task], *, profile: str, seed: int | None, jobs: int, cluster: Any = None, database: SharedDatabase | None = None
) -> Iterator[Result]:
    """The tasks' results in order: in this process, in ``jobs`` spawned worker processes, or in
    slices on a Dask ``cluster`` (:class:`theorems._engine.cluster.Cluster`)."""
    if cluster is not None:
        yield from cluster.run(tasks, profile=profile, seed=seed, database=database)
        return
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_task(task, profile, seed, database=database)
        return
    yield from _in_worker_processes(tasks, profile=profile, seed=seed, jobs=jobs, database=database)


def _in_worker_processes(tasks: Sequence[Task], *, profile: str, seed: int | None, jobs: int, database: SharedDatabase | None) -> Iterator[Result]:
    import concurrent.futures
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=_worker_context(multiprocessing), initializer=_start_worker) as pool:
        futures = [pool.submit(run_task, task, profile, seed, database=database) for task in tasks]
        for task, future in zip(tasks, futures):
            try:
                yield future.result()
            except BrokenProcessPool:
                # A worker died (a crash in compiled code, the OOM killer): the checks it held and
                # every one still queued are errors, in the report, never a pass.
                yield task.lost("a worker process died while this check was running or queued (BrokenProcessPool)")


def _worker_context(multiprocessing: Any) -> Any:
    """Workers forked from a fork server that has imported what a check loads (theorems._engine.preload),
    or spawned where there is no fork server. Never forked from this process: a copy of a process
    that has run torch's thread pools can hang. A fork server lives as long as this process and
    hands its workers the sys.path and folder of the moment (as spawn does), but the environment
    of its own start: the engine reads none."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["theorems._engine.preload"])
    return context


def _reported(tasks: Sequence[Task], results: Iterator[Result], progress: Progress | None) -> Iterator[Result]:
    for task, result in zip(tasks, results):
        if progress:
            progress(task.kind, task.label, result.run)
        yield result


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
    tasks: list[Task] = [
        *(TheoremTask(theorem.id, max_examples) for theorem in theorems),
        *(ClaimTask(claim.id, max_examples) for claim in claims),
        *(WrongTask(wrong.theorem_id, wrong.name) for wrong in wrongs),
    ]
    results: list[Any] = list(_reported(tasks, run_tasks(tasks, profile=profile, seed=seed, jobs=jobs, cluster=cluster, database=database), progress))
    proofs = _proofs([theorem.id for theorem in theorems]) if prove else None
    theorem_results, claim_results = results[: len(theorems)], results[len(theorems) : len(theorems) + len(claims)]
    catalogue = tuple(results[len(theorems) + len(claims) :]) if power else None
    verification = assemble(
        theorem_results, claim_results, scope="full" if theorem_ids is None else "only", profile=profile, seed=seed,
        max_examples=max_examples, command=command, power=catalogue,
    )
    return verification if proofs is None else dataclasses.replace(verification, proofs=proofs)


def _proofs(theorem_ids: list[str]) -> tuple[Any, ...]:
    """The symbolic proofs of these theorems and their claims (``verify --prove``)."""
    from theorems._engine.prove import prove as prove_symbolically

    return tuple(prove_symbolically(theorem_ids))
