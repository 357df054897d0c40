r"""Beyond the notes · every bijective transform (torch's, Pyro's, yours): the laws of a bijection.

A ``torch.distributions.Transform`` ``f`` that declares ``bijective = True`` promises, for every ``x``
in its ``domain`` and ``y = f(x)``:

1. ``f(x) ∈ codomain`` (``codomain.check(y)``, exact);
2. ``g(f(x)) = x`` and ``f(g(y)) = y``, ``g = f.inv``, within the round trips' bars
   (:mod:`theorems.transform_laws.oracle`: γ_32 times the values carried through autograd's ``J_f``, ``J_g``);
3. ``log_abs_det_jacobian(x, y) = log|det J_f(x)|``, ``J_f`` onto the free coordinates, with
   log-det-jacobian's oracle and bar (:mod:`theorems.log_det_jacobian.check`);
4. for a map of scalars (``event_dim`` 0) whose ``sign`` is defined, ``sign = sign f'(x)`` wherever
   autograd's ``f'(x) ≠ 0``.

The reference (:func:`torch_transform`) checks torch's class of the example (its ``case``), held to the
recorded findings' error models (this theorem's, and log-det-jacobian's for the log-determinant);
:func:`torch_transform_everywhere` checks the same classes at the normal bars everywhere. Any other
implementation is a class, built from the example's bank by its own ``arg_constraints``
(:mod:`theorems.transform_laws.case`). Deterministic: no law samples, so no false-alarm share.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch.distributions import constraints as C
from torch.distributions import transforms as T

from theorems.calling import call_implementation
from theorems.evidence import Evidence, compare_elementwise, implementation_failure
from theorems.finding import RecordedErrors, recorded_errors
from theorems.log_det_jacobian.check import NOT_BIJECTIVE, check_log_det_jacobian, log_abs_det_jacobian
from theorems.log_det_jacobian.check import tolerance_of, torch_log_abs_det_jacobian
from theorems.theorem import InvalidInput, undecided
from theorems.transform_laws.case import TransformDraw, constructor_arguments, input_in, spelled
from theorems.transform_laws.evaluation import Images, Parameters, StepFailed, evaluate
from theorems.transform_laws.oracle import decidable, forward_round_trip_bar, inverse_round_trip_bar, near_a_bound

__all__ = ["NOT_CHECKED", "check_transform_laws", "torch_transform", "torch_transform_everywhere"]

THEOREM_ID = "transform-laws"

# The transforms torch exports that are not checked: log-det-jacobian's list (they are not bijections).
NOT_CHECKED = NOT_BIJECTIVE


def torch_transform(draw: TransformDraw) -> type:
    """The reference: torch's class of the example (``draw.case``), held to the recorded findings' error models."""
    return type(draw.case.build())


def torch_transform_everywhere(draw: TransformDraw) -> type:
    """torch's class of the example at the normal bars everywhere: what checking torch as any implementation finds."""
    return type(draw.case.build())


def require_draw(draw: object) -> TransformDraw:
    if not isinstance(draw, TransformDraw):
        raise InvalidInput(f"{THEOREM_ID} checks a TransformDraw (theorems.transform_laws.case), got {type(draw).__name__}")
    return draw


def require_class(implementation: Any) -> type:
    if not (isinstance(implementation, type) and issubclass(implementation, T.Transform)):
        name = getattr(implementation, "__name__", type(implementation).__name__)
        raise InvalidInput(f"{THEOREM_ID} checks a torch.distributions.Transform subclass, got {name}")
    return implementation


@dataclass(frozen=True)
class _Subject:
    """A built transform, its input, how the example is spelled, and what the reference is held to."""

    transform: T.Transform
    x: torch.Tensor
    example: str
    draw: TransformDraw
    reference: bool = False
    audited: bool = False
    recorded: RecordedErrors | None = None
    parameters: Parameters | None = None  # a class under test's constructor arguments, rounded as its formulas use them


def _torch_subject(implementation: Any, draw: TransformDraw) -> _Subject:
    transform, x = draw.case.build(), draw.case.input()
    if not bool(C.is_dependent(transform.domain)) and not bool(transform.domain.check(x).all()):
        raise InvalidInput(f"x lies outside the domain of {draw.case.spelled()}")
    audited = implementation is torch_transform
    return _Subject(transform, x, repr(draw.case), draw, reference=True, audited=audited, recorded=_recorded(draw) if audited else None)


def _recorded(draw: TransformDraw) -> RecordedErrors | None:
    from theorems.transform_laws.findings import FINDINGS

    return recorded_errors(FINDINGS, THEOREM_ID, draw)


def _class_subject(implementation: Any, draw: TransformDraw) -> _Subject | Evidence:
    """The class under test built from the bank, with its input carried into its domain (or how it failed)."""
    cls = require_class(implementation)
    arguments = constructor_arguments(cls, draw)
    built = call_implementation(THEOREM_ID, spelled(cls, arguments), lambda: cls(**arguments), (), ())
    if isinstance(built, Evidence):
        return built
    if not isinstance(built, T.Transform) or built.bijective is not True:
        raise InvalidInput(f"{spelled(cls, arguments)} is not a bijective Transform (bijective = {getattr(built, 'bijective', None)!r}): the laws are a bijection's")
    x = torch.tensor(input_in(built.domain, draw.z), dtype=torch.float64)
    if not bool(built.domain.check(x).all()):  # z carried onto an open bound by rounding
        undecided(f"the input drawn for {spelled(cls, arguments)} rounds onto the bound of its domain {built.domain!r}")
    return _Subject(built, x, spelled(cls, arguments, x), draw, parameters=Parameters(cls, tuple(arguments.items())))


def check_transform_laws(implementation: Any, draw: TransformDraw) -> Evidence:
    """Build the transform (torch's class of the example for the reference) and check its laws on the example's input."""
    draw = require_draw(draw)
    if implementation is torch_transform or implementation is torch_transform_everywhere:
        subject: _Subject | Evidence = _torch_subject(implementation, draw)
    else:
        subject = _class_subject(implementation, draw)
    return subject if isinstance(subject, Evidence) else _laws(subject)


# --- the laws ------------------------------------------------------------------------------------


def _codomain_law(subject: _Subject, images: Images) -> Evidence | None:
    """``codomain.check(f(x))`` for every output (None where the codomain is dependent: nothing to check)."""
    if images.inside is None:
        return None
    outside = ~images.inside
    first = tuple(int(i) for i in np.argwhere(outside.numpy())[0]) if bool(outside.any()) else None
    shown = f"; first at batch index {first}: {images.y[first].reshape(-1).tolist()}" if first is not None else ""
    return Evidence(
        theorem_id=THEOREM_ID,
        example=f"{subject.example} [f(x) ∈ codomain]",
        expected=f"every output inside {subject.transform.codomain!r}",
        actual=f"{int(outside.sum())} of {outside.numel()} outside{shown}",
        error=float(outside.sum()),
        tolerance=0.0,
        tolerance_reason="membership is exact: codomain.check(f(x)) must hold for every x in the domain",
    )


def _recorded_allowance(subject: _Subject, y: torch.Tensor) -> np.ndarray | float:
    return np.broadcast_to(np.asarray(subject.recorded.allowance(), dtype=float), tuple(y.shape)) if subject.recorded else 0.0


def _round_trip_laws(subject: _Subject, images: Images) -> tuple[list[Evidence], bool]:
    """Both round trips' evidence, and whether float64 resolves both (an undecidable one is not compared)."""
    extra = _recorded_allowance(subject, images.y)
    model = f"; + the recorded defect's error model ({subject.recorded.reason()})" if subject.recorded else ""
    trips = (
        ("g(f(x)) = x", subject.x, images.x_back, inverse_round_trip_bar(subject.x, images.y, images.j_f, images.j_g, extra, images.stages),
         "γ_32 [(|x| + λ) + |J_g|(|y| + λ) + |J_g||J_f|(|x| + λ) + Σ_stages (|∂x/∂v| + |J_g||∂y/∂v|)(|v| + λ)]"),
        ("f(g(y)) = y", images.y, images.y_back, forward_round_trip_bar(images.y, images.x_back, images.j_f, images.j_g, extra, images.stages),
         "γ_32 [(|y| + λ) + |J_f|(|g(y)| + λ) + |J_f||J_g|(|y| + λ) + Σ_stages (|∂y/∂v| + |J_f||∂x/∂v|)(|v| + λ)]"),
    )
    found, resolved = [], True
    for law, expected, actual, bar, formula in trips:
        if not decidable(bar, expected):
            resolved = False
            continue
        found.append(compare_elementwise(
            theorem_id=THEOREM_ID, example=f"{subject.example} [{law}]", expected=expected, actual=actual.double(),
            tolerance=torch.from_numpy(np.asarray(bar, dtype=float)),
            tolerance_reason=f"{formula}, λ = 2^-1021, J_f by autograd, J_g the larger of J_f's inverse and autograd's through g, "
                             f"the stages a composition's values between its parts and a class's constructor arguments{model}",
        ))
    return found, resolved


def _sign_law(subject: _Subject, images: Images) -> Evidence | None:
    """``sign = sign f'(x)`` where autograd's ``f'(x) ≠ 0``, for a map of scalars whose sign is defined."""
    x = subject.x
    if images.sign is None or images.j_f.shape != (x.numel(), x.numel()):
        return None
    example = f"{subject.example} [sign]"
    try:
        declared = torch.as_tensor(images.sign, dtype=torch.float64).expand(x.shape)
    except (RuntimeError, TypeError, ValueError):
        return implementation_failure(THEOREM_ID, example, f"has a sign {images.sign!r} that does not broadcast to x's shape {tuple(x.shape)}")
    slope = torch.from_numpy(np.diagonal(images.j_f).copy()).reshape(x.shape)
    claimed = torch.isfinite(slope) & (slope != 0)
    return compare_elementwise(
        theorem_id=THEOREM_ID, example=example, expected=torch.where(claimed, slope.sign(), declared), actual=declared,
        tolerance=torch.zeros(x.shape, dtype=torch.float64),
        tolerance_reason="a sign is exact: it must equal the sign of autograd's derivative f'(x) wherever f'(x) ≠ 0",
    )


def _log_det_law(subject: _Subject, images: Images) -> Evidence:
    """log-det-jacobian's check: on torch's case for the reference (held to log-det-jacobian's findings
    where audited), else on the class under test at the normal bar."""
    if not subject.reference:
        return _class_log_det_law(subject, images)
    chosen = log_abs_det_jacobian if subject.audited else torch_log_abs_det_jacobian
    evidence = check_log_det_jacobian(chosen, subject.draw.case)
    return replace(evidence, theorem_id=THEOREM_ID, example=f"{subject.example} [log|det J|]")


def _class_log_det_law(subject: _Subject, images: Images) -> Evidence:
    """The class's log_abs_det_jacobian against log-det-jacobian's oracle and bar, the oracle's rounding
    near a nonzero bound of the class's codomain counted as torch's bounded transforms' is."""
    example = f"{subject.example} [log|det J|]"
    oracle, actual = images.oracle, images.log_det
    batch_shape = tuple(oracle.value.shape)
    near = near_a_bound(subject.transform.codomain, images.y)
    near = near.reshape(*batch_shape, -1).sum(axis=-1) if batch_shape else near.sum()
    oracle = replace(oracle, saturation=np.maximum(oracle.saturation, near))
    tolerance, reason = tolerance_of(subject.x, oracle, images.y)
    if not np.all(np.isfinite(tolerance)):
        undecided(f"the autograd oracle cannot decide log|det J| on {subject.example}: an output rounds onto a bound of its codomain")
    _cross_checked(subject, images, tolerance)
    if tuple(actual.shape) != batch_shape:
        return implementation_failure(THEOREM_ID, example, f"log_abs_det_jacobian returned shape {tuple(actual.shape)}, expected the batch shape {batch_shape}")
    return compare_elementwise(
        theorem_id=THEOREM_ID, example=example, expected=torch.from_numpy(np.asarray(oracle.value, dtype=float)),
        actual=actual.double(), tolerance=torch.from_numpy(np.asarray(tolerance, dtype=float)), tolerance_reason=reason,
    )


def _cross_checked(subject: _Subject, images: Images, tolerance: np.ndarray) -> None:
    """The oracle accuses only where autograd through the inverse agrees with it: log|det J_f(x)| = −log|det J_g(y)|
    within both bars. Where they disagree, float64 autograd has lost the derivative inside the class's own
    formulas (low + width·σ(x) at x = 30: its 1 − σ keeps three digits), which no bar of the oracle's sees:
    the example is undecidable, never a verdict on the class."""
    inverse = images.inverse_oracle
    if inverse is None:
        return
    inverse_tolerance, _ = tolerance_of(images.y, inverse, images.x_back)
    with np.errstate(invalid="ignore"):
        apart = np.abs(np.asarray(images.oracle.value) + np.asarray(inverse.value))
        # Where autograd through the inverse gives no finite value, there is nothing to cross-check with.
        agree = (apart <= tolerance + inverse_tolerance) | ~np.isfinite(np.asarray(inverse.value))
    if not np.all(agree):
        undecided(
            f"the autograd oracle cannot decide log|det J| on {subject.example}: through f and through its inverse it "
            f"disagrees with itself by up to {float(np.nanmax(np.where(agree, 0.0, apart))):.3g}, past both bars"
        )


def _images(subject: _Subject) -> Images | Evidence:
    found = call_implementation(
        THEOREM_ID, subject.example, lambda transform, x: evaluate(transform, x, with_log_det=not subject.reference, parameters=subject.parameters),
        (subject.transform, subject.x), ("transform", "x"),
    )
    if isinstance(found, StepFailed):
        return implementation_failure(THEOREM_ID, f"{subject.example} [{found.step}]", found.failure)
    return found


def _laws(subject: _Subject) -> Evidence:
    """Every law on the subject: a falsified one is the verdict; else an undecidable round trip rejects
    the example; else the law closest to its bar."""
    images = _images(subject)
    if isinstance(images, Evidence):
        return images
    codomain = _codomain_law(subject, images)
    if codomain is not None and not codomain.holds:
        return codomain
    found, resolved = _round_trip_laws(subject, images)
    found += [evidence for evidence in (codomain, _sign_law(subject, images)) if evidence is not None]
    falsified = [evidence for evidence in found if not evidence.holds]
    if falsified:
        return max(falsified, key=lambda evidence: evidence.ratio)
    log_det = _log_det_law(subject, images)
    if not log_det.holds:
        return log_det
    if not resolved:
        undecided(f"float64 cannot resolve a round trip of {subject.example}: its bar is not finite, or not below |v| + 1")
    return max([*found, log_det], key=lambda evidence: evidence.ratio)
