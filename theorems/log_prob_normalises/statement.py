r"""Beyond the notes · every univariate law's ``log_prob`` integrates (or sums) to one over its support.

The notes take densities as given; every law of ``torch.distributions`` — and every class a user
writes on it — implements one as ``log_prob``. For a class and parameters that satisfy its
``arg_constraints``, each batch element's ``exp(log_prob)`` must integrate to 1 over the class's
``support`` (sum, on the integers). Math and check: :mod:`theorems.log_prob_normalises.check`.
"""

from __future__ import annotations

from theorems.theorem import Assumption, Theorem

__all__ = ["FAMILIES", "LOG_PROB_NORMALISES", "THEOREMS"]

# The univariate classes (event_shape ()) of torch.distributions (2.14.1) the reference run
# checks. Kept literal so that listing the theorems imports no torch;
# tests/log_prob_normalises/test_log_prob_normalises.py fails when the installed torch exports a
# class that is neither here nor in theorems.log_prob_normalises.check.NOT_CHECKED.
FAMILIES = (
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Exponential",
    "FisherSnedecor", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal",
    "InverseGamma", "Kumaraswamy", "Laplace", "LogNormal", "NegativeBinomial", "Normal", "Pareto", "Poisson",
    "StudentT", "Uniform", "Weibull",
)

LOG_PROB_NORMALISES = Theorem(
    id="log-prob-normalises",
    title="Every univariate law's log_prob integrates (or sums) to one over its support",
    source="beyond the notes (the densities every theorem takes as given)",
    statement=r"\int_{\mathrm{support}} e^{\texttt{log\_prob}(x)}\,dx = 1 \quad\Big(\sum_{k \in \mathrm{support}} e^{\texttt{log\_prob}(k)} = 1\Big)\ \text{for every batch element}",
    hypotheses=(
        "the class's event_shape is (), its parameters satisfy its arg_constraints (validate_args=True), and its support is R, a half-line, an interval or a set of integers",
        "near a finite end and at infinity the density follows a power law in the distance (log-linear in log-distance), so the mass the quadrature leaves beyond its last node is bounded by its local exponent; "
        "on the integers, past the summed window the ratio of consecutive terms is monotone",
    ),
    oracles=(
        "continuous: adaptive cubature (Gauss–Kronrod) of exp(log_prob) in the log-distance from the mode and from each finite end, vectorised over the batch, with its error estimate",
        "discrete: the exact sum over a finite support, or over a window with both tails bounded by the ratio of consecutive terms",
    ),
    contract="a torch.distributions.Distribution subclass with event_shape (), built as cls(**parameters, validate_args=True) from values its arg_constraints admit",
    parameters=(),
    reference_target="theorems.log_prob_normalises.check:torch_family",
    check_target="theorems.log_prob_normalises.check:check_log_prob_normalises",
    examples="theorems.strategies.log_prob_normalises:parameter_draws",
    assumptions=(
        Assumption("family", FAMILIES, "the torch class the reference checks on the example (a class under test builds its own)"),
        Assumption("batch", (1, 2, 3), "the batch size"),
    ),
    # Every family in every run (one covered example each), then a free search.
    cover=("family",),
    classify_target="theorems.strategies.log_prob_normalises:classify_parameter_draw",
    # ci: 100 × 0.3 = 30 examples, the 25 covered families and 5 free (a continuous example costs
    # about 0.1 s of cubature, an undecidable one up to 0.3 s before it is rejected).
    example_fraction=0.3,
    # thorough: 2000 × 0.3 = 600 would leave 24 a family; at least 40 each (1000 examples, about
    # 100 s of cubature), so that every class is explored, not only visited.
    thorough_per_class=40,
)

THEOREMS = (LOG_PROB_NORMALISES,)
