"""The one way a check calls an implementation under test.

:func:`call_implementation` calls it on an example's arguments and turns every way it
can fail into :class:`~theorems.evidence.Evidence` of a falsification, in one line: it
raised, it modified one of its arguments, it returned something that is not what the
contract says (:func:`real_scalar`, :func:`module`, :func:`tensor` describe what is
expected), or it did not return within the run's time limit.

The time limit (:func:`time_limit`, set by the engine, ``--timeout`` on the command
line) runs the call in a daemon thread and stops waiting after the limit: a Python
loop, ``time.sleep`` or a C extension that releases the GIL (torch, numpy, ctypes) ends
the check within the limit. The abandoned call is left to finish on its own; code that
holds the GIL forever cannot be interrupted from inside the process, so the command
line also runs a supervisor process (:mod:`theorems._engine.watchdog`) told of every call. Without a limit
(the property tests) the call runs in the caller's thread, with no overhead at all.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from theorems.evidence import Evidence, implementation_failure
from theorems.guard import Escaped, abandon, guarded

__all__ = [
    "DEFAULT_TIMEOUT",
    "DidNotReturn",
    "call_implementation",
    "first_line",
    "module",
    "real_scalar",
    "tensor",
    "time_limit",
]

# Seconds one call of a user's implementation may take by default (``--timeout``,
# ``timeout=``): a fold of resnet18 takes under a second here, a Gaussian KL
# microseconds; a call sixty times slower than anything the checks need is taken not to
# return. The project's own checks of its references run without a limit.
DEFAULT_TIMEOUT = 60.0

# Seconds one call of an implementation may take in the current run (None: no limit).
_TIME_LIMIT: contextvars.ContextVar[float | None] = contextvars.ContextVar("theorems_time_limit", default=None)

# A pipe to the command line's supervisor (theorems._engine.watchdog), told of each timed call.
_WATCHDOG: dict[str, int] = {}


def report_calls_to(fd: int) -> None:
    """Tell the supervisor at ``fd`` when each timed call starts and ends (``theorems check`` only)."""
    _WATCHDOG["fd"] = fd


def _tell_watchdog(message: str) -> None:
    fd = _WATCHDOG.get("fd")
    if fd is not None:
        try:
            os.write(fd, message.encode("utf-8", "replace"))
        except OSError:  # the supervisor is gone: nothing to tell
            _WATCHDOG.pop("fd", None)


class DidNotReturn(BaseException):
    """A call of the implementation did not return within the time limit.

    A ``BaseException``, not an ``Exception``, so that Hypothesis lets it through at once
    instead of shrinking: every shrink step could hang as long again. The engine turns it
    into the verdict "falsified: did not return within S s" on the example being run.
    """

    def __init__(self, seconds: float, example: str, theorem_id: str) -> None:
        super().__init__(f"did not return within {seconds:g} s")
        self.seconds = seconds
        self.example = example
        self.theorem_id = theorem_id

    def evidence(self) -> Evidence:
        return implementation_failure(self.theorem_id, self.example, str(self))


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Every call of an implementation inside the block may take at most ``seconds``."""
    if seconds is not None and not (isinstance(seconds, numbers.Real) and math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"timeout={seconds!r} must be a positive number of seconds")
    token = _TIME_LIMIT.set(seconds)
    try:
        yield
    finally:
        _TIME_LIMIT.reset(token)


def first_line(error: BaseException) -> str:
    """``Type: first line of the message``: an exception in one line."""
    message = str(error).strip()
    return f"{type(error).__name__}: {message}".split("\n")[0] if message else type(error).__name__


def _within_time_limit(call: Callable[[], Any], *, theorem_id: str, example: str) -> Any:
    seconds = _TIME_LIMIT.get()
    if seconds is None:
        return call()
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def run() -> None:
        try:
            outcome["value"] = context.run(call)
        except BaseException as error:  # handed back to the caller's thread as it was
            outcome["error"] = error

    worker = threading.Thread(target=run, name=f"theorems: {theorem_id}", daemon=True)
    _tell_watchdog(f"B {seconds!r}\t{' '.join(example.split())}\n")
    worker.start()
    worker.join(seconds)
    _tell_watchdog("E\n")
    if worker.is_alive():
        abandon(worker)  # whatever it does when it ends, it must not put back what it saw at its start
        raise DidNotReturn(seconds, example, theorem_id)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _timed_and_guarded(call: Callable[[], Any], *, theorem_id: str, example: str) -> Any:
    """``call()`` under the run's time limit, with the process guarded from it (:mod:`theorems.guard`)."""
    # Guarded inside the thread that runs the call: grad mode and NumPy's error state are
    # that thread's own, so a change is only seen there.
    return _within_time_limit(lambda: guarded(call), theorem_id=theorem_id, example=example)


# --- what a contract expects of the returned value: (value, None) or (None, what is wrong) ---


def real_scalar(returned: Any) -> tuple[float | None, str | None]:
    """A real number: a Python or numpy scalar, a 0-d array or a one-element 0-d tensor (NaN is left to the check)."""
    import numpy as np

    value = returned.detach().cpu().numpy() if hasattr(returned, "detach") else returned  # a torch tensor
    array = np.asarray(value)
    if array.ndim != 0 or not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        return None, f"returned {type(returned).__name__} {np.shape(returned)}, expected a real scalar"
    return float(array), None


def module(returned: Any) -> tuple[Any, str | None]:
    """A ``torch.nn.Module``."""
    from torch import nn

    if not isinstance(returned, nn.Module):
        return None, f"returned {type(returned).__name__}, expected an nn.Module"
    return returned, None


def tensor(*, dtype: Any = None, dim: int | None = None) -> Callable[[Any], tuple[Any, str | None]]:
    """A ``torch.Tensor``, of ``dtype`` and with ``dim`` dimensions where given."""

    def expect(returned: Any) -> tuple[Any, str | None]:
        import torch

        if not isinstance(returned, torch.Tensor):
            return None, f"returned {type(returned).__name__}, expected a torch.Tensor"
        if dim is not None and returned.dim() != dim:
            return None, f"returned a {returned.dim()}-D tensor, expected {dim}-D"
        if dtype is not None and returned.dtype != dtype:
            return None, f"returned dtype {returned.dtype}, expected {dtype}"
        return returned, None

    return expect


# --- arguments: a snapshot before the call, compared after it ------------------------------


def _snapshot(argument: Any) -> Any:
    """A copy of what the implementation may modify (arrays, lists, tensors, modules); None otherwise."""
    import numpy as np

    if isinstance(argument, np.ndarray):
        return argument.copy()
    if isinstance(argument, list):
        return list(argument)
    torch = sys.modules.get("torch")  # a torch object can only exist once torch is imported
    if torch is None:
        return None
    if isinstance(argument, torch.Tensor):
        return argument.detach().clone()
    if isinstance(argument, torch.nn.Module):
        # A digest per tensor, not a copy: a network's copy would double the check's memory
        # (a 134 MB layer of the notes' network in float64); a change that keeps the digest
        # would need a SHA-256 collision.
        return argument.training, {k: _digest(v) for k, v in argument.state_dict().items()}
    return None


def _digest(tensor: Any) -> tuple[Any, Any, bytes]:
    """Shape, dtype and SHA-256 of the bytes of ``tensor``: equal exactly when the tensor is unchanged.

    SHA-256, not BLAKE2b: with the CPU's SHA instructions it hashed 134 MB in 0.10 s against
    BLAKE2b's 0.18 s here, and a whole network is hashed before and after every call.
    """
    import hashlib

    import torch

    flat = tensor.detach().cpu().contiguous().reshape(-1)
    data = flat.view(torch.uint8).numpy() if flat.numel() else b""
    return tuple(tensor.shape), tensor.dtype, hashlib.sha256(data).digest()


def _modification(before: Any, argument: Any, name: str) -> str | None:
    """``name`` (or ``name.key``) if ``argument`` changed since ``before``; None if it did not."""
    if before is None:
        return None
    import numpy as np

    if isinstance(before, np.ndarray):
        same = before.shape == argument.shape and np.array_equal(before, argument, equal_nan=True)
        return None if same else name
    if isinstance(before, list):
        return None if before == argument else name
    import torch

    if isinstance(before, torch.Tensor):
        same = before.shape == argument.shape and torch.equal(before.nan_to_num(), argument.detach().nan_to_num())
        return None if same else name
    training, state = before
    if argument.training != training:
        return f"{name}.training"
    now = argument.state_dict()
    for key, digest in state.items():
        if key not in now or _digest(now[key]) != digest:
            return f"{name}.{key}"
    return None


def call_implementation(
    theorem_id: str,
    example: str,
    implementation: Callable[..., Any],
    arguments: Sequence[Any],
    names: Sequence[str],
    *,
    expect: Callable[[Any], tuple[Any, str | None]] | None = None,
    then: Callable[[Any], Any] | None = None,
    then_failure: Callable[[BaseException], str] = lambda error: f"returned a value that raised {first_line(error)}",
) -> Any:
    """``implementation(*arguments)`` checked against its contract, or Evidence of how it failed.

    ``expect`` validates (and may convert) the returned value; ``then`` runs on the
    validated value under the same time limit (for a fold, the folded module on the
    input) and its exceptions count as the implementation's too, in the words of
    ``then_failure``. Returns what ``then``
    returned (or the validated value) on success, and :class:`Evidence` otherwise.
    Raises :class:`DidNotReturn` past the time limit.
    """
    before = [_snapshot(argument) for argument in arguments]
    try:
        returned = _timed_and_guarded(lambda: implementation(*arguments), theorem_id=theorem_id, example=example)
    except Escaped as escaped:  # it tried to end the process, or left it changed
        return implementation_failure(theorem_id, example, escaped.failure)
    except Exception as error:  # the implementation under test may fail in any way
        # Its frames go with it: a MemoryError's frames hold what filled the memory.
        error.__traceback__ = None
        return implementation_failure(theorem_id, example, f"raised {first_line(error)}")
    for snapshot, argument, name in zip(before, arguments, names):
        changed = _modification(snapshot, argument, name)
        if changed is not None:
            return implementation_failure(theorem_id, example, f"modified its argument {changed}")
    value = returned
    if expect is not None:
        value, problem = expect(returned)
        if problem is not None:
            return implementation_failure(theorem_id, example, problem)
    if then is None:
        return value
    try:
        return _timed_and_guarded(lambda: then(value), theorem_id=theorem_id, example=example)
    except Escaped as escaped:
        return implementation_failure(theorem_id, example, escaped.failure)
    except Exception as error:  # the returned object is the implementation's too
        return implementation_failure(theorem_id, example, then_failure(error).split("\n")[0])
