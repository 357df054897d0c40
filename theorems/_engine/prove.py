r"""Symbolic proofs with SymPy: the theorems that are algebraic identities at fixed sizes, established exactly.

Each theorem's module states its result symbolically beside its numeric check, as a
function ``symbolic_<theorem>(…)`` that yields :class:`Identity` objects: ``left =
right`` for every value of the free symbols that the hypotheses allow (weights, inputs,
γ, β, μ, σ², ε of a fold; the entries of a filter and of ``∂ℓ/∂A``; a symbolic matrix
``A``; pmfs of symbolic entries). This module holds the registry (which statement
proves which theorem, at which sizes, within which time budget), runs each proof and
reports it as a :class:`Proof`:

- **proved** — every case of the statement yields at least one identity, and for every
  identity ``left − right`` reduces to 0 in SymPy (exponents cancelled to one fraction and
  radicands factored, then ``expand``; ``simplify`` as a last resort): an exact proof at
  the stated sizes, for all values of the symbols;
- **refuted** — some ``left − right`` does not reduce to 0 *and* a concrete substitution
  (rational values that satisfy the hypotheses: positive where the symbol is declared
  positive, and every expression of :attr:`Identity.requires` positive) makes it nonzero,
  evaluated to 30 significant digits. A transcribed claim of the notes, and every wrong
  statement of :mod:`theorems.catalogue.symbolic`, must come out refuted;
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
:func:`refute_wrong_statements` (the catalogue), :func:`proofs_json` (the JSON shape).
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from theorems.theorem import resolve

__all__ = [
    "NOT_AN_IDENTITY",
    "NOT_ATTEMPTED",
    "PROVED",
    "REFUTED",
    "SYMBOLIC_CLAIMS",
    "SYMBOLIC_STATEMENTS",
    "Identity",
    "Proof",
    "Ref",
    "SymbolicStatement",
    "establish",
    "prove",
    "proofs_json",
    "refute_wrong_statements",
    "run_with_budget",
    "symbol_array",
]

PROVED = "proved"
REFUTED = "refuted"
NOT_ATTEMPTED = "not attempted"

# Substitutions tried before a residual that SymPy did not reduce to zero is called
# undecided; each draws every free symbol afresh (a nonzero rational function vanishes
# on a set of measure zero, so the first draw almost always decides).
WITNESS_TRIES = 40
# Significant digits of the evaluation at a witness; a residual counts as nonzero there
# when its magnitude exceeds 10^-(WITNESS_DIGITS - 10).
WITNESS_DIGITS = 30
# Characters of a residual or a substitution shown in a reason.
SHOWN = 160


# --- the vocabulary of the symbolic statements -----------------------------------------


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


# --- the registry -------------------------------------------------------------------------

_TOEPLITZ_GRID = "n = 1..8, f = 1..min(4, n), stride 1..3, dilation 1..2 (every span that fits)"

SYMBOLIC_STATEMENTS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "fold-linear",
        "Linear 3→2 and 1→1",
        10.0,
        "theorems.fold.check:symbolic_fold_linear",
        ({"in_features": 3, "out_features": 2}, {"in_features": 1, "out_features": 1}),
        how="W, c, x, γ, β, μ, σ² > 0, ε > 0 symbolic (affine=False and bias=False are the cases γ=1, β=0 and c=0)",
    ),
    SymbolicStatement(
        "fold-conv",
        "conv1d 4→2 k3 stride 2 dilation 2 padding 1 groups 2 on 7; conv1d 2→3 k2 padding 1 replicate on 4; "
        "conv2d 2→4 k2×2 stride (2, 1) dilation (1, 2) padding (1, 0) groups 2 reflect on 4×4; "
        "conv3d 2→2 k2×2×2 stride (1, 2, 1) dilation (2, 1, 1) padding 1 groups 2 circular on 3×3×3",
        15.0,
        "theorems.fold.check:symbolic_fold_conv",
        (
            {"dims": 1, "in_channels": 4, "out_channels": 2, "kernel_size": (3,), "input_size": (7,), "stride": (2,), "padding": (1,), "dilation": (2,), "groups": 2},
            {"dims": 1, "in_channels": 2, "out_channels": 3, "kernel_size": (2,), "input_size": (4,), "padding": (1,), "padding_mode": "replicate"},
            {
                "dims": 2, "in_channels": 2, "out_channels": 4, "kernel_size": (2, 2), "input_size": (4, 4), "stride": (2, 1),
                "padding": (1, 0), "dilation": (1, 2), "groups": 2, "padding_mode": "reflect",
            },
            {
                "dims": 3, "in_channels": 2, "out_channels": 2, "kernel_size": (2, 2, 2), "input_size": (3, 3, 3), "stride": (1, 2, 1),
                "padding": (1, 1, 1), "dilation": (2, 1, 1), "groups": 2, "padding_mode": "circular",
            },
        ),
        how="the convolution written out as sums over symbolic entries (PyTorch's definition, not torch), BatchNorm symbolic",
    ),
    SymbolicStatement(
        "fold-conv-transpose",
        "conv_transpose1d 4→4 k3 stride 2 padding 1 output_padding 1 groups 2 on 3; "
        "conv_transpose2d 2→4 k2×2 stride (2, 1) dilation (1, 2) output_padding (1, 0) groups 2 on 2×3; "
        "conv_transpose3d 2→2 k2×2×2 stride 2 on 2×2×2",
        15.0,
        "theorems.fold.check:symbolic_fold_conv_transpose",
        (
            {"dims": 1, "in_channels": 4, "out_channels": 4, "kernel_size": (3,), "input_size": (3,), "stride": (2,), "padding": (1,), "output_padding": (1,), "groups": 2},
            {
                "dims": 2, "in_channels": 2, "out_channels": 4, "kernel_size": (2, 2), "input_size": (2, 3), "stride": (2, 1),
                "dilation": (1, 2), "output_padding": (1, 0), "groups": 2,
            },
            {"dims": 3, "in_channels": 2, "out_channels": 2, "kernel_size": (2, 2, 2), "input_size": (2, 2, 2), "stride": (2, 2, 2)},
        ),
        how="the transposed convolution written out as sums over symbolic entries, weight (C_in, C_out/groups, k…)",
    ),
    SymbolicStatement(
        "toeplitz-gradient",
        f"{_TOEPLITZ_GRID}; layers n/f/stride/dilation 4/2/1/1, 5/3/1/1, 6/2/2/2, 7/3/3/1, 8/3/2/2",
        15.0,
        "theorems.toeplitz.check:symbolic_toeplitz_gradient",
        how="∂ℓ/∂A a matrix of free symbols (any ℓ of A), SymPy differentiating A(w); for the layers ℓ = F(A(w)x + b·1), F undefined",
    ),
    SymbolicStatement(
        "toeplitz-matrix",
        _TOEPLITZ_GRID,
        10.0,
        "theorems.toeplitz.check:symbolic_toeplitz_matrix",
        how="conv1d written as sums over symbolic x and w, against A(w)x with A built by the entry rule",
    ),
    SymbolicStatement(
        "affine-gaussian-density",
        "n = 2 and n = 3",
        45.0,
        "theorems.gaussian_density.check:symbolic_affine_gaussian_density",
        how=(
            "A form = Σ form for symbolic A (n = 2, 3); n = 2: ∫ f = 1, mean b, covariance Σ by SymPy's iterated integration "
            "in x for Σ⁻¹ = LDLᵀ symbolic (every SPD Σ); n = 3: by the substitution x = Az + b (|det A| f(Az + b) = φ(z) "
            "symbolically) and integration in z, integration in x taking minutes"
        ),
    ),
    SymbolicStatement(
        "gaussian-kl",
        "d = 1, diagonal d = 2, dense 2×2",
        20.0,
        "theorems.gaussian_kl.check:symbolic_gaussian_kl",
        how=(
            "∫ f0 log(f0/f1) integrated by SymPy in x (d = 1, diagonal d = 2; μ, σ symbolic); dense 2×2 SPD Σ0 = L0L0ᵀ, "
            "Σ1 = L1L1ᵀ (symbolic Cholesky factors) through x = μ0 + L0 z, against the trace/log-det form"
        ),
    ),
    SymbolicStatement(
        "kl-additivity",
        "supports 2×2, 2×3, 3×3, 4×2 and 2×2×2",
        10.0,
        "theorems.kl.check:symbolic_kl_additivity",
        how="product pmfs of symbolic positive entries, each factor summing to 1",
    ),
    SymbolicStatement(
        "variance-recursion",
        "widths [1, 1], [3, 2], [2, 1, 3], [2, 3, 2], [1, 2, 2, 2], [2, 2, 1, 2], [2, 3, 2, 3] (depth 1 to 3)",
        15.0,
        "theorems.variance.check:symbolic_variance_recursion",
        how="E y_L and E y_L y_Lᵀ exactly: weights and biases U(±1/√fan_in) integrated by SymPy, E x = 0, E xxᵀ = I",
    ),
)

SYMBOLIC_CLAIMS: tuple[SymbolicStatement, ...] = (
    SymbolicStatement(
        "affine-gaussian-density-normaliser",
        "n = 2",
        15.0,
        "theorems.gaussian_density.check:symbolic_affine_gaussian_density",
        ({"dims": (2,), "density": Ref("theorems.gaussian_density.check:symbolic_notes_normaliser_density"), "integrals": False},),
        expected=REFUTED,
        theorem_id="affine-gaussian-density",
        how="the notes' density against the change of variables, symbolic A, b, x",
    ),
    SymbolicStatement(
        "affine-gaussian-density-signed-jacobian",
        "n = 2",
        15.0,
        "theorems.gaussian_density.check:symbolic_affine_gaussian_density",
        ({"dims": (2,), "change_of_variables": Ref("theorems.gaussian_density.check:symbolic_notes_signed_jacobian_density"), "integrals": False},),
        expected=REFUTED,
        theorem_id="affine-gaussian-density",
        how="the notes' Jacobian det(A)⁻¹ against the Σ form, symbolic A, b, x",
    ),
    SymbolicStatement(
        "gaussian-kl-notes-last-line",
        "d = 1",
        15.0,
        "theorems.gaussian_kl.check:symbolic_gaussian_kl",
        ({"closed_form": Ref("theorems.gaussian_kl.check:symbolic_notes_gaussian_kl"), "dense": False},),
        expected=REFUTED,
        theorem_id="gaussian-kl",
        how="∫ f0 log(f0/f1) integrated by SymPy against the notes' last line, μ and σ symbolic",
    ),
)

# Theorems with no symbolic statement, and why.
NOT_AN_IDENTITY: dict[str, str] = {
    "kl-nonnegativity": "an inequality (D ≥ 0, = 0 iff p = q), not an identity at fixed sizes",
    "kl-closed-forms": (
        "one identity per registered pair of the installed torch, through lgamma, digamma and exp of the parameters; "
        "checked against the definition numerically (the Gaussian pair is proved under gaussian-kl)"
    ),
    "log-det-jacobian": "one identity per transform of the installed torch, written in torch's tensor code; checked against autograd's Jacobian numerically",
    "fold-network": (
        "whole networks, not an identity at fixed sizes: nothing about a network is proved symbolically. "
        "What is proved is the fold of a single pair (fold-linear, fold-conv, fold-conv-transpose), each only at the few "
        "sizes it lists; a network's pairs at other sizes, and finding, folding and rewiring them with torch.fx, "
        "are checked numerically only"
    ),
    "variance-recursion-relu": (
        "E relu(z)² = E z²/2 rests on the symmetry of the law of z, which the two moments the statement assumes do not fix; "
        "not a polynomial identity in the weights"
    ),
}


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
    from theorems._engine.registry import all_theorems, get_theorem

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
    from theorems._engine.registry import all_claims

    chosen = _chosen(ids)
    statements = {statement.id: statement for statement in SYMBOLIC_STATEMENTS}
    claims = {statement.id: statement for statement in SYMBOLIC_CLAIMS}
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
            reason = NOT_AN_IDENTITY.get(theorem_id, "no symbolic statement is registered for this theorem")
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
    """A :class:`Proof` for each wrong symbolic statement of :mod:`theorems.catalogue.symbolic` (of the theorems ``ids``); each must be refuted."""
    from theorems.catalogue.symbolic import WRONG_STATEMENTS

    chosen = set(_chosen(ids))
    wanted = [statement for statement in WRONG_STATEMENTS if statement.theorem_id in chosen]
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


