"""Strategies for bijective ``torch.distributions`` transforms and inputs in their domains.

``transform_cases(transform="Tanh")`` draws one transform of that class (``Identity``:
``identity_transform``) with its parameters and a batch of inputs. Inputs stay where
float64 autograd resolves the Jacobian (sigmoid and tanh not saturated: the derivative
there is ``1 − y`` of a ``y`` rounded near 1), and composites are built from the
elementwise transforms. Each class's simplest example is a typical one (a batch of two
different inputs, parameters away from 0 and 1), so that the covered row of every run is
informative.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from theorems.log_det_jacobian.case import TransformCase
from theorems.log_det_jacobian.statement import TRANSFORMS
from theorems.strategies._domain import one_of_values

__all__ = ["classify_transform_case", "transform_cases"]

# The inputs where float64 autograd resolves each elementwise transform's derivative: exp
# and the saturating ones within ±30 (sigmoid's 1 − y is then still 1e-13, whose rounding
# the tolerance carries); softplus below 20, past which torch's softplus and its backward
# switch to their linear branch, so autograd's derivative is exactly 1.
REACH = {"Exp": (-30.0, 30.0), "Sigmoid": (-30.0, 30.0), "Tanh": (-15.0, 15.0), "Softplus": (-30.0, 20.0), "Identity": (-1e3, 1e3)}
ELEMENTWISE = ("Exp", "Sigmoid", "Tanh", "Softplus", "Affine")


def _values(draw: st.DrawFn, shape: tuple[int, ...], low: float, high: float, typical: float) -> np.ndarray:
    """An array of ``shape``: ``typical`` shifted entry by entry in the simplest draw, else in [low, high]."""
    size = int(np.prod(shape))
    if not draw(st.booleans()):
        return (typical + 0.37 * np.arange(size)).reshape(shape)
    return np.array([draw(st.floats(low, high)) for _ in range(size)]).reshape(shape)


def _scale(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape))
    signs = np.array([draw(st.sampled_from((-1.0, 1.0))) for _ in range(size)])  # a negative scale is the typical one: |det| matters
    magnitudes = np.array([draw(st.one_of(st.just(1.5), st.floats(-3, 3).map(lambda e: float(10.0**e)))) for _ in range(size)])
    return (signs * magnitudes).reshape(shape)


def _elementwise(draw: st.DrawFn, kind: str, x: np.ndarray) -> TransformCase:
    if kind == "Affine":
        return TransformCase("Affine", x, (("loc", np.array(draw(st.floats(-10, 10)))), ("scale", _scale(draw, ())), ("event_dim", 0)))
    return TransformCase(kind, x)


@st.composite
def _case(draw: st.DrawFn, kind: str) -> TransformCase:
    batch = draw(st.integers(2, 3))
    if kind in REACH and kind != "Identity":
        return _elementwise(draw, kind, _values(draw, (batch,), *REACH[kind], 0.3))
    if kind == "Affine":
        event_dim = draw(st.sampled_from((0, 1, 2)))
        event = {0: (), 1: (draw(st.integers(1, 3)),), 2: (draw(st.integers(1, 3)), draw(st.integers(1, 3)))}[event_dim]
        x = _values(draw, (batch, *event), -1e3, 1e3, 0.3)
        loc = _values(draw, event, -10, 10, -0.4)
        return TransformCase("Affine", x, (("loc", np.asarray(loc)), ("scale", _scale(draw, event)), ("event_dim", event_dim)))
    if kind == "Power":
        exponent = draw(st.one_of(st.just(2.5), st.floats(0.2, 4.0), st.floats(-4.0, -0.2)))
        x = 10.0 ** _values(draw, (batch,), -3, 3, -0.2)
        return TransformCase("Power", x, (("exponent", np.array(exponent)),))
    if kind == "StickBreaking":
        return TransformCase("StickBreaking", _values(draw, (batch, draw(st.integers(1, 4))), -5, 5, 0.3))
    if kind == "CorrCholesky":
        n = draw(st.integers(2, 4))
        return TransformCase("CorrCholesky", _values(draw, (batch, n * (n - 1) // 2), -3, 3, 0.3))
    if kind == "CumulativeDistribution":
        loc, scale = draw(st.one_of(st.just(0.5), st.floats(-10, 10))), draw(st.one_of(st.just(1.5), st.floats(0.01, 100)))
        z = _values(draw, (batch,), -5, 5, 0.3)
        return TransformCase("CumulativeDistribution", loc + scale * z, (("loc", np.array(loc)), ("scale", np.array(scale))))
    if kind == "Compose":
        # The simplest, an affine map then exp: its affine part is a reflection (scale −1 and loc 0, as clipped), and
        # a part whose log-det is even (tanh's, sigmoid's) would be blind to the input it is evaluated at there.
        kinds = draw(st.lists(st.sampled_from(ELEMENTWISE), min_size=2, max_size=3)) if draw(st.booleans()) else ["Affine", "Exp"]
        x = _values(draw, (batch,), -3, 3, 0.3)
        parts = tuple(_elementwise(draw, part, x) for part in kinds)
        return TransformCase("Compose", x, (), _bounded_compose(parts))
    if kind == "Independent":
        d = draw(st.sampled_from((2, 1, 3)))  # two first: in the simplest example a log-det not summed over the event shows
        x = _values(draw, (batch, d), -5, 5, 0.3)
        base = _elementwise(draw, draw(st.sampled_from(("Sigmoid", "Exp", "Affine"))), x)
        return TransformCase("Independent", x, (("reinterpreted", 1),), (base,))
    if kind == "Reshape":
        d1, d2 = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        return TransformCase("Reshape", _values(draw, (batch, d1, d2), -10, 10, 0.3), (("in_shape", (d1, d2)), ("out_shape", (d1 * d2,))))
    if kind == "Cat":
        lengths = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        x = _values(draw, (sum(lengths),), -5, 5, 0.3)
        parts = tuple(_elementwise(draw, part, x) for part in (draw(st.sampled_from(ELEMENTWISE)), draw(st.sampled_from(ELEMENTWISE))))
        return TransformCase("Cat", x, (("dim", 0), ("lengths", lengths)), parts)
    if kind == "Stack":
        x = _values(draw, (2, batch), -5, 5, 0.3)
        parts = tuple(_elementwise(draw, part, x) for part in (draw(st.sampled_from(ELEMENTWISE)), draw(st.sampled_from(ELEMENTWISE))))
        return TransformCase("Stack", x, (("dim", 0),), parts)
    return TransformCase("Identity", _values(draw, (batch,), *REACH["Identity"], 0.3))


def _bounded_compose(parts: tuple[TransformCase, ...]) -> tuple[TransformCase, ...]:
    """Keep a composition inside float64's reach: an Exp or Affine is not followed by a saturating part
    on values it may have pushed far out (its scale is kept at most 1, its input at most 3)."""
    kept = []
    for part in parts:
        if part.kind == "Affine":
            scale = np.clip(np.asarray(part.parameters["scale"]), -1.0, 1.0)
            scale = np.where(np.abs(scale) < 0.1, 0.1, scale)
            part = TransformCase("Affine", part.x, (("loc", np.clip(part.parameters["loc"], -1, 1)), ("scale", scale), ("event_dim", 0)))
        if part.kind == "Exp" and kept and kept[-1].kind == "Exp":
            continue  # exp(exp(x)) leaves float64 for x above 6.5
        kept.append(part)
    return tuple(kept)


def transform_cases(*, transform: Any = None) -> st.SearchStrategy[TransformCase]:
    """A bijective transform of the class ``transform`` (or any) and a batch of inputs in its domain."""
    return one_of_values("transform", transform, TRANSFORMS).flatmap(_case)


def classify_transform_case(case: TransformCase) -> dict[str, Any]:
    return {"transform": case.kind}
