"""Measure each recorded torch finding over generated examples: how many fall in its domain, and
on how many of those torch exceeds the check's normal tolerance (the defect's prevalence), pair
by pair. A maintainer tool (``python tools/measure_findings.py [per-pair examples] [pair ...]``);
its numbers are the ones quoted beside the domains in theorems/kl_closed_forms/findings.py.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict

from hypothesis import HealthCheck, Phase, given, settings
from torch import distributions as D

from theorems.kl_closed_forms.findings import FINDINGS as KL_FINDINGS
from theorems.kl_closed_forms.check import check_kl_closed_forms
from theorems.kl_closed_forms.statement import KL_PAIRS
from theorems.strategies.distributions import law_pairs


def _plain_torch(p, q):  # torch as an implementation, not the audited reference: no finding applied
    return D.kl_divergence(p, q)


def _beyond_the_error_model(law_pair) -> bool:
    """Whether the audited reference (torch with its findings' error models) is falsified; False where
    this version of the suite has no error models (it rejected those examples instead)."""
    from theorems.kl_closed_forms.check import kl_divergence

    try:
        from theorems.finding import recorded_errors  # noqa: F401  (present once findings have error models)
    except ImportError:
        return False
    return not check_kl_closed_forms(kl_divergence, law_pair).holds


def measure(pair: str, examples: int) -> list[tuple[list[str], float, bool, bool]]:
    found: list[tuple[list[str], float, bool, bool]] = []

    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate], derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(law_pairs(pair=pair))
    def draw(law_pair) -> None:
        inside = [finding.id for finding in KL_FINDINGS if finding.applies(law_pair)]
        try:
            evidence = check_kl_closed_forms(_plain_torch, law_pair)
        except Exception:  # an oracle failure: not counted
            return
        found.append((inside, evidence.ratio, evidence.holds, bool(inside) and _beyond_the_error_model(law_pair)))

    draw()
    return found


def main() -> None:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    pairs = sys.argv[2:] or list(KL_PAIRS)
    table: dict[str, dict[str, list[int]]] = defaultdict(dict)
    outside_wrong: dict[str, list[int]] = {}
    for pair in pairs:
        start = time.time()
        results = measure(pair, examples)
        for inside, _ratio, holds, beyond in results:
            for finding_id in inside:
                counts = table[finding_id].setdefault(pair, [0, 0, 0])  # in the domain, past the normal tolerance, past the error model
                counts[0] += 1
                counts[1] += not holds
                counts[2] += beyond
        outside = [holds for inside, _r, holds, _b in results if not inside]
        outside_wrong[pair] = [len(outside), outside.count(False)]
        print(f"{pair}: {len(results)} examples, {time.time() - start:.0f} s", file=sys.stderr, flush=True)
        print(json.dumps({pair: {finding_id: counts[pair] for finding_id, counts in table.items() if pair in counts} | {"outside": outside_wrong[pair]}}), flush=True)
    print(json.dumps({"in_domain_wrong": table, "outside_wrong": outside_wrong}, indent=1))


if __name__ == "__main__":
    main()
