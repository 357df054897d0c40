"""The vocabulary of the symbolic statements (``theorems prove``): identities over SymPy symbols.

A theorem that is an algebraic identity at fixed sizes states it symbolically in its own
package, ``theorems/<theorem>/symbolic.py``: functions ``symbolic_<theorem>(…)`` that yield
:class:`Identity` objects, and the tables that register them (``SYMBOLIC_STATEMENTS``,
``SYMBOLIC_CLAIMS``, ``WRONG_STATEMENTS``, ``NOT_AN_IDENTITY``), each entry a
:class:`SymbolicStatement` or a :class:`NotAnIdentity`. :mod:`theorems._engine.prove` finds
those tables by location and establishes each statement. SymPy is imported only when a
statement is built, so that listing the statements needs no SymPy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from theorems.theorem import resolve

__all__ = [
    "NOT_ATTEMPTED",
    "PROVED",
    "REFUTED",
    "Identity",
    "NotAnIdentity",
    "Ref",
    "SymbolicStatement",
    "adjugate_inverse",
    "mistake_of",
    "symbol_array",
    "wrong_statement",
]

# The three outcomes of a proof (theorems._engine.prove says when each is given).
PROVED = "proved"
REFUTED = "refuted"
NOT_ATTEMPTED = "not attempted"


@dataclass(frozen=True)
class Identity:
    """``left = right`` for all values of the free symbols with every ``requires`` expression positive.

    ``left`` and ``right`` are SymPy expressions or matrices of the same shape. The
    symbols' own assumptions (``positive=True`` for σ², ε, a standard deviation)
    and ``requires`` (``det(A)²`` for an invertible ``A``, the last entry ``1 − Σ p_i`` of
    a pmf) are the hypotheses: a refutation's substitution satisfies all of them.
    """

    what: str
    left: Any
    right: Any
    requires: tuple[Any, ...] = ()


def adjugate_inverse(matrix: Any) -> Any:
    """``adj(M) / det(M)`` (Berkowitz's determinant): the very matrix SymPy's ``M.inv(method="ADJ")`` returns, without its test.

    That test asks whether ``det(M).equals(0)``, which for a symbolic matrix rewrites and
    samples the determinant before the inverse is formed (measured: 0.1 s for a symbolic
    2×2, 0.45 s for ``AAᵀ`` 3×3; about 0.9 s of the affine-Gaussian proof's 7 s), for nothing
    a proof needs. The expanded determinant is checked here instead (exact for the
    polynomial entries these matrices have, and a tenth of that time): a matrix whose
    determinant is identically zero is refused, as SymPy refuses it; one that slipped
    through could not pass for a proof either, its residuals holding ``zoo``. Where the hypotheses
    make ``det M`` vanish at some points (``requires``), the identity is claimed only
    where it does not, as before.
    """
    import sympy

    determinant = matrix.berkowitz_det()
    if sympy.expand(determinant) == 0:
        raise sympy.matrices.exceptions.NonInvertibleMatrixError(f"{matrix} has a determinant that is identically zero")
    return matrix.adjugate() / determinant


def symbol_array(name: str, shape: tuple[int, ...], **assumptions: bool) -> Any:
    """A numpy object array of SymPy symbols ``name[i,j,…]`` (real unless the assumptions say more)."""
    import numpy as np
    import sympy

    flags = {"real": True, **assumptions}
    array = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        array[index] = sympy.Symbol(f"{name}[{','.join(map(str, index))}]", **flags)
    return array


@dataclass(frozen=True)
class Ref:
    """A function named ``"module:function"`` passed to a statement (a wrong formula, a transcribed one), imported when used."""

    target: str


@dataclass(frozen=True)
class SymbolicStatement:
    """A symbolic statement of a theorem, a transcribed claim or a wrong statement, at stated sizes.

    ``target`` names (``"module:function"``) a function yielding :class:`Identity`;
    it is called once per entry of ``cases`` (its keyword arguments; a :class:`Ref` is
    imported first). ``budget`` is the most seconds the whole proof may take: at least
    five times what it takes on the project's loaded 2-core machine, so that only a
    proof gone wrong runs past it. ``expected`` is the status it must come out with;
    ``how`` says how it is stated (in a proved proof's reason); ``what_is_wrong``, for
    a wrong statement, its mistake.
    """

    id: str
    sizes: str
    budget: float
    target: str
    cases: tuple[dict[str, Any], ...] = ({},)
    expected: str = PROVED
    theorem_id: str = ""
    how: str = ""
    what_is_wrong: str = ""

    def identities(self) -> Iterator[Identity]:
        for _, identities in self.identities_by_case():
            yield from identities

    def identities_by_case(self) -> Iterator[tuple[dict[str, Any], Iterator[Identity]]]:
        """``(case, its identities)`` for each entry of ``cases``: a case that yields none proves nothing about its sizes."""
        function = resolve(self.target)
        for case in self.cases:
            yield case, iter(function(**{name: resolve(value.target) if isinstance(value, Ref) else value for name, value in case.items()}))


@dataclass(frozen=True)
class NotAnIdentity:
    """A theorem with no symbolic statement, and why: ``theorems prove`` reports it "not attempted" with ``reason``."""

    theorem_id: str
    reason: str


def mistake_of(formula: Callable[..., Any]) -> str:
    """The first line of a wrong formula's docstring: what it gets wrong."""
    return (formula.__doc__ or "").strip().splitlines()[0]


def wrong_statement(
    theorem_id: str, name: str, target: str, case: dict[str, Any], sizes: str, mistake: str, budget: float = 15.0
) -> SymbolicStatement:
    """A theorem's own statement ``target`` with one formula replaced (in ``case``): it must come out refuted.

    Refuted means: the residual does not reduce to 0 and a substitution that satisfies the
    hypotheses makes it nonzero (:func:`theorems._engine.prove.establish`). One that came out
    proved would mean the symbolic statements have lost their power (``tests/engine/test_prove.py``).
    """
    return SymbolicStatement(
        id=name, sizes=sizes, budget=budget, target=target, cases=(case,), expected=REFUTED, theorem_id=theorem_id, what_is_wrong=mistake,
    )
