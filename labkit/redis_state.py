"""Redis for state that several replicas share: telling a ``redis://`` location from a file path,
connecting with an error that names the fix, and a throwaway local ``redis-server`` for tests,
benchmarks and notebooks.

:class:`~labkit.budget.Budget` and :class:`~labkit.cache.ExactCache` take ``redis://host:port/db``
where they take a SQLite file; every replica that names the same location spends from the same
budget and reads the same cache.

    >>> with local_redis_server() as url:
    ...     budget = Budget(url, Caps(global_usd=1.0))
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from labkit import child
from labkit.errors import LabkitError

SCHEMES = ("redis://", "rediss://", "unix://")


class RedisUnavailable(LabkitError):
    """The Redis location cannot be reached, or redis-server is not installed."""


def is_redis_location(location: object) -> bool:
    """True when ``location`` is a Redis URL rather than a file path."""
    return isinstance(location, str) and location.startswith(SCHEMES)


def redacted(url: str) -> str:
    """The URL without its password, for messages and ``repr``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def make_client(url: str) -> Any:
    """A ``redis.Redis`` for the URL, answering ``str`` (tests replace this with a fakeredis one)."""
    import redis

    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5)


def connect(url: str) -> Any:
    """A client for ``url`` that has answered a PING.

    Args:
        url: ``redis://host:port/db`` (``rediss://`` for TLS, ``unix://`` for a socket).

    Returns:
        A ``redis.Redis`` client; it is thread-safe (one connection pool) and may be shared.

    Raises:
        RedisUnavailable: nothing answers at the URL.
    """
    import redis

    try:
        client = make_client(url)
        client.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ValueError) as exc:
        raise RedisUnavailable(f"cannot reach Redis at {redacted(url)} ({exc}). Start it (redis-server --port N) "
                               f"or fix the location, e.g. redis://127.0.0.1:6379/0") from None
    return client


@contextmanager
def local_redis_server(*, startup_timeout_s: float = 10.0) -> Iterator[str]:
    """Run a private ``redis-server`` on a free loopback port, with no persistence, for the block.

    Args:
        startup_timeout_s: how long to wait for it to answer PING.

    Yields:
        Its location, ``redis://127.0.0.1:PORT/0``.

    Raises:
        RedisUnavailable: ``redis-server`` is not installed or did not start.
    """
    from labkit.llm.server import free_port

    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable("redis-server is not installed. Fix: apt-get install redis-server "
                               "(or brew install redis)")
    with tempfile.TemporaryDirectory(prefix="labkit-redis-") as workdir:
        port = free_port()
        log = Path(workdir) / "redis.log"
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                 "no", "--dir", workdir, "--logfile", str(log)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            child.wait_until_up(proc, lambda: _pings(url), name="redis-server", log=log, timeout_s=startup_timeout_s,
                                error=RedisUnavailable)
            yield url
        finally:
            child.stop(proc)


def _pings(url: str) -> bool:
    try:
        connect(url).close()
        return True
    except RedisUnavailable:
        return False
