"""What each theorem that audits a distribution class owes, checked the same way for each.

log-prob-normalises, moments-match-log-prob, cdf-matches-log-prob and sampler-matches-log-prob each take any
``Distribution`` subclass as its implementation. For each: every class torch exports is checked (in
``FAMILIES``) or listed with a reason (``NOT_CHECKED``), never both; torch's reference holds on every class it
checks in one ci run; each wrong class of its catalogue is caught within the ci budget; and a class object is
an implementation of the API. What only one of them owes stays in its own test module.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

import theorems
from theorems._engine.checks import check_wrong_implementation
from theorems._engine.registry import get_theorem
from theorems._engine.run import run_check
from theorems.cdf_matches_log_prob import catalogue as cdf_catalogue
from theorems.cdf_matches_log_prob import check as cdf_check
from theorems.cdf_matches_log_prob import statement as cdf_statement
from theorems.log_prob_normalises import catalogue as mass_catalogue
from theorems.log_prob_normalises import check as mass_check
from theorems.log_prob_normalises import statement as mass_statement
from theorems.log_prob_normalises.check import distribution_classes, torch_family
from theorems.moments_match_log_prob import catalogue as moments_catalogue
from theorems.moments_match_log_prob import statement as moments_statement
from theorems.sampler_matches_log_prob import catalogue as sampler_catalogue
from theorems.sampler_matches_log_prob import check as sampler_check
from theorems.sampler_matches_log_prob import statement as sampler_statement


@dataclass(frozen=True)
class Audit:
    """One theorem's classes: those checked, those listed (class → why), its catalogue, and the wrong class
    the API test hands over (one the check falsifies within three examples)."""

    families: Sequence[str]
    not_checked: Mapping[str, str]
    wrong: Sequence[Any]
    api_example: int = 0


AUDITS = {
    "log-prob-normalises": Audit(mass_statement.FAMILIES, mass_check.NOT_CHECKED, mass_catalogue.WRONG_IMPLEMENTATIONS),
    # moments-match-log-prob lists no class of its own: log-prob-normalises' NOT_CHECKED, the same univariate laws.
    "moments-match-log-prob": Audit(moments_statement.FAMILIES, mass_check.NOT_CHECKED, moments_catalogue.WRONG_IMPLEMENTATIONS, api_example=1),
    "cdf-matches-log-prob": Audit(cdf_statement.FAMILIES, cdf_check.NOT_CHECKED, cdf_catalogue.WRONG_IMPLEMENTATIONS),
    "sampler-matches-log-prob": Audit(sampler_statement.FAMILIES, sampler_check.NOT_CHECKED, sampler_catalogue.WRONG_IMPLEMENTATIONS),
}
WRONG = [(theorem_id, wrong) for theorem_id, audit in AUDITS.items() for wrong in audit.wrong]


@pytest.mark.parametrize("theorem_id", AUDITS)
def test_every_class_torch_exports_is_checked_or_listed_with_a_reason(theorem_id: str) -> None:
    """Fails when torch adds a Distribution (or drops one): add it to the theorem's FAMILIES, or say in its
    NOT_CHECKED why it is not checked."""
    audit = AUDITS[theorem_id]
    exported, checked, listed = set(distribution_classes()), set(audit.families), set(audit.not_checked)
    assert not checked & listed, f"{theorem_id}: both checked and listed: {sorted(checked & listed)}"
    assert exported == checked | listed, f"{theorem_id}: new: {sorted(exported - checked - listed)}, gone: {sorted(checked | listed - exported)}"


@pytest.mark.slow  # one quadrature (or draw) per family, 16 to 25 families: 2 to 3 s of CPU, past the quick tier's limit
@pytest.mark.parametrize("theorem_id", AUDITS)
def test_the_reference_holds_on_every_class_it_checks_in_a_ci_run(theorem_id: str) -> None:
    families = AUDITS[theorem_id].families
    run = run_check(get_theorem(theorem_id), torch_family, profile="ci", max_examples=len(families) + 2)
    assert run.verdict == "holds", run.counterexample.explain() if run.counterexample else run.error
    assert sorted(family for family, count in run.classes["family"].items() if count) == sorted(families)


@functools.cache
def _checked_through_the_api(theorem_id: str) -> theorems.Verdict:
    """The API example's wrong class checked by :func:`theorems.check` at the ci budget: the run the catalogue makes of it
    (the same budget, the same examples), so both tests below read one run rather than make two."""
    audit = AUDITS[theorem_id]
    return theorems.check(theorem_id, audit.wrong[audit.api_example].implementation, profile="ci")


@pytest.mark.parametrize(("theorem_id", "wrong"), WRONG, ids=[f"{theorem_id}:{wrong.implementation.__name__}" for theorem_id, wrong in WRONG])
def test_each_wrong_class_is_caught_within_the_ci_budget(theorem_id: str, wrong: Any) -> None:
    audit = AUDITS[theorem_id]
    if wrong is audit.wrong[audit.api_example]:
        run = _checked_through_the_api(theorem_id).result.run
    else:
        run = check_wrong_implementation(wrong, profile="ci").run
    assert run.verdict == "falsified", f"{theorem_id}: {run.error or 'held'}"


@pytest.mark.parametrize("theorem_id", AUDITS)
def test_a_class_object_is_an_implementation_of_the_api(theorem_id: str) -> None:
    audit = AUDITS[theorem_id]
    wrong = audit.wrong[audit.api_example].implementation
    verdict = _checked_through_the_api(theorem_id)
    assert not verdict.holds and wrong.__name__ in str(verdict)
