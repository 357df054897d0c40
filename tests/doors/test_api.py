"""The public API: theorems.check and theorems.assert_holds on a user's implementation."""

from __future__ import annotations

import datetime
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import theorems
from theorems.fold.check import FoldCase, fold_conv, fold_linear
from theorems._engine.registry import get_theorem
from theorems.theorem import InvalidInput
from theorems.variance.math import variance_by_recursion


def eps_forgotten(linear: nn.Linear, bn: nn.BatchNorm1d) -> nn.Linear:
    """A fold that drops BatchNorm's ε: falsified wherever ε is not negligible against σ²."""
    folded = nn.Linear(linear.in_features, linear.out_features).to(linear.weight.dtype)
    scale = torch.rsqrt(bn.running_var) * (bn.weight if bn.affine else 1)
    with torch.no_grad():
        folded.weight.copy_(linear.weight * scale[:, None])
        bias = linear.bias if linear.bias is not None else torch.zeros_like(bn.running_mean)
        folded.bias.copy_((bias - bn.running_mean) * scale + (bn.bias if bn.affine else 0))
    return folded


def test_a_right_fold_holds_and_says_so() -> None:
    verdict = theorems.check("fold-linear", fold_linear, examples=5)
    examples = len(get_theorem("fold-linear").cover_classes()) + 2  # every covered class, then at least two free
    assert verdict.holds and verdict.counterexample is None and verdict.examples == max(5, examples)
    assert verdict.evidence is not None and verdict.evidence.holds
    assert f"holds on all {verdict.examples} generated examples" in verdict.explain()


def test_a_wrong_fold_is_falsified_with_its_shrunk_counterexample() -> None:
    verdict = theorems.check("fold-linear", eps_forgotten)
    assert not verdict.holds and isinstance(verdict.counterexample, FoldCase)
    assert verdict.evidence is not None and verdict.evidence.ratio > 1
    # Shrunk to the smallest layer of the first covered class it falls in (a class may ask for two features).
    assert verdict.counterexample.layer.in_features <= 2 and verdict.counterexample.layer.out_features <= 2
    text = verdict.explain()
    assert "FALSIFIED" in text and "minimal counterexample" in text and "replay:" in text


def test_assert_holds_raises_the_explanation_as_an_assertion_error() -> None:
    theorems.assert_holds("fold-linear", fold_linear, examples=3)
    with pytest.raises(AssertionError, match=r"(?s)fold-linear on .*eps_forgotten.*FALSIFIED.*tolerance"):
        theorems.assert_holds("fold-linear", eps_forgotten)


def test_the_host_projects_loaded_profile_does_not_apply() -> None:
    # A host project's profile with a 1 ms deadline: the variance check takes far longer per
    # example, and under that profile it would fail with DeadlineExceeded (or FlakyFailure).
    settings.register_profile("host-with-a-deadline", deadline=datetime.timedelta(milliseconds=1), max_examples=1000)
    settings.load_profile("host-with-a-deadline")
    verdict = theorems.check("variance-recursion", variance_by_recursion, examples=2)
    assert verdict.holds, verdict.explain()
    assert verdict.examples == len(get_theorem("variance-recursion").cover_classes()) + 2  # the covered classes, then two free


def test_an_unknown_theorem_assumption_or_profile_is_refused_before_any_example() -> None:
    calls: list[object] = []

    def spy(linear: nn.Linear, bn: nn.BatchNorm1d) -> nn.Module:
        calls.append(linear)
        return fold_linear(linear, bn)

    with pytest.raises(InvalidInput, match="unknown theorem id 'fold-lnear'; did you mean 'fold-linear'"):
        theorems.check("fold-lnear", spy)
    with pytest.raises(InvalidInput, match="fold-linear has no assumption 'dims'; it takes: dtype, affine, bias"):
        theorems.check("fold-linear", spy, assume={"dims": 2})
    with pytest.raises(InvalidInput, match="dtype=float16 is not possible; expected one of float32, float64"):
        theorems.check("fold-linear", spy, assume={"dtype": "float16"})
    with pytest.raises(ValueError, match="profile='nightly' is unknown"):
        theorems.check("fold-linear", spy, profile="nightly")
    with pytest.raises(ValueError, match="examples=0 must be a positive integer"):
        theorems.check("fold-linear", spy, examples=0)
    assert calls == []


def test_a_callable_that_cannot_take_the_contracts_arguments_is_refused_not_falsified() -> None:
    def takes_a_model(model: nn.Module) -> nn.Module:
        return model

    with pytest.raises(InvalidInput, match=r"takes_a_model\(model: .*\) -> .* cannot be called as fold-conv's contract calls it, with \(conv, bn\)"):
        theorems.check("fold-conv", takes_a_model)


def test_assumptions_restrict_the_domain_and_the_verdict_says_so() -> None:
    seen: list[FoldCase] = []

    def recording(conv: nn.Module, bn: nn.Module) -> nn.Module:
        seen.append(type(conv).__name__)
        return fold_conv(conv, bn)

    verdict = theorems.check("fold-conv", recording, examples=10, assume={"dims": 2, "dtype": torch.float32, "affine": "false"})
    assert verdict.holds and set(seen) == {"Conv2d"}
    assert verdict.assumptions == {"dims": "2", "dtype": "float32", "affine": "false"}
    assert "on the restricted domain dims=2, dtype=float32, affine=false" in verdict.explain()


def test_an_implementation_that_hangs_is_falsified_within_its_timeout() -> None:
    released = threading.Event()

    def sleeps(linear: nn.Linear, bn: nn.BatchNorm1d) -> nn.Module:
        released.wait(30)
        return fold_linear(linear, bn)

    start = time.perf_counter()
    verdict = theorems.check("fold-linear", sleeps, timeout=0.5)
    assert time.perf_counter() - start < 10
    assert not verdict.holds and verdict.evidence.failure == "did not return within 0.5 s"
    assert "did not return within 0.5 s" in verdict.explain() and "not shrunk" in verdict.explain()
    # The abandoned call still holds the guard's watchers in this process until it ends: ended here,
    # not 30 s into whatever test this worker runs next (whose state it would change as it ends).
    released.set()
    for thread in threading.enumerate():
        if thread.name.startswith("theorems: "):
            thread.join(10)


def test_the_package_says_its_version() -> None:
    from importlib.metadata import version

    assert theorems.__version__ == version("theorems")


def test_a_library_finding_is_reproduced_by_checking_the_library_in_the_ci_profile() -> None:
    import scipy.stats

    verdict = theorems.check("affine-gaussian-density", scipy.stats.multivariate_normal.logpdf, profile="ci")
    assert not verdict.holds


@pytest.mark.slow
def test_a_recorded_counterexample_is_replayed_after_the_generated_examples_hold() -> None:
    """The clustered-eigenvalue defect of scipy is a rare rounding case (1600 random Σ = c²I
    never hit it): an implementation wrong only there holds on every generated example and is
    falsified on the recorded one, as a database replay would."""
    import numpy as np
    import scipy.stats

    from theorems.gaussian_density.findings import CLUSTERED_EXAMPLE
    from theorems.gaussian_density.check import affine_gaussian_log_density

    recorded_cov = CLUSTERED_EXAMPLE.covariance()

    def scipy_only_there(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
        there = cov.shape == recorded_cov.shape and np.array_equal(cov, recorded_cov)
        return (scipy.stats.multivariate_normal.logpdf if there else affine_gaussian_log_density)(x, mean, cov)

    # The recorded example is replayed whatever the number of generated examples (those of a full domain):
    # twenty show the order (generated first, all held, then the recorded one) as ci's hundred would, at a fifth
    # of the cost; the reference is held to it at the fewest examples the theorem's covered classes allow.
    verdict = theorems.check("affine-gaussian-density", scipy_only_there, profile="ci", examples=20)
    assert not verdict.holds and verdict.counterexample is CLUSTERED_EXAMPLE and verdict.examples == 20
    assert "counterexample recorded for this theorem, after all 20 generated examples held" in verdict.explain()
    assert theorems.check("affine-gaussian-density", affine_gaussian_log_density, profile="ci", examples=1).holds
    # A restricted domain need not contain the recorded example: it is not replayed there.
    assert theorems.check("affine-gaussian-density", scipy_only_there, assume={"dim": 4}, examples=20).holds


def linear_classes(case: FoldCase) -> dict:
    """The covered classes of a fold-linear example (the classifier of the covered test theorem below)."""
    return {"dtype": str(case.x.dtype).removeprefix("torch."), "affine": case.bn.affine, "bias": case.layer.bias is not None}


def test_a_covered_theorem_draws_every_class_once_and_then_searches_freely() -> None:
    import dataclasses

    from theorems._engine.run import run_check
    from theorems.fold.statement import FOLD_LINEAR

    covered = dataclasses.replace(FOLD_LINEAR, cover=("dtype", "affine", "bias"), classify_target="test_api:linear_classes")
    seen = []

    def recording(layer: nn.Linear, bn: nn.BatchNorm1d) -> nn.Linear:
        seen.append((str(layer.weight.dtype).removeprefix("torch."), bn.affine, layer.bias is not None))
        return fold_linear(layer, bn)

    run = run_check(covered, recording, profile="ci", max_examples=10)
    assert run.verdict == "holds" and run.examples == 10
    rows = [(row["dtype"], row["affine"], row["bias"]) for row in covered.cover_classes()]
    assert seen[: len(rows)] == rows, "the first examples are the covering rows, in order"
    for first, second in ((0, 1), (0, 2), (1, 2)):  # strength 2: every pair of values of two assumptions
        assert len({(row[first], row[second]) for row in rows}) == 4, rows
    assert run.classes["dtype"]["float32"] + run.classes["dtype"]["float64"] == 10
    assert all(count >= 1 for counts in run.classes.values() for count in counts.values()), run.classes
    assert run.classes["affine"].keys() == {"true", "false"}
    assert covered.cover_classes({"dtype": "float64"}) == [{"affine": a, "bias": b} for a in (True, False) for b in (True, False)]


def test_a_covered_class_that_falsifies_stops_the_run_and_its_replay_names_the_class() -> None:
    import dataclasses

    from theorems._engine.run import run_check
    from theorems.fold.statement import FOLD_LINEAR

    covered = dataclasses.replace(FOLD_LINEAR, cover=("dtype",))

    def wrong_in_float64_only(layer: nn.Linear, bn: nn.BatchNorm1d) -> nn.Linear:
        folded = fold_linear(layer, bn)
        if layer.weight.dtype == torch.float64:
            with torch.no_grad():
                folded.weight.mul_(2)
        return folded

    from theorems._engine.replay import replay_command

    def replay(seed: int | None, row: dict[str, str] | None = None) -> str:  # as check_implementation builds it
        return replay_command("fold-linear", "mylib:fold", profile="ci", seed=seed, examples=None, assume=row)

    run = run_check(covered, wrong_in_float64_only, profile="ci", replay=replay)
    assert run.verdict == "falsified"
    assert run.replay.endswith("--assume dtype=float64")


@given(st.lists(st.integers(1, 4), min_size=0, max_size=6))
def test_covering_rows_hold_every_pair_of_values_of_two_factors(sizes: list[int]) -> None:
    import itertools

    from theorems.theorem import covering_rows

    factors = [(f"f{i}", tuple(range(size))) for i, size in enumerate(sizes)]
    rows = covering_rows(factors)
    assert all(set(row) == {name for name, _ in factors} for row in rows)
    for (first, values_1), (second, values_2) in itertools.combinations(factors, 2):
        assert {(row[first], row[second]) for row in rows} == set(itertools.product(values_1, values_2))
    for name, values in factors:
        assert {row[name] for row in rows} == set(values) or not rows
    product = 1
    for size in sizes:
        product *= size
    assert len(rows) <= (product if len(sizes) <= 2 else max(a * b for a, b in itertools.combinations(sizes, 2)) * 2)


# --- replays that replay, for every kind of callable ---------------------------------------------


def _replay_line(verdict: theorems.Verdict) -> str:
    return next(line.removeprefix("replay: ") for line in verdict.explain().splitlines() if line.startswith("replay: "))


def _scaled(p: Any, q: Any, factor: float) -> float:
    from theorems.kl.check import kl_divergence

    return kl_divergence(p, q) * factor


@pytest.mark.parametrize(
    "kind",
    ["lambda", "closure", "partial", "bound method"],
)
def test_the_replay_of_an_anonymous_callable_is_the_python_call_that_reproduces_it(kind: str) -> None:
    import functools

    class Scaling:
        def kl(self, p: Any, q: Any) -> float:
            return _scaled(p, q, 1.01)

    def closure() -> Any:
        factor = 1.01
        return lambda p, q: _scaled(p, q, factor)

    implementation = {
        "lambda": lambda p, q: _scaled(p, q, 1.01),
        "closure": closure(),
        "partial": functools.partial(_scaled, factor=1.01),
        "bound method": Scaling().kl,
    }[kind]
    first = theorems.check("kl-nonnegativity", implementation, assume={"size": 2})
    line = _replay_line(first)
    assert line.startswith("theorems.check('kl-nonnegativity', <your callable>, profile='ci'") and "'size': " in line, line
    again = eval(line.replace("<your callable>", "implementation"), {"theorems": theorems, "implementation": implementation})
    assert not again.holds and again.examples == 1 and again.evidence.example == first.evidence.example


def test_a_function_of_a_module_the_command_cannot_import_by_name_is_replayed_by_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A function of a test module (pytest imports ``tests/test_x.py`` as ``test_x`` from ``tests/``)."""
    import importlib
    import shlex

    from theorems.cli import main

    (tmp_path / "test_local_kl.py").write_text(
        "from theorems.kl.check import kl_divergence\n\ndef too_large(p, q):\n    return kl_divergence(p, q) * 1.01\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("test_local_kl")
    first = theorems.check("kl-nonnegativity", module.too_large)
    words = shlex.split(_replay_line(first))
    assert words[:4] == ["theorems", "check", "kl-nonnegativity", "--impl"] and words[4] == f"{tmp_path / 'test_local_kl.py'}:too_large", words
    assert main(words[1:]) == 1
    assert first.evidence.example in capsys.readouterr().out
