"""Deliberately wrong KL divergences of pmfs: mistakes people make.

Registered for both ``kl-nonnegativity`` and ``kl-additivity`` (they share a contract);
each must be falsified by both checks. ``twice_kl`` and ``kl_in_bits`` are nonnegative
and additive: only the comparison with the definition catches them.
"""

from __future__ import annotations

import numpy as np

from theorems.kl import kl_by_definition
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


MISTAKES = (
    ("arguments-swapped", "D(q‖p) instead of D(p‖q)", arguments_swapped),
    ("log-base-2", "bits instead of nats", kl_in_bits),
    ("twice", "2·D: nonnegative and additive, still wrong", twice_kl),
    ("zero-log-zero-nan", "0·log(0/q) evaluated as 0·(−inf) = NaN", zero_log_zero_as_nan),
    ("smoothed-q", "q + 1e-12: finite where p > 0 = q must give +inf", smoothed_q),
    ("clamped-at-eps", "p and q clamped at machine epsilon before the log: wrong for entries below 2.2e-16", clamped_at_machine_epsilon),
    ("zero-q-terms-skipped", "terms with q = 0 dropped instead of giving +inf", zero_q_terms_skipped),
    ("absolute-terms", "Σ|p log(p/q)|: nonnegative, but not the divergence", absolute_terms),
)

WRONG_IMPLEMENTATIONS = tuple(
    WrongImplementation(theorem_id, name, mistake, implementation)
    for theorem_id in ("kl-nonnegativity", "kl-additivity")
    for name, mistake, implementation in MISTAKES
)
