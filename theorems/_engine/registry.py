"""Every theorem, transcribed claim, wrong implementation and finding, found by location.

Each theorem lives in a package of its own, ``theorems/<theorem>/``, which a package is
recognised by: it has a ``statement`` module. What the package holds is found by the name
of the module that holds it, so adding a theorem never means editing a central list:

============  ===================================================================
module        attribute
============  ===================================================================
statement     ``THEOREMS`` and, where the notes got a formula wrong, ``CLAIMS``
catalogue     ``WRONG_IMPLEMENTATIONS``: the mistakes its check must falsify
findings      ``FINDINGS``: defects of real libraries its check found
check         ``random_checks()``: its random checks, for ``make calibrate``
symbolic      ``SYMBOLIC_STATEMENTS``, ``SYMBOLIC_CLAIMS``, ``WRONG_STATEMENTS``,
              ``NOT_AN_IDENTITY``: its statements for ``theorems prove``
figures       ``FIGURES``: the report's pictures of its evidence
============  ===================================================================

Listing the theorems imports only the statements (no torch, no scipy).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
import pkgutil
import sys
from typing import Any

from theorems.finding import Finding
from theorems.theorem import Claim, InvalidInput, Theorem, WrongImplementation

__all__ = [
    "all_claims",
    "all_findings",
    "all_theorems",
    "all_wrong_implementations",
    "from_theorem_packages",
    "get_theorem",
    "theorem_packages",
]


@functools.cache
def theorem_packages() -> tuple[str, ...]:
    """The packages ``theorems.<name>`` that hold a theorem (a ``statement`` module), alphabetically."""
    # The parent package is imported before any of its modules; importing it by name here would make
    # the engine depend on the package's face (theorems/__init__.py imports the API, a door above it).
    root = sys.modules["theorems"]
    return tuple(
        f"theorems.{info.name}"
        for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda info: info.name)
        if info.ispkg and not info.name.startswith("_") and importlib.util.find_spec(f"theorems.{info.name}.statement") is not None
    )


def from_theorem_packages(module: str, attribute: str) -> tuple[Any, ...]:
    """``attribute`` of each theorem package's ``module``, where it has one, concatenated in package order."""
    found: list[Any] = []
    for package in theorem_packages():
        if importlib.util.find_spec(f"{package}.{module}") is not None:
            found.extend(getattr(importlib.import_module(f"{package}.{module}"), attribute, ()))
    return tuple(found)


def all_theorems() -> tuple[Theorem, ...]:
    """All registered theorems, in package order then declaration order."""
    return from_theorem_packages("statement", "THEOREMS")


def all_claims() -> tuple[Claim, ...]:
    """All transcribed claims of the notes that the suite must falsify."""
    return from_theorem_packages("statement", "CLAIMS")


def all_wrong_implementations() -> tuple[WrongImplementation, ...]:
    """The catalogue of deliberately wrong implementations (each theorem's ``catalogue``)."""
    return from_theorem_packages("catalogue", "WRONG_IMPLEMENTATIONS")


def all_findings() -> tuple[Finding, ...]:
    """The defects found in real libraries (each theorem's ``findings``)."""
    return from_theorem_packages("findings", "FINDINGS")


def get_theorem(theorem_id: str) -> Theorem:
    """The theorem with this id; an unknown id raises InvalidInput naming the nearest."""
    by_id = {theorem.id: theorem for theorem in all_theorems()}
    if theorem_id in by_id:
        return by_id[theorem_id]
    nearest = difflib.get_close_matches(theorem_id, list(by_id), n=1)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else f"; known ids: {', '.join(sorted(by_id))}"
    raise InvalidInput(f"unknown theorem id {theorem_id!r}{hint}")
