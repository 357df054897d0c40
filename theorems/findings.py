"""Defects found in real libraries by running them through a theorem's check.

A finding is recorded and shown, never silenced: the tests assert that the library
holds *outside* each finding's domain and is falsified on *every* example inside it,
so a fix upstream (or a new defect) turns the suite red until this record is updated.
A finding whose defect strikes only some examples of its domain (a rounding defect)
records one such ``example`` instead, on which the library must still be falsified.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.stats
from torch import nn
from torch.nn.utils import fusion

from theorems.fold import FoldCase
from theorems.gaussian_density import AffineGaussianCase

__all__ = ["FINDINGS", "LIBRARY_IMPLEMENTATIONS", "Finding", "left_to_the_findings", "recorded_finding"]


@dataclass(frozen=True)
class Finding:
    """A defect of ``library`` under theorem ``theorem_id``, on the examples where ``applies``."""

    id: str
    theorem_id: str
    library: str
    summary: str
    applies: Callable[[Any], bool]
    example: Any = None
    # Set when the defect is a refusal: words the implementation's failure on the example contains.
    raises: str | None = None


# The real library functions that run through the fold checks, by theorem id. For a
# ConvTranspose, fuse_conv_bn_eval needs transpose=True (its documented flag).
LIBRARY_IMPLEMENTATIONS: dict[str, tuple[str, Callable[..., Any]]] = {
    "fold-linear": ("torch.nn.utils.fusion.fuse_linear_bn_eval", fusion.fuse_linear_bn_eval),
    "fold-conv": ("torch.nn.utils.fusion.fuse_conv_bn_eval", fusion.fuse_conv_bn_eval),
    "fold-conv-transpose": (
        "torch.nn.utils.fusion.fuse_conv_bn_eval(transpose=True)",
        functools.partial(fusion.fuse_conv_bn_eval, transpose=True),
    ),
    "affine-gaussian-density": ("scipy.stats.multivariate_normal.logpdf", scipy.stats.multivariate_normal.logpdf),
}


def _without_affine(case: FoldCase) -> bool:
    return not case.bn.affine


def _grouped(case: FoldCase) -> bool:
    return isinstance(case.layer, nn.modules.conv._ConvTransposeNd) and case.layer.groups > 1


# Relative gap between neighbouring eigenvalues of Σ below which they form a cluster.
# Outside it scipy's logpdf stayed within 0.12 of the tolerance over 20 000 examples
# that Hypothesis steered (target) toward the largest ratio.
CLUSTER_GAP = 1e-8


def _clustered_covariance(case: AffineGaussianCase) -> bool:
    eigenvalues = np.sort(np.linalg.svd(case.matrix, compute_uv=False) ** 2)
    return bool(np.any(np.diff(eigenvalues) <= CLUSTER_GAP * eigenvalues[1:]))


# Found by the thorough profile: A = c·Q (Q orthogonal, so Σ = c²I up to rounding).
CLUSTERED_EXAMPLE = AffineGaussianCase(
    matrix=np.array([
        [-0.00171879503488899, 0.04102998985073168, 0.35920760012478314, 0.25911083043655203],
        [0.19220618235879913, 0.3497556794810365, 0.087738010538678, -0.17574050870830724],
        [-0.01709118606323549, 0.22098455002586317, -0.2419515046927389, 0.30031337989879076],
        [0.40077008037793493, -0.15814003292650805, -0.05085614669524866, 0.09820214744933012],
    ]),
    shift=np.zeros(4),
    points=np.array([[0.03166803989984845, -0.3478148737902961, 1.7341985216676157, 2.0497111095783276]]),
)

# scipy's _PSD treats eigenvalues of Σ at or below 1e6·eps·λ_max as zero (its default
# cond for float64) and, with allow_singular=False, refuses Σ: so κ(Σ) ≥ 1/(1e6·eps) ≈ 4.5e9.
SCIPY_SINGULAR_CUTOFF = 1e6 * float(np.finfo(np.float64).eps)


def _refused_as_singular(case: AffineGaussianCase) -> bool:
    eigenvalues = np.linalg.svd(case.matrix, compute_uv=False) ** 2
    return bool(eigenvalues.min() <= SCIPY_SINGULAR_CUTOFF * eigenvalues.max())


# Found by the ci profile once covariances reached κ = 1e12: Σ = diag(1, 1e10).
ILL_CONDITIONED_EXAMPLE = AffineGaussianCase(matrix=np.diag([1.0, 1e5]), shift=np.zeros(2), points=np.zeros((1, 2)))

FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="fusion-linear-affine-false",
        theorem_id="fold-linear",
        library="torch.nn.utils.fusion.fuse_linear_bn_eval",
        summary=(
            "raises TypeError for a BatchNorm1d with affine=False: fuse_linear_bn_weights multiplies "
            "bn.weight (None) without the None-handling that fuse_conv_bn_weights has"
        ),
        applies=_without_affine,
    ),
    Finding(
        id="fusion-conv-transpose-groups",
        theorem_id="fold-conv-transpose",
        library="torch.nn.utils.fusion.fuse_conv_bn_eval(transpose=True)",
        summary=(
            "wrong for a grouped ConvTranspose (groups > 1): the scale is reshaped to (1, C_out, 1, …) "
            "against a weight of shape (C_in, C_out/groups, k…), which broadcasts to a wrong-shaped "
            "weight or raises, instead of scaling output channel g·(C_out/groups)+j"
        ),
        applies=_grouped,
    ),
    Finding(
        id="scipy-logpdf-eigenvalue-cluster",
        theorem_id="affine-gaussian-density",
        library="scipy.stats.multivariate_normal.logpdf (scipy 1.17)",
        summary=(
            "loses about a thousand ulps when Σ has a cluster of nearly equal eigenvalues (Σ ≈ c·I): "
            "it whitens with scipy.linalg.eigh's default driver 'evr' (LAPACK dsyevr, MRRR), whose "
            "eigenvectors there are orthogonal only to 2.6e-13 (drivers 'ev', 'evd', 'evx' and numpy: "
            "2e-16), and the Mahalanobis term inherits it: error 4.7e-12 against a tolerance of 6.8e-13 "
            "on a 4×4 example; the change of variables on the same example is off by 5e-15"
        ),
        applies=_clustered_covariance,
        example=CLUSTERED_EXAMPLE,
    ),
    Finding(
        id="scipy-logpdf-refuses-ill-conditioned-covariance",
        theorem_id="affine-gaussian-density",
        library="scipy.stats.multivariate_normal.logpdf (scipy 1.17)",
        summary=(
            "raises LinAlgError ('the input matrix must be symmetric positive definite') for a positive definite Σ "
            "with κ(Σ) above about 4.5e9: its default eigenvalue cutoff 1e6·eps·λ_max counts the small eigenvalues "
            "as zero (allow_singular=False); Σ = diag(1, 1e10) has a density, log N(0; 0, Σ) = −log 2π − log 1e5"
        ),
        applies=_refused_as_singular,
        example=ILL_CONDITIONED_EXAMPLE,
        raises="LinAlgError",
    ),
)


# --- torch.distributions' closed-form KLs (kl-closed-forms) ---------------------------------


def _kl_law(family: str, **params: Any) -> Any:
    from theorems.kl_closed_forms import Law

    return Law(family, tuple((name, np.atleast_1d(np.asarray(value, dtype=float))) for name, value in params.items()))


def _kl_pair(p: Any, q: Any) -> Any:
    from theorems.kl_closed_forms import LawPair

    return LawPair(p, q)


def _families(pair: Any, p_family: str | tuple[str, ...], q_family: str | tuple[str, ...] | None = None) -> bool:
    p_ok = pair.p.family in ((p_family,) if isinstance(p_family, str) else p_family)
    q_ok = q_family is None or pair.q.family in ((q_family,) if isinstance(q_family, str) else q_family)
    return p_ok and q_ok


def _poisson_rate_zero(pair: Any) -> bool:
    return _families(pair, "Poisson") and bool(np.any(pair.p.parameters["rate"] == 0))


def _poisson_q_rate_zero(pair: Any) -> bool:
    return _families(pair, "Bernoulli", "Poisson") and bool(np.any(pair.q.parameters["rate"] == 0))


def _binomial_counts(pair: Any) -> bool:
    return _families(pair, "Binomial", "Binomial") and bool(np.any(pair.q.parameters["total_count"] > pair.p.parameters["total_count"]))


# |logit| > 20: where F.softplus switches to its linear branch (threshold 20) and
# torch's probs_to_logits clamps at eps.
LOGIT_REACH = 1 / (1 + math.exp(20))
PROBABILITY_FAMILIES = ("Bernoulli", "Binomial", "Geometric", "Categorical", "OneHotCategorical")


def _extreme_probabilities(pair: Any) -> bool:
    laws = [law.base if law.family == "Independent" else law for law in (pair.p, pair.q)]  # Independent(Bernoulli) too
    if laws[0].family not in PROBABILITY_FAMILIES:
        return False
    for law in laws:
        probs = law.parameters.get("probs")
        if probs is None:
            continue
        if law.family in ("Categorical", "OneHotCategorical"):
            if np.any((probs > 0) & (probs < 2 * float(np.finfo(np.float64).eps))):
                return True
        elif np.any((probs < LOGIT_REACH) | (probs > 1 - LOGIT_REACH)):
            return True
    return False


def _cb_uniform_shared_end(pair: Any) -> bool:
    if not _families(pair, "ContinuousBernoulli", "Uniform"):
        return False
    low, high = pair.q.parameters["low"], pair.q.parameters["high"]
    return bool(np.any(((low == 0) & (high >= 1)) | ((high == 1) & (low <= 0))))


def _uniform_cb_shared_end(pair: Any) -> bool:
    if not _families(pair, "Uniform", "ContinuousBernoulli"):
        return False
    low, high = pair.p.parameters["low"], pair.p.parameters["high"]
    return bool(np.any(((low == 0) & (high <= 1)) | ((high == 1) & (low >= 0))))


# A Uniform p narrower than this share of its distance from 0 (from 1 as well against a
# Beta or continuous Bernoulli q, whose log-density has log(1 − x)), or than a Gumbel q's
# scale (measured: 1.1 × the tolerance at a scale of 4.2 widths): torch's closed forms
# divide a difference of antiderivatives (x log x, e^{-z}) by the width and lose about
# u/width relatively.
NARROW_UNIFORM = 1e-2


def _narrow_uniform(pair: Any) -> bool:
    if not _families(pair, "Uniform"):
        return False
    low, high = pair.p.parameters["low"], pair.p.parameters["high"]
    width = high - low
    reach = np.maximum(np.abs(low), np.abs(high))
    if pair.q.family in ("Beta", "ContinuousBernoulli"):
        reach = np.maximum(reach, np.maximum(np.abs(1 - low), np.abs(1 - high)))
    narrow = width < NARROW_UNIFORM * reach
    if pair.q.family == "Gumbel":
        narrow |= pair.q.parameters["scale"] > width
    return bool(np.any(narrow))


# Torch's KL(Geometric ‖ Geometric) takes p's entropy as binary_cross_entropy_with_logits(logit θ, θ)/θ,
# whose terms of size |logit θ| cancel to about θ|logit θ| before the division by θ: an error of
# about u(|logit θ| + 2)/θ. Measured against the affine-in-k oracle (itself within 0.1 of its
# bar against mpmath at 50 digits) over 4000 draws of θ in 10^[-6, -1] (q = p, q within 1e-2
# of p, q independent): at most 1.9e-9 for θ in [1e-6, 1e-5), 8.6e-13 in [1e-3, 3e-3),
# 8e-14 in [0.01, 0.02) (ratio to the tolerance γ₆₄(1 + terms) 0.75); the largest failing θ
# was 0.0072. The domain keeps a factor of about 2.8 above it.
SMALL_GEOMETRIC = 0.02


def _small_geometric(pair: Any) -> bool:
    return _families(pair, "Geometric", "Geometric") and bool(np.any(pair.p.parameters["probs"] < SMALL_GEOMETRIC))


# Outside torch's Taylor window (0.499, 0.501) but this close to ½, the continuous
# Bernoulli's closed forms cancel: its variance (8e-11 relative at λ = 0.495) and its
# log-normaliser log|log1p(−λ) − log λ| − log|1 − 2λ| (about u/|1 − 2λ|).
CB_CENTRE = 0.05


def _cb_near_half(pair: Any) -> bool:
    laws = [law for law in (pair.p, pair.q) if law.family == "ContinuousBernoulli"]
    return any(bool(np.any(np.abs(law.parameters["probs"] - 0.5) < CB_CENTRE)) for law in laws)


def _batched_wisharts(pair: Any) -> bool:
    return _families(pair, "Wishart", "Wishart") and pair.p.batch > 1


def _wisharts(df: tuple[float, ...], scales: tuple[float, ...]) -> Any:
    return _kl_law("Wishart", df=list(df), covariance_matrix=[s * np.eye(2) for s in scales])


KL_FINDINGS: tuple[Finding, ...] = (
    Finding(
        id="torch-kl-geometric-small-probs",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1)",
        summary=(
            "KL(Geometric ‖ Geometric) for p's probability θ below 0.02: the closed form −H(p) − log1p(−q)/θ − logit q takes "
            "H(p) as binary_cross_entropy_with_logits(logit θ, θ)/θ, whose terms of size |logit θ| cancel before the division "
            "by θ, an error of about u(|logit θ| + 2)/θ (up to 1.9e-9 at θ ≈ 1e-6, 8.6e-13 at 1e-3; past the tolerance up "
            "to θ ≈ 0.007): KL(Geometric(1e-6) ‖ Geometric(1e-6)) is 7.8e-11, not 0"
        ),
        applies=_small_geometric,
        example=_kl_pair(_kl_law("Geometric", probs=1e-6), _kl_law("Geometric", probs=1e-6)),
    ),
    Finding(
        id="torch-kl-continuous-bernoulli-near-half",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1), ContinuousBernoulli's variance and log-normaliser",
        summary=(
            "a continuous Bernoulli with λ within 0.05 of ½ but outside torch's Taylor window (0.499, 0.501): its closed-form "
            "variance cancels (λ = 0.495: 0.08333165218846 against 0.08333165219500, 8e-11 relative), which KL against a "
            "Normal multiplies by 1/(2σ²) (off by 0.094 at σ = 5.9e-6), and its log-normaliser loses about u/|1 − 2λ| "
            "(KL between two such laws: 4.5e-14 against 2.7e-14)"
        ),
        applies=_cb_near_half,
        example=_kl_pair(_kl_law("ContinuousBernoulli", probs=0.49497846806149642), _kl_law("Normal", loc=1.0, scale=5.8590099418612941e-06)),
    ),
    Finding(
        id="torch-kl-poisson-rate-zero",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1)",
        summary=(
            "a Poisson p with rate 0 (a point mass at 0, which Poisson's constraint admits): against a Poisson q the "
            "closed form computes 0·log 0 and returns NaN (the KL is q's rate); against a Bernoulli or Binomial q it "
            "returns +inf, as if p charged every integer (the KL is −log q(0), finite)"
        ),
        applies=_poisson_rate_zero,
        example=_kl_pair(_kl_law("Poisson", rate=0.0), _kl_law("Bernoulli", probs=0.5)),
    ),
    Finding(
        id="torch-kl-bernoulli-poisson-rate-zero",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1)",
        summary="KL(Bernoulli ‖ Poisson) with a Poisson rate of 0 returns NaN (log 0 times 0); KL(Bernoulli(0) ‖ Poisson(0)) is 0",
        applies=_poisson_q_rate_zero,
        example=_kl_pair(_kl_law("Bernoulli", probs=0.0), _kl_law("Poisson", rate=0.0)),
    ),
    Finding(
        id="torch-kl-binomial-larger-q-count",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1)",
        summary=(
            "KL(Binomial(n_p) ‖ Binomial(n_q)) raises NotImplementedError when n_q > n_p, although p's support "
            "{0..n_p} lies inside q's and the KL is the finite sum over it"
        ),
        applies=_binomial_counts,
        example=_kl_pair(_kl_law("Binomial", total_count=2.0, probs=0.5), _kl_law("Binomial", total_count=3.0, probs=0.5)),
        raises="NotImplementedError",
    ),
    Finding(
        id="torch-kl-probabilities-near-0-or-1",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1)",
        summary=(
            "discrete laws given by probabilities within 2e-9 of 0 or 1 (|logit| > 20): probs_to_logits clamps at "
            "eps, so a Categorical q's probability of 2.6e-166 counts as 2.2e-16 and KL comes out 36.0 instead of 381.6; "
            "F.softplus's linear branch above 20 drops e^{-x}, so KL(Bernoulli(1) ‖ Bernoulli(2e-11)) is off by 2e-11; "
            "probabilities of exactly 0 or 1 give NaN (Binomial, Bernoulli) or +inf (Geometric(1) against itself, KL 0)"
        ),
        applies=_extreme_probabilities,
        example=_kl_pair(_kl_law("Categorical", probs=[[0.0, 0.0, 0.0, 1.0]]), _kl_law("Categorical", probs=[[0.0, 1.0, 2.12712e-112, 2.61207e-166]])),
    ),
    Finding(
        id="torch-kl-continuous-bernoulli-uniform-shared-end",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1)",
        summary=(
            "KL(ContinuousBernoulli ‖ Uniform(low, high)) is +inf whenever low ≥ 0 or high ≤ 1 (torch.ge/le), so also "
            "for Uniform(0, 1) and Uniform(0, 2), which contain [0, 1]: KL(CB(½) ‖ Uniform(0, 1)) is 0"
        ),
        applies=_cb_uniform_shared_end,
        example=_kl_pair(_kl_law("ContinuousBernoulli", probs=0.5), _kl_law("Uniform", low=0.0, high=1.0)),
    ),
    Finding(
        id="torch-kl-uniform-continuous-bernoulli-shared-end",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1)",
        summary=(
            "KL(Uniform(low, high) ‖ ContinuousBernoulli) is +inf whenever high ≥ 1 or low ≤ 0, so also for "
            "Uniform(0, 0.1) and Uniform(0, 1), which lie inside [0, 1] and have finite KLs"
        ),
        applies=_uniform_cb_shared_end,
        example=_kl_pair(_kl_law("Uniform", low=0.0, high=0.1), _kl_law("ContinuousBernoulli", probs=0.01)),
    ),
    Finding(
        id="torch-kl-narrow-uniform-cancels",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1)",
        summary=(
            "a Uniform p narrower than a hundredth of its distance from 0 (or from 1, against a Beta or continuous Bernoulli q), "
            "or than a Gumbel q's scale: the closed forms divide a difference of antiderivatives "
            "(e^{-z_high} − e^{-z_low}, h log h − l log l) by the width and lose about u/width: "
            "KL(Uniform(0, 1.7e-8) ‖ Gumbel(−6.34, 9.35e6)) comes out 34.9256 against 34.9146 (error 1.1e-2)"
        ),
        applies=_narrow_uniform,
        example=_kl_pair(_kl_law("Uniform", low=0.0, high=1.745723177279891e-08), _kl_law("Gumbel", loc=-6.3353962936516606, scale=9351452.273045741)),
    ),
    Finding(
        id="torch-kl-batched-wishart",
        theorem_id="kl-closed-forms",
        library="torch.distributions.kl_divergence (torch 2.14.1), its generic exponential-family KL",
        summary=(
            "batched Wisharts (the only family routed to _kl_expfamily_expfamily): the Bregman terms are summed over "
            "the event's rightmost dimensions, and the df term has none, so it is summed over the batch: "
            "KL is 0.00066 and 0.00214 one pair at a time, −0.194 and −0.218 (negative) as a batch of two"
        ),
        applies=_batched_wisharts,
        example=_kl_pair(_wisharts((2.5, 10.33254300796991), (6410.03, 0.741909)), _wisharts((2.5249994243603542, 10.43586605892105), (6474.13, 0.749328))),
    ),
)

FINDINGS = FINDINGS + KL_FINDINGS


# --- torch.distributions' transforms (log-det-jacobian) --------------------------------------

# torch.nn.functional.softplus returns x itself above its threshold of 20, dropping log1p(e^{-x}).
SOFTPLUS_THRESHOLD = 20.0


def _softplus_linear_branch(case: Any) -> bool:
    x = np.asarray(case.x)
    if case.kind == "Sigmoid":
        return bool(np.any(np.abs(x) > SOFTPLUS_THRESHOLD))
    return case.kind == "Softplus" and bool(np.any(x < -SOFTPLUS_THRESHOLD))


def _transform_case(kind: str, x: list[float]) -> Any:
    from theorems.log_det_jacobian import TransformCase

    return TransformCase(kind, np.asarray(x, dtype=float))


TRANSFORM_FINDINGS: tuple[Finding, ...] = (
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
    ),
)

FINDINGS = FINDINGS + TRANSFORM_FINDINGS


# --- an audited library as a theorem's reference ----------------------------------------------


def recorded_finding(theorem_id: str, example: Any) -> Finding | None:
    """The first finding recorded for ``theorem_id`` whose domain holds ``example``, or None."""
    return next((finding for finding in FINDINGS if finding.theorem_id == theorem_id and finding.applies(example)), None)


def left_to_the_findings(theorem_id: str, example: Any, rendered: str) -> Any:
    """For a theorem whose reference is the library under audit (torch.distributions): an example
    inside a recorded finding is not one of the reference run's examples (``hypothesis.reject``),
    since the findings' tests check that the library is still wrong there; outside a Hypothesis
    run (a recorded example replayed) the Evidence says where it lies. None outside every finding."""
    finding = recorded_finding(theorem_id, example)
    if finding is None:
        return None
    from hypothesis import currently_in_test_context, reject

    from theorems.evidence import Evidence

    if currently_in_test_context():
        reject()
    return Evidence(
        theorem_id=theorem_id, example=rendered, expected="", actual="", error=0.0, tolerance=0.0,
        tolerance_reason=f"inside the recorded finding {finding.id}: checked falsified by the findings' tests, not here",
    )
