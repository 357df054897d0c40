"""Every theorem, transcribed claim and wrong implementation, found by module.

A module of ``theorems`` exposes ``THEOREMS: tuple[Theorem, ...]`` and, where the
notes got a formula wrong, ``CLAIMS: tuple[Claim, ...]``; a module
``properties/wrong_*.py`` exposes ``WRONG_IMPLEMENTATIONS: tuple[WrongImplementation, ...]``.
Discovery walks the packages so that adding one never means editing a central list.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil

from typing import Any

import theorems
from theorems.theorem import Claim, InvalidInput, Theorem, WrongImplementation

__all__ = ["all_claims", "all_theorems", "all_wrong_implementations", "get_theorem"]

# Modules that are machinery, not theorems: importing them for discovery is pointless
# (and the CLI and plugin would import themselves).
MACHINERY = {"__main__", "calibration", "cli", "pytest_plugin", "report"}


def _collect(package: Any, attribute: str, *, prefix: str = "") -> tuple[Any, ...]:
    found: list[Any] = []
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name in MACHINERY or not module_info.name.startswith(prefix):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        found.extend(getattr(module, attribute, ()))
    return tuple(found)


def all_theorems() -> tuple[Theorem, ...]:
    """All registered theorems, in module order then declaration order."""
    return _collect(theorems, "THEOREMS")


def all_claims() -> tuple[Claim, ...]:
    """All transcribed claims of the notes that the suite must falsify."""
    return _collect(theorems, "CLAIMS")


def all_wrong_implementations() -> tuple[WrongImplementation, ...]:
    """The catalogue of deliberately wrong implementations, from ``properties/wrong_*.py``."""
    import properties

    return _collect(properties, "WRONG_IMPLEMENTATIONS", prefix="wrong_")


def get_theorem(theorem_id: str) -> Theorem:
    """The theorem with this id; an unknown id raises InvalidInput naming the nearest."""
    by_id = {theorem.id: theorem for theorem in all_theorems()}
    if theorem_id in by_id:
        return by_id[theorem_id]
    nearest = difflib.get_close_matches(theorem_id, list(by_id), n=1)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else f"; known ids: {', '.join(sorted(by_id))}"
    raise InvalidInput(f"unknown theorem id {theorem_id!r}{hint}")
