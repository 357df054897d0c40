r"""Beyond the notes · every bijective transform of ``torch.distributions``: its log-determinant.

The notes prove one change of variables (an affine map of a Gaussian, T4); ``torch.distributions``
holds a transform class for each bijection it ships. This theorem checks every one the installed
torch exports against autograd's Jacobian. Math and check: :mod:`theorems.log_det_jacobian.check`.
"""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["LOG_DET_JACOBIAN", "THEOREMS", "TRANSFORMS"]

# The bijective transforms of torch.distributions.transforms (2.14.1), by class name without
# "Transform" ("Identity": identity_transform). tests/log_det_jacobian/test_log_det_jacobian.py fails when the
# installed torch exports a transform that is neither here nor among the non-bijective ones.
TRANSFORMS = (
    "Affine", "Cat", "Compose", "CorrCholesky", "CumulativeDistribution", "Exp", "Identity", "Independent",
    "Power", "Reshape", "Sigmoid", "Softplus", "Stack", "StickBreaking", "Tanh",
)

LOG_DET_JACOBIAN = Theorem(
    id="log-det-jacobian",
    title="Every bijective transform's log-determinant is log|det J| (change of variables, T4 in general)",
    source="beyond the notes (Problem 4 in general)",
    statement=r"\log p_Y(y) = \log p_X\big(f^{-1}(y)\big) - \log\big|\det J_f\big(f^{-1}(y)\big)\big|,\quad \texttt{log\_abs\_det\_jacobian}(x, f(x)) = \log|\det J_f(x)|",
    hypotheses=(
        "f is a bijection of the event (torch marks it bijective) and x lies in its domain",
        "where f maps into a larger space (the simplex, correlation Cholesky factors), J is taken onto the free coordinates",
    ),
    oracles=(
        "J from autograd (torch.autograd.functional.jacobian) of the transform's forward map in float64, block by block of the batch; slogdet",
        "TransformedDistribution.log_prob: integrates to 1 by quadrature and equals base.log_prob(f⁻¹(y)) − log|det J| (tests)",
    ),
    contract="(transform: torch.distributions.Transform, x: Tensor) -> Tensor of x's batch shape, log|det J_f(x)|",
    parameters=("transform", "x"),
    reference_target="theorems.log_det_jacobian.check:log_abs_det_jacobian",
    check_target="theorems.log_det_jacobian.check:check_log_det_jacobian",
    examples="theorems.strategies.transforms:transform_cases",
    assumptions=(Assumption("transform", TRANSFORMS, "the transform's class (without 'Transform'; Identity: identity_transform)"),),
    cover=("transform",),
    classify_target="theorems.strategies.transforms:classify_transform_case",
)

THEOREMS = (LOG_DET_JACOBIAN,)
