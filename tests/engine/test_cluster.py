"""``verify`` and ``check`` on a real Dask cluster, with a real Redis as the shared example database.

The fixtures start, on 127.0.0.1 and free ports, what a cluster's users start themselves:
``dask scheduler``, two ``dask worker`` processes and Debian's ``redis-server``, and stop
them whatever happens. The checks are cheap ones (``kl-nonnegativity``: a run of the
theorem, its claims and its catalogue of wrong implementations is about a second of one
core), so the time added is the processes' start: the baseline ``verify`` runs in a
process of its own while the workers start (a check's derandomized examples depend on
the project's modules its process has loaded, and pytest's has loaded conftest.py), forked
as a program from the command server (tests/command_forks.py); the clients of the cluster
run in this one (their checks run on the workers). ``make test`` installs redis-server
(apt) when missing; a missing one fails here, saying what to install, unless
``THEOREMS_SKIP_CLUSTER=1`` (never under ``CI``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from theorems.kl.catalogue import ratio_first
from theorems.cli import main
from theorems._engine.database import SharedDatabase
from theorems._engine.run import run_check
from theorems._engine.settle import settle_examples
from theorems._engine.registry import get_theorem

from command_forks import Command, CommandForks, Finished

# Every test here starts Dask or Redis processes (or talks to one that is not there).
pytestmark = pytest.mark.cluster

PROJECT = Path(__file__).resolve().parents[2]
# One BLAS/OpenMP thread per process, as make exports it (a worker without a nanny does not set it).
ENVIRONMENT = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
THEOREM = "kl-nonnegativity"
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[Any]) -> None:
    """Terminate (SIGTERM lets Dask and Redis close cleanly), then kill what did not leave within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _required(program: str, install: str) -> None:
    if shutil.which(program) is None:
        message = f"the cluster tests need {program} ({install}; `make test` installs it)"
        if os.environ.get("THEOREMS_SKIP_CLUSTER") == "1" and not os.environ.get("CI"):
            pytest.skip(message + " (skipped: THEOREMS_SKIP_CLUSTER=1)")
        pytest.fail(message)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A Redis server of its own, in memory only (no snapshot written), on a free port."""
    _required("redis-server", "apt-get install redis-server")
    import redis

    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(server)


def _dask(*words: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "dask", *words], cwd=PROJECT, env=ENVIRONMENT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _worker(address: str, name: str) -> subprocess.Popen[bytes]:
    """``dask worker`` as a cluster's users run it, one thread; no nanny, so that killing it kills the worker."""
    return _dask("worker", address, "--name", name, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1")


def _verify_words(tmp_path: Path, name: str) -> list[str]:
    """``theorems verify --only kl-nonnegativity`` under ci, writing its JSON to ``tmp_path/name.json``."""
    return ["verify", "--only", THEOREM, "--profile", "ci", "--report", str(tmp_path / f"{name}.html"), "--json", str(tmp_path / f"{name}.json")]


def _verdicts(found: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every check's verdict, examples, classes and counterexample, in the report's order."""
    rows = [("theorem", row["id"], row["verdict"], row["examples"], row["classes"], row["counterexample"]) for row in found["theorems"]]
    rows += [("claim", row["id"], row["verdict"], row["examples"], row["counterexample"]) for row in found["claims"]]
    rows += [
        ("wrong", row["name"], row["verdict"], row["examples"], row["counterexample"])
        for row in found["power"]["catalogue"]["implementations"]
    ]
    return rows


def _written(tmp_path: Path, name: str) -> list[tuple[Any, ...]]:
    return _verdicts(json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8")))


@dataclass(frozen=True)
class RunningCluster:
    """A scheduler's address, a client to watch it, its workers by name, and today's verdicts without a cluster."""

    address: str
    client: Any
    workers: dict[str, subprocess.Popen[bytes]]
    in_process: list[tuple[Any, ...]]


@pytest.fixture
def cluster(tmp_path: Path, theorems_commands: CommandForks) -> Iterator[RunningCluster]:
    """``dask scheduler`` and two ``dask worker`` processes, and the verdicts of today's run: the
    command as a program with no cluster, run while the workers start, forked from the test
    process's command server (tests/command_forks.py), which has loaded the modules a worker
    settles and no others, as the ``theorems`` program has."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    processes = [_dask("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")]
    try:
        client = Client(address, timeout=START_TIMEOUT)
        workers = {name: _worker(address, name) for name in ("first", "second")}
        processes += workers.values()
        with client:
            # In a thread of this process while the workers start (the command server may have its imports to do first).
            baseline: dict[str, Finished] = {}
            command = Command(tuple(_verify_words(tmp_path, "in-process")), PROJECT)
            running = threading.Thread(target=lambda: baseline.update(theorems_commands.run({"in-process": command})))
            running.start()
            client.wait_for_workers(2, timeout=START_TIMEOUT)
            # Each worker loads the checks' modules once (torch: seconds); both at once, now.
            client.run(settle_examples)
            running.join()
            assert baseline["in-process"].returncode == 0, baseline["in-process"].stdout + baseline["in-process"].stderr
            yield RunningCluster(address, client, workers, _written(tmp_path, "in-process"))
    finally:
        for process in reversed(processes):
            _stop(process)


def test_a_dask_cluster_run_has_the_in_process_verdicts_loses_nothing_to_a_dead_worker_and_shares_counterexamples(
    cluster: RunningCluster, redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One test, on purpose: the cluster's start is what costs here (seconds of torch imports),
    and one test keeps it on one xdist worker.

    ``verify`` on the cluster, while one of its two workers is killed (SIGKILL) holding a slice,
    gives the in-process run's verdicts, example counts, classes and counterexamples: the
    scheduler re-ran the slice on the other. Then ``check`` of a wrong KL (the ratio p/q formed
    first) on the cluster saves its counterexample in Redis, and a run in this process, another
    machine as far as Hypothesis knows, fails on its first example.
    """
    killed: list[bool] = []
    killer = threading.Thread(target=lambda: killed.append(_kill_when_busy(cluster.client, cluster.workers["second"], "second")))
    killer.start()
    code = main([*_verify_words(tmp_path, "cluster"), "--scheduler", cluster.address])
    killer.join()
    assert killed == [True], "the second worker never held a slice: nothing was tested"
    assert code == 0, capsys.readouterr().out
    on_cluster = _written(tmp_path, "cluster")
    assert len(on_cluster) > 10  # the theorem, its claims and its wrong implementations
    assert on_cluster == cluster.in_process

    report = tmp_path / "first.json"
    words = ["check", THEOREM, "--impl", "theorems.kl.catalogue:ratio_first", "--profile", "ci", "--scheduler", cluster.address, "--database", redis_url, "--json", str(report)]
    assert main(words) == 1, capsys.readouterr().out
    searched = json.loads(report.read_text(encoding="utf-8"))["theorems"][0]
    assert searched["verdict"] == "falsified" and searched["examples"] > 2  # found after some search
    replayed = run_check(get_theorem(THEOREM), ratio_first, profile="ci", database=SharedDatabase(redis_url).open())
    assert replayed.verdict == "falsified"
    assert not replayed.evidence[0].holds, [evidence.explain() for evidence in replayed.evidence]
    assert replayed.counterexample is not None and replayed.counterexample.example == searched["counterexample"]["example"]


def _kill_when_busy(client: Any, worker: subprocess.Popen[bytes], name: str) -> bool:
    """SIGKILL ``worker`` as soon as the scheduler has given it a slice; False if it never got one."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        workers = client.scheduler_info(n_workers=-1)["workers"]
        ours = next((address for address, info in workers.items() if info.get("name") == name), None)
        if ours is not None and client.processing(workers=[ours]).get(ours):
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            return True
        time.sleep(0.02)
    return False


def test_the_pytest_suite_saves_its_counterexamples_in_the_shared_database(tmp_path: Path) -> None:
    (tmp_path / "test_small.py").write_text(
        "from hypothesis import given, strategies as st\n\n\n@given(st.integers())\ndef test_below(n):\n    assert n < 1000\n",
        encoding="utf-8",
    )
    shared = tmp_path / "examples"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--hypothesis-profile", "ci", "--theorems-database", str(shared), "test_small.py"]
    finished = subprocess.run(command, cwd=tmp_path, env=ENVIRONMENT, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 1, finished.stdout + finished.stderr  # the property is false: n = 1000
    assert any(path.is_file() for path in shared.rglob("*")), "no counterexample was saved in the shared folder"


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--scheduler", "tcp://127.0.0.1:notaport", "not a Dask scheduler address"),
        ("--scheduler", "http://127.0.0.1:8786", "not a Dask scheduler address"),
        ("--database", "redis://127.0.0.1:notaport/0", "port"),
        ("--database", "redis://127.0.0.1:6379/first", "malformed"),
        ("--database", "mysql://127.0.0.1/0", "not a redis:// URL"),
    ],
)
def test_a_malformed_scheduler_or_database_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str], option: str, value: str, said: str
) -> None:
    code = main(["verify", "--only", THEOREM, "--no-power", option, value])
    error = capsys.readouterr().err
    assert code == 2 and said in error and error.count("\n") == 1, error


def test_an_unreachable_redis_is_one_line_and_exit_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", THEOREM, "--impl", "theorems.kl.check:kl_divergence", "--database", f"redis://127.0.0.1:{_free_port()}/0"])
    error = capsys.readouterr().err
    assert code == 2 and "cannot reach Redis" in error and error.count("\n") == 1, error


def test_redis_lost_mid_run_falls_back_to_the_local_folder_and_the_run_completes(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import redis

    from theorems._engine import database as shared

    monkeypatch.chdir(tmp_path)  # the local fallback, .hypothesis/examples, lands here
    opened = SharedDatabase(redis_url).open()
    opened.save(b"before", b"kept")
    assert list(opened.fetch(b"before")) == [b"kept"]
    redis.Redis.from_url(redis_url).shutdown(nosave=True)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    run = run_check(get_theorem(THEOREM), ratio_first, profile="ci", database=opened)
    assert run.verdict == "falsified", run.error  # the run completed, and found its counterexample
    warning = capsys.readouterr().err
    assert warning.count("lost the shared example database") == 1 and str(shared.LOCAL_EXAMPLES) in warning, warning
    assert any(path.is_file() for path in (tmp_path / shared.LOCAL_EXAMPLES).rglob("*")), "the counterexample was not kept locally"
    shared._opened.cache_clear()  # the next test's URL is another server


def test_a_scheduler_killed_mid_run_is_one_line_and_exit_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No hang, and no report written as if the run were complete."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")
    worker = None
    try:
        with Client(address, timeout=START_TIMEOUT) as client:
            worker = _worker(address, "only")
            client.wait_for_workers(1, timeout=START_TIMEOUT)

            def kill_when_busy() -> None:
                deadline = time.monotonic() + START_TIMEOUT
                while time.monotonic() < deadline and not any(client.processing().values()):
                    time.sleep(0.02)
                os.kill(scheduler.pid, signal.SIGKILL)

            killer = threading.Thread(target=kill_when_busy)
            killer.start()
            start = time.monotonic()
            code = main([*_verify_words(tmp_path, "lost"), "--scheduler", address])
            killer.join()
    finally:
        for process in (worker, scheduler):
            if process is not None:
                _stop(process)
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1 and "lost the Dask scheduler" in error, error
    assert time.monotonic() - start < 60
    assert not (tmp_path / "lost.json").exists() and not (tmp_path / "lost.html").exists()
