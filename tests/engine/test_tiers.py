"""The test tiers keep their word: an unmarked test cannot start a process, and a test of the
quick tier cannot spend more than its CPU allowance (both enforced by conftest.py)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

import conftest


def spin(seconds: float) -> None:
    """Spend ``seconds`` of this process's CPU time (not wall time: a sleep would spend none)."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


def run_measured(seconds: float, *, allowance: float) -> str:
    phase = conftest.measured(SimpleNamespace(nodeid="tests/test_x.py::test_y"), "call", allowance)
    next(phase)
    spin(seconds)
    try:
        phase.send("the test's result")
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the measured phase did not end")


def test_a_test_over_the_quick_tiers_cpu_allowance_fails_with_its_figure() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"tests/test_x.py::test_y: call took 0\.\d\d s of CPU, over the quick tier's 0.02 s: mark it @pytest.mark.slow"):
        run_measured(0.05, allowance=0.02)


def test_a_test_within_the_allowance_keeps_its_result() -> None:
    assert run_measured(0.0, allowance=10.0) == "the test's result"


@pytest.mark.parametrize(
    "start",
    [
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=False),
        lambda: os.system("true"),
        lambda: os.fork() or os._exit(0),  # a child, had the guard failed, leaves at once
        lambda: os.posix_spawn(sys.executable, [sys.executable, "-c", "pass"], {}),
        lambda: multiprocessing.get_context("spawn").Process(target=print).start(),
    ],
    ids=["subprocess.run", "os.system", "os.fork", "os.posix_spawn", "multiprocessing spawn"],
)
def test_an_unmarked_test_that_starts_a_process_fails(start) -> None:
    """This test is unmarked: conftest's guard refuses the start before any process exists."""
    with pytest.raises(pytest.fail.Exception, match="starts a process: mark it @pytest.mark.e2e"):
        start()
