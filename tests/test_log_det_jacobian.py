"""Beyond the notes: every bijective transform's log-determinant against autograd (``log-det-jacobian``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import distributions as D
from torch.distributions import transforms as T

from theorems.catalogue.transforms import WRONG_IMPLEMENTATIONS
from theorems.engine import check_wrong_implementation, run_check
from theorems.findings import TRANSFORM_FINDINGS, recorded_finding
from theorems.log_det_jacobian import (
    NOT_BIJECTIVE,
    TransformCase,
    check_log_det_jacobian,
    torch_log_abs_det_jacobian,
    transform_classes,
)
from theorems.quadrature import QUADRATURE_SAFETY, integral_by_quad
from theorems.registry import get_theorem
from theorems.statements.distributions import TRANSFORMS
from theorems.strategies.transforms import transform_cases
from theorems.theorem import InvalidInput
from theorems.tolerance import U64, gamma

LOG_DET_JACOBIAN = get_theorem("log-det-jacobian")


def assert_holds(evidence) -> None:
    assert evidence.holds, evidence.explain()


# --- every transform of the installed torch --------------------------------------------------


def test_every_transform_torch_exports_is_checked_or_is_not_a_bijection() -> None:
    """Fails when torch adds a transform: give it a strategy in properties/transforms.py (or, if it
    is not a bijection, say why in NOT_BIJECTIVE)."""
    checked = {f"{kind}Transform" for kind in TRANSFORMS if kind != "Identity"}
    assert set(transform_classes()) == checked | set(NOT_BIJECTIVE)
    for name in NOT_BIJECTIVE:
        assert getattr(T, name).bijective is False, f"{name} is a bijection now: check it"


def test_every_ci_run_draws_every_transform_class_once() -> None:
    run = run_check(LOG_DET_JACOBIAN, torch_log_abs_det_jacobian, profile="ci", max_examples=len(TRANSFORMS) + 2)
    drawn = run.classes["transform"]
    assert sorted(kind for kind, count in drawn.items() if count) == sorted(TRANSFORMS)


# --- the reference: torch, outside its recorded findings ---------------------------------------


@given(transform_cases())
def test_torch_log_determinants_match_autograd_outside_the_recorded_findings(case: TransformCase) -> None:
    assume(recorded_finding("log-det-jacobian", case) is None)
    assert_holds(check_log_det_jacobian(torch_log_abs_det_jacobian, case))


@pytest.mark.parametrize("finding", TRANSFORM_FINDINGS, ids=lambda finding: finding.id)
def test_recorded_transform_finding_still_reproduces_on_its_example(finding) -> None:
    """If torch fixes the defect, this fails: update theorems/findings.py (the record must stay true)."""
    assert finding.applies(finding.example)
    evidence = check_log_det_jacobian(torch_log_abs_det_jacobian, finding.example)
    assert not evidence.holds, f"finding {finding.id} no longer reproduces: {evidence.explain()}"


def test_the_softplus_finding_is_the_dropped_log1p_term() -> None:
    x = torch.tensor([-27.877], dtype=torch.float64)
    exact = -27.877 - 2 * math.log1p(math.exp(-27.877))  # log σ(x)(1 − σ(x)) = x − 2 log(1 + eˣ) for x < 0
    torch_value = float(T.SigmoidTransform().log_abs_det_jacobian(x, torch.sigmoid(x)))
    assert torch_value != pytest.approx(exact, abs=1e-13)
    assert torch_value == pytest.approx(exact + math.log1p(math.exp(-27.877)), abs=1e-14)


# --- Problem 4 in general: TransformedDistribution's density -----------------------------------

ONE_DIMENSIONAL = ("Exp", "Sigmoid", "Tanh", "Softplus", "Affine", "Power", "CumulativeDistribution")


@given(transform_cases(transform=ONE_DIMENSIONAL).filter(lambda case: case.x.ndim == 1))
def test_a_transformed_density_is_the_base_density_less_the_log_determinant(case: TransformCase) -> None:
    transform = case.build()
    base = D.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    if isinstance(transform, T.PowerTransform):  # Power needs a positive variable
        base = D.LogNormal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    law = D.TransformedDistribution(base, [transform])
    x = case.input()
    y = transform(x)
    expected = base.log_prob(transform.inv(y)) - transform.log_abs_det_jacobian(transform.inv(y), y)
    terms = base.log_prob(x).abs() + transform.log_abs_det_jacobian(x, y).abs() + x.abs()
    assert torch.all((law.log_prob(y) - expected).abs() <= gamma(32, U64) * (1 + terms))


# One transform of each one-dimensional kind, its base law and where the image's density lives.
IMAGES = {
    "Exp": (TransformCase("Exp", np.array([0.5])), "normal", [0.0, 1.0, math.inf]),
    "Sigmoid": (TransformCase("Sigmoid", np.array([0.5])), "normal", [0.0, 0.5, 1.0]),
    "Tanh": (TransformCase("Tanh", np.array([0.5])), "normal", [-1.0, 0.0, 1.0]),
    "Softplus": (TransformCase("Softplus", np.array([0.5])), "normal", [0.0, 1.0, math.inf]),
    "Affine": (TransformCase("Affine", np.array([0.5]), (("loc", np.array(0.3)), ("scale", np.array(-1.5)), ("event_dim", 0))), "normal", [-math.inf, 0.3, math.inf]),
    "Power": (TransformCase("Power", np.array([0.5]), (("exponent", np.array(2.5)),)), "lognormal", [0.0, 1.0, math.inf]),
    "CumulativeDistribution": (TransformCase("CumulativeDistribution", np.array([0.5]), (("loc", np.array(0.5)), ("scale", np.array(1.5)))), "normal", [0.0, 0.5, 1.0]),
}


@pytest.mark.parametrize("kind", sorted(IMAGES))
def test_a_transformed_density_integrates_to_one(kind: str) -> None:
    case, base_name, ends = IMAGES[kind]
    zero, one = torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)
    base = D.LogNormal(zero, one) if base_name == "lognormal" else D.Normal(zero, one)
    law = D.TransformedDistribution(base, [case.build()])

    def density(value: float) -> float:
        return math.exp(float(law.log_prob(torch.tensor(value, dtype=torch.float64))))

    total = integral_by_quad(density, ends)
    # The quadrature's own estimate (with the project's safety factor) and the rounding of a sum of densities.
    assert abs(total.value - 1.0) <= QUADRATURE_SAFETY * total.error + gamma(64, U64), (total.value, total.error)


# --- the check can fail --------------------------------------------------------------------------


@pytest.mark.parametrize("wrong", WRONG_IMPLEMENTATIONS, ids=lambda wrong: wrong.implementation.__name__)
def test_each_wrong_log_determinant_is_caught_within_the_ci_budget(wrong) -> None:
    run = check_wrong_implementation(wrong, profile="ci").run
    assert run.verdict == "falsified", run.error


def test_an_input_outside_the_domain_is_refused_in_one_line() -> None:
    case = TransformCase("Power", np.array([-1.0, 2.0]), (("exponent", np.array(2.5)),))
    with pytest.raises(InvalidInput) as error:
        LOG_DET_JACOBIAN.check_reference(case)
    assert "\n" not in str(error.value) and "domain" in str(error.value)


@given(st.sampled_from(TRANSFORMS))
def test_a_wrong_shape_is_a_failure_not_a_crash(kind: str) -> None:
    case = TransformCase(kind, np.array([0.3, 0.7])) if kind in ("Exp", "Sigmoid", "Tanh", "Softplus", "Identity") else None
    assume(case is not None)
    evidence = check_log_det_jacobian(lambda transform, x: torch.zeros(5, dtype=torch.float64), case)
    assert evidence.failure and "shape" in evidence.failure
