"""What a check needs before any example runs: the extra its examples import, assumptions that
do not contradict each other, an implementation callable with the contract's arguments.

Each raises one line (:class:`theorems.theorem.InvalidInput`, or
:class:`theorems.extras.MissingExtra`), which the doors turn into a usage error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, settings

from theorems.extras import require
from theorems.theorem import InvalidInput, Theorem

__all__ = ["require_consistent", "require_extra", "require_signature"]


def require_extra(theorem: Theorem) -> None:
    """The extra of the package ``theorem``'s examples need, or :class:`theorems.extras.MissingExtra` naming it."""
    if theorem.extra is not None:
        require(theorem.extra, f"the theorem {theorem.id}")


def require_consistent(theorem: Theorem, assume: dict[str, Any]) -> None:
    """Raise InvalidInput (one line) if ``assume`` contradicts itself: a covered class that the other
    assumptions leave no example of (``dim=2`` with ``dimension=3+``), decided from an example drawn
    under all of them and classified, as the report classifies every example."""
    given = [name for name in theorem.cover if name in assume]
    if len(assume) < 2 or not given or not theorem.classify_target:
        return
    from hypothesis import find
    from hypothesis.errors import InvalidArgument, NoSuchExample

    try:
        example = find(
            theorem.example_strategy(**assume), lambda _: True,
            settings=settings(database=None, derandomize=True, max_examples=10, phases=[Phase.generate], suppress_health_check=list(HealthCheck)),
        )
    except (InvalidArgument, NoSuchExample):
        raise InvalidInput(f"--assume {', '.join(f'{n}={theorem.assumption(n).spelled(v)}' for n, v in assume.items())} leaves no example") from None
    found = theorem.classify(example)
    for name in given:
        wanted, drawn = theorem.assumption(name).spelled(assume[name]), theorem.assumption(name).spelled(found.get(name))
        if wanted != drawn:
            others = ", ".join(f"{n}={theorem.assumption(n).spelled(v)}" for n, v in assume.items() if n != name)
            raise InvalidInput(f"--assume {name}={wanted} contradicts {others}: their examples have {name}={drawn}")


def require_signature(theorem: Theorem, implementation: Callable[..., Any], name: str) -> None:
    """Raise InvalidInput (one line) if ``implementation`` cannot be called with the contract's arguments.

    Decided from ``inspect.signature`` before any example runs; a callable whose
    signature Python cannot read (some builtins) is let through to the check.
    """
    if not callable(implementation):
        raise InvalidInput(f"{name} is not callable (it is a {type(implementation).__name__})")
    if not theorem.parameters:  # a class its check builds with its own arguments (log-prob-normalises): the check reads them
        return
    try:
        signature = inspect.signature(implementation)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*theorem.parameters)
    except TypeError as error:
        wanted = ", ".join(theorem.parameters)
        raise InvalidInput(
            f"{name}{signature} cannot be called as {theorem.id}'s contract calls it, with ({wanted}): {error}"
        ) from None
