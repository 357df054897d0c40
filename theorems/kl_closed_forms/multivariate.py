"""The KL of laws of several dimensions: Gaussians by T7's oracle, Dirichlet and Wishart by their sufficient statistics.

Gaussians (MultivariateNormal, LowRankMultivariateNormal): the project's Gauss–Hermite oracle
of T7 (exact for the quadratic log-ratio). Dirichlet and Wishart (exponential families):
``L`` is affine in the sufficient statistics, ``L(x) = c + η·T(x)``; ``c`` from scipy's
log-densities at one point, ``E_p T`` from one-dimensional quadrature (Dirichlet: ``E log x_i``
under the Beta marginal; Wishart: ``E log det X`` by Bartlett's decomposition, a sum of
``E log χ²`` by quadrature; ``E X = n V``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.special
import scipy.stats

from theorems.kl_closed_forms.definition import DENSITY_OPERATIONS, Definition
from theorems.kl_closed_forms.families import lgammas
from theorems.kl_closed_forms.laws import Law
from theorems.kl_closed_forms.quantiles import quantile_expectation
from theorems.oracles.quadrature import QUADRATURE_SAFETY, OracleValue
from theorems.oracles.tolerance import U64


def gaussian_definition(p: Law, q: Law) -> Definition:
    """KL of two Gaussians (full or low-rank covariance) by T7's Gauss–Hermite oracle, its bar widened by a low-rank law's capacitance."""
    from theorems.gaussian_kl.check import GaussianPair, gaussian_kl_by_gauss_hermite, gaussian_kl_tolerance

    (mu0, cov0), (mu1, cov1) = _gaussian(p), _gaussian(q)
    value, terms = gaussian_kl_by_gauss_hermite(mu0, cov0, mu1, cov1)
    error, _ = gaussian_kl_tolerance(GaussianPair(mu0, cov0, mu1, cov1), terms)
    # A low-rank law's closed form solves with the capacitance I + Wᵀ D⁻¹ W instead of Σ;
    # its condition, at most 1 + ‖W‖²/min D, multiplies the rounding of those solves.
    error *= max(_capacitance_condition(p), _capacitance_condition(q))
    return Definition(value, error / QUADRATURE_SAFETY, terms, "Gauss–Hermite after whitening by Σ_p (exact for the quadratic log-ratio; T7's oracle)")


def _capacitance_condition(law: Law) -> float:
    if law.family != "LowRankMultivariateNormal":
        return 1.0
    factor, diag = law.parameters["cov_factor"][0], law.parameters["cov_diag"][0]
    return 1.0 + float(np.linalg.norm(factor, 2) ** 2 / diag.min())


def _gaussian(law: Law) -> tuple[np.ndarray, np.ndarray]:
    values = law.parameters
    if law.family == "MultivariateNormal":
        return values["loc"][0], values["covariance_matrix"][0]
    factor = values["cov_factor"][0]
    return values["loc"][0], factor @ factor.T + np.diag(values["cov_diag"][0])


def dirichlet_definition(p: Law, q: Law) -> Definition:
    """``L(x) = c + Σ (α_i − β_i) log x_i``; ``E log x_i`` under the Beta(α_i, α_0 − α_i) marginal, by quadrature."""
    alpha, beta = p.parameters["concentration"][0], q.parameters["concentration"][0]
    point = np.full(len(alpha), 1.0 / len(alpha))
    c = float(scipy.stats.dirichlet.logpdf(point, alpha) - scipy.stats.dirichlet.logpdf(point, beta)) - float(np.sum((alpha - beta) * np.log(point)))
    total, error, scale = c, 0.0, abs(c) + lgammas(*alpha, alpha.sum()) + lgammas(*beta, beta.sum())
    for a_i, b_i in zip(alpha, beta):
        mean_log = _mean_log_beta(float(a_i), float(alpha.sum() - a_i))
        total += (a_i - b_i) * mean_log.value
        error += abs(a_i - b_i) * mean_log.error
        scale += abs(a_i - b_i) * abs(mean_log.value)
    # Its own rounding, on the scale of the terms it combines: the constant is two scipy logpdfs
    # (n + 1 lgammas each) less a sum, and the n products are added to it; near p = q those terms
    # cancel to a KL of 1e-11 and their rounding is what is left (3.5e-16 against mpmath, where a
    # bar without it allowed 2.0e-16: tests/kl_closed_forms/test_kl_oracles_against_mpmath.py). Bounded as the
    # densities' is, DENSITY_OPERATIONS·u per term, plus the sum's γ_{2n+2}, on 1 + the terms: with
    # concentrations near 1 every lgamma is near 0 and the terms' scale alone (1e-5) allowed
    # 5e-20 where the oracle was 3.1e-16 off (p and q one ulp apart, KL 3.7e-25).
    rounding = _closed_form_rounding(len(alpha), scale)
    return Definition(total, error, scale, "L affine in log x; E log x_i by quadrature of the Beta marginal over its quantiles", rounding)


def _closed_form_rounding(dimension: int, terms: float) -> float:
    """The rounding of an exponential family's definition (Dirichlet, Wishart) that adds ``2·dimension + 2``
    terms of total magnitude ``terms``: DENSITY_OPERATIONS·u per term as the densities', plus the sum's
    γ_{2d+2}, on 1 + the terms (near p = q they cancel, and a logarithm near 1 is within u absolutely)."""
    return (DENSITY_OPERATIONS + 2 * dimension + 2) * U64 * (1.0 + terms)


# E log X under one law, by its parameters: a pure function of them, kept for the process (a
# Wishart's Bartlett terms recur across the elements and pairs that share a df, a Dirichlet's
# Beta marginals across pairs that share p).
@functools.lru_cache(maxsize=1024)
def _mean_log_chi2(df: float) -> OracleValue:
    """``E log X`` for ``X ~ χ²_df``, by quadrature over its quantiles."""
    return quantile_expectation(scipy.stats.chi2(df), np.log)


@functools.lru_cache(maxsize=1024)
def _mean_log_beta(a: float, b: float) -> OracleValue:
    """``E log X`` for ``X ~ Beta(a, b)``, by quadrature over its quantiles."""
    return quantile_expectation(scipy.stats.beta(a, b), np.log)


def _wishart_normaliser(df: float, covariance: np.ndarray) -> float:
    """Σ|terms| of a Wishart's log-normaliser ``(n/2) log det V + (nd/2) log 2 + log Γ_d(n/2)``, and ``n/2·tr`` of the precision's term."""
    d = len(covariance)
    return abs(0.5 * df * np.linalg.slogdet(covariance)[1]) + 0.5 * df * d * math.log(2) + abs(float(scipy.special.multigammaln(0.5 * df, d))) + 0.5 * df * d


def wishart_definition(p: Law, q: Law) -> Definition:
    """``L(X) = c + ½(n_p − n_q) log det X − ½ tr((V_p⁻¹ − V_q⁻¹) X)``; ``E X = n_p V_p``;
    ``E log det X = log det V_p + Σ_i E log χ²_{n_p − i}`` (Bartlett), each by quadrature."""
    n_p, n_q = float(p.parameters["df"][0]), float(q.parameters["df"][0])
    v_p, v_q = p.parameters["covariance_matrix"][0], q.parameters["covariance_matrix"][0]
    d = len(v_p)
    point = n_p * v_p
    c = float(scipy.stats.wishart.logpdf(point, n_p, v_p) - scipy.stats.wishart.logpdf(point, n_q, v_q))
    log_det_point = float(np.linalg.slogdet(point)[1])
    precision_gap = np.linalg.inv(v_p) - np.linalg.inv(v_q)
    c -= 0.5 * (n_p - n_q) * log_det_point - 0.5 * float(np.trace(precision_gap @ point))
    mean_log_det, error = float(np.linalg.slogdet(v_p)[1]), 0.0
    for i in range(d):
        chi2 = _mean_log_chi2(n_p - i)
        mean_log_det += chi2.value
        error += chi2.error
    trace_term = float(np.trace(precision_gap @ (n_p * v_p)))
    value = c + 0.5 * (n_p - n_q) * mean_log_det - 0.5 * trace_term
    scale = abs(c) + 0.5 * abs(n_p - n_q) * abs(mean_log_det) + 0.5 * abs(trace_term) + _wishart_normaliser(n_p, v_p) + _wishart_normaliser(n_q, v_q)
    # A closed form works with the natural parameters −½V⁻¹: tr(V⁻¹ E X) is then off by up to
    # κ(V)·u relatively (Higham 2002, §14.1), and torch's generic exponential-family KL inverts
    # once more (the mean parameter ∝ η⁻¹), so those terms count κ(V)²-fold.
    for covariance in (v_p, v_q):
        scale += 0.5 * float(np.linalg.cond(covariance)) ** 2 * abs(float(np.trace(np.linalg.solve(covariance, n_p * v_p))))
    # Its own rounding: two scipy logpdfs, log-determinants, an inverse and traces, combined near
    # p = q into a KL near 0 (against mpmath it returned −8.9e-16 for a KL of 3.9e-17, with no bar
    # at all: tests/kl_closed_forms/test_kl_oracles_against_mpmath.py). On the scale of its own terms, as the
    # Dirichlet's: DENSITY_OPERATIONS·u per term plus the sums', on 1 + their magnitudes, times the
    # covariances' condition, by which an inverse and a log-determinant lose (Higham 2002, §14.1):
    # V with κ = 1e4 put the oracle 3.0e-13 off where the unconditioned bar allowed 5.9e-14.
    own_terms = abs(c) + 0.5 * abs(n_p - n_q) * abs(mean_log_det) + 0.5 * abs(trace_term) + _wishart_normaliser(n_p, v_p) + _wishart_normaliser(n_q, v_q)
    condition = max(float(np.linalg.cond(v_p)), float(np.linalg.cond(v_q)))
    rounding = _closed_form_rounding(d, own_terms) * condition
    return Definition(value, 0.5 * abs(n_p - n_q) * error, scale, "L affine in (log det X, X); E log det X by Bartlett's decomposition and quadrature", rounding)


