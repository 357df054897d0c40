"""log-prob-normalises over symbols (``theorems prove``): not stated symbolically, and why."""

from __future__ import annotations

from theorems.oracles.symbolic import NotAnIdentity

__all__ = ["NOT_AN_IDENTITY"]

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "log-prob-normalises",
        "one integral per class under test, of its own log_prob as written in tensor code; checked by quadrature and exact sums numerically",
    ),
)
