"""kl-closed-forms over symbols (``theorems prove``): not stated symbolically, and why.

The Gaussian pair is proved under gaussian-kl (:mod:`theorems.gaussian_kl.symbolic`).
"""

from __future__ import annotations

from theorems.oracles.symbolic import NotAnIdentity

__all__ = ["NOT_AN_IDENTITY"]

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "kl-closed-forms",
        "one identity per registered pair of the installed torch, through lgamma, digamma and exp of the parameters; "
        "checked against the definition numerically (the Gaussian pair is proved under gaussian-kl)",
    ),
)
