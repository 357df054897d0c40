"""A falsified verdict's counterexample, saved exactly, loads and falsifies the implementation again."""

from __future__ import annotations

import contextlib
import io

import pytest
import torch

import theorems
from theorems.fold.catalogue import scale_left_outside
from theorems.cli import main


def run_the_snippet(snippet: str, **namespace: object) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(snippet, dict(namespace))  # noqa: S102  (the three lines a user pastes)
    return printed.getvalue()


def test_the_api_saves_the_counterexample_and_its_three_lines_refalsify_the_implementation(tmp_path) -> None:
    path = tmp_path / "counterexample.pt"
    verdict = theorems.check("fold-linear", scale_left_outside, examples=20, save=path)
    assert not verdict.holds and path.is_file()
    assert len(verdict.saved.splitlines()) == 3 and all(line in verdict.explain() for line in verdict.saved.splitlines())
    assert "FALSIFIED" in run_the_snippet(verdict.saved, scale_left_outside=scale_left_outside)
    again = theorems.get_theorem("fold-linear").check(scale_left_outside, torch.load(path, weights_only=False))
    assert not again.holds and again.error == verdict.evidence.error, "the saved example is the one the check falsified on, exactly"


def test_a_verdict_that_holds_saves_nothing(tmp_path) -> None:
    path = tmp_path / "counterexample.pt"
    verdict = theorems.check("toeplitz-matrix", theorems.get_theorem("toeplitz-matrix").reference, examples=3, save=path)
    assert verdict.holds and verdict.saved is None and not path.exists()
    with pytest.raises(ValueError, match="no counterexample"):
        verdict.save(path, "toeplitz_matrix")


def test_the_command_saves_the_counterexample_and_prints_the_lines(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "counterexample.pt"
    code = main(["check", "fold-linear", "--impl", "theorems.fold.catalogue:scale_left_outside", "--examples", "20", "--save-counterexample", str(path)])
    out = capsys.readouterr().out
    assert code == 1 and path.is_file(), out
    snippet = [line.strip() for line in out[out.index("import theorems, torch") :].splitlines()[:3]]
    assert "check(scale_left_outside, example)" in snippet[2], out
    assert "FALSIFIED" in run_the_snippet("\n".join(snippet), scale_left_outside=scale_left_outside)


def test_an_unwritable_save_path_is_a_usage_error_before_any_example(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "fold-linear", "--impl", "theorems.fold.catalogue:scale_left_outside", "--save-counterexample", "/etc/hostname/x.pt"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--save-counterexample" in err, err
