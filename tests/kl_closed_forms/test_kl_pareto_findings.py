"""Torch's Pareto-q KL findings confirmed against 50-digit closed forms (mpmath), on each recorded example and built pair."""

from __future__ import annotations

import math

import mpmath
import pytest
from kl_built_samples import BUILT_IN_DOMAIN
from torch import distributions as D

from theorems.kl_closed_forms.findings import FINDINGS as KL_FINDINGS
from theorems.kl_closed_forms.laws import LawPair
from theorems.kl_closed_forms.oracle import kl_by_definition
from theorems.kl_closed_forms.pareto_power import pareto_power_elements, pareto_ratio_elements
from theorems.oracles.tolerance import U64, gamma

# The values are computed at this many digits (far beyond float64's 16), so a difference is charged
# whole to torch or to the oracle.
DIGITS = 50


def assert_within_its_bar(found, exact: mpmath.mpf) -> None:
    error = abs(mpmath.mpf(found.value) - exact)
    assert error <= found.bound, f"oracle {found.value!r}, exact {mpmath.nstr(exact, 20)}: error {float(error):.3g} above its bar {found.bound:.3g}"


def least_tolerance(found) -> float:
    """The check's least tolerance, γ₆₄ on the scale of the closed form's terms."""
    return gamma(64, U64) * (1 + found.scale)


def recorded_and_built(finding_id: str) -> list[LawPair]:
    finding = next(finding for finding in KL_FINDINGS if finding.id == finding_id)
    return [finding.example, *BUILT_IN_DOMAIN[finding_id]]


def uniform_pareto_kl(low: float, high: float, scale: float, alpha: float) -> mpmath.mpf:
    """KL(Uniform(a, b) ‖ Pareto(s, α)) for a ≥ s at DIGITS digits: −log(b − a) − [log α + α log s − (α + 1) E_p log x],
    E_p log x = (b log b − a log a)/(b − a) − 1 (the textbook closed form, torch's own but in logs throughout)."""
    with mpmath.workdps(DIGITS):
        a, b, s, alpha_ = (mpmath.mpf(v) for v in (low, high, scale, alpha))
        mean_log = (b * mpmath.log(b) - a * mpmath.log(a)) / (b - a) - 1
        return -mpmath.log(b - a) - (mpmath.log(alpha_) + alpha_ * mpmath.log(s) - (alpha_ + 1) * mean_log)


@pytest.mark.parametrize("pair", recorded_and_built("torch-kl-uniform-pareto-power-underflow"), ids=str)
def test_torchs_uniform_pareto_power_defect_is_confirmed_by_mpmath(pair: LawPair) -> None:
    """On each in-domain element torch is ±∞ (the product under- or overflowed) or off by more than its normal
    tolerance (a subnormal step), where the 50-digit KL is finite and the oracle lies within its bar of it; the
    out-of-domain elements batched with them (1 ≤ a, s = ½; a normal product) are right to torch's rounding."""
    torch_values = D.kl_divergence(*pair.arguments()).numpy()
    inside = pareto_power_elements(pair)
    for i, found in enumerate(kl_by_definition(pair.p, pair.q)):
        low, high = (float(pair.p.parameters[name][i]) for name in ("low", "high"))
        exact = uniform_pareto_kl(low, high, float(pair.q.parameters["scale"][i]), float(pair.q.parameters["alpha"][i]))
        assert mpmath.isfinite(exact)
        assert_within_its_bar(found, exact)
        error = abs(mpmath.mpf(float(torch_values[i])) - exact) if math.isfinite(torch_values[i]) else mpmath.inf
        assert (error > least_tolerance(found)) == bool(inside[i]), f"element {i}: torch {torch_values[i]!r}, mpmath {mpmath.nstr(exact, 20)}"


def pareto_pareto_kl(p_scale: float, p_alpha: float, q_scale: float, q_alpha: float) -> mpmath.mpf:
    """KL(Pareto(s_p, α_p) ‖ Pareto(s_q, α_q)) for s_p ≥ s_q at DIGITS digits: α_q log(s_p/s_q) − log(α_q/α_p) + α_q/α_p − 1."""
    with mpmath.workdps(DIGITS):
        sp, ap, sq, aq = (mpmath.mpf(v) for v in (p_scale, p_alpha, q_scale, q_alpha))
        return aq * mpmath.log(sp / sq) - mpmath.log(aq / ap) + aq / ap - 1


@pytest.mark.parametrize("pair", recorded_and_built("torch-kl-pareto-pareto-scale-ratio-overflow"), ids=str)
def test_torchs_pareto_scale_ratio_overflow_is_confirmed_by_mpmath(pair: LawPair) -> None:
    """Torch is +∞ on each in-domain element, where the 50-digit KL is finite and the oracle within its bar of it;
    the out-of-domain element (a ratio of 1e16) is right to torch's rounding."""
    torch_values = D.kl_divergence(*pair.arguments()).numpy()
    inside = pareto_ratio_elements(pair)
    for i, found in enumerate(kl_by_definition(pair.p, pair.q)):
        exact = pareto_pareto_kl(*(float(law.parameters[name][i]) for law in (pair.p, pair.q) for name in ("scale", "alpha")))
        assert mpmath.isfinite(exact)
        assert_within_its_bar(found, exact)
        if inside[i]:
            assert torch_values[i] == math.inf, f"element {i}: torch {torch_values[i]!r}, mpmath {mpmath.nstr(exact, 20)}"
        else:
            assert abs(mpmath.mpf(float(torch_values[i])) - exact) <= least_tolerance(found), f"element {i}: torch {torch_values[i]!r}"
