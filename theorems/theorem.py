"""The shape every executable theorem shares.

A :class:`Theorem` is data: an id, its statement in LaTeX, its hypotheses, where it
comes from in the notes, the oracles that check it, the contract an implementation
under test must follow (with the names of its parameters, and the assumptions a user
may make to restrict the generated domain), a reference implementation, and a
``check``.

``check(implementation, example)`` is the single entry point that every route uses:
the property tests run it on the reference implementation, ``theorems check`` and
:func:`theorems.check` run it on a user's implementation, and the catalogue of
deliberately wrong implementations runs it on those. It returns
:class:`~theorems.evidence.Evidence` (both sides, the error, the tolerance and why),
and raises :class:`InvalidInput` when the *example* breaks the theorem's hypotheses,
which is the caller's mistake, not the implementation's.

The reference, the check and the example strategy are named as ``"module:attribute"``
and imported when first used, so that listing the theorems (``theorems list``)
imports neither torch nor scipy.
"""

from __future__ import annotations

import itertools

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

__all__ = ["Assumption", "Claim", "InvalidInput", "Theorem", "Undecided", "WrongImplementation", "resolve", "undecided"]


class InvalidInput(ValueError):
    """An argument breaks a theorem's hypotheses; the message is one line saying what was expected."""


class Undecided(InvalidInput):
    """The check's oracle cannot bound its own error on this example (:func:`undecided`): it accuses no one."""


def undecided(message: str) -> NoReturn:
    """A check's oracle cannot bound its own error on this example: inside a Hypothesis run the example
    is rejected (and counted, never a verdict: an oracle that cannot bound its error accuses no one);
    outside one, an InvalidInput says why in one line."""
    from hypothesis import currently_in_test_context, reject

    if currently_in_test_context():
        reject()
    raise Undecided(message)


def resolve(target: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute it names."""
    module_name, _, attribute_path = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for attribute in attribute_path.split("."):
        value = getattr(value, attribute)
    return value


@dataclass(frozen=True)
class Assumption:
    """A restriction of a theorem's generated domain that a user may ask for (``--assume NAME=VALUE``).

    ``values`` are the values the strategy accepts for its keyword argument ``name``;
    :meth:`parse` maps a command-line word onto one of them (``2`` onto ``2``,
    ``false`` onto ``False``, ``float32`` onto ``"float32"``).
    """

    name: str
    values: tuple[Any, ...]
    meaning: str

    def spelled(self, value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    def parse(self, text: Any) -> Any:
        """The allowed value ``text`` spells (a value itself is accepted too); InvalidInput otherwise."""
        if not isinstance(text, str):
            text = str(text).removeprefix("torch.")  # torch.float32 -> "float32"
        for value in self.values:
            if self.spelled(value) == text.strip().lower() or self.spelled(value) == text.strip():
                return value
        allowed = ", ".join(self.spelled(value) for value in self.values)
        raise InvalidInput(f"{self.name}={text} is not possible; expected one of {allowed}")


@dataclass(frozen=True)
class Theorem:
    """An executable theorem: its statement, its hypotheses and a check of any implementation.

    ``reference_target``, ``check_target`` and ``examples`` name, as
    ``"module:attribute"``, the reference implementation, the check
    ``(implementation, example) -> Evidence`` and a function returning the Hypothesis
    strategy of the examples (keyword arguments: the ``assumptions``' names).
    ``parameters`` are the contract's positional parameters, used to refuse a callable
    that cannot take them before any example runs. ``example_fraction`` is the share of
    the profile's examples one run of the check gets (below 1 where one example costs
    seconds, as a whole network does), the same fraction its property tests run.
    """

    id: str
    title: str
    source: str
    statement: str
    hypotheses: tuple[str, ...]
    oracles: tuple[str, ...]
    contract: str
    parameters: tuple[str, ...]
    reference_target: str
    check_target: str
    examples: str
    assumptions: tuple[Assumption, ...] = ()
    example_fraction: float = 1.0
    # The structural classes a mistake can hide in: assumptions whose every value, and
    # every pair of values of two of them, each run draws at least once (one restricted
    # example per row of a pairwise covering array, before the free search).
    cover: tuple[str, ...] = ()
    # "module:function" mapping an example to its value of each covered assumption, so that
    # the report can count the examples per class (free ones included).
    classify_target: str | None = None
    # Under the thorough profile, at least this many examples per covered class on average
    # (a theorem with many classes, as the registered KL pairs, is explored in each of them).
    thorough_per_class: int = 0
    # The extra of the package its examples need (theorems.extras), asked for before a run starts.
    extra: str | None = None
    # False where a falsifying example cannot be made smaller by shrinking: the run reports the
    # first one it found (each attempt would rebuild a whole network, seconds, for nothing).
    shrinks: bool = True
    # The share of the suite's family-wise false-alarm budget (theorems.oracles.false_alarms) its
    # random checks may spend together; 0 for a theorem whose checks sample nothing. The shares of
    # all theorems, with the budget's reserve, stay within the budget (tests/oracles/test_exact_statistics.py).
    false_alarm_share: float = 0.0

    def cover_classes(self, assume: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The rows of a pairwise covering array over the ``cover`` assumptions ``assume`` leaves open.

        With one or two open assumptions that is every combination of their values.
        """
        open_names = [name for name in self.cover if name not in (assume or {})]
        return covering_rows([(name, self.assumption(name).values) for name in open_names])

    def classify(self, example: Any) -> dict[str, Any]:
        """The example's value of each covered assumption ({} without a classifier)."""
        return resolve(self.classify_target)(example) if self.classify_target else {}

    @property
    def reference(self) -> Callable[..., Any]:
        """The reference implementation (imported on first use)."""
        return resolve(self.reference_target)

    def check(self, implementation: Callable[..., Any], example: Any) -> Any:
        """Evidence of ``implementation`` on ``example``; InvalidInput if the example breaks the hypotheses."""
        return resolve(self.check_target)(implementation, example)

    def example_strategy(self, **assume: Any) -> Any:
        """The Hypothesis strategy of examples for ``check``, restricted by ``assume`` (see :meth:`assumption`)."""
        return resolve(self.examples)(**assume)

    def check_reference(self, example: Any) -> Any:
        """Run ``check`` on the reference implementation."""
        return self.check(self.reference, example)

    def assumption(self, name: str) -> Assumption:
        """The assumption called ``name``; InvalidInput naming the known ones otherwise."""
        for assumption in self.assumptions:
            if assumption.name == name:
                return assumption
        known = ", ".join(a.name for a in self.assumptions) or "none"
        raise InvalidInput(f"{self.id} has no assumption {name!r}; it takes: {known}")

    def parse_assumptions(self, assume: dict[str, Any] | None) -> dict[str, Any]:
        """``assume`` with every name known and every value allowed (InvalidInput otherwise)."""
        return {name: self.assumption(name).parse(value) for name, value in (assume or {}).items()}


@dataclass(frozen=True)
class Claim:
    """A formula as the notes transcribe it, which the suite must show to be false.

    ``implementation_target`` names the transcribed formula (``"module:attribute"``)
    under its theorem's contract; the claim is falsified when ``theorem.check`` fails on
    it for some example. A claim that stops being falsified means the suite has lost its
    power: that is a failure.
    """

    id: str
    theorem_id: str
    source: str
    transcribed: str
    corrected: str
    what_is_wrong: str
    implementation_target: str

    @property
    def implementation(self) -> Callable[..., Any]:
        return resolve(self.implementation_target)


@dataclass(frozen=True)
class WrongImplementation:
    """A deliberately wrong implementation (a mistake people make) that the check must falsify."""

    theorem_id: str
    name: str
    mistake: str
    implementation: Callable[..., Any]


def covering_rows(factors: list[tuple[str, tuple[Any, ...]]]) -> list[dict[str, Any]]:
    """Rows that hold every value of every factor and every pair of values of two factors (strength 2).

    Every combination for up to two factors; beyond that a greedy construction (each row
    starts at the first uncovered pair and takes, factor by factor, the value that covers
    most uncovered pairs), deterministic, with a few rows more than the product of the two
    largest factors' sizes.
    """
    if not factors:
        return []
    names = [name for name, _ in factors]
    sizes = [len(values) for _, values in factors]
    if len(factors) <= 2:
        return [{name: factors[k][1][i] for k, (name, i) in enumerate(zip(names, combination))} for combination in itertools.product(*(range(n) for n in sizes))]
    uncovered = {(i, a, j, b) for i in range(len(sizes)) for j in range(i + 1, len(sizes)) for a in range(sizes[i]) for b in range(sizes[j])}
    rows = []
    while uncovered:
        i, a, j, b = min(uncovered)
        row = {i: a, j: b}
        for k in range(len(sizes)):
            if k in row:
                continue
            row[k] = max(range(sizes[k]), key=lambda v: (sum(((min(k, m), v if k < m else w, max(k, m), w if k < m else v) in uncovered) for m, w in row.items()), -v))
        uncovered -= {(p, row[p], q, row[q]) for p in row for q in row if p < q}
        rows.append({names[k]: factors[k][1][row[k]] for k in sorted(row)})
    return rows
