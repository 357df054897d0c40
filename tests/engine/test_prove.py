"""``theorems prove``: the symbolic statements, their proofs, the claims and wrong statements refuted, the command.

Each proof runs as the command runs it (:func:`theorems._engine.prove.run_with_budget`: a child
process under the statement's budget), one test per statement so that they spread over
workers; the command itself runs on a few cheap theorems. ``theorems prove`` as a whole
takes about 30 s here; the symbolic definitions (a conv written out as sums, the
Toeplitz entry rule, the densities) are also compared with torch and with the numeric
references at numbers, so that what is proved is what the suite checks.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch

from theorems.cli import main
from theorems._engine.prove import (
    establish,
    not_an_identity,
    proofs_json,
    prove,
    run_with_budget,
    symbolic_claims,
    symbolic_statements,
    wrong_symbolic_statements,
)
from theorems._engine.registry import all_claims, all_theorems
from theorems.oracles.symbolic import NOT_ATTEMPTED, PROVED, REFUTED, Identity, SymbolicStatement
from theorems.oracles.tolerance import U64, gamma

# theorems._engine.prove runs each proof in a process of its own (how its time budget is kept).
pytestmark = pytest.mark.e2e

# What the command proves, as theorems._engine.prove finds it (each theorem's symbolic module).
SYMBOLIC_STATEMENTS = symbolic_statements()
SYMBOLIC_CLAIMS = symbolic_claims()
WRONG_STATEMENTS = wrong_symbolic_statements()
NOT_AN_IDENTITY = not_an_identity()


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def statement_of(theorem_id: str) -> SymbolicStatement:
    return next(statement for statement in SYMBOLIC_STATEMENTS if statement.id == theorem_id)


# --- every theorem proved, every claim and wrong statement refuted ----------------------------

# The tests ask whether each proof holds, not how fast it runs: a statement's own budget is wall
# time, and on a loaded machine it failed proofs that hold (a timed assertion, issue 25). What a
# budget does is tested below (a proof past it is stopped and never passes); the command prints
# each proof's seconds against its budget.
UNTIMED = 600.0

# The statements a test of the command below proves or refutes, reading each outcome (issue 25:
# the same SymPy work, seconds of it, is not done twice): gaussian-kl and its notes' claim by
# `theorems prove`, kl-additivity by `verify --prove`, the first wrong statement by the JSON test.
BY_A_COMMAND_TEST = {"gaussian-kl", "gaussian-kl-notes-last-line", "kl-additivity", WRONG_STATEMENTS[0].id}


def not_by_a_command_test(statements: tuple[SymbolicStatement, ...]) -> list[SymbolicStatement]:
    return [statement for statement in statements if statement.id not in BY_A_COMMAND_TEST]


@pytest.mark.parametrize("statement", not_by_a_command_test(SYMBOLIC_STATEMENTS), ids=lambda statement: statement.id)
def test_each_symbolic_statement_of_a_theorem_is_proved(statement: SymbolicStatement) -> None:
    proof = run_with_budget(statement, UNTIMED)
    assert proof.status == PROVED, proof.reason
    assert proof.passed


@pytest.mark.parametrize("statement", not_by_a_command_test(SYMBOLIC_CLAIMS), ids=lambda statement: statement.id)
def test_each_transcribed_claim_is_refuted_with_a_substitution(statement: SymbolicStatement) -> None:
    proof = run_with_budget(statement, UNTIMED, kind="claim")
    assert proof.status == REFUTED, proof.reason
    assert_refuted_with_a_substitution(proof.reason)


def assert_refuted_with_a_substitution(reason: str) -> None:
    assert "≠" in reason and "left − right = " in reason, reason


@pytest.mark.parametrize("statement", not_by_a_command_test(WRONG_STATEMENTS), ids=lambda statement: statement.id)
def test_each_wrong_symbolic_statement_is_refuted(statement: SymbolicStatement) -> None:
    proof = run_with_budget(statement, UNTIMED, kind="wrong statement")
    assert proof.status == REFUTED, proof.reason


def test_every_theorem_has_a_symbolic_statement_or_a_reason_why_not() -> None:
    stated = {statement.id for statement in SYMBOLIC_STATEMENTS}
    for theorem in all_theorems():
        assert (theorem.id in stated) != (theorem.id in NOT_AN_IDENTITY), theorem.id


def test_every_transcribed_claim_has_a_symbolic_statement_that_must_be_refuted() -> None:
    stated = {statement.id: statement for statement in SYMBOLIC_CLAIMS}
    assert set(stated) == {claim.id for claim in all_claims()}
    for claim in all_claims():
        assert stated[claim.id].expected == REFUTED and stated[claim.id].theorem_id == claim.theorem_id


def test_every_proved_theorem_has_a_wrong_statement() -> None:
    caught = {statement.theorem_id for statement in WRONG_STATEMENTS}
    assert {statement.id for statement in SYMBOLIC_STATEMENTS} <= caught
    assert all(statement.expected == REFUTED and statement.what_is_wrong for statement in WRONG_STATEMENTS)


def test_theorems_that_are_not_identities_are_not_attempted_and_say_why() -> None:
    proofs = prove(list(NOT_AN_IDENTITY))
    assert [proof.id for proof in proofs] == list(NOT_AN_IDENTITY)  # in the order asked
    assert all(proof.status == NOT_ATTEMPTED and proof.sizes is None and proof.reason and proof.passed for proof in proofs)


# --- the prover itself -----------------------------------------------------------------------


def identities_up_to(count: int) -> Iterator[Identity]:
    x = sympy.Symbol("x", real=True)
    for _ in range(count):
        yield Identity(what="x + x = 2x", left=x + x, right=2 * x)


def test_a_statement_with_no_identities_is_not_attempted_never_proved() -> None:
    # "Every one of no identities reduces to 0" is vacuously true: it must not read as a proof.
    statement = SymbolicStatement("empty", "-", 5.0, f"{__name__}:identities_up_to", ({"count": 0},))
    status, reason = establish(statement)
    assert status == NOT_ATTEMPTED and "yielded no identity for the case count=0" in reason and "nothing is proved" in reason


def test_a_statement_with_one_case_that_yields_no_identity_is_not_attempted() -> None:
    # The other case's identity holds, but the sizes of the empty case would be reported proved unchecked.
    statement = SymbolicStatement("half-empty", "-", 5.0, f"{__name__}:identities_up_to", ({"count": 2}, {"count": 0}))
    status, reason = establish(statement)
    assert status == NOT_ATTEMPTED and "count=0" in reason


def test_fold_networks_reason_claims_only_the_pair_folds_at_their_stated_sizes() -> None:
    reason = NOT_AN_IDENTITY["fold-network"]
    stated = {statement.id for statement in SYMBOLIC_STATEMENTS}
    named = {"fold-linear", "fold-conv", "fold-conv-transpose"}
    assert named <= stated and all(theorem_id in reason for theorem_id in named)
    assert "nothing about a network is proved" in reason and "only at the few sizes it lists" in reason
    assert "checked numerically only" in reason and "proved above" not in reason


def test_a_residual_nonzero_only_outside_the_hypotheses_is_not_refuted() -> None:
    # |a| = a holds for a > 0: a substitution with a ≤ 0 breaks the hypothesis and may not refute.
    a = sympy.Symbol("a", real=True)
    statement = SymbolicStatement("abs", "-", 5.0, f"{__name__}:absolute_value_statement", ({"symbol": a},))
    status, reason = establish(statement)
    assert status == NOT_ATTEMPTED and "undecided" in reason


def absolute_value_statement(symbol: sympy.Symbol) -> Iterator[Identity]:
    yield Identity(what="|a| = a", left=sympy.Abs(symbol), right=symbol, requires=(symbol,))


def test_the_square_root_of_a_squared_determinant_is_proved_its_absolute_value() -> None:
    a, b, c, d = sympy.symbols("a b c d", real=True)
    statement = SymbolicStatement("root", "-", 5.0, f"{__name__}:root_statement", ({"entries": (a, b, c, d)},))
    assert establish(statement)[0] == PROVED


def root_statement(entries: tuple[sympy.Symbol, ...]) -> Iterator[Identity]:
    a, b, c, d = entries
    yield Identity(what="√(det²) = |det|", left=sympy.sqrt((a * a + b * b) * (c * c + d * d) - (a * c + b * d) ** 2), right=sympy.Abs(a * d - b * c))


def statement_that_never_ends() -> Iterator[Identity]:
    while True:  # holds the GIL, as SymPy does
        sum(range(100_000))
    yield  # a generator, as every symbolic statement is


def test_a_proof_past_its_budget_is_not_attempted_and_stopped_within_a_second_or_two() -> None:
    statement = SymbolicStatement("never", "-", 0.5, f"{__name__}:statement_that_never_ends")
    start = time.perf_counter()
    proof = run_with_budget(statement)
    assert proof.status == NOT_ATTEMPTED and "ran past its budget of 0.5 s" in proof.reason
    assert not proof.passed and proof.seconds == 0.5
    assert time.perf_counter() - start < 5


def test_a_real_proof_given_too_little_time_is_not_attempted_and_does_not_pass() -> None:
    (proof, _) = prove(["gaussian-kl"], budget=0.05)
    assert proof.status == NOT_ATTEMPTED and "ran past its budget" in proof.reason and not proof.passed


# --- the command -----------------------------------------------------------------------------


def test_prove_exits_0_and_writes_the_documented_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "proofs.json"
    code, out, _ = run_main(capsys, "prove", "gaussian-kl", "kl-nonnegativity", "--json", str(path))
    assert code == 0, out
    assert "gaussian-kl: proved for d = 1, diagonal d = 2, dense 2×2" in out
    assert "claim gaussian-kl-notes-last-line: refuted for d = 1" in out
    assert "kl-nonnegativity: not attempted: an inequality" in out
    found = json.loads(path.read_text(encoding="utf-8"))
    assert list(found) == ["proofs"]
    rows = {row["id"]: row for row in found["proofs"]}
    assert list(rows) == ["gaussian-kl", "kl-nonnegativity", "gaussian-kl-notes-last-line"]  # the theorems as asked, then their claims
    for row in found["proofs"]:
        assert list(row) == ["id", "status", "sizes", "seconds", "reason"]
        assert row["status"] in (PROVED, REFUTED, NOT_ATTEMPTED) and isinstance(row["seconds"], float) and row["reason"]
    assert (rows["gaussian-kl"]["status"], rows["gaussian-kl-notes-last-line"]["status"]) == (PROVED, REFUTED)
    assert_refuted_with_a_substitution(rows["gaussian-kl-notes-last-line"]["reason"])
    assert rows["kl-nonnegativity"]["sizes"] is None


def test_prove_exits_1_when_a_statement_is_refuted(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = next(statement for statement in WRONG_STATEMENTS if statement.theorem_id == "fold-linear")
    as_theorem = dataclasses.replace(wrong, id="fold-linear", expected=PROVED)
    monkeypatch.setattr("theorems._engine.prove.symbolic_statements", lambda: (as_theorem,))
    code, out, _ = run_main(capsys, "prove", "fold-linear")
    assert code == 1
    assert "fold-linear: refuted for Linear 2→1" in out and "(must be proved)" in out and out.rstrip().endswith("not refuted")


def test_prove_exits_1_when_a_proof_runs_past_its_budget(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    slow = dataclasses.replace(statement_of("toeplitz-matrix"), target=f"{__name__}:statement_that_never_ends", budget=0.3)
    monkeypatch.setattr("theorems._engine.prove.symbolic_statements", lambda: (slow,))
    code, out, _ = run_main(capsys, "prove", "toeplitz-matrix")
    assert code == 1
    assert "toeplitz-matrix: not attempted" in out and "ran past its budget of 0.3 s" in out


def test_prove_reports_an_empty_statement_as_not_attempted_in_its_line_and_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = dataclasses.replace(statement_of("toeplitz-matrix"), target=f"{__name__}:identities_up_to", cases=({"count": 0},))
    monkeypatch.setattr("theorems._engine.prove.symbolic_statements", lambda: (empty,))
    code, out, _ = run_main(capsys, "prove", "toeplitz-matrix", "--json", str(tmp_path / "proofs.json"))
    assert code == 1, out  # a theorem's statement must come out proved; an empty one does not
    assert "toeplitz-matrix: not attempted for" in out and "(must be proved)" in out and ": proved" not in out
    (row,) = json.loads((tmp_path / "proofs.json").read_text(encoding="utf-8"))["proofs"]
    assert row["status"] == NOT_ATTEMPTED and "yielded no identity" in row["reason"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("prove", "fold-conv-transposed"), "unknown theorem id 'fold-conv-transposed'; did you mean 'fold-conv-transpose'?"),
        (("prove", "--json"), "expected one argument"),
        (("prove", "--bogus"), "unrecognized arguments: --bogus"),
    ],
)
def test_prove_usage_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    try:
        code, _, err = run_main(capsys, *argv)
    except SystemExit as exit_:  # argparse's own usage errors exit from the parser, as for every subcommand
        code, err = int(exit_.code or 0), capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_prove_refuses_a_json_path_it_cannot_write_before_proving(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, out, err = run_main(capsys, "prove", "toeplitz-matrix", "--json", str(blocker / "proofs.json"))
    assert code == 2 and "--json" in err and "is a file" in err and out == ""


def test_proofs_json_lists_wrong_statements_with_their_theorem_when_given() -> None:
    refuted = run_with_budget(WRONG_STATEMENTS[0], kind="wrong statement")
    found = proofs_json([], [refuted])
    assert found["proofs"] == []
    assert found["wrong_statements"] == [
        {"id": refuted.id, "status": REFUTED, "sizes": refuted.sizes, "seconds": round(refuted.seconds, 3), "reason": refuted.reason, "theorem": "fold-linear"}
    ]


# --- what is proved is what the suite checks: the symbolic definitions at numbers ---------------


def numbers(generator: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return generator.standard_normal(shape)


def as_objects(values: np.ndarray) -> np.ndarray:
    array = np.empty(values.shape, dtype=object)
    for index in np.ndindex(*values.shape):
        array[index] = float(values[index])
    return array


def as_floats(values: np.ndarray) -> np.ndarray:
    return np.vectorize(float, otypes=[float])(values)


def conv_rounding_bound(layer: torch.nn.Module, x: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per output: Higham's ``γ_{k+1}·(Σ|w||x| + |b|)`` for torch's ``k`` products and the bias
    (``|layer|`` applied to ``|x|``, padding included), plus one rounding of the exact written-out value."""
    magnitude_layer = copy.deepcopy(layer)
    with torch.no_grad():
        magnitude_layer.weight.abs_()
        magnitude_layer.bias.abs_()
        magnitude = magnitude_layer(torch.from_numpy(np.abs(x)).unsqueeze(0))[0].numpy()
    products = layer.in_channels // layer.groups * math.prod(layer.kernel_size)
    return gamma(products + 1, U64) * magnitude + U64 * np.abs(expected)


def assert_within(actual: np.ndarray, expected: np.ndarray, allowed: np.ndarray) -> None:
    """``|actual − expected| ≤ allowed`` elementwise; a failure names the worst element, both sides and its allowance."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    error = np.abs(actual - expected)
    allowed = np.broadcast_to(allowed, error.shape)
    worst = np.unravel_index(int(np.argmax(error / np.where(allowed > 0, allowed, np.inf))), error.shape) if error.size else ()
    assert np.all(error <= allowed), (
        f"{int((error > allowed).sum())} of {error.size} elements out of tolerance; worst at {tuple(int(i) for i in worst)}: "
        f"{actual[worst]!r} vs {expected[worst]!r}, error {error[worst]:.3e} > allowed {allowed[worst]:.3e}"
    )


@pytest.mark.parametrize("case", statement_of("fold-conv").cases, ids=lambda case: f"conv{case['dims']}d-{case.get('padding_mode', 'zeros')}")
def test_the_convolution_written_out_is_torchs(case: dict) -> None:
    from theorems.fold.symbolic import symbolic_conv

    dims = case["dims"]
    options = {"stride": case.get("stride", (1,) * dims), "padding": case.get("padding", (0,) * dims), "dilation": case.get("dilation", (1,) * dims)}
    layer = getattr(torch.nn, f"Conv{dims}d")(
        case["in_channels"], case["out_channels"], case["kernel_size"], groups=case.get("groups", 1),
        padding_mode=case.get("padding_mode", "zeros"), dtype=torch.float64, **options,
    )
    x = numbers(np.random.default_rng(0), (case["in_channels"], *case["input_size"]))
    expected = layer(torch.from_numpy(x).unsqueeze(0))[0].detach().numpy()
    written = symbolic_conv(
        as_objects(x), as_objects(layer.weight.detach().numpy()), as_objects(layer.bias.detach().numpy()),
        groups=case.get("groups", 1), padding_mode=case.get("padding_mode", "zeros"), **options,
    )
    assert_within(as_floats(written), expected, conv_rounding_bound(layer, x, expected))


@pytest.mark.parametrize("case", statement_of("fold-conv-transpose").cases, ids=lambda case: f"conv_transpose{case['dims']}d")
def test_the_transposed_convolution_written_out_is_torchs(case: dict) -> None:
    from theorems.fold.symbolic import symbolic_conv_transpose

    dims = case["dims"]
    options = {
        "stride": case.get("stride", (1,) * dims), "padding": case.get("padding", (0,) * dims),
        "output_padding": case.get("output_padding", (0,) * dims), "dilation": case.get("dilation", (1,) * dims),
    }
    layer = getattr(torch.nn, f"ConvTranspose{dims}d")(
        case["in_channels"], case["out_channels"], case["kernel_size"], groups=case.get("groups", 1), dtype=torch.float64, **options,
    )
    x = numbers(np.random.default_rng(1), (case["in_channels"], *case["input_size"]))
    expected = layer(torch.from_numpy(x).unsqueeze(0))[0].detach().numpy()
    written = symbolic_conv_transpose(
        as_objects(x), as_objects(layer.weight.detach().numpy()), as_objects(layer.bias.detach().numpy()),
        groups=case.get("groups", 1), **options,
    )
    assert_within(as_floats(written), expected, conv_rounding_bound(layer, x, expected))


@pytest.mark.parametrize("transpose", [False, True])
def test_the_symbolic_fold_is_the_numeric_fold_at_numbers(transpose: bool) -> None:
    from theorems.fold.check import batchnorm_scale, folded_bias, folded_weight
    from theorems.fold.symbolic import symbolic_folded_parameters

    generator = np.random.default_rng(2)
    groups, weight = 2, numbers(generator, (4, 3, 2) if transpose else (6, 2, 2))
    channels = 6
    mean, beta, bn_gamma, bias = (numbers(generator, (channels,)) for _ in range(4))
    var, eps = generator.uniform(0.5, 2.0, channels), 1e-3
    symbolic_weight, symbolic_bias = symbolic_folded_parameters(
        as_objects(weight), as_objects(bias), mean=as_objects(mean), var=as_objects(var), eps=eps, gamma=as_objects(bn_gamma),
        beta=as_objects(beta), transpose=transpose, groups=groups,
    )
    scale = batchnorm_scale(torch.from_numpy(var), eps, torch.from_numpy(bn_gamma))
    expected_weight = folded_weight(torch.from_numpy(weight), scale, transpose=transpose, groups=groups)
    expected_bias = folded_bias(torch.from_numpy(bias), scale, torch.from_numpy(mean), torch.from_numpy(beta))
    # The scale rounds 4 times (add, rsqrt ≈ 2, multiply), the weight once more, the exact side once.
    assert_within(as_floats(symbolic_weight), expected_weight.numpy(), gamma(6, U64) * np.abs(expected_weight.numpy()))
    # β + scale·(bias − mean): the scale's 4 and 3 more, over terms of size |β| + |scale|(|bias| + |mean|).
    bias_size = np.abs(beta) + np.abs(scale.numpy()) * (np.abs(bias) + np.abs(mean))
    assert_within(as_floats(symbolic_bias), expected_bias.numpy(), gamma(8, U64) * bias_size)


@pytest.mark.parametrize(("n", "f", "stride", "dilation"), [(5, 2, 1, 1), (8, 3, 2, 2), (7, 4, 3, 1), (1, 1, 1, 1)])
def test_the_symbolic_toeplitz_matrix_is_the_numeric_one_and_conv1d(n: int, f: int, stride: int, dilation: int) -> None:
    from theorems.toeplitz.check import toeplitz_matrix
    from theorems.toeplitz.symbolic import symbolic_conv1d, symbolic_toeplitz

    generator = np.random.default_rng(3)
    w, x = numbers(generator, (f,)), numbers(generator, (n,))
    matrix = np.array(symbolic_toeplitz([float(v) for v in w], n, stride=stride, dilation=dilation).tolist(), dtype=float)
    np.testing.assert_array_equal(matrix, toeplitz_matrix(torch.from_numpy(w), n, stride=stride, dilation=dilation).numpy())
    conv = torch.nn.functional.conv1d(torch.from_numpy(x).reshape(1, 1, -1), torch.from_numpy(w).reshape(1, 1, -1), stride=stride, dilation=dilation)
    written = np.array(symbolic_conv1d([float(v) for v in x], [float(v) for v in w], stride=stride, dilation=dilation).tolist(), dtype=float)
    # f products a sum (γ_f of Σ|w||x|) in conv1d, and the exact side rounds once.
    size = torch.nn.functional.conv1d(torch.from_numpy(np.abs(x)).reshape(1, 1, -1), torch.from_numpy(np.abs(w)).reshape(1, 1, -1), stride=stride, dilation=dilation)
    allowed = gamma(f, U64) * size.reshape(-1).numpy() + U64 * np.abs(conv.reshape(-1).numpy())
    assert_within(written.reshape(-1), conv.reshape(-1).numpy(), allowed)


@pytest.mark.parametrize("widths", [(1, 1), (3, 2), (2, 3, 2, 3), (5, 4, 3, 2, 1)])
def test_the_exact_recursion_is_the_modules_recursion_and_closed_form(widths: tuple[int, ...]) -> None:
    from theorems.variance.math import variance_by_recursion, variance_closed_form
    from theorems.variance.symbolic import symbolic_variance_by_recursion

    exact = symbolic_variance_by_recursion(widths)
    assert isinstance(exact, sympy.Rational)
    assert float(exact) == pytest.approx(variance_by_recursion(widths), rel=4 * 2**-53)
    assert float(exact) == pytest.approx(variance_closed_form(widths), rel=8 * 2**-53)


def test_the_symbolic_gaussian_formulas_are_the_numeric_ones_at_numbers() -> None:
    from theorems.gaussian_density.check import AffineGaussianCase, gaussian_log_density_by_cholesky, log_density_tolerance
    from theorems.gaussian_density.symbolic import symbolic_density_by_change_of_variables, symbolic_gaussian_density
    from theorems.gaussian_kl.check import GaussianPair, gaussian_kl_closed_form, gaussian_kl_tolerance, notes_gaussian_kl
    from theorems.gaussian_kl.symbolic import symbolic_gaussian_kl_closed_form, symbolic_notes_gaussian_kl

    matrix = np.array([[1.5, -0.4], [0.3, -0.9]])
    shift, x = np.array([0.2, -1.0]), np.array([0.7, 0.1])
    cov = matrix @ matrix.T
    expected = math.exp(gaussian_log_density_by_cholesky(x[None, :], shift, cov)[0])
    as_matrix = lambda values: sympy.Matrix(values.tolist())  # noqa: E731
    # exp turns the log density's absolute error into a relative one; exp and float() round once each more.
    log_error, _ = log_density_tolerance(AffineGaussianCase(matrix, shift, x[None, :]), x)
    density_rel = log_error + gamma(3, U64)
    assert float(symbolic_gaussian_density(as_matrix(x), as_matrix(shift), as_matrix(cov))) == pytest.approx(expected, rel=density_rel, abs=0)
    assert float(symbolic_density_by_change_of_variables(as_matrix(x), as_matrix(matrix), as_matrix(shift))) == pytest.approx(expected, rel=density_rel, abs=0)
    mu1, cov1 = np.array([1.0, 0.5]), np.array([[2.0, 0.3], [0.3, 0.7]])
    for symbolic, numeric in ((symbolic_gaussian_kl_closed_form, gaussian_kl_closed_form), (symbolic_notes_gaussian_kl, notes_gaussian_kl)):
        value = symbolic(as_matrix(shift), as_matrix(cov), as_matrix(mu1), as_matrix(cov1))
        # Backward-stable factorisations on the numeric side only (no quadrature oracle: terms_size 0).
        kl_error, _ = gaussian_kl_tolerance(GaussianPair(shift, cov, mu1, cov1), 0.0)
        assert float(value) == pytest.approx(numeric(shift, cov, mu1, cov1), rel=0, abs=kl_error)


def test_verify_with_prove_carries_the_proofs_into_its_json_and_report(tmp_path) -> None:  # noqa: ANN001
    import json

    from theorems.cli import main

    code = main(["verify", "--only", "kl-additivity", "--profile", "ci", "--examples", "3", "--no-power", "--prove",
                 "--json", str(tmp_path / "r.json"), "--report", str(tmp_path / "r.html")])
    assert code == 0
    found = json.loads((tmp_path / "r.json").read_text())
    assert [proof["id"] for proof in found["proofs"]] == ["kl-additivity"] and found["proofs"][0]["status"] == "proved"
    assert 'data-proof-status="proved"' in (tmp_path / "r.html").read_text() and "proved symbolically at sizes" in (tmp_path / "r.html").read_text()


def test_verify_with_prove_shows_an_empty_statement_as_not_attempted_in_its_report(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import json

    from theorems.cli import main

    empty = dataclasses.replace(statement_of("kl-additivity"), target=f"{__name__}:identities_up_to", cases=({"count": 0},))
    monkeypatch.setattr("theorems._engine.prove.symbolic_statements", lambda: (empty,))
    main(["verify", "--only", "kl-additivity", "--profile", "ci", "--examples", "3", "--no-power", "--prove",
          "--json", str(tmp_path / "r.json"), "--report", str(tmp_path / "r.html")])
    found = json.loads((tmp_path / "r.json").read_text())
    assert [proof["status"] for proof in found["proofs"]] == [NOT_ATTEMPTED]
    html = (tmp_path / "r.html").read_text()
    assert 'data-proof-status="not attempted"' in html and "proved symbolically at sizes" not in html
