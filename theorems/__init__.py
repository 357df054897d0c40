"""theorems: executable theorems for the mathematics of deep learning.

Check your own implementation against a theorem::

    import theorems
    theorems.assert_holds("fold-conv", my_fold, assume={"dims": 2})

The public surface only re-exports; each theorem is declared in :mod:`theorems.statements`
and lives in a module of its own, the strategies in :mod:`theorems.strategies`.
"""

from __future__ import annotations

from theorems._version import __version__
from theorems.api import Verdict, assert_holds, check
from theorems.evidence import Evidence
from theorems.registry import all_theorems, get_theorem
from theorems.theorem import Assumption, InvalidInput, Theorem

__all__ = [
    "Assumption",
    "Evidence",
    "InvalidInput",
    "Theorem",
    "Verdict",
    "__version__",
    "all_theorems",
    "assert_holds",
    "check",
    "get_theorem",
]
