"""Verification on a Dask cluster: each check's examples dealt out in slices to the workers.

``theorems verify --scheduler ADDRESS`` sends the checks to a running Dask cluster
(``dask scheduler`` and ``dask worker``, as Dask's users start them); ``--workers N``
starts a local one of N worker processes. The unit of work is one slice of one check
(:class:`theorems._engine.plan.Slice`): under a randomized profile a check of B examples is
cut into up to one slice per worker, each of at least :data:`SLICE_EXAMPLES` examples
(fewer for a theorem whose examples cost more, :func:`smallest_slice`),
under seeds derived from the run's, and the slices are merged back into one result
(:func:`merged_slices`). Under a derandomized profile (``ci``) each check
is one slice, the very run that would have happened in this process, so the verdicts and
example counts do not depend on where it ran. Claims and wrong implementations, searches
that stop at their first counterexample, are one slice each under every profile.

A worker that dies mid-run loses nothing: the scheduler hands the slices it held to
another worker (Dask's ``allowed-failures``), and a slice that raised is re-run
(``retries``). Each worker process runs one slice at a time with one BLAS/OpenMP thread
(Dask's nannies set ``OMP_NUM_THREADS=1`` before a worker starts; torch is pinned here),
as the in-process run and pytest-xdist do: the tensors are tiny and threads only contend.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import sys
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from theorems._engine.database import SharedDatabase
from theorems._engine.plan import Slice
from theorems._engine.run import merged_runs
from theorems._engine.verify import ClaimTask, Result, Task, UserTask, WrongTask, run_task
from theorems.profiles import profile_settings
from theorems._engine.registry import get_theorem
from theorems.theorem import InvalidInput, Theorem

__all__ = ["SLICE_EXAMPLES", "Cluster", "SchedulerLost", "connect", "merged_slices", "scheduler_address", "slices_of", "smallest_slice"]

# The fewest examples worth a slice of their own: a slice costs the scheduler a few
# milliseconds and the worker a fresh Hypothesis run (strategy set-up, its own shrinking).
SLICE_EXAMPLES = 100

# A slice that raised (not one whose worker died: the scheduler re-runs those) is tried
# this many more times before the run reports it; a check that fails that often is broken.
RETRIES = 2

# Seconds to wait for a scheduler before calling its address unreachable.
CONNECT_TIMEOUT = 10.0


def scheduler_address(text: str) -> str:
    """``tcp://HOST:PORT`` (or ``tls://``) from ``HOST:PORT`` or a full address; InvalidInput naming what is wrong."""
    address = text.strip() if "://" in text else f"tcp://{text.strip()}"
    parsed = urllib.parse.urlsplit(address)
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme not in ("tcp", "tls") or not parsed.hostname or port is None or parsed.path not in ("", "/"):
        raise InvalidInput(f"--scheduler={text!r} is not a Dask scheduler address; expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786)")
    return f"{parsed.scheme}://{parsed.netloc}"


def slices_of(task: Task, profile: str, workers: int) -> list[Slice | None]:
    """The slices ``task`` is cut into on ``workers`` workers: [None] (the whole check, as in this
    process) under a derandomized profile, when the budget is too small to share, and for a claim
    or a wrong implementation: a search that stops at its first counterexample, where every
    slice would find and shrink one of its own, the work multiplied rather than shared."""
    if isinstance(task, (ClaimTask, WrongTask)):
        return [None]
    count = min(workers, task.budget(profile) // smallest_slice(get_theorem(task.theorem_id)))
    if profile_settings(profile).derandomize or count <= 1:
        return [None]
    return [Slice(index, count) for index in range(count)]


def smallest_slice(theorem: Theorem) -> int:
    """The fewest examples of ``theorem`` worth a slice: :data:`SLICE_EXAMPLES` of ordinary cost, fewer
    where an example costs more (``example_fraction`` below 1: one ``fold-network`` example is a
    whole network, seconds, and is worth a slice of its own)."""
    return max(1, math.ceil(SLICE_EXAMPLES * theorem.example_fraction))


def merged_slices(results: Sequence[Result]) -> Result:
    """One result from the parts of one check (in part order): examples, evidence, classes and
    seconds added; the verdict and counterexample of the first part that did not hold (an
    error or a falsification anywhere decides the check, as it would have stopped it)."""
    runs = [result.run for result in results]
    decisive = next((index for index, run in enumerate(runs) if run.verdict != "holds"), len(runs) - 1)
    ordered = runs[:decisive] + runs[decisive + 1 :] + [runs[decisive]]
    merged = merged_runs(ordered)
    evidence = tuple(evidence for run in runs for evidence in run.evidence)  # in part order
    return dataclasses.replace(results[decisive], run=dataclasses.replace(merged, evidence=evidence))


def run_slice(task: Task, profile: str, seed: int | None, database: SharedDatabase | None, part: Slice | None) -> Result:
    """One slice, on a Dask worker: one torch thread, and the shrunk example object left behind
    (it may be a whole network; the evidence carries its rendering)."""
    import warnings

    import torch
    from hypothesis.errors import HypothesisDeprecationWarning

    torch.set_num_threads(1)
    # Hypothesis warns when the global `random` state moves while a strategy draws; on a Dask
    # worker the event loop's own thread moves it (heartbeat jitter), never the strategy.
    warnings.filterwarnings("ignore", "Do not use the `random` module inside strategies", HypothesisDeprecationWarning)
    if isinstance(task, UserTask):
        _importable_from(task.folder)
    result = run_task(task, profile, seed, database=database, part=part)
    return dataclasses.replace(result, run=dataclasses.replace(result.run, example=None))


def _outcome(future: Any, task: Task) -> Result:
    """The slice's result; if the cluster lost it for good (its workers died more often than the
    scheduler's ``allowed-failures``, or it raised on every retry), an ``error`` result saying so:
    the check is in the report, with nothing learned, rather than the run lost."""
    try:
        return future.result()
    except Exception as error:  # KilledWorker, a cancelled future, an exception of the slice itself
        return task.lost(f"the cluster lost this check: {type(error).__name__}: {_first_line(error)}")


def _importable_from(folder: str) -> None:
    """A user's implementation imports on the worker as it did in the command's folder (shared files)."""
    if folder not in sys.path:
        sys.path.insert(0, folder)


class SchedulerLost(InvalidInput):
    """The scheduler went away mid-run: the command ends with one line (exit 2), no partial report."""


@dataclass
class _Tracked:
    """One check in flight: its slices' futures, and what has come back."""

    task: Task
    futures: list[Any]
    planned: int
    done: dict[int, Result] = field(default_factory=dict)

    @property
    def examples(self) -> int:
        return sum(result.run.examples for result in self.done.values())


@dataclass
class Cluster:
    """A connected Dask client; :meth:`run` is the engine's way onto it."""

    client: Any
    progress: TextIO | None = None

    def workers(self) -> int:
        """Worker processes now connected (at least one: slices wait for a worker to join)."""
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def run(self, tasks: Sequence[Task], *, profile: str, seed: int | None, database: SharedDatabase | None) -> Iterator[Result]:
        """The tasks' results in their order, each merged from its slices, as soon as they are all back."""
        from distributed import as_completed

        workers = self.workers()
        tracked = [self._submit(task, profile, seed, database, workers) for task in tasks]
        owner = {future.key: (number, index) for number, entry in enumerate(tracked) for index, future in enumerate(entry.futures)}
        following = 0
        for future in as_completed([future for entry in tracked for future in entry.futures]):
            if future.cancelled() or self.client.status != "running":
                # We cancel nothing: a cancelled slice means the client gave up on its scheduler
                # (killed, or its machine gone), and every slice still out is lost with it.
                raise SchedulerLost(
                    f"lost the Dask scheduler {self.client.scheduler.address if self.client.scheduler else ''} mid-run "
                    f"({sum(len(entry.done) for entry in tracked)} of {len(owner)} slices had come back); no report or JSON was written"
                )
            number, index = owner[future.key]
            tracked[number].done[index] = _outcome(future, tracked[number].task)
            self._show(tracked[number], workers)
            while following < len(tracked) and len(tracked[following].done) == len(tracked[following].futures):
                entry = tracked[following]
                self._clear()
                yield merged_slices([entry.done[index] for index in range(len(entry.futures))])
                following += 1

    def _submit(self, task: Task, profile: str, seed: int | None, database: SharedDatabase | None, workers: int) -> _Tracked:
        """The task's slices sent to the scheduler, under keys a person can read on Dask's dashboard."""
        parts = slices_of(task, profile, workers)
        futures = [
            self.client.submit(
                run_slice, task, profile, seed, database, part,
                key=f"theorems {task.label} [{0 if part is None else part.index}/{len(parts)}] {uuid.uuid4().hex[:8]}",
                retries=RETRIES, pure=False,
            )
            for part in parts
        ]
        return _Tracked(task, futures, task.budget(profile))

    def _show(self, entry: _Tracked, workers: int) -> None:
        """One line, rewritten in place: this check's examples done of planned, and the workers busy."""
        if self.progress is None:
            return
        busy = sum(1 for keys in self.client.processing().values() if keys)
        self.progress.write(f"\r\x1b[K  {entry.task.label}: {entry.examples} of {entry.planned} examples ({busy} of {workers} workers busy)")
        self.progress.flush()

    def _clear(self) -> None:
        if self.progress is not None:
            self.progress.write("\r\x1b[K")
            self.progress.flush()


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None, *, progress: TextIO | None = None) -> Iterator[Cluster]:
    """A :class:`Cluster` on the scheduler at ``scheduler``, or on a local cluster of ``workers``
    processes started here and stopped on leaving; InvalidInput (one line) if it cannot be reached."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        address = scheduler_address(scheduler)
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise InvalidInput(f"--scheduler={scheduler!r}: cannot reach a Dask scheduler there: {_first_line(error)}") from None
        # The client logs a traceback of every failed reconnection; a lost scheduler is reported
        # by the run itself, in one line (SchedulerLost).
        client_log = logging.getLogger("distributed.client")
        level = client_log.level
        client_log.setLevel(logging.CRITICAL)
        try:
            with client:
                yield Cluster(client, progress)
        finally:
            client_log.setLevel(level)
        return
    # One thread per worker process (one slice at a time); no dashboard (it needs bokeh, and a
    # port); the cluster's own logs only when something is wrong.
    local = LocalCluster(
        n_workers=workers or 1, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR,
    )
    with local, Client(local) as client:
        yield Cluster(client, progress)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

