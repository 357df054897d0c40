"""The same examples wherever a check runs: every module a check may load, loaded first (:func:`settle_examples`).

Hypothesis draws some values from the constants in the source of the project's modules
loaded at that moment (its "local constants", re-read whenever ``sys.modules`` grows), so a
derandomized check's examples depend on what its process imported before it: the
in-process run, a ``--jobs`` worker and a Dask worker drew different examples for the same
check under ``ci``. With every such module loaded first, a check draws the same examples
wherever it runs and whatever ran before it.
"""

from __future__ import annotations

from theorems._engine.registry import all_claims, all_findings, all_theorems, all_wrong_implementations

__all__ = ["settle_examples"]

# The modules that run checks, beside those the registry names: the doors, and every module of
# the engine (one that a route does not happen to import would otherwise load in some processes only).
_RUNNING_MODULES = (
    "theorems.api",
    "theorems.cli",
    "theorems.finding",
    "theorems._engine.checks",
    "theorems._engine.cluster",
    "theorems._engine.database",
    "theorems._engine.observe",
    "theorems._engine.plan",
    "theorems._engine.preconditions",
    "theorems._engine.replay",
    "theorems._engine.run",
    "theorems._engine.verify",
)
_SETTLED = False


def settle_examples() -> None:
    """Import, once per process, every module a check may load: each theorem's reference, check,
    examples and classifier, the claims' formulas, the catalogue of wrong implementations, the
    findings, and the modules that run checks (see the module's docstring for why)."""
    global _SETTLED
    if _SETTLED:
        return
    import importlib

    targets = [target for theorem in all_theorems() for target in (theorem.reference_target, theorem.check_target, theorem.examples, theorem.classify_target)]
    targets += [claim.implementation_target for claim in all_claims()]
    all_wrong_implementations()  # the catalogue's modules
    all_findings()  # the findings' modules
    for module in sorted({target.partition(":")[0] for target in targets if target} | set(_RUNNING_MODULES)):
        try:
            importlib.import_module(module)
        except Exception:  # a broken module is reported by the checks that need it, not by every check
            continue
    _SETTLED = True
