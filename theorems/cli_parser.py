"""The grammar of the ``theorems`` command (:mod:`theorems.cli`): its parser, and the types of its options' values.

A malformed value is a usage error of one line on stderr (exit status 2), the full usage under ``--help``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, NoReturn

from theorems._version import __version__
from theorems.calling import DEFAULT_TIMEOUT
from theorems.profiles import PROFILES
from theorems._engine.watchdog import MEMORY_FLOOR, MEMORY_SHARE, default_memory_limit

__all__ = ["DEFAULT_REPORT", "build_parser"]

DEFAULT_REPORT = Path("reports/index.html")


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
    """The parser of ``theorems list|verify|check|audit|prove``."""
    parser = _Parser(prog="theorems", description="Executable theorems for the mathematics of deep learning.")
    parser.add_argument("--version", action="version", version=f"theorems {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    listing = commands.add_parser("list", help="one line per theorem: id, source problem, statement")
    listing.add_argument(
        "--contracts", action="store_true",
        help="print each theorem's contract for implementations, and the assumptions --assume accepts",
    )
    _verify_parser(commands)
    _check_parser(commands)
    _audit_parser(commands)
    _prove_parser(commands)
    return parser


def _run_options(command: argparse.ArgumentParser, *, report_default: Path | None) -> None:
    """The options of ``verify`` and ``check``: profile, examples, seed, outputs, cluster, database, memory."""
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


def _verify_parser(commands: Any) -> None:
    """``verify`` (``commands`` is what argparse's ``add_subparsers`` returned)."""
    verify = commands.add_parser("verify", help="check every theorem and every transcribed claim; write the report")
    _run_options(verify, report_default=DEFAULT_REPORT)
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


def _check_parser(commands: Any) -> None:
    """``check``: one theorem, the user's implementation, its domain and time limit."""
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
    _run_options(check, report_default=None)
    check.add_argument(
        "--save-counterexample", type=Path, metavar="PATH",
        help="when falsified, write the exact counterexample here (torch.save) and print three lines that load it and check an implementation on it",
    )


def _audit_parser(commands: Any) -> None:
    """``audit``: every class of a module against every theorem that takes classes (theorems.audit)."""
    audit = commands.add_parser("audit", help="check every Distribution and Transform class of a module against every theorem that takes classes")
    audit.add_argument("module", metavar="MODULE", help="the module whose classes are audited (e.g. pyro.distributions, mylib.dists)")
    audit.add_argument("--theorem", action="append", metavar="THEOREM", help="audit with this theorem only (repeatable; default: every one that takes classes)")
    audit.add_argument("--profile", choices=sorted(PROFILES), help="Hypothesis profile (default: ci)")
    audit.add_argument("--examples", type=_positive, metavar="N", help="generated examples per class and theorem (default: the profile's)")
    audit.add_argument("--json", type=Path, metavar="PATH", help="write the table as JSON")


def _prove_parser(commands: Any) -> None:
    """``prove``: the symbolic proofs."""
    prove = commands.add_parser("prove", help="prove each theorem that is an identity at fixed sizes with SymPy; refute the transcribed claims")
    prove.add_argument("theorems", nargs="*", metavar="THEOREM", help="prove only these theorems and their claims (default: all)")
    prove.add_argument("--json", type=Path, metavar="PATH", help="write the proofs as JSON")
