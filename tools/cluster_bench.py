"""The figures of a cluster run: speed-up over workers, overhead at ci, and the model beyond.

    python -m tools.cluster_bench [--only THEOREM]… [--json PATH]

Runs the same checks (default: a representative subset: a pmf KL, the Gaussian KL, a
Toeplitz gradient; their claims and their catalogue of wrong implementations) in this
process, on a local Dask cluster of one worker and of two, under ``thorough`` (one fixed
seed) and under ``ci``; prints the wall times, the machine's load (``os.getloadavg``:
other processes share the cores, and a figure taken under load is a lower bound on the
speed-up), and the model of :func:`expected_wall_time` fitted to them and extrapolated
to 8, 32 and 128 workers (README, "On a cluster").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from theorems._engine.cluster import connect, smallest_slice
from theorems._engine.plan import examples_planned
from theorems._engine.settle import settle_examples
from theorems._engine.verify import verify_all
from theorems.profiles import profile_settings
from theorems.provenance import provenance
from theorems._engine.registry import get_theorem

__all__ = ["expected_wall_time", "largest_scale", "main", "model", "slice_costs", "thorough_targets"]

SUBSET = ("kl-nonnegativity", "gaussian-kl", "toeplitz-gradient")
SEED = 20260101
# What a run may take in the question: the largest example count that fits.
BUDGET_SECONDS = 600.0


def expected_wall_time(slice_seconds: Sequence[float], workers: int, *, per_slice: float, start: float) -> float:
    """The model: the start (cluster, workers loading the modules), then the larger of the work
    shared evenly and the longest slice (no slice is split further), plus the scheduler's and
    the transport's cost per slice, paid by each worker for its share of the slices."""
    shared = sum(slice_seconds) / workers
    longest = max(slice_seconds, default=0.0)
    return start + max(shared, longest) + per_slice * math.ceil(len(slice_seconds) / workers)


def slice_costs(task_seconds: dict[str, float], ran: dict[str, int], target: dict[str, float], workers: int) -> list[float]:
    """Each slice's seconds when every theorem's check runs ``target`` examples instead of the
    ``ran`` it ran, cut as :func:`theorems._engine.cluster.slices_of` cuts it on ``workers`` workers: a
    holding check's cost is linear in its examples. A search (a claim, a wrong implementation;
    ``ran`` 0) is one slice that costs what it cost: it stops at the same counterexample."""
    costs = []
    for label, seconds in task_seconds.items():
        if not ran[label]:
            costs.append(seconds)
            continue
        count = max(1, min(workers, int(target[label] // smallest_slice(get_theorem(label)))))
        costs += [seconds / ran[label] * target[label] / count] * count
    return costs


def thorough_targets(found: Any, scale: float = 1.0) -> dict[str, float]:
    """Examples each theorem's check plans under ``thorough``, times ``scale``."""
    budget = profile_settings("thorough").max_examples
    return {
        result.theorem_id: scale * examples_planned(get_theorem(result.theorem_id), math.ceil(budget * get_theorem(result.theorem_id).example_fraction))
        for result in found.theorems
    }


def largest_scale(task_seconds: dict[str, float], ran: dict[str, int], target: dict[str, float], workers: int, *, per_slice: float, start: float) -> float:
    """The largest multiple of ``target`` whose modelled wall time fits :data:`BUDGET_SECONDS` (bisection)."""
    def fits(scale: float) -> bool:
        scaled = {label: examples * scale for label, examples in target.items()}
        costs = slice_costs(task_seconds, ran, scaled, workers)
        return expected_wall_time(costs, workers, per_slice=per_slice, start=start) <= BUDGET_SECONDS

    low, high = 0.0, 1.0
    while fits(high):
        low, high = high, high * 2
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def _timed(profile: str, only: tuple[str, ...], workers: int | None) -> tuple[float, Any]:
    """Wall seconds of one verify (the cluster's start included) and its result."""
    start = time.perf_counter()
    if workers is None:
        found = verify_all(profile=profile, seed=SEED, theorem_ids=only, power=True)
    else:
        with connect(workers=workers) as cluster:
            found = verify_all(profile=profile, seed=SEED, theorem_ids=only, power=True, cluster=cluster)
    return time.perf_counter() - start, found


def _tasks(found: Any) -> dict[str, float]:
    """Seconds of each check (every slice's summed), by label."""
    seconds = {result.theorem_id: result.run.seconds for result in found.theorems}
    seconds.update({f"claim {result.claim_id}": result.run.seconds for result in found.claims})
    seconds.update({f"{result.theorem_id}: {result.name}": result.run.seconds for result in found.power or ()})
    return seconds


def _budgets(found: Any) -> dict[str, int]:
    """Examples each theorem's check ran; 0 for the searches (claims, wrong implementations), one slice each."""
    budgets = {result.theorem_id: result.run.examples for result in found.theorems}
    budgets.update({f"claim {result.claim_id}": 0 for result in found.claims})
    budgets.update({f"{result.theorem_id}: {result.name}": 0 for result in found.power or ()})
    return budgets


# The engine's modules a check runs through (its run, counts, plan, scheduling), beside the cluster's.
ENGINE_MODULES = (
    "theorems._engine.checks", "theorems._engine.cluster", "theorems._engine.observe", "theorems._engine.plan",
    "theorems._engine.run", "theorems._engine.settle", "theorems._engine.verify",
)


def measured_modules(only: Sequence[str]) -> list[str]:
    """The modules the figures time: the cluster's and the engine's, this module's model, and each check's own."""
    checks = {get_theorem(theorem_id).check_target.split(":")[0] for theorem_id in only}
    return sorted({*ENGINE_MODULES, "tools.cluster_bench", *checks})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cluster_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", metavar="THEOREM", help=f"the checks (default: {', '.join(SUBSET)})")
    parser.add_argument("--json", type=Path, default=Path("reports/cluster_bench.json"), metavar="PATH")
    arguments = parser.parse_args(argv)
    only = tuple(get_theorem(name).id for name in arguments.only or SUBSET)
    settle_examples()  # the in-process runs do not pay the modules' import inside their time
    figures: dict[str, Any] = {"checks": list(only), "cores": len(os.sched_getaffinity(0)), "load_before": os.getloadavg()}
    for profile in ("ci", "thorough"):
        for workers in (None, 1, 2):
            seconds, found = _timed(profile, only, workers)
            name = f"{profile} {'in-process' if workers is None else f'{workers} workers'}"
            figures[name] = {"seconds": round(seconds, 2), "examples": sum(r.run.examples for r in (*found.theorems, *found.claims)), "load": os.getloadavg()}
            if workers is None:
                figures[f"{profile} task seconds"] = _tasks(found)
                figures[f"{profile} task examples"] = _budgets(found)
                figures[f"{profile} thorough targets"] = thorough_targets(found)
            print(f"{name}: {seconds:.1f} s (load {os.getloadavg()[0]:.2f})", flush=True)
    figures.update(_model(figures))
    figures["provenance"] = provenance(measured_modules(only))
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({key: value for key, value in figures.items() if "task" not in key}, indent=2))
    return 0


def _model(figures: dict[str, Any]) -> dict[str, Any]:
    """The model's two constants from the ci runs (start: the 1-worker run less its checks' seconds;
    per slice: what the 2-worker ci run took beyond start and work), its thorough predictions
    for 1 and 2 workers (to set beside the measured ones) and beyond, and the largest examples
    per property that fit in 10 minutes."""
    tasks, ran, target = figures["thorough task seconds"], figures["thorough task examples"], figures["thorough thorough targets"]
    ci_work = sum(figures["ci task seconds"].values())
    ci_slices = len(figures["ci task seconds"])
    start = max(0.0, figures["ci 1 workers"]["seconds"] - ci_work)
    per_slice = max(0.0, (figures["ci 2 workers"]["seconds"] - start - ci_work / 2) / math.ceil(ci_slices / 2))
    return model(tasks, ran, target, start=start, per_slice=per_slice)


def model(tasks: dict[str, float], ran: dict[str, int], target: dict[str, float], *, start: float, per_slice: float) -> dict[str, Any]:
    """Predicted wall seconds at 1, 2, 8, 32 and 128 workers, and the largest examples per property in 10 minutes."""
    thorough = profile_settings("thorough").max_examples
    predicted = {workers: expected_wall_time(slice_costs(tasks, ran, target, workers), workers, per_slice=per_slice, start=start) for workers in (1, 2, 8, 32, 128)}
    return {
        "model": {"start_seconds": round(start, 2), "per_slice_seconds": round(per_slice, 4)},
        "thorough predicted seconds": {workers: round(seconds, 1) for workers, seconds in predicted.items()},
        "largest examples per property in 10 minutes": {
            workers: int(thorough * largest_scale(tasks, ran, target, workers, per_slice=per_slice, start=start)) for workers in (8, 32, 128)
        },
    }


if __name__ == "__main__":
    raise SystemExit(main())
