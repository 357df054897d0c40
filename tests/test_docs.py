"""The API reference's examples (docs/api.rst documents these modules) run, as `make docs` runs them."""

from __future__ import annotations

import doctest
import importlib
import warnings

import pytest
from hypothesis.errors import NonInteractiveExampleWarning

DOCUMENTED = ["theorems.api", "theorems.strategies.fold", "theorems.strategies.gaussian", "theorems.strategies.kl", "theorems.strategies.toeplitz", "theorems.strategies.variance"]


@pytest.mark.slow
@pytest.mark.parametrize("name", DOCUMENTED)
def test_each_documented_modules_examples_run_as_written(name: str) -> None:
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)  # `.example()` is what the docs show
        outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert outcome.attempted > 0, f"{name} has no examples: docs/api.rst or this list is out of date"
    assert outcome.failed == 0, f"{outcome.failed} of {outcome.attempted} examples of {name} failed (printed above)"
