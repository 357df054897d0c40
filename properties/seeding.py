"""Torch randomness driven by Hypothesis: every torch draw comes from a drawn seed.

A strategy draws ``seed`` with Hypothesis and builds tensors and modules inside
:func:`torch_seeded`, so a failing example replays exactly and the seed shrinks too.
Continuous values come from torch (not from Hypothesis's float strategies) so that
fills are never degenerate; their *scales* are drawn by Hypothesis so they shrink.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from hypothesis import strategies as st

__all__ = ["log_scales", "seeds", "torch_seeded"]

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def log_scales(*, min_exponent: float, max_exponent: float) -> st.SearchStrategy[float]:
    """``10**e`` for ``e`` uniform-ish in ``[min_exponent, max_exponent]``, shrinking toward ``10**min(|e|)``."""
    if not min_exponent <= max_exponent:
        raise ValueError(f"min_exponent={min_exponent} must not exceed max_exponent={max_exponent}")
    return st.floats(min_value=min_exponent, max_value=max_exponent).map(lambda e: 10.0**e)


@contextlib.contextmanager
def torch_seeded(seed: int) -> Iterator[None]:
    """Run a block on torch's global generator seeded with ``seed``, restoring it afterwards.

    The global generator (not a private one) so that modules' own default initialisers,
    which take no generator, are driven by the seed too. Only the CPU generator is
    seeded, as only it is forked: ``torch.manual_seed`` would also queue a lazy CUDA
    seeding call with its stack trace on every example (3.4 ms a call inside a test,
    most of a layer strategy's time, and a list that grows all run).
    """
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(seed)
        yield
