"""Exact tests of ``theorems.oracles.densities``, the oracle for the KL of continuous densities.

What they pin: every field of each density family (name, support, centre, scale, tail
class, kinks) and its log-density against scipy's, when a KL is expected finite, the
quadrature pieces, the 1-D and joint integrands (zero where ``f`` vanishes, silently),
the cubature substitution and its inverse for each tail class, where the joint box is
split (every combination of the kinks inside it, close cuts merged), and the fall-back
to nested quad when 2-D cubature fails (and none in 3-D).

Why such exact tests exist: the KL properties (``test_kl.py``) integrate generated
densities to within the integrators' own error estimates, so a mutant that moves a
breakpoint, mislabels a tail or changes the split of the box still integrates to the
same value (only more slowly) and passes them. Mutation testing (``make mutation``)
finds such mutants; these exact tests on fixed densities and a spy on the cubature
call kill them in milliseconds. Mutants no test can tell apart are explained in
``tests/mutation_equivalents.json``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from theorems.oracles import densities
from theorems.oracles.densities import (
    Axis,
    beta_density,
    finite_kl_expected,
    formulas_agreement_tolerance,
    from_real_line,
    joint_kl_by_cubature,
    laplace_density,
    log_ratio_integrand,
    logistic_density,
    normal_density,
    normal_mixture_density,
    quadrature_breakpoints,
    separated,
    student_t_density,
    to_real_line,
    uniform_density,
)
from theorems.oracles.quadrature import OracleError, OracleValue
from theorems.oracles.tolerance import U64, gamma


# --- densities and the cubature substitution -------------------------------------------------


def test_a_beta_density_is_scipys_beta_on_its_interval_with_all_its_fields() -> None:
    # The log-density matches scipy's (loc = lower, scale = width) to a few roundings of
    # its largest term; outside [lower, upper] it is −∞.
    density = beta_density(2.0, 3.0, 1.0, 4.0)
    x = np.array([1.0, 1.5, 2.5, 3.9, 4.0])
    expected = stats.beta(2.0, 3.0, loc=1.0, scale=3.0).logpdf(x)
    actual = density.logpdf(x)
    finite = np.isfinite(expected)
    assert np.array_equal(np.isneginf(actual), ~finite)
    # Two sides (ours, scipy's), each ≤ 8 roundings of terms (a−1)|log t| + (b−1)|log(1−t)| + log B⁻¹ +
    # log width, which at these points are ≤ 4(1 + |log f|) (10.4 ≤ 25.8 at x = 3.9, the largest).
    assert np.allclose(actual[finite], expected[finite], rtol=0, atol=2 * gamma(8, U64) * 4 * (1 + np.abs(expected[finite])))
    assert np.all(np.isneginf(density.logpdf(np.array([0.5, 4.5]))))
    assert (density.name, density.lower, density.upper, density.centre, density.scale, density.tail, density.breakpoints) == (
        "Beta(2, 3) on [1, 4]", 1.0, 4.0, 2.5, 3.0, "bounded", (1.0, 4.0),
    )


def test_an_axis_of_one_density_takes_only_its_breakpoints() -> None:
    assert Axis.of(normal_density(1.0, 2.0)) == Axis(-math.inf, math.inf, 1.0, 2.0, "gaussian", (1.0,))


def round_trip_rounding(t: float, x: float, dx: float, axis: Axis) -> float:
    """How far ``from_real_line(x(t))`` may round from ``t``: ``x`` and the offset ``x − c`` round at most 6
    times over ``|c| + |x − c|`` (carried back by ``dt/dx = 1/dx``), and the inverse at most 6 times over its
    own terms: ``(s + √(s² + 4o²))/(2|o|)`` for power tails (the cancellation), ``|t|`` for tanh."""
    offset = x - axis.centre
    carried = gamma(6, U64) * (abs(axis.centre) + abs(offset)) / dx
    if axis.tail != "power":
        return carried + gamma(6, U64) * abs(t)
    inverse_size = 0.0 if offset == 0 else (axis.scale + math.sqrt(axis.scale**2 + 4 * offset**2)) / (2 * abs(offset))
    return carried + gamma(6, U64) * inverse_size


def test_the_power_tail_substitution_is_c_plus_s_t_over_1_minus_t2_and_inverts() -> None:
    # x(1/2) = c + s (1/2)/(3/4) = c + 2s/3, and from_real_line brings it back.
    axis = Axis(-math.inf, math.inf, 1.0, 2.0, "power")
    x, dx = to_real_line(np.array([0.5]), axis)
    # t², 1 ± t², s·t and 0.75² are exact; each side then rounds at most twice (a divide, an add):
    # two sides within γ_2 each, ≈ 4u.
    assert math.isclose(x[0], 1.0 + 2.0 * 0.5 / 0.75, rel_tol=2 * gamma(2, U64))
    assert math.isclose(dx[0], 2.0 * 1.25 / 0.75**2, rel_tol=2 * gamma(2, U64))
    assert math.isclose(from_real_line(float(x[0]), axis), 0.5, rel_tol=0, abs_tol=round_trip_rounding(0.5, float(x[0]), float(dx[0]), axis))


# --- the joint cubature: where the box is split, and what the integrand is -------------------


def spy_on_cubature(monkeypatch) -> list[dict]:
    """Replace the cubature call inside joint_kl_by_cubature by one that records its arguments."""
    calls: list[dict] = []

    def spy(integrand, lower, upper, **options):
        calls.append({"integrand": integrand, "lower": lower, "upper": upper, **options})
        return OracleValue(0.0, 0.0, "spy")

    monkeypatch.setattr(densities, "integral_by_cubature", spy)
    return calls


def test_the_joint_box_is_split_at_every_combination_of_the_kinks_inside_it(monkeypatch) -> None:
    # A bounded axis [1, 4] with kinks at both ends (not inside), at 2 and 2 + 4e-6 (kept:
    # farther apart than 1e-6 of the axis, 3e-6) and at 3 and 3 + 2e-6 (merged); a second
    # bounded axis with no kink inside is split at its midpoint 2.5.
    kinked = Axis(1.0, 4.0, 2.5, 3.0, "bounded", (1.0, 2.0, 2.0 + 4e-6, 3.0, 3.0 + 2e-6, 4.0))
    plain = Axis(1.0, 4.0, 2.5, 3.0, "bounded", (1.0, 4.0))
    calls = spy_on_cubature(monkeypatch)
    joint_kl_by_cubature(lambda x: np.zeros(len(x)), lambda x: np.zeros(len(x)), [kinked, plain], rtol=1e-5, atol=1e-8)
    (call,) = calls
    assert (call["rtol"], call["atol"]) == (1e-5, 1e-8)
    np.testing.assert_array_equal(call["lower"], [1.0, 1.0])
    np.testing.assert_array_equal(call["upper"], [4.0, 4.0])
    assert [tuple(point) for point in call["points"]] == [(2.0, 2.5), (2.0 + 4e-6, 2.5), (3.0, 2.5)]


def test_an_unbounded_axis_is_split_at_its_kinks_mapped_into_the_unit_interval(monkeypatch) -> None:
    # Laplace(0.3, 1) against N(0, 1): kinks at 0 and 0.3, at tanh((x − c)/(k s)) in t.
    axis = Axis.of(laplace_density(0.3, 1.0), normal_density(0.0, 1.0))
    plain = Axis(1.0, 4.0, 2.5, 3.0, "bounded", ())
    calls = spy_on_cubature(monkeypatch)
    joint_kl_by_cubature(lambda x: np.zeros(len(x)), lambda x: np.zeros(len(x)), [axis, plain])
    (call,) = calls
    cuts = [math.tanh((b - 0.3) / (densities.ATANH_STRETCH * 1.0)) for b in (0.0, 0.3)]
    assert [tuple(point) for point in call["points"]] == [(cuts[0], 2.5), (cuts[1], 2.5)]
    np.testing.assert_array_equal(call["lower"], [-1.0, 1.0])


def test_the_joint_integrand_is_zero_where_f_vanishes_and_f_log_f_over_g_elsewhere(monkeypatch) -> None:
    # log f = −∞ where x₀ > 2.5: 0 there (not 0·∞), silently; e⁰·(0 − (−1)) = 1 elsewhere.
    plain = Axis(1.0, 4.0, 2.5, 3.0, "bounded", ())
    calls = spy_on_cubature(monkeypatch)
    joint_kl_by_cubature(lambda x: np.where(x[:, 0] > 2.5, -np.inf, 0.0), lambda x: np.full(len(x), -1.0), [plain, plain])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = calls[0]["integrand"](np.array([[3.0, 2.0], [2.0, 2.0]]))
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [0.0, 1.0])


def test_an_axis_takes_the_kinks_of_both_densities() -> None:
    assert Axis.of(laplace_density(0.3, 1.0), laplace_density(-0.5, 2.0)).breakpoints == (-0.5, 0.3)


KINKED = Axis(1.0, 4.0, 2.5, 3.0, "bounded", (1.0, 2.0, 2.0 + 4e-6, 3.0, 3.0 + 2e-6, 4.0))
PLAIN = Axis(1.0, 4.0, 2.5, 3.0, "bounded", ())


def failing_cubature(*arguments, **options):
    raise OracleError("cubature did not converge")


def test_when_2d_cubature_fails_nested_quad_integrates_the_same_integrand_over_the_same_cuts(monkeypatch) -> None:
    calls: list[dict] = []
    monkeypatch.setattr(densities, "integral_by_cubature", failing_cubature)
    monkeypatch.setattr(densities, "integral_by_nested_quad", lambda integrand, lower, upper, **options: calls.append({"integrand": integrand, "lower": lower, "upper": upper, **options}) or OracleValue(1.0, 0.0, "spy"))
    result = joint_kl_by_cubature(lambda x: np.zeros(len(x)), lambda x: np.full(len(x), -1.0), [KINKED, PLAIN], rtol=1e-5, atol=1e-8)
    assert result == OracleValue(1.0, 0.0, "spy")
    (call,) = calls
    assert call["cuts"] == [[2.0, 2.0 + 4e-6, 3.0], [2.5]]
    assert (call["epsabs"], call["epsrel"]) == (1e-8, 1e-5)
    np.testing.assert_array_equal(call["lower"], [1.0, 1.0])
    np.testing.assert_array_equal(call["upper"], [4.0, 4.0])
    np.testing.assert_array_equal(call["integrand"](np.array([[2.0, 2.0]])), [1.0])  # e⁰·(0 − (−1))


def test_when_3d_cubature_fails_the_failure_is_reported_not_retried(monkeypatch) -> None:
    monkeypatch.setattr(densities, "integral_by_cubature", failing_cubature)
    with pytest.raises(OracleError, match="cubature did not converge"):
        joint_kl_by_cubature(lambda x: np.zeros(len(x)), lambda x: np.zeros(len(x)), [PLAIN, PLAIN, PLAIN])


@pytest.mark.parametrize("tail", ["power", "exponential"])
def test_the_substitution_is_increasing_maps_zero_to_the_centre_and_inverts(tail: str) -> None:
    # Scale 3, not 2: s² and 2s coincide at 2.
    axis = Axis(-math.inf, math.inf, 1.0, 3.0, tail)
    t = np.array([-0.9, -0.5, 0.0, 0.25, 0.8])
    x, dx = to_real_line(t, axis)
    assert np.all(np.diff(x) > 0) and np.all(dx > 0) and x[2] == 1.0
    assert from_real_line(1.0, axis) == 0.0
    for t_i, x_i, dx_i in zip(t, x, dx):
        allowed = round_trip_rounding(float(t_i), float(x_i), float(dx_i), axis)
        assert math.isclose(from_real_line(float(x_i), axis), t_i, rel_tol=0, abs_tol=allowed)


@pytest.mark.parametrize(
    ("build", "reference", "fields"),
    [
        (lambda: logistic_density(0.7, 1.3), stats.logistic(loc=0.7, scale=1.3), ("Logistic(0.7, 1.3)", "exponential", math.inf, (0.7,))),
        (lambda: student_t_density(3.0, 0.7, 1.3), stats.t(3.0, loc=0.7, scale=1.3), ("t_3(0.7, 1.3)", "power", 3.0, (0.7,))),
        (lambda: laplace_density(0.7, 1.3), stats.laplace(loc=0.7, scale=1.3), ("Laplace(0.7, 1.3)", "exponential", math.inf, (0.7,))),
        (lambda: normal_density(0.7, 1.3), stats.norm(loc=0.7, scale=1.3), ("N(0.7, 1.3²)", "gaussian", math.inf, (0.7,))),
    ],
    ids=["logistic", "student-t", "laplace", "normal"],
)
def test_a_density_built_in_the_test_is_scipys_and_names_its_tail_and_kinks(build, reference, fields) -> None:
    density = build()  # built in the test, not at collection: a mutated constructor must be the one called
    x = np.array([-3.0, 0.0, 0.7, 2.0, 40.0])
    ours, theirs = density.logpdf(x), reference.logpdf(x)
    assert np.all(np.abs(ours - theirs) <= formulas_agreement_tolerance(ours, theirs, density, x)), (ours, theirs)
    assert (density.name, density.tail, density.nu, density.breakpoints) == fields
    assert (density.lower, density.upper, density.centre, density.scale) == (-math.inf, math.inf, 0.7, 1.3)


def test_a_normal_mixture_is_the_weighted_sum_and_is_laid_out_around_both_modes() -> None:
    density = normal_mixture_density(0.3, -1.0, 0.5, 2.0, 1.5)
    x = np.array([-4.0, -1.0, 0.0, 2.0, 9.0])
    expected = np.log(0.3 * stats.norm(-1.0, 0.5).pdf(x) + 0.7 * stats.norm(2.0, 1.5).pdf(x))
    ours = density.logpdf(x)
    assert np.all(np.abs(ours - expected) <= formulas_agreement_tolerance(ours, expected, density, x)), (ours, expected)
    assert density.name == "0.3·N(-1, 0.5²) + 0.7·N(2, 1.5²)"
    # centre w·m1 + (1 − w)·m2; scale max(sd) + |m1 − m2|; kinks at both means
    assert (density.lower, density.upper, density.centre, density.scale, density.tail, density.breakpoints) == (
        -math.inf, math.inf, 0.3 * -1.0 + 0.7 * 2.0, 1.5 + 3.0, "gaussian", (-1.0, 2.0),
    )


def test_a_uniform_density_is_log_one_over_the_width_inside_and_minus_infinity_outside() -> None:
    density = uniform_density(-1.0, 2.0)
    values = density.logpdf(np.array([[-2.0, 0.0], [1.5, 2.5]]))
    assert values.shape == (2, 2)
    np.testing.assert_array_equal(values, [[-np.inf, -math.log(3.0)], [-math.log(3.0), -np.inf]])
    np.testing.assert_array_equal(density.logpdf(np.array([-1.0, 2.0])), [-math.log(3.0)] * 2)  # both ends belong to the support
    assert (density.name, density.lower, density.upper, density.centre, density.scale, density.tail, density.breakpoints) == (
        "U[-1, 2]", -1.0, 2.0, 0.5, 3.0, "bounded", (-1.0, 2.0),
    )


@pytest.mark.parametrize(
    ("f", "g", "margin", "finite"),
    [
        (uniform_density(-1.0, 2.0), uniform_density(0.0, 3.0), 0.0, False),  # f leaves g's support on the left
        (uniform_density(0.0, 3.0), uniform_density(-1.0, 2.0), 0.0, False),  # ... and on the right
        (uniform_density(0.0, 1.0), uniform_density(-1.0, 2.0), 0.0, True),
        (student_t_density(2.5, 0.0, 1.0), normal_density(0.0, 1.0), 0.0, True),  # a Gaussian g needs E x² < ∞: ν > 2
        (student_t_density(2.0, 0.0, 1.0), normal_density(0.0, 1.0), 0.0, False),
        (student_t_density(2.5, 0.0, 1.0), normal_density(0.0, 1.0), 1.0, False),  # margin: ν > 3
        (normal_density(0.0, 1.0), normal_density(0.0, 1.0), 0.0, True),
        (student_t_density(1.5, 0.0, 1.0), laplace_density(0.0, 1.0), 0.0, True),  # a Laplace g needs E|x| < ∞: ν > 1
        (student_t_density(1.0, 0.0, 1.0), laplace_density(0.0, 1.0), 0.0, False),
        (student_t_density(1.5, 0.0, 1.0), laplace_density(0.0, 1.0), 1.0, False),  # margin: ν > 2
        (student_t_density(1.0, 0.0, 1.0), student_t_density(3.0, 0.0, 1.0), 0.0, True),  # −log g ~ log|x|
    ],
    ids=["left-of-support", "right-of-support", "inside-support", "t2.5-vs-normal", "t2-vs-normal", "t2.5-vs-normal-margin",
         "normal-vs-normal", "t1.5-vs-laplace", "t1-vs-laplace", "t1.5-vs-laplace-margin", "cauchy-vs-t3"],
)
def test_a_kl_is_expected_finite_exactly_when_supports_nest_and_the_moment_exists(f, g, margin: float, finite: bool) -> None:
    if margin:
        assert finite_kl_expected(f, g, margin=margin) is finite
    else:
        assert finite_kl_expected(f, g) is finite


def test_quadrature_pieces_end_at_the_support_and_break_at_kinks_and_twelve_scales_out() -> None:
    # f = Laplace(0.5, 1), g = N(0, 2): scale 2, kinks at 0 and 0.5, and ±24 around each centre;
    # on [−30, 30] all of them are inside, on [−30, 20] the two at +24 are not.
    densities = (laplace_density(0.5, 1.0), normal_density(0.0, 2.0))
    assert quadrature_breakpoints(densities, -30.0, 30.0) == [-30.0, -24.0, -23.5, 0.0, 0.5, 24.0, 24.5, 30.0]
    assert quadrature_breakpoints(densities, -30.0, 20.0) == [-30.0, -24.0, -23.5, 0.0, 0.5, 20.0]
    # A support's own ends are not repeated, and points within 1e-6 of the scale (here 2) merge.
    uniform = uniform_density(-1.0, 2.0)
    assert quadrature_breakpoints((uniform, uniform), -1.0, 2.0) == [-1.0, 2.0]
    close = (laplace_density(0.0, 2.0), laplace_density(1.5e-6, 2.0))
    assert quadrature_breakpoints(close, -5.0, 5.0) == [-5.0, 0.0, 5.0]


def test_the_1d_integrand_is_zero_where_f_vanishes_and_f_log_f_over_g_elsewhere() -> None:
    integrand = log_ratio_integrand(uniform_density(0.0, 1.0), normal_density(0.0, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = integrand(np.array([-1.0, 0.5]))
    assert values.dtype == np.float64
    assert values[0] == 0.0  # f vanishes: exactly 0, not 0·(−inf)
    # f = 1 on [0, 1]: the integrand is −log g, our normal's formula against scipy's
    theirs = -stats.norm.logpdf(np.array([0.5]))
    assert np.abs(values[1] - theirs[0]) <= formulas_agreement_tolerance(values[1:], theirs, normal_density(0.0, 1.0), np.array([0.5]))[0]


def test_cuts_exactly_one_gap_apart_merge() -> None:
    assert separated([0.0, 0.5, 0.75], 0.5) == [0.0, 0.75]
