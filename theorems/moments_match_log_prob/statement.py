"""Beyond the notes · a univariate law's mean, variance, entropy and mode are those of its own ``log_prob``.

Every law of ``torch.distributions`` (and every class a user writes on it) states its moments in closed
form beside its density; nothing makes the two agree. For a class and parameters its ``arg_constraints``
admit, each of ``mean``, ``variance``, ``entropy()`` and ``mode`` it implements must be that of the law
whose density is proportional to ``exp(log_prob)``: +∞, −∞ or NaN exactly where the integral diverges as
the oracle's convention says. Math and check: :mod:`theorems.moments_match_log_prob.check`.
"""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["FAMILIES", "MOMENTS_MATCH_LOG_PROB", "THEOREMS"]

# The univariate classes of torch.distributions (2.14.1) the reference run checks: each implements one
# of the four quantities at least (log-prob-normalises' families). Kept literal so that listing the
# theorems imports no torch; tests/moments_match_log_prob/test_moments_match_log_prob.py fails when
# torch exports a class that is neither here nor in theorems.log_prob_normalises.check.NOT_CHECKED.
FAMILIES = (
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Exponential",
    "FisherSnedecor", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal",
    "InverseGamma", "Kumaraswamy", "Laplace", "LogNormal", "NegativeBinomial", "Normal", "Pareto", "Poisson",
    "StudentT", "Uniform", "Weibull",
)

MOMENTS_MATCH_LOG_PROB = Theorem(
    id="moments-match-log-prob",
    title="A univariate law's mean, variance, entropy and mode are those of its log_prob",
    source="beyond the notes (issue 27: audit any distribution, torch's, Pyro's, yours)",
    statement=(
        r"\texttt{mean} = \int x\,q,\quad \texttt{variance} = \int (x - \texttt{mean})^2 q,\quad \texttt{entropy()} = -\int q \log q,"
        r"\quad \texttt{log\_prob}(\texttt{mode}) = \sup \texttt{log\_prob},\qquad q \propto e^{\texttt{log\_prob}}"
    ),
    hypotheses=(
        "the class's event_shape is (), its parameters satisfy its arg_constraints (validate_args=True), and its support is R, a half-line, an interval or a set of integers",
        "a quantity that raises NotImplementedError is not claimed; a divergent mean is +∞ or −∞ (one tail diverges) or NaN (both do), "
        "a divergent variance NaN where the mean is undefined and +∞ otherwise; mode NaN claims that no single point is highest",
        "at infinity the density is a power law of the distance from 1e50 to 1e100 or falls faster (log-linear in the log-distance), "
        "so that a divergent integral is decided from its exponent and a convergent one's tail beyond the nodes is bounded",
    ),
    oracles=(
        "continuous: adaptive cubature (Gauss–Kronrod, one per initial region) of exp(log_prob)·w for w = 1, (x − c)/s, ((x − c)/s)², −log p "
        "in the log-distance from the density's top c and the ends, s the interquartile range, with error estimates propagated to the quotients",
        "discrete: exact sums over the support, or over a window with its tails bounded by the ratio of consecutive terms",
        "infinite or undefined moments: decided from the tails' exponents d·∂ₓ log p at d = 1e50 and 1e100, never integrated",
        "mode: the highest node of the density's coarse picture, zoomed in the log-distance; NaN right where the top is flat or unbounded",
    ),
    contract="a torch.distributions.Distribution subclass with event_shape (), built as cls(**parameters, validate_args=True) from values its arg_constraints admit",
    parameters=(),
    reference_target="theorems.log_prob_normalises.check:torch_family",
    check_target="theorems.moments_match_log_prob.check:check_moments_match_log_prob",
    examples="theorems.strategies.moments_match_log_prob:moment_draws",
    assumptions=(
        Assumption("family", FAMILIES, "the torch class the reference checks on the example (a class under test builds its own)"),
        Assumption("batch", (1, 2, 3), "the batch size"),
    ),
    # Every family in every run (one covered example each), then a free search.
    cover=("family",),
    classify_target="theorems.strategies.moments_match_log_prob:classify_moment_draw",
    # ci: 100 × 0.3 = 30 examples, the 25 covered families and 5 free (a continuous example costs
    # about 0.15 s: the top's search, four integrals in one cubature, the class's four quantities).
    example_fraction=0.3,
)

THEOREMS = (MOMENTS_MATCH_LOG_PROB,)
