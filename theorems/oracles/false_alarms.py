"""The suite's family-wise false-alarm budget, split across its random checks.

A check that samples (Monte Carlo, goodness of fit) can fail on a correct
implementation by chance. The whole suite's run must stay below
``FAMILY_WISE_FALSE_ALARM``; by Bonferroni (a union bound, valid under any dependence)
it suffices that the per-check rates sum to at most that. The budget is split by
theorem here, once, and each theorem divides its share by the number of random checks
it runs under the loaded profile (examples × checks per example).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from theorems.profiles import loaded_profile_examples

__all__ = ["FAMILY_WISE_FALSE_ALARM", "SHARES", "examples_in_run", "per_check_false_alarm", "planned_examples"]

# The examples the engine plans for the check running now (None outside the engine).
_PLANNED: contextvars.ContextVar[int | None] = contextvars.ContextVar("theorems_planned_examples", default=None)


@contextlib.contextmanager
def examples_in_run(examples: int) -> Iterator[None]:
    """Inside the block, a check runs ``examples`` times: its share of α is divided by that."""
    token = _PLANNED.set(examples)
    try:
        yield
    finally:
        _PLANNED.reset(token)


def planned_examples() -> int | None:
    """The examples of the engine's run in progress, or None (then the loaded profile decides)."""
    return _PLANNED.get()

FAMILY_WISE_FALSE_ALARM = 1e-6

# Shares of the budget; they sum to FAMILY_WISE_FALSE_ALARM (checked by a test).
SHARES: dict[str, float] = {
    "variance-recursion": 2e-7,
    "variance-recursion-relu": 2e-7,
    "affine-gaussian-density": 2e-7,
    "gaussian-kl": 2e-7,
    # Not sampling: the chance, under the independent-rounding model, that a right float32
    # fold exceeds the probabilistic bound (theorems.fold_networks.check).
    "fold-network": 1e-7,
    "reserve": 1e-7,
}


def per_check_false_alarm(share: str, *, checks_per_example: int, examples: int | None = None) -> float:
    """The false-alarm probability one random check may have.

    ``examples`` defaults to the loaded profile's ``max_examples``: Hypothesis calls a
    passing test at most that many times, so the share divided by
    ``examples × checks_per_example`` bounds the share's total by the union bound. A
    property running a scaled fraction of the profile passes its own count.
    """
    if share not in SHARES:
        raise ValueError(f"share={share!r} is not in the budget; expected one of {', '.join(SHARES)}")
    if checks_per_example < 1:
        raise ValueError(f"checks_per_example={checks_per_example} must be at least 1")
    runs = examples if examples is not None else loaded_profile_examples()
    return SHARES[share] / (runs * checks_per_example)
