"""``theorems``: list the theorems, verify them all, or check your own implementation.

    theorems list [--contracts]
    theorems verify [--profile dev|ci|thorough] [--report PATH] [--json PATH] [--junitxml PATH]
                    [--examples N] [--seed S] [--only THEOREM]… [--no-power]
                    [--scheduler ADDRESS | --workers N] [--database LOCATION [--database-read-only]]
    theorems check THEOREM --impl MODULE:ATTR|FILE.py:ATTR [--assume NAME=VALUE]… [--timeout S] [--memory-limit SIZE]
                   [--examples N] [--profile …] [--seed S] [--report PATH] [--json PATH] [--junitxml PATH]
                   [--scheduler ADDRESS | --workers N] [--database LOCATION [--database-read-only]]
    theorems prove [THEOREM]… [--json PATH]

Both ``verify`` and ``check`` run in a child process watched by a supervisor
(:mod:`theorems._engine.watchdog`): a child that ends without giving its verdict is falsified,
exit 1, never a pass. Both check at the ``ci`` profile unless ``--profile`` says otherwise,
as :func:`theorems.check` does, and every verdict line names its profile. Exit status: 0 when everything holds (for ``verify``, also: every transcribed claim of
the notes is falsified, and every wrong implementation of the catalogue is caught: the
suite's power, measured unless ``--no-power``); 1 otherwise (for ``check``: falsified,
including a call that did not return within ``--timeout``); 2 with one line on stderr
for a usage error (unknown theorem or assumption, an implementation that cannot be
imported, called, or called with the contract's arguments, an unwritable output path,
an unknown profile, a malformed or unreachable ``--scheduler`` or ``--database``, a
feature whose extra is not installed: :mod:`theorems.extras`), before
any example runs. ``prove`` exits 0 when every theorem with a
symbolic statement is proved and every transcribed claim refuted, 1 otherwise (a proof past
its time budget included), 2 for a usage error.

The command's grammar is :mod:`theorems.cli_parser`, what it prints :mod:`theorems.cli_output`;
``check`` runs as :func:`theorems.check` does (:func:`theorems.api.verdict_of`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from theorems.cli_output import print_proofs, print_table, print_theorems, print_verify_verdict, progress_printer, proof_line
from theorems.cli_parser import build_parser
from theorems.extras import MissingExtra, require
from theorems.profiles import load_profile
from theorems._engine.registry import all_theorems, get_theorem
from theorems.theorem import InvalidInput, Theorem
from theorems._engine.watchdog import report_verdict, supervise

__all__ = ["main"]


class UsageError(Exception):
    """A mistake in how the command was called: one line on stderr, exit status 2."""


# --- usage checks, each raising UsageError with one line -----------------------------------


def import_implementation(target: str) -> Callable[..., Any]:
    """Import ``MODULE:ATTR`` (ATTR may be dotted) or ``path/to/file.py:ATTR`` and return it if it is callable.

    Modules are found from the current folder first, as ``python -m`` finds them, so a
    user's package beside them imports; a file's own folder comes first for its imports.
    """
    location, colon, attribute_path = target.rpartition(":")
    if not colon or not location or not attribute_path:
        raise UsageError(f"--impl must be MODULE:ATTR or FILE.py:ATTR (e.g. mylib.fuse:fold_bn), got {target!r}")
    import importlib

    value: Any
    if location.endswith(".py") or os.sep in location or "/" in location:
        value = _import_file(Path(location))
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            value = importlib.import_module(location)
        except Exception as error:  # a module may fail to import in any way; all are the user's to fix
            raise UsageError(f"cannot import module {location!r} (from {os.getcwd()}): {type(error).__name__}: {_first_line(error)}") from None
    walked = location
    for attribute in attribute_path.split("."):
        if not hasattr(value, attribute):
            raise UsageError(f"{walked!r} has no attribute {attribute!r} (from --impl {target})")
        value = getattr(value, attribute)
        walked = f"{walked}.{attribute}" if walked != location else f"{location}:{attribute}"
    if not callable(value):
        raise UsageError(f"{target!r} is not callable (it is a {type(value).__name__})")
    return value


def _import_file(path: Path) -> Any:
    """The module of a Python file, its folder first on ``sys.path`` for its own imports."""
    import importlib.util

    if not path.is_file():
        raise UsageError(f"--impl names the file {path}, which does not exist")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = path.stem if path.stem.isidentifier() else "theorems_implementation"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"--impl names {path}, which Python cannot import (expected a .py file)")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the user's file may fail in any way
        raise UsageError(f"cannot import {path}: {type(error).__name__}: {_first_line(error)}") from None
    return module


def require_writable(path: Path, option: str) -> None:
    """Fail now, before a long run, if ``path`` cannot be written."""
    if path.is_dir():
        raise UsageError(f"{option} {path} is a directory; expected a file path")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except (FileExistsError, NotADirectoryError):
        raise UsageError(f"cannot write {option} {path}: a part of {path.parent} is a file, not a folder") from None
    except OSError as error:
        raise UsageError(f"cannot write {option} {path}: {error.strerror or error}") from None
    if not existed:
        path.unlink()


# The command checks at the API's strength (theorems.check's profile="ci"): a "holds" on the
# command line means what it means in a user's test, whatever the environment says.
DEFAULT_PROFILE = "ci"


def choose_profile(name: str | None) -> str:
    try:
        return load_profile(name or DEFAULT_PROFILE)
    except ValueError as error:
        raise UsageError(str(error)) from None


def command_line() -> str:
    import shlex

    return shlex.join(["theorems", *sys.argv[1:]])


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


# --- commands ---------------------------------------------------------------------------


def command_list(arguments: argparse.Namespace) -> int:
    print_theorems(all_theorems(), contracts=arguments.contracts)
    return 0


def write_outputs(verification: Any, arguments: argparse.Namespace) -> None:
    """Each output asked for, or one line saying which could not be written (a full disk, say)."""
    try:
        _write_outputs(verification, arguments)
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        raise UsageError(f"cannot write the results{where}: {error.strerror or error}; the verdict above stands, its files were not written") from None


def _write_outputs(verification: Any, arguments: argparse.Namespace) -> None:
    """The HTML machinery (Jinja2, figures) is imported only for a report."""
    from theorems._engine.report_context import report_context, suite_measurements

    measurements = suite_measurements() if verification.scope == "full" and (arguments.report or arguments.json) else None
    if arguments.report:
        from theorems.report.html import write_html

        print(f"report: {write_html(verification, arguments.report, report_context(verification, measurements=measurements))}")
    if arguments.json:
        from theorems.report.formats import write_json

        print(f"json: {write_json(verification, arguments.json, measurements=measurements)}")
    if arguments.junitxml:
        from theorems.report.formats import write_junitxml

        print(f"junit xml: {write_junitxml(verification, arguments.junitxml)}")


def _check_output_paths(arguments: argparse.Namespace) -> None:
    for option in ("report", "json", "junitxml"):
        path = getattr(arguments, option)
        if path is not None:
            require_writable(path, f"--{option}")
    if arguments.report is not None:
        require("report", f"the HTML report (--report {arguments.report})")


def shared_database(arguments: argparse.Namespace) -> Any:
    """The ``--database`` setting (a :class:`theorems._engine.database.SharedDatabase`), reached once now; None without it."""
    if arguments.database is None:
        if arguments.database_read_only:
            raise UsageError("--database-read-only needs --database LOCATION")
        return None
    from theorems._engine.database import SharedDatabase

    if arguments.database.startswith("redis://"):
        require("cluster", "a Redis example database (--database redis://…)")
    try:
        database = SharedDatabase(arguments.database, read_only=arguments.database_read_only)
        database.open()
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    return database


@contextlib.contextmanager
def cluster_for(arguments: argparse.Namespace) -> Iterator[Any]:
    """The Dask cluster of ``--scheduler`` or ``--workers`` (:func:`theorems._engine.cluster.connect`), or None: this process."""
    if arguments.scheduler is None and arguments.workers is None:
        yield None
        return
    require("cluster", "a Dask cluster (--scheduler, --workers)")
    from theorems._engine.cluster import connect

    progress = sys.stderr if sys.stderr.isatty() else None  # a line rewritten in place: terminals only
    with contextlib.ExitStack() as stack:
        try:
            cluster = stack.enter_context(connect(arguments.scheduler, arguments.workers, progress=progress))
        except InvalidInput as error:
            raise UsageError(str(error)) from None
        try:
            yield cluster
        except InvalidInput as error:  # the scheduler lost mid-run (theorems._engine.cluster.SchedulerLost)
            raise UsageError(str(error)) from None


def command_verify(arguments: argparse.Namespace) -> int:
    profile = choose_profile(arguments.profile)
    only = None
    if arguments.only:
        try:
            only = tuple(get_theorem(theorem_id).id for theorem_id in arguments.only)
        except InvalidInput as error:
            raise UsageError(str(error)) from None
    if arguments.jobs > 1 and (arguments.scheduler or arguments.workers):
        raise UsageError("--jobs runs the checks in processes of this machine; with --scheduler or --workers the cluster's workers run them")
    _check_output_paths(arguments)
    database = shared_database(arguments)
    if arguments.as_program:
        supervise("theorems verify", memory_limit=arguments.memory_limit)
    from theorems._engine.verify import own_the_heap, verify_all

    if arguments.as_program:
        own_the_heap()

    with cluster_for(arguments) as cluster:
        verification = verify_all(
            profile=profile, max_examples=arguments.examples, seed=arguments.seed, progress=progress_printer(), theorem_ids=only,
            command=command_line(), power=arguments.power, jobs=arguments.jobs, prove=arguments.prove, cluster=cluster, database=database,
        )
    print_table(verification)
    if verification.proofs is not None:
        print_proofs(verification.proofs)
    write_outputs(verification, arguments)
    print_verify_verdict(verification)
    return 0 if verification.passed else 1


def parse_assumptions(theorem: Theorem, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``--assume`` words as the theorem's values; an unknown name, a repeated one or an impossible value is a usage error."""
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(f"--assume {repeated[0]} is given twice; give each name once")
    try:
        parsed = theorem.parse_assumptions(dict(pairs))
    except InvalidInput as error:
        raise UsageError(f"--assume: {error}") from None
    from theorems._engine.preconditions import require_consistent

    try:
        require_consistent(theorem, parsed)
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    return parsed


def command_check(arguments: argparse.Namespace) -> int:
    profile = choose_profile(arguments.profile)
    try:
        theorem = get_theorem(arguments.theorem)
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    assume = parse_assumptions(theorem, arguments.assume)
    database = shared_database(arguments)
    if arguments.as_program:  # a process of its own: a supervisor may fork it (never a caller's process)
        supervise(f"{theorem.id} on {arguments.impl}", memory_limit=arguments.memory_limit)  # before torch: the parent stays small
    implementation = import_implementation(arguments.impl)
    from theorems._engine.plan import draw_seed
    from theorems._engine.preconditions import require_signature
    from theorems._engine.settle import settle_examples
    from theorems._engine.verify import assemble

    settle_examples()  # the examples a cluster's worker draws, and the printed replay command reproduces

    try:
        require_signature(theorem, implementation, arguments.impl)
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    _check_output_paths(arguments)
    if arguments.save_counterexample is not None:
        require_writable(arguments.save_counterexample, "--save-counterexample")
    from theorems.api import verdict_of

    seed = arguments.seed if arguments.seed is not None else draw_seed(profile)
    with cluster_for(arguments) as cluster:
        verdict = verdict_of(
            theorem, implementation, target=arguments.impl, profile=profile, examples=arguments.examples, seed=seed, assume=assume,
            timeout=arguments.timeout, database=database, cluster=cluster,
        )
    result = verdict.result
    verification = assemble((result,), scope="check", profile=profile, seed=seed, max_examples=arguments.examples, command=command_line())
    unsaved = None
    if arguments.save_counterexample is not None and not verdict.holds:
        try:
            verdict = verdict.save(arguments.save_counterexample, arguments.impl.rpartition(":")[2])
        except (ValueError, OSError) as error:
            unsaved = f"--save-counterexample: nothing saved: {error}"
    print(verdict.explain())
    if unsaved:
        print(unsaved)
    write_outputs(verification, arguments)
    return 0 if result.passed else 1


def command_audit(arguments: argparse.Namespace) -> int:
    """The table of ``theorems.audit`` on the module named; exit 0 when every row is settled (holds, a recorded finding or
    oracle limit, outside the contract, listed), 1 otherwise. The records of ``theorems.audits.<its package>`` apply."""
    import importlib
    import json

    from theorems.audit import audit, records_for

    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(arguments.module)
    except Exception as error:  # a module may fail to import in any way; all are the user's to fix
        raise UsageError(f"cannot import module {arguments.module!r} (from {os.getcwd()}): {type(error).__name__}: {_first_line(error)}") from None
    if arguments.json is not None:
        require_writable(arguments.json, "--json")
    try:
        result = audit(module, theorems=arguments.theorem, profile=choose_profile(arguments.profile), examples=arguments.examples, **records_for(arguments.module))
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    print(result.table())
    print(f"{len(result.rows)} rows, {len(result.unsettled())} unsettled ({result.profile} profile, {result.seconds:.1f} s)")
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(result.to_dict(), indent=2, default=repr) + "\n", encoding="utf-8")
        print(f"json: {arguments.json}")
    return 0 if result.settled else 1


def command_prove(arguments: argparse.Namespace) -> int:
    try:
        ids = tuple(get_theorem(theorem_id).id for theorem_id in arguments.theorems) or None
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    if arguments.json is not None:
        require_writable(arguments.json, "--json")
    require("prove", "theorems prove")
    from theorems._engine.prove import proofs_json, prove

    proofs = prove(ids, progress=lambda proof: print(proof_line(proof), flush=True))
    if arguments.json is not None:
        import json

        arguments.json.write_text(json.dumps(proofs_json(proofs), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"json: {arguments.json}")
    if all(proof.passed for proof in proofs):
        claims = " and every transcribed claim is refuted" if any(proof.kind == "claim" for proof in proofs) else ""
        print(f"every symbolic statement is proved{claims}")
        return 0
    print("FAILED: some symbolic statement is not proved, or some transcribed claim is not refuted")
    return 1


COMMANDS = {"list": command_list, "verify": command_verify, "check": command_check, "audit": command_audit, "prove": command_prove}


def main(argv: Sequence[str] | None = None) -> int:
    """The command; ``argv`` None means this process is the program (``theorems``, ``python -m theorems``)."""
    arguments = build_parser().parse_args(argv)
    arguments.as_program = argv is None
    status = _run_command(arguments)
    report_verdict(status)  # the supervisor's sign that this status is a verdict (theorems._engine.watchdog)
    return status


def _run_command(arguments: argparse.Namespace) -> int:
    try:
        return COMMANDS[arguments.command](arguments)
    except (UsageError, MissingExtra) as error:
        print(f"theorems: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("theorems: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `theorems list | head`: the reader left, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001  (the implementation's own errors are caught in its checks)
        return _internal_error(error)


# Exit status of a fault in theorems itself (an exception that escaped the command's own code, not
# an implementation's, which its check catches): neither a pass (0), nor a verdict on the
# implementation (1), nor a mistake in the call (2). Said to the supervisor as the child's verdict,
# so that it is never reported as the implementation ending the process.
INTERNAL_ERROR = 3


def _internal_error(error: Exception) -> int:
    import traceback

    traceback.print_exception(error, file=sys.stderr)
    print(
        f"theorems: internal error, in theorems and not in the implementation under test: {type(error).__name__}: {error}; "
        "the verdicts printed above stand, what was not printed was not decided (please report this with the traceback above)",
        file=sys.stderr,
    )
    return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
