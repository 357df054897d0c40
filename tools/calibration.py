"""Calibrated statistics: each random check run many times, on correct and on wrong input.

A random check states a false-alarm probability α and a power 1 − β against a stated
error. Both are claims about the check's machinery that can be measured:

- **false alarms**: run the check ``runs`` times on the *correct* value, each with fresh
  randomness, at a calibration level ``α_cal`` large enough to be measurable (the
  suite's own per-check α is ~1e-8, which no experiment of this size could see); the
  same code path computes the threshold for every α, so a check calibrated at ``α_cal``
  is calibrated by construction elsewhere in its range, up to the normal
  approximation's tail accuracy (stated, not measured, below 1e-3).
- **power**: run it ``runs`` times on a value off by the stated detectable error, at
  the α the ``ci`` profile actually uses.

Each measured rate comes with a 99 % Clopper–Pearson interval (``scipy.stats.binomtest``).
The check is calibrated when the false-alarm interval's lower end does not exceed the
calibration α (the rate cannot be shown to be higher) and the *measured* power is at
least the stated one: a stated power is a claim the record must support, so a point
estimate below it is reported plainly as such, even when the interval still reaches it.

Run it with ``python -m tools.calibration [--runs N] [--json PATH]`` (``make calibrate``).
It writes ``{"provenance": …, "checks": [one object per check]}``; the provenance
(:mod:`theorems.provenance`) hashes the modules the checks live in. A record written
before provenance was kept is the bare list of checks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from scipy import stats

from theorems.oracles.statistics import RandomCheck
from theorems.provenance import provenance, write_record

__all__ = ["CalibrationResult", "RandomCheck", "calibrate", "random_checks"]

CALIBRATION_ALPHA = 0.01
INTERVAL_CONFIDENCE = 0.99


@dataclass(frozen=True)
class CalibrationResult:
    name: str
    theorem_id: str
    runs: int
    calibration_alpha: float
    false_alarms: int
    false_alarm_interval: tuple[float, float]
    stated_alpha: float
    detectable: str
    detections: int
    power_interval: tuple[float, float]
    stated_power: float

    @property
    def measured_power(self) -> float:
        return self.detections / self.runs

    @property
    def calibrated(self) -> bool:
        return self.false_alarm_interval[0] <= self.calibration_alpha and self.measured_power >= self.stated_power

    def verdict(self) -> str:
        if self.false_alarm_interval[0] > self.calibration_alpha:
            return "NOT CALIBRATED: more false alarms than stated"
        if self.measured_power < self.stated_power:
            return f"NOT CALIBRATED: measured power {self.measured_power:.3f} is below the stated {self.stated_power}"
        return "calibrated"


def _interval(successes: int, runs: int) -> tuple[float, float]:
    interval = stats.binomtest(successes, runs).proportion_ci(confidence_level=INTERVAL_CONFIDENCE, method="exact")
    return float(interval.low), float(interval.high)


def calibrate(check: RandomCheck, runs: int) -> CalibrationResult:
    """Run ``check`` ``runs`` times on the correct value at ``CALIBRATION_ALPHA`` and on the wrong one at its α."""
    stated_alpha = check.stated_alpha()
    false_alarms = sum(check.alarm(seed, CALIBRATION_ALPHA, False) for seed in range(runs))
    detections = sum(check.alarm(runs + seed, stated_alpha, True) for seed in range(runs))
    return CalibrationResult(
        name=check.name,
        theorem_id=check.theorem_id,
        runs=runs,
        calibration_alpha=CALIBRATION_ALPHA,
        false_alarms=false_alarms,
        false_alarm_interval=_interval(false_alarms, runs),
        stated_alpha=stated_alpha,
        detectable=check.detectable,
        detections=detections,
        power_interval=_interval(detections, runs),
        stated_power=check.stated_power,
    )


def random_checks() -> tuple[RandomCheck, ...]:
    """Every random check of the suite: each theorem's ``check.random_checks()``, where it samples (built
    when called: importing a check builds no calibration experiment, and a check built then sees its
    module as it is, a mutant switched on or an estimate monkeypatched)."""
    import importlib

    from theorems._engine.registry import theorem_packages

    checks: list[RandomCheck] = []
    for package in theorem_packages():
        build = getattr(importlib.import_module(f"{package}.check"), "random_checks", None)
        checks.extend(build() if build is not None else ())
    return tuple(checks)


def measured_modules(checks: Iterable[RandomCheck]) -> list[str]:
    """The modules a calibration measures: each check's own (its alarm and its stated α), the
    modules of the same theorem package that those draw on (``theorems.variance.check`` runs the
    estimate of ``theorems.variance.monte_carlo`` on the values of ``theorems.variance.math``), the
    statistics they share, and this module's counting."""
    found = {"tools.calibration", "theorems.oracles.statistics"}  # by name: run as a script, __name__ is __main__
    for check in checks:
        own = {module for module in (getattr(check.alarm, "__module__", None), getattr(check.stated_alpha, "__module__", None)) if module}
        found.update(own, *(_package_modules_used_by(module) for module in own))
    return sorted(found)


def _package_modules_used_by(name: str) -> set[str]:
    """The modules of ``name``'s own package whose functions or classes it imports."""
    module = sys.modules.get(name)
    package = name.rpartition(".")[0]
    if module is None or not package:
        return set()
    return {
        source for source in (getattr(value, "__module__", None) for value in vars(module).values())
        if isinstance(source, str) and source.startswith(f"{package}.") and source != name
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.calibration", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per check and per side (default 200)")
    parser.add_argument("--json", type=Path, default=Path("reports/calibration.json"), help="where to write the results")
    parser.add_argument("--only", action="append", help="calibrate only this check (repeatable)")
    arguments = parser.parse_args(argv)
    if arguments.runs < 1:
        parser.error(f"--runs must be at least 1, got {arguments.runs}")
    from theorems.profiles import load_profile

    load_profile("ci")  # the α each check states is the one the ci profile runs with
    results = []
    for check in random_checks():
        if arguments.only and check.name not in arguments.only:
            continue
        result = calibrate(check, arguments.runs if check.runs is None else min(arguments.runs, check.runs))
        results.append(result)
        low, high = result.false_alarm_interval
        plow, phigh = result.power_interval
        print(
            f"{check.name}: false alarms {result.false_alarms}/{result.runs} at α={CALIBRATION_ALPHA} "
            f"(99% CI {low:.4f}–{high:.4f}); detected {result.detections}/{result.runs} of a {check.detectable} error "
            f"at α={result.stated_alpha:.1e} (99% CI {plow:.3f}–{phigh:.3f}, stated power {check.stated_power}) "
            f"{result.verdict()}",
            flush=True,
        )
    record = {
        "provenance": provenance(measured_modules(check for check in random_checks() if not arguments.only or check.name in arguments.only)),
        "checks": [asdict(result) | {"calibrated": result.calibrated} for result in results],
    }
    if not write_record(arguments.json, record, "python -m tools.calibration"):
        return 2
    return 0 if all(result.calibrated for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
