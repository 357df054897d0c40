r"""T1 on whole networks: every Conv/Linear → BatchNorm pair of a network folded at once.

:func:`fold_network` traces a network with ``torch.fx``, folds each eval-mode
BatchNorm into the Conv/Linear/ConvTranspose that feeds it (and only it), and returns a
network without those BatchNorms that computes the same function.

The check evaluates the folded network's parameters exactly: a copy cast to float64 runs
on the input in float64, against the unfused network in float64 (the oracle). Forward
rounding is then float64's on both sides; what is left of float32 is the rounding of the
folded parameters, which autograd carries to the outputs (first order). The worst case,
stated once: (u₆₄+u₆₄)·Σ_j |∂N/∂v_j|·n_j·M_j for the forward roundings plus
(u+u₆₄)·Σ_θ k_θ·|θ·∂N/∂θ| for the parameters. The tolerance takes the parameters' term
from an independent-rounding model (Hoeffding) where that is smaller
(:func:`~theorems.fold_networks.bounds.network_bounds`, :func:`~theorems.fold_networks.bounds.network_tolerance`); ``make fold-calibration`` measures
it on right folds of random float32 networks, and the README gives its numbers.

Here: the reference (:func:`fold_network`) and the check; the notes' network in
:mod:`~theorems.fold_networks.networks`, the tracing in :mod:`~theorems.fold_networks.folding`,
the bound in :mod:`~theorems.fold_networks.bounds` over :mod:`~theorems.fold_networks.rounding_sites`.
"""

from __future__ import annotations

import copy
import gc
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import fx, nn

from theorems.evidence import Evidence, compare_elementwise, implementation_failure
from theorems.fold.check import run_folding
from theorems.fold_networks.bounds import network_bounds, release_copy, tolerance_and_reason
from theorems.fold_networks.folding import FOLDERS, replace_pairs
from theorems.oracles.operators import batch_norm_operators
from theorems.theorem import InvalidInput

__all__ = ["NetworkCase", "check_fold_network", "classify_network_case", "fold_network"]


def fold_network(model: nn.Module) -> fx.GraphModule:
    """A network computing ``model`` with every Conv/Linear → BatchNorm pair folded.

    ``model`` must be traceable by ``torch.fx`` and in eval mode; it is not modified.
    """
    if not isinstance(model, nn.Module):
        raise InvalidInput(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if any(module.training for module in model.modules()):
        raise InvalidInput("model is in training mode; fold equivalence needs eval mode (call model.eval())")
    folded, _ = replace_pairs(model, lambda layer, bn: FOLDERS[type(layer)](layer, bn))
    return folded


# --- the check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkCase:
    """A calibrated eval-mode network and an input batch; ``name`` and ``seed`` rebuild it."""

    name: str
    model: nn.Module
    x: torch.Tensor
    seed: int = 0

    def __repr__(self) -> str:
        return f"{self.name} on x{tuple(self.x.shape)} {str(self.x.dtype).removeprefix('torch.')}, seed={self.seed}"


def classify_network_case(case: NetworkCase) -> dict[str, str]:
    """The covered classes of an example: its network and dtype."""
    return {"network": case.name, "dtype": str(case.x.dtype).removeprefix("torch.")}


def _folded_in_float64(folded: nn.Module, x: torch.Tensor, own_output: torch.Tensor) -> torch.Tensor | str:
    """The folded network with its parameters evaluated exactly: a float64 copy on the float64 input.

    A float64 fold's own run is that already. A copy, not ``folded.double()``: a wrong fold
    may share parameters with the caller's model. Returns what went wrong, in words, when
    the copy cannot be made or does not compute in float64.
    """
    if x.dtype == torch.float64:
        return own_output
    copied = None
    try:
        copied = copy.deepcopy(folded).double()
        with torch.no_grad():
            output = copied(x.double())
        if isinstance(output, torch.Tensor):
            output = output.clone()  # not a tensor of the copy, which is released below
    except Exception as error:  # noqa: BLE001 — whatever the returned module raises is the implementation's failure
        return f"returned a network that cannot be evaluated in float64 (.double() on a copy, then the float64 input): {type(error).__name__}: {error}"
    finally:
        if isinstance(copied, nn.Module):
            release_copy(copied)
    if not isinstance(output, torch.Tensor) or output.dtype != torch.float64:
        got = output.dtype if isinstance(output, torch.Tensor) else type(output).__name__
        return f"returned a network that answers in {got} once cast with .double(): its parameters cannot be evaluated exactly"
    return output


COLLECT_ABOVE_BYTES = 16 * 2**20
"""A network whose tensors take this much (a million float64 parameters, or two million float32) is
collected after each check: the three networks of the strategy are; a test's tiny network is not."""


def _tensor_bytes(model: nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in itertools.chain(model.parameters(), model.buffers()))


def check_fold_network(implementation: Callable[[nn.Module], nn.Module], case: NetworkCase) -> Evidence:
    """Check ``implementation(model)``, its parameters evaluated in float64, against ``model`` itself in float64."""
    theorem_id = "fold-network"
    if not isinstance(case, NetworkCase):
        raise InvalidInput(f"{theorem_id} checks a NetworkCase(name, model, x), got {type(case).__name__}")
    if any(module.training for module in case.model.modules()):
        raise InvalidInput("model is in training mode; fold equivalence needs eval mode (call model.eval())")
    example = repr(case)
    outcome = run_folding(theorem_id, example, implementation, (case.model,), ("model",), case.x)
    if isinstance(outcome, Evidence):
        return outcome
    # The folded network's own run (in the input's dtype) is kept for what it dispatched
    # and for its finiteness; the numbers compared are its parameters' in float64.
    own_output, operators = outcome[1], outcome[2]
    if not torch.isfinite(own_output).all():
        bad = int((~torch.isfinite(own_output)).sum())
        return implementation_failure(theorem_id, example, f"returned {bad} non-finite values (NaN or inf)")
    actual = _folded_in_float64(outcome[0], case.x, own_output)
    del outcome  # the folded network, before the float64 copy of the unfused one is made (peak memory)
    if isinstance(actual, str):
        return implementation_failure(theorem_id, example, actual)
    # The folded network is the implementation's, and a traced one is a cycle (graph ↔ nodes ↔
    # module): freed now, not at the interpreter's next full collection, a large one does not
    # pile up over the examples (measured 0.3 GB an example of the notes' network). A full
    # collection costs a few tenths of a second in a large process, more than the whole check
    # of a small network, whose cycles are left to the interpreter. The float64 copies made
    # here are released as soon as they are used (release_copy).
    if _tensor_bytes(case.model) >= COLLECT_ABOVE_BYTES:
        gc.collect()
    bounds = network_bounds(case.model, case.x)
    tolerance, reason = tolerance_and_reason(bounds, case.x)
    evidence = compare_elementwise(
        theorem_id=theorem_id, example=example, expected=bounds.exact, actual=actual, tolerance=tolerance, tolerance_reason=reason
    )
    # Any batch normalisation the folded network still computes, whatever module runs it
    # (a wrapper, a scripted copy, a functional call), means a pair was not folded.
    remaining = batch_norm_operators(operators)
    if remaining and evidence.holds:
        count = sum(remaining.values())
        names = ", ".join(f"aten.{name}" for name in sorted(remaining))
        return implementation_failure(theorem_id, example, f"returned a network that still runs batch normalisation {count} times ({names}): not every pair was folded")
    return evidence
