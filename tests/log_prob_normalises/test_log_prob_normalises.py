"""Beyond the notes: every univariate law's log_prob integrates to one (``log-prob-normalises``)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from torch import distributions as D
from torch.distributions import constraints

from theorems._engine.registry import get_theorem
from theorems.log_prob_normalises.case import KINDS, ParameterDraw
from theorems.log_prob_normalises.findings import CLAMPED_LOGIT, FINDINGS
from theorems.log_prob_normalises.check import check_log_prob_normalises, torch_family
from theorems.profiles import scaled
from theorems.strategies.log_prob_normalises import constraint_values, parameter_draws
from theorems.theorem import InvalidInput

LOG_PROB_NORMALISES = get_theorem("log-prob-normalises")


def typical(family: str = "Normal", batch: int = 2) -> ParameterDraw:
    """A bank of moderate values of every kind."""
    values = {
        "real": (np.linspace(0.3, 0.7, batch), np.linspace(-1.0, 2.0, batch)),
        "positive": tuple(np.linspace(1.5, 1.9, batch) for _ in range(3)),
        "nonnegative": (np.linspace(2.5, 3.0, batch),),
        "unit_interval": (np.linspace(0.3, 0.45, batch),),
        "half_open_unit_interval": (np.linspace(0.4, 0.6, batch),),
        "nonnegative_integer": (np.arange(4.0, 4.0 + batch),),
        "simplex": (np.full((batch, 3), 1 / 3),),
    }
    return ParameterDraw(family, batch, tuple((kind, values[kind]) for kind in KINDS), (np.linspace(0.3, 0.7, batch), np.linspace(1.5, 1.9, batch)))


# --- every class of the installed torch ---------------------------------------------------------


def test_the_general_pareto_still_refuses_float64_parameters() -> None:
    """If torch fixes GeneralizedPareto's log_prob in float64, this fails: move it to FAMILIES."""
    law = D.GeneralizedPareto(*(torch.tensor([value], dtype=torch.float64) for value in (0.3, 1.5, 0.3)))
    with pytest.raises(RuntimeError, match="Double did not match Float"):
        law.log_prob(torch.tensor([1.0], dtype=torch.float64))


# --- the check can fail --------------------------------------------------------------------------


class LawWithAnUnknownConstraint(D.Normal):
    arg_constraints = {"loc": constraints.real, "scale": constraints.greater_than(2.0)}


def test_a_constraint_the_strategies_do_not_know_is_a_usage_error_naming_it() -> None:
    with pytest.raises(InvalidInput, match=r"arg_constraints\['scale'\] is GreaterThan\(lower_bound=2.0\)"):
        check_log_prob_normalises(LawWithAnUnknownConstraint, typical())
    with pytest.raises(InvalidArgument, match="GreaterThan"):
        constraint_values(constraints.greater_than(2.0))


def test_a_class_that_is_not_a_distribution_is_refused_in_one_line() -> None:
    with pytest.raises(InvalidInput, match="Distribution subclass") as error:
        check_log_prob_normalises(dict, typical())
    assert "\n" not in str(error.value)


@given(constraint_values(constraints.unit_interval, batch=3))
@scaled(0.2)
def test_probabilities_are_in_the_closed_unit_interval(values: np.ndarray) -> None:
    assert values.shape == (3,) and np.all((values >= 0) & (values <= 1))


def test_where_the_mass_lies_beyond_float64_the_oracle_accuses_no_one() -> None:
    """A Pareto with α = 1e-8 keeps almost all its mass beyond 1e100: undecidable, never a verdict."""
    values = dict(typical(batch=1).values)
    values["positive"] = (np.array([1e-8]), np.array([1.0]), np.array([1.0]))
    draw = ParameterDraw("Pareto", 1, tuple(values.items()), typical(batch=1).interval)
    with pytest.raises(InvalidInput, match="cannot decide"):
        check_log_prob_normalises(torch_family, draw)


def test_where_the_mass_lies_below_float64s_smallest_number_the_oracle_accuses_no_one() -> None:
    """Thorough, seed 2: LogNormal(loc −1000, scale 1.5) has its mass near e^{−1000}, below the smallest double, where
    every node's density underflows; the oracle found a mass of 0 and falsified torch. Undecidable, never a verdict."""
    values = dict(typical(batch=1).values)
    values["real"] = (np.array([-1000.0]), np.array([0.3]))
    values["positive"] = (np.array([1.5]), np.array([1.5]), np.array([1.5]))
    draw = ParameterDraw("LogNormal", 1, tuple(values.items()), typical(batch=1).interval)
    with pytest.raises(InvalidInput, match="cannot decide"):
        check_log_prob_normalises(torch_family, draw)


@given(parameter_draws(family="Categorical"))
def test_a_categorical_law_given_by_its_logits_sums_to_one(draw: ParameterDraw) -> None:
    # thorough, seed 1: the draw gave Categorical its logits, whose constraint (independent(real, 1)) had
    # no strategy, and the reference run ended in an error. The logits are the log of the draw's simplex.
    evidence = check_log_prob_normalises(torch_family, dataclasses.replace(draw, logits=True))
    assert evidence.holds, evidence.explain()


@given(constraint_values(constraints.independent(constraints.real, 1), batch=2))
def test_logits_are_a_strategy_of_their_own_constraint(logits: np.ndarray) -> None:
    assert logits.shape[0] == 2 and np.all(np.isfinite(logits))


# --- torch's continuous Bernoulli given logits past ±36.04 (theorems/log_prob_normalises/findings.py) ---

CONTINUOUS_BERNOULLI = next(finding for finding in FINDINGS if finding.id == "torch-continuous-bernoulli-clamped-normaliser")


def test_the_recorded_continuous_bernoulli_finding_still_reproduces_on_its_example() -> None:
    """If torch fixes the defect, this fails: update theorems/log_prob_normalises/findings.py."""
    finding = CONTINUOUS_BERNOULLI
    assert finding.applies(finding.example)
    evidence = check_log_prob_normalises(D.ContinuousBernoulli, finding.example)
    assert not evidence.holds and "0.36043653" in evidence.actual, evidence.explain()


# One quadrature per check, two checks an example: a fifth of the profile (20 in ci) spans the logits from the
# threshold to 700 on both sides; the defect is exact (a constant factor), so each example decides it alone.
@scaled(0.2)
@given(parameter_draws(family="ContinuousBernoulli"), st.floats(CLAMPED_LOGIT * 1.001, 700.0), st.sampled_from((-1.0, 1.0)))
def test_inside_the_finding_torch_holds_to_its_error_model_and_misses_the_normal_tolerance(draw: ParameterDraw, size: float, sign: float) -> None:
    draw = dataclasses.replace(draw, logits=True, values=tuple((kind, (np.full(draw.batch, sign * size), *values[1:]) if kind == "real" else values) for kind, values in draw.values))
    finding = CONTINUOUS_BERNOULLI
    assert finding.applies(draw)
    assert check_log_prob_normalises(torch_family, draw).holds  # the reference, held to the error model
    assert not check_log_prob_normalises(D.ContinuousBernoulli, draw).holds  # torch as any implementation: the defect strikes


def test_a_ten_percent_error_inside_the_finding_falsifies_the_reference_run(monkeypatch: pytest.MonkeyPatch) -> None:
    finding = CONTINUOUS_BERNOULLI
    original = D.ContinuousBernoulli.log_prob
    monkeypatch.setattr(D.ContinuousBernoulli, "log_prob", lambda self, value: original(self, value) + math.log(1.1))
    assert not check_log_prob_normalises(torch_family, finding.example).holds


# --- torch's Weibull: NaN where its power overflows (theorems/log_prob_normalises/findings.py) ---

WEIBULL = next(finding for finding in FINDINGS if finding.id == "torch-weibull-nan-where-the-power-overflows")


def test_the_recorded_weibull_finding_still_reproduces_on_its_example() -> None:
    """If torch fixes the defect, this fails: update theorems/log_prob_normalises/findings.py."""
    assert WEIBULL.applies(WEIBULL.example)
    evidence = check_log_prob_normalises(D.Weibull, WEIBULL.example)
    assert not evidence.holds and "returned nan" in (evidence.failure or ""), evidence.explain()


def test_torch_weibull_is_nan_exactly_past_the_overflow_and_right_before_it() -> None:
    law = D.Weibull(torch.tensor([1.0], dtype=torch.float64), torch.tensor([4.0], dtype=torch.float64))
    threshold = float(np.finfo(np.float64).max) ** 0.25  # (x/1)^4 overflows past here
    below, above = torch.tensor([threshold * 0.99], dtype=torch.float64), torch.tensor([threshold * 1.01], dtype=torch.float64)
    assert math.isfinite(law.log_prob(below).item()) and math.isnan(law.log_prob(above).item())
    assert not WEIBULL.error_model.nan_where(WEIBULL.example, np.array([0.99 * threshold * 1.5]))[0]


@scaled(0.2)
@given(parameter_draws(family="Weibull"))
def test_inside_the_weibull_finding_the_reference_holds_to_its_error_model(draw: ParameterDraw) -> None:
    assume(WEIBULL.applies(draw))  # a Weibull whose power never overflows is the reference's own test's
    assert check_log_prob_normalises(torch_family, draw).holds


def test_a_nan_the_weibull_finding_does_not_predict_falsifies_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    original = D.Weibull.log_prob
    monkeypatch.setattr(D.Weibull, "log_prob", lambda self, value: torch.where(value > 10.0, torch.nan, original(self, value)))
    assert not check_log_prob_normalises(torch_family, WEIBULL.example).holds


def test_a_long_sum_is_correctly_rounded_not_a_running_sum() -> None:
    # thorough, seed 1: numpy's running sum down the terms of Geometric(logits −9), 524,288 of them, came out
    # 3.2e-13 short of 1, past the oracle's bar; the same float terms sum to 1 within 2u (math.fsum), so the
    # oracle, not torch, was wrong. The sum is now correctly rounded, and well inside its bar.
    from theorems.log_prob_normalises.oracle import mass_by_sum

    law = D.Geometric(logits=torch.tensor([0.0, -9.0], dtype=torch.float64), validate_args=True)
    mass = mass_by_sum(law, 2, np.zeros(2))
    assert np.all(np.abs(mass.value - 1.0) <= 4 * 2.0**-53), mass.value - 1.0
    assert np.all(np.abs(mass.value - 1.0) <= mass.rounding)


# --- torch's Geometric: arg_constraints admit probs = 0, the constructor refuses it --------------

GEOMETRIC = next(finding for finding in FINDINGS if finding.id == "torch-geometric-declares-probs-zero")


def test_the_recorded_geometric_finding_still_reproduces_on_its_example() -> None:
    """If torch narrows the constraint or accepts 0, this fails: update theorems/log_prob_normalises/findings.py."""
    assert GEOMETRIC.applies(GEOMETRIC.example)
    assert D.Geometric.arg_constraints["probs"].check(torch.tensor(0.0))  # declared admissible
    evidence = check_log_prob_normalises(D.Geometric, GEOMETRIC.example)
    assert not evidence.holds and "to be positive" in (evidence.failure or ""), evidence.explain()


def test_inside_the_geometric_finding_the_reference_holds_to_the_refusal() -> None:
    evidence = check_log_prob_normalises(torch_family, GEOMETRIC.example)
    assert evidence.holds and GEOMETRIC.id in evidence.tolerance_reason, evidence.explain()


def test_a_refusal_no_finding_records_falsifies_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    original = D.Geometric.__init__

    def refusing(self, probs=None, logits=None, validate_args=None):  # noqa: ANN001, ANN202
        if probs is not None and bool(torch.any(probs < 0.5)):
            raise ValueError("Expected parameter probs to be positive")  # the finding's words, outside its domain
        original(self, probs=probs, logits=logits, validate_args=validate_args)

    monkeypatch.setattr(D.Geometric, "__init__", refusing)
    draw = dataclasses.replace(typical("Geometric", 1))
    assert not GEOMETRIC.applies(draw)
    assert not check_log_prob_normalises(torch_family, draw).holds


# --- torch's Kumaraswamy: NaN where x^a rounds to 1 (theorems/log_prob_normalises/findings.py) ---

KUMARASWAMY = next(finding for finding in FINDINGS if finding.id == "torch-kumaraswamy-nan-where-the-power-rounds-to-one")


def test_the_recorded_kumaraswamy_finding_still_reproduces_on_its_example() -> None:
    """If torch fixes the defect, this fails: update theorems/log_prob_normalises/findings.py."""
    assert KUMARASWAMY.applies(KUMARASWAMY.example)
    evidence = check_log_prob_normalises(D.Kumaraswamy, KUMARASWAMY.example)
    assert not evidence.holds and "returned nan" in (evidence.failure or ""), evidence.explain()
    assert check_log_prob_normalises(torch_family, KUMARASWAMY.example).holds


def test_torch_kumaraswamy_is_nan_below_one_where_mpmath_finds_a_finite_density() -> None:
    import mpmath

    a, b, x = 0.3, 1.5, 1 - 2.0**-53
    law = D.Kumaraswamy(torch.tensor([a], dtype=torch.float64), torch.tensor([b], dtype=torch.float64))
    assert math.isnan(law.log_prob(torch.tensor([x], dtype=torch.float64)).item())
    with mpmath.workdps(50):
        exact = mpmath.log(a * b) + (a - 1) * mpmath.log(mpmath.mpf(x)) + (b - 1) * mpmath.log(1 - mpmath.mpf(x) ** a)
    assert abs(float(exact) + 19.77) < 0.01


def test_a_ten_percent_error_inside_the_kumaraswamy_finding_falsifies_the_reference_run(monkeypatch: pytest.MonkeyPatch) -> None:
    original = D.Kumaraswamy.log_prob
    monkeypatch.setattr(D.Kumaraswamy, "log_prob", lambda self, value: original(self, value) + math.log(1.1))
    assert not check_log_prob_normalises(torch_family, KUMARASWAMY.example).holds
