"""The core needs no extra, and a feature whose extra is missing says which in one line (exit 2).

The core imported and checking in a fresh interpreter without any extra is tested from the installed
wheel, in the interpreter of the user's first hour (test_user_project.py), which it shares.
"""

from __future__ import annotations

import sys

import pytest

from theorems.cli import main
from theorems.extras import EXTRAS, MissingExtra, require


def missing(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """As if ``modules`` were not installed: Python's import refuses a name mapped to None."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_require_names_the_extra_and_the_module_that_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    missing(monkeypatch, "latex2mathml")
    with pytest.raises(MissingExtra, match=r"^the report needs the extra \[report\] \(latex2mathml is not installed\): pip install 'theorems\[report\]'$"):
        require("report", "the report")


def test_an_installed_extra_is_required_silently() -> None:
    for extra in EXTRAS:
        require(extra, "anything")


@pytest.mark.parametrize(
    ("argv", "module", "extra"),
    [
        (["check", "fold-linear", "--impl", "theorems.fold.check:fold_linear", "--examples", "1", "--report", "{tmp}/r.html"], "jinja2", "report"),
        (["verify", "--only", "toeplitz-matrix", "--examples", "1", "--report", "{tmp}/r.html"], "matplotlib", "report"),
        (["check", "fold-network", "--impl", "theorems.fold_networks.check:fold_network", "--examples", "1"], "torchvision", "vision"),
        (["prove", "gaussian-kl"], "sympy", "prove"),
        (["verify", "--only", "toeplitz-matrix", "--examples", "1", "--json", "{tmp}/r.json", "--report", "{tmp}/r.html", "--prove"], "sympy", "prove"),
        (["verify", "--only", "toeplitz-matrix", "--examples", "1", "--workers", "2"], "distributed", "cluster"),
        (["check", "fold-linear", "--impl", "theorems.fold.check:fold_linear", "--database", "redis://127.0.0.1:1/0"], "redis", "cluster"),
    ],
    ids=["check --report", "verify's report", "fold-network", "prove", "verify --prove", "verify --workers", "redis database"],
)
def test_a_feature_whose_extra_is_missing_exits_2_with_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path, argv: list[str], module: str, extra: str
) -> None:
    missing(monkeypatch, module)
    code, out, err = run_main(capsys, *(word.format(tmp=tmp_path) for word in argv))
    assert code == 2 and err.count("\n") == 1, err
    assert f"needs the extra [{extra}] ({module} is not installed): pip install 'theorems[{extra}]'" in err, err
    assert not list(tmp_path.iterdir()), "nothing is written before the missing extra is named"


def test_the_api_raises_the_one_line_error_for_a_theorem_whose_extra_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import theorems
    from theorems.fold_networks.check import fold_network

    missing(monkeypatch, "torchvision")
    with pytest.raises(MissingExtra, match=r"the theorem fold-network needs the extra \[vision\]"):
        theorems.check("fold-network", fold_network, examples=1)
