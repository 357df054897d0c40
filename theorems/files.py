"""Writing an output file whole or not at all.

Two runs that write the same report path at once, or a run killed while it writes,
must never leave a file that mixes both or stops half-way and is then read as a
complete report. Each output is written to a temporary file beside its target, flushed
to disk, and renamed over the target (``os.replace``, atomic within one file system):
a reader sees the old file or the new one, and the last run to finish wins whole.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8) to ``path``, creating its folder; OSError (the disk full,
    the folder read-only) leaves ``path`` as it was and no temporary file behind."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide a report from the rest of a CI job
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target
