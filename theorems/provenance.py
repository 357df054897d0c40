"""Where a record came from: the commit, the date, the tree's state and a hash of what it measured.

Every record the project's maintainer commands write (``make calibrate``, ``flakiness``,
``bench``, ``mutation``, ``quadrature-record``, ``cluster-bench``) carries, under the key
``"provenance"``::

    {"commit": "<40 hex digits>" | null, "dirty": bool | null, "date": "YYYY-MM-DD HH:MM:SS UTC",
     "modules": {"theorems.fold.check": "<sha256 of its source>", …}, "sha256": "<sha256 over all of them>"}

``commit`` and ``dirty`` come from git in the folder the package was imported from (null
when that is not a git checkout: an installed wheel); ``dirty`` counts tracked files only,
since reports/ and other ignored output are not what was measured. ``modules`` are the
modules whose code the record measured, each hashed over its source file's bytes; a
module is named, not located, so that the hash is the same in the source tree and in an
installed wheel. :func:`record_origin` recomputes the hashes now: a record whose modules
changed since is *stale*, and says which. A record written before provenance was kept has
none, and says so (:data:`NO_PROVENANCE`); it is never hidden.

``python -m theorems.provenance FILE MODULE…`` (``--package theorems`` for every module of
the package) adds the key to a JSON object written by another tool (pytest-benchmark's
``--benchmark-json``, the flakiness count the Makefile prints).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib
import importlib.util
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "NO_PROVENANCE",
    "write_record",
    "RecordOrigin",
    "module_digests",
    "module_sources",
    "package_modules",
    "provenance",
    "record_origin",
    "source_digest",
]

NO_PROVENANCE = "no provenance (recorded before provenance was kept)"
# A git command that takes longer than this is treated as no git at all (a record is still written).
GIT_SECONDS = 10


# --- hashing what was measured ----------------------------------------------------------------


def module_sources(modules: Iterable[str]) -> dict[str, Path | None]:
    """Each module's source file (None where it cannot be imported now or has no source file)."""
    found: dict[str, Path | None] = {}
    for name in modules:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # a parent package that no longer exists
            spec = None
        origin = None if spec is None else spec.origin
        found[name] = Path(origin) if origin and origin.endswith(".py") and Path(origin).is_file() else None
    return found


def source_digest(files: Mapping[str, Path]) -> str:
    """sha256 over the files' bytes, each prefixed by its name, in the order of the names.

    Names, not paths, go into the hash, so that a module hashes alike wherever it is installed.
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        content = files[name].read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def module_digests(modules: Iterable[str]) -> dict[str, str | None]:
    """``{module: sha256 of its source}``, None for a module that has no source file now."""
    return {name: None if path is None else source_digest({name: path}) for name, path in module_sources(modules).items()}


def package_modules(package: str) -> list[str]:
    """Every module of ``package`` (itself included), importing its subpackages to find them."""
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if not info.name.rsplit(".", 1)[-1].startswith("__"):
            names.append(info.name)
    return sorted(names)


# --- writing it --------------------------------------------------------------------------------


def _git(*arguments: str, folder: Path) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *arguments], capture_output=True, text=True, timeout=GIT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def provenance(modules: Iterable[str], *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """The ``"provenance"`` of a record that measured ``modules`` (module names; see the module docstring).

    Raises ValueError for a module with no source file: a record must not claim to have
    measured code it cannot hash.
    """
    digests = module_digests(sorted(set(modules)))
    missing = [name for name, digest in digests.items() if digest is None]
    if missing:
        raise ValueError(f"no source file for the measured module(s) {', '.join(missing)}: cannot record what was measured")
    sources = {name: path for name, path in module_sources(digests).items() if path is not None}
    folder = Path(__file__).resolve().parent
    commit = _git("rev-parse", "HEAD", folder=folder)
    status = _git("status", "--porcelain", "--untracked-files=no", folder=folder)
    moment = now or datetime.datetime.now(datetime.timezone.utc)
    return {
        "commit": None if commit is None else commit.strip(),
        "dirty": None if status is None or commit is None else bool(status.strip()),
        "date": moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "modules": digests,
        "sha256": source_digest(sources),
    }


# --- reading it back -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordOrigin:
    """What a record says of where it came from, and whether the code it measured is still the same.

    ``stale`` is None when it cannot be told (no provenance); ``changed`` names the modules
    whose source differs now (or no longer exists).
    """

    commit: str | None = None
    dirty: bool | None = None
    date: str | None = None
    stale: bool | None = None
    changed: tuple[str, ...] = ()
    note: str = NO_PROVENANCE

    @property
    def kept(self) -> bool:
        """Whether the record has a provenance of its own (a recorded hash to compare with the code now)."""
        return self.stale is not None


def record_origin(record: Any) -> RecordOrigin:
    """The :class:`RecordOrigin` of a record as read from its JSON (any shape: only ``"provenance"`` is read)."""
    found = record.get("provenance") if isinstance(record, dict) else None
    if not isinstance(found, dict) or not isinstance(found.get("modules"), dict):
        return RecordOrigin()
    recorded = {str(name): digest for name, digest in found["modules"].items()}
    now = module_digests(recorded)
    changed = tuple(sorted(name for name, digest in recorded.items() if now[name] != digest))
    commit = found.get("commit") if isinstance(found.get("commit"), str) else None
    dirty = found.get("dirty") if isinstance(found.get("dirty"), bool) else None
    date = str(found.get("date", "")) or None
    return RecordOrigin(commit, dirty, date, bool(changed), changed, note=_described(commit, dirty, date, changed, len(recorded)))


def _described(commit: str | None, dirty: bool | None, date: str | None, changed: tuple[str, ...], measured: int) -> str:
    at = f"commit {commit[:12]}" if commit else "no git commit"
    tree = {True: " (uncommitted changes in the tree)", False: "", None: ""}[dirty]
    when = f", {date}" if date else ""
    if not changed:
        return f"recorded at {at}{tree}{when}; the {measured} module(s) it measured are unchanged since"
    shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
    return f"recorded at {at}{tree}{when}; stale: {shown} changed since (rerun the command that writes it)"


# --- the command -----------------------------------------------------------------------------------


def stamp(path: Path, modules: Sequence[str]) -> None:
    """Add ``"provenance"`` for ``modules`` to the JSON object in ``path``."""
    record = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(record, dict):
        raise ValueError(f"{path} holds a JSON {type(record).__name__}, not an object: no place for its provenance")
    record["provenance"] = provenance(modules)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def write_record(path: Path, record: dict[str, Any], program: str) -> bool:
    """Write a measurement record whole (atomically, as the report's outputs are); False after one
    line on stderr saying why it could not be written."""
    from theorems.files import write_atomically

    try:
        write_atomically(path, json.dumps(record, indent=2, allow_nan=False) + "\n")
    except OSError as error:
        print(f"{program}: error: cannot write {path}: {error.strerror or error}", file=sys.stderr)
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m theorems.provenance", description="Add a record's provenance to a JSON object file.")
    parser.add_argument("file", type=Path, help="the record (a JSON object), rewritten in place")
    parser.add_argument("modules", nargs="*", help="the modules the record measured (importable names)")
    parser.add_argument("--package", action="append", default=[], help="every module of this package (repeatable)")
    arguments = parser.parse_args(argv)
    modules = [*arguments.modules, *(name for package in arguments.package for name in package_modules(package))]
    if not modules:
        parser.error("name the modules the record measured, or --package")
    try:
        stamp(arguments.file, modules)
    except (OSError, ValueError) as error:
        print(f"python -m theorems.provenance: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
