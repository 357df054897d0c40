"""The public strategies: every --assume restricts what it says, bad arguments are refused at once."""

from __future__ import annotations

import doctest
import importlib
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NonInteractiveExampleWarning

from theorems._engine.registry import all_theorems

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
    "channels": lambda case: "equal" if _channel_counts(case.layer)[0] == _channel_counts(case.layer)[1] >= 2 else "different",
    "grouping": lambda case: "none" if case.layer.groups == 1 else "depthwise" if case.layer.groups == case.layer.in_channels else "grouped",
    "strided": lambda case: max((*case.layer.stride, *case.layer.dilation)) > 1,
    "pair": lambda case: "-".join({"Wishart": "ExponentialFamily"}.get(law.family, law.family) for law in (case.p, case.q)),
    "batch": lambda case: case.p.batch if hasattr(case, "p") else case.batch,
    "family": lambda case: case.family,
    "transform": lambda case: case.kind,
    "upsampling": lambda case: "output-padded" if max(case.layer.output_padding) > 0 else "strided" if max((*case.layer.stride, *case.layer.dilation)) > 1 else "none",
}


def _channel_counts(layer: Any) -> tuple[int, int]:
    return (layer.in_features, layer.out_features) if hasattr(layer, "in_features") else (layer.in_channels, layer.out_channels)


def _first_example(strategy: Any) -> Any:
    """The first example Hypothesis generates from ``strategy``, unshrunk: its simplest (the engine tries every
    choice at its simplest first), the one a covered run draws for a class.

    A one-example ``@given`` run, not ``find(strategy, lambda _: True)``, which draws the same example and then
    draws it again to hand it back (its final replay): twice the strategy's work (measured on the 393 assumption
    values: 5.0 s of CPU by find, 2.2 s so, every example the same).
    """
    drawn: list[Any] = []

    @settings(database=None, max_examples=1, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def first(example: Any) -> None:
        drawn.append(example)

    first()
    return drawn[0]


def _first_examples(strategies: list[Any]) -> list[Any]:
    """:func:`_first_example` of each strategy, drawn in one Hypothesis run: its first test case draws every choice at
    its simplest, so each draw is that strategy's simplest example, as in a run of its own (measured: the same 396
    examples), without a run's set-up per strategy (2.2 s of CPU for the 393 assumption values in runs of their
    own, 1.4 s in one run per assumption)."""
    drawn: list[Any] = []

    @settings(database=None, max_examples=1, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.data())
    def first(data: st.DataObject) -> None:
        drawn[:] = [data.draw(strategy) for strategy in strategies]

    first()
    return drawn


# Whole networks take seconds to build: the other two are restricted to but not drawn.
NOT_DRAWN = {("fold-network", "network", "resnet18"), ("fold-network", "network", "mobilenet_v2")}
ASSUMPTIONS = [
    pytest.param(theorem, assumption, id=f"{theorem.id}:{assumption.name}") for theorem in all_theorems() for assumption in theorem.assumptions
]


@pytest.mark.parametrize(("theorem", "assumption"), ASSUMPTIONS)
def test_every_assumption_restricts_the_examples_to_its_value(theorem: Any, assumption: Any) -> None:
    """Each value of the assumption, alone, restricts the first example drawn to that value (not shrunk: shrinking
    what always "fails" would build hundreds of layers); every value's strategy is built, all but NOT_DRAWN drawn."""
    name = assumption.name
    strategies = {assumption.spelled(value): (value, theorem.example_strategy(**{name: value})) for value in assumption.values}
    drawn = {spelled: pair for spelled, pair in strategies.items() if (theorem.id, name, pair[0]) not in NOT_DRAWN}
    examples = _first_examples([strategy for _, strategy in drawn.values()])
    observed = {spelled: OBSERVED[name](example) for spelled, example in zip(drawn, examples)}
    wrong = {spelled: seen for spelled, seen in observed.items() if seen != drawn[spelled][0]}
    assert not wrong, f"{theorem.id}: {name}=value drew an example whose {name} is another: " + ", ".join(f"{k} drew {v!r}" for k, v in wrong.items())


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
    case = _first_example(affine_gaussian_cases(dim=3, singular_values="repeated"))
    singular = np.linalg.svd(case.matrix, compute_uv=False)
    assert singular.max() - singular.min() <= 1e-12 * singular.max()  # a multiple of an orthogonal matrix


# --- the structural classes of toeplitz-gradient, toeplitz-matrix, variance-recursion(-relu) ---


def _observe_as_well(name: str, kind: type, observe: Callable[[Any], Any]) -> None:
    """Observe ``name`` on examples of ``kind`` with ``observe``, keeping any other theorem's observation of that name."""
    other = OBSERVED.get(name)
    OBSERVED[name] = lambda case: observe(case) if other is None or isinstance(case, kind) else other(case)


def _register_class_observations() -> None:
    from theorems.toeplitz.check import ToeplitzCase
    from theorems.variance.check import VarianceCase

    _observe_as_well("filter", ToeplitzCase, lambda case: "n" if case.kernel_size == case.n else "1" if case.kernel_size == 1 else "between")
    _observe_as_well("depth_class", VarianceCase, lambda case: "1" if len(case.widths) == 2 else "deep")
    _observe_as_well("width", VarianceCase, lambda case: "1" if 1 in case.widths[:-1] else "wide")
    _observe_as_well("layers", VarianceCase, lambda case: "square" if len(set(case.widths)) == 1 else "rectangular")


_register_class_observations()
CLASSIFIED_THEOREMS = ("toeplitz-gradient", "toeplitz-matrix", "variance-recursion", "variance-recursion-relu")
CLASS_ROWS = [
    pytest.param(theorem, row, id=f"{theorem.id}:" + ",".join(f"{name}={value}" for name, value in row.items()))
    for theorem in all_theorems()
    if theorem.id in CLASSIFIED_THEOREMS
    for row in theorem.cover_classes()
]


@pytest.mark.parametrize(("theorem", "row"), CLASS_ROWS)
def test_every_example_of_a_covering_row_is_classified_in_that_row(theorem: Any, row: dict[str, Any]) -> None:
    from hypothesis import given

    @settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck))
    @given(theorem.example_strategy(**row))
    def classified_in_its_row(example: Any) -> None:
        assert theorem.classify(example) == row
        assert {name: OBSERVED[name](example) for name in row} == row

    classified_in_its_row()


def test_a_class_that_contradicts_the_numeric_assumption_yields_to_it() -> None:
    from theorems.strategies import gradient_cases, relu_cases, variance_cases

    first = settings(database=None, phases=[Phase.generate])
    assert _first_example(gradient_cases(kernel_size=3, filter="1")).kernel_size == 3
    assert len(_first_example(variance_cases(depth=3, depth_class="1")).widths) == 4
    assert len(_first_example(relu_cases(depth=1, depth_class="deep")).widths) == 2
    # Where they agree, both hold: a filter of 3 taps spanning the input, two layers of a deep class.
    case = find(gradient_cases(kernel_size=(1, 3), filter="n"), lambda case: case.kernel_size == 3, settings=first)
    assert case.n == 3
    assert len(_first_example(variance_cases(depth=(1, 2), depth_class="deep")).widths) == 3


def test_the_wide_and_rectangular_classes_reach_the_capped_extremes() -> None:
    from theorems.strategies import variance_cases
    from theorems.strategies.variance import width_cap

    # Twelve layers cap every width at 2: a wide rectangular network must widen its output layer.
    case = _first_example(variance_cases(depth=12, width="wide", layers="rectangular"))
    assert min(case.widths) >= 2 and len(set(case.widths)) > 1 and max(case.widths[:-1]) <= width_cap(12)


# --- the structural classes of affine-gaussian-density and gaussian-kl ---


def _gaussian_classes(case: Any) -> dict[str, str]:
    from theorems.gaussian_kl.check import GaussianPair
    from theorems.strategies.gaussian import classify_affine_gaussian_case, classify_gaussian_pair

    return (classify_gaussian_pair if isinstance(case, GaussianPair) else classify_affine_gaussian_case)(case)


def _register_gaussian_class_observations() -> None:
    from theorems.gaussian_density.check import AffineGaussianCase
    from theorems.gaussian_kl.check import GaussianPair

    for name in ("dimension", "structure"):
        _observe_as_well(name, (AffineGaussianCase, GaussianPair), lambda case, name=name: _gaussian_classes(case)[name])


_register_gaussian_class_observations()
GAUSSIAN_ROWS = [
    pytest.param(theorem, row, id=f"{theorem.id}:" + ",".join(f"{name}={value}" for name, value in row.items()))
    for theorem in all_theorems()
    if theorem.id in ("affine-gaussian-density", "gaussian-kl")
    for row in theorem.cover_classes()
]


@pytest.mark.parametrize(("theorem", "row"), GAUSSIAN_ROWS)
def test_every_example_of_a_gaussian_covering_row_is_classified_in_that_row(theorem: Any, row: dict[str, Any]) -> None:
    from hypothesis import given

    # In one dimension a covariance is a number: its rows draw the diagonal class, whatever structure says.
    expected = {**row, "structure": "diagonal"} if row["dimension"] == "1" else row

    @settings(max_examples=25, database=None, suppress_health_check=list(HealthCheck))
    @given(theorem.example_strategy(**row))
    def classified_in_its_row(example: Any) -> None:
        assert theorem.classify(example) == expected

    classified_in_its_row()


@pytest.mark.parametrize(("theorem", "row"), GAUSSIAN_ROWS)
def test_the_simplest_example_of_a_gaussian_class_is_a_typical_member(theorem: Any, row: dict[str, Any]) -> None:
    """A covered run draws each class's simplest example: it must not be a special case (Σ = c·I, A = I, Σ0 = Σ1)."""
    import numpy as np

    example = _first_example(theorem.example_strategy(**row))
    covariances = [example.covariance()] if hasattr(example, "matrix") else [example.cov0, example.cov1]
    for cov in covariances:
        eigenvalues = np.linalg.eigvalsh(cov)
        assert not np.allclose(eigenvalues, 1.0), cov  # not orthogonal, so log det Σ ≠ 0
        if len(cov) > 1:
            assert eigenvalues.max() >= 9.9 * eigenvalues.min(), cov  # κ ≥ 10: no c·I
        if row["structure"] != "diagonal" and len(cov) > 1:
            correlations = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
            assert np.abs(correlations[0, 1]) > 0.1, cov  # every pair of the first two coordinates correlated
    if len(covariances) == 2:
        # Σ1 = Σ0 hides every mistake that cancels between them; Σ1 ∝ Σ0 (past one dimension) most.
        product = np.linalg.solve(covariances[1], covariances[0])
        assert not np.allclose(product, np.eye(len(product))), "Σ1 = Σ0"
        assert len(product) == 1 or not np.allclose(product, product[0, 0] * np.eye(len(product))), "Σ1 ∝ Σ0"


def test_a_gaussian_class_that_contradicts_the_numeric_dimension_yields_to_it() -> None:
    from theorems.strategies import affine_gaussian_cases, gaussian_pairs

    assert _first_example(affine_gaussian_cases(dim=4, dimension="1")).dim == 4
    assert _first_example(affine_gaussian_cases(dim=(1, 4), dimension="3+")).dim == 4
    # A 1×1 covariance cannot be dense: the structure yields; without a dimension it asks for d ≥ 2.
    assert _gaussian_classes(_first_example(gaussian_pairs(dim=1, structure="dense"))) == {"dimension": "1", "structure": "diagonal"}
    assert _first_example(gaussian_pairs(structure="ill-conditioned")).dim == 2


def test_a_gaussian_structure_the_other_arguments_exclude_is_refused_naming_them() -> None:
    from theorems.strategies import affine_gaussian_cases, gaussian_pairs

    with pytest.raises(InvalidArgument, match=r"^structure='ill-conditioned' needs κ ≥ 1e10; max_log10_condition=8"):
        affine_gaussian_cases(structure="ill-conditioned", max_log10_condition=8)
    with pytest.raises(InvalidArgument, match=r"^structure='dense' needs distinct eigenvalues; max_log10_condition=0"):
        gaussian_pairs(structure="dense", max_log10_condition=0)
    with pytest.raises(InvalidArgument, match=r"^singular_values='repeated' applies to unstructured draws"):
        affine_gaussian_cases(structure="dense", singular_values="repeated")
    with pytest.raises(InvalidArgument, match=r"^diagonal=True draws unstructured diagonal covariances"):
        gaussian_pairs(structure="dense", diagonal=True)
    with pytest.raises(InvalidArgument, match=r"^structure='banded' is not possible"):
        gaussian_pairs(structure="banded")


def test_the_gaussian_classifier_reads_dimension_condition_and_correlation() -> None:
    import numpy as np

    from theorems.gaussian_density.check import AffineGaussianCase
    from theorems.gaussian_kl.check import GaussianPair

    def case(matrix: list) -> dict[str, str]:
        matrix = np.array(matrix, dtype=float)
        return _gaussian_classes(AffineGaussianCase(matrix, np.zeros(len(matrix)), np.zeros((1, len(matrix)))))

    assert case([[3.0]]) == {"dimension": "1", "structure": "diagonal"}
    assert case([[0.0, 2.0], [1.0, 0.0]]) == {"dimension": "2", "structure": "diagonal"}  # Σ = AAᵀ = diag(4, 1)
    assert case([[1.0, 1.0], [0.0, 1.0]]) == {"dimension": "2", "structure": "dense"}
    assert case(np.diag([1.0, 1.0, 10**4.51]).tolist())["structure"] == "ill-conditioned"  # κ(Σ) = 1e9.02
    assert case(np.diag([1.0, 1.0, 10**4.49]).tolist()) == {"dimension": "3+", "structure": "diagonal"}
    one, dense = np.eye(2), np.array([[2.0, 1.0], [1.0, 2.0]])
    assert _gaussian_classes(GaussianPair(np.zeros(2), one, np.zeros(2), dense))["structure"] == "dense"  # the harder of the two


FOLD_THEOREMS = [theorem for theorem in all_theorems() if theorem.id in ("fold-linear", "fold-conv", "fold-conv-transpose")]


@pytest.mark.parametrize("theorem", FOLD_THEOREMS, ids=lambda theorem: theorem.id)
def test_a_fold_example_drawn_in_a_covered_class_is_classified_in_that_class(theorem: Any) -> None:
    for row in theorem.cover_classes():
        example = _first_example(theorem.example_strategy(**row))
        assert theorem.classify(example) == row, f"drawn in {row}, classified {theorem.classify(example)}: {example!r}"


def test_the_grouping_class_and_the_number_of_groups_restrict_together() -> None:
    from theorems.strategies import conv_cases, conv_transpose_cases

    for cases in (conv_cases, conv_transpose_cases):
        layer = _first_example(cases(groups=2, grouping="grouped")).layer
        assert layer.groups == 2 and layer.in_channels >= 4
        layer = _first_example(cases(groups=(1, 3), grouping=("none", "depthwise"), channels="different")).layer
        assert layer.groups == 1 or layer.groups == layer.in_channels == 3
        with pytest.raises(InvalidArgument, match=r"^groups=1 and grouping='depthwise' allow nothing; grouping='none' is groups=1"):
            cases(groups=1, grouping="depthwise")
        with pytest.raises(InvalidArgument, match=r"^groups=\(2, 3\) and grouping='none' allow nothing"):
            cases(groups=(2, 3), grouping="none")


def test_a_batchnorm_of_several_channels_has_distinct_scales_even_without_affine() -> None:
    import torch

    from theorems.strategies import batchnorms, torch_seeded

    @settings(database=None, max_examples=30)
    @given(st.data())
    def standout_scale(data: st.DataObject) -> None:
        channels = data.draw(st.integers(2, 8))
        with torch_seeded(data.draw(st.integers(0, 2**32 - 1))):
            bn = data.draw(batchnorms(num_features=channels, dims=2, affine=False))
        scale = torch.rsqrt(bn.running_var.double() + bn.eps)
        # One channel's σ² + ε is at least 10^0.5 times every other's: the scales differ by 10^0.25 ≈ 1.78 or more.
        assert float(scale.max() / scale.min()) >= 1.75, bn.running_var

    standout_scale()


# The KL classes (size, zeros, degenerate), observed on the pmfs themselves, not by the
# strategies' classifiers: a pair, or every factor of independent pmfs.
def _kl_pairs(case: Any) -> list[tuple[Any, Any]]:
    return [(case.p, case.q)] if hasattr(case, "p") else list(zip(case.p_factors, case.q_factors))


def _kl_zeros(case: Any) -> str:
    def zeros(p: Any, q: Any) -> str:
        return "q" if ((p > 0) & (q == 0)).any() else "both" if ((p == 0) & (q == 0)).any() else "p" if (p == 0).any() else "none"

    return max((zeros(p, q) for p, q in _kl_pairs(case)), key=["none", "p", "both", "q"].index)


def _kl_near_point_mass(pmf: Any) -> bool:
    nonzero = pmf[pmf > 0]  # subnormal entries, or within an ulp (2^-52) of a point mass without being one
    return bool((nonzero < 2.0**-1022).any() or (nonzero.max() >= 1 - 2.0**-52 and not (len(nonzero) == 1 and nonzero[0] == 1.0)))


OBSERVED.update(
    size=lambda case: {1: "1", 2: "2"}.get(int((case.p > 0).sum()), "large"),
    zeros=_kl_zeros,
    degenerate=lambda case: any(_kl_near_point_mass(p) or _kl_near_point_mass(q) for p, q in _kl_pairs(case)),
)


def test_kl_pmf_pairs_stay_in_every_class_asked_for_together() -> None:
    from hypothesis.errors import NoSuchExample

    from theorems.strategies import independent_pmfs, pmf_pairs

    cheap = settings(database=None, max_examples=30, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    with pytest.raises(NoSuchExample):
        find(
            pmf_pairs(size=("1", "large"), zeros=("q", "both"), degenerate=True),
            lambda case: not (OBSERVED["size"](case) in ("1", "large") and OBSERVED["zeros"](case) in ("q", "both") and OBSERVED["degenerate"](case)),
            settings=cheap,
        )
    with pytest.raises(NoSuchExample):
        find(independent_pmfs(factors=3, zeros="p", degenerate=False), lambda case: (len(case.p_factors), _kl_zeros(case), OBSERVED["degenerate"](case)) != (3, "p", False), settings=cheap)
