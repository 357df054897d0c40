"""log-det-jacobian over symbols (``theorems prove``): not stated symbolically, and why."""

from __future__ import annotations

from theorems.oracles.symbolic import NotAnIdentity

__all__ = ["NOT_AN_IDENTITY"]

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "log-det-jacobian",
        "one identity per transform of the installed torch, written in torch's tensor code; checked against autograd's Jacobian numerically",
    ),
)
