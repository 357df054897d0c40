"""Figure of the fold theorems: each example's error against its derived tolerance."""

from __future__ import annotations

from typing import Any

from theorems.figure import Figure, FigureContext, scatter_error_against_tolerance

__all__ = ["FIGURES", "draw_fold_error_against_tolerance"]


def draw_fold_error_against_tolerance(context: FigureContext, axes: Any) -> None:
    """Each generated example's worst element: error against its derived tolerance, log-log."""
    scatter_error_against_tolerance(
        axes, context.evidence_for("fold-linear", "fold-conv", "fold-conv-transpose"),
        xlabel="derived tolerance at the worst element", ylabel="observed error", nothing="no fold evidence in this run",
    )


FIGURES: tuple[Figure, ...] = (
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
