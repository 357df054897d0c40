"""A gate that cannot be fooled or crashed: hostile implementations through every door.

Each hostile implementation below is a *correct* KL (or fold) that also does one thing
an implementation under test may not do: end the process, raise a ``BaseException``,
leave a global setting changed, reseed a generator, replace a function the oracles
call, crash, or eat the machine's memory. Whatever it does, no door (``theorems
check``, ``theorems verify``, :func:`theorems.check`/``assert_holds``, a user's pytest
run: tests/doors/test_user_project.py runs it in its user project) may report *holds* or
exit 0, and the caller's process must be left as it was.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import theorems
from theorems.cli import main
from theorems.kl.check import kl_divergence

from command_forks import Command, CommandForks, Finished

THEOREM = "kl-nonnegativity"
ENVIRONMENT = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Custom(BaseException):
    """A BaseException of the implementation's own."""


def _then(action: Callable[[], Any]) -> Callable[[np.ndarray, np.ndarray], float]:
    """A correct KL that does ``action`` first."""

    def hostile(p: np.ndarray, q: np.ndarray) -> float:
        action()
        return kl_divergence(p, q)

    return hostile


def _raise(error: BaseException) -> Callable[[], None]:
    def action() -> None:
        raise error

    return action


def _replace_softplus() -> None:
    torch.nn.functional.softplus = lambda x, *arguments, **keywords: x


# behaviour → (the hostile action, words the falsification must contain)
HOSTILE: dict[str, tuple[Callable[[], Any], str]] = {
    "sys.exit(0)": (lambda: sys.exit(0), "tried to end the process: raised SystemExit(0)"),
    "exit()": (lambda: exit(), "tried to end the process: raised SystemExit"),
    "os._exit(0)": (lambda: os._exit(0), "tried to end the process: called os._exit(0)"),
    "KeyboardInterrupt": (_raise(KeyboardInterrupt()), "raised KeyboardInterrupt (no terminal sent it)"),
    "GeneratorExit": (_raise(GeneratorExit("bye")), "raised GeneratorExit, a BaseException that is not an Exception: bye"),
    "its own BaseException": (_raise(Custom("mine")), "raised Custom, a BaseException that is not an Exception: mine"),
    "default dtype": (lambda: torch.set_default_dtype(torch.float64), "changed the default dtype from torch.float32 to torch.float64"),
    "grad mode": (lambda: torch.set_grad_enabled(False), "changed grad mode from True to False"),
    "deterministic algorithms": (lambda: torch.use_deterministic_algorithms(True), "changed deterministic algorithms from False to True"),
    # torch keeps TF32 for matmuls as the float32 matmul precision (allow_tf32 is a view of it).
    "TF32 matmul": (lambda: setattr(torch.backends.cuda.matmul, "allow_tf32", not torch.backends.cuda.matmul.allow_tf32), "changed float32 matmul precision"),
    "cuDNN benchmark": (lambda: setattr(torch.backends.cudnn, "benchmark", not torch.backends.cudnn.benchmark), "torch.backends.cudnn.benchmark"),
    "matmul precision": (lambda: torch.set_float32_matmul_precision("medium"), "changed float32 matmul precision from 'highest' to 'medium'"),
    "torch seed": (lambda: torch.manual_seed(0), "reseeded a global random generator (torch.manual_seed(0))"),
    "numpy seed": (lambda: np.random.seed(0), "reseeded a global random generator (numpy.random.seed(0))"),
    "python seed": (lambda: __import__("random").seed(0), "reseeded a global random generator (random.seed(0))"),
    "a function the oracles call": (_replace_softplus, "replaced torch.nn.functional.softplus"),
}


def _state() -> tuple[Any, ...]:
    """What the caller's process must still have after a check of a hostile implementation."""
    return (
        torch.get_default_dtype(), torch.is_grad_enabled(), torch.are_deterministic_algorithms_enabled(),
        torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision(), np.geterr(),
        torch.nn.functional.softplus, os._exit, sys.exit,
    )


@pytest.mark.parametrize("behaviour", HOSTILE)
@pytest.mark.parametrize("timeout", [theorems.api.DEFAULT_TIMEOUT, None], ids=["timed", "untimed"])
def test_a_hostile_implementation_is_falsified_through_the_api_and_the_process_is_left_as_it_was(behaviour: str, timeout: float | None) -> None:
    action, words = HOSTILE[behaviour]
    before = _state()
    verdict = theorems.check(THEOREM, _then(action), timeout=timeout)
    assert _state() == before, behaviour
    assert not verdict.holds and verdict.error is None, verdict.explain()
    assert words in verdict.evidence.failure, verdict.explain()
    with pytest.raises(AssertionError, match="FALSIFIED"):
        theorems.assert_holds(THEOREM, _then(action), timeout=timeout)


def test_drawing_random_numbers_is_not_a_falsification_and_leaves_the_generators_as_they_were() -> None:
    """A fold that builds a new layer draws its initial weights: legitimate, and undone."""

    def draws(p: np.ndarray, q: np.ndarray) -> float:
        torch.randn(3), np.random.rand(3), __import__("random").random()
        return kl_divergence(p, q)

    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    verdict = theorems.check(THEOREM, draws, examples=20)
    assert verdict.holds, verdict.explain()
    assert torch.equal(torch.get_rng_state(), torch_state) and np.array_equal(np.random.get_state()[1], numpy_state[1])


def test_numpy_error_state_left_changed_by_a_fold_is_a_falsification() -> None:
    """The KL theorems call the implementation inside ``np.errstate``; a fold's check does not."""
    from torch.nn.utils.fusion import fuse_linear_bn_eval

    def fold(linear: torch.nn.Linear, bn: torch.nn.BatchNorm1d) -> torch.nn.Linear:
        np.seterr(all="ignore")
        return fuse_linear_bn_eval(linear, bn)

    before = np.geterr()
    verdict = theorems.check("fold-linear", fold, examples=5)
    assert np.geterr() == before
    assert not verdict.holds and "NumPy's floating-point error handling" in verdict.evidence.failure, verdict.explain()


# --- the command: a child that ends without its verdict -------------------------------------------

COMMAND_HOSTILE = {
    "sys_exit": ("import sys; sys.exit(0)", "tried to end the process: raised SystemExit(0)"),
    "os_exit": ("import os; os._exit(0)", "tried to end the process: called os._exit(0)"),
    "libc_exit": ("import ctypes; ctypes.CDLL(None)._exit(0)", "ended the process (exit status 0) before a verdict was given"),
    "segfault": ("import ctypes; ctypes.string_at(0)", "ended the process (killed by SIGSEGV"),
    # bytes(n) is calloc: address space taken at once, pages touched only when written.
    "allocates": ("chunks = []\n    while True: chunks.append(bytes(1 << 28))", "MemoryError"),
    "atexit_zero": ("import atexit, os; atexit.register(lambda: os._exit(0)); return kl_divergence(p, q) + 1", "FALSIFIED"),
    "dtype": ("import torch; torch.set_default_dtype(torch.float64)", "changed the default dtype from torch.float32 to torch.float64"),
    "grad": ("import torch; torch.set_grad_enabled(False)", "changed grad mode from True to False"),
    "seeds": ("import numpy; numpy.random.seed(0)", "reseeded a global random generator (numpy.random.seed(0))"),
    "patches": ("import scipy.special; scipy.special.xlogy = lambda x, y: 0 * x", "replaced scipy.special.xlogy"),
    "generator_exit": ("raise GeneratorExit", "raised GeneratorExit, a BaseException that is not an Exception"),
}


@pytest.fixture(scope="module")
def hostile_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    body = "from theorems.kl.check import kl_divergence\n\n"
    for name, (code, _) in COMMAND_HOSTILE.items():
        body += f"\ndef {name}(p, q):\n    {code}\n    return kl_divergence(p, q)\n"
    (folder / "hostile.py").write_text(body, encoding="utf-8")
    return folder


# What acts on the process itself (ends it, crashes it, fills its memory, runs at its exit) is
# checked in a ``theorems check`` process of its own, as is one plain Python exit (sys.exit(0),
# the most direct try at status 0) through the supervisor's pass-through of a verdict. The
# rest change state inside the process: the command's own code in this process, ``main``
# with the same words, gives the status its program would exit with (``sys.exit(main())``).
IN_A_PROCESS = ("sys_exit", "os_exit", "libc_exit", "segfault", "allocates", "atexit_zero")
IN_THIS_PROCESS = tuple(name for name in COMMAND_HOSTILE if name not in IN_A_PROCESS)


@pytest.fixture(scope="module")
def commands_of_hostile_implementations(
    hostile_module: Path, theorems_commands: CommandForks, once_per_run: Callable[[str, Callable[[], Any]], Any]
) -> dict[str, Any]:
    """Each behaviour that acts on the process, in a ``theorems check`` process of its own, all at
    once, in one process of the run (conftest's ``once_per_run``): forks of one interpreter that
    imported torch once (tests/command_forks.py), each running the program with its supervisor,
    so that none pays seconds of imports of its own. The folder they ran in comes with them."""

    def run() -> dict[str, Any]:
        words = ("--profile", "ci", "--memory-limit", "6G")
        commands = {
            name: Command(("check", THEOREM, "--impl", f"hostile:{name}", *words, "--json", str(hostile_module / f"{name}.json")), hostile_module)
            for name in IN_A_PROCESS
        }
        return {"folder": str(hostile_module), "finished": {name: dataclasses.asdict(end) for name, end in theorems_commands.run(commands).items()}}

    return once_per_run("gate-hostile-commands", run)


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("name", IN_A_PROCESS)
def test_no_hostile_implementation_makes_the_command_exit_0(name: str, commands_of_hostile_implementations: dict[str, Any]) -> None:
    finished = Finished(**commands_of_hostile_implementations["finished"][name])
    out, err = finished.stdout, finished.stderr
    assert finished.returncode == 1, f"{name}: exit {finished.returncode}\n{out}{err}"
    assert "FALSIFIED" in out and COMMAND_HOSTILE[name][1] in out, f"{name}: {out}{err}"
    assert "Traceback" not in out + err, f"{name}: {out}{err}"
    if "before a verdict was given" in out:
        written = Path(commands_of_hostile_implementations["folder"]) / f"{name}.json"
        assert "on: k=" in out and not written.exists(), out  # the example it was running; no JSON


@pytest.mark.parametrize("name", IN_THIS_PROCESS)
def test_no_hostile_implementation_makes_the_command_return_0_and_this_process_is_left_as_it_was(
    name: str, hostile_module: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same words as the command's, through ``main`` here (no supervisor: these behaviours leave the process running)."""
    import scipy.special

    monkeypatch.chdir(hostile_module)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the command puts the current folder first; undone after
    before, xlogy = _state(), scipy.special.xlogy
    imported = "hostile" in sys.modules
    try:
        code = main(["check", THEOREM, "--impl", f"hostile:{name}", "--profile", "ci", "--json", str(hostile_module / f"{name}.json")])
    finally:
        if not imported:
            sys.modules.pop("hostile", None)
    out, err = capsys.readouterr()
    assert code == 1, f"{name}: returned {code}\n{out}{err}"
    assert "FALSIFIED" in out and COMMAND_HOSTILE[name][1] in out, f"{name}: {out}{err}"
    assert "Traceback" not in out + err, f"{name}: {out}{err}"
    assert json.loads((hostile_module / f"{name}.json").read_text(encoding="utf-8"))["theorems"][0]["verdict"] == "falsified"
    assert _state() == before and scipy.special.xlogy is xlogy, name


@pytest.mark.slow
@pytest.mark.e2e
def test_verify_is_falsified_when_a_check_ends_its_process(tmp_path: Path, theorems_commands: CommandForks) -> None:
    """``theorems verify`` is supervised too: a reference that ends the process from C fails the run."""
    patch = "import ctypes, theorems.kl.check\ntheorems.kl.check.kl_divergence = lambda p, q: ctypes.CDLL(None)._exit(0)\n"
    words = ("verify", "--only", THEOREM, "--no-power", "--profile", "ci", "--report", str(tmp_path / "report.html"))
    finished = theorems_commands.run({"verify": Command(words, tmp_path, prelude=patch)})["verify"]
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "theorems verify: FALSIFIED: the implementation ended the process (exit status 0)" in finished.stdout
    assert not (tmp_path / "report.html").exists()


# A user's pytest run through the other hostile implementations: tests/doors/test_user_project.py
# (test_a_users_pytest_run_fails_whatever_the_implementation_does), in the user project's one run.
@pytest.mark.slow
@pytest.mark.e2e
def test_a_segfault_in_a_users_pytest_run_ends_pytest_with_its_signal_never_status_0(tmp_path: Path) -> None:
    """``assert_holds`` of an implementation that crashes in compiled code: the crash ends pytest itself."""
    (tmp_path / "test_crash.py").write_text(
        "import ctypes, theorems\n\ndef test_crashes():\n    theorems.assert_holds('kl-nonnegativity', lambda p, q: ctypes.string_at(0))\n",
        encoding="utf-8",
    )
    crash = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "test_crash.py"],
        cwd=tmp_path, env=ENVIRONMENT, capture_output=True, text=True, timeout=300,
    )
    assert crash.returncode not in (0, 1), crash.stdout + crash.stderr


# --- outputs: written whole, or one line ----------------------------------------------------------


def test_a_full_disk_is_one_line_and_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "results.json"
    report.write_text('{"old": true}\n', encoding="utf-8")

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("theorems.files.os.fsync", full)
    code = main(["check", THEOREM, "--impl", "theorems.kl.check:kl_divergence", "--examples", "2", "--json", str(report)])
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1 and "No space left on device" in error, error
    assert json.loads(report.read_text(encoding="utf-8")) == {"old": True}
    assert [path.name for path in tmp_path.iterdir()] == ["results.json"]  # no temporary file left


def test_two_writers_of_one_path_leave_one_complete_file(tmp_path: Path) -> None:
    from theorems.files import write_atomically

    target = tmp_path / "report.json"
    contents = [json.dumps({"writer": writer, "rows": list(range(20_000))}) for writer in range(2)]
    writers = [threading.Thread(target=lambda text=text: [write_atomically(target, text) for _ in range(20)]) for text in contents]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert target.read_text(encoding="utf-8") in contents
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]


def test_each_check_states_its_peak_memory() -> None:
    from theorems._engine.verify import TheoremTask, run_task

    result = run_task(TheoremTask(THEOREM, 5), "ci", None)
    assert result.run.peak_memory is not None and result.run.peak_memory > 2**20


@pytest.mark.slow
@pytest.mark.e2e
def test_a_worker_process_that_dies_is_an_error_for_its_checks_not_a_traceback(hostile_module: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify --jobs``: a worker killed under a check (here by a segfault) leaves error results."""
    from theorems._engine.verify import UserTask, run_tasks

    monkeypatch.syspath_prepend(str(hostile_module))  # the spawned workers start with this sys.path
    tasks = [UserTask(THEOREM, f"hostile:{name}", f"hostile:{name}", str(hostile_module), max_examples=3) for name in ("segfault", "segfault")]
    results = list(run_tasks(tasks, profile="ci", seed=None, jobs=2))
    assert [result.run.verdict for result in results] == ["error", "error"]
    assert all("worker process died" in result.run.error for result in results)


# --- the shared database: every counterexample saved, replayed first ----------------------------


# ci is derandomized; ci-reseeded is seeded, as every run of a profile that is not derandomized is (the seed
# a replay command prints; dev and thorough are derandomized wherever CI is set, as Hypothesis's default is).
@pytest.mark.parametrize(("profile", "seed"), [("ci", None), ("ci-reseeded", 1)])
def test_a_counterexample_found_on_a_covered_row_is_saved_and_replayed_first(tmp_path: Path, profile: str, seed: int | None) -> None:
    from theorems.kl.catalogue import ratio_first
    from theorems._engine.database import SharedDatabase
    from theorems._engine.run import run_check
    from theorems._engine.registry import get_theorem

    theorem, database = get_theorem(THEOREM), SharedDatabase(str(tmp_path / "examples")).open()
    first = run_check(theorem, ratio_first, profile=profile, seed=seed, database=database)
    assert first.verdict == "falsified" and first.examples > 1
    assert any(path.is_file() for path in (tmp_path / "examples").rglob("*")), "nothing was saved"
    again = run_check(theorem, ratio_first, profile=profile, seed=seed, database=database)
    assert again.verdict == "falsified" and again.examples == 1, again.examples  # the saved one, first
    assert again.counterexample.example == first.counterexample.example


# --- what is not checked is counted -----------------------------------------------------------


def integers(**_: Any) -> Any:
    """The examples of the toy theorem below: the integers 0 to 99."""
    from hypothesis import strategies as st

    return st.integers(0, 99)


def check_even_only(implementation: Callable[[int], int], example: int) -> Any:
    """The toy theorem's check: it rejects every odd example and holds on the even ones."""
    from hypothesis import reject

    from theorems.evidence import Evidence

    if example % 2:
        reject()
    return Evidence(theorem_id="toy", example=str(example), expected="0", actual="0", error=0.0, tolerance=1.0, tolerance_reason="exact")


def test_examples_a_check_rejects_are_counted_not_passed_over(tmp_path: Path) -> None:
    from theorems._engine.run import run_check
    from theorems.report.formats import theorem_json
    from theorems.results import TheoremResult
    from theorems.theorem import Theorem

    toy = Theorem(
        id="toy", title="toy", source="test", statement="", hypotheses=(), oracles=(), contract="(n) -> int", parameters=("n",),
        reference_target="builtins:abs", check_target="test_gate:check_even_only", examples="test_gate:integers",
    )
    run = run_check(toy, abs, profile="ci", max_examples=30)
    assert run.verdict == "holds" and run.examples == 30
    assert run.rejected > 0 and all(int(evidence.example) % 2 == 0 for evidence in run.evidence)
    found = theorem_json(TheoremResult("toy", "builtins:abs", run))
    assert found["rejected"] == run.rejected and found["examples"] == 30


@pytest.mark.e2e
def test_a_process_the_implementation_forks_still_ends_with_os_exit() -> None:
    """``os._exit`` raises only in the checking process; a fork of the implementation's own exits."""

    def forks(p: np.ndarray, q: np.ndarray) -> float:
        child = os.fork()
        if child == 0:
            os._exit(7)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 7
        return kl_divergence(p, q)

    verdict = theorems.check(THEOREM, forks, examples=3, timeout=None)
    assert verdict.holds, verdict.explain()


@pytest.mark.slow  # waits out a time limit and the abandoned call (seconds of wall time, little CPU)
def test_a_call_abandoned_at_its_time_limit_puts_nothing_back_when_it_ends_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process moves on after the limit (here: a later patch); the late call must not undo it."""
    import time

    finished = threading.Event()

    def slow(p: np.ndarray, q: np.ndarray) -> float:
        time.sleep(1.0)
        finished.set()
        return kl_divergence(p, q)

    verdict = theorems.check(THEOREM, slow, examples=1, timeout=0.2)
    assert not verdict.holds and "did not return within 0.2 s" in verdict.evidence.failure
    later = lambda x, *arguments, **keywords: x  # noqa: E731  (set after the abandoned call began)
    monkeypatch.setattr(torch.nn.functional, "softplus", later)
    assert finished.wait(10)
    for thread in threading.enumerate():  # the abandoned call's thread, through its guard's last step
        if thread.name.startswith("theorems: "):
            thread.join(10)
    assert torch.nn.functional.softplus is later
