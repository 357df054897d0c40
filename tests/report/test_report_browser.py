"""The report as a person sees it: Debian's headless Chromium opens the generated file.

Playwright drives the system ``chromium`` (``executable_path``; it never downloads a
browser), with a fresh profile and background networking off, so that the only
requests are the report's own. The test finds every theorem, checks that each
statement is laid out as mathematics (MathML boxes of non-zero size, a fraction's
numerator above its denominator) with no rendering error, that the page makes no
network request and logs no console error, and keeps a screenshot as an artifact
(``reports/browser/report.png``, or under ``$THEOREMS_ARTIFACTS``).

The browser is required: when chromium or Playwright is missing the test fails and
says how to install them (``make test`` does). Only a local run that sets
``THEOREMS_SKIP_BROWSER=1`` may skip it, and never under ``CI``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from theorems.fold.statement import FOLD_LINEAR
from theorems._engine.registry import all_claims, all_theorems
from theorems._engine.checks import check_implementation
from theorems._engine.verify import verify_all
from theorems._engine.report_context import report_context
from theorems.report import write_html
from theorems.results import Verification

# Every test here reads the report in a real chromium.
pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("THEOREMS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("THEOREMS_ARTIFACTS", PROJECT / "reports" / "browser"))
# Without these Chromium phones home (updates, sync, field trials) on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_browser() -> Any:
    """Playwright's sync API, or a failure saying what to install (a skip only on explicit local opt-out)."""
    missing = []
    if not Path(CHROMIUM).is_file():
        missing.append(f"Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
        missing.append("the playwright package (pip install -e '.[test]')")
    if missing:
        message = f"the report's browser test needs {' and '.join(missing)}; `make test` installs both"
        if os.environ.get("THEOREMS_SKIP_BROWSER") == "1" and not os.environ.get("CI"):
            pytest.skip(message + " (skipped: THEOREMS_SKIP_BROWSER=1)")
        pytest.fail(message)
    return sync_api


def keep_artifact(path: Path) -> None:
    """Move a file into the artifacts folder atomically (parallel runs never see half a file)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    staged = ARTIFACTS / f".{path.name}.{os.getpid()}"
    shutil.copyfile(path, staged)
    os.replace(staged, ARTIFACTS / path.name)


# The theorems whose covered classes cost most of a whole run (kl-closed-forms draws one example
# per registered pair of families, 88; fold-network whole float64 networks, about 30 s; the
# distribution audits one quadrature per class, about 30 classes each, 4 s of the set-up),
# each checked on one restricted domain of its own. What the browser measures is the
# page: each theorem's statement, laid out from the theorem itself, is the same markup
# whichever examples ran; a restricted domain only adds its note beside the verdict.
RESTRICTED = {
    "kl-closed-forms": {"pair": "Normal-Normal"},
    "fold-network": {"network": "small-net", "dtype": "float32"},
    **{theorem_id: {"family": "Normal"} for theorem_id in ("log-prob-normalises", "moments-match-log-prob", "cdf-matches-log-prob", "sampler-matches-log-prob")},
}


def make_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report (scope full) over every theorem (one example each, two on a restricted domain),
    every claim (searched in full), and one falsified check."""
    found = verify_all(profile="ci", max_examples=1, theorem_ids=tuple(t.id for t in all_theorems() if t.id not in RESTRICTED))
    restricted = {
        theorem.id: check_implementation(
            theorem, theorem.reference, target=theorem.reference_target, profile="ci", max_examples=1,
            assume=theorem.parse_assumptions(RESTRICTED[theorem.id]),
        )
        for theorem in all_theorems()
        if theorem.id in RESTRICTED
    }
    checked = {result.theorem_id: result for result in found.theorems} | restricted
    from torch.nn.utils.fusion import fuse_linear_bn_eval

    falsified = check_implementation(FOLD_LINEAR, fuse_linear_bn_eval, profile="ci", max_examples=20)
    theorems = (*(checked[theorem.id] for theorem in all_theorems()), falsified)
    verification = Verification(theorems, found.claims, found.environment)
    path = write_html(verification, tmp_path_factory.mktemp("report") / "index.html", report_context(verification))
    keep_artifact(path)
    return path


@pytest.fixture(scope="session")
def seen(tmp_path_factory: pytest.TempPathFactory, once_per_run: Callable[[str, Callable[[], Any]], Any]) -> dict[str, Any]:
    """Everything the tests ask of the page, measured in one browser session, then closed.

    Measured once per run (conftest's ``once_per_run``): under xdist the first worker to
    get here measures, and the conftest runs these tests one after the other on that
    worker, so that the other never waits for the measurements.
    """
    return once_per_run("report-browser", lambda: measure_report(tmp_path_factory))


def measure_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    sync_api = require_browser()
    report_path = make_report(tmp_path_factory)
    seen: dict[str, Any] = {"requests": [], "console_errors": [], "page_errors": []}
    report_url = report_path.resolve().as_uri()
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            service_workers="block",
        )
        try:
            page = context.new_page()

            def on_request(request: Any) -> None:
                if request.url != report_url and not request.url.startswith("data:"):
                    seen["requests"].append(request.url)

            # Anything but the file itself is recorded and refused, so nothing leaves the machine.
            context.route(
                "**/*",
                lambda route: route.continue_() if route.request.url == report_url or route.request.url.startswith("data:") else route.abort(),
            )
            page.on("request", on_request)
            page.on("console", lambda message: message.type == "error" and seen["console_errors"].append(message.text))
            page.on("pageerror", lambda error: seen["page_errors"].append(str(error)))
            page.goto(report_url, wait_until="load")
            page.wait_for_timeout(200)
            seen["theorems"] = {theorem.id: measure_statement(page, theorem.id) for theorem in all_theorems()}
            seen["claims_visible"] = {
                claim.id: page.locator(f'section.claim[data-claim-id="{claim.id}"]').is_visible() for claim in all_claims()
            }
            seen["counterexample_visible"] = page.locator('section.theorem[data-verdict="falsified"] pre.counterexample').first.is_visible()
            seen["errors_marked"] = page.locator(".math-error, merror").count()
            seen["empty_math"] = page.eval_on_selector_all(
                "math", "elements => elements.filter(e => { const r = e.getBoundingClientRect(); return !r.width || !r.height; }).length"
            )
            seen["fractions_stacked"] = page.eval_on_selector_all(
                "mfrac",
                """fractions => fractions.map(f => {
                    const [top, bottom] = [f.children[0].getBoundingClientRect(), f.children[1].getBoundingClientRect()];
                    return top.bottom <= bottom.top + 1;
                })""",
            )
            seen["image_widths"] = page.eval_on_selector_all("figure img", "images => images.map(i => i.complete ? i.naturalWidth : 0)")
            seen["page_width"] = page.evaluate("document.documentElement.scrollWidth")
            seen["toc_targets"] = page.eval_on_selector_all(
                "nav.toc a", "links => links.map(a => [a.getAttribute('href'), !!document.querySelector(a.getAttribute('href'))])"
            )
            screenshot = report_path.parent / "report.png"
            page.screenshot(path=str(screenshot), full_page=True)
            keep_artifact(screenshot)
        finally:
            context.close()
    return seen


def measure_statement(page: Any, theorem_id: str) -> dict[str, Any]:
    section = page.locator(f'section.theorem[data-theorem-id="{theorem_id}"]').first
    if not section.count() or not section.is_visible():
        return {"visible": False}
    statement = section.locator("div.statement > math")
    return {
        "visible": True,
        "box": statement.bounding_box(),
        "display": statement.evaluate("element => getComputedStyle(element).display"),
    }


@pytest.mark.slow
def test_every_theorem_is_on_the_page_with_its_statement_laid_out_as_math(seen: dict[str, Any]) -> None:
    for theorem_id, measured in seen["theorems"].items():
        assert measured["visible"], theorem_id
        box = measured["box"]
        assert box is not None and box["width"] > 0 and box["height"] > 0, theorem_id
        # MathML Core elements compute to display "block math" / "inline math".
        assert "math" in measured["display"], theorem_id


def test_no_formula_failed_to_render(seen: dict[str, Any]) -> None:
    assert seen["errors_marked"] == 0
    assert seen["empty_math"] == 0


def test_fractions_stack_their_numerator_above_their_denominator(seen: dict[str, Any]) -> None:
    assert seen["fractions_stacked"] and all(seen["fractions_stacked"])


def test_every_claim_and_the_counterexample_are_visible(seen: dict[str, Any]) -> None:
    assert seen["claims_visible"] and all(seen["claims_visible"].values()), seen["claims_visible"]
    assert seen["counterexample_visible"]


def test_figures_are_drawn(seen: dict[str, Any]) -> None:
    assert seen["image_widths"] and all(width > 0 for width in seen["image_widths"])


def test_the_page_makes_no_network_request_and_logs_no_error(seen: dict[str, Any]) -> None:
    assert seen["requests"] == []
    assert seen["console_errors"] == [] and seen["page_errors"] == []


def test_the_page_fits_a_1280_pixel_window_without_scrolling_sideways(seen: dict[str, Any]) -> None:
    assert seen["page_width"] <= 1280  # wide tables and formulas scroll inside themselves


def test_the_table_of_contents_links_to_every_section_it_lists(seen: dict[str, Any]) -> None:
    targets = dict(seen["toc_targets"])
    assert {"#summary", "#theorems", "#claims", "#power", "#environment"} <= set(targets)
    assert all(targets.values()), targets


def test_a_screenshot_is_kept(seen: dict[str, Any]) -> None:
    screenshot = ARTIFACTS / "report.png"
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000
