"""Check your own implementation from Python: :func:`check` and :func:`assert_holds`.

    >>> import theorems
    >>> from torch.nn.utils.fusion import fuse_conv_bn_eval
    >>> verdict = theorems.check("fold-conv", fuse_conv_bn_eval, assume={"dims": 2}, examples=10)
    >>> verdict.holds
    True
    >>> verdict  # doctest: +ELLIPSIS
    <Verdict fold-conv on torch.nn.utils.fusion:fuse_conv_bn_eval on the restricted domain dims=2: holds on all ... generated examples (ci profile, ...>

Both run the theorem's own check under one of the project's profiles (``ci`` by
default: derandomized, no deadline, the theorem's share of examples), whatever
Hypothesis profile the calling project has loaded, so one line in a user's pytest
suite behaves as ``theorems check`` does on the command line.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from theorems.calling import DEFAULT_TIMEOUT
from theorems.evidence import Evidence
from theorems.results import RECORDED_COUNTEREXAMPLE, TheoremResult

if TYPE_CHECKING:  # annotations only: the engine (and torch) load when a check runs, not on import
    from theorems._engine.database import SharedDatabase
    from theorems.theorem import Theorem

__all__ = ["LISTENERS", "Verdict", "assert_holds", "check", "verdict_of"]

# Told of every verdict :func:`check` returns (the pytest plugin's ``--theorems-report`` collects them).
LISTENERS: list[Callable[[Verdict], None]] = []


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one implementation against one theorem.

    ``holds`` is True when every generated example held; ``counterexample`` is the
    minimal falsifying example Hypothesis shrank to (the theorem's own example type, e.g.
    a ``FoldCase``), or None; ``evidence`` is the :class:`~theorems.evidence.Evidence` on
    it (both sides, the error, the tolerance and why), or, when the theorem holds, on
    the generated example closest to its tolerance. ``explain()`` says all of it in words.
    """

    result: TheoremResult
    profile: str
    # The lines that load a saved counterexample and check an implementation on it (``save=``).
    saved: str | None = None

    @property
    def theorem_id(self) -> str:
        return self.result.theorem_id

    @property
    def holds(self) -> bool:
        return self.result.run.verdict == "holds"

    @property
    def error(self) -> str | None:
        """Set when the check itself could not run (nothing was learned about the implementation)."""
        return self.result.run.error

    @property
    def counterexample(self) -> Any:
        return self.result.run.example

    @property
    def evidence(self) -> Evidence | None:
        return self.result.run.worst

    @property
    def examples(self) -> int:
        return self.result.run.examples

    @property
    def assumptions(self) -> dict[str, str]:
        return dict(self.result.assumptions)

    def explain(self) -> str:
        """The verdict in plain words; for a falsified one, the minimal counterexample and a replay line."""
        run = self.result.run
        domain = f" on the restricted domain {', '.join(f'{n}={v}' for n, v in self.result.assumptions)}" if self.result.assumptions else ""
        head = f"{self.theorem_id} on {self.result.implementation}{domain}:"
        if run.verdict == "holds":
            worst = run.worst
            detail = f"; worst error {worst.error:.3g} vs tolerance {worst.tolerance:.3g} (ratio {worst.ratio:.3g})" if worst else ""
            rejected = f", {run.rejected} more drawn and not checked" if run.rejected else ""
            return f"{head} holds on all {run.examples} generated examples{rejected} ({self.profile} profile, {run.seconds:.1f} s){detail}"
        if run.verdict == "error":
            return f"{head} ERROR: the check itself failed, so nothing was learned about the implementation\n  {run.error}"
        evidence = run.counterexample
        hung = evidence is not None and "did not return" in (evidence.failure or "")
        recorded = run.representation == RECORDED_COUNTEREXAMPLE
        if recorded:  # every generated example held; a real library's recorded counterexample did not
            lines = [f"{head} FALSIFIED on a counterexample recorded for this theorem, after all {run.examples} generated examples held ({self.profile} profile, {run.seconds:.1f} s)"]
        else:
            lines = [f"{head} FALSIFIED after {run.examples} generated examples ({self.profile} profile, {run.seconds:.1f} s)"]
        if evidence is not None and evidence.failure is not None:
            lines.append(f"  on a valid input, the implementation {evidence.failure}")
        if hung:
            lines.append("the example it did not return on (not shrunk: each smaller one could hang as long):")
        elif recorded:
            lines.append("the recorded counterexample (the theorem's findings):")
        else:
            lines.append("minimal counterexample (shrunk by Hypothesis):")
        if evidence is not None:
            lines += ["  " + line for line in evidence.explain().splitlines()]
        if run.replay:
            lines.append(f"replay: {run.replay}")
        if run.reproduction:
            lines.append(f"or, in a Hypothesis test @given({self._strategy()}), decorate it with: {run.reproduction}")
        if self.saved:
            lines.append("the exact counterexample, saved; in Python:")
            lines += ["  " + line for line in self.saved.splitlines()]
        return "\n".join(lines)

    def save(self, path: str | os.PathLike[str], implementation: str) -> Verdict:
        """Write the counterexample, exactly as the check drew it, to ``path`` (``torch.save``).

        Returns this verdict with :attr:`saved` set: three lines that load it and check
        ``implementation`` (a name in the caller's namespace) on it again. Raises ``ValueError``
        when there is no counterexample in this process (the verdict holds, or a worker of a
        cluster found it) or it cannot be pickled, ``OSError`` when ``path`` cannot be written.
        """
        import io

        import torch

        from theorems.files import write_atomically

        if self.holds or self.counterexample is None:
            raise ValueError("there is no counterexample in this process to save (the theorem holds, or another process found it)")
        serialised = io.BytesIO()
        try:
            torch.save(self.counterexample, serialised)
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            raise ValueError(f"the counterexample cannot be saved: {error}") from None
        path = write_atomically(path, serialised.getvalue())  # whole or not at all, as the report
        snippet = (
            "import theorems, torch\n"
            f"example = torch.load({str(path)!r}, weights_only=False)  # a {type(self.counterexample).__name__}\n"
            f"print(theorems.get_theorem({self.theorem_id!r}).check({implementation}, example).explain())"
        )
        return dataclasses.replace(self, saved=snippet)

    def __str__(self) -> str:
        return self.explain()

    def __repr__(self) -> str:
        """The verdict's first line (the dataclass's own repr would print every example's evidence)."""
        return f"<Verdict {self.explain().splitlines()[0]}>"

    def _strategy(self) -> str:
        """The strategy call that drew the examples (the reproduction blob replays it)."""
        from theorems._engine.registry import get_theorem

        module, _, name = get_theorem(self.theorem_id).examples.partition(":")
        keywords = ", ".join(f"{n}={_literal(v)}" for n, v in self.result.assumptions)
        return f"{module}.{name}({keywords})"


def _literal(spelled: str) -> str:
    """An assumption's value as Python source: ``2``, ``True``, ``'float32'``."""
    if spelled in ("true", "false"):
        return spelled.capitalize()
    return spelled if spelled.isdigit() else repr(spelled)


def _positive_int(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


def check(
    theorem_id: str,
    implementation: Callable[..., Any],
    *,
    examples: int | None = None,
    profile: str = "ci",
    assume: dict[str, Any] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    seed: int | None = None,
    save: str | os.PathLike[str] | None = None,
) -> Verdict:
    """Check ``implementation`` against the theorem ``theorem_id`` (see ``theorems list --contracts``).

    ``examples`` caps the generated examples (default: the profile's share for this
    theorem); ``profile`` is ``"dev"``, ``"ci"`` (derandomized) or ``"thorough"``;
    ``assume`` restricts the generated domain (``{"dims": 2, "dtype": "float32"}``;
    ``theorems list --contracts`` lists each theorem's names and values); ``timeout``
    is the most seconds one call may take (None: no limit); ``seed`` fixes the examples
    of a randomized profile. Raises ``ValueError`` (:class:`~theorems.theorem.InvalidInput`)
    for an unknown theorem or assumption, or an implementation that cannot take the
    contract's arguments, before any example runs. ``save`` is a path where a falsified
    verdict's counterexample is written (:meth:`Verdict.save`; ``explain()`` then says how
    to load it).
    """
    from theorems._engine.plan import draw_seed
    from theorems._engine.preconditions import require_consistent, require_signature
    from theorems._engine.registry import get_theorem
    from theorems.profiles import profile_settings

    theorem = get_theorem(theorem_id)
    profile_settings(profile)  # an unknown profile is refused here, by name
    examples = _positive_int("examples", examples)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"seed={seed!r} must be an integer")
    name = getattr(implementation, "__qualname__", None) or repr(implementation)
    require_signature(theorem, implementation, name)
    parsed = theorem.parse_assumptions(assume)
    require_consistent(theorem, parsed)
    verdict = verdict_of(
        theorem, implementation, profile=profile, examples=examples,
        seed=seed if seed is not None else draw_seed(profile), assume=parsed, timeout=timeout,
    )
    if save is not None and not verdict.holds and verdict.counterexample is not None:
        verdict = verdict.save(save, getattr(implementation, "__name__", "implementation"))
    for listener in LISTENERS:
        listener(verdict)
    return verdict


def verdict_of(
    theorem: Theorem,
    implementation: Callable[..., Any],
    *,
    target: str | None = None,
    profile: str,
    examples: int | None,
    seed: int | None,
    assume: dict[str, Any],
    timeout: float | None,
    database: SharedDatabase | None = None,
    cluster: Any = None,
) -> Verdict:
    """The one run behind :func:`check` and ``theorems check``, once each has validated its arguments
    (in its own words: a ``ValueError`` here, a usage error on the command line).

    ``implementation`` (named ``target``: ``MODULE:ATTR`` or ``FILE.py:ATTR``; None: by its import)
    is checked against ``theorem`` in this process, or on a Dask ``cluster``
    (:class:`theorems._engine.cluster.Cluster`) by a worker that imports it as ``target`` names it;
    ``assume`` is parsed already, ``seed`` drawn already (:func:`theorems._engine.plan.draw_seed`);
    ``database`` shares the counterexamples (opened here, or by the cluster's workers).
    """
    from theorems._engine.checks import check_implementation
    from theorems._engine.verify import UserTask

    if cluster is None:
        result = check_implementation(
            theorem, implementation, target=target, profile=profile, max_examples=examples, seed=seed, assume=assume, timeout=timeout,
            database=database and database.open(),
        )
    else:
        task = UserTask.named(theorem.id, target or "", max_examples=examples, assume=assume, timeout=timeout)
        result = next(iter(cluster.run([task], profile=profile, seed=seed, database=database)))
    return Verdict(result, profile)


def assert_holds(
    theorem_id: str,
    implementation: Callable[..., Any],
    *,
    examples: int | None = None,
    profile: str = "ci",
    assume: dict[str, Any] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    seed: int | None = None,
    save: str | os.PathLike[str] | None = None,
) -> Verdict:
    """:func:`check`, raising ``AssertionError`` with :meth:`Verdict.explain` unless the theorem holds.

    One line in a pytest suite, in the manner of ``torch.testing.assert_close``::

        def test_my_fold_is_right():
            theorems.assert_holds("fold-conv", my_fold, assume={"dims": 2})
    """
    __tracebackhide__ = True  # pytest shows the caller's line and the explanation, not this frame
    verdict = check(theorem_id, implementation, examples=examples, profile=profile, assume=assume, timeout=timeout, seed=seed, save=save)
    if not verdict.holds:
        raise AssertionError(verdict.explain())
    return verdict
