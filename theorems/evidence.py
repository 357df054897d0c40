"""Evidence: what one check of one example found, written for a person to act on.

Modelled on ``torch.testing._comparison``: a failure says what was compared, how many
elements were out of tolerance, the worst absolute error, where it was, both values
there, and what was allowed and why.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where a tensor is compared: `import theorems` stays light
    import torch

__all__ = ["Evidence", "compare_elementwise", "implementation_failure", "observing_evidence", "with_class"]

# Callbacks told of every Evidence made (the per-property figures of a test run).
_EVIDENCE_OBSERVERS: list[Callable[["Evidence"], None]] = []
# False while :func:`with_class` copies an evidence: its observers were told of it when it was made.
_TELLING: contextvars.ContextVar[bool] = contextvars.ContextVar("telling", default=True)


@contextlib.contextmanager
def observing_evidence(callback: Callable[["Evidence"], None]) -> Iterator[None]:
    """Call ``callback`` with every :class:`Evidence` created inside the block."""
    _EVIDENCE_OBSERVERS.append(callback)
    try:
        yield
    finally:
        _EVIDENCE_OBSERVERS.remove(callback)


@dataclass(frozen=True)
class Evidence:
    """The outcome of checking one implementation on one example.

    ``ratio = error / tolerance``; the theorem holds on this example when the ratio is
    at most 1 and the implementation did not fail outright (``failure`` is set when it
    raised, returned the wrong type, shape or dtype, returned NaN, or mutated its input).
    """

    theorem_id: str
    example: str
    expected: str
    actual: str
    error: float
    tolerance: float
    tolerance_reason: str
    mismatches: str = ""
    failure: str | None = None
    example_class: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if _TELLING.get():
            for observer in _EVIDENCE_OBSERVERS:
                observer(self)

    @property
    def ratio(self) -> float:
        # NaN propagates as the worst ratio: max() and > skip a NaN, and a NaN error or
        # tolerance (a comparison that could not be made) must never pass for a small one.
        if self.failure is not None or math.isnan(self.error) or math.isnan(self.tolerance):
            return math.inf
        if self.tolerance == 0.0:
            return 0.0 if self.error == 0.0 else math.inf
        return self.error / self.tolerance

    @property
    def holds(self) -> bool:
        return self.failure is None and self.ratio <= 1.0

    def explain(self) -> str:
        """A multi-line account of the comparison, for failure messages and reports."""
        lines = [f"{self.theorem_id}: {'holds' if self.holds else 'FALSIFIED'} on {self.example}"]
        if self.failure is not None:
            lines.append(f"  the implementation {self.failure}")
            return "\n".join(lines)
        lines += [
            f"  expected (oracle):   {self.expected}",
            f"  actual (under test): {self.actual}",
            f"  error {self.error:.3e} vs tolerance {self.tolerance:.3e} (ratio {self.ratio:.3g})",
            f"  tolerance: {self.tolerance_reason}",
        ]
        if self.mismatches:
            lines.append(f"  {self.mismatches}")
        return "\n".join(lines)


def with_class(evidence: Evidence, example_class: Mapping[str, str]) -> Evidence:
    """``evidence`` with its example's class (covered assumption → its value, spelled); the same
    evidence to its observers, who are not told of it a second time."""
    pairs = tuple((str(name), str(value)) for name, value in example_class.items())
    if pairs == evidence.example_class:  # a theorem without classes: nothing to add
        return evidence
    token = _TELLING.set(False)
    try:
        return dataclasses.replace(evidence, example_class=pairs)
    finally:
        _TELLING.reset(token)


def implementation_failure(theorem_id: str, example: str, failure: str) -> Evidence:
    """Evidence that the implementation failed outright on a valid input (it is falsified)."""
    return Evidence(
        theorem_id=theorem_id,
        example=example,
        expected="",
        actual="",
        error=math.inf,
        tolerance=0.0,
        tolerance_reason="",
        failure=failure,
    )


def compare_elementwise(
    *,
    theorem_id: str,
    example: str,
    expected: torch.Tensor,
    actual: torch.Tensor,
    tolerance: torch.Tensor,
    tolerance_reason: str,
) -> Evidence:
    """Compare two tensors against a per-element tolerance; report the element worst off.

    The reported ``error``/``tolerance`` pair is taken at the element with the largest
    ratio, so ``ratio`` is the worst error-to-tolerance ratio over all elements.
    """
    import torch

    if actual.shape != expected.shape:
        return implementation_failure(
            theorem_id, example, f"returned shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
        )
    if not torch.isfinite(actual).all():
        bad = int((~torch.isfinite(actual)).sum())
        return implementation_failure(theorem_id, example, f"returned {bad} non-finite values (NaN or inf)")
    error = (actual.double() - expected.double()).abs()
    tolerance = tolerance.double().expand_as(error)
    # A zero tolerance with zero error is a perfect match, not 0/0.
    ratio = torch.where(error == 0, torch.zeros_like(error), error / tolerance)
    ratio = torch.where(torch.isnan(ratio) | torch.isnan(tolerance), torch.inf, ratio)  # NaN is the worst, never skipped
    flat = int(torch.argmax(ratio))
    where = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), error.shape))
    out_of_tolerance = int((~(ratio <= 1)).sum())
    return Evidence(
        theorem_id=theorem_id,
        example=example,
        expected=f"{expected.reshape(-1)[flat].item():.17g} at index {where}",
        actual=f"{actual.reshape(-1)[flat].item():.17g}",
        error=float(error.reshape(-1)[flat]),
        tolerance=float(tolerance.reshape(-1)[flat]),
        tolerance_reason=tolerance_reason,
        mismatches=f"{out_of_tolerance} of {error.numel()} elements out of tolerance",
    )
