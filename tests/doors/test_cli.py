"""The ``theorems`` command: its interface, its exit codes and its usage errors.

Each run is kept cheap (a handful of examples, one theorem where the registry is not
the point); the full ``verify`` is what ``make verify`` and the browser test run.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from command_forks import Command, CommandForks
from theorems.cli import main
from theorems._engine.plan import examples_planned
from theorems._engine.registry import all_theorems, get_theorem
from theorems.theorem import Claim

PROJECT = Path(__file__).resolve().parents[2]


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_prints_one_line_per_theorem_with_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "list")
    lines = out.splitlines()
    assert code == 0
    assert len(lines) == len(all_theorems())
    for theorem, line in zip(all_theorems(), lines):
        assert line.startswith(theorem.id + " ") and theorem.source in line and theorem.title in line


def test_list_contracts_prints_every_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "list", "--contracts")
    assert code == 0
    for theorem in all_theorems():
        assert theorem.contract in out


def test_check_of_the_reference_implementation_holds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "check", "fold-linear", "--impl", "theorems.fold.check:fold_linear", "--examples", "5", "--profile", "dev")
    assert code == 0, out
    assert f"holds on all {examples_planned(get_theorem('fold-linear'), 5)} generated examples" in out  # the covered classes, then free


def test_check_of_a_crashing_library_function_is_falsified_with_its_counterexample(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # torch's fuse_linear_bn_eval multiplies by bn.weight, which is None without affine.
    report = tmp_path / "check.json"
    code, out, _ = run_main(
        capsys, "check", "fold-linear", "--impl", "torch.nn.utils.fusion:fuse_linear_bn_eval", "--profile", "ci", "--json", str(report)
    )
    assert code == 1, out
    assert "FALSIFIED" in out and "on a valid input, the implementation raised TypeError" in out
    assert "affine=False" in out
    assert "replay: theorems check fold-linear --impl torch.nn.utils.fusion:fuse_linear_bn_eval --profile ci" in out
    result = json.loads(report.read_text())["theorems"][0]
    assert result["verdict"] == "falsified" and result["worst_ratio"] is None
    assert result["counterexample"]["failure"].startswith("raised TypeError")


def test_the_replay_line_reproduces_the_same_counterexample(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", "fold-linear", "--impl", "torch.nn.utils.fusion:fuse_linear_bn_eval", "--profile", "dev"]
    first = run_main(capsys, *argv)
    replay = next(line for line in first[1].splitlines() if line.startswith("replay: "))
    # The seed is printed unless the profile is derandomized (Hypothesis derandomizes under CI).
    assert replay.startswith("replay: theorems " + " ".join(argv))
    words = shlex.split(replay.removeprefix("replay: "))
    assert words[0] == "theorems"
    second = run_main(capsys, *words[1:])
    assert first[0] == second[0] == 1
    counterexample = lambda out: [line for line in out.splitlines() if "FALSIFIED on" in line]  # noqa: E731
    assert counterexample(first[1]) == counterexample(second[1]) != []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "fold-lineer", "--impl", "theorems.fold.check:fold_linear"], "did you mean 'fold-linear'?"),
        (["check", "fold-linear", "--impl", "no_such_module_xyz:f"], "cannot import module 'no_such_module_xyz'"),
        (["check", "fold-linear", "--impl", "theorems.fold.check:no_such_function"], "has no attribute 'no_such_function'"),
        (["check", "fold-linear", "--impl", "theorems.fold.statement:THEOREMS"], "is not callable"),
        (["check", "fold-linear", "--impl", "theorems.fold.check"], "--impl must be MODULE:ATTR"),
        (["check", "fold-linear", "--impl", "theorems.fold.check:fold_linear", "--report", "/etc/hostname/report.html"], "cannot write --report"),
        (["verify", "--json", "/etc/hostname/out.json"], "cannot write --json"),
        (["verify", "--only", "gausian-kl"], "unknown theorem id"),
    ],
)
def test_a_usage_error_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, out, err = run_main(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and message in err, err
    assert out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "--profile", "fast"], ["check", "fold-linear"], ["check", "fold-linear", "--impl", "x:y", "--examples", "0"], ["frobnicate"],
        ["verify", "--jobs", "0"], ["verify", "--jobs", "many"],
    ],
)
def test_an_argument_error_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and "error:" in err, err


@pytest.mark.slow
def test_verify_writes_the_report_json_and_junit_xml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    paths = {name: tmp_path / "out" / name for name in ("index.html", "results.json", "results.xml")}
    code, out, _ = run_main(
        capsys, "verify", "--profile", "dev", "--examples", "3", "--only", "fold-linear", "--only", "fold-conv", "--no-power",
        "--report", str(paths["index.html"]), "--json", str(paths["results.json"]), "--junitxml", str(paths["results.xml"]),
    )
    assert code == 0, out
    assert "fold-linear" in out and "fold-conv" in out
    results = json.loads(paths["results.json"].read_text())
    assert [t["id"] for t in results["theorems"]] == ["fold-linear", "fold-conv"]
    for theorem in results["theorems"]:
        assert {"id", "verdict", "examples", "worst_ratio", "seconds", "counterexample"} <= set(theorem)
        assert theorem["verdict"] == "holds" and theorem["examples"] == examples_planned(get_theorem(theorem["id"]), 3) and theorem["counterexample"] is None
    assert {"torch", "numpy", "scipy", "hypothesis", "profile", "seed"} <= set(results["environment"])
    suite = ElementTree.parse(paths["results.xml"]).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ["fold-linear", "fold-conv"]
    properties = {p.get("name"): p.get("value") for p in cases[0].find("properties")}
    assert properties["verdict"] == "holds" and properties["examples"] == str(examples_planned(get_theorem("fold-linear"), 3))
    assert paths["index.html"].read_text().startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_verify_fails_when_a_transcribed_claim_is_not_falsified(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from theorems._engine import plan, verify

    right_after_all = Claim(
        id="fold-linear-as-written", theorem_id="fold-linear", source="test", transcribed="W' = s W",
        corrected="W' = s W", what_is_wrong="nothing", implementation_target="theorems.fold.check:fold_linear",
    )
    monkeypatch.setattr(verify, "all_claims", lambda: (right_after_all,))
    monkeypatch.setattr(plan, "CLAIM_SEARCH_EXAMPLES", 5)  # dev's 20 examples are enough to see it hold
    # --no-power: the exit status must come from the claim alone (the catalogue of wrong
    # implementations, checked in test_report_power.py, would exit 1 too if one escaped).
    code, out, _ = run_main(
        capsys, "verify", "--profile", "dev", "--examples", "2", "--only", "fold-linear", "--no-power", "--json", str(tmp_path / "r.json"),
        "--report", str(tmp_path / "r.html"),
    )
    assert code == 1
    assert "(must be falsified)" in out
    claim = json.loads((tmp_path / "r.json").read_text())["claims"][0]
    assert claim["verdict"] == "holds"


# Each fresh process costs about 4 s of CPU in imports (torch, scipy), so each form runs once: the
# installed console script replays a counterexample from a user's folder (test_user_project's replay);
# the module form meets a usage error and exits 2 with one line and no traceback. The command as a
# program, forked as the console script runs it (tests/command_forks.py), checks from another folder
# and exits 0. Everything else about the commands is tested in-process through ``main``.
@pytest.mark.slow
@pytest.mark.e2e
def test_the_command_as_a_program_checks_from_another_folder(tmp_path: Path, theorems_commands: CommandForks) -> None:
    # HYPOTHESIS_PROFILE names another profile: the command checks at ci whatever it says.
    argv = ("check", "fold-conv", "--impl", "torch.nn.utils.fusion:fuse_conv_bn_eval", "--examples", "3")
    prelude = "import os; os.environ['HYPOTHESIS_PROFILE'] = 'dev'"
    holds = theorems_commands.run({"holds": Command(argv, tmp_path, prelude)}, timeout=120)["holds"]
    assert holds.returncode == 0 and "fold-conv" in holds.stdout, holds.stdout + holds.stderr


@pytest.mark.slow
@pytest.mark.e2e
def test_the_module_form_answers_a_usage_error_in_one_line_without_traceback() -> None:
    argv = [sys.executable, "-m", "theorems", "check", "fold-conv", "--impl", "nowhere_xyz:f"]
    unknown = subprocess.run(argv, cwd=PROJECT, capture_output=True, text=True, env={**os.environ, "HYPOTHESIS_PROFILE": "dev"}, timeout=120)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "Traceback" not in unknown.stderr, unknown.stderr


def test_checks_report_and_json_describe_the_users_implementation_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_main(
        capsys, "check", "fold-conv", "--impl", "torch.nn.utils.fusion:fuse_conv_bn_eval", "--examples", "3",
        "--assume", "dims=2", "--assume", "dtype=float32", "--json", str(tmp_path / "c.json"), "--report", str(tmp_path / "c.html"),
    )
    planned = examples_planned(get_theorem("fold-conv"), 3, {"dims": 2, "dtype": "float32"})
    assert code == 0 and f"on the restricted domain dims=2, dtype=float32: holds on all {planned} generated examples" in out
    found = json.loads((tmp_path / "c.json").read_text())
    assert sorted(found) == ["environment", "passed", "scope", "theorems"] and found["scope"] == "check"
    assert found["theorems"][0]["domain"] == "restricted" and found["theorems"][0]["assumptions"] == {"dims": "2", "dtype": "float32"}
    assert found["environment"]["assumptions"] == "dims=2, dtype=float32"
    page = (tmp_path / "c.html").read_text()
    assert "on the restricted domain" in page and 'class="restricted"' in page
    for absent in ('id="claims"', 'id="power"', 'id="findings"', "transcribed claim", "Calibrated statistics", "Mutation score"):
        assert absent not in page, absent


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (["--assume", "dims=4"], "--assume: dims=4 is not possible; expected one of 1, 2, 3"),
        (["--assume", "depth=2"], "--assume: fold-conv has no assumption 'depth'; it takes: dims, dtype, affine, bias, groups, padding_mode"),
        (["--assume", "dims=2", "--assume", "dims=3"], "--assume dims is given twice; give each name once"),
        (["--assume", "dims"], "expected NAME=VALUE (e.g. dims=2), got 'dims'"),
        (["--timeout", "0"], "expected a positive, finite number of seconds, got 0"),
        (["--impl", "theorems.fold_networks.check:fold_network"], "fold_network(model: 'nn.Module') -> 'fx.GraphModule' cannot be called as fold-conv's contract calls it, with (conv, bn)"),
    ],
)
def test_an_impossible_assumption_or_signature_is_a_usage_error(capsys: pytest.CaptureFixture[str], words: list[str], said: str) -> None:
    impl = [] if "--impl" in words else ["--impl", "torch.nn.utils.fusion:fuse_conv_bn_eval"]
    try:
        code, out, err = run_main(capsys, "check", "fold-conv", *impl, *words)
    except SystemExit as exit_:  # argparse's own usage errors exit from the parser
        code, (out, err) = exit_.code, capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert said in err


def test_list_contracts_names_every_assumption_with_its_values(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "list", "--contracts")
    assert code == 0
    for line in ("--assume dims=1|2|3", "--assume dtype=float32|float64", "--assume padding_mode=zeros|reflect|replicate|circular",
                 "--assume network=small-net|resnet18|mobilenet_v2", "--assume dim=1|2|3|4|5|6|7|8", "--assume depth=1|"):
        assert line in out, line


@pytest.mark.e2e
def test_verify_in_worker_processes_gives_the_in_process_results(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Each check is independent and derandomized under ci: the same examples, verdicts and catalogue either way.
    # gaussian-kl has a task of each kind (its theorem, the notes' transcribed claim, nine wrong implementations),
    # checked at the fewest examples --examples allows (its nine covered classes, then two free): what this test
    # pays for is the two spawned workers' imports (about 4 s of CPU each), not its checks.
    found = {}
    for jobs in ("1", "2"):
        code, out, _ = run_main(
            capsys, "verify", "--only", "gaussian-kl", "--profile", "ci", "--examples", "2", "--jobs", jobs,
            "--json", str(tmp_path / f"{jobs}.json"), "--report", str(tmp_path / f"{jobs}.html"),
        )
        assert code == 0, out
        result = json.loads((tmp_path / f"{jobs}.json").read_text())
        found[jobs] = (
            [(t["id"], t["verdict"], t["examples"], t["worst_ratio"]) for t in result["theorems"]],
            [(c["id"], c["verdict"], c["examples"], c["counterexample"]) for c in result["claims"]],
            [(w["name"], w["verdict"], w["examples"], w["counterexample"]) for w in result["power"]["catalogue"]["implementations"]],
        )
    assert found["1"] == found["2"]
    assert len(found["1"][0]) == 1 and len(found["1"][1]) == 1 and len(found["1"][2]) >= 5, found["1"]


def test_the_command_says_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    from theorems import __version__

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"theorems {__version__}"


def test_contradictory_assumptions_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    words = ["check", "gaussian-kl", "--impl", "theorems.gaussian_kl.check:torch_kl_divergence", "--examples", "2"]
    assert main([*words, "--assume", "dim=2", "--assume", "dimension=3+"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--assume dimension=3+ contradicts dim=2: their examples have dimension=2" in error, error
    assert main([*words, "--assume", "dim=4", "--assume", "dimension=3+"]) == 0


@pytest.mark.parametrize("argv", [[], ["verify"], ["check"], ["prove"], ["list"]], ids=lambda argv: " ".join(argv) or "theorems")
def test_every_commands_help_is_printed_and_exits_0(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """argparse %-formats help texts: a bare percent sign in one ("75% of memory") crashed --help with a traceback."""
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0 and out.startswith("usage:"), out


def test_the_command_checks_at_the_apis_profile_whatever_the_environment_says(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A "holds" on the command line is as strong as theorems.check's: ci, derandomized, its examples."""
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "dev")
    monkeypatch.delenv("CI", raising=False)
    code, out, _ = run_main(capsys, "check", "toeplitz-matrix", "--impl", "theorems.toeplitz.check:toeplitz_matrix", "--examples", "3")
    planned = examples_planned(get_theorem("toeplitz-matrix"), 3)  # its covered rows, then the free search
    assert code == 0 and f"all {planned} generated examples (ci profile" in out, out


def test_a_fault_in_theorems_itself_is_an_internal_error_not_a_verdict_on_the_implementation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # thorough, seed 1: writing the JSON raised (an infinite tolerance) after every verdict was printed, and
    # the supervisor said "the implementation ended the process". Exit 3, named as the suite's own fault.
    from theorems.report import formats

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("Out of range float values are not JSON compliant: inf")

    monkeypatch.setattr(formats, "write_json", broken)
    code, out, err = run_main(capsys, "verify", "--only", "toeplitz-matrix", "--examples", "2", "--no-power", "--json", str(tmp_path / "r.json"))
    assert code == 3 and "toeplitz-matrix" in out
    assert "internal error, in theorems and not in the implementation under test: ValueError" in err.splitlines()[-1]
