"""The core needs no extra, and a feature whose extra is missing says which in one line (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from theorems.cli import main
from theorems.extras import EXTRAS, MissingExtra, require



def installed_with_torch() -> set[str]:
    """What torch itself requires (SymPy and Jinja2 among them): no install of the core lacks those."""
    import re
    from importlib.metadata import requires

    return {re.split(r"[ ;<>=~!\[]", requirement, maxsplit=1)[0].lower() for requirement in requires("torch") or ()}


# The extras' modules a core install can lack.
EVERY_EXTRA_MODULE = sorted(module for modules in EXTRAS.values() for module in modules if module not in installed_with_torch())


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


@pytest.mark.e2e
def test_the_core_imports_and_checks_without_any_extra(tmp_path) -> None:
    """A fresh interpreter with every extra's modules refused (but those torch itself requires): the
    package, the API, the command and the plugin import, and a check runs to its verdict."""
    assert {"matplotlib", "latex2mathml", "distributed", "redis", "torchvision"} <= set(EVERY_EXTRA_MODULE)
    script = f"""
import sys
sys.modules.update(dict.fromkeys({EVERY_EXTRA_MODULE!r}))
import theorems, theorems.api, theorems.cli, theorems.pytest_plugin
result = theorems.check("fold-linear", __import__("theorems.fold.check", fromlist=["fold_linear"]).fold_linear, examples=3)
assert result.holds, result
leaked = sorted(name for name in sys.modules if name.split(".")[0] in {EVERY_EXTRA_MODULE!r} and sys.modules[name] is not None)
assert not leaked, leaked
print("core ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "core ok", done.stderr[-2000:]
