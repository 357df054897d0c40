"""Deliberately wrong KL divergences of pmfs: mistakes people make.

Registered for both ``kl-nonnegativity`` and ``kl-additivity`` (they share a contract);
each must be falsified by both checks. ``twice_kl`` and ``kl_in_bits`` are nonnegative
and additive: only the comparison with the definition catches them. The last three are
each wrong in one structural class only (the theorems' ``cover``): near point masses
(``degenerate``), a zero shared by p and q (``zeros="both"``), a point mass p (``size="1"``).
"""

from __future__ import annotations

import numpy as np

from theorems.kl.check import kl_by_definition
from theorems.theorem import WrongImplementation

__all__ = ["WRONG_IMPLEMENTATIONS"]


def arguments_swapped(p: np.ndarray, q: np.ndarray) -> float:
    return kl_by_definition(q, p)


def kl_in_bits(p: np.ndarray, q: np.ndarray) -> float:
    return kl_by_definition(p, q) / np.log(2)


def twice_kl(p: np.ndarray, q: np.ndarray) -> float:
    return 2 * kl_by_definition(p, q)


def zero_log_zero_as_nan(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum(p * np.log(p / q)))


def smoothed_q(p: np.ndarray, q: np.ndarray) -> float:
    """``q + ε`` so that ``p > 0 = q`` gives a large finite number instead of +∞."""
    support = p > 0
    return float(np.sum(p[support] * np.log(p[support] / (q[support] + 1e-12))))


def zero_q_terms_skipped(p: np.ndarray, q: np.ndarray) -> float:
    support = (p > 0) & (q > 0)
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def absolute_terms(p: np.ndarray, q: np.ndarray) -> float:
    support = p > 0
    if np.any(support & (q == 0)):
        return float("inf")
    return float(np.sum(np.abs(p[support] * np.log(p[support] / q[support]))))


def clamped_at_machine_epsilon(p: np.ndarray, q: np.ndarray) -> float:
    """Probabilities clamped at machine epsilon before the log, a common guard against log 0:
    right wherever every entry of p and q is 0 or above 2.2e-16, wrong below it."""
    eps = np.finfo(np.float64).eps
    support = p > 0
    if np.any(support & (q == 0)):
        return float("inf")
    return float(np.sum(p[support] * np.log(np.clip(p[support], eps, 1.0) / np.clip(q[support], eps, 1.0))))


def ratio_first(p: np.ndarray, q: np.ndarray) -> float:
    """``Σ p log(p/q)`` with the ratio formed first: ``p/q`` overflows to +inf where q is
    subnormal and p is not (a ratio above 1.8e308), so a finite D comes out +inf. Right
    wherever every positive q_i is a normal double (near point masses only)."""
    support = p > 0
    if np.any(support & (q == 0)):
        return float("inf")
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def any_zero_of_q_infinite(p: np.ndarray, q: np.ndarray) -> float:
    """Absolute continuity tested on q alone: +inf as soon as some q_i = 0, even where p_i = 0
    as well, a point outside both supports whose term is 0 and where D is finite. Right
    unless the pair shares a zero (the ``both`` class)."""
    if np.any(q == 0):
        return float("inf")
    support = p > 0
    return float(np.sum(p[support] * (np.log(p[support]) - np.log(q[support]))))


def loop_over_squeezed_support(p: np.ndarray, q: np.ndarray) -> float:
    """A loop over p's support found as ``np.argwhere(p > 0).squeeze()``: for a point mass the
    squeeze leaves a 0-d array, and iterating over it raises TypeError. Right whenever p
    has two or more support points."""
    total = 0.0
    for i in np.argwhere(p > 0).squeeze():
        if q[i] == 0:
            return float("inf")
        total += p[i] * (np.log(p[i]) - np.log(q[i]))
    return float(total)


MISTAKES = (
    ("arguments-swapped", "D(q‖p) instead of D(p‖q)", arguments_swapped),
    ("log-base-2", "bits instead of nats", kl_in_bits),
    ("twice", "2·D: nonnegative and additive, still wrong", twice_kl),
    ("zero-log-zero-nan", "0·log(0/q) evaluated as 0·(−inf) = NaN", zero_log_zero_as_nan),
    ("smoothed-q", "q + 1e-12: finite where p > 0 = q must give +inf", smoothed_q),
    ("clamped-at-eps", "p and q clamped at machine epsilon before the log: wrong for entries below 2.2e-16", clamped_at_machine_epsilon),
    ("zero-q-terms-skipped", "terms with q = 0 dropped instead of giving +inf", zero_q_terms_skipped),
    ("absolute-terms", "Σ|p log(p/q)|: nonnegative, but not the divergence", absolute_terms),
    ("ratio-first", "p log(p/q) with p/q formed first: +inf where q is subnormal below p (near point masses)", ratio_first),
    ("any-zero-of-q-infinite", "+inf whenever some q_i = 0, even where p_i = 0 too (a shared zero)", any_zero_of_q_infinite),
    ("squeezed-support-loop", "a loop over np.argwhere(p > 0).squeeze(), a 0-d array for a point mass p", loop_over_squeezed_support),
)

WRONG_IMPLEMENTATIONS = tuple(
    WrongImplementation(theorem_id, name, mistake, implementation)
    for theorem_id in ("kl-nonnegativity", "kl-additivity")
    for name, mistake, implementation in MISTAKES
)
