"""The command line's last resort against a call that holds the GIL past its time limit.

:mod:`theorems.calling` stops waiting for a call after ``--timeout`` seconds, from the
caller's thread; that thread needs the GIL to wake, so code that holds it forever (a
C loop that never releases it, ``sum(range(10**13))``) would hang the whole process.
``theorems check`` therefore forks before it imports anything heavy: the child runs
the check and tells the parent, through a pipe, when each call starts and ends; the
parent, which holds nothing, ends the child when a call outlives its limit by
:data:`GRACE` seconds, prints the verdict "falsified: did not return" and exits 1. A
check that ends normally passes its exit status through unchanged. No report or JSON
is written for a run ended this way (the process that held the results is gone), and
the verdict says so.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time

__all__ = ["GRACE", "supervise"]

# Seconds past the limit before the child is ended from outside: the in-process limit,
# which writes the report, answers at the limit itself whenever the GIL lets it (the
# thread it waits on is checked within milliseconds of the limit).
GRACE = 2.0


def supervise(theorem_id: str, target: str) -> None:
    """Fork; return in the child (which reports its calls), never in the parent (which supervises it)."""
    if not hasattr(os, "fork"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        from theorems.calling import report_calls_to

        report_calls_to(write_end)
        return
    os.close(write_end)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the child, which answers it
    os._exit(_watch(child, read_end, theorem_id, target))


def _watch(child: int, read_end: int, theorem_id: str, target: str) -> int:
    pending = b""
    armed: tuple[float, float, str] | None = None  # (deadline, seconds, example)
    while True:
        wait = None if armed is None else max(0.0, armed[0] - time.monotonic())
        readable, _, _ = select.select([read_end], [], [], wait)
        if readable:
            data = os.read(read_end, 65536)
            if not data:  # the child has exited (or closed the pipe)
                break
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                armed = _read_line(line.decode("utf-8", "replace"), armed)
        elif armed is not None and time.monotonic() >= armed[0]:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            _, seconds, example = armed
            print(
                f"{theorem_id} on {target}: FALSIFIED: the implementation did not return within {seconds:g} s\n"
                f"  it held Python's interpreter lock, so the check was ended from outside {GRACE:g} s later; "
                f"no report or JSON was written\n"
                f"  on: {example}",
                flush=True,
            )
            return 1
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _read_line(line: str, armed: tuple[float, float, str] | None) -> tuple[float, float, str] | None:
    """``B seconds<TAB>example`` arms the watch for one call; ``E`` disarms it."""
    if line.startswith("B "):
        seconds_text, _, example = line[2:].partition("\t")
        seconds = float(seconds_text)
        return time.monotonic() + seconds + GRACE, seconds, example
    if line == "E":
        return None
    return armed
