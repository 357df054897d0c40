"""Deliberately wrong symbolic statements: mistakes people make, each of which ``theorems prove`` must refute.

Each is a theorem's own symbolic statement (``symbolic_<theorem>`` in its module) with
one formula replaced by a wrong one, at sizes small enough to refute in a second or
two. Refuted means: the residual does not reduce to 0 and a substitution that satisfies
the hypotheses makes it nonzero (:func:`theorems._engine.prove.establish`). One that came out
proved would mean the symbolic statements have lost their power (``tests/test_prove.py``).

No symbolic statement here is a ``WRONG_IMPLEMENTATIONS`` entry: the catalogue's checks
(``verify``) run implementations under a contract, these run in ``theorems prove``.
"""

from __future__ import annotations

from typing import Any

from theorems._engine.prove import REFUTED, Ref, SymbolicStatement

__all__ = [
    "WRONG_STATEMENTS",
    "covariance_transposed",
    "dependent_joint",
    "fold_without_beta",
    "fold_without_eps",
    "fold_without_mean_shift",
    "kl_mean_term_dropped",
    "kl_without_half",
    "toeplitz_rule_flipped",
    "toeplitz_true_convolution",
    "transpose_fold_without_group_offset",
    "variance_fan_out",
    "variance_without_bias_term",
]


# --- the wrong formulas ---------------------------------------------------------------------


def fold_without_eps(weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, **layout: Any) -> tuple[Any, Any]:
    """``s = γ/√σ²``: ε forgotten (right only as ε → 0)."""
    from theorems.fold.check import symbolic_folded_parameters

    return symbolic_folded_parameters(weight, bias, mean=mean, var=var, eps=0, gamma=gamma, beta=beta, **layout)


def fold_without_mean_shift(weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, **layout: Any) -> tuple[Any, Any]:
    """``c' = s·c + β``: the running mean forgotten."""
    from theorems.fold.check import symbolic_folded_parameters

    return symbolic_folded_parameters(weight, bias, mean=0 * mean, var=var, eps=eps, gamma=gamma, beta=beta, **layout)


def fold_without_beta(weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, **layout: Any) -> tuple[Any, Any]:
    """``c' = s·(c − μ)``: β forgotten in the folded bias."""
    from theorems.fold.check import symbolic_folded_parameters

    return symbolic_folded_parameters(weight, bias, mean=mean, var=var, eps=eps, gamma=gamma, beta=0 * beta, **layout)


def transpose_fold_without_group_offset(
    weight: Any, bias: Any, *, mean: Any, var: Any, eps: Any, gamma: Any, beta: Any, transpose: bool = False, groups: int = 1
) -> tuple[Any, Any]:
    """A ``ConvTranspose`` weight's column ``j`` scaled by ``s[j]`` in every group (right only for groups=1).

    The recorded defect of ``torch.nn.utils.fusion`` for grouped ``ConvTranspose``.
    """
    from theorems.fold.check import symbolic_folded_parameters

    return symbolic_folded_parameters(weight, bias, mean=mean, var=var, eps=eps, gamma=gamma, beta=beta, transpose=transpose, groups=1)


def toeplitz_rule_flipped(grad_A: Any, kernel_size: int, *, stride: int = 1, dilation: int = 1) -> list[Any]:
    """True convolution's convention: ``w_k`` meets the diagonal of ``w_{f−k+1}``."""
    from theorems.toeplitz.check import symbolic_superdiagonal_sums

    return symbolic_superdiagonal_sums(grad_A, kernel_size, stride=stride, dilation=dilation)[::-1]


def toeplitz_true_convolution(w: Any, n: int, *, stride: int = 1, dilation: int = 1) -> Any:
    """``A_{i,j} = w_{f−(j−i)}``: the matrix of a true (flipped) convolution, not of ``conv1d``."""
    from theorems.toeplitz.check import symbolic_toeplitz

    return symbolic_toeplitz(list(w)[::-1], n, stride=stride, dilation=dilation)


def covariance_transposed(matrix: Any) -> Any:
    """``Σ = AᵀA`` instead of ``AAᵀ`` (equal only for normal ``A``)."""
    return matrix.T * matrix


def kl_without_half(mu0: Any, cov0: Any, mu1: Any, cov1: Any) -> Any:
    """The bracket of the closed form without its ½."""
    from theorems.gaussian_kl.check import symbolic_gaussian_kl_closed_form

    return 2 * symbolic_gaussian_kl_closed_form(mu0, cov0, mu1, cov1)


def kl_mean_term_dropped(mu0: Any, cov0: Any, mu1: Any, cov1: Any) -> Any:
    """The closed form with ``μ1 = μ0``: the mean term ``(μ1−μ0)ᵀΣ1⁻¹(μ1−μ0)`` dropped."""
    from theorems.gaussian_kl.check import symbolic_gaussian_kl_closed_form

    return symbolic_gaussian_kl_closed_form(mu0, cov0, mu0, cov1)


def dependent_joint(factors: Any) -> tuple[list[Any], tuple[Any, ...]]:
    """Two factors coupled, marginals kept: ``p_i p'_j + t·c·u_i v_j``, ``u = v = (1, −1, 0, …)``, ``c = p_0 p_1 p'_0 p'_1``.

    For ``|t| < 1`` every entry stays positive and the marginals are ``p`` and ``p'``, but
    the components are dependent for ``t ≠ 0``: additivity claimed without independence.
    """
    import sympy

    first, second = factors
    t = sympy.Symbol("t", real=True)
    coupling = t * first[0] * first[1] * second[0] * second[1]
    sign = lambda k: 1 if k == 0 else (-1 if k == 1 else 0)  # noqa: E731 (u and v)
    joint = [first[i] * second[j] + sign(i) * sign(j) * coupling for i in range(len(first)) for j in range(len(second))]
    return joint, (1 - t, 1 + t)


def variance_without_bias_term(widths: Any) -> Any:
    """``v_l = v_{l−1}/3``: the bias's ``1/(3 n_{l−1})`` forgotten."""
    import sympy

    v = sympy.S.One
    for _ in widths[:-1]:
        v = v / 3
    return v


def variance_fan_out(widths: Any) -> Any:
    """``v_l = v_{l−1}/3 + 1/(3 n_l)``: the output width where the input width belongs."""
    import sympy

    v = sympy.S.One
    for fan_out in widths[1:]:
        v = v / 3 + sympy.Rational(1, 3 * fan_out)
    return v


# --- the statements ---------------------------------------------------------------------------


def _mistake(formula: Any) -> str:
    """The first line of a wrong formula's docstring: what it gets wrong."""
    return (formula.__doc__ or "").strip().splitlines()[0]


def _wrong(theorem_id: str, name: str, target: str, case: dict[str, Any], sizes: str, mistake: str, budget: float = 15.0) -> SymbolicStatement:
    return SymbolicStatement(
        id=name, sizes=sizes, budget=budget, target=target, cases=(case,), expected=REFUTED, theorem_id=theorem_id, what_is_wrong=mistake,
    )


_FOLD = "theorems.fold.check:"
_CONV1D = {"dims": 1, "in_channels": 2, "out_channels": 2, "kernel_size": (2,), "input_size": (3,)}
_CONV_TRANSPOSE1D = {"dims": 1, "in_channels": 4, "out_channels": 4, "kernel_size": (2,), "input_size": (2,), "stride": (2,), "groups": 2}

WRONG_STATEMENTS: tuple[SymbolicStatement, ...] = (
    _wrong(
        "fold-linear", "fold-linear/eps-forgotten", _FOLD + "symbolic_fold_linear",
        {"in_features": 2, "out_features": 1, "fold": Ref("theorems.catalogue.symbolic:fold_without_eps")},
        "Linear 2→1", _mistake(fold_without_eps),
    ),
    _wrong(
        "fold-linear", "fold-linear/beta-forgotten", _FOLD + "symbolic_fold_linear",
        {"in_features": 2, "out_features": 1, "fold": Ref("theorems.catalogue.symbolic:fold_without_beta")},
        "Linear 2→1", _mistake(fold_without_beta),
    ),
    _wrong(
        "fold-conv", "fold-conv/mean-forgotten", _FOLD + "symbolic_fold_conv",
        {**_CONV1D, "fold": Ref("theorems.catalogue.symbolic:fold_without_mean_shift")},
        "conv1d 2→2 k2 L3", _mistake(fold_without_mean_shift),
    ),
    _wrong(
        "fold-conv", "fold-conv/eps-forgotten", _FOLD + "symbolic_fold_conv",
        {**_CONV1D, "fold": Ref("theorems.catalogue.symbolic:fold_without_eps")},
        "conv1d 2→2 k2 L3", _mistake(fold_without_eps),
    ),
    _wrong(
        "fold-conv-transpose", "fold-conv-transpose/group-offset-dropped", _FOLD + "symbolic_fold_conv_transpose",
        {**_CONV_TRANSPOSE1D, "fold": Ref("theorems.catalogue.symbolic:transpose_fold_without_group_offset")},
        "conv_transpose1d 4→4 k2 s2 groups2 L2", _mistake(transpose_fold_without_group_offset),
    ),
    _wrong(
        "toeplitz-gradient", "toeplitz-gradient/filter-flipped", "theorems.toeplitz.check:symbolic_toeplitz_gradient",
        {"geometries": ((3, 2, 1, 1), (5, 2, 2, 2)), "layers": (), "rule": Ref("theorems.catalogue.symbolic:toeplitz_rule_flipped")},
        "n=3 f=2; n=5 f=2 stride 2 dilation 2", _mistake(toeplitz_rule_flipped),
    ),
    _wrong(
        "toeplitz-matrix", "toeplitz-matrix/true-convolution", "theorems.toeplitz.check:symbolic_toeplitz_matrix",
        {"geometries": ((3, 2, 1, 1), (6, 3, 1, 2)), "matrix": Ref("theorems.catalogue.symbolic:toeplitz_true_convolution")},
        "n=3 f=2; n=6 f=3 dilation 2", _mistake(toeplitz_true_convolution),
    ),
    _wrong(
        "affine-gaussian-density", "affine-gaussian-density/covariance-transposed", "theorems.gaussian_density.check:symbolic_affine_gaussian_density",
        {"dims": (2,), "covariance": Ref("theorems.catalogue.symbolic:covariance_transposed"), "integrals": False},
        "symbolic 2×2 A", _mistake(covariance_transposed),
    ),
    _wrong(
        "gaussian-kl", "gaussian-kl/half-forgotten", "theorems.gaussian_kl.check:symbolic_gaussian_kl",
        {"closed_form": Ref("theorems.catalogue.symbolic:kl_without_half"), "dense": False},
        "d = 1", _mistake(kl_without_half),
    ),
    _wrong(
        "gaussian-kl", "gaussian-kl/mean-term-dropped", "theorems.gaussian_kl.check:symbolic_gaussian_kl",
        {"closed_form": Ref("theorems.catalogue.symbolic:kl_mean_term_dropped"), "dense": False},
        "d = 1", _mistake(kl_mean_term_dropped),
    ),
    _wrong(
        "kl-additivity", "kl-additivity/without-independence", "theorems.kl.check:symbolic_kl_additivity",
        {"supports": ((2, 2),), "joint": Ref("theorems.catalogue.symbolic:dependent_joint")},
        "supports 2×2, coupled", _mistake(dependent_joint),
    ),
    _wrong(
        "variance-recursion", "variance-recursion/bias-term-forgotten", "theorems.variance.check:symbolic_variance_recursion",
        {"widths": ((2, 2),), "recursion": Ref("theorems.catalogue.symbolic:variance_without_bias_term")},
        "widths [2, 2]", _mistake(variance_without_bias_term),
    ),
    _wrong(
        "variance-recursion", "variance-recursion/fan-out-for-fan-in", "theorems.variance.check:symbolic_variance_recursion",
        {"widths": ((2, 3),), "recursion": Ref("theorems.catalogue.symbolic:variance_fan_out")},
        "widths [2, 3]", _mistake(variance_fan_out),
    ),
)
