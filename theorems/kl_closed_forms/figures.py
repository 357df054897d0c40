"""Figures of the torch.distributions audits, drawn from their oracles.

* Every checked example of ``kl-closed-forms`` and ``log-det-jacobian``: the error of
  torch's value against the derived tolerance, one point per example (log-log), finite
  and infinite agreements apart.
* The finding ``torch-kl-narrow-uniform-cancels``: KL(Uniform(0, w) ‖ Gumbel(0, 1)) as the
  width ``w`` shrinks, torch's closed form against the definition (adaptive cubature over
  p's quantiles, :func:`theorems.kl_closed_forms.oracle.kl_by_definition`): the gap grows like
  ``u/w`` while the definition's own allowance stays at rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorems.figure import Figure, FigureContext, scatter_error_against_tolerance

__all__ = ["FIGURES", "draw_audit_error_against_tolerance", "draw_narrow_uniform_finding", "narrow_uniform_rows"]

WIDTHS = tuple(float(w) for w in np.logspace(-10, 0, 11))
GAP_FLOOR = 1e-17


def draw_audit_error_against_tolerance(context: FigureContext, axes: Any) -> None:
    scatter_error_against_tolerance(
        axes, context.evidence_for("kl-closed-forms", "log-det-jacobian"),
        xlabel="derived tolerance (oracle's error estimate + the formula's rounding)", ylabel="|torch − definition|",
        nothing="no torch.distributions evidence in this run",
    )


def narrow_uniform_rows() -> list[tuple[float, float, float, float]]:
    """``(w, torch's closed form, the definition, the definition's allowance)`` for KL(Uniform(0, w) ‖ Gumbel(0, 1))."""
    from torch import distributions as D

    from theorems.kl_closed_forms.check import element_tolerance
    from theorems.kl_closed_forms.laws import Law
    from theorems.kl_closed_forms.oracle import kl_by_definition

    rows = []
    for width in WIDTHS:
        p = Law("Uniform", (("low", np.zeros(1)), ("high", np.array([width]))))
        q = Law("Gumbel", (("loc", np.zeros(1)), ("scale", np.ones(1))))
        definition = kl_by_definition(p, q)[0]
        closed = float(D.kl_divergence(p.build(), q.build())[0])
        rows.append((width, closed, definition.value, element_tolerance(definition)))
    return rows


def draw_narrow_uniform_finding(context: FigureContext, axes: Any) -> None:
    rows = narrow_uniform_rows()
    widths = [row[0] for row in rows]
    axes.plot(widths, [max(abs(row[1] - row[2]), GAP_FLOOR) for row in rows], marker="o", label="|torch − definition|")
    axes.plot(widths, [row[3] for row in rows], linestyle="--", label="the check's tolerance")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("width w of Uniform(0, w)")
    axes.set_ylabel("KL(Uniform(0, w) ‖ Gumbel(0, 1)): error")
    axes.legend(loc="upper right", fontsize="small")


FIGURES = (
    Figure(
        id="distributions-audit-error-vs-tolerance",
        title="torch.distributions: error against the derived tolerance",
        caption=(
            "One point per generated example of kl-closed-forms (torch's closed-form KL against the definition "
            "E_p[log p − log q] by exact sums, quadrature over p's quantiles or exponential-family identities) and of "
            "log-det-jacobian (log_abs_det_jacobian against log|det J| from autograd), at the batch element with the "
            "worst ratio. Below the diagonal holds; exact agreement is drawn at the floor; infinite KLs that agree "
            "are not drawn. Examples inside a recorded finding are checked against its error model."
        ),
        theorem_ids=("kl-closed-forms", "log-det-jacobian"),
        draw=draw_audit_error_against_tolerance,
    ),
    Figure(
        id="narrow-uniform-finding",
        title="Finding: a narrow Uniform's KL against a Gumbel cancels",
        caption=(
            "KL(Uniform(0, w) ‖ Gumbel(0, 1)) for widths w from 1e-10 to 1: the gap between torch's closed form, "
            "which divides e^{−w} − 1 by w, and the definition (adaptive cubature over p's quantiles), against the "
            "check's tolerance. The gap grows like u/w as w shrinks; the tolerance, the definition's own error "
            "estimate and rounding on the scale of the log-densities, does not."
        ),
        theorem_ids=("kl-closed-forms",),
        draw=draw_narrow_uniform_finding,
    ),
)
