"""The peak resident memory of one check, read from Linux's own accounting.

``/proc/self/status`` keeps the process's peak resident set (``VmHWM``), and writing
``5`` to ``/proc/self/clear_refs`` resets it to the current resident set (proc(5)), so
the peak of one check is read without sampling and without a profiler. Where ``/proc``
is missing (not Linux) or read-only, the peak is None: unknown, never a guess.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["peak_of", "release_free_memory"]

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _peak_bytes() -> int | None:
    try:
        lines = _STATUS.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # reported in kB
    return None


@contextlib.contextmanager
def peak_of() -> Iterator[list[int | None]]:
    """Measure the block's peak resident memory in bytes: ``[peak]`` after the block, ``[None]`` if unknown."""
    measured: list[int | None] = [None]
    reset = _reset_peak()
    try:
        yield measured
    finally:
        measured[0] = _peak_bytes() if reset else None


def release_free_memory() -> None:
    """Hand the allocator's free memory back to the system (glibc's ``malloc_trim``), where there is one.

    A worker runs check after check; what one check freed otherwise stays resident in the
    C heap and counts into every later check's peak.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim`` from the symbols this process already has, or None.

    Not ``ctypes.util.find_library("c")``: it runs ``ldconfig -p`` in a subprocess, a process
    started by every check.
    """
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to hand back this way
        return None
