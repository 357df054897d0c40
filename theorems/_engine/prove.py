r"""Symbolic proofs with SymPy: the theorems that are algebraic identities at fixed sizes, established exactly.

Each theorem's module states its result symbolically beside its numeric check, as a
function ``symbolic_<theorem>(…)`` that yields :class:`Identity` objects: ``left =
right`` for every value of the free symbols that the hypotheses allow (weights, inputs,
γ, β, μ, σ², ε of a fold; the entries of a filter and of ``∂ℓ/∂A``; a symbolic matrix
``A``; pmfs of symbolic entries). Each theorem's package registers its statements in its
``symbolic`` module (``theorems/<theorem>/symbolic.py``: ``SYMBOLIC_STATEMENTS``,
``SYMBOLIC_CLAIMS``, ``WRONG_STATEMENTS``, ``NOT_AN_IDENTITY``; the vocabulary is
:mod:`theorems.oracles.symbolic`). This module finds them by location, runs each proof
and reports it as a :class:`Proof`:

- **proved** — every case of the statement yields at least one identity, and for every
  identity ``left − right`` reduces to 0 in SymPy (exponents cancelled to one fraction and
  radicands factored, then ``expand``; ``simplify`` as a last resort): an exact proof at
  the stated sizes, for all values of the symbols;
- **refuted** — some ``left − right`` does not reduce to 0 *and* a concrete substitution
  (rational values that satisfy the hypotheses: positive where the symbol is declared
  positive, and every expression of :attr:`Identity.requires` positive) makes it nonzero,
  evaluated to 30 significant digits. A transcribed claim of the notes, and every wrong
  statement (each theorem's ``WRONG_STATEMENTS``), must come out refuted;
- **not attempted** — the theorem is not an identity at fixed sizes (an inequality, a
  whole network, a law known only through a symmetry argument), or its proof ran past
  its budget, or SymPy could neither reduce the residual to zero nor find a point where
  it is nonzero, or a case of its statement yielded no identity to check. The reason
  says which; a budget overrun or an empty statement is never a pass.

Each proof runs in a child process of its own (forked where the platform allows, after
SymPy and the theorem modules are imported here, so a proof pays for neither), which is
killed when its budget runs out: SymPy holds the GIL, so a thread could not be stopped
(:mod:`theorems.calling` explains the same limit for implementations under test). The
seconds reported are the child's own.

Use: :func:`prove` (theorems and claims, as ``theorems prove`` runs them),
:func:`refute_wrong_statements` (the wrong statements), :func:`proofs_json` (the JSON shape).
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from theorems._engine.registry import all_claims, all_theorems, from_theorem_packages, get_theorem
from theorems.oracles.symbolic import NOT_ATTEMPTED, PROVED, REFUTED, Identity, Ref, SymbolicStatement
from theorems.theorem import resolve

__all__ = [
    "Proof",
    "establish",
    "not_an_identity",
    "prove",
    "proofs_json",
    "refute_wrong_statements",
    "run_with_budget",
    "symbolic_claims",
    "symbolic_statements",
    "wrong_symbolic_statements",
]

# Substitutions tried before a residual that SymPy did not reduce to zero is called
# undecided; each draws every free symbol afresh (a nonzero rational function vanishes
# on a set of measure zero, so the first draw almost always decides).
WITNESS_TRIES = 40
# Significant digits of the evaluation at a witness; a residual counts as nonzero there
# when its magnitude exceeds 10^-(WITNESS_DIGITS - 10).
WITNESS_DIGITS = 30
# Characters of a residual or a substitution shown in a reason.
SHOWN = 160


@dataclass(frozen=True)
class Proof:
    """What happened to one symbolic statement: ``status`` is proved, refuted or not attempted.

    ``expected`` is the status it must have (None where nothing is stated: a theorem
    that is not an identity at fixed sizes); ``kind`` is ``theorem``, ``claim`` or
    ``wrong statement``.
    """

    id: str
    status: str
    sizes: str | None
    seconds: float
    reason: str
    expected: str | None = None
    kind: str = "theorem"
    theorem_id: str = ""

    @property
    def passed(self) -> bool:
        return self.expected is None or self.status == self.expected


# --- the registry: each theorem's symbolic module, found by location -------------------------


def symbolic_statements() -> tuple[SymbolicStatement, ...]:
    """Each theorem's symbolic statements (``SYMBOLIC_STATEMENTS`` of ``theorems/<theorem>/symbolic.py``), in package order."""
    return from_theorem_packages("symbolic", "SYMBOLIC_STATEMENTS")


def symbolic_claims() -> tuple[SymbolicStatement, ...]:
    """The transcribed claims stated symbolically (each theorem's ``SYMBOLIC_CLAIMS``): each must be refuted."""
    return from_theorem_packages("symbolic", "SYMBOLIC_CLAIMS")


def wrong_symbolic_statements() -> tuple[SymbolicStatement, ...]:
    """The deliberately wrong symbolic statements (each theorem's ``WRONG_STATEMENTS``): each must be refuted."""
    return from_theorem_packages("symbolic", "WRONG_STATEMENTS")


def not_an_identity() -> dict[str, str]:
    """``{theorem id: why it has no symbolic statement}`` (each theorem's ``NOT_AN_IDENTITY``)."""
    return {entry.theorem_id: entry.reason for entry in from_theorem_packages("symbolic", "NOT_AN_IDENTITY")}


# --- establishing one statement -------------------------------------------------------------


def _matrix(value: Any) -> Any:
    import sympy

    if isinstance(value, sympy.MatrixBase):
        return value
    if hasattr(value, "shape") and hasattr(value, "ravel"):  # a numpy object array
        return sympy.Matrix(list(value.ravel()))
    return sympy.Matrix([value])


def _canonical(entry: Any) -> Any:
    """Every ``exp(a)`` with ``a`` as one cancelled fraction, every non-integer power of a factored base.

    Both are identities (``cancel`` and ``factor`` rewrite, never approximate), and they
    let ``expand`` see that ``√((det A)²) = |det A|`` and that two quadratic forms in
    ``A⁻¹`` and in ``(AAᵀ)⁻¹`` are one rational function, which ``simplify`` does not.
    """
    import sympy

    entry = entry.replace(lambda e: isinstance(e, sympy.exp), lambda e: sympy.exp(sympy.cancel(sympy.together(e.args[0]))))
    return entry.replace(lambda e: e.is_Pow and not e.exp.is_Integer, lambda e: sympy.Pow(sympy.factor(e.base), e.exp))


def _expanded(entry: Any) -> Any:
    """``entry`` put in :func:`_canonical` form and expanded: 0 exactly when that shows it is."""
    import sympy

    return sympy.expand(_canonical(sympy.sympify(entry)))


def _simplified(entry: Any) -> Any:
    """SymPy's ``simplify``, then logarithms expanded (the last resort before "undecided")."""
    import sympy

    simplified = sympy.simplify(entry)
    return simplified if simplified == 0 else sympy.expand(sympy.expand_log(simplified))


def _described(left: Any, right: Any, residual: Any) -> str:
    """The residual in its shortest form found cheaply; for two products (densities), their ratio where that is shorter."""
    import sympy

    forms = [("left − right", str(residual), "0"), ("left − right", str(_canonical(sympy.sympify(left - right))), "0")]
    if left != 0 and right != 0:
        forms.append(("left/right", str(sympy.factor(sympy.powsimp(_canonical(sympy.sympify(left / right))))), "1"))
    name, text, unlike = min(forms, key=lambda form: len(form[1]))
    return f"{name} = {_shown(text)} ≠ {unlike}"


def _shown(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _draw(symbol: Any, generator: random.Random, *, small: bool) -> Any:
    """A rational value allowed by the symbol's assumptions: in (0, 1) when ``small`` (entries of a pmf, a coupling), else up to 9."""
    import sympy

    value = Fraction(generator.randint(1, 7), 8) if small else Fraction(generator.randint(1, 9), generator.randint(1, 4))
    sign = 1 if symbol.is_positive or symbol.is_nonnegative else generator.choice((-1, 1))
    return sympy.Rational(sign * value.numerator, value.denominator)


def _witness(residuals: Any, requires: Sequence[Any], tries: int = WITNESS_TRIES) -> tuple[dict[Any, Any], int, Any] | None:
    """``(substitution, entry, value)`` where some residual entry is nonzero and every ``requires`` is positive."""
    import sympy

    generator = random.Random(0)
    free = sorted(set().union(*(entry.free_symbols for entry in residuals), *(sympy.sympify(r).free_symbols for r in requires)), key=str)
    for attempt in range(tries):
        substitution = {symbol: (sympy.Integer(1) if attempt == 0 else _draw(symbol, generator, small=attempt % 2 == 0)) for symbol in free}
        values = [sympy.sympify(r).subs(substitution).evalf(WITNESS_DIGITS) for r in requires]
        if not all(value.is_extended_real and value > 0 for value in values):
            continue
        for index, entry in enumerate(residuals):
            value = entry.subs(substitution).evalf(WITNESS_DIGITS)
            if value.is_number and value.is_finite and abs(value) > sympy.Float(10) ** (10 - WITNESS_DIGITS):
                return substitution, index, value
    return None


def _at(substitution: dict[Any, Any], entry: Any, value: Any) -> str:
    """``at a=1, b=−1/2 left − right = v`` (exact where the value is rational)."""
    import sympy

    exact = entry.subs(substitution)
    shown = exact if isinstance(exact, sympy.Rational) else sympy.N(value, 6)
    if not substitution:
        return "a constant: no free symbols"
    return f"at {_shown(', '.join(f'{symbol}={value}' for symbol, value in substitution.items()))}: left − right = {shown}"


def establish(statement: SymbolicStatement) -> tuple[str, str]:
    """``(status, reason)`` of ``statement``: every identity reduced to zero, or the first one that is not.

    A residual that :func:`_expanded` leaves nonzero is refuted by a substitution where it
    is nonzero; failing that, ``simplify`` may still reduce it to 0; otherwise it is undecided.
    A case of ``statement.cases`` that yields no identity is not attempted, never proved:
    "every one of no identities reduces to 0" holds vacuously, and would report sizes as
    proved where nothing was checked.
    """

    count = 0
    for case, identities in statement.identities_by_case():
        case_count = count
        for identity in identities:
            outcome = _establish_identity(identity)
            if outcome is not None:
                return outcome
            count += 1
        if count == case_count:
            return NOT_ATTEMPTED, f"the statement yielded no identity for {_case_named(case)}: nothing was checked there, so nothing is proved"
    how = f" ({statement.how})" if statement.how else ""
    return PROVED, f"{count} identities reduce to 0 exactly{how}"


def _case_named(case: dict[str, Any]) -> str:
    """``the case dims=1, groups=2`` (or ``the case with no arguments``), as a reason shows it."""
    arguments = ", ".join(f"{name}={value.target if isinstance(value, Ref) else value!r}" for name, value in case.items())
    return f"the case {_shown(arguments)}" if arguments else "the case with no arguments"


def _establish_identity(identity: Identity) -> tuple[str, str] | None:
    """None when ``left − right`` reduces to 0; else ``(status, reason)``: refuted at a substitution, or undecided."""
    left, right = _matrix(identity.left), _matrix(identity.right)
    if left.shape != right.shape:
        return REFUTED, f"{identity.what}: left is {left.shape[0]}×{left.shape[1]}, right {right.shape[0]}×{right.shape[1]}"
    residuals = [_expanded(entry) for entry in (left - right)]
    open_entries = [index for index, entry in enumerate(residuals) if entry != 0]
    if not open_entries:
        return None
    found = _witness([residuals[index] for index in open_entries], identity.requires)
    if found is None:
        if all(_simplified(residuals[index]) == 0 for index in open_entries):
            return None
        return NOT_ATTEMPTED, (
            f"{identity.what}: SymPy did not reduce left − right to 0 ({_shown(residuals[open_entries[0]])}) "
            f"and it vanished at {WITNESS_TRIES} substitutions: undecided"
        )
    substitution, which, value = found
    index = open_entries[which]
    entry = f" (entry {index})" if len(residuals) > 1 else ""
    return REFUTED, (
        f"{identity.what}{entry}: {_described(left[index], right[index], residuals[index])}; "
        f"{_at(substitution, residuals[index], value)}"
    )


# --- running proofs under a budget ----------------------------------------------------------


def _child(statement: SymbolicStatement, sender: Any) -> None:
    from theorems.calling import first_line

    start = time.perf_counter()
    try:
        status, reason = establish(statement)
    except Exception as error:  # SymPy may fail in any way on a statement: report it, never crash the command
        status, reason = NOT_ATTEMPTED, f"the proof raised {first_line(error)}"
    sender.send((status, reason, time.perf_counter() - start))
    sender.close()


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _preload(statements: Iterable[SymbolicStatement]) -> None:
    """Import SymPy and every module a statement names here, once, so that forked proofs inherit them."""
    import sympy  # noqa: F401  (imported for the forked children)

    for statement in statements:
        resolve(statement.target)
        for case in statement.cases:
            for value in case.values():
                if isinstance(value, Ref):
                    resolve(value.target)


def run_with_budget(statement: SymbolicStatement, budget: float | None = None, *, kind: str = "theorem") -> Proof:
    """Establish ``statement`` in a child process, killed after ``budget`` seconds (default: the statement's own)."""
    seconds_allowed = statement.budget if budget is None else budget
    _preload([statement])
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(statement, sender), name=f"theorems prove {statement.id}", daemon=True)
    process.start()
    sender.close()
    try:
        if receiver.poll(seconds_allowed):
            status, reason, seconds = receiver.recv()
        else:
            status, seconds = NOT_ATTEMPTED, seconds_allowed
            reason = f"ran past its budget of {seconds_allowed:g} s (stopped; not a pass)"
    except EOFError:
        status, seconds = NOT_ATTEMPTED, 0.0
        reason = "the proof's process ended without a result"
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    return Proof(
        id=statement.id, status=status, sizes=statement.sizes, seconds=seconds, reason=reason,
        expected=statement.expected, kind=kind, theorem_id=statement.theorem_id or statement.id,
    )


def _chosen(ids: Sequence[str] | None) -> tuple[str, ...]:
    if ids is None:
        return tuple(theorem.id for theorem in all_theorems())
    return tuple(dict.fromkeys(get_theorem(theorem_id).id for theorem_id in ids))


def prove(
    ids: Sequence[str] | None = None,
    *,
    budget: float | None = None,
    progress: Callable[[Proof], None] | None = None,
) -> list[Proof]:
    """A :class:`Proof` for each theorem (all, or those of ``ids``), then for each of their transcribed claims.

    A theorem with a symbolic statement must come out proved, a claim refuted; a theorem
    without one is "not attempted" with the reason (and passes). ``budget`` replaces
    every proof's own budget (seconds). ``progress`` is called with each proof as it
    ends. Raises InvalidInput for an unknown theorem id.
    """
    chosen = _chosen(ids)
    statements = {statement.id: statement for statement in symbolic_statements()}
    claims = {statement.id: statement for statement in symbolic_claims()}
    reasons = not_an_identity()
    wanted_claims = [claim for claim in all_claims() if claim.theorem_id in chosen]
    _preload([statements[t] for t in chosen if t in statements] + [claims[c.id] for c in wanted_claims if c.id in claims])
    proofs: list[Proof] = []

    def record(proof: Proof) -> None:
        proofs.append(proof)
        if progress is not None:
            progress(proof)

    for theorem_id in chosen:
        if theorem_id in statements:
            record(run_with_budget(statements[theorem_id], budget))
        else:
            reason = reasons.get(theorem_id, "no symbolic statement is registered for this theorem")
            record(Proof(id=theorem_id, status=NOT_ATTEMPTED, sizes=None, seconds=0.0, reason=reason, theorem_id=theorem_id))
    for claim in wanted_claims:
        if claim.id in claims:
            record(run_with_budget(claims[claim.id], budget, kind="claim"))
        else:
            record(Proof(
                id=claim.id, status=NOT_ATTEMPTED, sizes=None, seconds=0.0, reason="no symbolic statement of this claim is registered",
                expected=REFUTED, kind="claim", theorem_id=claim.theorem_id,
            ))
    return proofs


def refute_wrong_statements(
    ids: Sequence[str] | None = None, *, budget: float | None = None, progress: Callable[[Proof], None] | None = None
) -> list[Proof]:
    """A :class:`Proof` for each wrong symbolic statement (:func:`wrong_symbolic_statements`) of the theorems ``ids``; each must be refuted."""
    chosen = set(_chosen(ids))
    wanted = [statement for statement in wrong_symbolic_statements() if statement.theorem_id in chosen]
    _preload(wanted)
    proofs = []
    for statement in wanted:
        proof = run_with_budget(statement, budget, kind="wrong statement")
        proofs.append(proof)
        if progress is not None:
            progress(proof)
    return proofs


def proofs_json(proofs: Sequence[Proof], wrong_statements: Sequence[Proof] | None = None) -> dict[str, Any]:
    """``{"proofs": [{"id", "status", "sizes", "seconds", "reason"}]}``, and ``"wrong_statements"`` (with ``"theorem"``) when given."""

    def entry(proof: Proof) -> dict[str, Any]:
        return {"id": proof.id, "status": proof.status, "sizes": proof.sizes, "seconds": round(proof.seconds, 3), "reason": proof.reason}

    found: dict[str, Any] = {"proofs": [entry(proof) for proof in proofs]}
    if wrong_statements is not None:
        found["wrong_statements"] = [{**entry(proof), "theorem": proof.theorem_id} for proof in wrong_statements]
    return found


