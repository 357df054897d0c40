"""The HTML verification report: one self-contained file a person who knows the math can read.

Rendered from the Jinja2 template ``templates/report.html.j2``. Mathematics is
converted from LaTeX to MathML by ``latex2mathml`` (browsers render MathML natively,
so no script and no web font is needed); figures are inline base64 PNG; the styles are
inline. The file makes no network request of any kind. A formula ``latex2mathml``
cannot convert is shown as its source inside ``<span class="math-error">``, which the
browser test looks for.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from latex2mathml.converter import convert
from markupsafe import Markup, escape

from theorems.report.classes import class_rows, excluded, findings_by_class
from theorems.report.context import ReportContext
from theorems.files import write_atomically
from theorems.report.figures import FigureContext, render_figures
from theorems.report.power import catalogue_summary
from theorems.results import Verification

if TYPE_CHECKING:
    from theorems.finding import Finding

__all__ = ["render_html", "render_math", "write_html"]

TEMPLATES = Path(__file__).parent / "templates"


def render_math(latex: str, *, display: bool = False) -> Markup:
    """LaTeX as MathML; on a conversion error, the source in a visible ``math-error`` span."""
    try:
        mathml = convert(latex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises several exception types for bad input
        return Markup('<span class="math-error" title="{}">{}</span>').format(f"{type(error).__name__}", latex)
    return Markup(mathml)


def looks_like_latex(text: str) -> bool:
    """Claims may be written in LaTeX or in plain words; LaTeX has commands, scripts or groups."""
    return any(marker in text for marker in ("\\", "^", "_", "{"))


def render_formula(text: str) -> Markup:
    return render_math(text) if looks_like_latex(text) else Markup("<code>{}</code>").format(text)


def format_number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if math.isinf(value):
        return "∞"
    return f"{value:.{digits}g}"


def _slug(text: object) -> str:
    return "".join(c if c.isalnum() else "-" for c in str(text))


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["math"] = render_math
    environment.filters["formula"] = render_formula
    environment.filters["number"] = format_number
    environment.filters["slug"] = _slug
    environment.filters["seconds"] = format_seconds
    return environment


def finding_rows(findings: tuple[Finding, ...]) -> list[dict[str, str]]:
    """The findings' table: defects of real libraries recorded by the theorems (``theorems/<theorem>/findings.py``)."""
    fields = ("id", "theorem_id", "library", "summary")
    rows = []
    for finding in findings:
        row = {name: str(getattr(finding, name, "")) for name in fields}
        row["error_model"] = finding.error_model.statement if finding.error_model is not None else ""
        row["prevalence"] = str(finding.prevalence) if finding.prevalence is not None else ""
        rows.append(row)
    return rows


def format_seconds(value: float) -> str:
    """A benchmark time in the unit that reads best (s, ms, µs, ns)."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def render_html(verification: Verification, context: ReportContext, *, title: str = "Verification report") -> str:
    """The report as one HTML string: ``verification``'s results beside what ``context`` hands in.

    A report of the whole suite (``scope`` ``"full"``) shows the suite's own measurements,
    which ``context`` must carry (ValueError otherwise: the report reads no folder itself).
    """
    if verification.scope == "full" and context.measurements is None:
        raise ValueError("a report of the whole suite shows the suite's measurements: hand them in ReportContext.measurements")
    evidence: dict[str, tuple] = {}
    for result in verification.theorems:  # every implementation checked against a theorem
        evidence[result.theorem_id] = evidence.get(result.theorem_id, ()) + result.run.evidence
    figures = render_figures(FigureContext(evidence=evidence, profile=verification.environment.get("profile", "")), context.figures)
    order = tuple(result.theorem_id for result in verification.theorems)
    by_class = findings_by_class(context.findings, context.finding_classes)
    template = _environment().get_template("report.html.j2")
    return template.render(
        catalogue=None if verification.power is None else catalogue_summary(verification.power, order),
        profile=verification.environment.get("profile", ""),
        proofs={proof.id: proof for proof in verification.proofs or ()},
        measurements=context.measurements,
        quadrature_safety=context.quadrature_safety,
        title=title,
        verification=verification,
        theorems={theorem.id: theorem for theorem in context.theorems},
        claims={claim.id: claim for claim in context.claims},
        figures=figures,
        anchors=_anchors(verification),
        findings=finding_rows(context.findings),
        figures_for=lambda theorem_id: [f for f in figures if theorem_id in f.theorem_ids],
        class_rows=lambda theorem_id, run, assumptions: class_rows(theorem_id, run, assumptions, by_class),
        excluded=excluded,
        escape=escape,
    )


def _anchors(verification: Verification) -> list[str]:
    """The first check of a theorem gets the anchor #theorem-ID (claims link there); more checks
    of the same theorem (a user's implementation beside the reference) get -2, -3…"""
    anchors, seen = [], {}
    for result in verification.theorems:
        seen[result.theorem_id] = seen.get(result.theorem_id, 0) + 1
        suffix = "" if seen[result.theorem_id] == 1 else f"-{seen[result.theorem_id]}"
        anchors.append(f"theorem-{_slug(result.theorem_id)}{suffix}")
    return anchors


def write_html(verification: Verification, path: str | os.PathLike[str], context: ReportContext, **options: Any) -> Path:
    """Write the report (:func:`render_html`) to ``path`` (creating its folder) and return the path."""
    return write_atomically(path, render_html(verification, context, **options))
