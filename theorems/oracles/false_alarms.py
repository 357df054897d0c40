"""The suite's family-wise false-alarm budget, split across its random checks.

A check that samples (Monte Carlo, goodness of fit) can fail on a correct
implementation by chance. The whole suite's run must stay below
``FAMILY_WISE_FALSE_ALARM``; by Bonferroni (a union bound, valid under any dependence)
it suffices that the per-check rates sum to at most that. Each theorem that
samples states its share in its statement (``Theorem.false_alarm_share``) and divides it
by the number of random checks it runs under the loaded profile (examples × checks per
example); the shares of all theorems sum to at most the budget (a test sums them over every
registered theorem), and what they leave is the room for the next theorem that samples.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from theorems.profiles import loaded_profile_examples

__all__ = ["FAMILY_WISE_FALSE_ALARM", "examples_in_run", "per_check_false_alarm", "planned_examples"]

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



def per_check_false_alarm(share: float, *, checks_per_example: int, examples: int | None = None) -> float:
    """The false-alarm probability one random check may have.

    ``examples`` defaults to the loaded profile's ``max_examples``: Hypothesis calls a
    passing test at most that many times, so the share divided by
    ``examples × checks_per_example`` bounds the share's total by the union bound. A
    property running a scaled fraction of the profile passes its own count.
    """
    if not 0 < share <= FAMILY_WISE_FALSE_ALARM:
        raise ValueError(f"share={share!r} must be a positive part of the budget, at most {FAMILY_WISE_FALSE_ALARM}")
    if checks_per_example < 1:
        raise ValueError(f"checks_per_example={checks_per_example} must be at least 1")
    runs = examples if examples is not None else loaded_profile_examples()
    return share / (runs * checks_per_example)
