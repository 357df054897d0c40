"""theorems: executable theorems for the mathematics of deep learning.

Check your own implementation against a theorem::

    import theorems
    theorems.assert_holds("fold-conv", my_fold, assume={"dims": 2})

The public surface only re-exports. Each theorem has a package of its own (``theorems.fold``,
``theorems.kl``, …: its statement, check, wrong implementations, findings and figures); the
strategies are in :mod:`theorems.strategies`.
"""

from __future__ import annotations

from theorems._version import __version__
from theorems.api import Verdict, assert_holds, check
from theorems.audit import Audit, audit
from theorems.evidence import Evidence
from theorems._engine.registry import all_theorems, get_theorem
from theorems.theorem import Assumption, InvalidInput, Theorem

__all__ = [
    "Assumption",
    "Audit",
    "Evidence",
    "InvalidInput",
    "Theorem",
    "Verdict",
    "__version__",
    "all_theorems",
    "assert_holds",
    "audit",
    "check",
    "get_theorem",
]
