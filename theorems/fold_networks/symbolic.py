"""fold-network over symbols (``theorems prove``): nothing is proved about a whole network, and why.

The fold of each single pair is proved in :mod:`theorems.fold.symbolic`, at the sizes it lists.
"""

from __future__ import annotations

from theorems.oracles.symbolic import NotAnIdentity

__all__ = ["NOT_AN_IDENTITY"]

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity(
        "fold-network",
        "whole networks, not an identity at fixed sizes: nothing about a network is proved symbolically. "
        "What is proved is the fold of a single pair (fold-linear, fold-conv, fold-conv-transpose), each only at the few "
        "sizes it lists; a network's pairs at other sizes, and finding, folding and rewiring them with torch.fx, "
        "are checked numerically only",
    ),
)
