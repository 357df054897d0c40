"""The oracle's :class:`~theorems.kl_closed_forms.direct.DirectLaw` gives scipy.stats' own values, bit for bit.

The quantile cubature evaluates each law through :func:`~theorems.kl_closed_forms.direct.direct`,
which skips scipy's per-call argument handling: the oracle was compared with mpmath
(test_kl_oracles_against_mpmath.py) on these values, so they must be scipy's exactly, at the
extremes the strategies draw (scales 1e-8 and 1e8, concentrations 1e-2 and 1e4), deep in each
tail, outside the support, at the support's ends, at NaN and ±∞, and for a 0-d point.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from theorems.kl_closed_forms.direct import MIRRORED, DirectLaw, direct
from theorems.kl_closed_forms.families import FAMILIES

LAWS: list[tuple[str, dict[str, float]]] = [
    ("Normal", {"loc": 2.0, "scale": 1e-8}),
    ("Normal", {"loc": -3.0, "scale": 1e8}),
    ("HalfNormal", {"scale": 1e-8}),
    ("Laplace", {"loc": 1.0, "scale": 0.3}),
    ("Cauchy", {"loc": 0.5, "scale": 1e-8}),
    ("Gumbel", {"loc": -1e3, "scale": 2.0}),
    ("Exponential", {"rate": 1e8}),
    ("Gamma", {"concentration": 1e4, "rate": 3.0}),
    ("Gamma", {"concentration": 1e-2, "rate": 1e-8}),
    ("Beta", {"concentration1": 0.5, "concentration0": 3.0}),
    ("Beta", {"concentration1": 1e4, "concentration0": 1e-2}),
    ("Uniform", {"low": -1.0, "high": 1e-8}),
    ("Pareto", {"scale": 1e-8, "alpha": 0.3}),
    ("Pareto", {"scale": 2.0, "alpha": 1e4}),
]
METHODS = ("logpdf", "logcdf", "logsf", "ppf", "isf")


def bits(value: Any) -> np.ndarray:
    """The value's float64 bit patterns: −0.0 ≠ 0.0 and NaN = NaN of the same payload."""
    return np.atleast_1d(np.asarray(value, dtype=np.float64)).view(np.int64)


def points(law: Any) -> list[np.ndarray]:
    """Levels in [0, 1] and beyond it, both tails' quantiles down to 1e-300, points outside the support and not numbers."""
    levels = np.concatenate([np.geomspace(1e-300, 0.5, 61), 1.0 - np.geomspace(1e-16, 0.5, 17), [0.0, 1.0, -0.5, 1.5, np.nan]])
    return [levels, law.ppf(levels), law.isf(levels), np.array([-np.inf, -1e300, -1.0, -0.0, 0.0, 1.0, 1e300, np.inf, np.nan]), np.array(0.25)]


@pytest.mark.parametrize(("family", "values"), LAWS, ids=[f"{family}-{i}" for i, (family, _) in enumerate(LAWS)])
def test_a_direct_law_gives_scipys_values_bit_for_bit(family: str, values: dict[str, float]) -> None:
    law = FAMILIES[family].scipy(**values)
    fast = direct(law)
    # Under the scipy it mirrors the law is direct (a written-out law wraps it); under another, scipy's own.
    assert isinstance(fast if isinstance(fast, DirectLaw) else fast.law, DirectLaw) if MIRRORED else fast is law
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for x in points(law):
            for method in METHODS:
                expected, found = getattr(law, method)(x), getattr(fast, method)(x)
                assert np.shape(found) == np.shape(expected) and np.array_equal(bits(found), bits(expected)), f"{family}{values}.{method}({x!r}): {found!r} ≠ scipy's {expected!r}"


def test_the_bitwise_comparison_sees_one_ulp_and_a_signed_zero() -> None:
    assert not np.array_equal(bits(1.0), bits(np.nextafter(1.0, 2.0)))
    assert not np.array_equal(bits(0.0), bits(-0.0))
    assert np.array_equal(bits(np.nan), bits(np.nan))
