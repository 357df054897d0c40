"""The report's "power of this suite" section, the power gate of ``theorems verify``, and its figures.

Cheap by design: the rendering is tested on small fake results and measurement files;
the gate runs ``verify`` on one cheap theorem (``toeplitz-gradient``, whose wrong
implementations are caught in about half a second) only.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest

from tools.calibration import CalibrationResult
from theorems.cli import main
from theorems.evidence import Evidence
from theorems.oracles.quadrature import QUADRATURE_SAFETY
from theorems.report import ReportContext, render_html
from theorems.results import Verification
from theorems._engine import verify
from theorems.report.figures import FigureContext, render_figures
from theorems.gaussian_kl.figures import FIGURES as KL_FIGURES
from theorems.gaussian_kl.figures import kl_closed_form_against_quadrature
from theorems.variance.figures import variance_against_depth
from theorems.report.formats import to_json
from theorems.toeplitz.check import superdiagonal_sums
from theorems.report.power import catalogue_summary, read_measurements
from theorems.results import Run, WrongResult
from theorems.theorem import WrongImplementation
from theorems.variance.math import recursion_tolerance, variance_by_recursion


def falsified_run(example: str) -> Run:
    evidence = Evidence("gaussian-kl", example, "1", "2", 1.0, 1e-12, "rounding")
    return Run(verdict="falsified", examples=3, seconds=0.1, counterexample=evidence)


CAUGHT_SMALL = WrongResult("gaussian-kl", "without-half", "the ½ is dropped", falsified_run("d=1, μ0=[0.0]"))
CAUGHT_LARGE = WrongResult("gaussian-kl", "arguments-swapped", "D(Y‖X)", falsified_run("d=2, μ0=[0.0, 0.0], Σ0=…"))
MISSED = WrongResult("kl-nonnegativity", "twice", "2·D", Run(verdict="holds", examples=200, seconds=0.2))


def fake_verification(power: tuple[WrongResult, ...] | None) -> Verification:
    return Verification((), (), {"profile": "ci"}, power)


def write_measurements(folder: Path) -> Path:
    """One file of each kind, in the formats their commands write."""
    calibration = CalibrationResult(
        name="variance-recursion: batched Monte Carlo", theorem_id="variance-recursion", runs=200, calibration_alpha=0.01,
        false_alarms=3, false_alarm_interval=(0.002, 0.05), stated_alpha=1.2e-8, detectable="2% relative",
        detections=199, power_interval=(0.96, 1.0), stated_power=0.99,
    )
    (folder / "calibration.json").write_text(json.dumps([dataclasses.asdict(calibration) | {"calibrated": calibration.calibrated}]))
    (folder / "flakiness.json").write_text(json.dumps({"runs": 20, "failures": 0, "failed_seeds": [], "profile": "ci-reseeded"}))
    benchmark = {"group": "variance", "name": "test_batched_sampler", "stats": {"min": 2.5e-4, "median": 3e-4, "mean": 3.1e-4, "rounds": 40}}
    batch = {"group": "check", "name": "test_check[fold-conv]", "extra_info": {"examples": 10},
             "stats": {"min": 0.02, "median": 0.025, "mean": 0.03, "rounds": 3}}
    (folder / "benchmarks.json").write_text(json.dumps({"machine_info": {"cpu": {"count": 2}}, "benchmarks": [benchmark, batch], "datetime": "2025-01-01"}))
    mutation = {"tool": "mutmut", "killed": 96, "timed_out": 7, "survived": 4, "total": 100, "score": 0.96,
                "survivors": [{"mutant": "theorems/fold/check.py:42 eps + 0", "explanation": "equivalent: adds zero"}],
                "by_module": {"theorems.fold.check": {"killed": 46, "survived": 4, "total": 50}, "theorems.kl.check": {"killed": 50, "survived": 0, "total": 50}}}
    (folder / "mutation.json").write_text(json.dumps(mutation))
    quadrature = {"methods": {"quad": {"n": 12}}, "derivation": {"rule": "a power of two", "largest_required": 1.5, "largest_required_drawn": 1.25}}
    (folder / "quadrature.json").write_text(json.dumps(quadrature))
    return folder


def power_section(report: str) -> str:
    return report[report.index('<h2 id="power">') : report.index('<h2 id="figures">')]


def test_every_theorem_has_at_least_five_wrong_implementations_in_the_catalogue() -> None:
    from theorems._engine.registry import all_theorems, all_wrong_implementations

    counts = {theorem.id: 0 for theorem in all_theorems()}
    for wrong in all_wrong_implementations():
        counts[wrong.theorem_id] += 1  # a KeyError names a wrong implementation of no theorem
    assert all(count >= 5 for count in counts.values()), counts


def test_the_catalogue_summary_counts_catches_and_keeps_the_smallest_counterexample() -> None:
    rows = catalogue_summary((CAUGHT_LARGE, CAUGHT_SMALL, MISSED), order=("kl-nonnegativity", "gaussian-kl"))
    assert [row.theorem_id for row in rows] == ["kl-nonnegativity", "gaussian-kl"]
    missed, caught = rows
    assert (missed.caught, missed.total, missed.missed, missed.smallest_size) == (0, 1, ("twice",), None)
    assert (caught.caught, caught.total, caught.all_caught) == (2, 2, True)
    assert caught.smallest_name == "without-half" and caught.smallest_size == len("d=1, μ0=[0.0]")


def test_a_wrong_implementation_that_is_not_caught_fails_the_verification() -> None:
    assert fake_verification((CAUGHT_SMALL,)).passed
    assert not fake_verification((CAUGHT_SMALL, MISSED)).passed
    assert fake_verification(None).passed


def test_the_power_section_shows_the_catalogue_and_every_measurement(tmp_path: Path) -> None:
    measurements = read_measurements(write_measurements(tmp_path))
    report = render_html(fake_verification((CAUGHT_SMALL, CAUGHT_LARGE, MISSED)), ReportContext(measurements=measurements))
    section = power_section(report)
    assert 'data-theorem-id="gaussian-kl" data-caught="2" data-total="2"' in section
    assert 'data-theorem-id="kl-nonnegativity" data-caught="0" data-total="1"' in section and "missed: twice" in section
    assert "d=1, μ0=[0.0]" in section and "not measured yet" not in section
    assert "3/200" in section and "199/200" in section  # measured false alarms and power beside the stated ones
    assert "0 of 20" in section  # flakiness
    assert "test_batched_sampler" in section and "300 µs" in section
    assert "2.5 ms per example (10 a round)" in section  # a batch benchmark's median divided by its size
    assert "12 by quad" in section and "largest factor any of them needed beyond rounding was 1.5" in section
    assert "96.0 %" in section and "equivalent: adds zero" in section
    assert "(7 of them by the time limit)" in section and "<td><code>theorems.fold.check</code></td><td>46</td><td>4</td><td>92.0 %</td>" in section
    assert "FAILED" in report  # the missed one fails the report's verdict


def test_the_mutation_score_counts_timeouts_as_kills_and_splits_by_module() -> None:
    from tools.mutation import parse_results, score

    verdicts = parse_results(
        "    theorems.kl.check.x_f__mutmut_1: killed\n    theorems.kl.check.x_f__mutmut_2: timeout\n"
        "    theorems.fold.check.x_g__mutmut_1: survived\n    theorems.fold.check.x_g__mutmut_2: not checked\n"
    )
    result = score(verdicts, {"theorems.fold.check.x_g__mutmut_1": "Equivalent: adds zero."}, tool="mutmut")
    report = result.as_json()
    assert (report["killed"], report["timed_out"], report["survived"], report["not_run"], report["score"]) == (2, 1, 1, 1, 0.6667)
    assert report["by_module"] == {"theorems.fold.check": {"killed": 0, "survived": 1, "total": 1}, "theorems.kl.check": {"killed": 2, "survived": 0, "total": 2}}
    assert result.unexplained == []
    assert score(verdicts, {}, tool="mutmut").unexplained == ["theorems.fold.check.x_g__mutmut_1"]


def test_missing_measurements_say_which_command_makes_them(tmp_path: Path) -> None:
    report = render_html(fake_verification(None), ReportContext(measurements=read_measurements(tmp_path)))
    section = power_section(report)
    assert "not measured yet: run make calibrate" in section
    assert "not measured yet: run make flakiness" in section and "not measured yet: run make bench" in section
    assert "not measured yet: run make mutation" in section and "not measured yet: run make quadrature-record" in section
    assert "Not measured in this run" in section  # no catalogue: verify --no-power, or a pytest report


def test_a_measurement_not_made_here_falls_back_to_the_recorded_one(tmp_path: Path) -> None:
    (tmp_path / "recorded").mkdir()
    (tmp_path / "here").mkdir()
    recorded = write_measurements(tmp_path / "recorded")
    (tmp_path / "here" / "flakiness.json").write_text(json.dumps({"runs": 3, "failures": 1, "failed_seeds": [2]}))
    measurements = read_measurements(tmp_path / "here", recorded=recorded)
    assert measurements.flakiness.data["runs"] == 3 and measurements.flakiness.path == str(tmp_path / "here" / "flakiness.json")
    assert measurements.mutation.data["score"] == 0.96 and measurements.mutation.path == str(recorded / "mutation.json")
    assert not read_measurements(tmp_path / "here").mutation.measured  # no record given, none read


def test_a_batch_benchmark_of_no_examples_is_a_malformed_measurement(tmp_path: Path) -> None:
    empty = {"name": "b", "extra_info": {"examples": 0}, "stats": {"min": 1.0, "median": 1.0, "mean": 1.0, "rounds": 1}}
    (tmp_path / "benchmarks.json").write_text(json.dumps({"benchmarks": [empty]}))
    benchmarks = read_measurements(tmp_path).benchmarks
    assert not benchmarks.measured and "extra_info.examples must be at least 1" in (benchmarks.note or "")


def test_a_malformed_measurement_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "mutation.json").write_text('{"tool": "mutmut", "killed": "many"}')
    (tmp_path / "benchmarks.json").write_text("not json")
    measurements = read_measurements(tmp_path)
    assert not measurements.mutation.measured and "killed='many' is not an integer" in (measurements.mutation.note or "")
    assert not measurements.benchmarks.measured and "could not be read" in (measurements.benchmarks.note or "")
    assert "could not be read" in power_section(render_html(fake_verification(None), ReportContext(measurements=measurements)))


def test_the_json_has_a_power_key_beside_the_unchanged_ones(tmp_path: Path) -> None:
    found = to_json(fake_verification((CAUGHT_SMALL, MISSED)), measurements=read_measurements(write_measurements(tmp_path)))
    assert list(found) == ["passed", "scope", "theorems", "claims", "environment", "power"]
    power = found["power"]
    assert (power["catalogue"]["caught"], power["catalogue"]["total"]) == (1, 2)
    assert [t["id"] for t in power["catalogue"]["theorems"]] == ["gaussian-kl", "kl-nonnegativity"]
    assert power["flakiness"]["failures"] == 0 and power["mutation"]["score"] == 0.96
    assert power["calibration"][0]["false_alarm_rate"] == 3 / 200
    json.dumps(found, allow_nan=False)
    assert to_json(fake_verification(None), measurements=read_measurements(tmp_path / "none"))["power"]["catalogue"] is None


def run_verify(capsys: pytest.CaptureFixture[str], tmp_path: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    code = main(["verify", "--profile", "ci", "--examples", "2", "--only", "toeplitz-gradient",
                 "--report", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json"), *extra])
    out = capsys.readouterr().out
    return code, out, json.loads((tmp_path / "r.json").read_text())


@pytest.mark.slow
def test_verify_runs_the_catalogue_and_every_wrong_implementation_is_caught(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, found = run_verify(capsys, tmp_path)
    assert code == 0, out
    catalogue = found["power"]["catalogue"]
    assert catalogue["caught"] == catalogue["total"] >= 5
    assert all(w["theorem"] == "toeplitz-gradient" and w["caught"] and w["counterexample_size"] for w in catalogue["implementations"])
    assert "wrong implementations caught" in out
    assert 'id="power-catalogue"' in (tmp_path / "r.html").read_text()


@pytest.mark.slow
def test_verify_fails_when_a_wrong_implementation_is_not_caught(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    right_after_all = WrongImplementation("toeplitz-gradient", "the reference", "none", superdiagonal_sums)
    monkeypatch.setattr(verify, "all_wrong_implementations", lambda: (right_after_all,))
    code, out, found = run_verify(capsys, tmp_path)
    assert code == 1 and "lost its power" in out and "missed: the reference" in out
    assert found["power"]["catalogue"]["implementations"][0]["verdict"] == "holds"
    code, _, found = run_verify(capsys, tmp_path, "--no-power")
    assert code == 0 and "power" not in found and found["scope"] == "only"  # --only carries what it ran, nothing more


def test_the_variance_figure_draws_the_closed_form_beside_monte_carlo_bands() -> None:
    rows = variance_against_depth(3, max_depth=4, networks=500)
    assert [row[0] for row in rows] == [1, 2, 3, 4]
    for depth, closed, mean, half_width in rows:
        widths = [3] * (depth + 1)
        assert closed == pytest.approx(variance_by_recursion(widths), rel=0, abs=recursion_tolerance(tuple(widths)))
        assert half_width > 0 and math.isfinite(mean)


def test_the_kl_figure_agrees_with_quadrature_within_its_allowance() -> None:
    for ratio in (1.0, 4.0):
        for shift, closed, quadrature, error in kl_closed_form_against_quadrature(ratio):
            assert abs(closed - quadrature) <= QUADRATURE_SAFETY * error + 1e-12 * max(1.0, closed), (ratio, shift)


def test_the_kl_figure_renders_when_gaussian_kl_ran() -> None:
    context = FigureContext(evidence={"gaussian-kl": (object(),)}, profile="ci")  # type: ignore[arg-type]
    (figure,) = render_figures(context, KL_FIGURES)
    assert figure.error is None and figure.png_base64
    assert base64.b64decode(figure.png_base64).startswith(b"\x89PNG\r\n\x1a\n")
