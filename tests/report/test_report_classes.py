"""A report shows the classes a run's assumptions left out as excluded, never as red gaps."""

from __future__ import annotations

import re

import theorems
from theorems._engine.verify import assemble
from theorems.report.classes import class_rows, excluded
from theorems._engine.report_context import report_context
from theorems.report.html import render_html


def test_a_class_left_out_by_an_assumption_is_excluded_and_one_the_run_missed_is_a_gap() -> None:
    assert excluded("dims", "1", (("dims", "2"),)) and not excluded("dims", "2", (("dims", "2"),))
    assert not excluded("dims", "1", ()), "with no assumption every class was asked for: a 0 there is a gap"


def test_the_report_of_a_restricted_check_strikes_the_excluded_classes_through() -> None:
    verdict = theorems.check("fold-conv", theorems.get_theorem("fold-conv").reference, assume={"dims": 2}, examples=5)
    verification = assemble((verdict.result,), scope="check", profile="ci", seed=None)
    html = render_html(verification, report_context(verification))
    for value in ("1", "3"):
        span = re.search(rf'<span class="(\w+)" data-class="dims={value}" data-count="0"', html)
        assert span and span.group(1) == "excluded", f"dims={value}: {span and span.group(0)}"
    assert re.search(r'<span class="covered" data-class="dims=2" data-count="[1-9]', html)


def test_a_kl_pair_left_out_by_the_assumptions_is_an_excluded_row() -> None:
    from torch import distributions as D

    verdict = theorems.check("kl-closed-forms", D.kl_divergence, assume={"pair": "Normal-Normal"}, examples=2)
    rows = {row["class"]: row["verdict"] for row in class_rows("kl-closed-forms", verdict.result.run, verdict.result.assumptions)}
    assert rows.pop("Normal-Normal") == "holds" and set(rows.values()) == {"excluded"}, rows


def test_the_error_against_tolerance_legend_lies_outside_the_points() -> None:
    """Inside the axes it covered the falsifying point; below them it covers none."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    from theorems.evidence import Evidence
    from theorems.figure import scatter_error_against_tolerance

    evidence = tuple(Evidence("fold-conv", f"x{i}", "1", "1", 10.0**-i, 10.0 ** (1 - i), "why") for i in range(1, 8))
    figure, axes = pyplot.subplots()
    try:
        scatter_error_against_tolerance(axes, {"fold-conv": evidence}, xlabel="t", ylabel="e", nothing="none")
        figure.canvas.draw()
        legend, inside = axes.get_legend().get_window_extent(), axes.get_window_extent()
        assert legend.y1 <= inside.y0, f"the legend {legend} overlaps the axes {inside}"
    finally:
        pyplot.close(figure)


def test_each_examples_evidence_names_the_class_its_run_counted_it_in() -> None:
    from collections import Counter

    verdict = theorems.check("fold-conv", theorems.get_theorem("fold-conv").reference, examples=8)
    run = verdict.result.run
    assert run.classes and len(run.evidence) == run.examples
    for name, counts in run.classes.items():
        named = Counter(dict(evidence.example_class)[name] for evidence in run.evidence)
        assert named == {value: count for value, count in counts.items() if count}, name


def test_a_counterexample_names_the_class_of_the_minimal_example_it_was_found_on() -> None:
    from torch.nn.utils.fusion import fuse_linear_bn_eval

    from theorems._engine.observe import example_class
    from theorems.fold.statement import FOLD_LINEAR

    verdict = theorems.check(FOLD_LINEAR.id, fuse_linear_bn_eval, examples=20)
    run = verdict.result.run
    assert run.verdict == "falsified" and run.counterexample is not None and run.example is not None
    assert dict(run.counterexample.example_class) == example_class(FOLD_LINEAR, run.example) != {}


def test_a_recorded_findings_class_is_its_examples_class_as_the_theorem_classifies_it() -> None:
    from theorems._engine.registry import all_findings
    from theorems._engine.report_context import finding_classes
    from theorems.report.classes import findings_by_class

    by_class = findings_by_class(all_findings(), finding_classes(all_findings()))
    assert by_class["log-det-jacobian"] == {"Sigmoid": ["torch-softplus-threshold-in-log-det"]}
    assert by_class["kl-closed-forms"]["ExponentialFamily-ExponentialFamily"] == ["torch-kl-batched-wishart"]  # Wishart's stand-in


def test_an_evidence_given_its_class_is_the_same_evidence_to_its_observers() -> None:
    import json

    from theorems.evidence import Evidence, observing_evidence, with_class
    from theorems.results import Run

    seen: list[Evidence] = []
    with observing_evidence(seen.append):
        made = Evidence("kl-closed-forms", "KL(Normal(…) ‖ Normal(…))", "1", "1", 0.0, 1.0, "why")
        classed = with_class(made, {"pair": "Normal-Normal"})
    assert seen == [made] and classed.example_class == (("pair", "Normal-Normal"),) and with_class(classed, {"pair": "Normal-Normal"}) is classed
    run = Run("holds", 1, 0.0, (classed,))
    assert Run.from_dict(json.loads(json.dumps(run.to_dict()))) == run
