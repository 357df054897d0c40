"""A Hypothesis example database shared by every machine that checks: Redis, or a folder.

A counterexample found anywhere (a worker of a Dask cluster, a CI job, a developer's
laptop) is saved under a key naming the theorem, the implementation and the assumptions,
and every later run of that same check, anywhere, replays it first (Hypothesis's
``reuse`` phase): the second run of a falsified implementation is falsified by its first
example. The stores are Hypothesis's own: ``hypothesis.extra.redis.RedisExampleDatabase``
for ``redis://HOST:PORT/N`` and ``DirectoryBasedExampleDatabase`` for a folder (a network
file system, or one machine).

Read-only use follows Hypothesis's recipe for a shared database
(``MultiplexedDatabase(local, ReadOnlyDatabase(shared))``): the shared examples are
replayed, and what this run finds is saved only in ``.hypothesis/examples`` here, so a
pull request's run cannot write its branch's failures into everyone's database.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase, MultiplexedDatabase, ReadOnlyDatabase

from theorems.theorem import InvalidInput

__all__ = ["LOCAL_EXAMPLES", "FallingBack", "SharedDatabase", "database_key"]

# Where a read-only run keeps what it finds (Hypothesis's own default folder).
LOCAL_EXAMPLES = Path(".hypothesis/examples")

# Seconds to wait for Redis before calling the address unreachable: a shared database
# that does not answer is a usage error reported at once, not a hang at the first example.
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class SharedDatabase:
    """Where the examples are shared (``redis://HOST:PORT/N`` or a folder) and whether this run may write there.

    A plain value, so that it travels to worker processes and Dask workers, which open it
    themselves (:meth:`open`, once per process).
    """

    location: str
    read_only: bool = False

    def __post_init__(self) -> None:
        if _is_url(self.location):
            _redis_address(self.location)  # fails now, with one line, on a malformed URL

    def open(self) -> ExampleDatabase:
        """The Hypothesis database (one per process and setting); InvalidInput if it cannot be reached."""
        return _opened(self.location, self.read_only)


def _is_url(location: str) -> bool:
    return "://" in location


def _redis_address(url: str) -> tuple[str, int, int]:
    """(host, port, database number) of ``redis://HOST:PORT/N``; InvalidInput naming what is wrong."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "redis":
        raise InvalidInput(f"--database={url!r} is not a redis:// URL or a folder; expected redis://HOST:PORT/N or a path")
    try:
        port = parsed.port or 6379
    except ValueError:
        raise InvalidInput(f"--database={url!r} has a port that is not a number in 0-65535") from None
    number = parsed.path.strip("/") or "0"
    if not parsed.hostname or not number.isdigit():
        raise InvalidInput(f"--database={url!r} is malformed; expected redis://HOST:PORT/N (N a database number)")
    return parsed.hostname, port, int(number)


@functools.lru_cache(maxsize=None)
def _opened(location: str, read_only: bool) -> ExampleDatabase:
    shared = _redis(location) if _is_url(location) else _folder(location)
    if not read_only:
        return shared
    return MultiplexedDatabase(DirectoryBasedExampleDatabase(LOCAL_EXAMPLES), ReadOnlyDatabase(shared))


def _redis(url: str) -> ExampleDatabase:
    """Hypothesis's Redis database, after one round trip (an unreachable server is reported now)."""
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError as error:  # the redis client is a dependency; a broken install says so
        raise InvalidInput(f"--database={url!r} needs the redis package: {error}") from None
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    host, port, number = _redis_address(url)
    # The first contact is not retried (the client's default backs off for seconds on a
    # refused connection); the database's own client keeps the default retries for a run.
    probe = redis.Redis(host=host, port=port, db=number, socket_connect_timeout=CONNECT_TIMEOUT, retry=Retry(NoBackoff(), 0))
    try:
        probe.ping()
    except redis.RedisError as error:
        raise InvalidInput(f"--database={url!r}: cannot reach Redis at {host}:{port}: {error}") from None
    finally:
        probe.close()
    client = redis.Redis(host=host, port=port, db=number, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT)
    return FallingBack(RedisExampleDatabase(client), url, (redis.RedisError,))


class FallingBack(ExampleDatabase):
    """A shared database that, once lost mid-run, is replaced by the local folder for the rest of the run.

    Redis going away (restarted, the network down) must not end a verification or turn
    its verdict into an error: the run completes, its counterexamples are kept in
    :data:`LOCAL_EXAMPLES` instead, and one warning on stderr says so.
    """

    def __init__(self, shared: ExampleDatabase, location: str, lost: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.shared: ExampleDatabase | None = shared
        self.location = location
        self.lost = lost
        self.local = DirectoryBasedExampleDatabase(LOCAL_EXAMPLES)

    def __repr__(self) -> str:
        return f"FallingBack({self.location!r})"

    def _use(self, action: Any) -> Any:
        if self.shared is not None:
            try:
                return action(self.shared)
            except self.lost as error:
                self.shared = None
                print(
                    f"theorems: warning: lost the shared example database {self.location} ({type(error).__name__}: {error}); "
                    f"this run keeps its counterexamples in {LOCAL_EXAMPLES} instead",
                    file=sys.stderr, flush=True,
                )
        return action(self.local)

    def save(self, key: bytes, value: bytes) -> None:
        self._use(lambda database: database.save(key, value))

    def fetch(self, key: bytes) -> Any:
        return iter(self._use(lambda database: list(database.fetch(key))))

    def delete(self, key: bytes, value: bytes) -> None:
        self._use(lambda database: database.delete(key, value))

    def move(self, source: bytes, destination: bytes, value: bytes) -> None:
        self._use(lambda database: database.move(source, destination, value))


def _folder(location: str) -> ExampleDatabase:
    path = Path(location)
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"--database={location!r} is a file; expected a folder or redis://HOST:PORT/N")
    return DirectoryBasedExampleDatabase(path)


def database_key(theorem_id: str, implementation: str, assume: dict[str, Any] | None) -> bytes:
    """The key of one check's examples: the theorem, the implementation, the restriction of the domain.

    Hypothesis would key every check by the one test function the engine wraps (the same
    source for every theorem), and replaying one theorem's choices into another's
    strategy draws an unrelated example; a key of its own per check avoids that.
    """
    restriction = ",".join(f"{name}={assume[name]!r}" for name in sorted(assume or {}))
    text = f"theorems:{theorem_id}:{implementation}:{restriction}"
    return b"theorems:" + hashlib.sha256(text.encode()).hexdigest().encode()
