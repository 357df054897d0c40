"""Records carry their provenance: commit, date, the tree's state and a hash of the modules they measured.

Each record is made here from a small module written into a temporary folder, so that a
module the record measured can be changed after it was recorded.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from theorems.provenance import module_digests, provenance, record_origin, source_digest, stamp

MOMENT = datetime.datetime(2026, 12, 5, 3, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def measured_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module ``measured_here`` importable from a temporary folder; its file is returned to be edited."""
    folder = tmp_path / "modules"
    folder.mkdir()
    source = folder / "measured_here.py"
    source.write_text("def f(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(folder))
    return source


# --- what is recorded --------------------------------------------------------------------------


def test_provenance_names_the_commit_the_date_the_tree_and_hashes_each_measured_module(measured_module: Path) -> None:
    found = provenance(["measured_here", "theorems.provenance"], now=MOMENT)
    assert set(found) == {"commit", "dirty", "date", "modules", "sha256"}
    assert found["date"] == "2026-12-05 03:00:00 UTC"
    assert found["commit"] is None or re.fullmatch(r"[0-9a-f]{40}", found["commit"])  # this file's checkout, if git is there
    assert found["dirty"] in (True, False, None)
    assert found["modules"]["measured_here"] == source_digest({"measured_here": measured_module})
    assert found["sha256"] == source_digest({"measured_here": measured_module, "theorems.provenance": Path(record_origin.__code__.co_filename)})


def test_the_hash_is_of_the_names_and_contents_not_of_where_the_files_lie(tmp_path: Path) -> None:
    one, other = tmp_path / "a.py", tmp_path / "elsewhere.py"
    one.write_text("x = 1\n")
    other.write_text("x = 1\n")
    assert source_digest({"m": one}) == source_digest({"m": other})
    assert source_digest({"m": one}) != source_digest({"n": one})


def test_a_record_cannot_claim_a_module_it_cannot_hash() -> None:
    with pytest.raises(ValueError, match="no source file for the measured module"):
        provenance(["theorems.no_such_module"])


def test_stamping_adds_the_provenance_to_a_json_object_and_refuses_a_list(measured_module: Path, tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"runs": 1}))
    stamp(record, ["measured_here"])
    assert json.loads(record.read_text())["provenance"]["modules"] == module_digests(["measured_here"])
    record.write_text("[]")
    with pytest.raises(ValueError, match="not an object"):
        stamp(record, ["measured_here"])


# --- every command that writes a record writes its provenance ----------------------------------------


def test_calibration_writes_its_checks_under_their_provenance(tmp_path: Path) -> None:
    from theorems.calibration import main

    path = tmp_path / "calibration.json"
    main(["--runs", "1", "--only", "gaussian-kl: median-of-means Monte Carlo bound (blocks of 100)", "--json", str(path)])
    record = json.loads(path.read_text())
    assert [check["name"] for check in record["checks"]] == ["gaussian-kl: median-of-means Monte Carlo bound (blocks of 100)"]
    assert {"theorems.calibration", "theorems.statistics", "theorems.gaussian_kl"} <= set(record["provenance"]["modules"])
    assert record_origin(record).stale is False


def test_the_mutation_record_hashes_the_mutated_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from theorems import mutation

    monkeypatch.setattr(mutation, "mutmut_results", lambda: "    theorems.kl.x_f__mutmut_1: killed\n    theorems.fold.x_g__mutmut_1: killed\n")
    monkeypatch.setattr(mutation, "version", lambda name: "3.8.1")  # mutmut itself need not be installed here
    assert mutation.main(["--equivalents", str(tmp_path / "none.json"), "--output", str(tmp_path / "mutation.json")]) == 0
    record = json.loads((tmp_path / "mutation.json").read_text())
    assert sorted(record["provenance"]["modules"]) == ["theorems.fold", "theorems.kl"] and record["killed"] == 2


def test_the_quadrature_record_hashes_the_oracles_it_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from theorems import quadrature_record

    monkeypatch.setattr(quadrature_record, "measure", lambda scale: ([], None))  # the 90-s measurement itself is not the point
    assert quadrature_record.main(["--json", str(tmp_path / "quadrature.json")]) == 0
    record = json.loads((tmp_path / "quadrature.json").read_text())
    assert sorted(record["provenance"]["modules"]) == sorted(quadrature_record.MEASURED_MODULES)


def test_the_cluster_figures_hash_the_engine_the_cluster_and_each_check() -> None:
    from theorems.cluster_bench import SUBSET, measured_modules

    modules = measured_modules(SUBSET)
    assert {"theorems.cluster", "theorems.engine", "theorems.toeplitz"} <= set(modules)
    assert None not in module_digests(modules).values()


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
    assert {"theorems.engine", "theorems.fold", "theorems.report.html", "theorems.strategies.fold"} <= set(modules)
    done = subprocess.run([sys.executable, "-m", "theorems.provenance", str(record)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "name the modules the record measured" in done.stderr
