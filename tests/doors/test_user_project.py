"""A user's project outside this repository checks its own code, as a user would.

The project (its own package ``mylib``, its own ``conftest.py`` loading a Hypothesis
profile with a deadline no example can meet) lives in a temporary folder; the commands
run there in fresh processes: its own pytest run with ``theorems.assert_holds`` (with
the plugin's verification items beside its tests), and the console script with
``--impl`` naming a module of that folder. An ``--impl`` naming a file is resolved by
the command in this process, from that folder.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from command_forks import ONE_THREAD, Command, CommandForks, Finished
from theorems.extras import EXTRAS

BIN = Path(sys.executable).parent

FOLDS = '''
import copy
import time

import torch


def _scale(bn, eps):
    scale = torch.rsqrt(bn.running_var + eps)
    return scale * bn.weight if bn.affine else scale


def _fold(conv, bn, eps):
    fused = copy.deepcopy(conv)
    scale = _scale(bn, eps)
    with torch.no_grad():
        fused.weight.mul_(scale.reshape(-1, *([1] * (conv.weight.dim() - 1))))
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        shifted = (bias - bn.running_mean) * scale + (bn.bias if bn.affine else 0)
    fused.bias = torch.nn.Parameter(shifted.to(conv.weight.dtype))
    return fused


def fold(conv, bn):
    return _fold(conv, bn, bn.eps)


def fold_without_eps(conv, bn):
    return _fold(conv, bn, 0.0)


def fold_model(model):
    return model


def spins(conv, bn):
    while True:
        pass


def sleeps(conv, bn):
    time.sleep(600)


def sleeps_in_c(conv, bn):
    import ctypes

    ctypes.CDLL(None).sleep(600)  # libc's sleep: C code, with the GIL released


def holds_the_gil(conv, bn):
    import ctypes

    # libc's sleep through PyDLL, which keeps the GIL for the call: C code that neither releases the GIL nor
    # checks for signals, as a long C loop is, without spending the seconds of CPU such a loop would.
    ctypes.PyDLL(None).sleep(600)
'''

CONFTEST = '''
from datetime import timedelta

from hypothesis import settings

# The host project's own profile, with a deadline that no example of any check can meet
# (Hypothesis's default, 200 ms, is missed only by examples that take seconds, such as a
# whole network's): were it applied to a check, the check would fail with DeadlineExceeded.
settings.register_profile("host", deadline=timedelta(microseconds=1), max_examples=50)
settings.load_profile("host")
'''

TESTS = '''
import theorems

from mylib.fuse import fold, fold_without_eps


def test_my_fold_is_right():
    theorems.assert_holds("fold-conv", fold, assume={"dims": 2}, examples=30)


def test_my_fold_of_a_whole_network_keeps_its_promise():
    # a whole network's example takes far longer than the host's deadline
    from theorems.fold_networks.check import fold_network

    theorems.assert_holds("fold-network", fold_network, assume={"network": "small-net", "dtype": "float32"})


def test_my_fold_without_eps_is_wrong():
    theorems.assert_holds("fold-conv", fold_without_eps)
'''


# What no implementation may do to a user's run (tests/engine/test_gate.py's doors): ``assert_holds``
# of an implementation that ends the process, changes the dtype, reseeds, replaces a function the
# oracles call or allocates without end fails its test, and the run goes on, as it was.
HOSTILE_TESTS = '''
import os, sys, torch
import theorems
from theorems.kl.check import kl_divergence

SOFTPLUS = torch.nn.functional.softplus

def test_exits():
    theorems.assert_holds("kl-nonnegativity", lambda p, q: sys.exit(0))

def test_exits_hard():
    theorems.assert_holds("kl-nonnegativity", lambda p, q: os._exit(0))

def test_changes_the_dtype():
    def kl(p, q):
        torch.set_default_dtype(torch.float64)
        return kl_divergence(p, q)
    theorems.assert_holds("kl-nonnegativity", kl)

def test_reseeds():
    def kl(p, q):
        torch.manual_seed(0)
        return kl_divergence(p, q)
    theorems.assert_holds("kl-nonnegativity", kl)

def test_replaces_a_function_the_oracles_call():
    def kl(p, q):
        torch.nn.functional.softplus = lambda x, *a, **k: x
        return kl_divergence(p, q)
    theorems.assert_holds("kl-nonnegativity", kl)

def test_allocates_without_end():
    def kl(p, q):
        chunks = []
        while True:
            chunks.append(bytes(1 << 28))
    theorems.assert_holds("kl-nonnegativity", kl)

def test_the_process_is_as_it_was():
    assert torch.get_default_dtype() == torch.float32
    assert torch.nn.functional.softplus is SOFTPLUS
'''
HOSTILE_FAILING = ("test_exits", "test_exits_hard", "test_changes_the_dtype", "test_reseeds", "test_replaces_a_function_the_oracles_call", "test_allocates_without_end")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("user-project")
    (root / "mylib").mkdir()
    (root / "mylib" / "__init__.py").write_text("")
    (root / "mylib" / "fuse.py").write_text(FOLDS)
    (root / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (root / "test_folds.py").write_text(textwrap.dedent(TESTS))
    (root / "test_hostile.py").write_text(HOSTILE_TESTS)
    return root


def run(project: Path, *words: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(words), cwd=project, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def users_pytest_run(project: Path, once_per_run: Callable[[str, Callable[[], Any]], Any]) -> dict[str, Any]:
    """The user's pytest run: its own three tests, its seven of what no implementation may do to
    the run, and the plugin's items for two theorems.

    One process for all (each pytest process pays seconds of torch imports before its
    first test): the host's tests run under its deadline profile, the plugin's items
    under the project's own profile, whatever the host's. Every example of every check
    outlasts the host's deadline, so that any check the host's profile reached would
    fail; two cheap theorems' items show it as well as a costly one's would. The run has
    a memory limit of its own, as a user's CI job may (``ulimit -v``), which an
    implementation that allocates without end reaches. ``-rA`` names the outcome of each
    test, so that each test below reads its own.
    """

    def bounded() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, resource.RLIM_INFINITY))

    def run_pytest() -> dict[str, Any]:
        found = subprocess.run(
            [str(BIN / "pytest"), "-q", "-rA", "-p", "no:cacheprovider", "--theorems-report", "out/report.html", "--theorems-verify",
             "--theorems-examples", "1", "-k", "my_fold or test_hostile or fold-linear or toeplitz-matrix"],
            cwd=project, env={**os.environ, **ONE_THREAD}, capture_output=True, text=True, timeout=300, preexec_fn=bounded,
        )
        report = project / "out" / "report.html"
        return {
            "returncode": found.returncode, "stdout": found.stdout, "stderr": found.stderr,
            "report": report.read_text() if report.is_file() else "",
        }

    return once_per_run("user-project-pytest", run_pytest)


def failure_of(out: str, test: str) -> str:
    """The report ``-rA`` prints of ``test``'s failure: from its ``___ test ___`` header to the next header."""
    header = f"_ {test} _"
    start = out.index(header)
    following = out.find("\n___", start + len(header))
    return out[start : following if following != -1 else len(out)]


@pytest.mark.slow
@pytest.mark.e2e
def test_the_users_own_pytest_run_checks_its_fold_under_its_own_deadline_profile(users_pytest_run: dict[str, Any]) -> None:
    out = users_pytest_run["stdout"]
    assert "7 failed, 5 passed" in out, out  # its three tests, its seven hostile ones and the plugin's two items
    assert "PASSED test_folds.py::test_my_fold_is_right" in out and "PASSED test_folds.py::test_my_fold_of_a_whole_network_keeps_its_promise" in out
    assert "FAILED test_folds.py::test_my_fold_without_eps_is_wrong" in out
    without_eps = failure_of(out, "test_my_fold_without_eps_is_wrong")
    assert "FALSIFIED" in without_eps and "minimal counterexample" in without_eps, without_eps
    assert "Flaky" not in out and "DeadlineExceeded" not in out


@pytest.mark.slow
@pytest.mark.e2e
def test_a_users_pytest_run_fails_whatever_the_implementation_does(users_pytest_run: dict[str, Any]) -> None:
    """``assert_holds`` in a user's suite: ``os._exit(0)``, ``sys.exit(0)``, a changed dtype, a reseed, a
    replaced function and an allocation without end fail their tests, the process is left as it was
    for the next, and the run exits 1 (not 0, as an unguarded ``os._exit(0)`` in a test would make it).
    A segfault, which ends pytest itself: tests/engine/test_gate.py."""
    out = users_pytest_run["stdout"]
    assert users_pytest_run["returncode"] == 1, out + users_pytest_run["stderr"]
    for test in HOSTILE_FAILING:
        assert f"FAILED test_hostile.py::{test}" in out, test
    assert "PASSED test_hostile.py::test_the_process_is_as_it_was" in out, out
    assert "raised MemoryError" in failure_of(out, "test_allocates_without_end")


def test_a_file_path_names_the_implementation_too(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # (a module from the current folder, by the console script: the replay test below; a wrong signature: test_cli)
    # The command in this process, from the project's folder: a relative file path resolved from there.
    from theorems.cli import main

    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the command puts the file's folder first; undone after
    imported = "fuse" in sys.modules
    try:
        code = main(["check", "fold-conv", "--impl", "mylib/fuse.py:fold", "--examples", "3", "--assume", "dims=3"])
    finally:
        if not imported:
            sys.modules.pop("fuse", None)  # the file's module, imported under its stem
    out = capsys.readouterr().out
    assert code == 0, out
    assert "on the restricted domain dims=3: holds" in out and "mylib/fuse.py:fold" in out


@pytest.mark.e2e
def test_the_printed_replay_command_replays_the_counterexample_in_the_same_folder(project: Path, theorems_commands: CommandForks) -> None:
    # The first run is the command forked as a program (tests/command_forks.py), the replay the console script itself, in a
    # fresh interpreter: the suite's one run of the installed script, from a folder not this repository's, importing the
    # user's module from it; and a printed replay reproduces in a user's fresh process, not only in a fork of the server.
    first = theorems_commands.run({"first": Command(("check", "fold-conv", "--impl", "mylib.fuse:fold_without_eps", "--profile", "ci"), project)})["first"]
    assert first.returncode == 1 and "FALSIFIED" in first.stdout
    replay = next(line.removeprefix("replay: ") for line in first.stdout.splitlines() if line.startswith("replay: "))
    words = shlex.split(replay)
    assert words[:2] == ["theorems", "check"]
    again = run(project, str(BIN / "theorems"), *words[1:])
    assert again.returncode == 1
    counterexample = lambda text: text[text.index("minimal counterexample") :].splitlines()[1]  # noqa: E731
    assert counterexample(again.stdout) == counterexample(first.stdout)


# Four kinds of call that never return; the four checks run at once (each mostly waits).
HANGS = {
    "spins": "a Python loop",
    "sleeps": "time.sleep",
    "sleeps_in_c": "a C call that releases the GIL",
    "holds_the_gil": "a C call that holds the GIL",
}
# The limit: any positive number of seconds is accepted, and no call here ever returns, so a
# tenth of a second decides as well as a minute would. (The supervisor's GRACE after it, for a
# call that holds the GIL, is a constant of the command: 2 s.)
LIMIT = "0.1"


@pytest.fixture(scope="module")
def hung_commands(project: Path, theorems_commands: CommandForks, once_per_run: Callable[[str, Callable[[], Any]], Any]) -> dict[str, Any]:
    """A ``theorems check`` process of each hanging kind, all at once, in one process of the run
    (conftest's ``once_per_run``), forked from one interpreter that imported torch once
    (tests/command_forks.py): the command and its supervisor as a program."""

    def run() -> dict[str, Any]:
        commands = {hang: Command(("check", "fold-conv", "--impl", f"mylib.fuse:{hang}", "--timeout", LIMIT), project) for hang in HANGS}
        return {hang: dataclasses.asdict(end) for hang, end in theorems_commands.run(commands, timeout=120).items()}

    return once_per_run("user-project-hangs", run)


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("hang", HANGS)
def test_a_call_that_does_not_return_is_falsified_at_its_limit(hang: str, hung_commands: dict[str, Any]) -> None:
    """Each kind ends in its verdict, naming the limit it outlived. No time of this machine is
    asserted: the limit is the command's own clock (the in-process limit, or the supervisor's,
    ``GRACE`` seconds later, for a call that holds the GIL), and a call that never returns
    could only end in this verdict or in the 120 s timeout of the fixture (returncode None)."""
    finished = Finished(**hung_commands[hang])
    assert finished.returncode == 1, f"{HANGS[hang]}: {finished.stdout}{finished.stderr}"
    assert "FALSIFIED" in finished.stdout and f"did not return within {LIMIT} s" in finished.stdout, HANGS[hang]
    # The one kind the in-process limit cannot answer: the supervisor ended it from outside.
    assert ("held Python's interpreter lock, so the check was ended from outside" in finished.stdout) == (hang == "holds_the_gil"), finished.stdout


@pytest.mark.e2e
def test_listing_the_theorems_imports_neither_torch_nor_scipy() -> None:
    code = "import sys; from theorems.cli import main; main(['list', '--contracts']); print(sorted({'torch', 'scipy'} & set(sys.modules)))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert found.stdout.splitlines()[-1] == "[]"
    assert "--assume dims=1|2|3" in found.stdout


def build_and_install_the_wheel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The project built as a wheel (no build isolation: the same backend as [build-system]), from a copy
    of the files git would commit: setuptools builds through build/lib in the source folder and keeps
    what an earlier build left there (modules since moved out of the package were shipped again).
    Then installed apart from the checkout (``pip install --target``), once for every test that runs it."""
    import shutil

    folder = tmp_path_factory.mktemp("wheel")
    repository = Path(__file__).resolve().parents[2]
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=repository, check=True, capture_output=True, timeout=60).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (repository / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repository / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(folder), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = folder.glob("theorems-*.whl")
    target = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(built)], check=True, capture_output=True, timeout=300)
    return {"wheel": str(built), "installed": str(target)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, once_per_run: Callable[[str, Callable[[], Any]], Any]) -> dict[str, str]:
    """The wheel and its installation, made by one process of the run (conftest's ``once_per_run``)."""
    return once_per_run("user-project-wheel", lambda: build_and_install_the_wheel(tmp_path_factory))


@pytest.fixture(scope="module")
def wheel(built: dict[str, str]) -> Path:
    return Path(built["wheel"])


@pytest.fixture(scope="module")
def installed(built: dict[str, str]) -> Path:
    """The folder the wheel is installed in; the tests only read it (a test that adds a module puts it in a folder of its own)."""
    return Path(built["installed"])


@pytest.mark.e2e
def test_the_wheel_holds_the_package_theorems_only_with_a_licence(wheel: Path) -> None:
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names}
    assert {package for package in packages if not package.endswith(".dist-info")} == {"theorems"}
    assert not [name for name in names if Path(name).name.startswith("test_") or "conftest" in name]
    assert "theorems/strategies/fold.py" in names and "theorems/fold/catalogue.py" in names
    tools = {"calibration", "mutation", "quadrature_record", "cluster_bench", "fold_network_calibration", "measure_findings"}
    assert not [name for name in names if name.endswith(".py") and Path(name).stem in tools], "a maintainer tool (tools/) in the wheel"
    assert "theorems/report/templates/report.html.j2" in names  # package data, not a package
    committed = sorted(path.name for path in (Path(__file__).resolve().parents[2] / "measurements").glob("*.json"))
    assert committed and all(f"theorems/measurements/{name}" in names for name in committed)  # the records, as package data
    assert any(name.endswith("licenses/LICENSE") for name in names)
    metadata = zipfile.ZipFile(wheel).read(next(name for name in names if name.endswith("METADATA"))).decode()
    assert "License-Expression: MIT" in metadata


@pytest.mark.e2e
def test_a_report_from_the_installed_wheel_shows_the_committed_records(installed: Path, tmp_path: Path) -> None:
    # Installed apart from the checkout, run from a folder with no reports/: the records come from the wheel.
    code = textwrap.dedent("""
        import json, theorems
        from theorems._engine.report_context import recorded_folder, suite_measurements
        from theorems.report.power import SOURCES
        found = suite_measurements()
        print(json.dumps({"package": theorems.__file__, "records": str(recorded_folder()), "note": found.records_note,
                          "read": {name: [getattr(found, name).measured, getattr(found, name).origin is not None] for name in SOURCES}}))
    """)
    environment = {**os.environ, "PYTHONPATH": str(installed)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["package"].startswith(str(installed)) and found["records"] == str(installed / "theorems" / "measurements")
    assert found["note"] is None and all(measured and shown for measured, shown in found["read"].values()), found


@pytest.mark.slow
@pytest.mark.e2e
def test_the_plugin_verifies_inside_the_users_project_whatever_its_profile(users_pytest_run: dict[str, Any]) -> None:
    # The host's profile has a deadline that every example of every check outlasts.
    out = users_pytest_run["stdout"]
    # Exit status 1 from the tests that must fail: the user's fold without eps, and the hostile ones.
    assert users_pytest_run["returncode"] == 1 and "7 failed, 5 passed" in out, out + users_pytest_run["stderr"]
    assert "PASSED ::theorems-verification::theorem[fold-linear]" in out and "PASSED ::theorems-verification::theorem[toeplitz-matrix]" in out, out
    assert "theorems report (passed: 2 theorems, 0 claims)" in out
    assert "theorems report: 9 checks made by the tests (2 hold, 7 do not)" in out, out
    report = users_pytest_run["report"]
    assert report.startswith("<!DOCTYPE html>")
    for test in ("test_my_fold_is_right", "test_my_fold_of_a_whole_network_keeps_its_promise", "test_my_fold_without_eps_is_wrong"):
        assert f"in test_folds.py::{test}" in report, f"the report lacks the check {test} made"


# --- the first hour: the wheel alone, without any extra ---------------------------------------

def installed_with_torch() -> set[str]:
    """What torch itself requires (SymPy and Jinja2 among them): no install of the core lacks those."""
    import re
    from importlib.metadata import requires

    return {re.split(r"[ ;<>=~!\[]", requirement, maxsplit=1)[0].lower() for requirement in requires("torch") or ()}


# The extras' modules a core install can lack.
EVERY_EXTRA_MODULE = sorted(module for modules in EXTRAS.values() for module in modules if module not in installed_with_torch())
# Refused in the first hour, as if not installed (a sitecustomize maps them to None, which Python's import refuses).
WITHOUT_EXTRAS = sorted({"matplotlib", "latex2mathml", "distributed", "dask", "redis", "torchvision", *EVERY_EXTRA_MODULE})

# One fresh interpreter from the wheel (its imports are 4 s of CPU): the core imported and checking,
# then the first hour's commands as ``main(argv)``, then the user's suite as ``pytest.main``.
FIRST_HOUR = '''
import json, sys
refused = set(json.loads(sys.argv[3]))
import theorems, theorems.api, theorems.cli, theorems.pytest_plugin
from theorems.fold.check import fold_linear
core = {"holds": theorems.check("fold-linear", fold_linear, examples=3).holds,
        "leaked": sorted(name for name in sys.modules if name.split(".")[0] in refused and sys.modules[name] is not None)}
from theorems.cli import main

assert theorems.__file__.startswith(sys.argv[1]), theorems.__file__  # the installed wheel, not the checkout
found = {
    "right": main(["check", "fold-conv", "--impl", "mylib.fuse:fold", "--examples", "5", "--assume", "dims=2"]),
    "wrong": main(["check", "fold-conv", "--impl", "mylib.fuse:fold_without_eps"]),
    "report": main(["check", "fold-conv", "--impl", "mylib.fuse:fold", "--examples", "2", "--report", "out/r.html"]),
}
from mylib.fuse import fold
found["api"] = theorems.check("fold-conv", fold, assume={"dims": 1}, examples=5).holds
print(json.dumps({"core": core, "first hour": found}), flush=True)
# Then the user's pytest suite, as `python -m pytest` runs it, the plugin loaded from the wheel's entry point.
for stream in (sys.stdout, sys.stderr):
    print(sys.argv[2], file=stream, flush=True)
import pytest
print(json.dumps({"suite": int(pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-k", "my_fold_is_right or without_eps", "test_folds.py"]))}))
'''
# The line that parts the first hour's commands from the user's pytest run in its output and in its errors.
PYTEST_RUN = "--- the user's pytest run ---"


@pytest.fixture(scope="module")
def first_hour(installed: Path, project: Path, tmp_path_factory: pytest.TempPathFactory, once_per_run: Callable[[str, Callable[[], Any]], Any]) -> dict[str, Any]:
    """The first hour's interpreter, run by one process of the run (conftest's ``once_per_run``): its
    output parted at :data:`PYTEST_RUN`, the JSON of the core and of the commands read from its first part."""

    def run() -> dict[str, Any]:
        # In a folder of its own ahead of the installation, which other tests share with all its extras.
        refusals = tmp_path_factory.mktemp("without-extras")
        (refusals / "sitecustomize.py").write_text(f"import sys\nsys.modules.update(dict.fromkeys({WITHOUT_EXTRAS!r}))\n")
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (refusals, installed, project)))}
        done = subprocess.run(
            [sys.executable, "-c", FIRST_HOUR, str(installed), PYTEST_RUN, json.dumps(WITHOUT_EXTRAS)],
            cwd=project, env=environment, capture_output=True, text=True, timeout=300,
        )
        return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

    done = once_per_run("user-project-first-hour", run)
    assert done["returncode"] == 0 and done["stdout"].count(PYTEST_RUN) == 1, done["stdout"][-3000:] + done["stderr"][-3000:]
    (commands, suite), errors = done["stdout"].split(PYTEST_RUN), done["stderr"].split(PYTEST_RUN)[0]
    return {**json.loads(commands.splitlines()[-1]), "suite": suite, "errors": errors, "stderr": done["stderr"]}


@pytest.mark.e2e
def test_the_core_imports_and_checks_without_any_extra(first_hour: dict[str, Any]) -> None:
    """A fresh interpreter with every extra's modules refused (but those torch itself requires): the
    package, the API, the command and the plugin import, and a check runs to its verdict, before the
    first hour below goes on in the same interpreter (moved here from test_extras, to share it)."""
    assert {"matplotlib", "latex2mathml", "distributed", "redis", "torchvision"} <= set(EVERY_EXTRA_MODULE) <= set(WITHOUT_EXTRAS)
    assert first_hour["core"] == {"holds": True, "leaked": []}, first_hour["core"]


@pytest.mark.slow
@pytest.mark.e2e
def test_the_first_hour_from_the_wheel_without_extras_checks_by_command_api_and_pytest(first_hour: dict[str, Any]) -> None:
    """A user's first hour, issue 26: the wheel installed with no extra (their modules refused by a
    sitecustomize, as if absent; torch's own SymPy and Jinja2 stay), a right and a wrong fold from the
    user's folder by the command and the API, a report asked for without [report] (one line, exit 2),
    and the user's pytest suite with the plugin."""
    from importlib.metadata import requires

    found, errors, suite = first_hour["first hour"], first_hour["errors"], first_hour["suite"]
    assert found == {"right": 0, "wrong": 1, "report": 2, "api": True}, found
    assert "theorems: error: the HTML report (--report out/r.html) needs the extra [report] (matplotlib is not installed)" in errors
    assert errors.count("theorems: error:") == 1 and "Traceback" not in errors
    # The user's pytest suite (its own three tests: one must fail) with the wheel's plugin, no report.
    assert json.loads(suite.splitlines()[-1]) == {"suite": 1}, suite[-3000:]
    assert "1 failed, 1 passed" in suite and "FALSIFIED" in suite, suite[-3000:] + first_hour["stderr"][-2000:]
    assert not [r for r in requires("theorems") or () if "extra ==" not in r and r.split(">")[0].split("<")[0].strip() in WITHOUT_EXTRAS]


def report_sections(records: str) -> dict[str, Any]:
    """The ids of the sections of a whole-suite report (two examples of one theorem, reported with
    scope "full", so that every section that reads the installed package's data is drawn: records,
    templates, figures), and where the package was imported from."""
    import dataclasses
    import re

    import theorems
    from theorems._engine.report_context import report_context, suite_measurements
    from theorems._engine.verify import verify_all
    from theorems.report.html import render_html

    verification = dataclasses.replace(verify_all(profile="ci", max_examples=2, theorem_ids=("toeplitz-matrix",)), scope="full")
    page = render_html(verification, report_context(verification, measurements=suite_measurements(records)))
    return {"package": theorems.__file__, "sections": sorted(set(re.findall(r'<(?:h[1-6]|section|table|p|figure)[^>]* id="([^"]+)"', page)))}


@pytest.mark.e2e
def test_verify_from_the_installed_wheel_draws_the_report_sections_the_repository_draws(installed: Path, tmp_path: Path) -> None:
    # Issue 24: the installed package reads no path of the source tree. Run from a folder with no reports/,
    # the wheel's report must hold every section the checkout's does (the records come from its package data).
    empty = tmp_path / "no-reports-here"
    empty.mkdir()
    # The wheel's in a fresh interpreter that imports it from the target folder; the checkout's here.
    script = f"import json, sys\nfrom typing import Any\n{inspect.getsource(report_sections)}\nprint(json.dumps(report_sections(sys.argv[1])))"
    done = subprocess.run(
        [sys.executable, "-c", script, str(empty)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(installed)}, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = {"wheel": json.loads(done.stdout.splitlines()[-1]), "checkout": report_sections(str(empty))}
    assert found["wheel"]["package"].startswith(str(installed)) and not found["checkout"]["package"].startswith(str(installed))
    found = {where: run["sections"] for where, run in found.items()}
    assert {"power-calibration", "power-mutation", "power-flakiness", "power-benchmarks", "power-quadrature", "figures"} <= set(found["checkout"])
    assert found["wheel"] == found["checkout"]
