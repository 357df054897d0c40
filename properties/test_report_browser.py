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
from pathlib import Path
from typing import Any

import pytest

from theorems.fold import FOLD_LINEAR
from theorems.registry import all_claims, all_theorems
from theorems.report import Verification, check_claim, check_implementation, verify_all, write_html

PROJECT = Path(__file__).resolve().parent.parent
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


@pytest.fixture(scope="module")
def report_path() -> Path:
    """A report over every theorem (one example each), every claim, and one falsified check."""
    found = verify_all(profile="ci", max_examples=1)
    from torch.nn.utils.fusion import fuse_linear_bn_eval

    falsified = check_implementation(FOLD_LINEAR, fuse_linear_bn_eval, profile="ci", max_examples=20)
    claims = tuple(check_claim(claim, profile="ci") for claim in all_claims())
    verification = Verification((*found.theorems, falsified), claims, found.environment)
    return write_html(verification, ARTIFACTS / "index.html")


@pytest.fixture(scope="module")
def page(report_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    sync_api = require_browser()
    seen: dict[str, list[str]] = {"requests": [], "console_errors": [], "page_errors": []}
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
            opened = context.new_page()

            def on_request(request: Any) -> None:
                if request.url != report_url and not request.url.startswith("data:"):
                    seen["requests"].append(request.url)

            # Anything but the file itself is recorded and refused, so nothing leaves the machine.
            context.route(
                "**/*",
                lambda route: route.continue_() if route.request.url == report_url or route.request.url.startswith("data:") else route.abort(),
            )
            opened.on("request", on_request)
            opened.on("console", lambda message: message.type == "error" and seen["console_errors"].append(message.text))
            opened.on("pageerror", lambda error: seen["page_errors"].append(str(error)))
            opened.goto(report_url, wait_until="load")
            opened.wait_for_timeout(200)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            opened.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            yield opened, seen
        finally:
            context.close()


def test_every_theorem_is_on_the_page_with_its_statement_laid_out_as_math(page: Any) -> None:
    opened, _ = page
    for theorem in all_theorems():
        section = opened.locator(f'section.theorem[data-theorem-id="{theorem.id}"]').first
        assert section.is_visible(), theorem.id
        statement = section.locator("div.statement > math")
        box = statement.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, theorem.id
        assert "math" in statement.evaluate("element => getComputedStyle(element).display"), theorem.id


def test_no_formula_failed_to_render(page: Any) -> None:
    opened, _ = page
    assert opened.locator(".math-error, merror").count() == 0
    empty = opened.eval_on_selector_all(
        "math", "elements => elements.filter(e => { const r = e.getBoundingClientRect(); return !r.width || !r.height; }).length"
    )
    assert empty == 0


def test_fractions_stack_their_numerator_above_their_denominator(page: Any) -> None:
    opened, _ = page
    stacked = opened.eval_on_selector_all(
        "mfrac",
        """fractions => fractions.map(f => {
            const [top, bottom] = [f.children[0].getBoundingClientRect(), f.children[1].getBoundingClientRect()];
            return top.bottom <= bottom.top + 1;
        })""",
    )
    assert stacked and all(stacked)


def test_every_claim_and_the_counterexample_are_visible(page: Any) -> None:
    opened, _ = page
    for claim in all_claims():
        assert opened.locator(f'section.claim[data-claim-id="{claim.id}"]').is_visible(), claim.id
    assert opened.locator('section.theorem[data-verdict="falsified"] pre.counterexample').first.is_visible()


def test_figures_are_drawn(page: Any) -> None:
    opened, _ = page
    widths = opened.eval_on_selector_all("figure img", "images => images.map(i => i.complete ? i.naturalWidth : 0)")
    assert widths and all(width > 0 for width in widths)


def test_the_page_makes_no_network_request_and_logs_no_error(page: Any) -> None:
    _, seen = page
    assert seen["requests"] == []
    assert seen["console_errors"] == [] and seen["page_errors"] == []


def test_a_screenshot_is_kept(page: Any) -> None:
    screenshot = ARTIFACTS / "report.png"
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000
