"""The shape every executable theorem shares.

A :class:`Theorem` is data: an id, its statement in LaTeX, its hypotheses, where it
comes from in the notes, the oracles that check it, the contract an implementation
under test must follow, a reference implementation, and a ``check``.

``check(implementation, example)`` is the single entry point that every route uses:
the property tests run it on the reference implementation, ``theorems check`` runs it
on a user's implementation, and the catalogue of deliberately wrong implementations
runs it on those. It returns :class:`~theorems.evidence.Evidence` (both sides, the
error, the tolerance and why), and raises :class:`InvalidInput` when the *example*
breaks the theorem's hypotheses, which is the caller's mistake, not the
implementation's.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from theorems.evidence import Evidence

__all__ = ["Claim", "InvalidInput", "Theorem", "WrongImplementation", "resolve"]


class InvalidInput(ValueError):
    """An argument breaks a theorem's hypotheses; the message is one line saying what was expected."""


def resolve(target: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute it names."""
    module_name, _, attribute_path = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for attribute in attribute_path.split("."):
        value = getattr(value, attribute)
    return value


@dataclass(frozen=True)
class Theorem:
    """An executable theorem: its statement, its hypotheses and a check of any implementation.

    ``examples`` names (as ``"module:function"``) a zero-argument function returning
    the Hypothesis strategy of the examples ``check`` accepts; it is resolved lazily so
    that this package stays free of test machinery. ``example_fraction`` is the share of
    the profile's examples one run of the check gets (below 1 where one example costs
    seconds, as a whole network does), the same fraction its property tests run.
    """

    id: str
    title: str
    source: str
    statement: str
    hypotheses: tuple[str, ...]
    oracles: tuple[str, ...]
    contract: str
    reference: Callable[..., Any]
    check: Callable[[Callable[..., Any], Any], Evidence]
    examples: str
    example_fraction: float = 1.0

    def example_strategy(self) -> Any:
        """The Hypothesis strategy of examples for this theorem's ``check``."""
        return resolve(self.examples)()

    def check_reference(self, example: Any) -> Evidence:
        """Run ``check`` on the reference implementation."""
        return self.check(self.reference, example)


@dataclass(frozen=True)
class Claim:
    """A formula as the notes transcribe it, which the suite must show to be false.

    ``implementation`` is the transcribed formula under its theorem's contract; the
    claim is falsified when ``theorem.check`` fails on it for some example. A claim
    that stops being falsified means the suite has lost its power: that is a failure.
    """

    id: str
    theorem_id: str
    source: str
    transcribed: str
    corrected: str
    what_is_wrong: str
    implementation: Callable[..., Any]


@dataclass(frozen=True)
class WrongImplementation:
    """A deliberately wrong implementation (a mistake people make) that the check must falsify."""

    theorem_id: str
    name: str
    mistake: str
    implementation: Callable[..., Any]
