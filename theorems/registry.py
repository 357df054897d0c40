"""Every theorem and transcribed claim in the package, found by module.

A theorem module exposes ``THEOREMS: tuple[Theorem, ...]``; discovery walks the
package so that adding a theorem never means editing a central list.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil

import theorems
from theorems.theorem import InvalidInput, Theorem

__all__ = ["all_theorems", "get_theorem"]


def all_theorems() -> tuple[Theorem, ...]:
    """All registered theorems, in module order then declaration order."""
    found: list[Theorem] = []
    for module_info in sorted(pkgutil.iter_modules(theorems.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"theorems.{module_info.name}")
        found.extend(getattr(module, "THEOREMS", ()))
    return tuple(found)


def get_theorem(theorem_id: str) -> Theorem:
    """The theorem with this id; an unknown id raises InvalidInput naming the nearest."""
    by_id = {theorem.id: theorem for theorem in all_theorems()}
    if theorem_id in by_id:
        return by_id[theorem_id]
    nearest = difflib.get_close_matches(theorem_id, list(by_id), n=1)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else f"; known ids: {', '.join(sorted(by_id))}"
    raise InvalidInput(f"unknown theorem id {theorem_id!r}{hint}")
