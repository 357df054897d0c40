"""Every theorem, transcribed claim and wrong implementation, found by location.

Each module of :mod:`theorems.statements` exposes ``THEOREMS: tuple[Theorem, ...]``
and, where the notes got a formula wrong, ``CLAIMS: tuple[Claim, ...]``; each module of
:mod:`theorems.catalogue` exposes ``WRONG_IMPLEMENTATIONS``. :func:`discover` walks a
package's modules, so adding one never means editing a central list. Listing the
theorems imports only the declarations (no torch, no scipy).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from typing import Any

from theorems.theorem import Claim, InvalidInput, Theorem, WrongImplementation

__all__ = ["all_claims", "all_theorems", "all_wrong_implementations", "discover", "from_theorem_modules", "get_theorem"]

STATEMENTS = "theorems.statements"
CATALOGUE = "theorems.catalogue"


def discover(package_name: str, attribute: str) -> tuple[Any, ...]:
    """``attribute`` of every module of ``package_name`` (alphabetical), concatenated."""
    package = importlib.import_module(package_name)
    found: list[Any] = []
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package_name}.{module_info.name}")
        found.extend(getattr(module, attribute, ()))
    return tuple(found)


def all_theorems() -> tuple[Theorem, ...]:
    """All registered theorems, in module order then declaration order."""
    return discover(STATEMENTS, "THEOREMS")


def all_claims() -> tuple[Claim, ...]:
    """All transcribed claims of the notes that the suite must falsify."""
    return discover(STATEMENTS, "CLAIMS")


def all_wrong_implementations() -> tuple[WrongImplementation, ...]:
    """The catalogue of deliberately wrong implementations (:mod:`theorems.catalogue`)."""
    return discover(CATALOGUE, "WRONG_IMPLEMENTATIONS")


def from_theorem_modules(attribute: str) -> tuple[Any, ...]:
    """``attribute`` of each module that holds a theorem's check (its random checks, its figures)."""
    modules = dict.fromkeys(theorem.check_target.partition(":")[0] for theorem in all_theorems())
    found: list[Any] = []
    for name in modules:
        found.extend(getattr(importlib.import_module(name), attribute, ()))
    return tuple(found)


def get_theorem(theorem_id: str) -> Theorem:
    """The theorem with this id; an unknown id raises InvalidInput naming the nearest."""
    by_id = {theorem.id: theorem for theorem in all_theorems()}
    if theorem_id in by_id:
        return by_id[theorem_id]
    nearest = difflib.get_close_matches(theorem_id, list(by_id), n=1)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else f"; known ids: {', '.join(sorted(by_id))}"
    raise InvalidInput(f"unknown theorem id {theorem_id!r}{hint}")
