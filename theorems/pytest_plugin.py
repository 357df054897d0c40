"""The project's pytest plugin (registered through the ``pytest11`` entry point).

``pytest --theorems-report PATH`` writes, at the end of the session, an HTML report of
every check the session's tests made (:func:`theorems.check`, :func:`theorems.assert_holds`),
each named with the test that made it: the user's own implementations, nothing else.
``--theorems-verify`` adds the library's own verification: one test per theorem (its
reference implementation must hold) and one per transcribed claim of the notes (it must
be falsified), run by the same engine as ``theorems verify`` under one of the project's
own profiles (``--theorems-profile``; default: ``--hypothesis-profile`` when it names
one of them, else ``ci`` under ``CI`` and ``dev`` otherwise), never under a host
project's Hypothesis profile (whose deadline would turn a slow example into an error),
and writes the same HTML report to ``PATH`` at the end of the
session. ``--theorems-database LOCATION`` (``redis://HOST:PORT/N`` or a folder, as
``theorems verify --database``; ``--theorems-database-read-only`` as its read-only form)
shares counterexamples: the project's Hypothesis profile loaded for the session uses that
database, so every property test saves its failures there and replays them first, and the
verification items use it too. It works under pytest-xdist: each result travels from the worker on its test
report, and the controller writes the report. Each test also records its verdict,
examples, worst ratio and counterexample as properties, so pytest's own
``--junitxml`` carries them. Without the option the plugin does nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

__all__ = ["VerificationItem"]

OPTION = "--theorems-report"
RESULT_ATTRIBUTE = "theorems_result"
# The user's checks made during one test phase, carried on its report (as the items' results are).
CHECKS_ATTRIBUTE = "theorems_checks"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("theorems", "theorem verification report")
    group.addoption(
        OPTION,
        dest="theorems_report",
        metavar="PATH",
        default=None,
        help="write an HTML report of every theorems.check and assert_holds made by the session's tests to PATH",
    )
    group.addoption(
        "--theorems-verify",
        dest="theorems_verify",
        action="store_true",
        help="also check every theorem of the library and every transcribed claim (one test each), and add them to the report",
    )
    group.addoption(
        "--theorems-profile",
        dest="theorems_profile",
        metavar="NAME",
        choices=("dev", "ci", "thorough"),
        default=None,
        help="the project profile of the verification items (default: --hypothesis-profile if it is dev, ci or thorough)",
    )
    group.addoption(
        "--theorems-examples",
        dest="theorems_examples",
        metavar="N",
        type=int,
        default=None,
        help="generated examples per theorem check (default: the Hypothesis profile's)",
    )
    group.addoption(
        "--theorems-database",
        dest="theorems_database",
        metavar="LOCATION",
        default=None,
        help="share counterexamples in this Hypothesis example database (redis://HOST:PORT/N or a folder): "
        "the property tests and the verification items replay it first and save their failures there",
    )
    group.addoption(
        "--theorems-database-read-only",
        dest="theorems_database_read_only",
        action="store_true",
        help="replay --theorems-database but save failures only in .hypothesis/examples (pull requests)",
    )


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("theorems_report", None))


def _verifying(config: pytest.Config) -> bool:
    return bool(config.getoption("theorems_verify", False))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    _share_database(config)
    if not _enabled(config) and not _verifying(config):
        return
    if _enabled(config):
        _require(config, "report", f"the report ({OPTION})")
        config.pluginmanager.register(_UserChecks(), "theorems-user-checks")
    if _is_worker(config):
        config._theorems_seed = config.workerinput.get("theorems_seed")  # type: ignore[attr-defined]
    else:
        # One seed for the whole session, handed to xdist workers, so the report names it.
        config._theorems_seed = random.SystemRandom().randrange(2**32)  # type: ignore[attr-defined]
        config._theorems_results = {}  # type: ignore[attr-defined]
        config._theorems_checks = []  # type: ignore[attr-defined]
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(_XdistSeed(config), "theorems-xdist-seed")


def _share_database(config: pytest.Config) -> None:
    """Re-register the loaded project profile with ``--theorems-database`` (after Hypothesis's own
    plugin has loaded ``--hypothesis-profile``): every property test then replays it first."""
    location = config.getoption("theorems_database", None)
    if location is None:
        return
    from hypothesis import settings

    from theorems._engine.database import SharedDatabase
    from theorems.profiles import loaded_profile_name, profile_settings
    from theorems.theorem import InvalidInput

    if location.startswith("redis://"):
        _require(config, "cluster", "a Redis example database (--theorems-database redis://…)")
    try:
        shared = SharedDatabase(location, read_only=config.getoption("theorems_database_read_only", False))
        database = shared.open()
    except InvalidInput as error:
        raise pytest.UsageError(str(error)) from None
    config._theorems_database = database  # type: ignore[attr-defined]
    name = loaded_profile_name()
    settings.register_profile(name, settings(profile_settings(name), database=database))
    settings.load_profile(name)


def _require(config: pytest.Config, extra: str, feature: str) -> None:
    """pytest's one-line usage error (exit status 4) when ``feature``'s extra is missing."""
    from theorems.extras import MissingExtra, require

    try:
        require(extra, feature)
    except MissingExtra as missing:
        raise pytest.UsageError(str(missing)) from None


class _UserChecks:
    """Hears each :func:`theorems.check` of this process and carries it on the report of the test phase that made it."""

    def __init__(self) -> None:
        from theorems import api

        self.heard: list[dict[str, Any]] = []
        api.LISTENERS.append(self.hear)

    def hear(self, verdict: Any) -> None:
        self.heard.append({"result": verdict.result.to_dict(), "profile": verdict.profile})

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        from theorems import api

        api.LISTENERS.remove(self.hear)  # a session run inside another (pytester) leaves nothing behind

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        if self.heard:
            for check in self.heard:
                check["test"] = item.nodeid
            setattr(outcome.get_result(), CHECKS_ATTRIBUTE, json.dumps(self.heard))
            self.heard = []


class _XdistSeed:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["theorems_seed"] = self.config._theorems_seed  # type: ignore[attr-defined]


class VerificationFailure(Exception):
    """A theorem did not hold, or a claim was not falsified; the message is for a person."""


class VerificationCollector(pytest.Collector):
    """Parent node of the verification tests (they come from the registry, not from a file)."""

    def collect(self) -> list[pytest.Item]:
        return []


class VerificationItem(pytest.Item):
    """One theorem (must hold) or one transcribed claim (must be falsified)."""

    def __init__(self, *, kind: str, key: str, **options: Any) -> None:
        super().__init__(**options)
        self.kind = kind
        self.key = key
        self.result: Any = None

    def runtest(self) -> None:
        from theorems._engine.verify import ClaimTask, TheoremTask
        from theorems.profiles import profile_settings

        profile = _profile_name(self.config)
        examples = self.config.getoption("theorems_examples", None)
        seed = None if profile_settings(profile).derandomize else getattr(self.config, "_theorems_seed", None)
        task = TheoremTask(self.key, examples) if self.kind == "theorem" else ClaimTask(self.key, examples)
        self.result = task.run(profile, seed, database=getattr(self.config, "_theorems_database", None))
        run = self.result.run
        for name, value in (
            ("verdict", run.verdict),
            ("examples", run.examples),
            ("worst_ratio", run.worst_ratio),
            ("seconds", round(run.seconds, 4)),
            ("counterexample", run.counterexample.explain() if run.counterexample else None),
            ("replay", run.replay),
        ):
            if value is not None:
                self.user_properties.append((name, value))
        if not self.result.passed:
            wanted = "hold" if self.kind == "theorem" else "be falsified"
            lines = [f"{self.kind} {self.key} must {wanted}; verdict: {run.verdict}"]
            if run.error:
                lines.append(run.error)
            if run.counterexample:
                lines.append(run.counterexample.explain())
            if run.replay:
                lines.append(f"replay: {run.replay}")
            raise VerificationFailure("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, VerificationFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{self.kind} {self.key}"


def _profile_name(config: pytest.Config) -> str:
    """``--theorems-profile``, else the host's ``--hypothesis-profile`` if it is one of the project's, else the default."""
    from theorems.profiles import PROFILES, default_profile_name

    chosen = config.getoption("theorems_profile", None)
    if chosen:
        return chosen
    try:
        host = config.getoption("hypothesis_profile")
    except ValueError:  # Hypothesis's pytest plugin is not loaded
        host = None
    return host if host in PROFILES else default_profile_name()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _verifying(config):
        return
    from theorems._engine.registry import all_claims, all_theorems

    parent = VerificationCollector.from_parent(session, name="theorems-verification")
    for theorem in all_theorems():
        items.append(VerificationItem.from_parent(parent, name=f"theorem[{theorem.id}]", kind="theorem", key=theorem.id))
    for claim in all_claims():
        items.append(VerificationItem.from_parent(parent, name=f"claim[{claim.id}]", kind="claim", key=claim.id))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    if isinstance(item, VerificationItem) and call.when == "call" and item.result is not None:
        # A plain attribute of the report travels from xdist workers to the controller.
        setattr(outcome.get_result(), RESULT_ATTRIBUTE, json.dumps({"kind": item.kind, "result": item.result.to_dict()}))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONTROLLER.get("config")
    if config is None:
        return
    payload = getattr(report, RESULT_ATTRIBUTE, None)
    if payload is not None:
        config._theorems_results[report.nodeid] = json.loads(payload)  # type: ignore[attr-defined]
    checks = getattr(report, CHECKS_ATTRIBUTE, None)
    if checks is not None:
        config._theorems_checks.extend(json.loads(checks))  # type: ignore[attr-defined]


_CONTROLLER: dict[str, pytest.Config] = {}


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if _enabled(session.config) and not _is_worker(session.config):
        _CONTROLLER["config"] = session.config


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not _enabled(config) or _is_worker(config):
        return
    _CONTROLLER.pop("config", None)
    from theorems._engine.verify import assemble
    from theorems.profiles import profile_settings
    from theorems._engine.registry import all_claims, all_theorems
    from theorems._engine.report_context import report_context
    from theorems.report.html import write_html
    from theorems.results import ClaimResult, TheoremResult

    collected = config._theorems_results  # type: ignore[attr-defined]
    by_kind: dict[str, dict[str, Any]] = {"theorem": {}, "claim": {}}
    for payload in collected.values():
        result = TheoremResult.from_dict(payload["result"]) if payload["kind"] == "theorem" else ClaimResult.from_dict(payload["result"])
        key = result.theorem_id if payload["kind"] == "theorem" else result.claim_id
        by_kind[payload["kind"]][key] = result
    # Registry order, as `theorems verify` writes it; checks that did not run are left out.
    theorems = tuple(by_kind["theorem"][t.id] for t in all_theorems() if t.id in by_kind["theorem"])
    claims = tuple(by_kind["claim"][c.id] for c in all_claims() if c.id in by_kind["claim"])
    checks = tuple(_named_by_its_test(check) for check in config._theorems_checks)  # type: ignore[attr-defined]
    if _verifying(config):
        profile = _profile_name(config)
        everything = len(theorems) == len(all_theorems()) and len(claims) == len(all_claims())
        scope = "full" if everything and not checks else "only"
    else:  # the user's checks only: each ran under its own profile (theorems.check's, ci unless it said otherwise)
        profiles = sorted({check["profile"] for check in config._theorems_checks})  # type: ignore[attr-defined]
        profile, scope = (profiles[0] if len(profiles) == 1 else "ci"), "check"
    seed = None if profile_settings(profile).derandomize else getattr(config, "_theorems_seed", None)
    verification = assemble(
        theorems + checks, claims, scope=scope, profile=profile, seed=seed,
        max_examples=config.getoption("theorems_examples", None), command=" ".join(["pytest", *config.invocation_params.args]),
    )
    path = write_html(verification, Path(config.getoption("theorems_report")), report_context(verification))
    config._theorems_written = (path, theorems, claims, checks)  # type: ignore[attr-defined]


def _named_by_its_test(check: dict[str, Any]) -> Any:
    """The check's result, its implementation named with the test that made it (``fold_bn in tests/test_x.py::test_y``)."""
    import dataclasses

    from theorems.results import TheoremResult

    result = TheoremResult.from_dict(check["result"])
    return dataclasses.replace(result, implementation=f"{result.implementation} in {check['test']}")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    written = getattr(config, "_theorems_written", None)
    if written is None:
        return
    path, theorems, claims, checks = written
    if theorems or claims:  # the library's own verification (--theorems-verify)
        verdict = "passed" if all(result.passed for result in (*theorems, *claims)) else "FAILED"
        terminalreporter.write_line(f"theorems report ({verdict}: {len(theorems)} theorems, {len(claims)} claims): {path}")
    # The user's checks: a falsified one may be just what its test expected, so they are counted, not judged.
    holding = sum(result.passed for result in checks)
    terminalreporter.write_line(f"theorems report: {len(checks)} checks made by the tests ({holding} hold, {len(checks) - holding} do not): {path}")
