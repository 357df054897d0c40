"""Pyro's distributions and transforms under the audit (theorems.audit, theorems.audits.pyro): every class is
checked or listed with a reason, the checked ones hold or fall inside a recorded finding, and a wrong class
is falsified."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
import torch

import theorems
from theorems.audit import AUDITED_THEOREMS, AuditRow, classes_of, torch_computed
from theorems.audits.pyro import CHECKED, FINDINGS, LISTED, MODULES, ORACLE_LIMITS, OUTSIDE
from theorems.theorem import InvalidInput

# The examples per class and theorem in the gate's audit: enough to run every line of each check on every checked class;
# the search for rare counterexamples is the ci profile's (make audit-pyro, which exits 1 on an unsettled row).
GATE_EXAMPLES = 1


def _modules() -> list[object]:
    """Pyro's audited modules: called inside a test that holds the pyro_distributions fixture (tests/audit/conftest.py)."""
    return [importlib.import_module(name) for name in MODULES]


def _kind(cls: type) -> str:
    return "Distribution" if issubclass(cls, torch.distributions.Distribution) else "Transform"


def test_every_pyro_class_is_checked_or_listed_with_a_reason(pyro_distributions: ModuleType) -> None:
    """A class Pyro adds fails here until it joins CHECKED (the audit runs it), OUTSIDE (every theorem refuses it, in
    words) or LISTED (a reason given); a class that computes with torch's own methods is torch's, audited there."""
    exported = {cls.__name__ for module in _modules() for cls in classes_of(module) if torch_computed(cls) is None}
    named = set(CHECKED) | set(OUTSIDE) | {name for name in LISTED if isinstance(name, str)}
    assert exported <= named, f"new Pyro classes, neither checked nor listed: {sorted(exported - named)}"
    assert named <= exported, f"no longer exported: {sorted(named - exported)}"
    assert not set(CHECKED) & set(OUTSIDE)


def _gate_audit(once_per_run: Callable[[str, Callable[[], Any]], Any]) -> tuple[AuditRow, ...]:
    """Every class of Pyro's audited modules against every theorem of its kind, at the gate's examples: one audit that
    both tests below read, computed by one test process of the run (in a test holding the pyro_distributions fixture).

    One audit, not two: the audit asks each theorem whether it applies to a class (``applicability``, a full check on
    the theorem's simplest example), so a separate pass over ``applicability`` for the refusals repeated that work for
    every checked class (measured: 2.8 s of CPU). A class a theorem refuses is a ``not applicable`` row with the
    refusal in words; one it applies to is checked; one listed, whole or per theorem, is a ``listed`` row.
    """

    def audit() -> list[dict[str, Any]]:
        classes = list(dict.fromkeys(cls for module in _modules() for cls in classes_of(module)))
        result = theorems.audit(classes, examples=GATE_EXAMPLES, listed=LISTED, findings=FINDINGS, oracle_limits=ORACLE_LIMITS)
        return result.to_dict()["rows"]

    return tuple(AuditRow(**row) for row in once_per_run("pyro-gate-audit", audit))


@pytest.mark.slow  # reads the gate audit below (about 5 s of CPU), past the quick tier's 2 s
def test_the_checked_classes_are_those_a_theorem_applies_to_and_the_others_are_refused_in_words(
    pyro_distributions: ModuleType, once_per_run: Callable[[str, Callable[[], Any]], Any]
) -> None:
    rows = _gate_audit(once_per_run)
    for module in _modules():
        for cls in classes_of(module):
            if torch_computed(cls) is not None or cls.__name__ in LISTED:
                continue
            mine = [t for t, kind in AUDITED_THEOREMS.items() if kind == _kind(cls) and (cls.__name__, t) not in LISTED]
            found = [row for row in rows if row.implementation == f"{cls.__module__}:{cls.__qualname__}"]
            # TorchDistribution declares no log_prob: the audit lists it whole, itself, and checks nothing.
            abstract = cls.__name__ in ("TorchDistribution", "TransformModule")  # listed by the audit itself (no log_prob, not bijective)
            if [row.theorem_id for row in found] == ["every theorem"]:
                assert abstract and found[0].verdict == "listed" and found[0].detail, (cls.__name__, found)
                assert cls.__name__ not in CHECKED
                continue
            reasons = {row.theorem_id: row.detail if row.verdict == "not applicable" else None for row in found if row.theorem_id in mine}
            assert sorted(reasons) == sorted(mine), (cls.__name__, found)  # every theorem of its kind not listed for it was asked
            applies = any(reason is None for reason in reasons.values())
            assert applies == (cls.__name__ in CHECKED), (cls.__name__, reasons)
            assert applies or abstract or all(reasons.values()), (cls.__name__, reasons)


def test_pyro_re_exports_of_torch_classes_are_listed_only_where_they_compute_with_torch_s_methods(pyro_distributions: ModuleType, pyro_transforms: ModuleType) -> None:
    # Pyro's Normal adds only its mixin (torch's computation); its Binomial and Geometric have log_probs of their own.
    assert torch_computed(pyro_distributions.Normal) is torch.distributions.Normal
    assert torch_computed(pyro_distributions.Binomial) is None
    assert torch_computed(pyro_distributions.Geometric) is None
    assert torch_computed(pyro_transforms.ExpTransform) is torch.distributions.transforms.ExpTransform


@pytest.mark.slow  # reads the gate audit (about 5 s of CPU), past the quick tier's 2 s
def test_the_audit_of_the_checked_pyro_classes_settles_at_the_gate(
    pyro_distributions: ModuleType, once_per_run: Callable[[str, Callable[[], Any]], Any]
) -> None:
    """Every checked class against every theorem of its kind: holds, inside a recorded finding, or outside the contract."""
    rows = _gate_audit(once_per_run)
    unsettled = [row for row in rows if not row.settled]
    assert not unsettled, "\n".join(f"{row.implementation} × {row.theorem_id}: {row.verdict}: {row.detail}" for row in unsettled)
    checked = [row for row in rows if row.implementation.rpartition(":")[2] in CHECKED]
    assert sum(row.verdict in ("holds", "finding") for row in checked) >= len(CHECKED)
    # Every audited theorem ran on some class (a theorem added to AUDITED_THEOREMS is audited here, not skipped in words).
    ran = {row.theorem_id for row in checked if row.verdict in ("holds", "finding", "oracle limit")}
    assert ran == set(AUDITED_THEOREMS), sorted(set(AUDITED_THEOREMS) - ran)


# The whole audit at the ci profile (every Pyro class × theorem at ci's examples, about four minutes) is
# `make audit-pyro` (tools/audit_pyro.py), which exits 1 on an unsettled row: a record, as `make verify` is, not
# a test of `make test`'s budget. Here: the gate audit above, and each finding on its example (test_pyro_findings.py).


def _wrong_classes(pyro_distributions: ModuleType, pyro_transforms: ModuleType) -> dict[str, type]:
    """Wrong subclasses of Pyro's classes (built once Pyro is imported, inside a test)."""

    class LogisticOffByAPercent(pyro_distributions.Logistic):
        """Pyro's Logistic with its log-density raised by log 1.01 (its mass is 1.01)."""

        def log_prob(self, value: torch.Tensor) -> torch.Tensor:
            return super().log_prob(value) + math.log(1.01)

    class HaarWithALogDeterminantOfOne(pyro_transforms.HaarTransform):
        """Pyro's Haar transform (orthogonal: log|det J| = 0) claiming a log-determinant of 1."""

        def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return super().log_abs_det_jacobian(x, y) + 1.0

    class LogisticDrawnHalfAScaleHigh(pyro_distributions.Logistic):
        """Pyro's Logistic whose draws are loc + scale·(logit(u) + ½): at the median its F is σ(−½) = 0.378, not ½."""

        def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
            return super().rsample(sample_shape) + self.scale / 2

    return {"log-prob-normalises": LogisticOffByAPercent, "transform-laws": HaarWithALogDeterminantOfOne, "sampler-matches-log-prob": LogisticDrawnHalfAScaleHigh}


@pytest.mark.parametrize("theorem_id", ["log-prob-normalises", "transform-laws", "sampler-matches-log-prob"])
def test_a_wrong_subclass_of_a_pyro_class_is_falsified_by_the_audit(theorem_id: str, pyro_distributions: ModuleType, pyro_transforms: ModuleType) -> None:
    cls = _wrong_classes(pyro_distributions, pyro_transforms)[theorem_id]
    result = theorems.audit([cls], theorems=[theorem_id], examples=2, findings=FINDINGS)
    (row,) = result.rows
    assert row.verdict == "falsified", row
    assert not result.settled


def test_a_listed_class_is_not_run_and_says_why(pyro_distributions: ModuleType) -> None:
    (row,) = theorems.audit([pyro_distributions.VonMises3D], listed=LISTED).rows
    assert (row.verdict, row.theorem_id) == ("listed", "every theorem") and "sphere" in row.detail


def test_an_audit_of_anything_but_classes_or_of_a_theorem_of_no_class_is_refused_in_one_line(pyro_distributions: ModuleType) -> None:
    with pytest.raises(InvalidInput, match="Distribution and Transform subclasses"):
        theorems.audit([len])
    with pytest.raises(InvalidInput, match="does not check classes"):
        theorems.audit([pyro_distributions.Logistic], theorems=["fold-conv"])
    with pytest.raises(InvalidInput, match="examples=0"):
        theorems.audit([pyro_distributions.Logistic], examples=0)


def test_the_audit_command_prints_the_table_and_exits_0_when_every_row_is_settled(capsys: pytest.CaptureFixture[str], pyro_distributions: ModuleType) -> None:
    from theorems.cli import main

    assert main(["audit", "pyro.distributions.transforms", "--theorem", "transform-laws", "--examples", "1"]) == 0
    out = capsys.readouterr().out
    assert "SoftplusTransform" in out and " 0 unsettled" in out


def test_the_audit_command_refuses_an_unknown_module_or_theorem_in_one_line_with_status_2(capsys: pytest.CaptureFixture[str], pyro_distributions: ModuleType) -> None:
    from theorems.cli import main

    assert main(["audit", "no_such_module_anywhere"]) == 2
    assert main(["audit", "pyro.distributions", "--theorem", "fold-conv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "cannot import module" in err and "does not check classes" in err


def test_pyro_s_kl_registrations_do_not_outlive_the_audit_s_tests() -> None:
    # Runs without the fixture: whatever ran before in this process, torch's registry is torch's own
    # (Pyro's import adds Delta‖Distribution, Independent‖MultivariateNormal, MaskedDistribution‖MaskedDistribution
    # and replaces Independent‖Independent; tests/audit/conftest.py puts it back).
    from torch.distributions import Independent, kl

    assert all(p.__module__.startswith("torch.") and q.__module__.startswith("torch.") for p, q in kl._KL_REGISTRY)
    assert kl._KL_REGISTRY[(Independent, Independent)].__module__ == "torch.distributions.kl"
