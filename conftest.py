"""Load the Hypothesis profile before any property is collected, and pin torch to one thread.

``--hypothesis-profile NAME`` (Hypothesis's own pytest option) overrides this choice;
otherwise ``HYPOTHESIS_PROFILE``, else ``ci`` when ``CI`` is set, else ``dev``.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from theorems.profiles import load_profile

load_profile()

# The Pyro audit's fixtures (they import Pyro and put torch's KL registry back): a plugin module, not a second
# conftest.py, which would take this module's import name, conftest (tests/engine/test_tiers.py imports it).
pytest_plugins = ["audit.pyro_fixtures"]


def prepare_a_test_process(config) -> None:
    """In every process that runs tests (not an xdist controller, which only schedules): torch on one
    thread, and the package imported (:func:`import_the_package`).

    The generated tensors are tiny: intra-op threads only add synchronisation (measured
    50x slower per fold check with 2 threads on a loaded 2-core machine), and pytest-xdist
    already gives each worker a core of its own. The controller skips torch's import
    (2.5 s here) before it can start the workers.
    """
    if getattr(config, "workerinput", None) is None and config.getoption("numprocesses", default=None):
        return
    import torch

    torch.set_num_threads(1)
    import_the_package()
    # Everything imported so far lives to the end of the process: frozen, the collector no longer
    # walks it on each full collection (the engine collects after every check, verify.run_task).
    # Measured: a report's 23 checks 3.3 s faster in a test process, where that heap is largest.
    gc.freeze()
    # And what survives each check's collection, as in the command's own process (verify.run_task):
    # a test process is ours. Measured: 9.4 s of the gate's CPU went to those collections, which
    # walked all that the tests before had left alive.
    from theorems._engine.verify import own_the_heap

    own_the_heap()


def import_the_package() -> None:
    """Every module of ``theorems``, its strategies and the maintainer tools (and matplotlib's pyplot),
    imported before any test runs.

    Three reasons. Hypothesis draws some values from the constants in the source of the
    project's modules loaded at that moment (re-read whenever ``sys.modules`` grows): a tool
    that one test imported lazily changed the derandomized examples of every test that ran
    after it in that worker, so a sample's verdict depended on which tests had shared its
    worker (the narrow-Uniform finding's floor held in one session and not in another). With
    every module loaded first, each test draws the same examples whatever ran before it. pytester's in-process runs drop from ``sys.modules`` whatever was first
    imported inside them; a module imported again after that is a second copy, which numpy's
    C extensions refuse ("cannot load module more than once per process") and whose classes
    the first copy's objects do not recognise (matplotlib's set_clip_path raised TypeError).
    And matplotlib runs `fc-list` in a subprocess when it first builds its font cache (a fresh
    machine, or a test that moves HOME, as pytester does): no unmarked test may be charged
    with that process (:func:`_a_subprocess_is_marked`). The tests' own imports load most of
    the package anyway; this adds the modules they load lazily.
    """
    import importlib
    import pkgutil

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401

    import theorems
    import theorems.strategies
    import tools

    for package in (theorems, theorems.strategies, tools):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name != "theorems.__main__":
                importlib.import_module(module.name)


@pytest.fixture(scope="session")
def once_per_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Callable[[], Any]], Any]:
    """``once_per_run(name, compute)``: ``compute()``'s JSON value, computed by one process of the run.

    For a costly result that tests on different xdist workers share (a verification, a
    browser session, a subprocess run): the first worker to ask computes it while the
    others wait on a lock, then they read it (the recipe of pytest-xdist's docs, keyed by
    the run's id so that no earlier run's file is reused). Without xdist it is computed
    here, once per session. A ``compute`` that raises (a skip, a failure) leaves nothing
    behind, so the next worker to ask meets the same outcome for itself.
    """
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    computed: dict[str, Any] = {}

    def once(name: str, compute: Callable[[], Any]) -> Any:
        if name in computed:
            return computed[name]
        if run_id is None:
            computed[name] = compute()
            return computed[name]
        shared = tmp_path_factory.getbasetemp().parent / f"{name}-{run_id}.json"
        with open(shared.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not shared.is_file():
                staged = shared.with_suffix(f".{os.getpid()}")
                staged.write_text(json.dumps(compute()))
                os.replace(staged, shared)
            computed[name] = json.loads(shared.read_text())
        return computed[name]

    return once


@pytest.fixture(scope="session")
def theorems_commands(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``theorems`` commands run as programs, forked from one server per test process that imported
    torch and the package once (tests/command_forks.py): a test that needs the command's own
    process (its supervisor, its exit status) without a fresh interpreter's seconds of imports."""
    from command_forks import CommandForks

    forks = CommandForks(tmp_path_factory.mktemp("commands"))
    yield forks
    forks.close()


@pytest.fixture(autouse=True)
def _keep_the_loaded_profile():
    """Tests of the command load profiles in-process; the next test must run under the suite's own."""
    name = getattr(settings, "_current_profile", None)
    yield
    if name and getattr(settings, "_current_profile", None) != name:
        settings.load_profile(name)


# --- what a test costs, said by its markers and checked here ---------------------------------


@pytest.fixture(autouse=True)
def _a_subprocess_is_marked(request, monkeypatch):
    """A test that starts a process (a command, a server, a browser, a worker pool) says so with
    ``e2e`` or ``cluster`` (the markers a faster tier will leave out); an unmarked one fails
    here, so that the markers stay true as tests are added (tests/engine/test_tiers.py proves it).

    Every door Python has for starting a program is closed: ``subprocess`` binds
    ``_posixsubprocess.fork_exec`` at its import as ``subprocess._fork_exec`` (so patching the
    module's attribute alone missed every ``subprocess.run``), multiprocessing's spawn calls
    ``_posixsubprocess.fork_exec``, and ``os`` forks, spawns and runs shells of its own.
    """
    if any(request.node.get_closest_marker(name) for name in ("e2e", "cluster")):
        yield
        return
    import _posixsubprocess
    import subprocess

    def refuse(*arguments, **keywords):
        pytest.fail(f"{request.node.nodeid} starts a process: mark it @pytest.mark.e2e (or cluster)", pytrace=False)

    monkeypatch.setattr(_posixsubprocess, "fork_exec", refuse)
    monkeypatch.setattr(subprocess, "_fork_exec", refuse)
    for door in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system"):
        monkeypatch.setattr(os, door, refuse)
    yield


# --- the quick tier: what a test costs, measured ------------------------------------------------

# CPU seconds (this process's, so a loaded machine does not inflate it as it does wall time) that
# one phase of a test may spend under the quick profile (``make quick``). A test over it fails
# there with the figure: mark it ``slow`` (it then runs in ``make test`` only) or make it cheaper.
# 2 s: about twice the costliest test kept in the tier (a wrong fold shrunk to its minimal
# counterexample, 1.1–1.3 s), so that no test sits at the edge; the tier must stay within 30 s.
QUICK_CPU_SECONDS = 2.0


class QuickTier:
    """Registered by :func:`pytest_configure` under the quick profile only."""

    # Imported on first use (by the package's function-level imports; the package itself is imported
    # by import_the_package): a process pays for them once, and the test that happens to come first
    # must not be charged for them. torch._dynamo: a fold's first check, 1.8 s.
    WARM = ("sympy", "mpmath", "torch._dynamo")

    def pytest_collection_finish(self, session):
        import importlib

        for name in self.WARM:
            importlib.import_module(name)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item):
        return (yield from measured(item, "setup"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        return (yield from measured(item, "call"))


def measured(item, phase: str, allowance: float | None = None):
    """A hook wrapper's body: run the phase, then fail it if it spent more CPU than ``allowance``."""
    allowance = QUICK_CPU_SECONDS if allowance is None else allowance
    start = time.process_time()
    result = yield
    spent = time.process_time() - start
    if spent > allowance:
        pytest.fail(
            f"{item.nodeid}: {phase} took {spent:.2f} s of CPU, over the quick tier's {allowance} s: "
            "mark it @pytest.mark.slow (it then runs in make test only) or make it cheaper",
            pytrace=False,
        )
    return result


# --- order: the costly tests first ----------------------------------------------------------


def pytest_collection_modifyitems(config, items) -> None:
    """Run the costly tests first (:func:`costliest_first`), each kind in file order.

    Under pytest-xdist's work stealing (``make test``) an idle worker takes the tail half
    of the other's queue, so the long ones, started first, spread over both workers and
    the short ones fill in to the end (longest-first scheduling). Measured on the
    thorough profile: a 268 s cubature property left to the end kept one worker busy
    alone for four minutes. Every worker sorts the same collection the same way, as
    xdist needs.
    """
    if config.getoption("hypothesis_profile", default=None) == "mutation":
        # mutmut hands node ids back to pytest in a forked worker, where an id that pytest
        # had escaped (non-ASCII parameters become "\\u2260") came back as "not found"
        # (exit 4), which mutmut scores as a timeout, that is, as a kill. Refuse such ids
        # rather than count false kills.
        escaped = [item.nodeid for item in items if "\\" in item.nodeid]
        if escaped:
            raise pytest.UsageError(f"test ids must be plain ASCII under the mutation profile: {', '.join(escaped)}")
        items.sort(key=cheapest_first)
    else:
        items.sort(key=costliest_first)


def costly(item) -> bool:
    """Marked ``slow``, or sharing a result computed :func:`once_per_run`.

    The tests that share such a result stay together in file order at the head of the
    queue (:func:`costliest_first`), which xdist deals out in contiguous halves and steals
    from the tail: one worker computes the result and runs them all, and the other does
    not wait on the lock.
    """
    return item.get_closest_marker("slow") is not None or "once_per_run" in item.fixturenames


def costliest_first(item) -> int:
    """The tests that share a result computed :func:`once_per_run` first, then the rest of the
    costly ones, then the others: under work stealing the idle worker takes the tail half of the
    other's queue, and a group that straddled that cut left it waiting on the group's lock
    (measured on a fresh clone: 16.4 s beside the browser's measurements, 10.2 s beside the first
    hour's interpreter). At the head, the group is running or done before anything is stolen."""
    if "once_per_run" in item.fixturenames:
        return 0
    return 1 if costly(item) else 2


def cheapest_first(item) -> int:
    """Under ``make mutation`` a mutant dies at its first failing test (mutmut runs ``-x``):
    the exact tests (``test_exact_*.py``, milliseconds each) first, the ``slow`` properties last."""
    if Path(item.path).name.startswith("test_exact_"):
        return 0
    return 2 if item.get_closest_marker("slow") else 1


# --- per-property figures: examples generated, worst error-to-tolerance ratio, time ------------


def pytest_configure(config) -> None:
    prepare_a_test_process(config)
    if config.getoption("hypothesis_profile", default=None) == "quick":
        config.pluginmanager.register(QuickTier(), "quick-tier")
    path = config.getoption("--property-figures", default=None)
    if path:  # absolute, so tests that change directory still write to the same file
        config.option.property_figures = str(Path(path).resolve())
        Path(config.option.property_figures).parent.mkdir(parents=True, exist_ok=True)


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--property-figures",
        metavar="PATH",
        help="append one JSON line per test: examples Hypothesis generated (from its observability "
        "callbacks), the worst ratio of the evidence that held, and the time",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    path = item.config.getoption("--property-figures")
    if not path:
        yield
        return
    from theorems.evidence import observing_evidence
    from theorems._engine.observe import observing  # Hypothesis's observability, read defensively

    counts = {"generated": 0}
    ratios: list[float] = []

    def observe(observation, *_):
        if getattr(observation, "type", None) == "test_case" and getattr(observation, "status", None) in ("passed", "failed"):
            how = getattr(observation, "how_generated", "") or ""
            if "shrink" not in how and "explain" not in how:
                counts["generated"] += 1

    start = time.perf_counter()
    with observing(observe), observing_evidence(lambda evidence: ratios.append(evidence.ratio) if evidence.holds else None):
        yield
    record = {
        "test": item.nodeid,
        "examples": counts["generated"],
        "worst_ratio": max(ratios) if ratios else None,
        "evidence": len(ratios),
        "seconds": round(time.perf_counter() - start, 3),
    }
    with open(path, "a") as figures:
        figures.write(json.dumps(record) + "\n")
