"""Figures in the report: pictures where a person would rather look than read.

A figure is anything with ``id``, ``title``, ``caption``, ``theorem_ids`` and
``draw(context, axes)`` (the :class:`Figure` dataclass is the convenient way to make
one). The report collects the built-in figures below and every ``FIGURES`` tuple that a
theorem module exposes, found the same way as ``THEOREMS``; so a theorem module
contributes a picture (variance against depth, KL closed form against quadrature) by
adding, for example::

    FIGURES = (Figure("variance-depth", "Variance against depth", "…", ("variance-recursion",), draw_variance),)

``draw`` receives a :class:`FigureContext` (the evidence each theorem's run produced,
and the profile) and a matplotlib ``Axes``; it may compute what it needs (a Monte
Carlo estimate, a quadrature), and raises :class:`NothingToDraw` when there is nothing
to show. A figure is shown when one of its ``theorem_ids`` was run (or it names none);
one that fails is replaced by its error, so a broken figure never costs the report.
The pictures drawn from the variance and KL oracles live in ``figures_variance`` and
``figures_kl`` beside this module (``FIGURE_MODULES``).
Figures are embedded as inline base64 PNG: the file stays self-contained.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from theorems.evidence import Evidence

__all__ = ["Figure", "FigureContext", "NothingToDraw", "RenderedFigure", "all_figures", "render_figures"]


class NothingToDraw(Exception):
    """Raised by a figure's ``draw`` when the run produced nothing it can show."""


@dataclass(frozen=True)
class FigureContext:
    """What a figure may draw from: per theorem id, the evidence of each generated example."""

    evidence: dict[str, tuple[Evidence, ...]]
    profile: str

    def evidence_for(self, *theorem_ids: str) -> dict[str, tuple[Evidence, ...]]:
        return {theorem_id: self.evidence[theorem_id] for theorem_id in theorem_ids if self.evidence.get(theorem_id)}


class FigureLike(Protocol):
    id: str
    title: str
    caption: str
    theorem_ids: tuple[str, ...]

    def draw(self, context: FigureContext, axes: Any) -> None: ...


@dataclass(frozen=True)
class Figure:
    """A picture for the report: ``draw(context, axes)`` draws on a matplotlib ``Axes``."""

    id: str
    title: str
    caption: str
    theorem_ids: tuple[str, ...]
    draw: Callable[[FigureContext, Any], None]


@dataclass(frozen=True)
class RenderedFigure:
    id: str
    title: str
    caption: str
    theorem_ids: tuple[str, ...]
    png_base64: str | None
    error: str | None = None


def scatter_error_against_tolerance(axes: Any, found: dict[str, tuple[Evidence, ...]], *, xlabel: str, ylabel: str, nothing: str) -> None:
    """One point per example's evidence, error against tolerance (log-log), coloured by theorem,
    with the diagonal error = tolerance; exact agreement is drawn at a floor a decade below the rest."""
    points = {
        theorem_id: [(e.tolerance, e.error) for e in items if e.failure is None and math.isfinite(e.error) and 0 < e.tolerance < math.inf]
        for theorem_id, items in found.items()
    }
    points = {theorem_id: p for theorem_id, p in points.items() if p}
    if not points:
        raise NothingToDraw(nothing)
    every = [value for p in points.values() for pair in p for value in pair if value > 0]
    floor = min(every) / 10
    for theorem_id, pairs in points.items():
        axes.scatter([t for t, _ in pairs], [max(e, floor) for _, e in pairs], s=14, alpha=0.7, label=theorem_id)
    low, high = floor, max(every) * 10
    axes.plot([low, high], [low, high], color="black", linewidth=1, label="error = tolerance")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(f"{ylabel} (0 drawn at {floor:.0e})")
    # Below the axes, never over them: inside, it covered the very point a falsified run is about.
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize="small", frameon=False)


def draw_fold_error_against_tolerance(context: FigureContext, axes: Any) -> None:
    """Each generated example's worst element: error against its derived tolerance, log-log."""
    scatter_error_against_tolerance(
        axes, context.evidence_for("fold-linear", "fold-conv", "fold-conv-transpose"),
        xlabel="derived tolerance at the worst element", ylabel="observed error", nothing="no fold evidence in this run",
    )


BUILT_IN_FIGURES: tuple[Figure, ...] = (
    Figure(
        id="fold-error-vs-tolerance",
        title="Fold error against its derived tolerance",
        caption=(
            "One point per generated example: at the element with the worst error-to-tolerance ratio, "
            "the difference between the folded layer and the unfused pair in float64, against the "
            "tolerance (k+8)(u+u64)·T derived from the dot product's length and the size of its terms. "
            "Every point below the diagonal holds; exact float64 agreement is drawn at the floor."
        ),
        theorem_ids=("fold-linear", "fold-conv", "fold-conv-transpose"),
        draw=draw_fold_error_against_tolerance,
    ),
)


# Report modules drawing from a theorem's oracles, each exposing ``FIGURES`` like a
# theorem module; imported when the figures are collected (they import this module).
FIGURE_MODULES = ("theorems.report.figures_variance", "theorems.report.figures_kl", "theorems.report.figures_distributions")


def all_figures() -> tuple[FigureLike, ...]:
    """The built-in figures, those of ``FIGURE_MODULES``, then every theorem module's ``FIGURES``."""
    import importlib

    from theorems.registry import from_theorem_modules

    modules = tuple(figure for name in FIGURE_MODULES for figure in getattr(importlib.import_module(name), "FIGURES", ()))
    return (*BUILT_IN_FIGURES, *modules, *from_theorem_modules("FIGURES"))


def render_figures(context: FigureContext, figures: tuple[FigureLike, ...] | None = None) -> list[RenderedFigure]:
    """Draw each figure relevant to this run into an inline PNG (base64)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    rendered = []
    for figure in all_figures() if figures is None else figures:
        ids = tuple(getattr(figure, "theorem_ids", ()))
        if ids and not any(theorem_id in context.evidence for theorem_id in ids):
            continue
        canvas, axes = pyplot.subplots(figsize=(6.4, 4.4), dpi=100)
        try:
            figure.draw(context, axes)
            axes.set_title(figure.title)
            canvas.tight_layout()
            buffer = io.BytesIO()
            canvas.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})  # the legend below the axes included
            rendered.append(
                RenderedFigure(figure.id, figure.title, figure.caption, ids, base64.b64encode(buffer.getvalue()).decode("ascii"))
            )
        except NothingToDraw:
            continue
        except Exception as error:  # a broken figure must not cost the report
            rendered.append(RenderedFigure(figure.id, figure.title, figure.caption, ids, None, f"{type(error).__name__}: {error}"))
        finally:
            pyplot.close(canvas)
    return rendered
