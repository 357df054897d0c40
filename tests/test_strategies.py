"""The public strategies: every --assume restricts what it says, bad arguments are refused at once."""

from __future__ import annotations

import doctest
import importlib
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import InvalidArgument, NonInteractiveExampleWarning

from theorems.registry import all_theorems

# What each assumption observes on a generated example: the value the example has.
OBSERVED: dict[str, Callable[[Any], Any]] = {
    "dtype": lambda case: str(case.x.dtype).removeprefix("torch."),
    "affine": lambda case: case.bn.affine,
    "bias": lambda case: case.layer.bias is not None,
    "dims": lambda case: len(case.layer.kernel_size),
    "groups": lambda case: case.layer.groups,
    "padding_mode": lambda case: case.layer.padding_mode,
    "network": lambda case: case.name,
    "dim": lambda case: len(getattr(case, "shift", getattr(case, "mu0", None))),
    "support": lambda case: len(case.p) if hasattr(case, "p") else {len(p) for p in case.p_factors}.pop(),
    "factors": lambda case: len(case.p_factors),
    "kernel_size": lambda case: case.kernel_size,
    "depth": lambda case: len(case.widths) - 1,
}
# Whole networks take seconds to build: the other two are restricted to but not drawn.
NOT_DRAWN = {("fold-network", "network", "resnet18"), ("fold-network", "network", "mobilenet_v2")}
CASES = [
    pytest.param(theorem, assumption.name, value, id=f"{theorem.id}:{assumption.name}={assumption.spelled(value)}")
    for theorem in all_theorems()
    for assumption in theorem.assumptions
    for value in assumption.values
]


@pytest.mark.parametrize(("theorem", "name", "value"), CASES)
def test_every_assumption_restricts_the_examples_to_its_value(theorem: Any, name: str, value: Any) -> None:
    strategy = theorem.example_strategy(**{name: value})
    if (theorem.id, name, value) in NOT_DRAWN:
        return
    # The first example drawn, not shrunk (shrinking what always "fails" would build hundreds of layers).
    example = find(strategy, lambda _: True, settings=settings(database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    assert OBSERVED[name](example) == value


@pytest.mark.parametrize("theorem", all_theorems(), ids=lambda theorem: theorem.id)
def test_every_assumption_a_theorem_lists_is_a_keyword_of_its_strategy(theorem: Any) -> None:
    for assumption in theorem.assumptions:
        with pytest.raises(InvalidArgument, match=f"^{assumption.name}="):
            theorem.example_strategy(**{assumption.name: "no such value"})


def test_a_bad_keyword_value_is_refused_naming_it() -> None:
    from theorems.strategies import conv_cases, gaussian_pairs, variance_cases

    with pytest.raises(InvalidArgument, match=r"^dims=4 is not possible; expected one of \(1, 2, 3\)$"):
        conv_cases(dims=4)
    with pytest.raises(InvalidArgument, match=r"^bias=1 is not possible"):
        conv_cases(bias=1)  # a number is not a flag
    with pytest.raises(InvalidArgument, match=r"^max_log10_condition=13 must be in \[0, 12\]$"):
        gaussian_pairs(max_log10_condition=13)
    with pytest.raises(InvalidArgument, match=r"^depth=\(\) allows nothing"):
        variance_cases(depth=())


@pytest.mark.parametrize("name", ["fold", "gaussian", "kl", "toeplitz", "variance"])
def test_the_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(f"theorems.strategies.{name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        found = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert found.failed == 0 and found.attempted > 0


def test_the_package_face_names_every_strategy_lazily() -> None:
    import theorems.strategies as strategies

    for name in strategies.__all__:
        assert callable(getattr(strategies, name)) or hasattr(getattr(strategies, name), "example"), name
    with pytest.raises(AttributeError):
        strategies.no_such_strategy  # noqa: B018


def test_a_size_that_is_not_a_positive_int_is_refused_naming_it() -> None:
    from theorems.strategies import covariances, densities, invertible_matrices, pmfs, rotations

    for make, words in ((rotations, "n"), (covariances, "n"), (invertible_matrices, "n"), (pmfs, "size")):
        for bad in (0, -1, 2.0, True):
            with pytest.raises(InvalidArgument, match=f"^{words}={bad!r} must be an int of at least 1$"):
                make(bad)
    with pytest.raises(InvalidArgument, match=r"^families='gamma' is not possible"):
        densities(families=("normal", "gamma"))
    with pytest.raises(InvalidArgument, match=r"^min_nu=1 must be in \(1, 8\]"):
        densities(min_nu=1)


def test_singular_value_layouts_are_drawn_as_asked_and_refused_when_unknown() -> None:
    import numpy as np

    from theorems.strategies import affine_gaussian_cases, invertible_matrices

    with pytest.raises(InvalidArgument, match=r"^singular_values='round' is not possible"):
        invertible_matrices(2, singular_values="round")
    case = find(affine_gaussian_cases(dim=3, singular_values="repeated"), lambda _: True, settings=settings(database=None, phases=[Phase.generate]))
    singular = np.linalg.svd(case.matrix, compute_uv=False)
    assert singular.max() - singular.min() <= 1e-12 * singular.max()  # a multiple of an orthogonal matrix
