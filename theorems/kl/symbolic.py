r"""T6 over symbols (``theorems prove``): KL additivity for product pmfs of symbolic entries, proved at fixed supports.

T5 (nonnegativity) is an inequality, not an identity: it is checked numerically only
(``NOT_AN_IDENTITY``). Beside the statement: the coupled joint ``theorems prove`` must
refute (additivity claimed without independence), and the registry of this package's
statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from typing import Any

from theorems.oracles.symbolic import Identity, NotAnIdentity, Ref, SymbolicStatement, mistake_of, wrong_statement

__all__ = [
    "NOT_AN_IDENTITY",
    "SYMBOLIC_STATEMENTS",
    "WRONG_STATEMENTS",
    "dependent_joint",
    "symbolic_kl_additivity",
    "symbolic_kl_by_definition",
    "symbolic_product_pmf",
]


# --- the statement ----------------------------------------------------------------------------


def symbolic_kl_by_definition(p: Sequence[Any], q: Sequence[Any]) -> Any:
    """``Σ_i p_i (log p_i − log q_i)`` over SymPy entries (all positive: no zero terms to special-case)."""
    import sympy

    return sympy.Add(*(pi * (sympy.log(pi) - sympy.log(qi)) for pi, qi in zip(p, q)))


def symbolic_product_pmf(factors: Sequence[Sequence[Any]]) -> tuple[list[Any], tuple[Any, ...]]:
    """The joint pmf of independent components (C order, as :func:`theorems.kl.check.product_pmf`), and no further hypothesis."""
    joint = reduce(lambda left, right: [a * b for a in left for b in right], factors)
    return list(joint), ()


def symbolic_kl_additivity(
    *, supports: Sequence[tuple[int, ...]] = ((2, 2), (2, 3), (3, 3), (4, 2), (2, 2, 2)),
    joint: Callable[[Sequence[Sequence[Any]]], tuple[list[Any], tuple[Any, ...]]] | None = None,
) -> Iterator[Any]:
    r"""T6 over symbols: ``D(joint(p) ‖ ⊗q) = Σ_f D(p_f ‖ q_f)`` for pmfs of symbolic entries.

    Each factor's entries are positive symbols; the logarithms of the joint's products
    are split (``expand_log``: valid for positive arguments), and only then is each
    factor's last entry replaced by ``1 − Σ`` of the others (so the statement is on pmfs:
    every entry positive, summing to 1; the last entries' positivity is a hypothesis).
    ``joint`` builds the joint of ``p`` from its factors (the product: independence).
    """
    import sympy

    joint = joint or symbolic_product_pmf
    for support in supports:
        p = [[sympy.Symbol(f"p{f}[{i}]", positive=True) for i in range(k)] for f, k in enumerate(support)]
        q = [[sympy.Symbol(f"q{f}[{i}]", positive=True) for i in range(k)] for f, k in enumerate(support)]
        joint_p, hypotheses = joint(p)
        joint_q, _ = symbolic_product_pmf(q)
        normalised = {factor[-1]: 1 - sympy.Add(*factor[:-1]) for factor in p + q}
        left = sympy.expand_log(symbolic_kl_by_definition(joint_p, joint_q)).subs(normalised)
        right = sympy.Add(*(symbolic_kl_by_definition(pf, qf) for pf, qf in zip(p, q))).subs(normalised)
        requires = tuple(normalised.values()) + tuple(sympy.sympify(h).subs(normalised) for h in hypotheses)
        what = f"D(joint ‖ product) = Σ D(p_f ‖ q_f), supports {'×'.join(map(str, support))}"
        yield Identity(what=what, left=left, right=right, requires=requires)


# --- the wrong joint (it must be refuted) --------------------------------------------------------


def dependent_joint(factors: Any) -> tuple[list[Any], tuple[Any, ...]]:
    """Two factors coupled, marginals kept: ``p_i p'_j + t·c·u_i v_j``, ``u = v = (1, −1, 0, …)``, ``c = p_0 p_1 p'_0 p'_1``.

    For ``|t| < 1`` every entry stays positive and the marginals are ``p`` and ``p'``, but
    the components are dependent for ``t ≠ 0``: additivity claimed without independence.
    """
    import sympy

    first, second = factors
    t = sympy.Symbol("t", real=True)
    coupling = t * first[0] * first[1] * second[0] * second[1]
    sign = lambda k: 1 if k == 0 else (-1 if k == 1 else 0)  # noqa: E731 (u and v)
    joint = [first[i] * second[j] + sign(i) * sign(j) * coupling for i in range(len(first)) for j in range(len(second))]
    return joint, (1 - t, 1 + t)


# --- the registry (theorems._engine.prove) -------------------------------------------------------

SYMBOLIC_STATEMENTS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "kl-additivity",
        "supports 2×2, 2×3, 3×3, 4×2 and 2×2×2",
        10.0,
        "theorems.kl.symbolic:symbolic_kl_additivity",
        how="product pmfs of symbolic positive entries, each factor summing to 1",
    ),
)

NOT_AN_IDENTITY: tuple[NotAnIdentity, ...] = (
    NotAnIdentity("kl-nonnegativity", "an inequality (D ≥ 0, = 0 iff p = q), not an identity at fixed sizes"),
)

WRONG_STATEMENTS: tuple[SymbolicStatement, ...] = (
    wrong_statement(
        "kl-additivity", "kl-additivity/without-independence", "theorems.kl.symbolic:symbolic_kl_additivity",
        {"supports": ((2, 2),), "joint": Ref("theorems.kl.symbolic:dependent_joint")},
        "supports 2×2, coupled", mistake_of(dependent_joint),
    ),
)
