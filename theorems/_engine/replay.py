"""Naming what a run checked, and the command that runs it again.

An implementation is named by the import that gives it back (``module:qualname``), or by its
file where the command, run from this folder, would not find its module (a test module that
pytest imported from ``tests/``); a falsified run prints the command that replays exactly its
examples (:func:`replay_command`), or, for a callable no import names, the Python call.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from theorems.calling import DEFAULT_TIMEOUT
from theorems.theorem import Theorem, resolve

__all__ = ["Replay", "implementation_name", "implementation_target", "narrowed", "replay_command", "spelled"]

# A run's replay line from the seed it used and, for a covered row, that row's assumptions (spelled).
Replay = Callable[..., str]


def implementation_target(implementation: Callable[..., Any]) -> str | None:
    """``module:qualname`` naming ``implementation``, if importing it gives it back; ``path/to/file.py:qualname``
    where the module was imported from a folder that the command, run from this folder, would not
    search (a test module that pytest imported from ``tests/``)."""
    module = getattr(implementation, "__module__", None)
    qualname = getattr(implementation, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return None
    target = f"{module}:{qualname}"
    try:
        if resolve(target) is not implementation:
            return None
    except Exception:  # any import or attribute failure means it cannot be named
        return None
    path = _file_of(module)
    return target if path is None else f"{path}:{qualname}"


def _file_of(module_name: str) -> str | None:
    """The file of ``module_name`` (relative to this folder where it lies below it), when the command
    run from this folder could not import it by name; None when it can (an installed package, the
    standard library, a module below this folder)."""
    import os
    import sys
    import sysconfig
    from pathlib import Path

    file = getattr(sys.modules.get(module_name), "__file__", None)
    if not file:
        return None
    here = Path.cwd().resolve()
    found = Path(file).resolve()
    depth = module_name.count(".") + (1 if found.name == "__init__.py" else 0)
    root = found.parents[depth]  # the folder the module was imported from
    installed = {Path(path).resolve() for key, path in sysconfig.get_paths().items() if key in ("stdlib", "platstdlib", "purelib", "platlib")}
    if root == here or root in installed or "site-packages" in root.parts or "dist-packages" in root.parts:
        return None
    return os.path.relpath(found, here) if found.is_relative_to(here) else str(found)


def implementation_name(implementation: Callable[..., Any]) -> str:
    """``module:qualname`` where it imports back, else what Python calls it (a database key's part)."""
    return implementation_target(implementation) or f"{getattr(implementation, '__module__', '?')}:{getattr(implementation, '__qualname__', repr(implementation))}"


def replay_command(
    theorem_id: str,
    target: str | None,
    *,
    profile: str,
    seed: int | None,
    examples: int | None,
    assume: dict[str, str] | None = None,
    timeout: float | None = None,
) -> str:
    """The command that re-runs exactly these examples (``ci`` is derandomized; else the seed fixes them);
    ``assume`` as the command spells it (:func:`spelled`).

    An implementation no import names (a lambda, a closure, a bound method, a
    ``functools.partial``) is replayed by the Python call that checks it, with the callable
    in place of ``<your callable>``.
    """
    if target is None:
        return _replay_call(theorem_id, profile=profile, seed=seed, examples=examples, assume=assume, timeout=timeout)
    words = ["theorems", "check", theorem_id, "--impl", target, "--profile", profile]
    if seed is not None:
        words += ["--seed", str(seed)]
    if examples is not None:
        words += ["--examples", str(examples)]
    for name, value in (assume or {}).items():
        words += ["--assume", f"{name}={value}"]
    if timeout is not None and timeout != DEFAULT_TIMEOUT:
        words += ["--timeout", f"{timeout:g}"]
    return shlex.join(words)


def _replay_call(
    theorem_id: str, *, profile: str, seed: int | None, examples: int | None, assume: dict[str, str] | None, timeout: float | None
) -> str:
    """The Python call that replays a run of a callable no import names (:func:`replay_command`)."""
    keywords = [f"profile={profile!r}"] + ([f"seed={seed}"] if seed is not None else []) + ([f"examples={examples}"] if examples is not None else [])
    if assume:
        values = {name: _api_value(value) for name, value in assume.items()}
        keywords.append(f"assume={values!r}")
    if timeout is not None and timeout != DEFAULT_TIMEOUT:
        keywords.append(f"timeout={timeout:g}")
    return f"theorems.check({theorem_id!r}, <your callable>, {', '.join(keywords)})"


def _api_value(word: str) -> Any:
    """An assumption's value as ``theorems.check(assume=...)`` takes it: ``2``, ``True``, ``'float32'``."""
    if word in ("true", "false"):
        return word == "true"
    return int(word) if word.isdigit() else word


def spelled(theorem: Theorem, assume: dict[str, Any] | None) -> dict[str, str]:
    """Assumptions as the command line spells them (``dims=2``, ``affine=true``, ``dtype=float32``)."""
    return {name: theorem.assumption(name).spelled(value) for name, value in (assume or {}).items()}


def narrowed(replay: Replay | None, theorem: Theorem, restriction: dict[str, Any]) -> Replay | None:
    """The replay of a run restricted to one covered row: the check's, with the row's values among its assumptions."""
    if replay is None or not restriction:
        return replay
    return lambda used, row=None: replay(used, {**spelled(theorem, restriction), **(row or {})})
