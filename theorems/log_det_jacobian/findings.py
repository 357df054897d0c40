"""Defects of torch.distributions' transforms, each with the error model the reference run holds torch to."""

from __future__ import annotations

from typing import Any

import numpy as np

from theorems.finding import ErrorModel, Finding
from theorems.log_det_jacobian.case import TransformCase

__all__ = ["FINDINGS"]


# torch.nn.functional.softplus returns x itself above its threshold of 20, dropping log1p(e^{-x}).
SOFTPLUS_THRESHOLD = 20.0


def _dropped_softplus_tail(case: Any) -> np.ndarray:
    """Per entry of x: the term log1p(e^{−|x|}) torch's log-determinant drops there (0 where it keeps it)."""
    x = np.asarray(case.x, dtype=float)
    if case.kind == "Sigmoid":
        dropped = np.abs(x) > SOFTPLUS_THRESHOLD
    elif case.kind == "Softplus":
        dropped = x < -SOFTPLUS_THRESHOLD
    else:
        dropped = np.zeros(x.shape, dtype=bool)
    return np.where(dropped, np.log1p(np.exp(-np.abs(x))), 0.0)


def _softplus_linear_branch(case: Any) -> bool:
    return bool(np.any(_dropped_softplus_tail(case) > 0))


def _transform_case(kind: str, x: list[float]) -> TransformCase:
    return TransformCase(kind, np.asarray(x, dtype=float))


FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="torch-softplus-threshold-in-log-det",
        theorem_id="log-det-jacobian",
        library="torch.distributions.transforms (torch 2.14.1): SigmoidTransform, SoftplusTransform",
        summary=(
            "log_abs_det_jacobian is written with F.softplus (sigmoid: −softplus(−x) − softplus(x); softplus: −softplus(−x)), "
            "which returns its argument unchanged above 20: past |x| = 20 the term log1p(e^{−|x|}) is dropped, an absolute "
            "error up to 2e-9 (at x = −27.9 the sigmoid's log-det is −27.876985813122669 against −27.876985813123451)"
        ),
        applies=_softplus_linear_branch,
        example=_transform_case("Sigmoid", [0.5, -27.877, 1.0]),
        error_model=ErrorModel("an absolute error up to log1p(e^{−|x|}) on the entries past the threshold", allowance=_dropped_softplus_tail),
    ),
)

