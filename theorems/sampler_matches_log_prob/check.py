r"""Beyond the notes · a univariate law's ``sample()`` and ``rsample()`` draw the law of its own ``log_prob``.

For a class ``L`` (torch's, a subclass, or any ``Distribution`` a user writes) with ``event_shape ()``, built as in
log-prob-normalises from values its ``arg_constraints`` admit, and ``F`` the distribution function of the law
whose density (mass) is proportional to ``p = exp(log_prob)``, each batch element's draws of ``sample()``, and of
``rsample()`` where the class implements it (NotImplementedError is no claim), are i.i.d. with distribution
function ``F``. Oracle: :mod:`theorems.sampler_matches_log_prob.oracle` (``log_prob`` alone, never the class's
cdf, icdf or sampler).

**The draws.** ``n =`` :data:`SAMPLES` per batch element and method, ``method(torch.Size([n]))``, under torch's CPU
generator forked (``torch.random.fork_rng``) and seeded from the example (``sample`` and ``rsample`` from two
seeds), so that an example replays exactly and the caller's generator is left as it was. They must have the shape
``(n, batch)``, no NaN, and lie in the support (a continuous law's closure: an open end is reached only when a
value rounds onto it, ``exp`` underflowing to 0); each of these failing falsifies outright.

**The statistic** (one check per batch element and method, at most :data:`CHECKS_PER_EXAMPLE` an example). With
``F_n`` the draws' empirical distribution function, by the Dvoretzky–Kiefer–Wolfowitz inequality with Massart's
constant (Massart, Ann. Probab. 18 (1990)),

    P(sup_x |F_n(x) − F(x)| > ε) ≤ 2 exp(−2nε²)        for every n and every law

(continuous or not: with ``X = F⁻¹(U)`` for uniforms ``U``, ``F_n(x) = U_n(F(x))``, and the sup over the range of
``F`` is at most ``U_n``'s), so ``ε = √(ln(2/α)/(2n))`` (:func:`~theorems.oracles.statistics.dkw_threshold`) false-alarms with probability at
most ``α`` at every set of points at once. ``α`` is this theorem's ``false_alarm_share`` (9e-8 of the suite's
family-wise 1e-6) over the run's examples and the recorded finding's example the engine replays after it, ×
:data:`CHECKS_PER_EXAMPLE` (:func:`false_alarm`): at ci, 27 + 2 examples, ``α = 5.2e-10`` and ``ε = 0.0192`` at
``n = 30,000`` (thorough, 540 + 1 examples: ``α = 2.8e-11``, ``ε = 0.0204``).
The points ``x_j``: a continuous law's quantiles at the oracle's ``LEVELS``; every integer of a discrete law's
window. A point falsifies when

    F(x_j) − F_n(x_j + δ_j) > ε + b_j    or    F_n(x_j − δ_j) − F(x_j) > ε + b_j,

``b_j`` the oracle's bar and ``δ_j = γ_64 (|c| + |x_j − c|)`` a continuous draw's own rounding (a sampler forms
``x`` from a location near the density's top ``c`` and an offset, ``loc + scale·z`` or a product ``d·v``, each
operation rounded; 0 on the integers, whose draws are exact): the exact draw ``X`` and the rounded ``X̃`` satisfy
``{X̃ ≤ x − δ} ⊆ {X ≤ x} ⊆ {X̃ ≤ x + δ}``, so a correct sampler's rounding never falsifies beyond ``α``.

**Power.** A sampler whose law ``G`` has ``|G(x_j) − F(x_j)| ≥ 2ε + b_j + (F(x_j + δ_j) − F(x_j − δ_j))`` at some
point is caught with probability at least ``1 − α`` (DKW again: ``|F_n − G| ≤ ε`` there with that probability),
and with probability 0.99 from ``ε + √(ln(200)/(2n))`` (:func:`~theorems.oracles.statistics.dkw_detectable_distance`):
at ci ``2ε = 0.0383`` and ``0.0286``. A tail cut at the 99.9 % quantile moves ``F`` by 0.001 at most, which no
``n`` of this cost can see (2ε ≤ 0.001 takes ``n ≈ 4·10⁷``); the catalogue's one-tailed mistake cuts 6 % of a Cauchy's mass.

An example the oracle cannot decide (its bar beyond its limits, a point nearer an end than its nodes reach) is
rejected and counted, never a verdict; the draws' checks of shape, NaN and support come before it and need none.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from theorems.calling import call_implementation
from theorems.evidence import Evidence, implementation_failure
from theorems.finding import RecordedErrors, recorded_errors
from theorems.log_prob_normalises.check import Built, build_law, nan_mass, torch_family
from theorems.log_prob_normalises.oracle import LogProbFailed, Undecidable, is_discrete_support, support_ends
from theorems.oracles.false_alarms import per_check_false_alarm, planned_examples
from theorems.oracles.statistics import dkw_detectable_distance, dkw_threshold
from theorems.oracles.tolerance import U64, gamma
from theorems.profiles import loaded_profile_examples
from theorems.sampler_matches_log_prob.case import SamplerCase
from theorems.sampler_matches_log_prob.oracle import Grid, distribution_function
from theorems.sampler_matches_log_prob.statement import SAMPLER_MATCHES_LOG_PROB
from theorems.theorem import InvalidInput, undecided

__all__ = [
    "CHECKS_PER_EXAMPLE", "METHODS", "NOT_CHECKED", "SAMPLES", "check_sampler_matches_log_prob", "detectable_distance", "false_alarm",
    "gaps", "random_checks",
]

THEOREM_ID = "sampler-matches-log-prob"
# Draws per batch element and method: ε = 0.0192 at ci's α, below the catalogue's mistakes (0.05 and more at a point).
# Drawing and sorting 30,000 costs 1 to 25 ms (Beta's pair of gammas the most), below the oracle's cubature; the
# theorem's ci time is held near 3 s so (50,000 would buy ε = 0.0149 for about 0.5 s more a run).
SAMPLES = 30_000
METHODS = ("sample", "rsample")
# Checks of one example: the largest batch (3) times the methods; a smaller example spends less than its share.
CHECKS_PER_EXAMPLE = 3 * len(METHODS)
# Rounded operations a sampler takes to form a draw from its uniforms (the closed forms' count of the other theorems).
SAMPLER_OPERATIONS = 64
# The most mass log_prob's recorded NaNs may hide for an example to be decided: four roundings of a probability.
NAN_MASS_LIMIT = 4 * U64
# Power stated beside 1 − α (and calibrated by `make calibrate`).
STATED_POWER = 0.99
_NOT_IMPLEMENTED = object()


def _not_checked() -> dict[str, str]:
    from theorems.log_prob_normalises.check import NOT_CHECKED as SHARED

    return dict(SHARED)


# The classes torch.distributions exports that the reference run does not check, and why: log-prob-normalises'
# (multivariate laws, wrappers, abstract bases), as its families are this theorem's.
NOT_CHECKED = _not_checked()


def false_alarm() -> float:
    """α of one check: the theorem's share over the run's examples (the engine's plan, else the loaded profile's
    examples scaled by the theorem's fraction) and the recorded findings' examples, which the engine replays after
    a run that holds, × :data:`CHECKS_PER_EXAMPLE`."""
    from theorems.sampler_matches_log_prob.findings import FINDINGS

    examples = planned_examples() or max(1, math.ceil(loaded_profile_examples() * SAMPLER_MATCHES_LOG_PROB.example_fraction))
    examples += sum(finding.example is not None for finding in FINDINGS)
    return per_check_false_alarm(SAMPLER_MATCHES_LOG_PROB.false_alarm_share, checks_per_example=CHECKS_PER_EXAMPLE, examples=examples)


def detectable_distance(alpha: float) -> float:
    """``ε_α + ε_β`` at :data:`STATED_POWER`: a law this far from ``F`` at a point is caught with that probability."""
    return dkw_detectable_distance(SAMPLES, alpha, STATED_POWER)


def gaps(ordered: np.ndarray, x: np.ndarray, value: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per point, how far the draws' share lies outside ``F`` beyond their rounding ``shift``: ``max(F(x) − F_n(x + δ),
    F_n(x − δ) − F(x), 0)``, and the share at ``x`` itself. ``ordered``: one batch element's draws, sorted."""
    n = len(ordered)
    above = np.searchsorted(ordered, x + shift, side="right") / n
    below = np.searchsorted(ordered, x - shift, side="right") / n
    at = np.searchsorted(ordered, x, side="right") / n
    return np.maximum(np.maximum(value - above, below - value), 0.0), at


def _require_case(case: object) -> SamplerCase:
    if not isinstance(case, SamplerCase):
        raise InvalidInput(f"{THEOREM_ID} checks a SamplerCase (theorems.sampler_matches_log_prob.case), got {type(case).__name__}")
    return case


def _draw(law: Any, method: str) -> Any:
    try:
        return getattr(law, method)(torch.Size([SAMPLES]))
    except NotImplementedError:
        return _NOT_IMPLEMENTED


def _shaped(batch: int) -> Any:
    def expect(value: Any) -> tuple[Any, str | None]:
        if value is _NOT_IMPLEMENTED:
            return value, None
        if not isinstance(value, torch.Tensor) or tuple(value.shape) != (SAMPLES, batch):
            return value, f"returned {type(value).__name__} of shape {tuple(getattr(value, 'shape', ()))}, expected a tensor of shape ({SAMPLES}, {batch}) (sample_shape + batch_shape)"
        return value.detach(), None

    return expect


def _draws(built: Built, case: SamplerCase) -> dict[str, torch.Tensor] | Evidence:
    """Each method's draws, under torch's generator forked and seeded from the example (one seed a method: the guard
    puts the generator back after each call, and the same seed would give torch's sample and rsample the same draws)."""
    found: dict[str, torch.Tensor] = {}
    with torch.random.fork_rng(devices=[]):
        for index, method in enumerate(METHODS):
            torch.random.default_generator.manual_seed(case.seed + (index << 32))
            drawn = call_implementation(THEOREM_ID, built.example, _draw, (built.law, method), ("law", "method"), expect=_shaped(case.batch))
            if isinstance(drawn, Evidence):
                return implementation_failure(THEOREM_ID, built.example, f"{method}: {drawn.failure}")
            if drawn is not _NOT_IMPLEMENTED:
                found[method] = drawn
    return found


def check_sampler_matches_log_prob(implementation: Any, case: SamplerCase) -> Evidence:
    """Build the class (the example's torch family for the reference), draw from it and compare with the oracle's F."""
    case = _require_case(case)
    built = build_law(implementation, case.draw, THEOREM_ID)
    if built.refusal is not None:
        return built.refusal
    drawn = _draws(built, case)
    if isinstance(drawn, Evidence):
        return drawn
    if not drawn:
        undecided(f"{built.example} implements neither sample nor rsample: the theorem claims nothing of it")
    for method, values in drawn.items():
        if torch.isnan(values.double()).any():
            index = int(torch.isnan(values.double()).nonzero()[0, 1])
            return implementation_failure(THEOREM_ID, built.example, f"{method}() drew NaN (batch index {index})")
    if implementation is torch_family:
        drawn = {method: _recorded_draws(case, values) for method, values in drawn.items()}
    outside = _outside_support(built, drawn, case.batch)
    if outside is not None:
        return outside
    hidden = nan_mass(built, case.batch)  # log_prob's recorded NaNs, read as −∞, hide at most this much mass
    if np.any(hidden > NAN_MASS_LIMIT):
        undecided(f"the oracle cannot decide {built.example}: its log_prob is NaN (a recorded defect) where up to {float(np.max(hidden)):.3g} of its mass lies")
    try:
        grid = distribution_function(built.law, case.batch, built.terms)
    except LogProbFailed as failure:
        return implementation_failure(THEOREM_ID, built.example, str(failure))
    except Undecidable as why:
        undecided(f"the oracle cannot decide {built.example}: {why}")
    grid = Grid(grid.x, grid.value, grid.bar + 2 * hidden, grid.centre, grid.discrete, grid.how)  # hidden mass moves F by at most twice itself
    recorded = _recorded(case, grid.x) if implementation is torch_family else None
    alpha = false_alarm()
    found = [
        _element_evidence(built.example, method, values.double().numpy()[:, i], grid, i, alpha, recorded)
        for method, values in drawn.items() for i in range(case.batch)
    ]
    return max(found, key=lambda evidence: evidence.ratio)


def _recorded(case: SamplerCase, x: np.ndarray) -> RecordedErrors | None:
    """Inside a recorded finding, the reference (torch's own classes) is held to its error model at the points ``x``."""
    from theorems.sampler_matches_log_prob.findings import FINDINGS, At

    recorded = recorded_errors(FINDINGS, THEOREM_ID, case)
    return RecordedErrors(recorded.findings, At(case, x)) if recorded is not None else None


def _recorded_draws(case: SamplerCase, values: torch.Tensor) -> torch.Tensor:
    """Inside a recorded finding whose model names a value torch draws for a count beyond its range (``returns``: −2^63,
    torch.poisson's int64 overflow), those draws are the counts they stand for, above every point: +∞."""
    recorded = _recorded(case, np.zeros((1, case.batch)))
    if recorded is None:
        return values
    values = values.double().clone()
    for i in range(case.batch):
        for value in torch.unique(values[:, i]).tolist():
            if recorded.wrong_value(i, value) is not None:
                values[values[:, i] == value, i] = math.inf
    return values


def _outside_support(built: Built, drawn: dict[str, torch.Tensor], batch: int) -> Evidence | None:
    """Failure evidence for a draw outside the support (a continuous law's closure: module docstring), else None."""
    support = built.law.support
    for method, values in drawn.items():
        if is_discrete_support(support):
            inside = support.check(values.double()) | torch.isposinf(values.double())  # +∞: a recorded count past the range (_recorded_draws)
        else:
            try:
                a, b = (torch.from_numpy(end) for end in support_ends(support, batch))
            except Undecidable as why:
                undecided(f"{built.example}: {why}")
            inside = (values.double() >= a) & (values.double() <= b)
        if not bool(inside.all()):
            row, i = (int(k) for k in (~inside).nonzero()[0])
            return implementation_failure(
                THEOREM_ID, built.example, f"{method}() drew {float(values[row, i]):.17g}, outside the support {built.law.support!r} (batch index {i})"
            )
    return None


def _element_evidence(example: str, method: str, draws: np.ndarray, grid: Grid, i: int, alpha: float, recorded: RecordedErrors | None) -> Evidence:
    """The worst point of one batch element's draws (module docstring), held inside a recorded finding to its error model."""
    x, value, bar = grid.x[:, i], grid.value[:, i], grid.bar[:, i]
    shift = np.zeros_like(x) if grid.discrete else gamma(SAMPLER_OPERATIONS, U64) * (np.abs(grid.centre[i]) + np.abs(x - grid.centre[i]))
    offset, allowance, model = np.zeros_like(x), np.zeros_like(x), ""
    if recorded is not None:
        offset = np.broadcast_to(np.asarray(recorded.offset(), dtype=float), grid.x.shape)[:, i]
        allowance = np.broadcast_to(np.asarray(recorded.allowance(), dtype=float), grid.x.shape)[:, i]
        model = f"; the recorded defect's error model ({recorded.reason()}): the law torch draws"
    gap, share = gaps(np.sort(draws), x, value + offset, shift)
    epsilon = dkw_threshold(SAMPLES, alpha)
    tolerance = epsilon + bar + allowance
    j = int(np.argmax(gap / tolerance))
    rounding = "" if grid.discrete else f", the draws' rounding δ = {float(shift[j]):.2e} taken against them"
    return Evidence(
        THEOREM_ID, example,
        f"F(x) = {float(value[j] + offset[j]):.6g} at x = {float(x[j]):.17g} ({grid.how}; batch index {i}{model})",
        f"{float(share[j]):.6g}: the share of {SAMPLES} draws of {method}() at most x{rounding}",
        float(gap[j]), float(tolerance[j]),
        f"the DKW–Massart bound ε = √(ln(2/α)/2n) = {epsilon:.4f} at α = {alpha:.2e} (the theorem's share "
        f"{SAMPLER_MATCHES_LOG_PROB.false_alarm_share:g} over the run's examples and the recorded finding's, × {CHECKS_PER_EXAMPLE} checks) + the oracle's bar "
        f"{float(bar[j]):.1e}" + (f" + the model's rounding {float(allowance[j]):.1e}" if recorded is not None else "")
        + f"; a law off by {2 * epsilon + float(bar[j]):.4f} at a point is caught with probability ≥ 1 − α, "
        f"by {detectable_distance(alpha) + float(bar[j]):.4f} with probability ≥ {STATED_POWER}",
    )


# --- the check's statistic as a calibration experiment (make calibrate) -------------------------------


def _calibration_alarm(seed: int, alpha: float, wrong: bool) -> bool:
    """The check's statistic on draws of N(0, 1) at its quantiles of the oracle's levels, against N(0, 1)'s F; the
    wrong side draws N(μ, 1) with Φ(0) − Φ(−μ) the detectable distance at α (at the median, F is off by exactly that)."""
    from scipy import stats

    from theorems.sampler_matches_log_prob.oracle import LEVELS

    generator = torch.Generator().manual_seed(seed)
    shift = float(stats.norm.ppf(0.5 + detectable_distance(alpha))) if wrong else 0.0
    draws = (torch.randn(SAMPLES, generator=generator, dtype=torch.float64) + shift).numpy()
    x = stats.norm.ppf(np.asarray(LEVELS))
    gap, _ = gaps(np.sort(draws), x, stats.norm.cdf(x), np.zeros_like(x))
    return bool(np.any(gap > dkw_threshold(SAMPLES, alpha)))


def random_checks() -> tuple:
    from theorems.oracles.statistics import RandomCheck

    return (
        RandomCheck(
            name=f"{THEOREM_ID}: DKW bound on {SAMPLES} draws at the quantiles of a law",
            theorem_id=THEOREM_ID,
            detectable=f"{detectable_distance(false_alarm()):.4f} distribution-function (ε_α + ε_0.01 at the median, ci)",
            stated_alpha=false_alarm,
            stated_power=STATED_POWER,
            alarm=_calibration_alarm,
        ),
    )
