"""The verification report and the machinery behind it: counts, evidence, formats, figures.

The HTML is checked here as text (self-contained, every theorem present, math
converted); ``test_report_browser.py`` checks it as a person sees it.
"""

from __future__ import annotations

import html.parser
import json
from typing import Any

import pytest
from hypothesis import settings
from theorems.fold.check import fold_linear
from theorems.fold.statement import FOLD_CONV, FOLD_LINEAR
from theorems._engine.registry import all_claims, get_theorem
from theorems._engine.checks import check_implementation
from theorems._engine.verify import verify_all
from theorems.profiles import profile_settings
from theorems.report import Figure, FigureContext, render_html
from theorems._engine.report_context import report_context
from theorems.results import Verification
from theorems._engine import checks, plan
from theorems._engine import run as running
from theorems.report.figures import NothingToDraw, render_figures
from theorems.report.html import render_math
from theorems.results import ClaimResult, TheoremResult

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def verification() -> Verification:
    """Two fold theorems and every transcribed claim, a few examples each; one falsified check."""
    found = verify_all(profile="ci", max_examples=4, theorem_ids=("fold-linear", "fold-conv"))
    from torch.nn.utils.fusion import fuse_linear_bn_eval

    falsified = check_implementation(FOLD_LINEAR, fuse_linear_bn_eval, profile="ci", max_examples=20)
    return Verification((*found.theorems, falsified), found.claims, found.environment)


@pytest.fixture(scope="session")
def report(verification: Verification) -> str:
    return render_html(verification, report_context(verification))


class ResourceFinder(html.parser.HTMLParser):
    """Every attribute that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action") and value and not value.startswith(("#", "data:")):
                self.fetches.append((tag, name, value))


@pytest.mark.slow
def test_the_report_fetches_nothing(report: str) -> None:
    finder = ResourceFinder()
    finder.feed(report)
    assert finder.fetches == []
    assert not {"script", "link", "iframe", "object", "embed"} & finder.tags
    assert "url(" not in report and "@import" not in report
    assert "default-src 'none'" in report


@pytest.mark.slow
def test_every_checked_theorem_has_a_section_with_its_statement_as_mathml(report: str, verification: Verification) -> None:
    for result in verification.theorems:
        start = report.index(f'data-theorem-id="{result.theorem_id}"')
        section = report[start : report.index("</section>", start)]
        assert '<div class="statement"><math' in section
    assert 'class="math-error"' not in report


@pytest.mark.slow
def test_a_falsified_check_shows_its_minimal_counterexample_and_replay(report: str) -> None:
    assert 'data-verdict="falsified"' in report
    assert "the implementation raised TypeError" in report
    assert "replay" in report and "theorems check fold-linear --impl torch.nn.utils.fusion:fuse_linear_bn_eval --profile ci" in report
    assert "@reproduce_failure(" in report


@pytest.mark.slow
def test_every_transcribed_claim_is_shown_beside_its_corrected_form(report: str, verification: Verification) -> None:
    assert len(verification.claims) == len([c for c in all_claims() if c.theorem_id in ("fold-linear", "fold-conv")])
    for result in verification.claims:
        start = report.index(f'data-claim-id="{result.claim_id}"')
        section = report[start : report.index("</section>", start)]
        assert "as transcribed" in section and "corrected" in section


@pytest.mark.slow
def test_the_recorded_library_findings_are_shown(report: str) -> None:
    from theorems._engine.registry import all_findings

    for finding in all_findings():
        assert f'data-finding-id="{finding.id}"' in report
        if finding.prevalence is not None:  # a torch finding: its error model and prevalence in its row
            row = report[report.index(f'data-finding-id="{finding.id}"') :].split("</tr>")[0]
            assert "in-domain examples" in row and "floor" in row, row


@pytest.mark.slow
def test_the_report_names_the_environment(report: str) -> None:
    for name in ("torch", "numpy", "scipy", "hypothesis", "profile", "seed"):
        assert f"<th>{name}</th>" in report


@pytest.mark.slow
def test_the_fold_figure_is_an_inline_png(report: str) -> None:
    assert 'id="figure-fold-error-vs-tolerance"' in report
    assert '<img src="data:image/png;base64,' in report


def test_a_formula_that_does_not_convert_is_marked_not_hidden() -> None:
    assert 'class="math-error"' in render_math(r"\frac{1}{")
    assert render_math(r"\frac{1}{2}").startswith("<math")


def test_a_theorem_module_can_contribute_a_figure() -> None:
    context = FigureContext(evidence={"fold-linear": ()}, profile="dev")

    def draw_line(context: FigureContext, axes: Any) -> None:
        axes.plot([0, 1], [0, 1])

    def draw_nothing(context: FigureContext, axes: Any) -> None:
        raise NothingToDraw("empty")

    def draw_broken(context: FigureContext, axes: Any) -> None:
        raise RuntimeError("oops")

    figures = (
        Figure("line", "A line", "caption", ("fold-linear",), draw_line),
        Figure("nothing", "Nothing", "caption", ("fold-linear",), draw_nothing),
        Figure("broken", "Broken", "caption", (), draw_broken),
        Figure("elsewhere", "Elsewhere", "caption", ("gaussian-kl",), draw_line),
    )
    rendered = {figure.id: figure for figure in render_figures(context, figures)}
    assert set(rendered) == {"line", "broken"}
    assert rendered["line"].png_base64 and rendered["broken"].error == "RuntimeError: oops"


@pytest.mark.slow
def test_results_survive_the_trip_through_a_dict(verification: Verification) -> None:
    for result in verification.theorems:
        again = TheoremResult.from_dict(json.loads(json.dumps(result.to_dict())))
        assert again == result
    for claim in verification.claims:
        assert ClaimResult.from_dict(json.loads(json.dumps(claim.to_dict()))) == claim


@pytest.mark.slow
def test_counts_come_from_hypothesis_observability(verification: Verification) -> None:
    holding = [result for result in verification.theorems if result.passed]
    assert holding and all(r.run.counted_by == "observability" and r.run.examples == plan.examples_planned(get_theorem(r.theorem_id), 4) for r in holding)
    assert all(len(r.run.evidence) == r.run.examples for r in holding)


def test_counts_fall_back_to_the_test_body_without_observability(monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    @contextlib.contextmanager
    def unavailable(callback: Any) -> Any:
        yield False

    monkeypatch.setattr(running, "observing", unavailable)
    result = check_implementation(FOLD_CONV, FOLD_CONV.reference, profile="ci", max_examples=3)
    assert result.run.counted_by == "test body" and result.run.examples == plan.examples_planned(FOLD_CONV, 3) and result.passed


def broken_check(implementation: Any, example: Any) -> Any:
    raise ZeroDivisionError("oracle divided by zero")


def test_a_broken_check_is_an_error_not_a_falsification() -> None:
    import dataclasses

    broken = dataclasses.replace(FOLD_LINEAR, id="broken", check_target=f"{__name__}:broken_check")
    result = check_implementation(broken, fold_linear, profile="ci", max_examples=2)
    assert result.run.verdict == "error" and "ZeroDivisionError: oracle divided by zero" in (result.run.error or "")


@pytest.mark.slow
@pytest.mark.e2e  # one xdist worker process
def test_plain_pytest_writes_the_same_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    report = pytester.path / "out" / "index.html"
    # One xdist worker is enough to carry each result across xdist's channel to the
    # controller that writes the report; a second would only add a process's imports.
    # The controller runs in this process (its imports are already paid for).
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-n", "1", "--hypothesis-profile", "ci", "--theorems-report", str(report),
        "--theorems-verify", "--theorems-examples", "2", "-k", "nothing or fold-linear or fold-conv and not transpose",
        "--junitxml", str(pytester.path / "j.xml"),
    )
    # The two theorems the report must show; "fold-conv" alone also selected fold-conv-transpose, a third check.
    result.assert_outcomes(passed=3)
    text = report.read_text()
    assert 'data-theorem-id="fold-linear"' in text and 'data-theorem-id="fold-conv"' in text
    assert "theorems report (passed" in result.stdout.str()
    assert '<property name="verdict" value="holds"' in (pytester.path / "j.xml").read_text()


def test_a_costly_theorem_runs_its_share_of_the_profile() -> None:
    import dataclasses
    import math

    from theorems.profiles import current_profile_name, profile_settings

    profiled = profile_settings(current_profile_name()).max_examples  # the engine's profile (the gate's is ci)
    costly = dataclasses.replace(FOLD_LINEAR, example_fraction=0.05)
    assert plan.theorem_budget(costly, None) == max(1, math.ceil(profiled * 0.05))
    assert plan.theorem_budget(costly, 7) == 7
    assert plan.theorem_budget(FOLD_CONV, None) == profiled


def test_a_claim_is_searched_in_full_whatever_examples_says(monkeypatch: pytest.MonkeyPatch) -> None:
    budgets: list[int] = []

    def run_check(theorem: Any, implementation: Any, *, max_examples: int, **_: Any) -> Any:
        budgets.append(max_examples)
        return running.Run(verdict="falsified", examples=1, seconds=0.0)

    monkeypatch.setattr(checks, "run_check", run_check)
    claim = all_claims()[0]
    checks.check_claim(claim, profile="ci", max_examples=1)
    checks.check_claim(claim, profile="ci", max_examples=5000)
    assert budgets == [max(profile_settings("ci").max_examples, plan.CLAIM_SEARCH_EXAMPLES), 5000]


def test_a_check_runs_without_hypothesis_explain_phase() -> None:
    from hypothesis import Phase

    assert Phase.explain in settings.default.phases  # the ci profile keeps it for its own tests
    assert set(plan.check_settings(None, 3).phases) == set(settings.default.phases) - {Phase.explain}
    assert plan.check_settings(None, 3, phases=(Phase.generate,)).phases == (Phase.generate,)
    from theorems.profiles import current_profile_name, profile_settings

    profiled = profile_settings(current_profile_name()).max_examples  # the engine's profile (the gate's is ci)
    assert plan.check_settings(None, 3).max_examples == 3 and plan.check_settings(None, None).max_examples == profiled


@pytest.mark.slow
def test_the_report_states_the_quadrature_allowance_and_the_record_it_comes_from(report: str) -> None:
    import json
    from pathlib import Path

    from theorems.oracles.quadrature import QUADRATURE_SAFETY

    record = json.loads((Path(__file__).parents[2] / "measurements" / "quadrature.json").read_text())
    assert f"QUADRATURE_SAFETY = {QUADRATURE_SAFETY:g}" in report and "measurements/quadrature.json" in report
    assert f"{record['methods']['quad']['n']} by quad" in report


@pytest.mark.slow
def test_the_report_counts_the_examples_on_each_structural_class(verification: Verification, report: str) -> None:
    covered = [result for result in verification.theorems if result.run.classes]
    assert covered, "a covered theorem shows its classes"
    for name, counts in covered[0].run.classes.items():
        for value, count in counts.items():
            assert f'data-class="{name}={value}" data-count="{count}"' in report


def test_the_users_report_holds_the_checks_its_tests_made_and_nothing_else(pytester: pytest.Pytester) -> None:
    """No library verification unless --theorems-verify; -k narrows the report to the selected tests' checks."""
    pytester.makepyfile(
        test_mine=(
            "import theorems\n"
            "from theorems.toeplitz.check import toeplitz_matrix\n\n"
            "def test_kept():\n    theorems.assert_holds('toeplitz-matrix', toeplitz_matrix, examples=2)\n\n"
            "def test_left():\n    theorems.check('toeplitz-matrix', toeplitz_matrix, examples=2)\n"
        )
    )
    report = pytester.path / "report.html"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark", "--theorems-report", str(report), "-k", "kept")
    result.assert_outcomes(passed=1, deselected=1)
    text = report.read_text()
    assert text.count('data-theorem-id="toeplitz-matrix"') == 1 and "in test_mine.py::test_kept" in text and "test_left" not in text
    assert "theorems-verification" not in result.stdout.str() and "theorems report: 1 checks made by the tests (1 hold, 0 do not)" in result.stdout.str()


def test_a_counterexample_with_an_infinite_tolerance_is_written_as_json() -> None:
    # thorough, seed 1: an oracle's infinite bar reached the JSON writer, which refuses inf (allow_nan=False).
    import math

    from theorems.evidence import Evidence
    from theorems.report.formats import counterexample_json
    from theorems.results import Run

    evidence = Evidence("log-det-jacobian", "x", "-inf", "-35.78", math.inf, math.inf, "κ up to inf")
    found = counterexample_json(Run("falsified", 1, 0.1, (evidence,), counterexample=evidence))
    assert found is not None and found["error"] is None and found["tolerance"] is None
    json.dumps(found, allow_nan=False)


def test_the_report_imports_no_theorem_package_no_oracle_and_not_the_engine() -> None:
    """It renders what it is handed: the registry, the findings, the figures and the measurements come from its callers."""
    import ast
    from pathlib import Path

    import theorems.report
    from theorems._engine.registry import theorem_packages

    below = ("theorems._engine", "theorems.oracles", *theorem_packages())
    for source in Path(theorems.report.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith(below), f"{source.name} imports {name}"


def test_a_report_of_the_whole_suite_is_refused_without_its_measurements() -> None:
    from theorems.report import ReportContext
    from theorems.report.formats import to_json

    whole = Verification((), (), {"profile": "ci"})
    with pytest.raises(ValueError, match="measurements"):
        render_html(whole, ReportContext())
    with pytest.raises(ValueError, match="measurements"):
        to_json(whole)


def test_the_json_of_a_verification_lists_its_proofs_as_theorems_prove_does() -> None:
    from theorems._engine.prove import Proof, proofs_json
    from theorems.report.formats import to_json

    proofs = (Proof("fold-linear", "proved", "Linear 3→2", 0.12345, "simplified to 0"), Proof("claim-x", "refuted", None, 1.0, "counterexample"))
    found = to_json(Verification((), (), {"profile": "ci"}, scope="only", proofs=proofs))
    assert found["proofs"] == proofs_json(proofs)["proofs"]


def test_the_gate_runs_its_own_properties_at_its_count_and_the_engine_at_ci() -> None:
    from theorems.profiles import ENGINE_PROFILE, GATE_EXAMPLES, INTERNAL, PROFILES

    assert INTERNAL["gate"].max_examples == GATE_EXAMPLES < PROFILES["ci"].max_examples
    assert INTERNAL["gate"].derandomize and not INTERNAL["gate-reseeded"].derandomize
    settings.load_profile("gate")  # the autouse fixture restores the suite's own profile after the test
    assert settings.default.max_examples == GATE_EXAMPLES
    assert ENGINE_PROFILE["gate"] == "ci" and plan.check_settings(None, None).max_examples == PROFILES["ci"].max_examples
