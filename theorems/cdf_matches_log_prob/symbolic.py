"""cdf-matches-log-prob over symbols (``theorems prove``): not stated symbolically, and why."""

from __future__ import annotations

from theorems.oracles.symbolic import NotAnIdentity

__all__ = ["NOT_AN_IDENTITY"]

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "cdf-matches-log-prob",
        "an integral of each class's own log_prob up to a point, and a round trip through its icdf, as written in tensor code; "
        "checked by quadrature numerically, with an allowance from the density at the point",
    ),
)
