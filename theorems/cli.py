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
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from theorems._version import __version__
from theorems.calling import DEFAULT_TIMEOUT
from theorems.extras import MissingExtra, require
from theorems.profiles import PROFILES, load_profile
from theorems._engine.registry import all_theorems, get_theorem
from theorems.theorem import InvalidInput, Theorem
from theorems._engine.watchdog import MEMORY_FLOOR, MEMORY_SHARE, default_memory_limit, report_verdict, supervise

__all__ = ["main"]

DEFAULT_REPORT = Path("reports/index.html")


class UsageError(Exception):
    """A mistake in how the command was called: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (the full usage is under --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _jobs(text: str) -> int:
    """A positive number of worker processes, or ``auto``: one per CPU core this process may use."""
    if text.strip().lower() == "auto":
        return len(os.sched_getaffinity(0))
    try:
        return _positive(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or auto, got {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive, finite number of seconds, got {text}")
    return value


_SIZE_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def _memory(text: str) -> int | None:
    """A size in bytes with an optional K, M, G or T suffix (powers of 1024), or ``none``: no limit."""
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    if cleaned == "NONE":
        return None
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned[-1:] in _SIZE_UNITS and cleaned[-1:] else (cleaned, "")
    try:
        value = float(number) * _SIZE_UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size such as 8G or 512M, or none, got {text!r}") from None
    if not value >= MEMORY_FLOOR or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected at least {MEMORY_FLOOR // 2**30}G (torch alone maps about 3.5G of address space), got {text!r}")
    return int(value)


def _assumption(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. dims=2), got {text!r}")
    return name.strip(), value.strip()


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theorems", description="Executable theorems for the mathematics of deep learning.")
    parser.add_argument("--version", action="version", version=f"theorems {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    listing = commands.add_parser("list", help="one line per theorem: id, source problem, statement")
    listing.add_argument(
        "--contracts", action="store_true",
        help="print each theorem's contract for implementations, and the assumptions --assume accepts",
    )

    def run_options(command: argparse.ArgumentParser, *, report_default: Path | None) -> None:
        command.add_argument("--profile", choices=sorted(PROFILES), help="Hypothesis profile (default: ci, as the API's: derandomized, 100 examples; dev is 20 for editing)")
        command.add_argument("--examples", type=_positive, metavar="N", help="generated examples per check (default: the profile's)")
        command.add_argument("--seed", type=_seed, metavar="S", help="fix the examples (ignored by the derandomized ci profile)")
        default_text = f" (default: {report_default})" if report_default else ""
        command.add_argument("--report", type=Path, default=report_default, metavar="PATH", help=f"write the HTML report here{default_text}")
        command.add_argument("--json", type=Path, metavar="PATH", help="write the results as JSON")
        command.add_argument("--junitxml", type=Path, metavar="PATH", help="write the results as JUnit XML")
        where = command.add_mutually_exclusive_group()
        where.add_argument(
            "--scheduler", metavar="ADDRESS",
            help="run the checks in slices on this Dask cluster (tcp://HOST:PORT of `dask scheduler`; its workers need this package)",
        )
        where.add_argument("--workers", type=_positive, metavar="N", help="start a local Dask cluster of N worker processes for the checks")
        command.add_argument(
            "--database", metavar="LOCATION",
            help="share counterexamples in this Hypothesis example database: redis://HOST:PORT/N or a folder "
            "(replayed first by every later run; default: none)",
        )
        command.add_argument(
            "--database-read-only", action="store_true",
            help="replay --database's examples but save what this run finds only in .hypothesis/examples (pull requests)",
        )
        limit = default_memory_limit()
        # argparse formats help with %-substitution: the percent sign is doubled ("75%%").
        shown = "none" if limit is None else f"{limit / 2**30:.1f}G, {MEMORY_SHARE:.0%}% of this machine's memory"
        command.add_argument(
            "--memory-limit", type=_memory, default=limit, metavar="SIZE",
            help=f"the most address space the checking process may use (e.g. 8G, or none); an implementation that "
            f"exhausts it is falsified (default: {shown})",
        )

    verify = commands.add_parser("verify", help="check every theorem and every transcribed claim; write the report")
    run_options(verify, report_default=DEFAULT_REPORT)
    verify.add_argument("--only", action="append", metavar="THEOREM", help="verify only this theorem and its claims (repeatable)")
    verify.add_argument(
        "--jobs", type=_jobs, default=1, metavar="N",
        help="worker processes for the checks, or auto: one per CPU core (default: 1, in this process)",
    )
    verify.add_argument(
        "--prove", action="store_true",
        help="also prove the algebraic identities symbolically (theorems prove; about 18 s more)",
    )
    verify.add_argument(
        "--no-power", dest="power", action="store_false",
        help="skip the catalogue of wrong implementations (the suite's power; about 20 s, each must be caught)",
    )

    check = commands.add_parser("check", help="check your implementation against one theorem")
    check.add_argument("theorem", metavar="THEOREM", help="a theorem id (see `theorems list`)")
    check.add_argument(
        "--impl", required=True, metavar="MODULE:ATTR",
        help="the callable to check, imported from the current folder as `python -m` does "
        "(e.g. mylib.fuse:fold_bn, scipy.stats:multivariate_normal.logpdf), or FILE.py:ATTR",
    )
    check.add_argument(
        "--assume", action="append", type=_assumption, default=[], metavar="NAME=VALUE",
        help="restrict the generated domain (repeatable; `theorems list --contracts` lists names and values)",
    )
    check.add_argument(
        "--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=f"the most one call of the implementation may take; past it the verdict is falsified (default {DEFAULT_TIMEOUT:g})",
    )
    run_options(check, report_default=None)
    check.add_argument(
        "--save-counterexample", type=Path, metavar="PATH",
        help="when falsified, write the exact counterexample here (torch.save) and print three lines that load it and check an implementation on it",
    )

    prove = commands.add_parser("prove", help="prove each theorem that is an identity at fixed sizes with SymPy; refute the transcribed claims")
    prove.add_argument("theorems", nargs="*", metavar="THEOREM", help="prove only these theorems and their claims (default: all)")
    prove.add_argument("--json", type=Path, metavar="PATH", help="write the proofs as JSON")
    return parser


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
    theorems = all_theorems()
    width = max((len(theorem.id) for theorem in theorems), default=0)
    for theorem in theorems:
        if not arguments.contracts:
            print(f"{theorem.id:<{width}}  {theorem.source:<11}  {theorem.title}")
            continue
        print(f"{theorem.id}  ({theorem.source})")
        print(f"  contract: {theorem.contract}")
        for assumption in theorem.assumptions:
            values = "|".join(assumption.spelled(value) for value in assumption.values)
            print(f"  --assume {assumption.name}={values}  ({assumption.meaning})")
    return 0


def _progress_printer() -> Callable[[str, str, Any], None] | None:
    """Per-check progress on a terminal; nothing in CI logs (stderr not a TTY)."""
    if not sys.stderr.isatty():
        return None

    def progress(kind: str, name: str, run: Any) -> None:
        print(f"  {kind} {name}: {run.verdict} ({_examples(run.examples)}, {run.seconds:.1f} s)", file=sys.stderr, flush=True)

    return progress


def _examples(count: int) -> str:
    return f"{count} example" if count == 1 else f"{count} examples"


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return "inf" if value == float("inf") else f"{value:.3g}"


def print_table(verification: Any) -> None:
    rows = [("check", "verdict", "examples", "worst ratio", "seconds")]
    for result in verification.theorems:
        rows.append((result.theorem_id, result.run.verdict, str(result.run.examples), _ratio(result.run.worst_ratio), f"{result.run.seconds:.2f}"))
    for result in verification.claims:
        want = "" if result.passed else "  (must be falsified)"
        rows.append((f"claim {result.claim_id}", result.run.verdict + want, str(result.run.examples), _ratio(result.run.worst_ratio), f"{result.run.seconds:.2f}"))
    _print_rows(rows)
    if verification.power is not None:
        print_power(verification)


def _print_rows(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def print_power(verification: Any) -> None:
    """The catalogue of wrong implementations: caught per theorem, smallest counterexample, time."""
    from theorems.report.power import catalogue_summary

    order = tuple(result.theorem_id for result in verification.theorems)
    budget = verification.environment.get("profile", "")
    rows = [("wrong implementations of", f"caught within the {budget} budget", "smallest counterexample (characters)")]
    for row in catalogue_summary(verification.power, order):
        missed = f"  (missed: {', '.join(row.missed)})" if row.missed else ""
        rows.append((row.theorem_id, f"{row.caught} of {row.total}{missed}", "-" if row.smallest_size is None else str(row.smallest_size)))
    print()
    _print_rows(rows)
    caught = sum(result.caught for result in verification.power)
    seconds = sum(result.run.seconds for result in verification.power)
    print(f"power: {caught} of {len(verification.power)} wrong implementations caught ({seconds:.1f} s of checks)")


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
    from theorems._engine.engine import verify_all

    with cluster_for(arguments) as cluster:
        verification = verify_all(
            profile=profile, max_examples=arguments.examples, seed=arguments.seed, progress=_progress_printer(), theorem_ids=only,
            command=command_line(), power=arguments.power, jobs=arguments.jobs, prove=arguments.prove, cluster=cluster, database=database,
        )
    print_table(verification)
    if verification.proofs is not None:
        print()
        for proof in verification.proofs:
            print(_proof_line(proof))
    write_outputs(verification, arguments)
    claims = " and every transcribed claim is falsified" if verification.claims else ""
    caught = "" if verification.power is None else ", and every wrong implementation is caught"
    if verification.passed:
        print(f"every theorem holds{claims}{caught}")
        return 0
    not_falsified = " or some transcribed claim was not falsified" if verification.claims else ""
    lost = "" if verification.power is None else ", or some wrong implementation was not caught (the suite lost its power)"
    print(f"FAILED: some theorem does not hold{not_falsified}{lost}")
    return 1


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
    from theorems._engine.engine import require_consistent

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
    from theorems._engine.engine import assemble, check_implementation, draw_seed, require_signature, settle_examples

    settle_examples()  # the examples a cluster's worker draws, and the printed replay command reproduces

    try:
        require_signature(theorem, implementation, arguments.impl)
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    _check_output_paths(arguments)
    if arguments.save_counterexample is not None:
        require_writable(arguments.save_counterexample, "--save-counterexample")
    from theorems.api import Verdict

    seed = arguments.seed if arguments.seed is not None else draw_seed(profile)
    options = {"max_examples": arguments.examples, "assume": assume, "timeout": arguments.timeout}
    with cluster_for(arguments) as cluster:
        if cluster is None:
            result = check_implementation(
                theorem, implementation, target=arguments.impl, profile=profile, seed=seed, database=database and database.open(), **options,
            )
        else:
            task = ("user", arguments.impl, (theorem.id, *importable_target(arguments.impl)), options)
            result = next(iter(cluster.run([task], profile=profile, seed=seed, database=database)))
    verification = assemble((result,), scope="check", profile=profile, seed=seed, max_examples=arguments.examples, command=command_line())
    verdict = Verdict(result, profile)
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


def importable_target(target: str) -> tuple[str, str]:
    """(``MODULE:ATTR``, the folder it imports from) for a worker of a cluster: ``FILE.py:ATTR``
    becomes the file's module, imported from the file's folder (a file system the workers share)."""
    location, _, attribute = target.rpartition(":")
    if location.endswith(".py") or os.sep in location or "/" in location:
        path = Path(location).resolve()
        return f"{path.stem}:{attribute}", str(path.parent)
    return target, os.getcwd()


def _proof_line(proof: Any) -> str:
    """``id: proved for <sizes> (s)``, or the verdict and why; a claim's id is marked as one."""
    name = f"claim {proof.id}" if proof.kind == "claim" else proof.id
    if proof.sizes is None:
        return f"{name}: {proof.status}: {proof.reason}"
    want = "" if proof.passed else f"  (must be {proof.expected})"
    if proof.status == "proved":
        return f"{name}: proved for {proof.sizes} ({proof.seconds:.2f} s){want}"
    return f"{name}: {proof.status} for {proof.sizes} ({proof.seconds:.2f} s): {proof.reason}{want}"


def command_prove(arguments: argparse.Namespace) -> int:
    try:
        ids = tuple(get_theorem(theorem_id).id for theorem_id in arguments.theorems) or None
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    if arguments.json is not None:
        require_writable(arguments.json, "--json")
    require("prove", "theorems prove")
    from theorems._engine.prove import proofs_json, prove

    proofs = prove(ids, progress=lambda proof: print(_proof_line(proof), flush=True))
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


COMMANDS = {"list": command_list, "verify": command_verify, "check": command_check, "prove": command_prove}


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
