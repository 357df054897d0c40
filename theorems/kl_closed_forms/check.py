r"""Beyond the notes · the closed-form KL divergences that ``torch.distributions`` registers.

For every pair of families ``(P, Q)`` that ``torch.distributions.kl`` registers,

    KL(p‖q) = E_p[log p(X) − log q(X)],   = +∞ when p charges a set that q does not,

and the closed form must equal the definition. The oracles compute the definition from
the densities alone (scipy.stats' log-densities, or a few written out in
:mod:`~theorems.kl_closed_forms.families`), never from a torch formula
(:func:`~theorems.kl_closed_forms.oracle.kl_by_definition`):

* **finite discrete laws** (Bernoulli, Binomial, Categorical, OneHotCategorical): the
  exact sum over the support (``math.fsum``);
* **Poisson**: the sum over a window around the mass plus the tails beyond it, bounded
  (the pmf ratio ``λ/(k+1)`` is below ``r < 1`` past the window, a geometric series; the
  log-ratio of two Poisson laws is affine in ``k``, ``log k!`` cancels);
* **Geometric**: ``L(k) = a + b k`` read off the pmfs ``θ(1−θ)^k`` and ``E_p k = (1−θ)/θ``
  (no sum: a mean of 1e6 rounds a sum's terms 1e6 times);
* **one-dimensional continuous laws**: adaptive cubature (``scipy.integrate.cubature``,
  vectorised, with its error estimate) of ``L(x) = log p(x) − log q(x)`` over p's
  *quantiles*: ``∫_0^{1/2} L(F⁻¹(u)) du + ∫_0^{1/2} L(F̄⁻¹(v)) dv``. In ``u`` every law
  has the unit interval as its support whatever its scale (1e-8 or 1e8), and the tails
  become endpoint singularities, integrated in ``s`` with ``u = c e^{−s}``; scipy's
  quantiles are polished by Newton steps (:func:`quantile`). Against a Gumbel q, the term
  ``E_p e^{−(x−μ)/β}`` comes from p's moment-generating function: its mass sits where
  ``p·e^{−x/β}`` peaks, which for a Normal p can be 30σ out, beyond every region sampled;
* **Gaussians** (MultivariateNormal, LowRankMultivariateNormal): the project's
  Gauss–Hermite oracle of T7 (exact for the quadratic log-ratio);
* **Dirichlet and Wishart** (exponential families): ``L`` is affine in the sufficient
  statistics, ``L(x) = c + η·T(x)``; ``c`` from scipy's log-densities at one point,
  ``E_p T`` from one-dimensional quadrature (Dirichlet: ``E log x_i`` under the Beta
  marginal; Wishart: ``E log det X`` by Bartlett's decomposition, a sum of
  ``E log χ²`` by quadrature; ``E X = n V``);
* **Independent**: the sum of the components' oracles (T6, additivity);
  **TransformedDistribution** with the same transform on both sides: the base laws' KL
  (KL is invariant under a common bijection).

Infinities are decided, not integrated: p's support not inside q's (closures of
intervals, or a mass point of p where q has none), or a Pareto p whose tail makes
``E_p log q`` diverge (``α ≤ m`` against a ``q`` with ``log q ~ −x^m``).

The tolerance of each element: the oracle's stated bar (``QUADRATURE_SAFETY ×`` its error
estimate, plus a bound on its own rounding, ``DENSITY_OPERATIONS·u·(1 + E_p Σ|terms|)``,
checked against 50-digit values by tests/kl_closed_forms/test_kl_oracles_against_mpmath.py), plus the rounding of a closed form on the scale of the terms it combines,
``γ_K (1 + E_p Σ|terms of log p| + E_p Σ|terms of log q|)`` with ``K = 64`` (a closed form
of a few dozen rounded operations and special functions, each within a few ulps; Higham
§3.1), the terms counted as closed forms write them (each lgamma of a normaliser apart,
``(|x| + |μ|)/σ`` for a standardised variable, κ-fold where a matrix is inverted): a
formula that cancels terms much larger than those loses more than that, and is reported.

Here: the reference (:func:`kl_divergence`) and the check; the examples are
:mod:`~theorems.kl_closed_forms.laws`, the oracle :mod:`~theorems.kl_closed_forms.oracle` over
:mod:`~theorems.kl_closed_forms.discrete`, :mod:`~theorems.kl_closed_forms.continuous` (with
:mod:`~theorems.kl_closed_forms.quantiles` and :mod:`~theorems.kl_closed_forms.gumbel`) and
:mod:`~theorems.kl_closed_forms.multivariate`, each returning a
:class:`~theorems.kl_closed_forms.definition.Definition` with its error bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import distributions as D

from theorems.calling import call_implementation, tensor
from theorems.evidence import Evidence, implementation_failure
from theorems.kl_closed_forms.definition import Definition
from theorems.kl_closed_forms.laws import LawPair
from theorems.kl_closed_forms.oracle import kl_by_definition
from theorems.oracles.quadrature import QUADRATURE_SAFETY, OracleError, compare_scalar
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, gamma

__all__ = [
    "check_kl_closed_forms",
    "kl_divergence",
]

THEOREM_ID = "kl-closed-forms"
# Rounded operations (and special functions within a few ulps) a closed form may take.
CLOSED_FORM_OPERATIONS = 64


def kl_divergence(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    """The reference: ``torch.distributions.kl_divergence``, audited with its recorded findings.

    The theorem's reference is the library under audit. Its run (``verify``) checks it
    everywhere: outside the domains of its findings in :mod:`theorems.kl_closed_forms.findings` within the
    normal tolerance, inside them against each finding's error model (the bound it may lose,
    or the exact wrong value it returns), so that a regression larger than the recorded
    defect is falsified. Checking ``torch.distributions:kl_divergence`` itself
    (``theorems check``) is checking an implementation: it meets the findings, unexcused.
    """
    return D.kl_divergence(p, q)


def require_law_pair(pair: object) -> LawPair:
    if not isinstance(pair, LawPair):
        raise InvalidInput(f"{THEOREM_ID} checks a LawPair(p, q) of theorems.kl_closed_forms.laws.Law, got {type(pair).__name__}")
    if pair.p.batch != pair.q.batch:
        raise InvalidInput(f"p and q must have the same batch size, got {pair.p.batch} and {pair.q.batch}")
    return pair


def element_tolerance(definition: Definition) -> float:
    return definition.bound + gamma(CLOSED_FORM_OPERATIONS, U64) * (1.0 + definition.scale)


def check_kl_closed_forms(implementation: Callable[[D.Distribution, D.Distribution], torch.Tensor], pair: LawPair) -> Evidence:
    """Compare ``implementation(p, q)`` with ``E_p[log p − log q]`` element by element of the batch.

    For the audited reference (:func:`kl_divergence`), inside a recorded finding's domain the
    comparison is the finding's error model's: the normal tolerance plus its allowance, the
    true value plus its offset, or its exact wrong value or refusal.
    """
    pair = require_law_pair(pair)
    example = repr(pair)
    recorded = None
    if implementation is kl_divergence:
        from theorems.finding import recorded_errors
        from theorems.kl_closed_forms.findings import FINDINGS

        recorded = recorded_errors(FINDINGS, THEOREM_ID, pair)
    actual = call_implementation(THEOREM_ID, example, implementation, pair.arguments(), ("p", "q"), expect=tensor())
    if isinstance(actual, Evidence):
        refused = recorded.refusal(actual.failure or "") if recorded is not None else None
        if refused is None:
            return actual
        return Evidence(THEOREM_ID, example, "a KL", f"refused ({actual.failure})", 0.0, 0.0, f"the refusal recorded by the finding {refused.id}")
    if tuple(actual.shape) != (pair.p.batch,):
        return implementation_failure(THEOREM_ID, example, f"returned shape {tuple(actual.shape)}, expected the batch shape ({pair.p.batch},)")
    definitions = kl_by_definition(pair.p, pair.q)
    for definition in definitions:  # T5 for the oracle itself: a negative definition past its error bar is an oracle to distrust
        if definition.value < -element_tolerance(definition):
            raise OracleError(f"the definition came out {definition.value:.3g}, below 0 by more than its allowance ({definition.how})")
    return _worst_element(example, actual.detach().double().numpy(), definitions, recorded)


def _worst_element(example: str, actual: np.ndarray, definitions: list[Definition], recorded: Any = None) -> Evidence:
    worst: Evidence | None = None
    allowance = np.broadcast_to(recorded.allowance() if recorded is not None else 0.0, (len(definitions),))
    offset = np.broadcast_to(recorded.offset() if recorded is not None else 0.0, (len(definitions),))
    for i, (value, definition) in enumerate(zip(actual, definitions)):
        wrong = recorded.wrong_value(i, float(value)) if recorded is not None else None
        if wrong is not None:
            evidence = Evidence(
                THEOREM_ID, example, f"{definition.value:.17g} (at batch index {i}: {definition.how})", f"{float(value)!r}", 0.0, 0.0,
                f"the wrong value recorded by the finding {wrong.id}: {wrong.error_model.statement}",
            )
        elif recorded is not None and (allowance[i] or offset[i]):
            evidence = _element_evidence(example, i, float(value), definition, float(allowance[i]), float(offset[i]), recorded.reason())
        else:
            evidence = _element_evidence(example, i, float(value), definition)
        if worst is None or not evidence.ratio <= worst.ratio:
            worst = evidence
    return worst


def _element_evidence(
    example: str, i: int, actual: float, definition: Definition, allowance: float = 0.0, offset: float = 0.0, recorded: str = ""
) -> Evidence:
    tolerance = element_tolerance(definition)
    reason = (
        f"{QUADRATURE_SAFETY:g} × the oracle's error estimate {definition.error:.1e} + its rounding {definition.rounding:.1e} + γ_{CLOSED_FORM_OPERATIONS}·u64 × "
        f"(1 + E_p Σ|terms of log p and log q|) = {1 + definition.scale:.3g} (a closed form's rounding on the scale of the terms it combines)"
    )
    if allowance or offset:
        reason += f"; + {allowance:.3g} and the expected value moved by {offset:.3g}, the recorded defect's error model ({recorded})"
        if math.isinf(allowance):  # the model says nothing of this element: any value of torch's is its defect's
            return Evidence(THEOREM_ID, example, f"{definition.value:.17g}", f"{actual!r}", 0.0, math.inf, reason)
    return compare_scalar(
        theorem_id=THEOREM_ID,
        example=example,
        expected=definition.value + offset,
        expected_how=f"at batch index {i}: {definition.how}" + (f", plus the recorded defect's offset {offset:.3g}" if offset else ""),
        actual=actual,
        tolerance=tolerance + allowance,
        tolerance_reason=reason,
    )
