"""Beyond the notes · a continuous law's ``cdf`` integrates its own ``log_prob``, and its ``icdf`` inverts the cdf.

Every continuous law of ``torch.distributions`` that states a distribution function (and every class a
user writes on it) states it in closed form beside its density; nothing makes the two agree. For a class
and parameters its ``arg_constraints`` admit, ``cdf(x)`` must be the integral of ``exp(log_prob)`` from the
support's lower end to ``x`` (over the whole), and ``icdf(cdf(x))`` must return ``x``, within the
conditioning of the inverse. Math and check: :mod:`theorems.cdf_matches_log_prob.check`.
"""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["CDF_MATCHES_LOG_PROB", "FAMILIES", "THEOREMS"]

# The continuous univariate classes of torch.distributions (2.14.1) that implement cdf, which the
# reference run checks. Kept literal so that listing the theorems imports no torch;
# tests/cdf_matches_log_prob/test_cdf_matches_log_prob.py fails when torch exports a class that is
# neither here nor in theorems.cdf_matches_log_prob.check's NOT_CHECKED.
FAMILIES = (
    "Cauchy", "Chi2", "ContinuousBernoulli", "Exponential", "Gamma", "Gumbel", "HalfCauchy", "HalfNormal",
    "InverseGamma", "Kumaraswamy", "Laplace", "LogNormal", "Normal", "Pareto", "Uniform", "Weibull",
)

CDF_MATCHES_LOG_PROB = Theorem(
    id="cdf-matches-log-prob",
    title="A continuous law's cdf integrates its log_prob, and its icdf inverts its cdf",
    source="beyond the notes (issue 27: audit any distribution, torch's, Pyro's, yours)",
    statement=r"\texttt{cdf}(x) = \frac{\int_a^x e^{\texttt{log\_prob}}}{\int_a^b e^{\texttt{log\_prob}}},\qquad \texttt{icdf}(\texttt{cdf}(x)) = x\quad (x \in [a, b])",
    hypotheses=(
        "the class's event_shape is (), its parameters satisfy its arg_constraints (validate_args=True), and its support is R, a half-line or an interval",
        "a method that raises NotImplementedError is not claimed; without a cdf, the icdf is checked on the oracle's F(x)",
        "a probability is held to its value's relative rounding, in the lower tail too (float64 carries it there): "
        "a cdf that keeps only an absolute u there (½(1 + erf), 1 − e^{−x}) is wrong, and torch's are recorded with their error model",
        "the round trip is judged where it is well-conditioned: the density at x large and smooth enough that the cdf's error moves "
        "the inverse by at most twice its error over p(x), and not within that error of 0 or 1",
    ),
    oracles=(
        "F(x) = ∫_a^x p / ∫_a^b p by adaptive cubature (Gauss–Kronrod, one per initial region) in the log-distance from the density's "
        "highest node and the interval's ends, every point and the whole support in one call, with error estimates",
        "the points: the law's quantiles at the example's levels on a coarse picture of its density, from log_prob alone",
    ),
    contract="a torch.distributions.Distribution subclass with event_shape () and a continuous support, built as cls(**parameters, validate_args=True) from values its arg_constraints admit",
    parameters=(),
    reference_target="theorems.log_prob_normalises.check:torch_family",
    check_target="theorems.cdf_matches_log_prob.check:check_cdf_matches_log_prob",
    examples="theorems.strategies.cdf_matches_log_prob:cdf_cases",
    assumptions=(
        Assumption("family", FAMILIES, "the torch class the reference checks on the example (a class under test builds its own)"),
        Assumption("batch", (1, 2, 3), "the batch size"),
    ),
    # Every family in every run (one covered example each), then a free search.
    cover=("family",),
    classify_target="theorems.strategies.cdf_matches_log_prob:classify_cdf_case",
    # ci: 100 × 0.3 = 30 examples, the 16 covered families and 14 free (an example costs about 0.1 s: the
    # picture, one cubature over the points and the support, the class's cdf and icdf).
    example_fraction=0.3,
)

THEOREMS = (CDF_MATCHES_LOG_PROB,)
