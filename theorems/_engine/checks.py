"""The three checks the engine makes, over one core: an implementation that must hold, a transcribed
claim that must be falsified, a wrong implementation of the catalogue that must be caught.

Each is :func:`~theorems._engine.run.run_check` at its own budget, with a replay line that names
what was checked; they differ in the budget (a theorem's share of the profile, or a search's
:data:`~theorems._engine.plan.CLAIM_SEARCH_EXAMPLES` at least), in whether the replay line names
``--examples`` (a search's always does), and in the result they return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis.database import ExampleDatabase

from theorems._engine.plan import Slice, part_examples, search_budget, theorem_budget
from theorems._engine.registry import get_theorem
from theorems._engine.replay import implementation_target, replay_command, spelled
from theorems._engine.run import run_check
from theorems.profiles import current_profile_name
from theorems.results import ClaimResult, Run, TheoremResult, WrongResult
from theorems.theorem import Claim, InvalidInput, Theorem, WrongImplementation

__all__ = ["check_claim", "check_implementation", "check_wrong_implementation", "error_run"]


def error_run(message: str) -> Run:
    """The run of a check that could not start, or whose result never came back (``message`` says why)."""
    return Run(verdict="error", examples=0, seconds=0.0, error=message)


def check_implementation(
    theorem: Theorem,
    implementation: Callable[..., Any],
    *,
    target: str | None = None,
    profile: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    assume: dict[str, Any] | None = None,
    timeout: float | None = None,
    database: ExampleDatabase | None = None,
    part: Slice | None = None,
) -> TheoremResult:
    """Check ``implementation`` (named ``target``, ``MODULE:ATTR``) against ``theorem``.

    ``assume`` restricts the domain (names and values of ``theorem.assumptions``, checked
    here); ``timeout`` bounds each call of the implementation; ``database`` and ``part``
    as in :func:`~theorems._engine.run.run_check`.
    """
    profile = profile or current_profile_name()
    target = target or implementation_target(implementation)
    parsed = theorem.parse_assumptions(assume)
    run = _checked(
        theorem, implementation, target=target, profile=profile, budget=theorem_budget(theorem, max_examples, profile), shown=max_examples,
        seed=seed, assume=parsed, timeout=timeout, database=database, part=part,
    )
    assumptions = tuple((name, theorem.assumption(name).spelled(value)) for name, value in parsed.items())
    return TheoremResult(theorem.id, target or repr(implementation), run, assumptions)


def check_claim(
    claim: Claim,
    *,
    profile: str | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
    database: ExampleDatabase | None = None,
    part: Slice | None = None,
) -> ClaimResult:
    """Check a transcribed claim with its theorem's check: the wanted verdict is ``falsified``."""
    profile = profile or current_profile_name()
    try:
        theorem = get_theorem(claim.theorem_id)
    except InvalidInput as error:
        return ClaimResult(claim.id, claim.theorem_id, error_run(str(error)))
    budget = search_budget(profile, max_examples)
    run = _checked(
        theorem, claim.implementation, target=claim.implementation_target, profile=profile, budget=budget, shown=budget,
        seed=seed, database=database, part=part,
    )
    return ClaimResult(claim.id, claim.theorem_id, run)


def check_wrong_implementation(
    wrong: WrongImplementation,
    *,
    profile: str | None = None,
    seed: int | None = None,
    database: ExampleDatabase | None = None,
    part: Slice | None = None,
) -> WrongResult:
    """Run a wrong implementation through its theorem's check: the wanted verdict is ``falsified``.

    The catalogue measures the power of the gate itself: each runs at the profile's own
    budget for its theorem (what ``verify`` and ``check`` spend on a user's
    implementation), whatever ``--examples`` says (a tiny ``--examples`` would otherwise
    report lost power that is not lost).
    """
    profile = profile or current_profile_name()
    try:
        theorem = get_theorem(wrong.theorem_id)
    except InvalidInput as error:
        return WrongResult(wrong.theorem_id, wrong.name, wrong.mistake, error_run(str(error)))
    budget = theorem_budget(theorem, None, profile)
    run = _checked(
        theorem, wrong.implementation, target=implementation_target(wrong.implementation), profile=profile, budget=budget, shown=budget,
        seed=seed, database=database, part=part,
    )
    return WrongResult(wrong.theorem_id, wrong.name, wrong.mistake, run)


def _checked(
    theorem: Theorem,
    implementation: Callable[..., Any],
    *,
    target: str | None,
    profile: str,
    budget: int,
    shown: int | None,
    seed: int | None,
    assume: dict[str, Any] | None = None,
    timeout: float | None = None,
    database: ExampleDatabase | None,
    part: Slice | None,
) -> Run:
    """The one run of every check: ``budget`` examples, and a replay line naming ``target`` with
    ``--examples shown`` (None: the profile's, left unsaid), or the examples of ``part`` alone."""
    examples = shown if part is None else part_examples(theorem, budget, assume, part)
    return run_check(
        theorem,
        implementation,
        profile=profile,
        max_examples=budget,
        seed=seed,
        replay=lambda used, row=None: replay_command(
            theorem.id, target, profile=profile, seed=used, examples=examples, assume={**spelled(theorem, assume), **(row or {})}, timeout=timeout
        ),
        assume=assume,
        timeout=timeout,
        database=database,
        part=part,
    )
