"""QUADRATURE_SAFETY against its record (measurements/quadrature.json), and the record's own rules.

The constant is literal in ``theorems/oracles/quadrature.py`` (nothing is read at import time);
these tests tie it to the committed measurement: the factor the record's numbers give
by :func:`tools.quadrature_record.derived_safety`, under the oracle settings the
record was measured with. The rest pin the rules the record is made by (the classes of
an integral, the factor's rule) and the known values it compares with, on cases whose
answer is known by hand. Cheap: the record is read, never remade.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from theorems.oracles.densities import laplace_density, normal_density, student_t_density, uniform_density
from theorems.oracles.quadrature import QUADRATURE_SAFETY
from tools.quadrature_record import (
    MARGIN,
    Observation,
    current_settings,
    derived_safety,
    integral_by_mpmath,
    kl_closed_form,
)
from theorems.oracles.tolerance import U64, gamma

RECORD = Path(__file__).resolve().parents[2] / "measurements" / "quadrature.json"


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads(RECORD.read_text(encoding="utf-8"))


def test_quadrature_safety_is_the_factor_derived_from_the_committed_record(record: dict) -> None:
    largest = record["derivation"]["largest_required"]
    derived = derived_safety(largest)
    assert record["derivation"]["factor"] == derived, f"the record states factor {record['derivation']['factor']}, its numbers give {derived}"
    assert QUADRATURE_SAFETY == derived, (
        f"QUADRATURE_SAFETY = {QUADRATURE_SAFETY:g}, but {RECORD.name} needs a factor of {largest:.3g} at most, "
        f"which the rule (power of two ≥ {MARGIN:g}× that) makes {derived:g}: update the constant and its comment"
    )


def test_the_record_was_measured_with_todays_oracle_settings(record: dict) -> None:
    """A change of the oracles' default tolerances invalidates the record: remake it (make quadrature-record)."""
    assert record["settings"] == json.loads(json.dumps(current_settings()))


def test_no_recorded_estimate_is_zero_beyond_rounding(record: dict) -> None:
    """No finite factor covers an estimate of 0 with a real error; the record must have none."""
    zero = {f"{method}: {family}": summary["zero_estimate"] for method, families in record["families"].items() for family, summary in families.items()}
    assert not any(zero.values()), {key: count for key, count in zero.items() if count}


def test_every_family_passes_with_the_factor_and_its_margin(record: dict) -> None:
    for method, families in record["families"].items():
        for family, summary in families.items():
            assert summary["largest_required"] * MARGIN <= QUADRATURE_SAFETY, f"{method}, {family}: {summary['worst']}"


@pytest.mark.parametrize(
    "largest, factor",
    [(0.0, 1.0), (0.05, 1.0), (0.1, 1.0), (0.11, 2.0), (0.46, 8.0), (2.53, 32.0), (3.3, 64.0)],
)
def test_the_factor_is_the_smallest_power_of_two_above_the_margin_times_the_largest_need(largest: float, factor: float) -> None:
    assert derived_safety(largest) == factor


def test_an_estimate_of_zero_with_a_real_error_has_no_factor() -> None:
    with pytest.raises(ValueError, match="no factor covers it"):
        derived_safety(math.inf)


@pytest.mark.parametrize(
    "error, estimate, rounding, kind, ratio, required",
    [
        (0.0, 1e-12, 1e-14, "exact", 0.0, 0.0),
        (5e-15, 1e-16, 1e-14, "rounding", 50.0, 0.0),
        (3e-12, 1e-12, 1e-12, "resolved", 3.0, 2.0),
        (1e-10, 0.0, 1e-14, "zero_estimate", math.inf, math.inf),
    ],
    ids=["exact", "at-rounding", "resolved", "zero-estimate"],
)
def test_an_integral_is_classed_by_its_error_against_rounding_and_its_estimate(
    error: float, estimate: float, rounding: float, kind: str, ratio: float, required: float
) -> None:
    # A true value of 0, so that the error is exactly the value (1 + 5e-15 would round).
    observation = Observation("quad", "kl, f normal", error, estimate, 0.0, rounding, "example")
    # The decimal literals round once each, the subtraction and the division once more: γ_5.
    close = gamma(5, U64)
    assert (observation.kind, observation.ratio, observation.required) == (kind, pytest.approx(ratio, rel=close), pytest.approx(required, rel=close))


@pytest.mark.parametrize(
    "f, g, expected",
    [
        # ½[σ0²/σ1² + (μ1 − μ0)²/σ1² − 1 + ln(σ1²/σ0²)]
        (normal_density(0.0, 1.0), normal_density(1.0, 2.0), 0.5 * (0.25 + 0.25 - 1 + math.log(4.0))),
        # −ln 2 + ½ ln 2π + (1/3 + 1)/2: U[0, 2] against N(0, 1)
        (uniform_density(0.0, 2.0), normal_density(0.0, 1.0), -math.log(2.0) + 0.5 * math.log(2 * math.pi) + 2.0 / 3.0),
        # Laplace against Laplace: ln(b2/b1) + |Δ|/b2 + (b1/b2)e^{−|Δ|/b1} − 1
        (laplace_density(0.0, 1.0), laplace_density(0.5, 2.0), math.log(2.0) + 0.25 + 0.5 * math.exp(-0.5) - 1),
        # U[0, 1] inside U[−1, 3]: ln 4
        (uniform_density(0.0, 1.0), uniform_density(-1.0, 3.0), math.log(4.0)),
    ],
    ids=["normal-normal", "uniform-normal", "laplace-laplace", "uniform-uniform"],
)
def test_closed_form_kl_matches_the_textbook_formula(f, g, expected: float) -> None:
    # The float64 formulas: at most 8 roundings (a libm log or exp counts 2) of terms whose sizes
    # sum to at most 3 (uniform-normal's ln 2 + ½ ln 2π + ⅔ ≈ 2.28); the 40-digit side rounds once.
    assert kl_closed_form(f, g) == pytest.approx(expected, rel=0, abs=gamma(9, U64) * 3.0)


def test_closed_form_kl_is_none_where_the_cross_entropy_is_not_elementary() -> None:
    assert kl_closed_form(normal_density(0.0, 1.0), student_t_density(3.0, 0.0, 1.0)) is None


def test_the_mpmath_reference_integrates_a_gaussian_over_the_line() -> None:
    value = integral_by_mpmath(lambda x: math.exp(-float(x) ** 2), [-math.inf, -1.0, 0.0, 2.0, math.inf])
    assert value == pytest.approx(math.sqrt(math.pi), rel=4e-16)
