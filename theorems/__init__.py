"""theorems: executable theorems for the mathematics of deep learning.

The public surface only re-exports; each theorem lives in a module of its own.
"""

from __future__ import annotations

from theorems.evidence import Evidence
from theorems.registry import all_theorems, get_theorem
from theorems.theorem import InvalidInput, Theorem

__all__ = ["Evidence", "InvalidInput", "Theorem", "all_theorems", "get_theorem"]
