"""Pyro, imported for the audit's tests only, without leaving its KL registrations in torch.

Importing pyro.distributions registers four KL pairs in torch's registry, one of them over torch's own
(Independent, Independent): in a process that had imported it, kl-closed-forms' reference run would check
Pyro's function for that pair and its coverage test would find three pairs torch does not register. So no
test module imports Pyro at collection; the fixtures import it and put torch's registry back afterwards.

Loaded by the root conftest's ``pytest_plugins``, not a conftest.py of its own: the root conftest is imported as
``conftest`` (tests/engine/test_tiers.py), and a second conftest.py would take that name. Pyro is a test
dependency (pyproject's test extra): without it the fixtures fail, they do not skip.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest


@pytest.fixture
def pyro_distributions() -> Iterator[ModuleType]:
    # torch imported here, not at the top: this module is loaded in xdist's controller too, which
    # runs no test and would import torch (2 s) before it starts the workers.
    from torch.distributions import kl

    registry, memo = dict(kl._KL_REGISTRY), dict(kl._KL_MEMOIZE)
    try:
        yield importlib.import_module("pyro.distributions")
    finally:
        kl._KL_REGISTRY.clear()
        kl._KL_REGISTRY.update(registry)
        kl._KL_MEMOIZE.clear()
        kl._KL_MEMOIZE.update(memo)


@pytest.fixture
def pyro_transforms(pyro_distributions: ModuleType) -> ModuleType:
    return importlib.import_module("pyro.distributions.transforms")
