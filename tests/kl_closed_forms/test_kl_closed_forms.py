"""Beyond the notes: torch.distributions' closed-form KLs against the definition (``kl-closed-forms``)."""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from torch import distributions as D

from theorems.kl_closed_forms.catalogue import WRONG_IMPLEMENTATIONS
from theorems._engine.checks import check_wrong_implementation
from theorems._engine.run import run_check
from theorems.finding import recorded_finding
from theorems.kl_closed_forms.findings import FINDINGS as KL_FINDINGS
from theorems.kl_closed_forms.check import check_kl_closed_forms
from theorems.kl_closed_forms.laws import Law, LawPair, registered_pairs
from theorems.kl_closed_forms.oracle import kl_by_definition
from theorems._engine.registry import get_theorem
from theorems.kl_closed_forms.statement import KL_PAIRS
from theorems.strategies.distributions import TYPICAL, law_pairs, typical_law
from kl_built_samples import BUILT_IN_DOMAIN
from theorems.theorem import InvalidInput
from theorems.oracles.tolerance import U64, gamma

KL_CLOSED_FORMS = get_theorem("kl-closed-forms")


def law(family: str, **params: object) -> Law:
    return Law(family, tuple((name, np.atleast_1d(np.asarray(value, dtype=float))) for name, value in params.items()))


def definition(p: Law, q: Law) -> float:
    return kl_by_definition(p, q)[0].value


def assert_holds(evidence) -> None:
    assert evidence.holds, evidence.explain()


# --- every registered pair, and only those --------------------------------------------------


def test_the_suite_covers_exactly_the_pairs_the_installed_torch_registers() -> None:
    """Fails when torch registers a pair the suite does not cover (or drops one): update KL_PAIRS,
    and give the new families an oracle in theorems/kl_closed_forms/check.py and a strategy."""
    installed = ["-".join(pair) for pair in registered_pairs()]
    assert sorted(KL_PAIRS) == installed, f"new: {sorted(set(installed) - set(KL_PAIRS))}, gone: {sorted(set(KL_PAIRS) - set(installed))}"


@pytest.mark.parametrize("family", sorted(TYPICAL))
def test_each_familys_typical_laws_differ_so_a_covered_row_is_informative(family: str) -> None:
    p, q = typical_law(family, 0, 1), typical_law(family, 1, 1)
    assert definition(p, q) > 0.01


# --- the oracle against textbook closed forms (independent of torch) ---------------------------


# The reference values below are computed at this many digits (far beyond float64's 16), so
# the comparison charges the whole difference to the oracle: it must lie within its own bar.
DIGITS = 50


def assert_within_its_bar(found, exact: mpmath.mpf) -> None:
    error = abs(mpmath.mpf(found.value) - exact)
    assert error <= found.bound, f"oracle {found.value!r}, exact {mpmath.nstr(exact, 20)}: error {float(error):.3g} above its bar {found.bound:.3g}"


def test_normal_normal_definition_matches_the_textbook_closed_form() -> None:
    m0, s0, m1, s1 = 0.3, 1.7, -1.1, 0.6
    found = kl_by_definition(law("Normal", loc=m0, scale=s0), law("Normal", loc=m1, scale=s1))[0]
    with mpmath.workdps(DIGITS):
        m0, s0, m1, s1 = (mpmath.mpf(v) for v in (m0, s0, m1, s1))
        assert_within_its_bar(found, mpmath.log(s1 / s0) + (s0**2 + (m0 - m1) ** 2) / (2 * s1**2) - mpmath.mpf(1) / 2)


def test_exponential_gumbel_definition_matches_mpmath_quadrature() -> None:
    rate, loc, scale = 1.6, -0.3, 2.1
    found = kl_by_definition(law("Exponential", rate=rate), law("Gumbel", loc=loc, scale=scale))[0]
    with mpmath.workdps(DIGITS):
        rate, loc, scale = (mpmath.mpf(v) for v in (rate, loc, scale))

        def log_ratio(x):
            z = (x - loc) / scale
            return mpmath.log(rate) - rate * x - (-mpmath.log(scale) - z - mpmath.exp(-z))

        assert_within_its_bar(found, mpmath.quad(lambda x: rate * mpmath.exp(-rate * x) * log_ratio(x), [0, 1, mpmath.inf]))


def test_a_narrow_feature_of_q_far_inside_p_is_not_stepped_over() -> None:
    """Gumbel(1, 1)'s e^{-z} lives within a few units of 1; under Uniform(0, 1e5) that is
    u < 1e-4, which an adaptive rule's first nodes on [0, ½] step over (the oracle was once
    1e-5 off with an error estimate of 2.6e-9)."""
    w, loc, scale = 1e5, 1.0, 1.0
    found = kl_by_definition(law("Uniform", low=0.0, high=w), law("Gumbel", loc=loc, scale=scale))[0]
    with mpmath.workdps(DIGITS):
        w, loc, scale = (mpmath.mpf(v) for v in (w, loc, scale))
        assert_within_its_bar(found, -mpmath.log(w) + mpmath.log(scale) + (w / 2 - loc) / scale + scale / w * mpmath.exp(loc / scale) * -mpmath.expm1(-w / scale))


def test_a_gumbel_qs_exponential_term_whose_mass_lies_far_in_ps_tail_is_taken_exactly() -> None:
    """Under Normal(0, 7), Gumbel(0, 0.2159)'s e^{−x/β} has its mass at the tilted mean
    −σ²/β ≈ −227 (32σ out), which the cubature over p's quantiles never sampled: it returned
    5e201 with an error estimate of 3.6e204 and accused torch. KL = −H(p) + log β + e^{σ²/2β²}
    (E_p x = 0): mpmath at 50 digits."""
    p, q = law("Normal", loc=0.0, scale=7.0), law("Gumbel", loc=0.0, scale=0.2159)
    found = kl_by_definition(p, q)[0]
    with mpmath.workdps(DIGITS):
        sigma, beta = mpmath.mpf(7.0), mpmath.mpf(0.2159)
        assert_within_its_bar(found, -mpmath.log(sigma * mpmath.sqrt(2 * mpmath.pi * mpmath.e)) + mpmath.log(beta) + mpmath.exp(sigma**2 / (2 * beta**2)))
    assert_holds(check_kl_closed_forms(D.kl_divergence, LawPair(p, q)))


def test_poisson_definition_matches_the_closed_form_far_from_0() -> None:
    lam, mu = 5762.0664485848229, 1.2487149521618901
    found = kl_by_definition(law("Poisson", rate=lam), law("Poisson", rate=mu))[0]
    with mpmath.workdps(DIGITS):
        lam, mu = mpmath.mpf(lam), mpmath.mpf(mu)
        assert_within_its_bar(found, lam * mpmath.log(lam / mu) - lam + mu)


def test_a_geometric_definition_far_past_any_summable_window_is_exact_to_its_bar() -> None:
    """A mean of 1e6 (θ_p = 1e-6): summing 1e5 terms and the tail was 2.2e-9 off (with an
    estimate of 2.4e-11); torch's 15737.684592807675 is right there. The value is
    15737.6845928075967 (mpmath, 60 digits: log(p/q) + (1−p)/p·log((1−p)/(1−q)))."""
    found = kl_by_definition(law("Geometric", probs=1e-6), law("Geometric", probs=0.015625))[0]
    with mpmath.workdps(DIGITS):
        p, q = mpmath.mpf(1e-6), mpmath.mpf(0.015625)
        assert_within_its_bar(found, mpmath.log(p / q) + (1 - p) / p * mpmath.log((1 - p) / (1 - q)))
    assert_holds(check_kl_closed_forms(D.kl_divergence, LawPair(law("Geometric", probs=1e-6), law("Geometric", probs=0.015625))))


def test_the_continuous_bernoulli_normaliser_near_0_is_exact_so_torch_holds_there() -> None:
    """log C(λ) once came from z = 1 − 2λ, whose rounding near λ = 1e-6 moved it by 2e-12 and
    made the oracle accuse torch (the finding torch-kl-continuous-bernoulli-extreme-probs,
    deleted; its example is the second q). KL(CB(1e-6) ‖ CB(9.99999999e-7)) is 2.6e-21 and
    against CB(9.999999993035358e-7) 1.3e-21 (mpmath, 60 digits; torch's 0 is right), and
    KL(CB(1e-6) ‖ Normal(2^-7, ¼)) is 1.2337097084983613 (mpmath.quad at 60 digits; torch's
    is that double)."""
    qs = (law("ContinuousBernoulli", probs=9.99999999e-7), law("ContinuousBernoulli", probs=9.999999993035358e-07), law("Normal", loc=0.0078125, scale=0.25))
    for q in qs:
        assert_holds(check_kl_closed_forms(D.kl_divergence, LawPair(law("ContinuousBernoulli", probs=1e-6), q)))


@pytest.mark.parametrize(
    ("p", "q"),
    [
        (law("Normal", loc=0.0, scale=1.0), law("Uniform", low=-1.0, high=1.0)),
        (law("Exponential", rate=1.0), law("Beta", concentration1=2.0, concentration0=2.0)),
        (law("Pareto", scale=1.0, alpha=2.0), law("Normal", loc=0.0, scale=1.0)),  # E x² diverges at α = 2
        (law("Pareto", scale=1.0, alpha=1.0), law("Exponential", rate=1.0)),  # E x diverges at α = 1
        (law("Poisson", rate=2.0), law("Binomial", total_count=5.0, probs=0.5)),
        (law("Uniform", low=0.5, high=2.0), law("Pareto", scale=1.0, alpha=3.0)),
    ],
    ids=["normal-uniform", "exponential-beta", "pareto-2-normal", "pareto-1-exponential", "poisson-binomial", "uniform-pareto"],
)
def test_a_support_or_a_tail_that_q_lacks_makes_the_definition_infinite(p: Law, q: Law) -> None:
    assert definition(p, q) == math.inf


def test_just_above_its_tail_index_a_pareto_against_a_normal_is_finite() -> None:
    assert math.isfinite(definition(law("Pareto", scale=1.0, alpha=2.5), law("Normal", loc=0.0, scale=1.0)))


# --- the reference: torch, with its recorded findings' error models ----------------------------


@pytest.mark.slow
@given(law_pairs())
def test_torch_closed_forms_match_the_definition_or_their_recorded_error_model(pair: LawPair) -> None:
    assert_holds(KL_CLOSED_FORMS.check_reference(pair))


def torch_as_an_implementation(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
    """torch.distributions.kl_divergence as any implementation: the normal tolerance, no finding applied."""
    return D.kl_divergence(p, q)


# The pairs each finding's domain reaches (the strategy's pair names), and the examples drawn for
# it: every in-domain one is checked against the error model, and the share past the normal
# tolerance is the defect's prevalence, which must stay above the finding's floor. Fixed seed
# (derandomize): the floors are about half the measured prevalences, and a fixed sample keeps a
# red test reproducible.
FINDING_PAIRS = {
    "torch-kl-geometric-small-probs": ("Geometric-Geometric",),
    "torch-kl-continuous-bernoulli-near-half": ("ContinuousBernoulli-Normal", "ContinuousBernoulli-ContinuousBernoulli"),
    "torch-kl-poisson-rate-zero": ("Poisson-Poisson", "Poisson-Bernoulli", "Poisson-Binomial"),
    "torch-kl-bernoulli-poisson-rate-zero": ("Bernoulli-Poisson",),
    "torch-kl-binomial-larger-q-count": ("Binomial-Binomial",),
    "torch-kl-probabilities-near-0-or-1": ("Bernoulli-Bernoulli", "Binomial-Binomial", "Categorical-Categorical", "Geometric-Geometric", "Bernoulli-Poisson"),
    "torch-kl-continuous-bernoulli-uniform-shared-end": ("ContinuousBernoulli-Uniform",),
    "torch-kl-uniform-continuous-bernoulli-shared-end": ("Uniform-ContinuousBernoulli",),
    "torch-kl-narrow-uniform-cancels": ("Uniform-Gamma", "Uniform-Pareto", "Uniform-Gumbel", "Uniform-Beta"),
    "torch-kl-batched-wishart": ("ExponentialFamily-ExponentialFamily",),
    "torch-kl-uniform-pareto-power-underflow": ("Uniform-Pareto",),
    "torch-kl-pareto-pareto-scale-ratio-overflow": ("Pareto-Pareto",),
}
EXAMPLES_PER_PAIR = 60
# A domain that takes a fifth of its pair's draws or less is drawn more (its pair's checks are cheap).
# Where the defect strikes most of a wide domain, fewer are drawn: each still leaves its floor far
# below the measured fraction and its error model a dozen examples or more (measured in one
# process, in the order of KL_FINDINGS; in domain, past the normal tolerance):
#   probabilities-near-0-or-1, 30 a pair of 5: 74, 32 (43 %; floor 14 %; 60 a pair: 155, 62);
#   poisson-rate-zero, 30 a pair of 3: 34, 30 (88 %; floor 45 %; 60 a pair: 114, 111);
#   bernoulli-poisson-rate-zero, 120: 15, 15 (100 %; floor 50 %; 240: 26, 26);
#   binomial-larger-q-count, 120: 23, 23 (100 %; floor 50 %; 240: 60, 60).
# The rare defects keep their samples: narrow-uniform-cancels (60 a pair: 74, 8, 11 % against a
# floor of 4 %) and continuous-bernoulli-near-half (120: 26 in domain, its only test of the error model).
EXAMPLES = {
    "torch-kl-bernoulli-poisson-rate-zero": 120,
    "torch-kl-binomial-larger-q-count": 120,
    "torch-kl-continuous-bernoulli-near-half": 120,
    "torch-kl-probabilities-near-0-or-1": 30,
    "torch-kl-poisson-rate-zero": 30,
}


@functools.cache
def in_domain_sample(finding_id: str) -> tuple[list[tuple[LawPair, object]], int]:
    """The in-domain examples drawn for the finding, each with the reference's evidence, and how many torch gets wrong by the normal tolerance."""
    finding = next(finding for finding in KL_FINDINGS if finding.id == finding_id)
    checked: list[tuple[LawPair, object]] = []
    wrong = 0

    for pair_name in FINDING_PAIRS[finding_id]:

        @settings(max_examples=EXAMPLES.get(finding_id, EXAMPLES_PER_PAIR), derandomize=True, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(law_pairs(pair=pair_name))
        def draw(pair: LawPair) -> None:
            nonlocal wrong
            if finding.applies(pair):
                checked.append((pair, KL_CLOSED_FORMS.check_reference(pair)))
                wrong += not check_kl_closed_forms(torch_as_an_implementation, pair).holds

        draw()
    for pair in BUILT_IN_DOMAIN.get(finding_id, ()):
        assert finding.applies(pair), f"{pair} is built to lie in {finding_id}'s domain"
        checked.append((pair, KL_CLOSED_FORMS.check_reference(pair)))
        wrong += not check_kl_closed_forms(torch_as_an_implementation, pair).holds
    return checked, wrong


# One test per finding over its sample: the error model and the floor are judged on the same
# examples, so the sample (the oracle's quadrature on each, most of the time) is drawn once, on
# whichever worker runs the test, not once for each of two tests on two workers.
# A floor of 0 could never fail: such a finding (continuous Bernoulli near ½, too rare in its
# domain for a floor over an affordable sample) is held to its error model here and kept honest
# by its recorded example instead.
@pytest.mark.slow
@pytest.mark.parametrize("finding", KL_FINDINGS, ids=lambda finding: finding.id)
def test_torch_holds_to_each_findings_error_model_in_its_domain_and_the_defect_strikes_at_least_its_floor(finding) -> None:
    """Fails when torch is wrong beyond the finding's error model on an in-domain example; and,
    for a finding with a floor above 0, when the defect strikes less than its floor of the
    in-domain examples: torch is fixed (update theorems/kl_closed_forms/findings.py), or the domain grew wider than the defect."""
    checked, wrong = in_domain_sample(finding.id)
    assert len(checked) >= 5, f"only {len(checked)} in-domain examples drawn for {finding.id}: the domain or FINDING_PAIRS is wrong"
    beyond = [evidence for _, evidence in checked if not evidence.holds]
    assert not beyond, f"torch is wrong beyond {finding.id}'s error model on {len(beyond)} of {len(checked)} in-domain examples; the first:\n{beyond[0].explain()}"
    if finding.prevalence.floor > 0:
        fraction = wrong / len(checked)
        assert fraction >= finding.prevalence.floor, (
            f"{finding.id}: torch exceeds the normal tolerance on {wrong} of {len(checked)} in-domain examples ({fraction:.0%}), "
            f"below the floor {finding.prevalence.floor:.0%} (recorded: {finding.prevalence}); fixed upstream, or the domain is too wide"
        )


@pytest.mark.parametrize("finding", KL_FINDINGS, ids=lambda finding: finding.id)
def test_recorded_torch_kl_finding_still_reproduces_on_its_example(finding) -> None:
    """If torch fixes the defect, this fails: update theorems/kl_closed_forms/findings.py (the record must stay true)."""
    assert finding.applies(finding.example), "the recorded example must lie in the finding's domain"
    evidence = check_kl_closed_forms(torch_as_an_implementation, finding.example)
    assert not evidence.holds, f"finding {finding.id} no longer reproduces: {evidence.explain()}"
    if finding.raises is not None:
        assert finding.raises in (evidence.failure or ""), evidence.explain()


@pytest.mark.slow
def test_a_ci_run_on_torch_itself_draws_every_pair_and_meets_a_recorded_finding() -> None:
    """Every registered pair's covered row is drawn before the free search; checked everywhere
    (not as the audited reference), torch is then falsified by one of its recorded findings."""
    run = run_check(KL_CLOSED_FORMS, D.kl_divergence, profile="ci")
    drawn = run.classes["pair"]
    assert sorted(pair for pair, count in drawn.items() if count) == sorted(KL_PAIRS)
    assert run.verdict == "falsified" and recorded_finding(KL_FINDINGS, "kl-closed-forms", run.example) is not None


def test_the_reference_check_names_the_error_model_it_applied() -> None:
    example = KL_FINDINGS[0].example
    evidence = KL_CLOSED_FORMS.check_reference(example)
    assert evidence.holds and KL_FINDINGS[0].id in evidence.tolerance_reason


# --- a regression inside a finding's domain is caught ------------------------------------------


# The engine's phases less shrinking, for the runs below that only ask whether (and on which pair)
# a run is falsified: the verdict is fixed by the first failing example the generation meets, the
# same examples in the same order whatever the phases (derandomized, or under the run's own seed);
# shrinking only makes the reported counterexample smaller, and cost most of each such run here
# (measured: 5.4 s of the 6 s of the Uniform ‖ Normal run, each shrink step a cubature).
UNSHRUNK = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)


def planted(monkeypatch: pytest.MonkeyPatch, finding, factor: float = 1.1) -> None:
    """Make torch's kl_divergence, as the audited reference calls it, wrong by ``factor`` on the pairs
    inside ``finding``'s domain; where torch returns a recorded NaN or infinity, or refuses, a
    finite value (the definition times ``factor``) instead: a different wrong value than the record."""
    import theorems.kl_closed_forms.check as module

    original, require = module.D.kl_divergence, module.require_law_pair
    current: list[LawPair] = []

    def remembering(pair: object) -> LawPair:
        current[:] = [require(pair)]
        return current[0]

    def wrong(p: D.Distribution, q: D.Distribution) -> torch.Tensor:
        pair = current[0]
        if not finding.applies(pair):
            return original(p, q)
        exact = torch.tensor([definition.value for definition in kl_by_definition(pair.p, pair.q)], dtype=torch.float64)
        try:
            value = original(p, q)
        except NotImplementedError:
            return exact * factor
        return torch.where(torch.isfinite(value), value * factor, exact * factor)

    monkeypatch.setattr(module, "require_law_pair", remembering)
    monkeypatch.setattr(module.D, "kl_divergence", wrong)


# Where the recorded example's pair is not where ci's examples show a 10 % error: the
# probabilities-near-0-or-1 example is a Categorical pair, whose in-domain examples are those where
# p has mass on a q probability below eps, and there torch's clamp moves the KL by p_i·log(eps/q_i),
# an allowance far above 10 % of it (checked: the planted error holds on Categorical-Categorical
# under ci); on Bernoulli pairs the allowance is small and the error is seen.
PLANTED_PAIR = {"torch-kl-probabilities-near-0-or-1": "Bernoulli-Bernoulli"}


@pytest.mark.slow
@pytest.mark.parametrize("finding", [finding for finding in KL_FINDINGS if finding.id not in BUILT_IN_DOMAIN], ids=lambda finding: finding.id)
def test_a_ten_percent_error_inside_each_findings_domain_falsifies_the_reference_run(finding, monkeypatch: pytest.MonkeyPatch) -> None:
    planted(monkeypatch, finding)
    pair = PLANTED_PAIR.get(finding.id, finding.example.pair.replace("‖", "-").replace("Wishart", "ExponentialFamily"))
    run = run_check(KL_CLOSED_FORMS, KL_CLOSED_FORMS.reference, profile="ci", assume={"pair": pair}, phases=UNSHRUNK)
    assert run.verdict == "falsified", f"a 10 % error inside {finding.id}'s domain went unseen on {pair}: {run.verdict} {run.error or ''}"


@pytest.mark.parametrize("finding", [finding for finding in KL_FINDINGS if finding.id in BUILT_IN_DOMAIN], ids=lambda finding: finding.id)
def test_a_ten_percent_error_inside_a_domain_the_strategy_misses_falsifies_the_reference_on_its_built_sample(finding, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a ci run's draws do not reach the domain, the reference run above cannot meet a planted error there
    (it holds, and that test does not run this finding); the check itself still must: each built pair, and the
    recorded example, with torch's value 10 % off (or, where torch returns its recorded infinity, the definition's), fail."""
    planted(monkeypatch, finding)
    for pair in (finding.example, *BUILT_IN_DOMAIN[finding.id]):
        evidence = KL_CLOSED_FORMS.check_reference(pair)
        assert not evidence.holds, f"a 10 % error inside {finding.id}'s domain went unseen on {pair}"


@pytest.mark.slow
def test_a_ten_percent_error_on_narrow_uniforms_against_a_normal_falsifies_a_longer_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22's case: a Uniform ‖ Normal error on narrow uniforms only. Narrow uniforms against a
    Normal are outside every finding now (torch is right there), so the error meets the normal
    tolerance, under the thorough profile restricted to the pair (falsified within its first few
    narrow examples, unshrunk: about 1.5 s of CPU here, where shrinking took 5 s more)."""
    from theorems.finding import Finding

    narrow = Finding("narrow", "kl-closed-forms", "", "", applies=lambda pair: pair.p.family == "Uniform" and bool(np.any(
        (pair.p.parameters["high"] - pair.p.parameters["low"]) < 1e-2 * np.maximum(np.abs(pair.p.parameters["low"]), np.abs(pair.p.parameters["high"]))
    )))
    planted(monkeypatch, narrow)
    run = run_check(KL_CLOSED_FORMS, KL_CLOSED_FORMS.reference, profile="thorough", assume={"pair": "Uniform-Normal"}, phases=UNSHRUNK)
    assert run.verdict == "falsified", run.verdict


# --- the check can fail --------------------------------------------------------------------------


@pytest.mark.slow  # whole ci-budget runs of the oracle (quadrature per example)
@pytest.mark.parametrize("wrong", WRONG_IMPLEMENTATIONS, ids=lambda wrong: wrong.implementation.__name__)
def test_each_wrong_registry_is_caught_within_the_ci_budget_on_its_pair(wrong) -> None:
    run = check_wrong_implementation(wrong, profile="ci").run
    assert run.verdict == "falsified", run.error
    assert recorded_finding(KL_FINDINGS, "kl-closed-forms", run.example) is None, "caught by one of torch's own defects, not by the mistake"


def test_a_nan_an_infinity_and_a_wrong_shape_are_falsified() -> None:
    pair = LawPair(typical_law("Normal", 0, 2), typical_law("Normal", 1, 2))
    assert check_kl_closed_forms(lambda p, q: torch.full((2,), math.nan, dtype=torch.float64), pair).failure
    assert not check_kl_closed_forms(lambda p, q: torch.full((2,), math.inf, dtype=torch.float64), pair).holds
    assert "shape" in check_kl_closed_forms(lambda p, q: D.kl_divergence(p, q).sum(), pair).failure


def test_a_pair_of_different_batch_sizes_is_refused_in_one_line() -> None:
    with pytest.raises(InvalidInput) as error:
        KL_CLOSED_FORMS.check_reference(LawPair(typical_law("Normal", 0, 1), typical_law("Normal", 1, 2)))
    assert "\n" not in str(error.value) and "batch" in str(error.value)


# --- T5 and T6 over every registered pair ----------------------------------------------------------


def test_a_definition_below_0_past_its_allowance_is_an_oracle_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """T5 for the oracle itself, on every example of every run: the check refuses to judge
    against a negative definition (an inconclusive error, never a verdict)."""
    import theorems.kl_closed_forms.check as module

    negative = module.Definition(-1.0, 0.0, 1.0, "a broken oracle")
    monkeypatch.setattr(module, "kl_by_definition", lambda p, q: [negative])
    with pytest.raises(module.OracleError, match="below 0"):
        check_kl_closed_forms(D.kl_divergence, LawPair(typical_law("Normal", 0, 1), typical_law("Normal", 1, 1)))


@given(law_pairs(pair="Independent-Independent"))
def test_torch_independent_kl_is_the_sum_of_the_components_kls(pair: LawPair) -> None:
    """T6 for torch's registry: KL of Independent laws is the sum over the reinterpreted dimension.

    A NaN or an infinity on one side must be on the other (the same infinity; NaN with NaN);
    finite values may differ by the rounding of an n-term sum in another order,
    γ_{n−1}·Σ_j |KL_j| (Higham 2002, §4.2), n components per element."""
    p, q = pair.arguments()
    whole = D.kl_divergence(p, q)
    components = D.kl_divergence(p.base_dist, q.base_dist)
    parts = components.sum(-1)
    assert torch.equal(torch.isnan(whole), torch.isnan(parts)), (whole, parts)
    finite = torch.isfinite(whole) & torch.isfinite(parts)
    assert torch.equal(whole[~finite & ~torch.isnan(whole)], parts[~finite & ~torch.isnan(parts)]), (whole, parts)
    allowed = gamma(max(components.shape[-1] - 1, 1), U64) * components.abs().sum(-1)
    assert bool(((whole - parts).abs()[finite] <= allowed[finite]).all()), (whole, parts, allowed)


# Thorough seed 1 met both on the merged code; each truth here is mpmath's (50 digits).
def _law(family: str, **values: float) -> Law:
    return Law(family=family, params=tuple((name, np.array([value])) for name, value in values.items()), base=None, transform=None)


def test_a_continuous_bernoulli_near_half_against_an_exponential_is_inside_its_finding() -> None:
    pair = LawPair(p=_law("ContinuousBernoulli", probs=0.498046875), q=_law("Exponential", rate=1.0))
    truth = mpmath.mpf("0.49935149883771704377")
    assert abs(torch_as_an_implementation(*pair.arguments()).item() - truth) > 1e-12  # past the normal tolerance
    assert [finding.id for finding in KL_FINDINGS if finding.applies(pair)] == ["torch-kl-continuous-bernoulli-near-half"]
    assert check_kl_closed_forms(D.kl_divergence, pair).holds is False and KL_CLOSED_FORMS.check_reference(pair).holds


def test_an_independent_bernoulli_near_0_is_inside_the_extreme_probabilities_finding() -> None:
    independent = lambda probs: Law(family="Independent", params=(), base=Law(family="Bernoulli", params=(("probs", np.array([[probs]])),), base=None, transform=None), transform=None)  # noqa: E731
    pair = LawPair(p=independent(0.5), q=independent(1e-9))
    truth = mpmath.mpf("0.5") * mpmath.log(mpmath.mpf("0.5") / mpmath.mpf(1e-9)) + mpmath.mpf("0.5") * mpmath.log(mpmath.mpf("0.5") / (1 - mpmath.mpf(1e-9)))
    assert abs(torch_as_an_implementation(*pair.arguments()).item() - truth) > 4e-10
    assert "torch-kl-probabilities-near-0-or-1" in [finding.id for finding in KL_FINDINGS if finding.applies(pair)]
    assert KL_CLOSED_FORMS.check_reference(pair).holds


def test_a_narrow_uniform_outside_qs_support_is_no_finding_and_torchs_infinity_holds() -> None:
    pair = LawPair(p=Law(family="Uniform", params=(("low", np.array([0.0, 1.0])), ("high", np.array([1.0, 1.01]))), base=None, transform=None),
                   q=Law(family="Beta", params=(("concentration1", np.array([1.0, 1.0])), ("concentration0", np.array([1.0, 1.0]))), base=None, transform=None))
    assert not [finding.id for finding in KL_FINDINGS if finding.applies(pair)]
    assert KL_CLOSED_FORMS.check_reference(pair).holds


def test_a_geometric_q_within_an_ulp_of_one_moves_the_kl_by_its_clamped_logit() -> None:
    """Thorough seed 2: torch's KL is mpmath's 5.1e-8 plus log 2; the finding's model, the clamped logit at weight 1, covers it."""
    pair = LawPair(p=_law("Geometric", probs=0.99999999683772234), q=_law("Geometric", probs=0.99999999999999989))
    truth = 5.11176724938337e-8  # mpmath, 50 digits: log(θp/θq) + (1 − θp)/θp · log((1 − θp)/(1 − θq))
    assert abs(torch_as_an_implementation(*pair.arguments()).item() - truth - math.log(2)) < 1e-12
    assert "torch-kl-probabilities-near-0-or-1" in [finding.id for finding in KL_FINDINGS if finding.applies(pair)]
    assert KL_CLOSED_FORMS.check_reference(pair).holds

