"""moments-match-log-prob over symbols (``theorems prove``): not stated symbolically, and why."""

from __future__ import annotations

from theorems.oracles.symbolic import NotAnIdentity

__all__ = ["NOT_AN_IDENTITY"]

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "moments-match-log-prob",
        "integrals (∫ x p, ∫ (x − m)² p, −∫ p log p) and a supremum of each class's own log_prob as written in tensor code, "
        "with divergent ones decided from its tails; checked by quadrature and exact sums numerically",
    ),
)
