"""The command's supervisor: a verdict whatever the implementation does to its process.

``theorems check`` and ``theorems verify`` fork before they import anything heavy. The
child runs the checks and tells the parent, through a pipe, when each call of an
implementation starts (``B seconds<TAB>example``) and ends (``E``), and, as the very
last thing it does, the exit status its verdict gives (``V status``). The parent holds
nothing and only listens, so it outlives whatever happens to the child:

- a call that outlives its limit by :data:`GRACE` seconds while holding the GIL (which
  the in-process limit of :mod:`theorems.calling` cannot interrupt) is ended from
  outside: *falsified: did not return*, exit 1;
- a child that ends without saying its verdict (``os._exit(0)`` or ``exit()`` from C,
  a segfault in a C extension, the kernel's OOM killer, any exit status) is reported as
  *falsified: the implementation ended the process*, exit 1, with the example it was
  running. Its status is never passed through: an exit status 0 without a verdict
  would be a pass that nobody gave;
- a child that said its verdict exits with that verdict's status, whatever status
  the process ended with afterwards (an ``atexit`` handler cannot change it).

``--memory-limit`` bounds the child's address space (``RLIMIT_AS``), so that an
implementation that allocates without end gets a ``MemoryError`` (falsified: it
raised) or dies (falsified: it ended the process), and the machine keeps its memory.
No report or JSON is written for a run ended from outside (the process that held the
results is gone), and the verdict says so.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time

__all__ = ["GRACE", "MEMORY_FLOOR", "MEMORY_SHARE", "default_memory_limit", "report_verdict", "supervise"]

# Seconds past the limit before the child is ended from outside: the in-process limit,
# which writes the report, answers at the limit itself whenever the GIL lets it (the
# thread it waits on is checked within milliseconds of the limit).
GRACE = 2.0

# The share of the machine's memory the child may address by default (--memory-limit):
# room for torch's own mappings (about 5 GB of address space once imported, most of it
# never resident) and the largest check (fold-network's float64 copies of a network),
# while the rest of the machine stays with the user.
MEMORY_SHARE = 0.75

# The smallest --memory-limit accepted: importing torch (its CUDA build included) maps
# about 3.5 GB of address space before any check runs (measured), and a limit below that
# would fail every check at import instead of bounding the implementation.
MEMORY_FLOOR = 4 * 2**30

_VERDICT_FD: dict[str, int] = {}


def default_memory_limit() -> int | None:
    """:data:`MEMORY_SHARE` of the machine's physical memory, in bytes (None where it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * MEMORY_SHARE)
    except (ValueError, OSError, AttributeError):
        return None


def report_verdict(status: int) -> None:
    """Tell the supervisor (if any) the exit status the child's verdict gives: the child's last word."""
    fd = _VERDICT_FD.pop("fd", None)
    if fd is None:
        return
    try:
        os.write(fd, f"V {status}\n".encode())
    except OSError:  # the supervisor is gone; nobody is left to tell
        pass


def supervise(label: str, *, memory_limit: int | None) -> None:
    """Fork; return in the child (which reports its calls and verdict), never in the parent (which supervises it).

    ``label`` names what is checked in the parent's own verdict lines (``fold-conv on
    mylib:fold``); ``memory_limit`` bounds the child's address space in bytes (None: unbounded).
    """
    if not hasattr(os, "fork"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        _limit_memory(memory_limit)
        from theorems.calling import report_calls_to

        report_calls_to(write_end)
        _VERDICT_FD["fd"] = write_end
        return
    os.close(write_end)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the child, which answers it
    os._exit(_watch(child, read_end, label))


def _limit_memory(limit: int | None) -> None:
    if limit is None:
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class _Heard:
    """What the child has said so far: the call it is in (if timed), the last example it ran, its verdict."""

    def __init__(self) -> None:
        self.armed: tuple[float, float] | None = None  # (deadline, seconds)
        self.example: str | None = None
        self.verdict: int | None = None

    def line(self, line: str) -> None:
        if line.startswith("B "):
            seconds_text, _, example = line[2:].partition("\t")
            seconds = float(seconds_text)
            self.armed, self.example = (time.monotonic() + seconds + GRACE, seconds), example
        elif line == "E":
            self.armed = None
        elif line.startswith("V ") and line[2:].strip().lstrip("-").isdigit():
            self.verdict = int(line[2:])


def _watch(child: int, read_end: int, label: str) -> int:
    heard = _Heard()
    pending = b""
    while True:
        wait = None if heard.armed is None else max(0.0, heard.armed[0] - time.monotonic())
        readable, _, _ = select.select([read_end], [], [], wait)
        if readable:
            data = os.read(read_end, 65536)
            if not data:  # the child has exited (or closed the pipe)
                break
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                heard.line(line.decode("utf-8", "replace"))
        elif heard.armed is not None and time.monotonic() >= heard.armed[0]:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            print(
                f"{label}: FALSIFIED: the implementation did not return within {heard.armed[1]:g} s\n"
                f"  it held Python's interpreter lock, so the check was ended from outside {GRACE:g} s later; "
                f"no report or JSON was written\n"
                f"  on: {heard.example}",
                flush=True,
            )
            return 1
    _, status = os.waitpid(child, 0)
    if heard.verdict is not None:
        return heard.verdict
    print(
        f"{label}: FALSIFIED: the implementation ended the process ({_ended(status)}) before a verdict was given\n"
        f"  no report or JSON was written\n"
        f"  on: {heard.example or 'no example had started (it ended the process while being imported or set up)'}",
        flush=True,
    )
    return 1


def _ended(status: int) -> str:
    """How a process ended, in words."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        cause = {signal.SIGKILL: ", as the kernel's OOM killer ends a process", signal.SIGSEGV: ", a crash in compiled code"}.get(number, "")
        return f"killed by {name}{cause}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
