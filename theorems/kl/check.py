r"""T5 · KL nonnegativity (Problem 5a) and T6 · KL additivity (Problem 5b).

For densities (or probability mass functions) ``f ≪ g``,

    D(f‖g) = ∫ f log(f/g) ≥ 0,   with equality iff f = g almost everywhere,

and ``D = +∞`` when ``f`` is not absolutely continuous w.r.t. ``g``. Proof: ``log t ≤
t − 1`` gives pointwise ``f log(f/g) ≥ f − g``, which integrates to 0 (T5). If
``X = (X_1..X_d)`` and ``Y`` have independent components with densities ``f_i`` and
``g_i``, then ``D(X‖Y) = Σ_i D(X_i‖Y_i)`` (T6); without independence it fails.
Source: Problem 5 of the notes.

Pure math: :func:`kl_by_definition` (the exact finite sum, with ``0 log 0 = 0`` and
``p log(p/0) = +∞`` for ``p > 0``); the continuous densities and their oracle
(quadrature, cubature) are in :mod:`theorems.oracles.densities`. The checks take an
implementation of the contract ``(p, q) -> float`` on pmfs of the same finite set and
compare it with the definition *and* test the theorem's property on it: an implementation that is nonnegative and
additive but computes something else is still wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

import numpy as np

from theorems.oracles.tolerance import U64
from theorems.calling import call_implementation, real_scalar
from theorems.evidence import Evidence, implementation_failure
from theorems.oracles.quadrature import compare_scalar
from theorems.theorem import InvalidInput

__all__ = [
    "IndependentPmfs",
    "PmfPair",
    "check_kl_additivity",
    "check_kl_nonnegativity",
    "kl_by_definition",
    "kl_divergence",
    "kl_rounding_tolerance",
    "product_pmf",
    "product_rounding_allowance",
]



# --- the pure math: finite pmfs -----------------------------------------------------------


def kl_by_definition(p: np.ndarray, q: np.ndarray) -> float:
    """``Σ_{p_i > 0} p_i (log p_i − log q_i)``, ``+∞`` if some ``p_i > 0 = q_i``; summed exactly (``math.fsum``)."""
    support = p > 0
    if np.any(support & (q == 0)):
        return math.inf
    terms = p[support] * (np.log(p[support]) - np.log(q[support]))
    return math.fsum(terms.tolist())


def kl_rounding_tolerance(p: np.ndarray, q: np.ndarray) -> tuple[float, str]:
    """``(2k + 8) u Σ_{p_i>0} p_i (1 + |log p_i| + |log q_i|)`` and its reason.

    Each term ``p log(p/q)`` (or ``p(log p − log q)``) is computed with a relative error
    of a few ``u`` in each logarithm and product; summing ``k`` of them adds ``γ_k``
    times the sum of their sizes (Higham 2002 §3.1). Renormalising ``p`` and ``q`` (as
    ``scipy.stats.entropy`` does) moves each by ``k u`` relative, which moves the sum by
    at most ``k u`` times the same terms plus ``k u``; hence ``2k + 8``.
    """
    support = (p > 0) & (q > 0)
    size = float(np.sum(p[support] * (1 + np.abs(np.log(p[support])) + np.abs(np.log(q[support])))))
    k = len(p)
    return (2 * k + 8) * U64 * size, f"(2k+8)u·Σ p(1+|log p|+|log q|) with k={k}: k-term sum of terms each rounded a few times"


# Round to nearest has an absolute error floor where results are subnormal: at most half
# the smallest subnormal (Higham 2002 §2.1, the underflow term η of the model). Half of
# it, 2^-1075, is not itself a double (it rounds to 0), so the spacing 2^-1074 is used.
UNDERFLOW = 2.0**-1074


def product_rounding_allowance(joint_p: np.ndarray, joint_q: np.ndarray, factors: int) -> float:
    """What forming the joint pmf by ``factors − 1`` multiplications may move ``D(joint)`` by, below the normal range.

    In the normal range a product's rounding is relative (``(factors − 1)u``, already in
    :func:`kl_rounding_tolerance`); a subnormal entry carries an absolute error of at most
    ``(factors − 1)η`` besides (η ≤ 2^-1074; its intermediate products are subnormal too,
    every factor being at most 1). With ``∂/∂p [p log(p/q)] = log(p/q) + 1`` and
    ``∂/∂q = −p/q`` that moves the sum by at most
    ``(factors − 1)η Σ ([p subnormal](|log(p/q)| + 1) + [q subnormal] p/q)``: 0 unless some
    product is subnormal, where a relative error of u no longer holds (1e-313 carries 1e-11).
    """
    support = (joint_p > 0) & (joint_q > 0)
    p, q = joint_p[support], joint_q[support]
    smallest_normal = np.finfo(np.float64).tiny
    # p·(η/q), not η·(p/q): p/q alone overflows where q is subnormal.
    terms = np.where(p < smallest_normal, UNDERFLOW * (np.abs(np.log(p) - np.log(q)) + 1), 0.0) + np.where(
        q < smallest_normal, p * (UNDERFLOW / q), 0.0
    )
    return float((factors - 1) * np.sum(terms))


def product_pmf(factors: tuple[np.ndarray, ...]) -> np.ndarray:
    """The pmf of independent components on the product set, flattened in C order."""
    return reduce(np.multiply.outer, factors).reshape(-1)


# --- the public wrapper ---------------------------------------------------------------------


def require_pmf(p: np.ndarray, name: str) -> None:
    """Raise InvalidInput (one line) unless ``p`` is a 1-D pmf: finite, nonnegative, summing to 1 within rounding."""
    if p.ndim != 1 or len(p) == 0:
        raise InvalidInput(f"{name} must be a nonempty 1-D array, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise InvalidInput(f"{name} must be finite and nonnegative")
    total = math.fsum(p.tolist())
    if abs(total - 1) > 8 * len(p) * U64:
        raise InvalidInput(f"{name} must sum to 1, sums to {total!r}")


def require_pmf_pair(p: np.ndarray, q: np.ndarray) -> None:
    require_pmf(p, "p")
    require_pmf(q, "q")
    if p.shape != q.shape:
        raise InvalidInput(f"p and q must be pmfs on the same finite set; got shapes {p.shape} and {q.shape}")


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """The reference: ``D(p‖q)`` in nats, ``+∞`` when ``p`` is not absolutely continuous w.r.t. ``q``."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    require_pmf_pair(p, q)
    return kl_by_definition(p, q)


# --- the checks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PmfPair:
    """Two pmfs ``p, q`` on the same finite set ``{0..k−1}``."""

    p: np.ndarray
    q: np.ndarray

    def __repr__(self) -> str:
        return f"k={len(self.p)}, p={self.p.tolist()}, q={self.q.tolist()}"


@dataclass(frozen=True)
class IndependentPmfs:
    """Independent components: ``P = ⊗ p_i`` and ``Q = ⊗ q_i`` on a product of finite sets."""

    p_factors: tuple[np.ndarray, ...]
    q_factors: tuple[np.ndarray, ...]

    def __repr__(self) -> str:
        return "; ".join(f"p{i}={p.tolist()}, q{i}={q.tolist()}" for i, (p, q) in enumerate(zip(self.p_factors, self.q_factors), 1))


def call_pmf_kl(theorem_id: str, implementation: Callable[..., object], p: np.ndarray, q: np.ndarray, example: str) -> float | Evidence:
    """The implementation's value on copies of ``(p, q)`` as a float, or the Evidence of its failure."""

    def quietly(*arguments: np.ndarray) -> object:
        with np.errstate(all="ignore"):
            return implementation(*arguments)

    actual = call_implementation(theorem_id, example, quietly, (p.copy(), q.copy()), ("p", "q"), expect=real_scalar)
    if isinstance(actual, float) and math.isnan(actual):
        return implementation_failure(theorem_id, example, f"returned NaN on p={p.tolist()}, q={q.tolist()}")
    return actual


def worst(*evidence: Evidence) -> Evidence:
    return max(evidence, key=lambda item: item.ratio)


def check_kl_nonnegativity(implementation: Callable[[np.ndarray, np.ndarray], float], pair: PmfPair) -> Evidence:
    """``implementation(p, q)`` equals the definition, is ``≥ 0``, and is 0 when ``p = q``."""
    theorem_id = "kl-nonnegativity"
    if not isinstance(pair, PmfPair):
        raise InvalidInput(f"{theorem_id} checks a PmfPair(p, q), got {type(pair).__name__}")
    require_pmf_pair(pair.p, pair.q)
    example = repr(pair)
    actual = call_pmf_kl(theorem_id, implementation, pair.p, pair.q, example)
    if isinstance(actual, Evidence):
        return actual
    tolerance, reason = kl_rounding_tolerance(pair.p, pair.q)
    definition = compare_scalar(
        theorem_id=theorem_id, example=example, expected=kl_by_definition(pair.p, pair.q),
        expected_how="the definition Σ p log(p/q), summed exactly", actual=actual, tolerance=tolerance, tolerance_reason=reason,
    )
    equal = bool(np.array_equal(pair.p, pair.q))
    floor = Evidence(
        theorem_id=theorem_id,
        example=example,
        expected="0 (p = q)" if equal else "≥ 0",
        actual=f"{actual:.17g}",
        error=abs(actual) if equal else max(0.0, -actual),
        tolerance=tolerance,
        tolerance_reason=reason,
        mismatches="the theorem: D(p‖q) ≥ 0 with equality iff p = q",
    )
    return worst(definition, floor)


def check_kl_additivity(implementation: Callable[[np.ndarray, np.ndarray], float], case: IndependentPmfs) -> Evidence:
    """``implementation(⊗p_i, ⊗q_i)`` equals the definition and ``Σ implementation(p_i, q_i)``."""
    theorem_id = "kl-additivity"
    if not isinstance(case, IndependentPmfs):
        raise InvalidInput(f"{theorem_id} checks IndependentPmfs(p_factors, q_factors), got {type(case).__name__}")
    if len(case.p_factors) != len(case.q_factors) or not case.p_factors:
        raise InvalidInput(f"p and q need the same positive number of factors; got {len(case.p_factors)} and {len(case.q_factors)}")
    for p, q in zip(case.p_factors, case.q_factors):
        require_pmf_pair(p, q)
    example = repr(case)
    joint_p, joint_q = product_pmf(case.p_factors), product_pmf(case.q_factors)
    joint = call_pmf_kl(theorem_id, implementation, joint_p, joint_q, example)
    if isinstance(joint, Evidence):
        return joint
    tolerance, reason = kl_rounding_tolerance(joint_p, joint_q)
    underflow = product_rounding_allowance(joint_p, joint_q, len(case.p_factors))
    if underflow > 0:
        tolerance, reason = tolerance + underflow, f"{reason}; + (m−1)η·Σ(|log(p/q)|+1+p/q) for subnormal products of the m factors"
    evidence = [
        compare_scalar(
            theorem_id=theorem_id, example=example, expected=kl_by_definition(joint_p, joint_q),
            expected_how="the definition on the joint pmf, summed exactly", actual=joint, tolerance=tolerance, tolerance_reason=reason,
        )
    ]
    marginal_sum, marginal_tolerance = 0.0, tolerance
    for p, q in zip(case.p_factors, case.q_factors):
        marginal = call_pmf_kl(theorem_id, implementation, p, q, example)
        if isinstance(marginal, Evidence):
            return marginal
        marginal_sum += marginal
        marginal_tolerance += kl_rounding_tolerance(p, q)[0]
    evidence.append(
        compare_scalar(
            theorem_id=theorem_id, example=example, expected=marginal_sum,
            expected_how="Σ_i of the implementation on the factors (the theorem)", actual=joint,
            tolerance=marginal_tolerance, tolerance_reason=f"the joint's and every factor's rounding allowance added; joint: {reason}",
        )
    )
    return worst(*evidence)
