r"""T7 over symbols (``theorems prove``): the Gaussian KL closed form from its definition, proved for d = 1, 2.

The closed form of :mod:`theorems.gaussian_kl.check` over SymPy matrices, against
``∫ f0 log(f0/f1)`` integrated by SymPy (with the Gaussian expectations of
:mod:`theorems.gaussian_density.symbolic`); beside it the notes' transcribed last line
(``SYMBOLIC_CLAIMS``, it must be refuted), the wrong closed forms ``theorems prove`` must
refute, and the registry of this theorem's statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from theorems.gaussian_density.symbolic import (
    symbolic_density_by_change_of_variables,
    symbolic_gaussian_expectation,
    symbolic_gaussian_log_density,
)
from theorems.oracles.symbolic import REFUTED, Identity, Ref, SymbolicStatement, adjugate_inverse, mistake_of, wrong_statement

__all__ = [
    "SYMBOLIC_CLAIMS",
    "SYMBOLIC_STATEMENTS",
    "WRONG_STATEMENTS",
    "kl_mean_term_dropped",
    "kl_without_half",
    "symbolic_gaussian_kl",
    "symbolic_gaussian_kl_closed_form",
    "symbolic_notes_gaussian_kl",
]


# --- the statement ----------------------------------------------------------------------------


def symbolic_gaussian_kl_closed_form(mu0: Any, cov0: Any, mu1: Any, cov1: Any) -> Any:
    """``½[tr(Σ1⁻¹Σ0) + (μ1−μ0)ᵀΣ1⁻¹(μ1−μ0) − d + ln(det Σ1/det Σ0)]`` over SymPy matrices."""
    import sympy

    inverse1, offset = adjugate_inverse(cov1), mu1 - mu0
    return ((inverse1 * cov0).trace() + (offset.T * inverse1 * offset)[0] - cov0.rows + sympy.log(cov1.det() / cov0.det())) / 2


def symbolic_notes_gaussian_kl(mu0: Any, cov0: Any, mu1: Any, cov1: Any) -> Any:
    """The notes' last line ``½[ln(det Σ0/det Σ1) − tr(Σ1⁻¹) + tr(Σ1⁻¹Σ0)]`` over SymPy matrices (a transcribed claim)."""
    import sympy

    inverse1 = adjugate_inverse(cov1)
    return (sympy.log(cov0.det() / cov1.det()) - inverse1.trace() + (inverse1 * cov0).trace()) / 2


def symbolic_gaussian_kl(*, closed_form: Callable[..., Any] | None = None, dense: bool = True) -> Iterator[Any]:
    r"""T7 over symbols: ``∫ f0 log(f0/f1) = closed_form(μ0, Σ0, μ1, Σ1)``.

    1. ``d = 1`` and diagonal ``d = 2`` (``μ`` real, ``σ`` positive symbols): the integral
       of the definition, ``log(f0/f1) = log f0 − log f1`` a polynomial in ``x``, integrated
       against ``f0`` by SymPy over ``R`` (:func:`theorems.gaussian_density.symbolic.symbolic_gaussian_expectation`).
    2. Dense ``2 × 2`` (``dense``): ``Σ0 = L0L0ᵀ``, ``Σ1 = L1L1ᵀ`` with symbolic Cholesky
       factors (positive diagonals: every SPD pair), through ``x = μ0 + L0 z``: first
       ``|det L0| f0(μ0 + L0 z) = φ(z)``, then ``E_φ[log f0 − log f1](μ0 + L0 z)`` by
       integration in ``z``, against the trace/log-det form.
    """
    import sympy

    closed_form = closed_form or symbolic_gaussian_kl_closed_form
    for d in (1, 2):
        x = sympy.symbols(f"x1:{d + 1}", real=True)
        mu0, mu1 = (sympy.Matrix(sympy.symbols(f"μ{k}_1:{d + 1}", real=True)) for k in (0, 1))
        sigma0, sigma1 = (sympy.symbols(f"σ{k}_1:{d + 1}", positive=True) for k in (0, 1))
        cov0, cov1 = sympy.diag(*(s**2 for s in sigma0)), sympy.diag(*(s**2 for s in sigma1))
        log_ratio = symbolic_gaussian_log_density(sympy.Matrix(x), mu0, cov0) - symbolic_gaussian_log_density(sympy.Matrix(x), mu1, cov1)
        integral = symbolic_gaussian_expectation(log_ratio, x, mu0, sympy.eye(d), [1 / s**2 for s in sigma0])
        shape = "d=1" if d == 1 else "diagonal d=2"
        yield Identity(what=f"∫ f0 log(f0/f1) dx = closed form, {shape}", left=integral, right=closed_form(mu0, cov0, mu1, cov1))
    if not dense:
        return
    z = sympy.symbols("z1:3", real=True)
    mu0, mu1 = (sympy.Matrix(sympy.symbols(f"μ{k}_1:3", real=True)) for k in (0, 1))
    factor0, factor1 = (
        sympy.Matrix(2, 2, lambda i, j, k=k: sympy.Symbol(f"L{k}[{i},{j}]", positive=(i == j), real=True) if i >= j else sympy.S.Zero)
        for k in (0, 1)
    )
    cov0, cov1 = factor0 * factor0.T, factor1 * factor1.T
    image = mu0 + factor0 * sympy.Matrix(z)
    standard = sympy.exp(-(z[0] ** 2 + z[1] ** 2) / 2) / (2 * sympy.pi)
    yield Identity(
        what="|det L0| f0(μ0 + L0 z) = φ(z) (the substitution x = μ0 + L0 z), 2×2",
        left=sympy.Abs(factor0.det()) * symbolic_density_by_change_of_variables(image, factor0, mu0), right=standard,
    )
    log_ratio = symbolic_gaussian_log_density(image, mu0, cov0) - symbolic_gaussian_log_density(image, mu1, cov1)
    integral = symbolic_gaussian_expectation(log_ratio, z, sympy.zeros(2, 1), sympy.eye(2), [sympy.S.One, sympy.S.One])
    yield Identity(what="E_φ[log(f0/f1)(μ0 + L0 z)] = closed form, 2×2 SPD Σ0 = L0L0ᵀ, Σ1 = L1L1ᵀ", left=integral, right=closed_form(mu0, cov0, mu1, cov1))


# --- the wrong closed forms (each must be refuted) -----------------------------------------------


def kl_without_half(mu0: Any, cov0: Any, mu1: Any, cov1: Any) -> Any:
    """The bracket of the closed form without its ½."""
    return 2 * symbolic_gaussian_kl_closed_form(mu0, cov0, mu1, cov1)


def kl_mean_term_dropped(mu0: Any, cov0: Any, mu1: Any, cov1: Any) -> Any:
    """The closed form with ``μ1 = μ0``: the mean term ``(μ1−μ0)ᵀΣ1⁻¹(μ1−μ0)`` dropped."""
    return symbolic_gaussian_kl_closed_form(mu0, cov0, mu0, cov1)


# --- the registry (theorems._engine.prove) -------------------------------------------------------

SYMBOLIC_STATEMENTS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "gaussian-kl",
        "d = 1, diagonal d = 2, dense 2×2",
        20.0,
        "theorems.gaussian_kl.symbolic:symbolic_gaussian_kl",
        how=(
            "∫ f0 log(f0/f1) integrated by SymPy in x (d = 1, diagonal d = 2; μ, σ symbolic); dense 2×2 SPD Σ0 = L0L0ᵀ, "
            "Σ1 = L1L1ᵀ (symbolic Cholesky factors) through x = μ0 + L0 z, against the trace/log-det form"
        ),
    ),
)

SYMBOLIC_CLAIMS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "gaussian-kl-notes-last-line",
        "d = 1",
        15.0,
        "theorems.gaussian_kl.symbolic:symbolic_gaussian_kl",
        ({"closed_form": Ref("theorems.gaussian_kl.symbolic:symbolic_notes_gaussian_kl"), "dense": False},),
        expected=REFUTED,
        theorem_id="gaussian-kl",
        how="∫ f0 log(f0/f1) integrated by SymPy against the notes' last line, μ and σ symbolic",
    ),
)

WRONG_STATEMENTS: tuple[SymbolicStatement, ...] = (
    wrong_statement(
        "gaussian-kl", "gaussian-kl/half-forgotten", "theorems.gaussian_kl.symbolic:symbolic_gaussian_kl",
        {"closed_form": Ref("theorems.gaussian_kl.symbolic:kl_without_half"), "dense": False},
        "d = 1", mistake_of(kl_without_half),
    ),
    wrong_statement(
        "gaussian-kl", "gaussian-kl/mean-term-dropped", "theorems.gaussian_kl.symbolic:symbolic_gaussian_kl",
        {"closed_form": Ref("theorems.gaussian_kl.symbolic:kl_mean_term_dropped"), "dense": False},
        "d = 1", mistake_of(kl_mean_term_dropped),
    ),
)
