"""A report shows the classes a run's assumptions left out as excluded, never as red gaps."""

from __future__ import annotations

import re

import theorems
from theorems._engine.verify import assemble
from theorems.report.classes import class_rows, excluded
from theorems.report.html import render_html


def test_a_class_left_out_by_an_assumption_is_excluded_and_one_the_run_missed_is_a_gap() -> None:
    assert excluded("dims", "1", (("dims", "2"),)) and not excluded("dims", "2", (("dims", "2"),))
    assert not excluded("dims", "1", ()), "with no assumption every class was asked for: a 0 there is a gap"


def test_the_report_of_a_restricted_check_strikes_the_excluded_classes_through() -> None:
    verdict = theorems.check("fold-conv", theorems.get_theorem("fold-conv").reference, assume={"dims": 2}, examples=5)
    html = render_html(assemble((verdict.result,), scope="check", profile="ci", seed=None))
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
