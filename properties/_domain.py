"""Validating the keyword arguments that restrict a strategy's domain (``--assume``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

__all__ = ["chosen_values", "one_of_values", "require_size"]


def _allowed(value: Any, allowed: Collection[Any]) -> bool:
    # True == 1 in Python: a flag is not a number, and a number is not a flag.
    return any(value == option and isinstance(value, bool) == isinstance(option, bool) for option in allowed)


def one_of_values(name: str, given: Any, allowed: Collection[Any]) -> st.SearchStrategy[Any]:
    """``sampled_from`` the ``allowed`` values, or only those ``given`` (one value or a collection of them).

    Raises ``InvalidArgument`` naming ``name=value`` for a value outside ``allowed``,
    at once, in the manner of Hypothesis's own strategies.
    """
    if given is None:
        return st.sampled_from(tuple(allowed))
    chosen = tuple(given) if isinstance(given, (tuple, list, set, frozenset, range)) else (given,)
    if not chosen:
        raise InvalidArgument(f"{name}={given!r} allows nothing; expected one of {tuple(allowed)!r}")
    for value in chosen:
        if not _allowed(value, allowed):
            raise InvalidArgument(f"{name}={value!r} is not possible; expected one of {tuple(allowed)!r}")
    return st.sampled_from(chosen)


def chosen_values(name: str, given: Any, allowed: tuple[Any, ...]) -> tuple[Any, ...]:
    """The ``allowed`` values ``given`` names, in their order (all for None); InvalidArgument as ``one_of_values``."""
    one_of_values(name, given, allowed)
    if given is None:
        return allowed
    chosen = tuple(given) if isinstance(given, (tuple, list, set, frozenset, range)) else (given,)
    return tuple(value for value in allowed if value in chosen)


def require_size(name: str, value: Any, *, largest: int | None = None) -> int:
    """``value`` if it is an int of at least 1 (and at most ``largest``); InvalidArgument naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (largest is not None and value > largest):
        bound = f"an int from 1 to {largest}" if largest is not None else "an int of at least 1"
        raise InvalidArgument(f"{name}={value!r} must be {bound}")
    return value
