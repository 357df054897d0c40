"""transform-laws over symbols (``theorems prove``): not stated symbolically, and why."""

from __future__ import annotations

from theorems.oracles.symbolic import NotAnIdentity

__all__ = ["NOT_AN_IDENTITY"]

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "transform-laws",
        "one set of laws per class under test (its forward, inverse, codomain, log-determinant and sign), written in tensor code; "
        "checked against autograd's Jacobians in float64 numerically",
    ),
)
