"""A figure: a picture of a theorem's evidence, for the report.

A figure is anything with ``id``, ``title``, ``caption``, ``theorem_ids`` and
``draw(context, axes)`` (the :class:`Figure` dataclass is the convenient way to make
one). A theorem contributes pictures from its own package, ``theorems/<theorem>/figures.py``,
as ``FIGURES`` (found by location, as its statement is)::

    FIGURES = (Figure("variance-depth", "Variance against depth", "…", ("variance-recursion",), draw_variance),)

``draw`` receives a :class:`FigureContext` (the evidence each theorem's run produced,
and the profile) and a matplotlib ``Axes``; it may compute what it needs (a Monte
Carlo estimate, a quadrature), and raises :class:`NothingToDraw` when there is nothing
to show. :mod:`theorems.report.figures` draws them; a figure is shown when one of its
``theorem_ids`` was run (or it names none), and one that fails is replaced by its error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from theorems.evidence import Evidence

__all__ = ["Figure", "FigureContext", "FigureLike", "NothingToDraw", "scatter_error_against_tolerance"]


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
