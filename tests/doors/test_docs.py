"""The API reference's examples run, as `make docs` runs them (docs/api.rst documents these modules;
the strategies' examples are run by tests/strategies/test_strategies.py::test_the_docstring_examples_run)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.slow  # a ci check of fold-conv at 10 examples, as the docs show it
@pytest.mark.parametrize("name", ["theorems.api"])
def test_each_documented_modules_examples_run_as_written(name: str) -> None:
    outcome = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, report=True)
    assert outcome.attempted > 0, f"{name} has no examples: docs/api.rst or this list is out of date"
    assert outcome.failed == 0, f"{outcome.failed} of {outcome.attempted} examples of {name} failed (printed above)"
