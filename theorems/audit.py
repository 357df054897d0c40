"""Audit a library: every theorem that applies to a class, on every class of a module (:func:`audit`).

    >>> import theorems, pyro.distributions
    >>> result = theorems.audit(pyro.distributions, examples=3)  # doctest: +SKIP
    >>> print(result.table())  # doctest: +SKIP

Each class of the module (its ``__all__``: the ``torch.distributions.Distribution`` and ``Transform``
subclasses) meets each audited theorem (:data:`AUDITED_THEOREMS`) once, as :func:`theorems.check` would
check it, and the audit says, class by class and theorem by theorem, one of:

* ``holds``: every example held (``examples``, the worst error-to-tolerance ratio);
* ``finding``: falsified, on a counterexample inside a recorded finding of that class (``findings``:
  :class:`~theorems.finding.Finding` with ``implementation`` naming it) — shown, never silenced;
* ``oracle limit``: falsified, on a counterexample inside a recorded limit of the theorem's oracle for that class
  (``oracle_limits``: the same records, about the oracle: where the class breaks a hypothesis the oracle relies
  on, and mpmath says the class is right) — no accusation, and shown;
* ``falsified``: falsified outside every recorded finding (a defect not yet recorded, or a wrong class);
* ``error``: the check itself could not run (a recorded example of the theorem's findings that the oracle cannot
  decide for this class is not one: the engine, which replays them after the generated examples, reports that as
  an error; the audit reports the generated examples' verdict and says so in ``detail``);
* ``not applicable``: the class lies outside the theorem's contract, in the check's own words on the
  theorem's simplest example (multivariate, a constructor argument no ``arg_constraints`` constrains,
  a discrete law for a cdf theorem, no cdf or icdf, not a bijection, …);
* ``listed``: not checked, for the reason the caller gives (``listed``), or because the class computes
  with torch's own methods unchanged (:func:`torch_computed`: audited with torch's class, by the theorems'
  reference runs or listed there with torch's reason), or declares no ``log_prob`` of its own (an abstract base).

``examples`` (default: the profile's share, as ``theorems check``) asks for that many generated examples;
then the covered assumptions (the torch class a reference example is labelled with) are fixed to their
first value: a class under test builds its own law from the example's bank whatever its label, so the
covered rows would repeat one typical example once per label, and the recorded counterexamples of the
theorems' findings are not replayed (they are, without ``examples``).
"""

from __future__ import annotations

import functools
import time
import types
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from theorems.api import Verdict, check
from theorems.finding import Finding
from theorems.theorem import InvalidInput

__all__ = ["AUDITED_THEOREMS", "Audit", "AuditRow", "audit", "classes_of", "records_for", "torch_computed"]

# The theorems whose implementations are classes, audited in this order, each on the classes of the kind it
# checks (torch.distributions' Distribution or Transform). A new theorem of that kind joins the audit by one
# line here.
AUDITED_THEOREMS = {
    "log-prob-normalises": "Distribution",
    "moments-match-log-prob": "Distribution",
    "cdf-matches-log-prob": "Distribution",
    "sampler-matches-log-prob": "Distribution",
    "transform-laws": "Transform",
}

# The attributes a class computes the theorems' quantities with: a class whose every one of them resolves
# to a definition in torch.distributions computes what torch's class computes (the reference runs check it).
COMPUTING = (
    "__init__", "log_prob", "cdf", "icdf", "mean", "variance", "mode", "entropy", "sample", "rsample", "support",
    "arg_constraints", "expand", "_call", "_inverse", "log_abs_det_jacobian", "sign", "domain", "codomain", "bijective",
)
SETTLED = ("holds", "finding", "oracle limit", "not applicable", "listed")
# How the engine words a recorded example that the oracle could not decide (theorems._engine.run, theorems.theorem.undecided).
_RECORDED, _UNDECIDED = "on the recorded example of", "the oracle cannot decide"


@dataclass(frozen=True)
class AuditRow:
    """One class against one theorem: the verdict (module docstring), the generated examples, the worst
    error-to-tolerance ratio, the finding that holds the counterexample, and ``detail`` in words."""

    implementation: str
    theorem_id: str
    verdict: str
    examples: int = 0
    worst_ratio: float | None = None
    finding: str | None = None
    detail: str = ""
    seconds: float = 0.0

    @property
    def settled(self) -> bool:
        return self.verdict in SETTLED


@dataclass(frozen=True)
class Audit:
    """The rows of an audit, class by class then theorem by theorem, and the profile and time it took."""

    rows: tuple[AuditRow, ...]
    profile: str
    seconds: float

    @property
    def settled(self) -> bool:
        """Every row holds, is a recorded finding, is outside a contract or is listed with a reason."""
        return all(row.settled for row in self.rows)

    def unsettled(self) -> tuple[AuditRow, ...]:
        return tuple(row for row in self.rows if not row.settled)

    def table(self) -> str:
        """The rows as aligned text: class, theorem, verdict, examples, worst ratio, finding or reason."""
        head = ("class", "theorem", "verdict", "examples", "worst ratio", "finding / reason")
        body = [
            (row.implementation.rpartition(":")[2], row.theorem_id, row.verdict, str(row.examples) if row.examples else "",
             f"{row.worst_ratio:.3g}" if row.worst_ratio is not None else "", row.finding or row.detail)
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [head, *body]) for i in range(5)]
        return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line[:5], widths)) + "  " + line[5] for line in [head, *body])

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "seconds": self.seconds, "rows": [asdict(row) for row in self.rows]}


def classes_of(subject: types.ModuleType | Iterable[type]) -> tuple[type, ...]:
    """The Distribution and Transform subclasses a module exports (its ``__all__``, else its public names), by
    name; or the classes given. Raises InvalidInput for anything else."""
    from torch.distributions import Distribution
    from torch.distributions.transforms import Transform

    if isinstance(subject, types.ModuleType):
        names = getattr(subject, "__all__", None) or [name for name in dir(subject) if not name.startswith("_")]
        found = [getattr(subject, name, None) for name in sorted(set(names))]
        return tuple(cls for cls in found if isinstance(cls, type) and issubclass(cls, (Distribution, Transform)))
    classes = tuple(subject)
    wrong = [repr(cls) for cls in classes if not (isinstance(cls, type) and issubclass(cls, (Distribution, Transform)))]
    if wrong:
        raise InvalidInput(f"an audit checks Distribution and Transform subclasses; got {', '.join(wrong)}")
    return classes


def _owner(cls: type, name: str) -> type | None:
    return next((klass for klass in cls.__mro__ if name in vars(klass)), None)


def torch_computed(cls: type) -> type | None:
    """The torch class whose computation ``cls`` runs unchanged, else None: every attribute of :data:`COMPUTING`
    that ``cls`` has resolves (by its method resolution order) to a definition in ``torch.distributions``,
    and ``cls`` subclasses that torch class (a wrapper adding only other methods, as Pyro's mixin does)."""
    torch_bases = [klass for klass in cls.__mro__ if klass.__module__.startswith("torch.distributions")]
    if not torch_bases:
        return None
    for name in COMPUTING:
        owner = _owner(cls, name)
        if owner is not None and not owner.__module__.startswith("torch.distributions") and owner is not object:
            return None
    return torch_bases[0]


def _abstract(cls: type) -> str | None:
    from torch.distributions import Distribution

    if issubclass(cls, Distribution) and _owner(cls, "log_prob") is Distribution:
        return "declares no log_prob of its own (an abstract base, or a law without a density)"
    return None


@functools.cache
def _simplest(theorem_id: str) -> Any:
    """The theorem's simplest example, its covered assumptions at their first values: Hypothesis's first example, which
    is the simplest its strategy draws (every choice at its minimum), without the shrinking ``find`` would spend seconds on."""
    from hypothesis import HealthCheck, Phase, find, settings

    from theorems._engine.registry import get_theorem

    theorem = get_theorem(theorem_id)
    once = settings(database=None, max_examples=1, phases=[Phase.generate], derandomize=True, suppress_health_check=list(HealthCheck))
    return find(theorem.example_strategy(**_first_row(theorem_id)), lambda _: True, settings=once)


def _first_row(theorem_id: str) -> dict[str, Any]:
    from theorems._engine.registry import get_theorem

    theorem = get_theorem(theorem_id)
    return {name: theorem.assumption(name).values[0] for name in theorem.cover}


def applicability(theorem_id: str, cls: type) -> str | None:
    """None where ``cls`` lies inside the theorem's contract, else why not: the check's own refusal
    (InvalidInput) on the theorem's simplest example."""
    from theorems._engine.registry import get_theorem

    try:
        get_theorem(theorem_id).check(cls, _simplest(theorem_id))
    except InvalidInput as refusal:
        return str(refusal).splitlines()[0]
    except Exception:  # the class failed in a way the check reports as its failure: inside the contract
        return None
    return None


def _recorded(records: Iterable[Finding], target: str, theorem_id: str, example: Any) -> Finding | None:
    return next((f for f in records if f.implementation == target and f.theorem_id == theorem_id and f.applies(example)), None)


def _row(target: str, theorem_id: str, verdict: Verdict, records: tuple[tuple[Finding, ...], tuple[Finding, ...]], seconds: float) -> AuditRow:
    run = verdict.result.run
    common = {"implementation": target, "theorem_id": theorem_id, "examples": run.examples, "worst_ratio": run.worst_ratio, "seconds": seconds}
    if verdict.holds:
        return AuditRow(verdict="holds", **common)
    if verdict.error is not None:
        first = verdict.error.splitlines()[0]
        if _RECORDED in first and _UNDECIDED in first and run.counterexample is None and run.examples > 0:
            return AuditRow(verdict="holds", detail=f"every generated example held; a recorded example is undecidable for this class: {first}", **common)
        return AuditRow(verdict="error", detail=first, **common)
    findings, limits = records
    evidence = verdict.evidence
    shown = f"{evidence.example}: {evidence.actual} vs {evidence.expected}" if evidence is not None else "falsified"
    found = _recorded(findings, target, theorem_id, verdict.counterexample)
    if found is not None:
        return AuditRow(verdict="finding", finding=found.id, detail=shown, **common)
    limit = _recorded(limits, target, theorem_id, verdict.counterexample)
    if limit is not None:
        return AuditRow(verdict="oracle limit", finding=limit.id, detail=shown, **common)
    return AuditRow(verdict="falsified", detail=shown, **common)


def _target(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _audit_one(cls: type, theorem_id: str, *, profile: str, examples: int | None, records: tuple[tuple[Finding, ...], tuple[Finding, ...]]) -> AuditRow:
    target = _target(cls)
    reason = applicability(theorem_id, cls)
    if reason is not None:
        return AuditRow(target, theorem_id, "not applicable", detail=reason)
    start = time.perf_counter()
    assume = _first_row(theorem_id) if examples is not None else None
    verdict = check(theorem_id, cls, profile=profile, examples=examples, assume=assume)
    return _row(target, theorem_id, verdict, records, time.perf_counter() - start)


def audit(
    subject: types.ModuleType | Iterable[type],
    *,
    theorems: Iterable[str] | None = None,
    profile: str = "ci",
    examples: int | None = None,
    listed: Mapping[str | tuple[str, str], str] | None = None,
    findings: Iterable[Finding] = (),
    oracle_limits: Iterable[Finding] = (),
) -> Audit:
    """Check every class of ``subject`` (a module, or classes) against every theorem of ``theorems`` (default
    :data:`AUDITED_THEOREMS`) that applies to it, under ``profile`` at ``examples`` each (module docstring).

    ``listed`` maps a class's name (or ``module:qualname``), or a pair (that name, a theorem id), to why the class
    is not checked (against that theorem); ``findings`` are the
    recorded defects of classes of the library (``Finding.implementation`` names the class), ``oracle_limits`` the
    examples of a class the theorem's oracle is recorded not to decide (the same form, about the oracle). Raises
    InvalidInput for an unknown theorem or profile, or a subject that is neither a module nor classes.
    """
    from theorems._engine.registry import get_theorem
    from theorems.profiles import profile_settings

    chosen = tuple(theorems) if theorems is not None else tuple(AUDITED_THEOREMS)
    for theorem_id in chosen:
        get_theorem(theorem_id)
        if theorem_id not in AUDITED_THEOREMS:
            raise InvalidInput(f"theorem {theorem_id!r} does not check classes; the audited ones are {', '.join(AUDITED_THEOREMS)}")
    profile_settings(profile)
    if examples is not None and (isinstance(examples, bool) or not isinstance(examples, int) or examples < 1):
        raise InvalidInput(f"examples={examples!r} must be a positive integer")
    recorded, given = (tuple(findings), tuple(oracle_limits)), dict(listed or {})
    start, rows = time.perf_counter(), []
    for cls in classes_of(subject):
        mine = [theorem_id for theorem_id in chosen if _kind_of(cls) == AUDITED_THEOREMS[theorem_id]]
        whole = given.get(_target(cls)) or given.get(cls.__name__) or _listed(cls)
        if whole is not None:
            rows.append(AuditRow(_target(cls), "every theorem", "listed", detail=whole))
            continue
        for theorem_id in mine:
            reason = given.get((cls.__name__, theorem_id)) or given.get((_target(cls), theorem_id))
            if reason is not None:
                rows.append(AuditRow(_target(cls), theorem_id, "listed", detail=reason))
            else:
                rows.append(_audit_one(cls, theorem_id, profile=profile, examples=examples, records=recorded))
    return Audit(tuple(rows), profile, time.perf_counter() - start)


def _kind_of(cls: type) -> str:
    from torch.distributions import Distribution

    return "Distribution" if issubclass(cls, Distribution) else "Transform"


def _listed(cls: type) -> str | None:
    torch_class = torch_computed(cls)
    if torch_class is not None:
        return (
            f"computes with torch's {torch_class.__module__}.{torch_class.__name__} unchanged: audited with torch's class "
            "(by the theorems' reference runs, or listed there with torch's reason)"
        )
    return _abstract(cls)


def records_for(module_name: str) -> dict[str, Any]:
    """The listing, findings and oracle limits recorded for the library ``module_name`` belongs to
    (``theorems.audits.<its top-level package>``: ``LISTED``, ``FINDINGS``, ``ORACLE_LIMITS``), as :func:`audit`'s
    keywords; none for a library without a record."""
    import importlib.util

    top = module_name.partition(".")[0]
    name = f"theorems.audits.{top}"
    if not top.isidentifier() or importlib.util.find_spec(name) is None:
        return {}
    import importlib

    records = importlib.import_module(name)
    return {"listed": getattr(records, "LISTED", {}), "findings": getattr(records, "FINDINGS", ()), "oracle_limits": getattr(records, "ORACLE_LIMITS", ())}
