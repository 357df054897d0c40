"""What an implementation under test may not do to the process that checks it.

A check runs the implementation in the checker's own process (the command's child, a
user's pytest session), so the implementation can reach everything the verdict rests
on. :func:`guarded` wraps each call and turns every such reach into a falsification
instead of a silent pass:

- **ending the process.** ``sys.exit``, ``os._exit``, ``quit`` raise
  :class:`EndedProcess` while the call runs (``os._exit`` is replaced for its duration,
  so a Python-level exit cannot end a pytest session with status 0); ``SystemExit``,
  ``GeneratorExit``, a ``KeyboardInterrupt`` that no terminal sent and any other
  ``BaseException`` become :class:`Escaped`, which the caller reports. An exit from C
  (``libc._exit`` through ctypes) or a crash is beyond any in-process guard: the
  command's supervisor (:mod:`theorems._engine.watchdog`) reports it.
- **changing what a verdict depends on.** Before the call, the settings below are read;
  after it, each one that changed is put back and named in the falsification ("changed
  the default dtype from torch.float64 to torch.float32"). Code that needs another
  setting for a while uses a context manager (``torch.no_grad()``, ``np.errstate``),
  which leaves nothing behind.
- **random state.** The global generators (Python's, NumPy's, torch's) are restored
  after every call but not reported: drawing random numbers advances them (building an
  ``nn.Conv2d`` does), and that is a legitimate use; restoring them keeps a reseeding
  from steering anything the checker draws afterwards.

Reading and comparing all of it is timed by ``make bench``
(``test_benchmark_the_guard_around_one_call``), small beside an oracle.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["EndedProcess", "Escaped", "abandon", "guarded", "terminal_interrupts", "user_interrupted"]


class EndedProcess(BaseException):
    """The implementation called ``os._exit`` (or ``sys.exit``) while it was being checked."""


class Escaped(Exception):
    """The implementation raised a ``BaseException`` that is not an ``Exception``, or left the
    process changed; ``failure`` says which, in the words of a falsification."""

    def __init__(self, failure: str) -> None:
        super().__init__(failure)
        self.failure = failure


# --- Ctrl-C from a terminal versus a KeyboardInterrupt raised by the code under test -------

_INTERRUPTED = threading.Event()


def user_interrupted() -> bool:
    """Whether a SIGINT reached this process while :func:`terminal_interrupts` was in force."""
    return _INTERRUPTED.is_set()


@contextlib.contextmanager
def terminal_interrupts() -> Iterator[None]:
    """Tell a terminal's Ctrl-C from a ``raise KeyboardInterrupt`` in the implementation.

    Python turns SIGINT into KeyboardInterrupt in the main thread; this handler marks
    that it happened before raising it, so :func:`guarded` lets the user's interrupt
    through and reports any other as the implementation's. Outside the main thread no
    handler can be set, and none is needed: SIGINT is only ever delivered to the main
    thread, so a KeyboardInterrupt elsewhere was raised by code.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def interrupted(number: int, frame: Any) -> None:
        _INTERRUPTED.set()
        if callable(previous):
            previous(number, frame)
        raise KeyboardInterrupt

    _INTERRUPTED.clear()
    try:
        signal.signal(signal.SIGINT, interrupted)
    except ValueError:  # an embedding that forbids handlers: every interrupt counts as the user's
        _INTERRUPTED.set()
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# --- the settings a verdict depends on ------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One global setting: how to read it, how to put it back, and its name in a falsification."""

    name: str
    read: Callable[[], Any]
    write: Callable[[Any], None]


def _torch_settings(torch: Any) -> list[Setting]:
    backends = torch.backends
    settings = [
        Setting("the default dtype", torch.get_default_dtype, torch.set_default_dtype),
        Setting("grad mode", torch.is_grad_enabled, torch.set_grad_enabled),
        Setting("anomaly detection", torch.is_anomaly_enabled, torch.set_anomaly_enabled),
        Setting("deterministic algorithms", torch.are_deterministic_algorithms_enabled, torch.use_deterministic_algorithms),
        Setting("float32 matmul precision", torch.get_float32_matmul_precision, torch.set_float32_matmul_precision),
    ]
    for owner, attribute in ((backends.cuda.matmul, "allow_tf32"), (backends.cudnn, "allow_tf32"), (backends.cudnn, "deterministic"), (backends.cudnn, "benchmark")):
        settings.append(_attribute_setting(owner, attribute, f"torch.backends.{_backend_name(owner, backends)}.{attribute}"))
    return settings


def _backend_name(owner: Any, backends: Any) -> str:
    return "cuda.matmul" if owner is backends.cuda.matmul else "cudnn"


def _attribute_setting(owner: Any, attribute: str, name: str) -> Setting:
    return Setting(name, lambda: getattr(owner, attribute), lambda value: setattr(owner, attribute, value))


def _numpy_settings(numpy: Any) -> list[Setting]:
    return [Setting("NumPy's floating-point error handling (numpy.seterr)", numpy.geterr, lambda state: numpy.seterr(**state))]


def _settings() -> list[Setting]:
    """The settings of the modules loaded now (a module the process never imported has none to change)."""
    found: list[Setting] = []
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "get_default_dtype"):
        found += _torch_settings(torch)
    numpy = sys.modules.get("numpy")
    if numpy is not None and hasattr(numpy, "geterr"):
        found += _numpy_settings(numpy)
    return found


# --- the functions the oracles call ---------------------------------------------------------------

# The namespaces whose functions an oracle or the engine calls: replacing one of them
# (``torch.nn.functional.softplus = ...``) would change what the checker computes.
_NAMESPACES = (
    "builtins", "math", "os", "sys",
    "numpy", "numpy.linalg", "numpy.random",
    "scipy.special", "scipy.integrate", "scipy.stats", "scipy.linalg", "scipy.optimize",
    "torch", "torch.nn.functional", "torch.linalg", "torch.special", "torch.autograd", "torch.autograd.functional",
    "torch.distributions", "torch.distributions.kl",
    "mpmath",
)
# Classes whose methods the oracles call on every value (``torch.Tensor.__add__``).
_CLASSES = (("torch", "Tensor"), ("torch.nn", "Module"), ("numpy", "ndarray"))
# Names that a namespace rebinds by itself (caches, lazily loaded parts), never a function an oracle calls.
_VOLATILE = frozenset({"_", "__warningregistry__", "last_value", "last_type", "last_traceback", "last_exc", "ps1", "ps2"})


def _namespaces() -> list[tuple[str, dict[str, Any]]]:
    spaces = [(name, vars(sys.modules[name])) for name in _NAMESPACES if name in sys.modules]
    for module, name in _CLASSES:
        owner = getattr(sys.modules.get(module), name, None)
        if isinstance(owner, type):
            spaces.append((f"{module}.{name}", owner.__dict__))
    return spaces


def _callables(namespace: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in namespace.items() if callable(value) and name not in _VOLATILE}


# --- the guard ------------------------------------------------------------------------------------


@dataclass
class _Before:
    settings: list[tuple[Setting, Any]]
    functions: list[tuple[str, dict[str, Any], dict[str, Any]]]
    rng: list[tuple[Callable[[Any], None], Any]]


def _random_states() -> list[tuple[Callable[[Any], None], Any]]:
    states: list[tuple[Callable[[Any], None], Any]] = [(random.setstate, random.getstate())]
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        states.append((numpy.random.set_state, numpy.random.get_state()))
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "get_rng_state"):
        states.append((torch.set_rng_state, torch.get_rng_state()))
    return states


def _read() -> _Before:
    settings = [(setting, setting.read()) for setting in _settings()]
    # A plain copy of each namespace: copying and comparing dicts runs in C (equal values that
    # are the same object compare without calling __eq__), so a call that changed nothing costs
    # tens of microseconds; the callables are sorted out only when something differs.
    functions = [(name, namespace, dict(namespace)) for name, namespace in _namespaces()]
    return _Before(settings, functions, _random_states())


def _unchanged(namespace: Any, copy: dict[str, Any]) -> bool:
    try:
        return bool(namespace == copy) if isinstance(namespace, dict) else bool(dict(namespace) == copy)
    except Exception:  # a changed value whose comparison raises (an array): look name by name
        return False


def _restore(before: _Before) -> list[str]:
    """Put back everything ``before`` read; return what had changed, in words."""
    changed = []
    for setting, value in before.settings:
        now = setting.read()
        if now != value:
            setting.write(value)
            changed.append(f"changed {setting.name} from {value!r} to {now!r}")
    for space, namespace, copy in before.functions:
        if _unchanged(namespace, copy):
            continue
        for name, value in _callables(copy).items():
            now = namespace.get(name, _MISSING)
            if now is not value:
                _put_back(namespace, name, value)
                changed.append(f"replaced {space}.{name}" if now is not _MISSING else f"deleted {space}.{name}")
    for write, state in before.rng:
        write(state)
    return changed


_MISSING = object()


def _put_back(namespace: Any, name: str, value: Any) -> None:
    """A module's dict is writable; a class's ``__dict__`` is a read-only view, written through setattr."""
    if isinstance(namespace, dict):
        namespace[name] = value
        return
    owner = next(cls for cls in (getattr(sys.modules.get(m), n, None) for m, n in _CLASSES) if isinstance(cls, type) and cls.__dict__ is namespace)
    setattr(owner, name, value)


# --- calls that are reported whatever they leave behind -------------------------------------------

# (module, function, what calling it means). Ending the process raises instead of ending it;
# seeding a global generator is let through and reported: it would steer what the checker
# draws next, and no implementation of a formula needs it (drawing numbers is allowed).
_WATCHED = (
    ("os", "_exit", "exit"),
    ("posix", "_exit", "exit"),
    ("random", "seed", "seed"),
    ("random", "setstate", "seed"),
    ("numpy.random", "seed", "seed"),
    ("numpy.random", "set_state", "seed"),
    ("torch", "manual_seed", "seed"),
    ("torch", "seed", "seed"),
    ("torch", "set_rng_state", "seed"),
    ("torch.random", "manual_seed", "seed"),
    ("torch.random", "seed", "seed"),
    ("torch.random", "set_rng_state", "seed"),
)

_LOCK = threading.Lock()
_DEPTH = 0  # guarded calls running now, in any thread (a timed-out call may still run)
_ORIGINALS: dict[tuple[str, str], Any] = {}
_SEEN = threading.local()  # the watched calls made by the guarded call running in this thread


def _watcher(module: str, name: str, kind: str, original: Any) -> Callable[..., Any]:
    guarding = os.getpid()

    def watched(*arguments: Any, **keywords: Any) -> Any:
        if os.getpid() != guarding:  # a process the implementation forked ends as it means to
            return original(*arguments, **keywords)
        shown = ", ".join([*map(repr, arguments[:1]), *(f"{k}={v!r}" for k, v in keywords.items())])
        call = f"{module}.{name}({shown})"
        if kind == "exit":
            raise EndedProcess(f"called {call}")
        seen = getattr(_SEEN, "calls", None)
        if seen is not None:
            seen.append(f"reseeded a global random generator ({call})")
        return original(*arguments, **keywords)

    return watched


@contextlib.contextmanager
def _watching() -> Iterator[list[str]]:
    """The watched functions replaced while any guarded call runs; yields this thread's record."""
    global _DEPTH
    with _LOCK:
        if _DEPTH == 0:
            for module, name, kind in _WATCHED:
                owner = sys.modules.get(module)
                if owner is not None and hasattr(owner, name):
                    _ORIGINALS[module, name] = original = getattr(owner, name)
                    setattr(owner, name, _watcher(module, name, kind, original))
        _DEPTH += 1
    outer = getattr(_SEEN, "calls", None)
    _SEEN.calls = seen = []
    try:
        yield seen
    finally:
        _SEEN.calls = outer
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0:
                for (module, name), original in _ORIGINALS.items():
                    setattr(sys.modules[module], name, original)
                _ORIGINALS.clear()


_ABANDONED: set[int] = set()  # idents of threads whose guarded call the caller stopped waiting for


def abandon(thread: threading.Thread) -> None:
    """The caller stopped waiting for the guarded call running in ``thread`` (its time limit passed).

    When that call ends, minutes later perhaps, the process has moved on: putting back the
    settings and functions it saw at its start would undo whatever was set since (another
    test's patches, a later check's state). Its guard then restores nothing.
    """
    if thread.ident is not None:
        _ABANDONED.add(thread.ident)


def _restore_unless_abandoned(before: _Before) -> list[str]:
    if threading.get_ident() in _ABANDONED:
        _ABANDONED.discard(threading.get_ident())
        return []
    return _restore(before)


def guarded(call: Callable[[], Any], *, let_through: tuple[type[BaseException], ...] = ()) -> Any:
    """``call()``, with what it may not do turned into :class:`Escaped` (see the module's docstring).

    An ``Exception`` from the call, and any of ``let_through`` (the caller's own signals,
    such as a time limit's), propagate as they were; a terminal's Ctrl-C propagates as
    KeyboardInterrupt.
    """
    before = _read()  # before the watched functions are replaced, so that they compare as they were
    try:
        with _watching() as seen:
            returned = call()
    except (Exception, *let_through):
        _restore_unless_abandoned(before)
        raise
    except BaseException as error:
        _restore_unless_abandoned(before)
        if isinstance(error, KeyboardInterrupt) and user_interrupted():
            raise
        raise Escaped(_escape(error)) from None
    changed = list(dict.fromkeys([*seen, *_restore_unless_abandoned(before)]))  # once each, in the order they happened
    if changed:
        raise Escaped("left the process changed: " + "; ".join(changed) + " (restored)")
    return returned


def _escape(error: BaseException) -> str:
    """A BaseException that is not an Exception, as a falsification says it."""
    if isinstance(error, EndedProcess):
        return f"tried to end the process: {error}"
    if isinstance(error, SystemExit):
        return f"tried to end the process: raised SystemExit({error.code!r})"
    if isinstance(error, KeyboardInterrupt):
        return "raised KeyboardInterrupt (no terminal sent it)"
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"raised {type(error).__name__}, a BaseException that is not an Exception" + (f": {message}" if message else "")
