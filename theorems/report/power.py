"""The power of this suite: what it catches, and how often it cries wolf.

Two kinds of evidence meet in the report's "power of this suite" section:

- measured in the run itself: the catalogue of wrong implementations
  (``properties/wrong_*.py``), each run through its theorem's ``check``
  (:func:`theorems._engine.verify.verify_all`); :func:`catalogue_summary` reduces it
  to one row per theorem: how many were caught, and the smallest counterexample;
- measured by their own, slower commands and read here from the files they write
  (each read defensively: a missing file says which command makes it, a malformed one
  says what is wrong with it):

  ========================  ===================  ===============================
  file (under ``reports/``)  written by           what it holds
  ========================  ===================  ===============================
  ``calibration.json``       ``make calibrate``   stated vs measured false-alarm rate and power per random check
  ``flakiness.json``         ``make flakiness``   reseeded ``ci`` runs of the whole suite, and how many failed
  ``benchmarks.json``        ``make bench``       pytest-benchmark's JSON
  ``mutation.json``          ``make mutation``    ``{"tool", "killed", "survived", "total", "score", "survivors"}``
  ========================  ===================  ===============================

  ``make record`` copies them into ``measurements/``, committed with the code, which
  the report falls back to (and names) for any measurement not yet made on this machine;
  ``quadrature.json`` (``make quadrature-record``) is written there directly. The
  committed records install as the package data of ``theorems.measurements``, so that a
  report built from an installed wheel finds them; where an installation has none, the
  section says so in words.

This module reads the folders it is given (:func:`read_measurements`); which folders those
are (``reports/`` of the working directory, the installed records) is decided by whoever
assembles the report (:mod:`theorems._engine.report_context`), never by a path of the
source tree.

Each record shows where it came from (:mod:`theorems.provenance`): its commit and date,
and *stale* when the modules it measured have changed since; a record written before
provenance was kept is shown as such, never hidden.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from theorems.provenance import NO_PROVENANCE, RecordOrigin, record_origin
from theorems.results import WrongResult

__all__ = [
    "Measurement",
    "SuiteMeasurements",
    "TheoremPower",
    "catalogue_summary",
    "read_measurements",
]


@dataclass(frozen=True)
class TheoremPower:
    """One theorem's part of the catalogue: how many wrong implementations its check caught."""

    theorem_id: str
    caught: int
    total: int
    smallest_size: int | None
    smallest_example: str | None
    smallest_name: str | None
    missed: tuple[str, ...]

    @property
    def all_caught(self) -> bool:
        return self.caught == self.total


def catalogue_summary(results: tuple[WrongResult, ...], order: tuple[str, ...] = ()) -> list[TheoremPower]:
    """One row per theorem (in ``order``, then first appearance): caught/total and the smallest counterexample."""
    by_theorem: dict[str, list[WrongResult]] = {}
    for result in results:
        by_theorem.setdefault(result.theorem_id, []).append(result)
    ranked = sorted(by_theorem, key=lambda t: (order.index(t) if t in order else len(order), list(by_theorem).index(t)))
    rows = []
    for theorem_id in ranked:
        found = by_theorem[theorem_id]
        sized = [r for r in found if r.caught and r.counterexample_size is not None]
        smallest = min(sized, key=lambda r: r.counterexample_size or 0, default=None)
        rows.append(
            TheoremPower(
                theorem_id=theorem_id,
                caught=sum(r.caught for r in found),
                total=len(found),
                smallest_size=None if smallest is None else smallest.counterexample_size,
                smallest_example=None if smallest is None or smallest.run.counterexample is None else smallest.run.counterexample.example,
                smallest_name=None if smallest is None else smallest.name,
                missed=tuple(r.name for r in found if not r.caught),
            )
        )
    return rows


# --- measurements written by other commands --------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """What one file says: ``data`` when it was read, else ``note`` (not measured yet, or unreadable)."""

    path: str
    command: str
    data: Any = None
    note: str | None = None
    origin: RecordOrigin | None = None  # where a read record came from (None when none was read)

    @property
    def measured(self) -> bool:
        return self.note is None


@dataclass(frozen=True)
class SuiteMeasurements:
    """The measurements of the suite's own commands; ``records_note`` says why no recorded ones could be looked up."""

    calibration: Measurement
    flakiness: Measurement
    benchmarks: Measurement
    mutation: Measurement
    quadrature: Measurement | None = None
    records_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            name: (measurement.data if measurement.measured else {"not_measured": measurement.note, "path": measurement.path})
            for name, measurement in (
                ("calibration", self.calibration),
                ("flakiness", self.flakiness),
                ("benchmarks", self.benchmarks),
                ("mutation", self.mutation),
            )
        }


def _number(value: Any, name: str, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise ValueError(f"{name}={value!r} is not {'an integer' if integer else 'a number'}")
    if not math.isfinite(value):
        raise ValueError(f"{name}={value!r} is not finite")
    return value


def _interval(value: Any, name: str) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{name}={value!r} is not a [low, high] interval")
    return [_number(value[0], f"{name}[0]"), _number(value[1], f"{name}[1]")]


def parse_calibration(raw: Any) -> list[dict[str, Any]]:
    """Rows of ``reports/calibration.json`` (:mod:`tools.calibration`): measured rates beside the stated ones.

    The record is ``{"provenance", "checks": [...]}``, or the bare list of checks it was before provenance was kept.
    """
    if isinstance(raw, dict):
        raw = raw.get("checks")
    if not isinstance(raw, list):
        raise ValueError("expected a list of checks")
    rows = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"entry {index} is not an object")
        runs = int(_number(item.get("runs"), f"[{index}].runs", integer=True))
        if runs < 1:
            raise ValueError(f"[{index}].runs={runs} must be at least 1")
        false_alarms = int(_number(item.get("false_alarms"), f"[{index}].false_alarms", integer=True))
        detections = int(_number(item.get("detections"), f"[{index}].detections", integer=True))
        rows.append(
            {
                "name": str(item.get("name", f"check {index}")),
                "theorem_id": str(item.get("theorem_id", "")),
                "runs": runs,
                "calibration_alpha": _number(item.get("calibration_alpha"), f"[{index}].calibration_alpha"),
                "false_alarms": false_alarms,
                "false_alarm_rate": false_alarms / runs,
                "false_alarm_interval": _interval(item.get("false_alarm_interval"), f"[{index}].false_alarm_interval"),
                "stated_alpha": _number(item.get("stated_alpha"), f"[{index}].stated_alpha"),
                "detectable": str(item.get("detectable", "")),
                "detections": detections,
                "power": detections / runs,
                "power_interval": _interval(item.get("power_interval"), f"[{index}].power_interval"),
                "stated_power": _number(item.get("stated_power"), f"[{index}].stated_power"),
                "calibrated": bool(item.get("calibrated", False)),
            }
        )
    return rows


def parse_flakiness(raw: Any) -> dict[str, Any]:
    """``reports/flakiness.json`` (``make flakiness``): ``{"runs", "failures", "failed_seeds"?, "profile"?}``."""
    if not isinstance(raw, dict):
        raise ValueError("expected an object with runs and failures")
    runs = int(_number(raw.get("runs"), "runs", integer=True))
    failures = int(_number(raw.get("failures"), "failures", integer=True))
    if not 0 <= failures <= runs:
        raise ValueError(f"failures={failures} is not between 0 and runs={runs}")
    seeds = raw.get("failed_seeds", [])
    return {
        "runs": runs,
        "failures": failures,
        "failed_seeds": [int(s) for s in seeds] if isinstance(seeds, list) else [],
        "profile": str(raw.get("profile", "ci-reseeded")),
        "date": str(raw.get("date", "")),
    }


# A benchmark that times a batch names its size in extra_info; the table divides by it.
PER_UNIT = ("examples", "networks")


def per_unit(extra: Any, index: int) -> tuple[str | None, int]:
    """``(unit, count)`` of a batch benchmark (``extra_info`` of ``examples`` or ``networks``), else ``(None, 1)``."""
    for unit in PER_UNIT:
        if isinstance(extra, dict) and unit in extra:
            count = int(_number(extra[unit], f"benchmarks[{index}].extra_info.{unit}", integer=True))
            if count < 1:
                raise ValueError(f"benchmarks[{index}].extra_info.{unit} must be at least 1, got {count}")
            return unit[:-1], count
    return None, 1


def parse_benchmarks(raw: Any) -> dict[str, Any]:
    """pytest-benchmark's ``--benchmark-json``: one row per benchmark (seconds), and the machine."""
    if not isinstance(raw, dict) or not isinstance(raw.get("benchmarks"), list):
        raise ValueError("expected pytest-benchmark's JSON (an object with a benchmarks list)")
    rows = []
    for index, item in enumerate(raw["benchmarks"]):
        stats = item.get("stats") if isinstance(item, dict) else None
        if not isinstance(stats, dict):
            raise ValueError(f"benchmarks[{index}] has no stats")
        median = _number(stats.get("median"), f"benchmarks[{index}].stats.median")
        unit, count = per_unit(item.get("extra_info"), index)
        rows.append(
            {
                "name": str(item.get("name", f"benchmark {index}")),
                "group": str(item.get("group") or ""),
                "min": _number(stats.get("min"), f"benchmarks[{index}].stats.min"),
                "median": median,
                "mean": _number(stats.get("mean"), f"benchmarks[{index}].stats.mean"),
                "rounds": int(_number(stats.get("rounds"), f"benchmarks[{index}].stats.rounds", integer=True)),
                "per": {"unit": unit, "count": count, "median": median / count} if unit else None,
            }
        )
    rows.sort(key=lambda row: row["group"])
    machine = raw.get("machine_info") if isinstance(raw.get("machine_info"), dict) else {}
    cpu = machine.get("cpu") if isinstance(machine.get("cpu"), dict) else {}
    return {
        "benchmarks": rows,
        "machine": " · ".join(str(v) for v in (cpu.get("brand_raw"), cpu.get("count") and f"{cpu['count']} cores", machine.get("python_version")) if v),
        "date": str(raw.get("datetime", "")),
    }


def parse_mutation(raw: Any) -> dict[str, Any]:
    """``reports/mutation.json``: ``{"tool", "killed", "survived", "total", "score", "survivors": [{"mutant", "explanation"}]}``,
    and optionally ``timed_out``, ``not_run`` and ``by_module``."""
    if not isinstance(raw, dict):
        raise ValueError("expected an object")
    killed = int(_number(raw.get("killed"), "killed", integer=True))
    survived = int(_number(raw.get("survived"), "survived", integer=True))
    total = int(_number(raw.get("total"), "total", integer=True))
    score = _number(raw.get("score"), "score")
    survivors = raw.get("survivors", [])
    if not isinstance(survivors, list):
        raise ValueError("survivors is not a list")
    by_module = raw.get("by_module", {})
    if not isinstance(by_module, dict):
        raise ValueError("by_module is not an object")
    return {
        "tool": str(raw.get("tool", "")),
        "killed": killed,
        "timed_out": int(_number(raw.get("timed_out", 0), "timed_out", integer=True)),
        "not_run": int(_number(raw.get("not_run", 0), "not_run", integer=True)),
        "by_module": {
            str(module): {key: int(_number(counts.get(key), f"by_module.{module}.{key}", integer=True)) for key in ("killed", "survived", "total")}
            for module, counts in by_module.items()
            if isinstance(counts, dict)
        },
        "survived": survived,
        "total": total,
        "score": score,
        "survivors": [
            {"mutant": str(s.get("mutant", "")), "explanation": str(s.get("explanation", ""))} if isinstance(s, dict) else {"mutant": str(s), "explanation": ""}
            for s in survivors
        ],
    }


def parse_quadrature(raw: Any) -> dict[str, Any]:
    """``measurements/quadrature.json`` (:mod:`tools.quadrature_record`): the numbers QUADRATURE_SAFETY rests on
    (the factor itself is the oracles', handed in ``ReportContext.quadrature_safety``)."""
    if not isinstance(raw, dict):
        raise ValueError("expected an object with methods and derivation")
    return {
        "rule": str(raw["derivation"]["rule"]),
        "largest": raw["derivation"]["largest_required"],
        "largest_drawn": raw["derivation"]["largest_required_drawn"],
        "counts": {str(name): int(_number(method["n"], f"methods.{name}.n", integer=True)) for name, method in raw["methods"].items()},
    }


SOURCES = {
    "calibration": ("calibration.json", "make calibrate", parse_calibration),
    "flakiness": ("flakiness.json", "make flakiness", parse_flakiness),
    "benchmarks": ("benchmarks.json", "make bench", parse_benchmarks),
    "mutation": ("mutation.json", "make mutation", parse_mutation),
    "quadrature": ("quadrature.json", "make quadrature-record", parse_quadrature),
}


def origin_of(raw: Any) -> RecordOrigin:
    """The record's provenance; for an old pytest-benchmark record without it, the commit pytest-benchmark noted.

    pytest-benchmark's ``commit_info`` names a commit and whether the tree was dirty, but
    hashes nothing: whether the code has changed since cannot be told from it.
    """
    origin = record_origin(raw)
    info = raw.get("commit_info") if isinstance(raw, dict) else None
    if origin.kept or not isinstance(info, dict) or not isinstance(info.get("id"), str):
        return origin
    dirty = info.get("dirty") if isinstance(info.get("dirty"), bool) else None
    tree = " with uncommitted changes" if dirty else ""
    when = f" ({info['time']})" if isinstance(info.get("time"), str) else ""
    return RecordOrigin(
        commit=info["id"], dirty=dirty, date=info.get("time") if isinstance(info.get("time"), str) else None,
        note=f"{NO_PROVENANCE}; pytest-benchmark noted commit {info['id'][:12]}{tree}{when}, which hashes no code: whether it is stale cannot be told",
    )


def read_measurement(folder: Path, name: str, recorded: Path | None = None) -> Measurement:
    """The measurement under ``folder``, else the one recorded under ``recorded`` (if any)."""
    filename, command, parse = SOURCES[name]
    path = folder / filename
    if not path.is_file() and recorded is not None and (recorded / filename).is_file():
        path = recorded / filename
    shown = str(path)
    if not path.is_file():
        return Measurement(shown, command, note=f"not measured yet: run {command}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        data = parse(raw)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError, AttributeError, KeyError) as error:
        return Measurement(shown, command, note=f"{shown} could not be read ({type(error).__name__}: {error}); rerun {command}")
    return Measurement(shown, command, data=data, origin=origin_of(raw))


def read_measurements(folder: Path | str, recorded: Path | None = None, *, records_note: str | None = None) -> SuiteMeasurements:
    """The measurements under ``folder``, each not made there yet read from ``recorded`` when given.

    The report names the file each was read from; ``records_note`` says, in words, why no
    recorded measurement could be looked up (an installation without records).
    """
    return SuiteMeasurements(**{name: read_measurement(Path(folder), name, recorded) for name in SOURCES}, records_note=records_note)
