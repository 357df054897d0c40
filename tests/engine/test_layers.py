"""The package's layers, as import-linter contracts (.importlinter): the doors over the engine over the
report over the theorems over the oracles over the vocabulary; the report imports no theorem; no cycles.

import-linter runs here, in this process (its Python API; no subprocess), on the installed source of
``theorems``: a broken contract fails this test with import-linter's own account of every import
that breaks it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_linter_contracts_are_kept(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from importlinter.cli import lint_imports

    monkeypatch.chdir(ROOT)
    code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out and "Contracts: 3 kept" in out, out
