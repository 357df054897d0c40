"""A fork server for ``theorems`` commands: torch and the package imported once, each command a fork.

Run by :mod:`command_forks` as ``python -P tests/command_server.py``, never imported. It imports
what a ``theorems check`` or ``verify`` process has imported by the time its first example
runs (torch, :mod:`theorems.cli`, every module :func:`settle_examples` loads: 3.5 s of one core
here, nine tenths of such a process) and no other module of the package (Hypothesis draws
constants from the project's loaded modules, so a fork draws the examples the program draws;
third-party modules do not count), then answers requests on stdin, one JSON line each: a
batch of commands, every one forked at once into a process of its own that runs the program's
own last line, ``sys.exit(main())`` (``argv`` None: the supervisor forks and watches the check,
as from the console script). It answers each batch with one JSON line of exit statuses, in
``subprocess``'s convention (``-N`` for a signal), and leaves at the end of its stdin.

``-P``: no script folder and no ``''`` on ``sys.path``, as for the console script, so that the
command finds a user's module from its working folder as it does there (``import_implementation``).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import time
from typing import Any, NoReturn

# The process's own exit, kept before any check runs: the guard of an implementation's call replaces
# os._exit while the call runs, and a call abandoned at its time limit never puts it back.
_EXIT = os._exit

# A forked copy of a process whose threads hold locks can hang (torch's thread pools among
# them): the server forks only while it is the one thread it was started with.
THREADS = f"/proc/{os.getpid()}/task"


def prepare() -> None:
    import torch
    import torch.fx.experimental.symbolic_shapes  # noqa: F401  (a fold check's first call imports it and SymPy: 0.7 s)

    from theorems._engine.settle import settle_examples
    import theorems.cli  # noqa: F401  (what the console script imports before main runs)

    torch.set_num_threads(1)
    settle_examples()
    if os.path.isdir(THREADS) and len(os.listdir(THREADS)) != 1:
        raise SystemExit(f"command_server: {len(os.listdir(THREADS))} threads after the imports; a fork could inherit a held lock")


def become(command: dict[str, Any], responses: int) -> NoReturn:
    """In the forked child: the command's folder, streams and words, then the program's
    last line, ``sys.exit(main())``, ended as :func:`end` says."""
    os.setpgid(0, 0)  # its own group, so that a timeout ends the supervisor and the check it forked
    os.close(responses)
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, command["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                            (2, command["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
        opened = os.open(path, flags, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    os.chdir(command["cwd"])
    sys.argv = ["theorems", *command["argv"]]
    if command["prelude"]:
        exec(command["prelude"], {"__name__": "__prelude__"})
    from theorems.cli import main

    end(main())


def end(status: int) -> NoReturn:
    """End as the interpreter ends a program that returns ``status``, in its order, without its teardown.

    Python's own end waits for the threads that are not daemons, runs the atexit handlers (one
    hostile implementation registers ``os._exit(0)`` there), flushes the streams, then takes
    every module apart; in a fork that last step touches, and so copies, the server's pages
    (0.7 s a command here), and it decides nothing about the exit status.
    """
    import atexit
    import threading

    threading._shutdown()  # type: ignore[attr-defined]  (what the interpreter calls first at its end)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    _EXIT(status)


def run_batch(commands: list[dict[str, Any]], timeout: float, responses: int) -> dict[str, int | None]:
    """Fork every command, then wait for all of them; ``None`` for one still running at ``timeout`` (its group killed)."""
    running: dict[int, str] = {}
    for command in commands:
        child = os.fork()
        if child == 0:
            become(command, responses)
        with contextlib.suppress(OSError):  # as the child does: whichever runs first, the group exists before a timeout
            os.setpgid(child, child)
        running[child] = command["name"]
    statuses: dict[str, int | None] = {}
    deadline = time.monotonic() + timeout
    while running:
        child, status = os.waitpid(-1, os.WNOHANG)
        if child:
            statuses[running.pop(child)] = os.waitstatus_to_exitcode(status)
        elif time.monotonic() > deadline:
            for child in list(running):
                _end_group(child)
                os.waitpid(child, 0)
                statuses[running.pop(child)] = None
        else:
            time.sleep(0.01)
    return statuses


def _end_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass


def serve() -> None:
    responses = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # a stray print of an import cannot garble an answer
    prepare()
    gc.freeze()  # out of the collector's sight: a fork's collections would otherwise touch, and so copy, every page
    os.write(responses, b"ready\n")
    for line in sys.stdin:
        request = json.loads(line)
        statuses = run_batch(request["commands"], request["timeout"], responses)
        os.write(responses, (json.dumps(statuses) + "\n").encode())


if __name__ == "__main__":
    serve()
