"""Drawing the figures of a run: each theorem's pictures (:mod:`theorems.figure`) as inline PNGs.

The figures themselves live with their theorems (``theorems/<theorem>/figures.py``) and are
handed in (``ReportContext.figures``); this module draws those it is handed, each into a
base64 PNG, so the report stays one self-contained file. A figure that fails is replaced by its error, so a broken figure never
costs the report.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from theorems.figure import Figure, FigureContext, FigureLike, NothingToDraw

__all__ = ["Figure", "FigureContext", "NothingToDraw", "RenderedFigure", "render_figures"]


@dataclass(frozen=True)
class RenderedFigure:
    id: str
    title: str
    caption: str
    theorem_ids: tuple[str, ...]
    png_base64: str | None
    error: str | None = None


def render_figures(context: FigureContext, figures: tuple[FigureLike, ...]) -> list[RenderedFigure]:
    """Draw each of ``figures`` relevant to this run into an inline PNG (base64)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    rendered = []
    for figure in figures:
        ids = tuple(getattr(figure, "theorem_ids", ()))
        if ids and not any(theorem_id in context.evidence for theorem_id in ids):
            continue
        canvas, axes = pyplot.subplots(figsize=(6.4, 4.4), dpi=100)
        try:
            figure.draw(context, axes)
            axes.set_title(figure.title)
            # One layout: tight_layout makes room for everything the axes hold, the legend below them
            # included, so the saved canvas needs no second fit (bbox_inches="tight" drew each
            # figure once more to measure it: measured 0.1 s a figure, 2.0 s -> 1.45 s for a full report's five).
            canvas.tight_layout()
            buffer = io.BytesIO()
            canvas.savefig(buffer, format="png", metadata={"Software": None})
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
