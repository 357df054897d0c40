r"""T1 on whole networks (Problem 1's smallNet, and beyond it resnet18 and mobilenet_v2).

The math and the check: :mod:`theorems.fold_networks.check`.
"""

from __future__ import annotations

from theorems.fold.statement import DTYPE, HYPOTHESES
from theorems.theorem import Assumption, Theorem

__all__ = ["FOLD_NETWORK", "THEOREMS"]

# float64 first: the cheaper check (no rounding model to fit), where most mistakes show,
# so that a wrong fold is usually caught by the first covered example.
NETWORK_DTYPE = Assumption(DTYPE.name, tuple(sorted(DTYPE.values, reverse=True)), DTYPE.meaning)

FOLD_NETWORK = Theorem(
    id="fold-network",
    # Its part of the suite's false-alarm budget (theorems.oracles.false_alarms): not sampling: the chance, under the independent-rounding model, that a right float32 fold exceeds the probabilistic bound.
    false_alarm_share=1e-7,
    title="Every Conv/Linear → BatchNorm pair of a network folds (smallNet, resnet18, mobilenet_v2)",
    source="Problem 1",  # smallNetTrain → smallNetTest; beyond the notes: resnet18, mobilenet_v2
    statement=r"N_{\mathrm{folded}}(x) = N(x)\ \text{ for all } x,\ \text{each pair } \mathrm{BN}\circ L \mapsto L'",
    hypotheses=HYPOTHESES + ("the network is in eval mode and traceable by torch.fx",),
    oracles=(
        "the unfused network evaluated in float64, against the folded network's parameters evaluated in float64",
        "torch.fx.experimental.optimization.fuse as a second implementation",
    ),
    contract=(
        "(model: nn.Module in eval mode) -> nn.Module computing model(x) with no BatchNorm left; must not modify model; "
        "a copy cast with .double() must compute in float64"
    ),
    parameters=("model",),
    reference_target="theorems.fold_networks.check:fold_network",
    check_target="theorems.fold_networks.check:check_fold_network",
    examples="theorems.strategies.fold:network_cases",
    assumptions=(Assumption("network", ("small-net", "resnet18", "mobilenet_v2"), "the network folded"), NETWORK_DTYPE),
    # Each example builds and calibrates a whole network (seconds): every network in both
    # dtypes once, then 1 free example in ci, 20 in thorough.
    example_fraction=0.01,
    extra="vision",  # resnet18 and mobilenet_v2 come from torchvision
    # An example is a named network, a dtype and a seed: shrinking could only try other seeds,
    # each a whole network checked again (1 s for smallNet), and no seed is smaller than another.
    shrinks=False,
    cover=("dtype", "network"),
    classify_target="theorems.fold_networks.check:classify_network_case",
)

THEOREMS = (FOLD_NETWORK,)
