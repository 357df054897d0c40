r"""How QUADPACK's and the cubature's error estimates compare with the true error, measured.

The oracles of :mod:`theorems.oracles.quadrature` return a value ``Q`` and an error estimate
``E``; the checks allow ``QUADRATURE_SAFETY × E`` plus their own rounding allowance
``R``. This module measures, on integrals whose value ``I`` is known, the ratio

    ρ = |Q − I| / E                                  (the estimate's optimism)

and the factor each integral actually needs,

    s* = max(0, |Q − I| − R) / E                     (the smallest safety that passes it),

running the suite's own helpers with the settings the checks use, on examples drawn
from the suite's own strategies (:mod:`theorems.strategies`) under fixed seeds.

The integrals, by method:

* ``quad`` (:func:`~theorems.oracles.quadrature.integral_by_quad`, its default ``epsabs``/``epsrel``):
  ``∫ f = 1`` for every 1-D family, on the pieces ``kl_by_quadrature`` cuts for the pair;
  ``D(f‖g)`` by :func:`~theorems.oracles.densities.kl_by_quadrature` for pairs from
  ``density_pairs()``; ``D`` of two 1-D Gaussians from ``gaussian_pairs(dim=1)`` on the
  pieces of ``test_closed_form_matches_adaptive_quadrature_in_one_dimension``; and the
  report figure's grid (:func:`~theorems.gaussian_kl.figures.kl_closed_form_against_quadrature`).
* ``cubature`` (:func:`~theorems.oracles.densities.joint_kl_by_cubature` and
  :func:`~theorems.gaussian_density.check.gaussian_moments_by_cubature`, with the checks'
  ``rtol``): ``∫ f = 1`` and ``D(f‖g) = Σ D(f_i‖g_i)`` for independent 2-D joints (the
  additivity property's families, ``rtol`` 1e-6) and 3-D joints (``rtol`` 1e-3);
  ``D(N(0, C)‖N(s1, I)) = s² − ½ log(1 − ρ²)`` for the correlated 2-D Gaussians; and the
  affine-Gaussian moments ``∫f = 1``, ``∫(x−b)f = 0``, ``∫(x−b)(x−b)ᵀf = AAᵀ`` per component.
* ``nested-quad``: a 2-D joint on which cubature gave up and
  :func:`~theorems.oracles.densities.joint_kl_by_cubature` fell back to nested QUADPACK.

Beside the drawn examples, one fixed family (``fixed: …``): the worst integral of the
first record, a 3-D joint mass whose estimate was optimistic by 1.8×, scanned across
the band of its narrow component's width where the estimate is optimistic
(:data:`RESONANCE_SCAN`), so that the record keeps that resonance's peak whatever the
draws.

The known values ``I``: exact (``1``, ``0``, ``AAᵀ`` in 50-digit arithmetic), a closed
form evaluated in 40-digit mpmath (Gaussian KL; ``D(f‖g) = H(f, g) − h(f)`` where the
entropy ``h(f)`` and the cross-entropy are elementary: ``f`` normal, Laplace, logistic,
Student-t or uniform against ``g`` normal, Laplace or a uniform), or, for the other
pairs (``f`` a mixture or a beta, ``g`` logistic, Student-t or a mixture), the float64
integrand itself integrated by mpmath's tanh–sinh twice, on the suite's pieces and on
refined ones, accepted when the two agree within ``16u·max(|I|, 1)`` (else the integral is
counted as ``reference_unresolved`` and left out). That reference carries the
integrand's rounding, which the allowance ``R`` covers; where a closed form exists
both are computed and their largest disagreement is recorded (``reference_check``).

How each integral is classed (every one lands in exactly one class):

* ``exact``: ``Q = I``; ρ = 0.
* ``rounding``: ``0 < |Q − I| ≤ R``: the error is at the level of the integrand's and
  the reference's rounding, which the check allows on its own, so ``s* = 0``; ρ is still
  recorded when ``E > 0`` (it is noise there, and reported apart).
* ``zero_estimate``: ``E = 0`` and ``|Q − I| > R``: no finite factor passes it; listed.
* ``resolved``: ``E > 0`` and ``|Q − I| > R``: the estimate is tested; ρ and ``s*`` recorded.

``R`` is the allowance each check adds beside the quadrature term: ``64u·max(|I|, 1)``
for the density KLs and masses (``tests/kl/test_kl.py``), ``gaussian_kl_tolerance`` for the
1-D Gaussian pairs, ``moment_tolerance`` plus ``2nu|A||Aᵀ|`` for the moments
(``tests/gaussian_density/test_gaussian_density.py``); the figure's grid gets ``64u·max(|I|, 1)`` rather
than its 1e-12 floor, so that its errors are classed by the integrator's accuracy.

The record (``measurements/quadrature.json``) holds, per method (drawn examples only),
per method and family, and per family present in a joint: ``n``, the counts of each
class, the quantiles and maximum of ρ over the resolved integrals (and, as the noise it
is, over those at rounding with ``E > 0``), the largest ``s*``, and the worst integral
with its example; the oracle failures (an ``OracleError``: no value, so no ratio) and
the unresolved references, counted by family with a first example; the factor
derived by :func:`derived_safety` from every integral, fixed ones included; and its
``provenance`` (:mod:`theorems.provenance`: commit, date, and a hash of
:data:`MEASURED_MODULES`).

Run it with ``python -m tools.quadrature_record [--json PATH] [--scale X]``
(``make quadrature-record``; about 90 s of one core). The draws are deterministic for
given seeds, Hypothesis version (recorded) and source tree: Hypothesis mixes literals
of the project's own modules into its draws, so an edit elsewhere moves some examples
(as it moves the suite's own ``ci`` examples); the fixed family does not move.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mpmath
import numpy as np

from theorems.provenance import provenance, write_record

__all__ = [
    "MARGIN",
    "QUANTILES",
    "Observation",
    "current_settings",
    "derivation",
    "derived_safety",
    "integral_by_mpmath",
    "kl_closed_form",
    "main",
    "measure",
    "summarise",
]

U64 = 2.0**-53
# The rounding allowance of the density checks (tests/kl/test_kl.py): 64u of the magnitude.
DENSITY_ROUNDING = 64 * U64
# Two mpmath rules agreeing within this (relative to max(|I|, 1)) make a reference.
REFERENCE_AGREEMENT = 16 * U64
QUANTILES = (0.5, 0.9, 0.99, 0.999)
# The derivation's headroom over the largest s* observed (see derived_safety).
MARGIN = 10.0
DEFAULT_RECORD = Path("measurements/quadrature.json")
# The code whose accuracy the record measures (the oracles, the strategies that draw the
# integrals, the report's grid) and this module's classing of it; hashed into its provenance.
MEASURED_MODULES = (
    "theorems.oracles.densities",
    "theorems.gaussian_density.check",
    "theorems.gaussian_kl.check",
    "theorems.oracles.quadrature",
    "tools.quadrature_record",
    "theorems.gaussian_kl.figures",
    "theorems.strategies.gaussian",
    "theorems.strategies.kl",
)


@dataclass(frozen=True)
class Observation:
    """One integral with a known value: the oracle's value and estimate, the truth, the allowance."""

    method: str  # "quad", "cubature" or "nested-quad"
    family: str  # what was integrated, and of which family ("mass, beta", "kl, f mixture", ...)
    value: float
    estimate: float
    true: float
    rounding: float
    example: str
    tags: tuple[str, ...] = ()  # the families of f and g (an integral counts under each in families_present)

    @property
    def error(self) -> float:
        return abs(self.value - self.true)

    @property
    def kind(self) -> str:
        if self.error == 0:
            return "exact"
        if self.error <= self.rounding:
            return "rounding"
        return "resolved" if self.estimate > 0 else "zero_estimate"

    @property
    def ratio(self) -> float:
        """``|Q − I| / E`` (0 when exact, inf for a nonzero error with a zero estimate)."""
        if self.error == 0:
            return 0.0
        return self.error / self.estimate if self.estimate > 0 else math.inf

    @property
    def required(self) -> float:
        """``max(0, |Q − I| − R) / E``: the smallest factor with which the check passes this integral."""
        excess = max(0.0, self.error - self.rounding)
        if excess == 0:
            return 0.0
        return excess / self.estimate if self.estimate > 0 else math.inf


# --- known values ----------------------------------------------------------------------------

# Closed forms are evaluated with this many digits, then rounded once to float64.
DIGITS = 40


def _family(density: Any) -> str:
    """The family of a :class:`~theorems.oracles.densities.Density1D`, from its name (the families' reprs)."""
    name = density.name
    if "·N(" in name:
        return "mixture"
    for prefix, family in (("N(", "normal"), ("Laplace(", "laplace"), ("Logistic(", "logistic"), ("t_", "student-t"), ("U[", "uniform"), ("Beta(", "beta")):
        if name.startswith(prefix):
            return family
    raise ValueError(f"density={name!r} is of no known family")


def _mp(x: float) -> mpmath.mpf:
    return mpmath.mpf(x)


def _entropy(f: Any) -> mpmath.mpf | None:
    """``h(f) = −∫ f log f`` where it is elementary (normal, Laplace, logistic, Student-t, uniform)."""
    family, s = _family(f), _mp(f.scale)
    if family == "normal":
        return mpmath.log(2 * mpmath.pi * mpmath.e * s**2) / 2
    if family == "laplace":
        return 1 + mpmath.log(2 * s)
    if family == "logistic":
        return mpmath.log(s) + 2
    if family == "student-t":
        nu = _mp(f.nu)
        return (nu + 1) / 2 * (mpmath.digamma((nu + 1) / 2) - mpmath.digamma(nu / 2)) + mpmath.log(mpmath.sqrt(nu) * mpmath.beta(nu / 2, mpmath.mpf(1) / 2) * s)
    if family == "uniform":
        return mpmath.log(_mp(f.upper) - _mp(f.lower))
    return None


def _mean_and_variance(f: Any) -> tuple[mpmath.mpf, mpmath.mpf] | None:
    family, s = _family(f), _mp(f.scale)
    variance = {
        "normal": lambda: s**2,
        "laplace": lambda: 2 * s**2,
        "logistic": lambda: mpmath.pi**2 * s**2 / 3,
        "student-t": lambda: s**2 * _mp(f.nu) / (_mp(f.nu) - 2),
        "uniform": lambda: (_mp(f.upper) - _mp(f.lower)) ** 2 / 12,
    }.get(family)
    if variance is None or (family == "student-t" and f.nu <= 2):
        return None
    mean = (_mp(f.lower) + _mp(f.upper)) / 2 if family == "uniform" else _mp(f.centre)
    return mean, variance()


def _mean_absolute_deviation(f: Any, c: float) -> mpmath.mpf | None:
    """``E_f |X − c|`` for normal, Laplace, logistic and uniform ``f``."""
    family, s = _family(f), _mp(f.scale)
    delta = abs(_mp(f.centre) - _mp(c))
    if family == "normal":  # the folded normal's mean
        return s * mpmath.sqrt(2 / mpmath.pi) * mpmath.exp(-(delta**2) / (2 * s**2)) + delta * mpmath.erf(delta / (s * mpmath.sqrt(2)))
    if family == "laplace":
        return delta + s * mpmath.exp(-delta / s)
    if family == "logistic":  # δ + 2∫_{−∞}^{0} F, F the logistic CDF of mean δ
        return delta + 2 * s * mpmath.log1p(mpmath.exp(-delta / s))
    if family == "uniform":
        lower, upper, c_ = _mp(f.lower), _mp(f.upper), _mp(c)
        if lower <= c_ <= upper:
            return ((c_ - lower) ** 2 + (upper - c_) ** 2) / (2 * (upper - lower))
        return abs((lower + upper) / 2 - c_)
    return None


def _cross_entropy(f: Any, g: Any) -> mpmath.mpf | None:
    """``H(f, g) = −∫ f log g`` where it is elementary."""
    family = _family(g)
    if family == "normal":
        moments = _mean_and_variance(f)
        if moments is None:
            return None
        mean, variance = moments
        s = _mp(g.scale)
        return mpmath.log(2 * mpmath.pi * s**2) / 2 + (variance + (mean - _mp(g.centre)) ** 2) / (2 * s**2)
    if family == "laplace":
        deviation = _mean_absolute_deviation(f, g.centre)
        return None if deviation is None else mpmath.log(2 * _mp(g.scale)) + deviation / _mp(g.scale)
    if family == "uniform" and g.lower <= f.lower and f.upper <= g.upper:
        return mpmath.log(_mp(g.upper) - _mp(g.lower))
    return None


def kl_closed_form(f: Any, g: Any) -> float | None:
    """``D(f‖g) = H(f, g) − h(f)`` in 40-digit arithmetic, rounded once; None where not elementary."""
    with mpmath.workdps(DIGITS):
        entropy, cross = _entropy(f), _cross_entropy(f, g)
        return None if entropy is None or cross is None else float(cross - entropy)


def _mp_points(breakpoints: Iterable[float]) -> list[Any]:
    return [mpmath.mpf(b) if math.isfinite(b) else (mpmath.inf if b > 0 else -mpmath.inf) for b in breakpoints]


def _refined(breakpoints: list[float]) -> list[float]:
    """The same ends with every finite piece halved and each infinite piece cut at 1, 2, 4, … 128 spans out."""
    finite = [b for b in breakpoints if math.isfinite(b)]
    span = (finite[-1] - finite[0]) if len(finite) > 1 and finite[-1] > finite[0] else 1.0
    inner = set(finite) | {(a + b) / 2 for a, b in zip(finite[:-1], finite[1:])}
    if math.isinf(breakpoints[0]):
        inner |= {finite[0] - span * 2.0**k for k in range(8)}
    if math.isinf(breakpoints[-1]):
        inner |= {finite[-1] + span * 2.0**k for k in range(8)}
    return [breakpoints[0], *sorted(x for x in inner if breakpoints[0] < x < breakpoints[-1]), breakpoints[-1]]


def integral_by_mpmath(integrand: Callable[[np.ndarray], np.ndarray], breakpoints: list[float]) -> float | None:
    """``∫ g`` of a float64 integrand by mpmath's tanh–sinh, twice: on the suite's pieces and on refined ones.

    Returns the first value when the two agree within ``REFERENCE_AGREEMENT·max(|I|, 1)``,
    else None (no reference). Tanh–sinh for the second too, on different nodes: Gauss–
    Legendre as the second rule converges slowly at a beta density's end singularities
    and on Student-t tails (measured: it left 45 of the first record's 1-D pairs without
    a reference; this pairing leaves about 5, Student-t against a mixture).
    """

    def at(x: Any) -> Any:
        return mpmath.mpf(float(integrand(np.asarray(float(x)))))

    with mpmath.workdps(20):  # the integrand has 16 digits; 20 resolve the rules' sums
        first = mpmath.quad(at, _mp_points(breakpoints))
        second = mpmath.quad(at, _mp_points(_refined(breakpoints)))
    value = float(first)
    if not abs(float(first - second)) <= REFERENCE_AGREEMENT * max(abs(value), 1.0):
        return None
    return value


def _fingerprint(density: Any) -> tuple[Any, ...]:
    """What tells two drawn densities apart exactly (names round parameters to 3 digits)."""
    probes = density.centre + density.scale * np.array([-3.0, -1.0, -0.3, 0.2, 0.7, 2.5])
    return (density.name, density.lower, density.upper, density.centre, density.scale, density.nu, density.breakpoints, tuple(density.logpdf(probes).tolist()))


# --- drawing examples from the suite's strategies ---------------------------------------------


def _draw(strategy: Any, count: int, seed: int) -> list[Any]:
    """``count`` generate-phase examples of ``strategy`` under Hypothesis ``seed`` (no shrinking, no database)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed

    drawn: list[Any] = []

    @with_seed(seed)
    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn


def _unique(observations: list[Observation]) -> list[Observation]:
    """Drop repeats (Hypothesis draws the same example more than once): same family, example, value and estimate."""
    seen: set[tuple[str, str, str, float, float]] = set()
    kept = []
    for observation in observations:
        key = (observation.method, observation.family, observation.example, observation.value, observation.estimate)
        if key not in seen:
            seen.add(key)
            kept.append(observation)
    return kept


@dataclass
class _Tally:
    """What did not become an observation: oracle failures and unresolved references, with examples."""

    oracle_failures: dict[str, list[str]]
    reference_unresolved: dict[str, list[str]]
    reference_check: float = 0.0  # max |mpmath − closed form| / max(|I|, 1) where both exist

    def fail(self, key: str, example: str) -> None:
        self.oracle_failures.setdefault(key, []).append(example)

    def unresolved(self, key: str, example: str) -> None:
        self.reference_unresolved.setdefault(key, []).append(example)


def _kl_reference(f: Any, g: Any, tally: _Tally, cache: dict[Any, float | None]) -> float | None:
    """``D(f‖g)``: the closed form where elementary (cross-checked by mpmath), else mpmath's."""
    from theorems.oracles.densities import log_ratio_integrand, quadrature_breakpoints

    key = (_fingerprint(f), _fingerprint(g))
    if key in cache:
        return cache[key]
    closed = kl_closed_form(f, g)
    by_mpmath = integral_by_mpmath(log_ratio_integrand(f, g), quadrature_breakpoints((f, g), f.lower, f.upper))
    if closed is not None and by_mpmath is not None:
        tally.reference_check = max(tally.reference_check, abs(closed - by_mpmath) / max(abs(closed), 1.0))
    cache[key] = closed if closed is not None else by_mpmath
    return cache[key]


def _density_observations(count: int, seed: int, tally: _Tally, cache: dict[Any, float | None]) -> list[Observation]:
    """1-D masses and KLs by quad, on ``density_pairs()`` (all families, ν ≥ 1.5)."""
    from theorems.oracles.densities import kl_by_quadrature, quadrature_breakpoints
    from theorems.oracles.quadrature import OracleError, integral_by_quad
    from theorems.strategies.kl import density_pairs

    found = []
    for f, g in _draw(density_pairs(), count, seed):
        example = f"f={f.name}, g={g.name}"
        family = _family(f)
        pieces = quadrature_breakpoints((f, g), f.lower, f.upper)
        try:
            mass = integral_by_quad(lambda x: float(f.pdf(np.asarray(x))), pieces)
            found.append(Observation("quad", f"mass, {family}", mass.value, mass.error, 1.0, DENSITY_ROUNDING, example, (family,)))
        except OracleError:
            tally.fail(f"quad: mass, {family}", example)
        true = _kl_reference(f, g, tally, cache)
        if true is None:
            tally.unresolved(f"quad: kl, f {family}", example)
            continue
        try:
            kl = kl_by_quadrature(f, g)
        except OracleError:
            tally.fail(f"quad: kl, f {family}", example)
            continue
        found.append(Observation("quad", f"kl, f {family}", kl.value, kl.error, true, DENSITY_ROUNDING * max(abs(true), 1.0), example, (family, _family(g))))
    return found


def _gaussian_kl_1d(mu0: float, var0: float, mu1: float, var1: float) -> float:
    m0, v0, m1, v1 = _mp(mu0), _mp(var0), _mp(mu1), _mp(var1)
    with mpmath.workdps(DIGITS):
        return float((v0 / v1 + (m1 - m0) ** 2 / v1 - 1 + mpmath.log(v1 / v0)) / 2)


def _gaussian_pair_observations(count: int, seed: int, tally: _Tally) -> list[Observation]:
    """1-D Gaussian KL by quad on ``gaussian_pairs(dim=1)``, with the test's pieces and allowance."""
    from theorems.gaussian_density.check import gaussian_log_density_by_cholesky
    from theorems.gaussian_kl.check import gaussian_kl_tolerance
    from theorems.oracles.quadrature import OracleError, integral_by_quad
    from theorems.strategies.gaussian import gaussian_pairs

    found = []
    for pair in _draw(gaussian_pairs(dim=1), count, seed):
        mean, sd = float(pair.mu0[0]), math.sqrt(pair.cov0[0, 0])
        example = f"N({mean!r}, {pair.cov0[0, 0]!r}) ‖ N({float(pair.mu1[0])!r}, {pair.cov1[0, 0]!r})"

        def integrand(x: float) -> float:
            point = np.array([[x]])
            log_f = gaussian_log_density_by_cholesky(point, pair.mu0, pair.cov0)[0]
            return math.exp(log_f) * (log_f - gaussian_log_density_by_cholesky(point, pair.mu1, pair.cov1)[0])

        try:
            oracle = integral_by_quad(integrand, [-math.inf, mean - 10 * sd, mean, mean + 10 * sd, math.inf])
        except OracleError:
            tally.fail("quad: gaussian kl, 1-D pairs", example)
            continue
        true = _gaussian_kl_1d(mean, float(pair.cov0[0, 0]), float(pair.mu1[0]), float(pair.cov1[0, 0]))
        found.append(Observation("quad", "gaussian kl, 1-D pairs", oracle.value, oracle.error, true, gaussian_kl_tolerance(pair, abs(true))[0], example, ("normal",)))
    return found


def _figure_observations() -> list[Observation]:
    """The report figure's grid: ``D(N(0, 1)‖N(δ, r))`` by its own quad."""
    from theorems.gaussian_kl.figures import SHIFTS, VARIANCE_RATIOS, kl_by_quad_1d

    found = []
    for ratio in VARIANCE_RATIOS:
        for shift in SHIFTS:
            value, error = kl_by_quad_1d(0.0, 1.0, shift, ratio)
            true = _gaussian_kl_1d(0.0, 1.0, shift, ratio)
            found.append(Observation("quad", "gaussian kl, figure grid", value, error, true, DENSITY_ROUNDING * max(abs(true), 1.0), f"δ={shift:.3g}, r={ratio:g}", ("normal",)))
    return found


def _joint_log_density(densities: list[Any]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: np.sum([d.logpdf(x[:, i]) for i, d in enumerate(densities)], axis=0)


def _joint_observations(
    pairs_list: list[list[tuple[Any, Any]]], rtol: float, label: str, tally: _Tally, cache: dict[Any, float | None], *, kl: bool = True
) -> list[Observation]:
    """``∫ f = 1`` and ``D(f‖g) = Σ D(f_i‖g_i)`` for independent joints, by ``joint_kl_by_cubature``."""
    from theorems.oracles.densities import Axis, joint_kl_by_cubature
    from theorems.oracles.quadrature import OracleError

    found = []
    for pairs in pairs_list:
        fs, gs = [f for f, _ in pairs], [g for _, g in pairs]
        families = tuple(sorted({_family(d) for pair in pairs for d in pair}))
        example = "; ".join(f"f{i}={f.name}, g{i}={g.name}" for i, (f, g) in enumerate(pairs))
        axes = [Axis.of(f, g) for f, g in pairs]
        log_f = _joint_log_density(fs)
        # log g = log f − 1 turns the KL integrand f·(log f − log g) into f: the same
        # substitution, cuts and settings integrate the joint's mass.
        integrals = [("mass", lambda x: log_f(x) - 1.0, 1.0)] + ([("kl", _joint_log_density(gs), None)] if kl else [])
        for what, log_g, true in integrals:
            if true is None:
                parts = [_kl_reference(f, g, tally, cache) for f, g in pairs]
                if any(part is None for part in parts):
                    tally.unresolved(f"cubature: {label} {what}", example)
                    continue
                true = math.fsum(parts)  # type: ignore[arg-type]
            try:
                with np.errstate(invalid="ignore"):
                    oracle = joint_kl_by_cubature(log_f, log_g, axes, rtol=rtol)
            except OracleError:
                tally.fail(f"cubature: {label} {what}", example)
                continue
            method = "nested-quad" if oracle.how.startswith("nested") else "cubature"
            found.append(Observation(method, f"{label} {what}", oracle.value, oracle.error, true, DENSITY_ROUNDING * max(abs(true), 1.0), example, families))
    return found


def _correlated_observations(count: int, seed: int, tally: _Tally) -> list[Observation]:
    """``D(N(0, [[1, ±ρ], [±ρ, 1]])‖N(s1, I))`` by 2-D cubature, drawn as the additivity-failure property draws."""
    from hypothesis import strategies as st

    from theorems.oracles.densities import Axis, joint_kl_by_cubature
    from theorems.gaussian_density.check import gaussian_log_density_by_cholesky
    from theorems.oracles.quadrature import OracleError

    strategy = st.tuples(st.floats(min_value=0.3, max_value=0.95, width=64), st.sampled_from([-1.0, 1.0]), st.floats(min_value=-1.0, max_value=1.0, width=64))
    found = []
    for rho, sign, shift in _draw(strategy, count, seed):
        cov, mean_g = np.array([[1.0, sign * rho], [sign * rho, 1.0]]), np.full(2, shift)
        axes = [Axis(-math.inf, math.inf, 0.0, 1.0, "gaussian", (0.0, shift))] * 2
        example = f"ρ={sign * rho!r}, s={shift!r}"
        try:
            oracle = joint_kl_by_cubature(
                lambda x: gaussian_log_density_by_cholesky(x, np.zeros(2), cov), lambda x: gaussian_log_density_by_cholesky(x, mean_g, np.eye(2)), axes
            )
        except OracleError:
            tally.fail("cubature: correlated gaussian kl, 2-D", example)
            continue
        with mpmath.workdps(DIGITS):
            true = float(_mp(shift) ** 2 - mpmath.log1p(-(_mp(rho) ** 2)) / 2)
        method = "nested-quad" if oracle.how.startswith("nested") else "cubature"
        found.append(Observation(method, "correlated gaussian kl, 2-D", oracle.value, oracle.error, true, DENSITY_ROUNDING * max(abs(true), 1.0), example, ("normal",)))
    return found


def _moment_observations(count: int, seed: int, tally: _Tally) -> list[Observation]:
    """Affine-Gaussian moments by cubature (n = 1, 2; κ(AAᵀ) ≤ 10⁴, as the property draws), per component."""
    from theorems.gaussian_density.check import gaussian_log_density_by_cholesky, gaussian_moments_by_cubature, moment_tolerance
    from theorems.oracles.quadrature import OracleError
    from theorems.strategies.gaussian import affine_gaussian_cases

    found = []
    for case in _draw(affine_gaussian_cases(dim=(1, 2), max_log10_condition=4.0), count, seed):
        n, cov = case.dim, case.covariance()
        example = f"A={case.matrix.tolist()!r}, b={case.shift.tolist()!r}"
        try:
            estimate, error = gaussian_moments_by_cubature(lambda x: gaussian_log_density_by_cholesky(x, case.shift, cov), case.matrix, case.shift)
        except OracleError:
            tally.fail(f"cubature: affine gaussian moments, {n}-D", example)
            continue
        with mpmath.workdps(50):
            matrix = mpmath.matrix(case.matrix.tolist())
            product = matrix * matrix.T
            second = [float(product[i, j]) for i in range(n) for j in range(n)]
        expected = [1.0, *([0.0] * n), *second]
        rounding, _ = moment_tolerance(case.matrix, case.shift, float(estimate[-1]), 4)
        # As the check: Σ = fl(AAᵀ) is off by n·u·(|A||A|ᵀ) entrywise (Higham 2002 §3.5).
        products = (np.abs(case.matrix) @ np.abs(case.matrix).T).reshape(-1)
        allowance = rounding + np.concatenate([np.zeros(1 + n), 2 * n * U64 * products])
        names = ["mass"] + ["mean"] * n + ["second moment"] * (n * n)
        for component, name in enumerate(names):
            found.append(
                Observation("cubature", f"affine gaussian {name}, {n}-D", float(estimate[component]), float(error[component]), expected[component], float(allowance[component]), f"{example}, component {component}", ("normal",))
            )
    return found


# Fixed examples, drawn by no strategy: configurations an earlier record found at the top
# of s*, scanned finely so that the record holds the peak of each resonance rather than
# wherever a draw happened to land on it. Their families' names start with FIXED.
FIXED = "fixed: "
# The first record's worst integral (s* = 1.79): a 3-D joint mass at rtol 1e-3 whose
# first axis is a mixture with a narrow component of standard deviation 0.368 (names
# round to 3 digits, so these are the parameters as printed). The scan moves that
# standard deviation across the band where the estimate is optimistic.
RESONANCE_F = ((0.395, 5.96e-08, 0.55, 2.17), (1.03, 1.0), (1.09, 0.521))
RESONANCE_G = ((1.5, 1.03), (1.23, 0.848), (-0.853, 0.771))
RESONANCE_SCAN = tuple(float(sd) for sd in np.linspace(0.362, 0.374, 25))


def _resonance_observations(tally: _Tally) -> list[Observation]:
    """``∫ f = 1`` by 3-D cubature (rtol 1e-3) across the resonance of the first record's worst integral."""
    from theorems.oracles.densities import normal_density, normal_mixture_density

    (weight, mean1, mean2, sd2), *normals = RESONANCE_F
    gs = [normal_density(mean, sd) for mean, sd in RESONANCE_G]
    pairs_list = [
        list(zip([normal_mixture_density(weight, mean1, sd, mean2, sd2), *(normal_density(mean, sd_) for mean, sd_ in normals)], gs)) for sd in RESONANCE_SCAN
    ]
    return _joint_observations(pairs_list, 1e-3, f"{FIXED}3-D joint", tally, {}, kl=False)


# The draws (examples before removing repeats) and their seeds, at --scale 1.
DRAWS = {
    "density pairs (quad)": (400, 1),
    "gaussian pairs, 1-D (quad)": (200, 2),
    "2-D joints (cubature)": (150, 3),
    "3-D joints (cubature)": (60, 4),
    "correlated gaussians, 2-D (cubature)": (40, 5),
    "affine gaussian moments (cubature)": (150, 6),
}


def measure(scale: float = 1.0) -> tuple[list[Observation], _Tally]:
    """Every observation of the record (``DRAWS`` counts times ``scale``), and what failed on the way."""
    from hypothesis import strategies as st

    from theorems.strategies.kl import density_pairs, densities

    tally, cache = _Tally({}, {}), {}
    counts = {name: max(1, round(count * scale)) for name, (count, _) in DRAWS.items()}
    seeds = {name: seed for name, (_, seed) in DRAWS.items()}
    light = ("normal", "laplace", "logistic", "student-t", "mixture", "uniform")  # tests/kl/test_kl.py's LIGHT_FAMILIES
    observations = _density_observations(counts["density pairs (quad)"], seeds["density pairs (quad)"], tally, cache)
    observations += _gaussian_pair_observations(counts["gaussian pairs, 1-D (quad)"], seeds["gaussian pairs, 1-D (quad)"], tally)
    observations += _figure_observations()
    two = _draw(st.lists(density_pairs(min_nu=3.0, families=light), min_size=2, max_size=2), counts["2-D joints (cubature)"], seeds["2-D joints (cubature)"])
    observations += _joint_observations(two, 1e-6, "2-D joint", tally, cache)
    three_strategy = st.tuples(
        st.tuples(densities(families=("normal", "mixture")), densities(families=("normal",))),
        st.lists(st.tuples(densities(families=("normal",)), densities(families=("normal",))), min_size=2, max_size=2),
    )
    three = [[first, *others] for first, others in _draw(three_strategy, counts["3-D joints (cubature)"], seeds["3-D joints (cubature)"])]
    observations += _joint_observations(three, 1e-3, "3-D joint", tally, cache)
    observations += _correlated_observations(counts["correlated gaussians, 2-D (cubature)"], seeds["correlated gaussians, 2-D (cubature)"], tally)
    observations += _moment_observations(counts["affine gaussian moments (cubature)"], seeds["affine gaussian moments (cubature)"], tally)
    observations += _resonance_observations(tally)
    return _unique(observations), tally


# --- the summary and the factor ---------------------------------------------------------------


def _quantile(values: list[float], q: float) -> float | None:
    return float(np.quantile(values, q, method="higher")) if values else None


def _finite(x: float) -> float | str:
    return x if math.isfinite(x) else "inf"


def _summary(observations: list[Observation]) -> dict[str, Any]:
    """Counts by class, ρ's quantiles over resolved integrals (and, as noise, over those at rounding), the largest ``s*``, the worst."""
    kinds = {kind: sum(o.kind == kind for o in observations) for kind in ("exact", "rounding", "resolved", "zero_estimate")}
    resolved = sorted(o.ratio for o in observations if o.kind == "resolved")
    noise = sorted(o.ratio for o in observations if o.kind == "rounding" and o.estimate > 0)
    worst = max(observations, key=lambda o: (o.required, o.ratio if o.kind != "rounding" else 0.0, o.ratio), default=None)
    return {
        "n": len(observations),
        **kinds,
        "ratio_resolved": {"n": len(resolved), "max": _quantile(resolved, 1.0), **{f"q{q:g}": _quantile(resolved, q) for q in QUANTILES}},
        "ratio_at_rounding": {"n": len(noise), "max": _quantile(noise, 1.0), **{f"q{q:g}": _quantile(noise, q) for q in QUANTILES}},
        "largest_required": _finite(max((o.required for o in observations), default=0.0)),
        "worst": None
        if worst is None
        else {
            "family": worst.family,
            "example": worst.example,
            "value": worst.value,
            "true": worst.true,
            "error": worst.error,
            "estimate": worst.estimate,
            "rounding": worst.rounding,
            "ratio": _finite(worst.ratio),
            "required": _finite(worst.required),
            "kind": worst.kind,
        },
    }


def summarise(observations: list[Observation], tally: _Tally | None = None) -> dict[str, Any]:
    """The record: per method (drawn examples), per method and family, per method and family present; the factor.

    ``methods`` summarises the drawn examples only (what the suite meets); ``families``
    lists the fixed family too, and the derivation takes every observation.
    """
    methods = sorted({o.method for o in observations})
    record: dict[str, Any] = {"methods": {}, "families": {}, "families_present": {}}
    for method in methods:
        mine = [o for o in observations if o.method == method]
        record["methods"][method] = _summary([o for o in mine if not o.family.startswith(FIXED)])
        record["families"][method] = {family: _summary([o for o in mine if o.family == family]) for family in sorted({o.family for o in mine})}
        drawn = [o for o in mine if not o.family.startswith(FIXED)]
        record["families_present"][method] = {tag: _summary([o for o in drawn if tag in o.tags]) for tag in sorted({t for o in drawn for t in o.tags})}
    if tally is not None:
        record["oracle_failures"] = {key: {"count": len(examples), "first": examples[0]} for key, examples in sorted(tally.oracle_failures.items())}
        record["reference_unresolved"] = {key: {"count": len(examples), "first": examples[0]} for key, examples in sorted(tally.reference_unresolved.items())}
        record["reference_check"] = tally.reference_check
    record["derivation"] = derivation(observations)
    return record


def derived_safety(largest_required: float, *, margin: float = MARGIN) -> float:
    """The factor: the smallest power of two ``≥ max(1, margin × largest s*)``.

    ``largest s*`` is the largest factor any recorded integral needed, over every method
    and family, drawn or fixed (one constant serves every check). ``margin`` (a decade)
    is headroom for the draws the record did not make: with ``N`` integrals a new one
    exceeds the largest seen with probability ``≤ 1/(N + 1)`` (exchangeability), and a
    thorough run draws thousands; the record's largest needs come from resonances (the
    Gauss and Kronrod sums of a region agreeing by accident), whose peak over a fine
    scan of the worst configuration is within 1.5× of the drawn value (the fixed
    family), so a decade covers one resonance peaking several times higher than any
    seen. The floor 1: the factor never allows less than the integrator's own estimate,
    which the checks state as the oracle's error bar. A power of two, so ``factor × E``
    is exact.
    """
    if not math.isfinite(largest_required):
        raise ValueError(f"largest_required={largest_required!r}: an estimate of 0 with an error beyond rounding; no factor covers it")
    return float(2.0 ** math.ceil(math.log2(max(1.0, margin * largest_required))))


def derivation(observations: list[Observation]) -> dict[str, Any]:
    """The factor derived from every observation, with the numbers it rests on."""
    largest = max((o.required for o in observations), default=0.0)
    drawn = max((o.required for o in observations if not o.family.startswith(FIXED)), default=0.0)
    return {
        "rule": "smallest power of two >= max(1, MARGIN x largest s*), s* = max(0, |Q - I| - R) / E over every method and family",
        "margin": MARGIN,
        "largest_required": _finite(largest),
        "largest_required_drawn": _finite(drawn),
        "factor": derived_safety(largest) if math.isfinite(largest) else "inf",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.quadrature_record", description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=DEFAULT_RECORD, help=f"where to write the record (default {DEFAULT_RECORD})")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every draw count by this (default 1)")
    arguments = parser.parse_args(argv)
    if not arguments.scale > 0:
        parser.error(f"--scale must be positive, got {arguments.scale}")
    started = time.process_time()
    observations, tally = measure(arguments.scale)
    record = {
        "what": "true error / estimated error of the suite's quadrature oracles on integrals with known values (tools.quadrature_record)",
        "command": f"python -m tools.quadrature_record --scale {arguments.scale:g}",
        "versions": {package: version(package) for package in ("scipy", "numpy", "hypothesis", "mpmath")},
        "draws": {name: {"examples": max(1, round(count * arguments.scale)), "seed": seed} for name, (count, seed) in DRAWS.items()},
        "settings": current_settings(),
        **summarise(observations, tally),
        "cpu_seconds": round(time.process_time() - started, 1),
        "provenance": provenance(MEASURED_MODULES),
    }
    for method, summary in record["methods"].items():
        ratio = summary["ratio_resolved"]
        print(
            f"{method}: {summary['n']} integrals ({summary['exact']} exact, {summary['rounding']} at rounding, {summary['resolved']} resolved, "
            f"{summary['zero_estimate']} zero estimates); ρ over resolved: max {ratio['max']}, q0.99 {ratio['q0.99']}; largest s* {summary['largest_required']}"
            + (f"; worst: {summary['worst']['family']}" if summary["worst"] else "")
        )
    print(f"derived QUADRATURE_SAFETY = {record['derivation']['factor']} ({record['cpu_seconds']} s of CPU)")
    if not write_record(arguments.json, record, "python -m tools.quadrature_record"):
        return 2
    return 0


def current_settings() -> dict[str, Any]:
    """The oracles' default tolerances the record was measured with (a test compares them with today's)."""
    import inspect

    from theorems.oracles.densities import joint_kl_by_cubature
    from theorems.oracles.quadrature import integral_by_quad, integrals_by_cubature

    def defaults(function: Callable[..., Any]) -> dict[str, Any]:
        return {name: p.default for name, p in inspect.signature(function).parameters.items() if p.default is not inspect.Parameter.empty and isinstance(p.default, (int, float))}

    return {
        "integral_by_quad": defaults(integral_by_quad),
        "integrals_by_cubature": defaults(integrals_by_cubature),
        "joint_kl_by_cubature": defaults(joint_kl_by_cubature),
        "joint_rtol_used": {"2-D": 1e-6, "3-D": 1e-3},  # tests/kl/test_kl.py's additivity properties
    }


if __name__ == "__main__":
    sys.exit(main())
