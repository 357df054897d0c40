"""sampler-matches-log-prob over symbols (``theorems prove``): not stated symbolically, and why."""

from __future__ import annotations

from theorems.oracles.symbolic import NotAnIdentity

__all__ = ["NOT_AN_IDENTITY"]

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "sampler-matches-log-prob",
        "a statement about the law of a random number generator's output, not an identity between formulas; "
        "checked by the Dvoretzky–Kiefer–Wolfowitz bound on draws against the distribution function integrated from log_prob",
    ),
)
