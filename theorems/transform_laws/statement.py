r"""Beyond the notes · every bijective transform (torch's, Pyro's, yours): the laws a bijection obeys.

A normalising flow is a stack of bijections, and a flow's density is right only if each layer is
one: its inverse undoes it on both sides, its outputs lie in its declared codomain, its
``log_abs_det_jacobian`` is ``log|det J|`` and, for a monotone map of scalars, its ``sign`` is the
sign of its derivative. Any ``torch.distributions.Transform`` subclass is an implementation; the
reference run checks torch's own bijective classes. Math and check: :mod:`theorems.transform_laws.check`.
"""

from __future__ import annotations

from theorems.log_det_jacobian.statement import TRANSFORMS
from theorems.theorem import Assumption, Theorem

__all__ = ["THEOREMS", "TRANSFORM_LAWS"]

TRANSFORM_LAWS = Theorem(
    id="transform-laws",
    title="Every bijective transform's inverse, codomain, log-determinant and sign obey the laws of a bijection",
    source="beyond the notes (the bijections every change of variables, T4, rests on)",
    statement=(
        r"g(f(x)) = x \ (x \in \mathrm{domain}),\quad f(g(y)) = y,\ f(x) \in \mathrm{codomain},\quad "
        r"\texttt{log\_abs\_det\_jacobian}(x, f(x)) = \log|\det J_f(x)|,\quad \texttt{sign} = \operatorname{sign} f'(x)\ (\text{scalar } f)"
    ),
    hypotheses=(
        "f is a bijection of its domain onto its codomain (bijective = True), x lies in its domain, y = f(x)",
        "f and its inverse g are computed in float64 to within γ_32 of the size of the values they combine (each value rounded within u|v| + 2^-1074)",
        "sign is checked where torch defines it: a map of scalars (event_dim 0) whose sign does not raise NotImplementedError, at points where f' ≠ 0",
    ),
    oracles=(
        "round trips g(f(x)) and f(g(y)) against a bar of γ_32 times the values propagated through autograd's Jacobians J_f and J_g (float64; "
        "J_g at least J_f's inverse): γ_32 (|x| + |J_g||y| + |J_g||J_f||x|) and a composition's values between its parts, and its mirror for y",
        "codomain.check(f(x)), exact",
        "log|det J| by autograd and slogdet with log-det-jacobian's error bar (theorems.log_det_jacobian.check)",
        "the sign of autograd's derivative",
    ),
    contract=(
        "a torch.distributions.Transform subclass with bijective = True, built as cls() when its constructor requires nothing, else as "
        "cls(**parameters) with every parameter its arg_constraints names (a dict of constraints, as a Distribution declares) drawn from "
        "values that constraint admits: a scalar for real, positive, nonnegative, unit_interval, half_open_unit_interval, "
        "nonnegative_integer; a vector of the event's width for independent(<one of those>, 1); its input x is drawn in its domain "
        "(real, greater_than, less_than, interval, or independent(<those>, 1)), batch then event, and its forward and inverse "
        "must be differentiable by autograd in float64"
    ),
    parameters=(),
    reference_target="theorems.transform_laws.check:torch_transform",
    check_target="theorems.transform_laws.check:check_transform_laws",
    examples="theorems.strategies.transform_laws:transform_draws",
    assumptions=(Assumption("transform", TRANSFORMS, "torch's transform class the reference checks (a class under test builds its own)"),),
    # Every torch class in every run (one covered example each), then a free search.
    cover=("transform",),
    classify_target="theorems.strategies.transform_laws:classify_transform_draw",
)

THEOREMS = (TRANSFORM_LAWS,)
