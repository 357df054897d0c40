r"""Beyond the notes · a univariate law's ``sample()`` and ``rsample()`` draw the law of its own ``log_prob``.

Every law of ``torch.distributions`` (and every class a user writes on it) states its density as
``log_prob`` and, apart from it, a sampler: a transformation of uniform or normal draws, a rejection
scheme, a clamp. Nothing makes the two agree. For a class and parameters its ``arg_constraints`` admit,
the draws of ``sample()`` (and of ``rsample()`` where the class implements it) must follow the law whose
density, or mass, is proportional to ``exp(log_prob)``. Math, statistics and check:
:mod:`theorems.sampler_matches_log_prob.check`.
"""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["FAMILIES", "SAMPLER_MATCHES_LOG_PROB", "THEOREMS"]

# The univariate classes of torch.distributions (2.14.1) the reference run checks: log-prob-normalises'
# families, each of which samples. Kept literal so that listing the theorems imports no torch;
# tests/sampler_matches_log_prob/test_sampler_matches_log_prob.py fails when torch exports a class that
# is neither here nor in theorems.sampler_matches_log_prob.check's NOT_CHECKED.
FAMILIES = (
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Exponential",
    "FisherSnedecor", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal",
    "InverseGamma", "Kumaraswamy", "Laplace", "LogNormal", "NegativeBinomial", "Normal", "Pareto", "Poisson",
    "StudentT", "Uniform", "Weibull",
)

SAMPLER_MATCHES_LOG_PROB = Theorem(
    id="sampler-matches-log-prob",
    title="A univariate law's sample() and rsample() draw the law of its log_prob",
    source="beyond the notes (issue 27: audit any distribution, torch's, Pyro's, yours)",
    statement=(
        r"P(\texttt{sample()} \le x) = \frac{\int_a^x e^{\texttt{log\_prob}}}{\int_a^b e^{\texttt{log\_prob}}}"
        r"\ \ \Big(\frac{\sum_{k \le x} e^{\texttt{log\_prob}(k)}}{\sum_k e^{\texttt{log\_prob}(k)}}\Big)\ \text{for every } x,"
        r"\ \text{and the same for } \texttt{rsample()}"
    ),
    hypotheses=(
        "the class's event_shape is (), its parameters satisfy its arg_constraints (validate_args=True), and its support is R, a half-line, an interval or a set of integers",
        "a method that raises NotImplementedError is not claimed; every draw has the shape sample_shape + batch_shape, is not NaN and lies in the support "
        "(for a continuous law, in its closure: an open end is reached only by rounding, as exp underflowing to 0)",
        "torch's CPU generator gives independent uniform bits; the draws are forked from it and seeded from the example, so a run is reproducible "
        "and leaves the caller's generator as it was",
        "one check per batch element and method: 30,000 draws against F at the law's quantiles of levels 0.05 … 0.95 (every integer of the summed window "
        "on the integers); it falsifies when max_j |F_n(x_j) − F(x_j)| > ε + b_j, b_j the oracle's bar, ε by the Dvoretzky–Kiefer–Wolfowitz inequality "
        "with Massart's constant, P(sup|F_n − F| > ε) ≤ 2e^{−2nε²} for every n and every law: a false alarm has probability at most "
        "α = 9e-8/(examples × 6) per check, the examples counting the recorded findings' ones the engine replays (at ci, 27 + 2: α = 5.2e-10, ε = 0.0192), and a sampler whose law G has "
        "|G(x_j) − F(x_j)| ≥ 2ε + b_j (0.0384 at ci) at a point is caught with probability at least 1 − α (at least 0.99 from ε + 0.0094 = 0.0286)",
        "a continuous draw may be off by its own rounding δ = γ_64·(|c| + |x − c|) (a location near the density's top c and an offset, each rounded): "
        "the share of draws is taken at x + δ against F(x) − ε and at x − δ against F(x) + ε, so rounding accuses no one",
    ),
    oracles=(
        "continuous: F(x) = ∫_a^x p / ∫_a^b p by cdf-matches-log-prob's cubature at the law's own quantiles, found from log_prob alone, with its error bar",
        "discrete: the exact running sums of exp(log_prob) over a window with both tails bounded (log-prob-normalises' sums), at every integer of the window",
        "the draws: the Dvoretzky–Kiefer–Wolfowitz–Massart bound (theorems.oracles.statistics.dkw_threshold), with this theorem's share 9e-8 of the suite's false-alarm budget",
    ),
    contract="a torch.distributions.Distribution subclass with event_shape (), built as cls(**parameters, validate_args=True) from values its arg_constraints admit",
    parameters=(),
    reference_target="theorems.log_prob_normalises.check:torch_family",
    check_target="theorems.sampler_matches_log_prob.check:check_sampler_matches_log_prob",
    examples="theorems.strategies.sampler_matches_log_prob:sampler_cases",
    assumptions=(
        Assumption("family", FAMILIES, "the torch class the reference checks on the example (a class under test builds its own)"),
        Assumption("batch", (1, 2, 3), "the batch size"),
    ),
    # Every family in every run (one covered example each), then a free search.
    cover=("family",),
    classify_target="theorems.strategies.sampler_matches_log_prob:classify_sampler_case",
    # ci: 100 × 0.27 = 27 examples, one of each covered family and the two free ones the engine keeps whatever the
    # rows take (so the check's own count of the run, the profile's examples × 0.27, is the engine's): an example
    # costs about 0.1 s (the oracle's cubature over seven points and the support, or the window's sums, and
    # 2 × 30,000 draws a batch element), and the theorem's ci share, with its six wrong samplers, is held near 4 s
    # (0.3 ran 4.5 to 5 s on the loaded 2-core machine). The free search is thorough's: 2000 × 0.27 = 540 examples.
    example_fraction=0.27,
    # The budget left by the other theorems (1e-7), less a reserve of 1e-8 so that the shares' sum, rounded, stays within it.
    false_alarm_share=9e-8,
)

THEOREMS = (SAMPLER_MATCHES_LOG_PROB,)
