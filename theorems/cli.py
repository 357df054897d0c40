"""``theorems``: list the theorems, verify them all, or check your own implementation.

    theorems list [--contracts]
    theorems verify [--profile dev|ci|thorough] [--report PATH] [--json PATH] [--junitxml PATH]
                    [--examples N] [--seed S] [--only THEOREM]… [--no-power]
    theorems check THEOREM --impl MODULE:ATTR [--examples N] [--profile …] [--seed S]
                   [--report PATH] [--json PATH] [--junitxml PATH]

Exit status: 0 when everything holds (for ``verify``, also: every transcribed claim of
the notes is falsified, and every wrong implementation of the catalogue is caught: the
suite's power, measured unless ``--no-power``); 1 otherwise; 2 with one line on stderr for a usage error
(unknown theorem, an implementation that cannot be imported or called, an unwritable
output path, an unknown profile).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from theorems.profiles import PROFILES, default_profile_name, load_profile
from theorems.registry import all_theorems, get_theorem
from theorems.report.running import make_strategies_importable
from theorems.theorem import InvalidInput

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


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theorems", description="Executable theorems for the mathematics of deep learning.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    listing = commands.add_parser("list", help="one line per theorem: id, source problem, statement")
    listing.add_argument("--contracts", action="store_true", help="print each theorem's contract for implementations")

    def run_options(command: argparse.ArgumentParser, *, report_default: Path | None) -> None:
        command.add_argument("--profile", choices=sorted(PROFILES), help="Hypothesis profile (default: $HYPOTHESIS_PROFILE, ci under $CI, else dev)")
        command.add_argument("--examples", type=_positive, metavar="N", help="generated examples per check (default: the profile's)")
        command.add_argument("--seed", type=_seed, metavar="S", help="fix the examples (ignored by the derandomized ci profile)")
        default_text = f" (default: {report_default})" if report_default else ""
        command.add_argument("--report", type=Path, default=report_default, metavar="PATH", help=f"write the HTML report here{default_text}")
        command.add_argument("--json", type=Path, metavar="PATH", help="write the results as JSON")
        command.add_argument("--junitxml", type=Path, metavar="PATH", help="write the results as JUnit XML")

    verify = commands.add_parser("verify", help="check every theorem and every transcribed claim; write the report")
    run_options(verify, report_default=DEFAULT_REPORT)
    verify.add_argument("--only", action="append", metavar="THEOREM", help="verify only this theorem and its claims (repeatable)")
    verify.add_argument(
        "--no-power", dest="power", action="store_false",
        help="skip the catalogue of wrong implementations (the suite's power; about 20 s, each must be caught)",
    )

    check = commands.add_parser("check", help="check your implementation against one theorem")
    check.add_argument("theorem", metavar="THEOREM", help="a theorem id (see `theorems list`)")
    check.add_argument("--impl", required=True, metavar="MODULE:ATTR", help="the callable to check, e.g. scipy.stats:multivariate_normal.logpdf")
    run_options(check, report_default=None)
    return parser


# --- usage checks, each raising UsageError with one line -----------------------------------


def import_implementation(target: str) -> Callable[..., Any]:
    """Import ``MODULE:ATTR`` (ATTR may be dotted) and return it if it is callable."""
    module_name, colon, attribute_path = target.partition(":")
    if not colon or not module_name or not attribute_path:
        raise UsageError(f"--impl must be MODULE:ATTR (e.g. scipy.stats:entropy), got {target!r}")
    import importlib

    try:
        value: Any = importlib.import_module(module_name)
    except Exception as error:  # a module may fail to import in any way; all are the user's to fix
        raise UsageError(f"cannot import module {module_name!r}: {type(error).__name__}: {_first_line(error)}") from None
    walked = module_name
    for attribute in attribute_path.split("."):
        if not hasattr(value, attribute):
            raise UsageError(f"{walked!r} has no attribute {attribute!r} (from --impl {target})")
        value = getattr(value, attribute)
        walked = f"{walked}.{attribute}" if walked != module_name else f"{module_name}:{attribute}"
    if not callable(value):
        raise UsageError(f"{target!r} is not callable (it is a {type(value).__name__})")
    return value


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


def choose_profile(name: str | None) -> str:
    try:
        return load_profile(name or default_profile_name())
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
        detail = theorem.contract if arguments.contracts else theorem.title
        print(f"{theorem.id:<{width}}  {theorem.source:<11}  {detail}")
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
    rows = [("wrong implementations of", "caught", "smallest counterexample (characters)")]
    for row in catalogue_summary(verification.power, order):
        missed = f"  (missed: {', '.join(row.missed)})" if row.missed else ""
        rows.append((row.theorem_id, f"{row.caught} of {row.total}{missed}", "-" if row.smallest_size is None else str(row.smallest_size)))
    print()
    _print_rows(rows)
    caught = sum(result.caught for result in verification.power)
    seconds = sum(result.run.seconds for result in verification.power)
    print(f"power: {caught} of {len(verification.power)} wrong implementations caught ({seconds:.1f} s)")


def write_outputs(verification: Any, arguments: argparse.Namespace) -> None:
    from theorems.report import write_html, write_json, write_junitxml

    if arguments.report:
        print(f"report: {write_html(verification, arguments.report)}")
    if arguments.json:
        print(f"json: {write_json(verification, arguments.json)}")
    if arguments.junitxml:
        print(f"junit xml: {write_junitxml(verification, arguments.junitxml)}")


def _check_output_paths(arguments: argparse.Namespace) -> None:
    for option in ("report", "json", "junitxml"):
        path = getattr(arguments, option)
        if path is not None:
            require_writable(path, f"--{option}")


def command_verify(arguments: argparse.Namespace) -> int:
    profile = choose_profile(arguments.profile)
    only = None
    if arguments.only:
        try:
            only = tuple(get_theorem(theorem_id).id for theorem_id in arguments.only)
        except InvalidInput as error:
            raise UsageError(str(error)) from None
    _check_output_paths(arguments)
    from theorems.report import verify_all

    verification = verify_all(
        profile=profile, max_examples=arguments.examples, seed=arguments.seed, progress=_progress_printer(), theorem_ids=only,
        command=command_line(), power=arguments.power,
    )
    print_table(verification)
    write_outputs(verification, arguments)
    caught = "" if verification.power is None else ", and every wrong implementation is caught"
    if verification.passed:
        print(f"every theorem holds and every transcribed claim is falsified{caught}")
        return 0
    lost = "" if verification.power is None else ", or some wrong implementation was not caught (the suite lost its power)"
    print(f"FAILED: some theorem does not hold or some transcribed claim was not falsified{lost}")
    return 1


def command_check(arguments: argparse.Namespace) -> int:
    profile = choose_profile(arguments.profile)
    try:
        theorem = get_theorem(arguments.theorem)
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    implementation = import_implementation(arguments.impl)
    _check_output_paths(arguments)
    from hypothesis import settings

    from theorems.report import Verification, check_implementation
    from theorems.report.environment import environment
    from theorems.report.running import draw_seed

    seed = arguments.seed
    if seed is None and not settings.default.derandomize:
        seed = draw_seed()
    result = check_implementation(theorem, implementation, target=arguments.impl, profile=profile, max_examples=arguments.examples, seed=seed)
    verification = Verification((result,), (), environment(profile=profile, seed=seed, max_examples=arguments.examples, command=command_line()))
    print_check(theorem.id, arguments.impl, result.run)
    write_outputs(verification, arguments)
    return 0 if result.passed else 1


def print_check(theorem_id: str, target: str, run: Any) -> None:
    """The outcome in plain words: for a falsified one, the minimal counterexample and a replay line."""
    head = f"{theorem_id} on {target}:"
    if run.verdict == "holds":
        worst = run.worst
        detail = f"; worst error {worst.error:.3g} vs tolerance {worst.tolerance:.3g} (ratio {worst.ratio:.3g})" if worst else ""
        print(f"{head} holds on all {run.examples} generated examples ({run.seconds:.1f} s){detail}")
        return
    if run.verdict == "error":
        print(f"{head} ERROR: the check itself failed, so nothing was learned about the implementation")
        print(f"  {run.error}")
        return
    evidence = run.counterexample
    print(f"{head} FALSIFIED after {run.examples} generated examples ({run.seconds:.1f} s)")
    if evidence.failure is not None:
        print(f"  on a valid input, the implementation {evidence.failure}")
    print("minimal counterexample (shrunk by Hypothesis):")
    print("\n".join("  " + line for line in evidence.explain().splitlines()))
    if run.replay:
        print(f"replay: {run.replay}")
    if run.reproduction:
        print(f"or decorate a test with: {run.reproduction}")


COMMANDS = {"list": command_list, "verify": command_verify, "check": command_check}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    make_strategies_importable()
    try:
        return COMMANDS[arguments.command](arguments)
    except UsageError as error:
        print(f"theorems: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("theorems: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
