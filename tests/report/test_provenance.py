"""Records carry their provenance, and the report shows it: commit, date, stale or not, or none kept.

The records are made here from small modules written into a temporary folder, so that a
module the record measured can be changed after it was recorded; the report is rendered
from the fake measurement files of ``tests/report/test_report_power.py``'s kind.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from theorems.provenance import NO_PROVENANCE, module_digests, provenance, record_origin, source_digest, stamp
from theorems._engine import report_context
from theorems._engine.report_context import recorded_folder, suite_measurements
from theorems.report import ReportContext, render_html
from theorems.report import power
from theorems.report.power import read_measurements
from theorems.results import Verification

MOMENT = datetime.datetime(2026, 12, 5, 3, 0, tzinfo=datetime.timezone.utc)


def fake_verification() -> Verification:
    return Verification((), (), {"profile": "ci"}, None)


def power_section(report: str) -> str:
    return report[report.index('<h2 id="power">') : report.index('<h2 id="figures">')]


@pytest.fixture
def measured_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module ``measured_here`` importable from a temporary folder; its file is returned to be edited."""
    folder = tmp_path / "modules"
    folder.mkdir()
    source = folder / "measured_here.py"
    source.write_text("def f(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(folder))
    return source


def write_flakiness(folder: Path, record_provenance: dict | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    record = {"runs": 20, "failures": 0, "failed_seeds": [], "profile": "ci-reseeded"}
    if record_provenance is not None:
        record["provenance"] = record_provenance
    (folder / "flakiness.json").write_text(json.dumps(record))
    return folder


# --- what is recorded --------------------------------------------------------------------------


@pytest.mark.e2e  # asks git for the commit and the tree's state
def test_provenance_names_the_commit_the_date_the_tree_and_hashes_each_measured_module(measured_module: Path) -> None:
    found = provenance(["measured_here", "theorems.provenance"], now=MOMENT)
    assert set(found) == {"commit", "dirty", "date", "modules", "sha256"}
    assert found["date"] == "2026-12-05 03:00:00 UTC"
    assert found["commit"] is None or re.fullmatch(r"[0-9a-f]{40}", found["commit"])  # this file's checkout, if git is there
    assert found["dirty"] in (True, False, None)
    assert found["modules"]["measured_here"] == source_digest({"measured_here": measured_module})
    assert found["sha256"] == source_digest({"measured_here": measured_module, "theorems.provenance": Path(power.__file__).parents[1] / "provenance.py"})


def test_the_hash_is_of_the_names_and_contents_not_of_where_the_files_lie(tmp_path: Path) -> None:
    one, other = tmp_path / "a.py", tmp_path / "elsewhere.py"
    one.write_text("x = 1\n")
    other.write_text("x = 1\n")
    assert source_digest({"m": one}) == source_digest({"m": other})
    assert source_digest({"m": one}) != source_digest({"n": one})


def test_a_record_cannot_claim_a_module_it_cannot_hash() -> None:
    with pytest.raises(ValueError, match="no source file for the measured module"):
        provenance(["theorems.no_such_module"])


@pytest.mark.e2e  # asks git for the commit and the tree's state
def test_stamping_adds_the_provenance_to_a_json_object_and_refuses_a_list(measured_module: Path, tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"runs": 1}))
    stamp(record, ["measured_here"])
    assert json.loads(record.read_text())["provenance"]["modules"] == module_digests(["measured_here"])
    record.write_text("[]")
    with pytest.raises(ValueError, match="not an object"):
        stamp(record, ["measured_here"])


# --- what the report shows --------------------------------------------------------------------------


@pytest.mark.e2e  # asks git for the commit and the tree's state
def test_a_record_whose_modules_changed_since_is_shown_stale_naming_them(measured_module: Path, tmp_path: Path) -> None:
    folder = write_flakiness(tmp_path / "reports", provenance(["measured_here"], now=MOMENT))
    measured_module.write_text("def f(x):\n    return 3 * x\n")  # the code the record measured, changed
    origin = read_measurements(folder).flakiness.origin
    assert origin is not None and origin.stale and origin.changed == ("measured_here",)
    section = power_section(render_html(fake_verification(), ReportContext(measurements=read_measurements(folder))))
    assert 'data-stale="yes"' in section and '<span class="verdict bad">stale</span>' in section
    assert "stale: measured_here changed since (rerun the command that writes it)" in section and "2026-12-05 03:00:00 UTC" in section


@pytest.mark.e2e  # asks git for the commit and the tree's state
def test_a_record_whose_modules_are_unchanged_is_not_stale_and_shows_its_commit(measured_module: Path, tmp_path: Path) -> None:
    recorded = provenance(["measured_here"], now=MOMENT)
    folder = write_flakiness(tmp_path / "reports", recorded)
    section = power_section(render_html(fake_verification(), ReportContext(measurements=read_measurements(folder))))
    assert 'data-stale="no"' in section and "stale" not in section.replace('data-stale="no"', "")
    assert "the 1 module(s) it measured are unchanged since" in section
    if recorded["commit"]:
        assert f"recorded at commit {recorded['commit'][:12]}" in section


def test_a_record_of_a_module_that_no_longer_exists_is_stale(tmp_path: Path) -> None:
    gone = {"commit": "0" * 40, "dirty": False, "date": "2026-01-01 00:00:00 UTC", "modules": {"theorems.removed_since": "ab" * 32}, "sha256": "cd" * 32}
    origin = record_origin({"provenance": gone})
    assert origin.stale and origin.changed == ("theorems.removed_since",) and "recorded at commit 000000000000" in origin.note


def test_an_old_record_without_provenance_is_shown_as_such_never_hidden(tmp_path: Path) -> None:
    folder = write_flakiness(tmp_path / "reports", None)
    measurement = read_measurements(folder).flakiness
    assert measurement.measured and measurement.origin is not None and measurement.origin.stale is None
    section = power_section(render_html(fake_verification(), ReportContext(measurements=read_measurements(folder))))
    assert "0 of 20" in section and f"{NO_PROVENANCE}." in section and 'data-stale="unknown"' in section


def test_an_old_benchmark_record_shows_the_commit_pytest_benchmark_noted_and_says_staleness_is_unknown(tmp_path: Path) -> None:
    info = {"id": "b33c9f12ef1c87797f6baafaeff5c63043af0fff", "time": "2026-11-27T05:53:34+00:00", "dirty": True}
    record = {"commit_info": info, "benchmarks": [{"name": "b", "stats": {"min": 1.0, "median": 1.0, "mean": 1.0, "rounds": 1}}]}
    (tmp_path / "benchmarks.json").write_text(json.dumps(record))
    origin = read_measurements(tmp_path).benchmarks.origin
    assert origin is not None and origin.stale is None and not origin.kept and origin.note.startswith(NO_PROVENANCE)
    assert "pytest-benchmark noted commit b33c9f12ef1c with uncommitted changes" in origin.note and "cannot be told" in origin.note


@pytest.mark.e2e  # asks git for the commit and the tree's state
def test_a_calibration_record_reads_in_both_its_shapes(measured_module: Path, tmp_path: Path) -> None:
    row = {"name": "c", "runs": 10, "false_alarms": 0, "detections": 10, "calibration_alpha": 0.01, "false_alarm_interval": [0, 0.4],
           "stated_alpha": 1e-8, "power_interval": [0.6, 1], "stated_power": 0.9, "calibrated": True}
    (tmp_path / "calibration.json").write_text(json.dumps([row]))  # before provenance was kept
    assert read_measurements(tmp_path).calibration.data[0]["name"] == "c"
    (tmp_path / "calibration.json").write_text(json.dumps({"provenance": provenance(["measured_here"]), "checks": [row]}))
    calibration = read_measurements(tmp_path).calibration
    assert calibration.data[0]["name"] == "c" and calibration.origin is not None and calibration.origin.stale is False


# --- where the report finds the records ----------------------------------------------------------


def test_the_committed_records_are_each_read_and_shown_with_their_provenance_or_its_absence() -> None:
    folder = recorded_folder()
    assert folder is not None and (folder / "quadrature.json").is_file()
    measurements = read_measurements(folder)
    for name in power.SOURCES:
        measurement = getattr(measurements, name)
        assert measurement.measured, measurement.note
        assert measurement.origin is not None and measurement.origin.note  # a commit and a verdict, or "no provenance"


def test_the_report_finds_the_records_through_the_installed_package_not_the_source_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installation elsewhere: a records package on sys.path that is not this checkout, and a
    # working directory without reports/.
    installed = tmp_path / "site-packages" / "installed_records"
    installed.mkdir(parents=True)
    (installed / "__init__.py").write_text("")
    write_flakiness(installed, None)
    monkeypatch.syspath_prepend(str(tmp_path / "site-packages"))
    monkeypatch.setattr(report_context, "RECORDS_PACKAGE", "installed_records")
    monkeypatch.chdir(tmp_path)
    assert recorded_folder() == installed
    measurements = suite_measurements()
    assert measurements.flakiness.path == str(installed / "flakiness.json") and measurements.records_note is None
    section = power_section(render_html(fake_verification(), ReportContext(measurements=measurements)))
    assert "0 of 20" in section and str(installed / "flakiness.json") in section


def test_an_installation_without_records_says_so_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_context, "RECORDS_PACKAGE", "theorems.no_records_here")
    monkeypatch.chdir(tmp_path)
    measurements = suite_measurements()
    assert recorded_folder() is None and measurements.records_note == report_context.NO_RECORDS
    section = power_section(render_html(fake_verification(), ReportContext(measurements=measurements)))
    assert 'id="no-records"' in section and "This installation has no recorded measurements" in section
    assert "not measured yet: run make mutation" in section  # each section still says what would make it


# --- every command that writes a record writes its provenance ----------------------------------------


@pytest.mark.e2e  # asks git for the commit and the tree's state
def test_calibration_writes_its_checks_under_their_provenance(tmp_path: Path) -> None:
    from tools.calibration import main

    path = tmp_path / "calibration.json"
    main(["--runs", "1", "--only", "gaussian-kl: median-of-means Monte Carlo bound (blocks of 100)", "--json", str(path)])
    record = json.loads(path.read_text())
    assert [check["name"] for check in record["checks"]] == ["gaussian-kl: median-of-means Monte Carlo bound (blocks of 100)"]
    assert {"tools.calibration", "theorems.oracles.statistics", "theorems.gaussian_kl.check"} <= set(record["provenance"]["modules"])
    assert record_origin(record).stale is False


@pytest.mark.e2e  # asks git for the commit and the tree's state
def test_the_mutation_record_hashes_the_mutated_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import mutation

    monkeypatch.setattr(mutation, "mutmut_results", lambda: "    theorems.kl.check.x_f__mutmut_1: killed\n    theorems.fold.check.x_g__mutmut_1: killed\n")
    monkeypatch.setattr(mutation, "version", lambda name: "3.8.1")  # mutmut itself need not be installed here
    assert mutation.main(["--equivalents", str(tmp_path / "none.json"), "--output", str(tmp_path / "mutation.json")]) == 0
    record = json.loads((tmp_path / "mutation.json").read_text())
    assert sorted(record["provenance"]["modules"]) == ["theorems.fold.check", "theorems.kl.check"] and record["killed"] == 2


@pytest.mark.e2e  # asks git for the commit and the tree's state
def test_the_quadrature_record_hashes_the_oracles_it_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import quadrature_record

    monkeypatch.setattr(quadrature_record, "measure", lambda scale: ([], None))  # the 90-s measurement itself is not the point
    assert quadrature_record.main(["--json", str(tmp_path / "quadrature.json")]) == 0
    record = json.loads((tmp_path / "quadrature.json").read_text())
    assert sorted(record["provenance"]["modules"]) == sorted(quadrature_record.MEASURED_MODULES)


def test_the_cluster_figures_hash_the_engine_the_cluster_and_each_check() -> None:
    from tools.cluster_bench import SUBSET, measured_modules

    modules = measured_modules(SUBSET)
    assert {"theorems._engine.cluster", "theorems._engine.run", "theorems.toeplitz.check"} <= set(modules)
    assert None not in module_digests(modules).values()


@pytest.mark.e2e
def test_the_makefile_stamps_a_record_with_every_module_of_the_package_and_its_strategies(tmp_path: Path) -> None:
    import subprocess
    import sys

    record = tmp_path / "flakiness.json"
    record.write_text(json.dumps({"runs": 20, "failures": 0}))
    # The Makefile's command line: the strategies install from properties/, apart from theorems/ in a source checkout.
    command = [sys.executable, "-m", "theorems.provenance", str(record), "--package", "theorems", "--package", "theorems.strategies"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    modules = json.loads(record.read_text())["provenance"]["modules"]
    assert {"theorems._engine.run", "theorems.fold.check", "theorems.report.html", "theorems.strategies.fold"} <= set(modules)
    done = subprocess.run([sys.executable, "-m", "theorems.provenance", str(record)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "name the modules the record measured" in done.stderr
