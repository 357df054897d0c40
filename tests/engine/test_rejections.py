"""Rejected test cases are counted per class, and those that never became an example are counted apart."""

from __future__ import annotations

from theorems._engine.observe import UNCLASSED, class_counts
from theorems._engine.registry import get_theorem

KL_CLOSED_FORMS = get_theorem("kl-closed-forms")


def test_a_rejection_with_no_class_is_counted_apart_not_dropped() -> None:
    classes = [{"pair": "Beta-Beta"}, None, None]
    rejected = class_counts(KL_CLOSED_FORMS, classes, unclassed=True)["pair"]
    assert rejected["Beta-Beta"] == 1 and rejected[UNCLASSED] == 2
    assert sum(rejected.values()) == len(classes)  # every rejection is somewhere


def test_generated_examples_have_no_unclassed_bucket() -> None:
    generated = class_counts(KL_CLOSED_FORMS, [{"pair": "Beta-Beta"}])["pair"]
    assert UNCLASSED not in generated and generated["Beta-Beta"] == 1 and generated["Gamma-Gamma"] == 0
