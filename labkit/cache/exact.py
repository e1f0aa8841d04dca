"""The exact cache: responses keyed by the *normalised request* (model, messages and the parameters
that change the output), so two byte-different but equivalent requests share an entry. TTL, a size
bound (least recently used goes first) and one namespace per tenant, in SQLite, or in Redis for a
``redis://host:port/db`` location that several replicas share (:mod:`labkit.cache.redis_store`)."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from labkit.cache.store import CacheStats, Clock, _check_namespace, _check_positive, _connect, _forget_rows
from labkit.enterprise.identifiers import Erased, PersonMatcher, matcher
from labkit.redis_state import is_redis_location

# Request fields that never change what the model says; they are left out of the exact-cache key.
_NON_SEMANTIC_PARAMS = frozenset({
    "stream", "stream_options", "user", "timeout", "extra_headers", "extra_query", "metadata", "store",
    "service_tier", "parallel_tool_calls_hint",
})


def _normalise_text(text: str) -> str:
    # Whitespace runs and edge spaces never change what a person asked; case can, so it is kept.
    return re.sub(r"\s+", " ", text).strip()


def _normalise_value(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(float(value), 6)  # 0 and 0.0 are the same temperature
    if isinstance(value, str):
        return _normalise_text(value)
    if isinstance(value, Mapping):
        return {str(k): _normalise_value(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_normalise_value(v) for v in value]
    return value


def normalise_request(model: str, messages: Sequence[Mapping[str, Any]], **params: Any) -> dict[str, Any]:
    """The parts of a chat request that decide the answer, in a canonical form.

    Args:
        model: the model name sent to the endpoint.
        messages: chat messages (dicts with ``role`` and ``content``).
        **params: other ``chat.completions.create`` arguments; ones that never change the output
            (``stream``, ``user``, ``timeout``, headers, ...) are dropped, ``None`` values too.

    Returns:
        A JSON-serialisable dict; equal dicts mean equivalent requests.
    """
    if not isinstance(model, str) or not model:
        raise ValueError(f"model must be a non-empty string, got {model!r}")
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence) or not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    norm_msgs = []
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or "role" not in m:
            raise ValueError(f"messages[{i}] must be a dict with 'role' and 'content', got {m!r}")
        norm_msgs.append({k: _normalise_value(v) for k, v in sorted(m.items()) if v is not None})
    kept = {k: _normalise_value(v) for k, v in sorted(params.items())
            if k not in _NON_SEMANTIC_PARAMS and v is not None}
    return {"model": model, "messages": norm_msgs, "params": kept}


def request_key(model: str, messages: Sequence[Mapping[str, Any]], **params: Any) -> str:
    """SHA-256 of :func:`normalise_request`, the exact cache's key."""
    canonical = json.dumps(normalise_request(model, messages, **params), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ExactCache:
    """Responses keyed by the normalised request, in SQLite, with TTL, a size bound and namespaces.

    Args:
        path: SQLite file (created if missing), ``":memory:"``, or ``redis://host:port/db``.
        ttl_s: seconds an entry lives; None keeps entries until evicted.
        max_entries: entries kept per namespace; the least recently used is evicted first.
        clock: callable returning the current time in seconds (inject a virtual clock to simulate).
    """

    def __new__(cls, path: str | Path = ":memory:", *args: Any, **kwargs: Any) -> ExactCache:
        # A redis:// location picks the Redis backend (labkit.cache.redis_store), with the same methods.
        if cls is ExactCache and is_redis_location(path):
            from labkit.cache.redis_store import RedisExactCache

            return super().__new__(RedisExactCache)
        return super().__new__(cls)

    def __init__(self, path: str | Path = ":memory:", ttl_s: float | None = None, max_entries: int = 10_000,
                 *, clock: Clock = time.time) -> None:
        self._configure(path, ttl_s, max_entries, clock)
        self._conn = _connect(path)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS exact_cache (namespace TEXT NOT NULL, key TEXT NOT NULL, "
            "request TEXT NOT NULL, response TEXT NOT NULL, created REAL NOT NULL, expires REAL, "
            "last_used REAL NOT NULL, hits INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (namespace, key))"
        )

    def _configure(self, path: str | Path, ttl_s: float | None, max_entries: int, clock: Clock) -> None:
        """Check and keep the settings every backend shares."""
        _check_positive("ttl_s", ttl_s)
        if not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries must be an integer >= 1, got {max_entries!r}")
        if not callable(clock):
            raise TypeError("clock must be a callable returning seconds, e.g. time.time")
        self.path, self.ttl_s, self.max_entries, self.clock = str(path), ttl_s, max_entries, clock
        self.stats = CacheStats()
        self._lock = threading.Lock()

    def get(self, model: str, messages: Sequence[Mapping[str, Any]], namespace: str = "default",
            **params: Any) -> Any | None:
        """The cached response for an equivalent request, or None (a miss, or expired).

        Args:
            model, messages, **params: the request, as for ``chat.completions.create``.
            namespace: the tenant; entries never cross namespaces.

        Returns:
            The stored (JSON-decoded) response, or None.
        """
        _check_namespace(namespace)
        key = request_key(model, messages, **params)
        now = self.clock()
        with self._lock:
            row = self._conn.execute("SELECT response, expires FROM exact_cache WHERE namespace=? AND key=?",
                                     (namespace, key)).fetchone()
            if row is None:
                self.stats.misses += 1
                return None
            if row[1] is not None and row[1] <= now:
                self._conn.execute("DELETE FROM exact_cache WHERE namespace=? AND key=?", (namespace, key))
                self.stats.misses += 1
                self.stats.expired += 1
                return None
            self._conn.execute("UPDATE exact_cache SET last_used=?, hits=hits+1 WHERE namespace=? AND key=?",
                               (now, namespace, key))
            self.stats.hits += 1
            return json.loads(row[0])

    def put(self, model: str, messages: Sequence[Mapping[str, Any]], response: Any, *, namespace: str = "default",
            **params: Any) -> str:
        """Store a response (anything JSON-serialisable) for a request; returns its key."""
        norm, key, payload = _entry(model, messages, response, namespace, params)
        now = self.clock()
        expires = now + self.ttl_s if self.ttl_s else None
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT OR REPLACE INTO exact_cache VALUES (?,?,?,?,?,?,?,0)",
                    (namespace, key, json.dumps(norm, sort_keys=True), payload, now, expires, now))
                self.stats.evicted += _evict(self._conn, "exact_cache", namespace, self.max_entries, now)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return key

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM exact_cache").fetchone()[0])

    def clear(self, namespace: str | None = None) -> None:
        """Drop every entry (of one namespace, when given)."""
        with self._lock:
            if namespace is None:
                self._conn.execute("DELETE FROM exact_cache")
            else:
                self._conn.execute("DELETE FROM exact_cache WHERE namespace=?", (namespace,))

    def _mentioning(self, m: PersonMatcher) -> list[tuple[str, str]]:
        rows = self._conn.execute("SELECT namespace, key, request, response FROM exact_cache").fetchall()
        return [(ns, key) for ns, key, request, response in rows
                if m.count([ns, json.loads(request), json.loads(response)])]

    def count_mentions(self, identifiers: Iterable[str] | PersonMatcher) -> int:
        """Entries whose namespace, request or response mentions any of a person's identifiers."""
        with self._lock:
            return len(self._mentioning(matcher(identifiers)))

    def erase(self, identifiers: Iterable[str] | PersonMatcher) -> Erased:
        """Erasure: delete every entry whose namespace, request or response mentions an identifier.

        Pass the person's name, email, phone and user id (a ``"<tenant>/<user>"`` namespace matches its
        user id), the ids of their documents, and the request ids that lineage says used those documents
        (answers built from them, cached for someone else). A cache is never redacted, only emptied: the
        answer is recomputed on the next miss.

        Returns:
            :class:`~labkit.enterprise.identifiers.Erased` with the entries removed.
        """
        with self._lock:
            return Erased(removed=_forget_rows(self._conn, "exact_cache", "namespace = ? AND key = ?",
                                               self._mentioning(matcher(identifiers))))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _entry(model: str, messages: Sequence[Mapping[str, Any]], response: Any, namespace: str,
           params: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(normalised request, key, JSON response) of an entry to store, each argument checked."""
    _check_namespace(namespace)
    norm = normalise_request(model, messages, **params)
    key = request_key(model, messages, **params)
    try:
        payload = json.dumps(response, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"response must be JSON-serialisable (store r.model_dump() for an openai "
                        f"response): {exc}") from None
    return norm, key, payload


def _evict(conn: sqlite3.Connection, table: str, namespace: str, max_entries: int, now: float) -> int:
    """Drop expired rows of a namespace, then the least recently used beyond ``max_entries``."""
    gone = conn.execute(f"DELETE FROM {table} WHERE namespace=? AND expires IS NOT NULL AND expires<=?",
                        (namespace, now)).rowcount
    count = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE namespace=?", (namespace,)).fetchone()[0]
    if count > max_entries:
        gone += conn.execute(
            f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE namespace=? "
            f"ORDER BY last_used ASC, rowid ASC LIMIT ?)", (namespace, count - max_entries)).rowcount
    return int(gone)
