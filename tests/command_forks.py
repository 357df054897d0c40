"""``theorems`` commands run as programs, each forked from one interpreter that imported torch once.

A test of the command as a program (its supervisor, its exit status whatever the implementation
does to its process, a module found from the user's folder) needs a process per command; most
of such a process is its imports and its interpreter's teardown (3.5 s and 0.7 s of one core of
the 4.5 that a falsified ``theorems check`` of kl-nonnegativity takes here). :class:`CommandForks`
starts :mod:`command_server` once per test process and forks each command from it: the command
runs as the console script runs it (``sys.exit(main())``, the supervisor forking the check), in
its own process with its own folder, streams and exit status, for a few tenths of a second.
What a fork cannot show, the console script itself and a fresh interpreter's imports, is left to
the tests that start one (test_cli's installed script and module form, the replay of
test_user_project, test_extras' core without extras, the first hour from the wheel).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SERVER = Path(__file__).with_name("command_server.py")
# One BLAS/OpenMP thread, as make exports it: the server may fork only while it has one thread.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Seconds the server may take to import torch and the package on a loaded machine.
START_TIMEOUT = 300.0


@dataclass(frozen=True)
class Command:
    """``theorems ARGV…`` run in ``cwd``; ``prelude``, Python run in its process before ``main`` (a patch a test needs)."""

    argv: tuple[str, ...]
    cwd: Path
    prelude: str = ""


@dataclass(frozen=True)
class Finished:
    """How a command ended: its exit status (``-N``: killed by signal N; None: still running at the timeout, then killed)."""

    returncode: int | None
    stdout: str
    stderr: str


class CommandForks:
    """The fork server of one test process, started at the first :meth:`run` (see the module's docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.batches = 0
        self.server: subprocess.Popen[str] | None = None
        self.server_errors: TextIO | None = None

    def run(self, commands: Mapping[str, Command], *, timeout: float = 300.0) -> dict[str, Finished]:
        """Every command at once, each in a process of its own; their ends by name once all have ended (or ``timeout`` passed)."""
        server = self._started()
        self.batches += 1
        outputs = {name: (self.folder / f"{self.batches}-{name}.out", self.folder / f"{self.batches}-{name}.err") for name in commands}
        request = {
            "timeout": timeout,
            "commands": [
                {"name": name, "argv": list(command.argv), "cwd": str(command.cwd), "prelude": command.prelude,
                 "stdout": str(outputs[name][0]), "stderr": str(outputs[name][1])}
                for name, command in commands.items()
            ],
        }
        assert server.stdin is not None
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        statuses = json.loads(self._answer(timeout + 60))
        return {name: Finished(statuses[name], _read(out), _read(err)) for name, (out, err) in outputs.items()}

    def close(self) -> None:
        if self.server is None:
            return
        assert self.server.stdin is not None
        self.server.stdin.close()
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        assert self.server_errors is not None
        self.server_errors.close()

    def _started(self) -> subprocess.Popen[str]:
        if self.server is None:
            self.server_errors = open(self.folder / "server.err", "w", encoding="utf-8")
            self.server = subprocess.Popen(
                [sys.executable, "-P", str(SERVER)], env={**os.environ, **ONE_THREAD}, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.server_errors,
            )
            if self._answer(START_TIMEOUT) != "ready":
                raise RuntimeError(f"the command server did not start: {_read(self.folder / 'server.err')[-3000:]}")
        return self.server

    def _answer(self, timeout: float) -> str:
        """The server's next line; its stderr in the error if it ended or said nothing within ``timeout``."""
        assert self.server is not None and self.server.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.server.stdout, selectors.EVENT_READ)
            line = self.server.stdout.readline() if selector.select(timeout) else ""
        if not line:
            raise RuntimeError(f"the command server gave no answer within {timeout:g} s: {_read(self.folder / 'server.err')[-3000:]}")
        return line.strip()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
