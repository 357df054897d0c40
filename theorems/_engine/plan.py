"""What one check runs: its Hypothesis settings, its budget of examples, its covered rows and its parts.

A check of a theorem with ``cover`` runs one example restricted to each row of the pairwise
covering array over the covered assumptions (:func:`covered_rows`), then a free search with the
rest of its budget (:func:`free_examples`); :func:`examples_planned` is the sum. A theorem's budget
is its share of the profile (:func:`theorem_budget`); a search for a counterexample (a claim)
gets at least :data:`CLAIM_SEARCH_EXAMPLES` (:func:`search_budget`). On a cluster a check is cut
into parts (:class:`Slice`), each replayed on its own by :func:`part_examples` examples.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import ExampleDatabase

from theorems.profiles import current_profile_name, profile_settings
from theorems.theorem import Theorem

__all__ = [
    "CLAIM_SEARCH_EXAMPLES",
    "Slice",
    "check_settings",
    "covered_rows",
    "draw_seed",
    "examples_planned",
    "free_examples",
    "part_examples",
    "search_budget",
    "theorem_budget",
    "without_explain",
]

# A claim is a search for one counterexample, which stops at the first: a wrong formula
# costs little however large the budget, so it gets at least this many examples (the
# property tests of the claims search 200), whatever --examples says: a small --examples
# (a quick look at the theorems) would otherwise report a wrong formula as holding.
CLAIM_SEARCH_EXAMPLES = 200


@dataclass(frozen=True)
class Slice:
    """Part ``index`` of ``count`` of one check's examples: a cluster's unit of work.

    The covered rows run in part 0 only; the free search's examples are dealt out evenly,
    each part under a seed of its own derived from the run's (:meth:`seed`), so the parts
    draw different examples and the whole is replayed by the run's seed.
    """

    index: int
    count: int

    def share(self, examples: int) -> int:
        """This part's share of ``examples``: the first ``examples % count`` parts take one more."""
        return examples // self.count + (self.index < examples % self.count)

    def seed(self, seed: int | None) -> int | None:
        """The run's seed for part 0 (one part is the in-process run), a derived one for the others."""
        if seed is None or self.index == 0:
            return seed
        digest = hashlib.sha256(f"{seed}:{self.index}".encode()).digest()
        return int.from_bytes(digest[:4], "big")


def without_explain(phases: Sequence[Phase]) -> tuple[Phase, ...]:
    """``phases`` less Hypothesis's explain phase.

    Explain reports which parts of a failing example matter; nothing here shows it (a
    counterexample is shown as its Evidence), and it costs most of a failing run's time
    (measured 20 s of 24 s for a search, 2.6 s of 3.2 s for a check whose oracle raised)
    while changing neither the verdict nor the shrunk example.
    """
    return tuple(phase for phase in phases if phase is not Phase.explain)


def check_settings(
    profile: str | None, max_examples: int | None, *, phases: Sequence[Phase] | None = None, database: ExampleDatabase | None = None
) -> settings:
    """The settings of one check: the named profile's (default: the loaded one, if it is the project's).

    No database unless one is given (a check must not replay someone else's failures
    unless asked to: ``--database``, shared on purpose), no deadline (timing is
    measured by benchmarks; a hang is caught by the time limit), one bug, no explain phase
    (:func:`without_explain`); ``phases`` overrides the profile's.
    """
    base = profile_settings(profile or current_profile_name())
    return settings(
        base,
        max_examples=max_examples or base.max_examples,
        database=database,
        deadline=None,
        report_multiple_bugs=False,
        # filter_too_much: a strategy restricted by --assume may filter most of its draws (the audited
        # references no longer reject: inside a finding they are held to its error model).
        suppress_health_check=[*base.suppress_health_check, HealthCheck.too_slow, HealthCheck.filter_too_much],
        phases=without_explain(base.phases) if phases is None else tuple(phases),
    )


def theorem_budget(theorem: Theorem, max_examples: int | None, profile: str | None = None) -> int:
    """``max_examples`` if given, else the profile's scaled by ``theorem.example_fraction``
    (under ``thorough``, at least ``theorem.thorough_per_class`` per covered class).

    A costly theorem (a whole network per example) runs the same share of the profile
    as its property tests do.
    """
    if max_examples is not None:
        return max_examples
    name = profile or current_profile_name()
    budget = max(1, math.ceil(profile_settings(name).max_examples * theorem.example_fraction))
    if name == "thorough" and theorem.thorough_per_class:
        budget = max(budget, theorem.thorough_per_class * max(1, len(theorem.cover_classes())))
    return budget


def search_budget(profile: str, max_examples: int | None = None) -> int:
    """Examples for a search that must find a counterexample: the larger of the profile's and 200."""
    return max(max_examples or 0, profile_settings(profile).max_examples, CLAIM_SEARCH_EXAMPLES)


def covered_rows(theorem: Theorem, assume: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The covering rows a run under ``assume`` draws one example of each (rows ``assume`` excludes are skipped)."""
    return [row for row in theorem.cover_classes(assume) if _possible(theorem, {**(assume or {}), **row})]


def _possible(theorem: Theorem, restriction: dict[str, Any]) -> bool:
    """Whether the examples can be restricted so: a covered row that the user's own assumptions
    exclude (``groups=2`` leaves no example with ``grouping=none``) is skipped, not an error."""
    from hypothesis.errors import InvalidArgument

    try:
        theorem.example_strategy(**restriction).validate()
    except InvalidArgument:
        return False
    except Exception:  # a broken strategy is reported by the run itself, with its reason
        return True
    return True


def free_examples(budget: int, rows: int) -> int:
    """The free search keeps up to two examples whatever the rows took: Hypothesis tries each
    class's simplest example first (the rows are the same in every run), so a second free
    example is the one that varies with the seed."""
    return max(min(budget, 2), budget - rows)


def examples_planned(theorem: Theorem, budget: int, assume: dict[str, Any] | None = None) -> int:
    """How many examples a holding run of ``theorem`` with ``budget`` generates: the covered rows, then the free search."""
    rows = len(covered_rows(theorem, assume))
    return budget if not rows else rows + free_examples(budget, rows)


def part_examples(theorem: Theorem, budget: int, assume: dict[str, Any] | None, part: Slice) -> int:
    """``--examples`` that replays one part on one machine under the part's seed: the covered rows
    (the same in every run) and the part's share of the free search, one Hypothesis run of that size."""
    rows = len(covered_rows(theorem, assume))
    free = free_examples(budget, rows) if rows else budget
    return rows + part.share(free)


def draw_seed(profile: str) -> int | None:
    """A fresh seed for a randomized profile (written into the report and replay lines); None if derandomized."""
    return None if profile_settings(profile).derandomize else random.SystemRandom().randrange(2**32)
