"""The float32 tolerance of ``fold-network``, measured: right folds on random float32 networks.

The tolerance (:func:`theorems.fold_networks.bounds.network_bounds`) takes the folded parameters'
rounding from an independent-rounding model. A model is trusted once measured: this runs
two right folds, the reference (:func:`theorems.fold_networks.check.fold_network`) and
``torch.fx.experimental.optimization.fuse``, on ``cases`` random float32 networks (the
three networks in turn, a fresh seed each, batch 1 or 2, built as the suite's strategy
builds them), each evaluated the way the check evaluates it (its parameters in float64),
and records per fold its largest error-to-tolerance ratio over all outputs. Beside it,
per network, the tolerance and the first-order worst case as fractions of the largest
output.

Run it with ``python -m tools.fold_network_calibration [--cases N] [--json PATH]``
(``make fold-calibration``); about five seconds a case on one core, ``--jobs`` to use more. It writes
``{"provenance": …, "cases": N, "worst_ratio": …, "per_network": {…}, "runs": [one per case]}``.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
from pathlib import Path

import torch

from theorems.provenance import provenance, write_record

__all__ = ["measure_case", "main"]

MEASURED_MODULES = [
    "theorems.fold.check",
    "theorems.fold_networks.check",
    "theorems.fold_networks.bounds",
    "theorems.fold_networks.rounding_sites",
    "theorems.fold_networks.folding",
    "theorems.fold_networks.networks",
    "tools.fold_network_calibration",
    "theorems.strategies.fold",
]


def _right_folds() -> dict[str, object]:
    from torch.fx.experimental.optimization import fuse

    from theorems.fold_networks.check import fold_network

    return {"reference": fold_network, "torch.fx fuse": fuse}


def measure_case(index: int) -> dict[str, object]:
    """Case ``index``: network ``index mod 3``, seed and batch from ``index``; each right fold's ratio."""
    from theorems.fold_networks.bounds import network_bounds
    from theorems.fold_networks.networks import calibrate
    from theorems.strategies.fold import NETWORKS, normalised_images, randomise_batchnorm_affine
    from theorems.strategies.seeding import torch_seeded

    names = list(NETWORKS)
    name, seed, batch = names[index % len(names)], 1000 + index, 1 + (index // len(names)) % 2
    build, size = NETWORKS[name]
    with torch_seeded(seed):
        model = calibrate(build(), [normalised_images(8, size) for _ in range(2)])
        randomise_batchnorm_affine(model)
        x = normalised_images(batch, size)
    model, x = model.float().eval(), x.float()
    bounds = network_bounds(model, x)
    largest = float(bounds.exact.abs().max())
    tolerance = bounds.tolerance
    ratios = {}
    for fold_name, fold in _right_folds().items():
        with torch.no_grad():
            folded = copy.deepcopy(fold(model)).double()
            error = (folded(x.double()) - bounds.exact).abs()
        del folded
        ratios[fold_name] = float(torch.where(error == 0, torch.zeros_like(error), error / tolerance).max())
    gc.collect()
    return {
        "index": index,
        "network": name,
        "seed": seed,
        "batch": batch,
        "ratios": ratios,
        "tolerance_fraction": float(tolerance.max()) / largest,
        "worst_case_fraction": float(bounds.worst.max()) / largest,
        "kinks_crossed": bounds.kinks_crossed,
    }


def _summary(runs: list[dict[str, object]]) -> dict[str, object]:
    per_network: dict[str, dict[str, float]] = {}
    for name in sorted({run["network"] for run in runs}):
        mine = [run for run in runs if run["network"] == name]
        per_network[name] = {
            "cases": len(mine),
            "worst_ratio": max(max(run["ratios"].values()) for run in mine),
            "tolerance_fraction_median": statistics.median(run["tolerance_fraction"] for run in mine),
            "tolerance_fraction_max": max(run["tolerance_fraction"] for run in mine),
            "worst_case_fraction_median": statistics.median(run["worst_case_fraction"] for run in mine),
            "worst_case_fraction_max": max(run["worst_case_fraction"] for run in mine),
        }
    return {
        "cases": len(runs),
        "right_folds": len(runs) * len(_right_folds()),
        "worst_ratio": max(max(run["ratios"].values()) for run in runs),
        "per_network": per_network,
    }


def _load_ci_profile() -> None:
    from theorems.profiles import load_profile

    load_profile("ci")  # λ is the one the ci profile runs with


def _printed_runs(path: Path) -> list[dict[str, object]]:
    """The runs among a log's lines (one JSON object a case; an older line without ``index`` has it from its seed)."""
    runs = []
    for line in path.read_text().splitlines():
        if line.startswith('{"'):
            run = json.loads(line)
            if "ratios" in run:
                runs.append({"index": run["seed"] - 1000, **run})
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.fold_network_calibration", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=500, help="random float32 networks, each folded by both right folds (default 500)")
    parser.add_argument("--first", type=int, default=0, help="the first case's index (to split a run; default 0)")
    parser.add_argument("--json", type=Path, default=Path("reports/fold_network_calibration.json"), help="where to write the record")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (each about 1.5 GB; default 1)")
    parser.add_argument(
        "--resume", type=Path, help="the printed lines of an interrupted run: the cases they hold are taken as measured, not rerun"
    )
    arguments = parser.parse_args(argv)
    if arguments.cases < 1:
        parser.error(f"--cases must be at least 1, got {arguments.cases}")
    if arguments.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {arguments.jobs}")
    wanted = range(arguments.first, arguments.first + arguments.cases)
    runs = [run for run in _printed_runs(arguments.resume) if run["index"] in wanted] if arguments.resume else []
    missing = sorted(set(wanted) - {run["index"] for run in runs})
    if arguments.jobs == 1:
        _load_ci_profile()
        measured = map(measure_case, missing)
    else:
        import multiprocessing

        # spawn: a forked torch is not safe; one case per child at a time keeps each worker's memory to one network.
        pool = multiprocessing.get_context("spawn").Pool(arguments.jobs, initializer=_load_ci_profile, maxtasksperchild=20)
        measured = pool.imap_unordered(measure_case, missing)
    for run in measured:
        runs.append(run)
        print(json.dumps(run), flush=True)
    runs.sort(key=lambda run: run["index"])
    record = {"provenance": provenance(MEASURED_MODULES), **_summary(runs), "runs": runs}
    print(json.dumps({key: value for key, value in record.items() if key not in ("runs", "provenance")}, indent=2))
    if not write_record(arguments.json, record, "python -m tools.fold_network_calibration"):
        return 2
    return 0 if record["worst_ratio"] <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
