"""The local span store: a real OpenTelemetry ``SpanExporter`` that writes spans to SQLite.

One file holds two tables:

* ``spans``: one row per span, with the columns every query needs (timing, status, model,
  tokens, cost, category) plus the full attributes and events as JSON;
* ``traces``: one row per trace, kept up to date as spans arrive (start, end, span and error
  counts, LLM calls, tokens, cost, the root span's name and route, and the sampling decision).

It is safe under concurrent writers: the database runs in WAL mode with a busy timeout, each
thread gets its own connection, and each export is one ``BEGIN IMMEDIATE`` transaction (so
two processes writing the same file queue up instead of failing).

Times are integers in nanoseconds since the Unix epoch, exactly as OpenTelemetry records them,
so a trace written on a virtual clock is queried on that clock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from labkit import config
from labkit.enterprise.identifiers import Erased, PersonMatcher, matcher
from labkit.files import check_sqlite, connect_readonly
from labkit.tracing.queries import SpanQueries
from labkit.tracing.records import SpanRecord, TimeLike, TraceSummary, to_ns
from labkit.tracing.schema import (
    CATEGORY,
    COST,
    INPUT_TOKENS,
    INSERT_SPAN,
    OPERATION,
    OUTPUT_TOKENS,
    REQUEST_MODEL,
    ROUTE_KEYS,
    SAMPLE_REASON,
    SAMPLE_WEIGHT,
    SCHEMA,
    UPSERT_TRACE,
)

# Re-exported: other modules import SpanRecord, TimeLike, TraceSummary, to_ns and the sampling keys from here.
__all__ = ["SAMPLE_REASON", "SAMPLE_WEIGHT", "SQLiteSpanExporter", "SpanRecord", "SpanStore", "TimeLike",
           "TraceSummary", "default_store_path", "to_ns"]

_LLM_OPERATIONS = frozenset(("chat", "text_completion", "embeddings", "generate_content"))
# Attribute values are str, bool, int, float or tuples of them; anything else (never from the SDK) as str.
_DUMPS = json.JSONEncoder(separators=(",", ":"), default=str).encode


def default_store_path() -> Path:
    """Where the store lives when no path is given: ``$LABKIT_TRACES``, else ``~/.cache/labkit/traces.sqlite``."""
    return config.traces_path()


def _route(attrs: dict[str, Any], name: str) -> str:
    for key in ROUTE_KEYS:
        if attrs.get(key):
            return str(attrs[key])
    return name


class SpanStore(SpanQueries):
    """A SQLite file of spans and traces, with the queries a person debugging a service needs.

    Args:
        path: the database file (created with its folder if missing). ``":memory:"`` is refused
            because each thread has its own connection; use a temporary file.
        busy_timeout_s: how long a writer waits for another writer's lock before failing.
        read_only: open an existing store read-only (``mode=ro``; ``labkit traces``): nothing is created
            or changed, and a missing path, a folder or a non-SQLite file is refused with one clear error.

    Example:
        >>> store = SpanStore("traces.sqlite")
        >>> store.traces(errors=True, min_duration_ms=500)      # slow failing requests
        >>> store.trace(trace_id)                               # every span of one request
    """

    def __init__(self, path: str | Path | None = None, busy_timeout_s: float = 30.0, *,
                 read_only: bool = False) -> None:
        if str(path) == ":memory:":
            raise ValueError("SpanStore needs a file (each thread opens its own connection); use a temporary file")
        if busy_timeout_s <= 0:
            raise ValueError(f"busy_timeout_s must be > 0, got {busy_timeout_s}")
        self.path = Path(path) if path is not None else default_store_path()
        self.read_only = read_only
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._conn_lock = threading.Lock()
        if read_only:
            self._conn()  # refuses a bad path now, with one line
            return
        check_sqlite(self.path, "span store")  # an existing file that is not SQLite is never written
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn()
        with conn:
            conn.executescript(SCHEMA)

    def __repr__(self) -> str:
        return f"SpanStore({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None and self.read_only:
            conn = connect_readonly(self.path, "span store")
            self._local.conn = conn
            with self._conn_lock:
                self._connections.append(conn)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            # WAL lets readers work while one writer commits; NORMAL sync is durable across app crashes.
            for _ in range(50):
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    break
                except sqlite3.OperationalError:  # another process is creating the file right now
                    time.sleep(0.05)
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._conn_lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection this store opened (it reopens on the next use)."""
        with self._conn_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # ---------------------------------------------------------------- writing
    def write(self, spans: Sequence[ReadableSpan]) -> int:
        """Store finished spans (and update their traces) in one transaction.

        Args:
            spans: finished OpenTelemetry spans.

        Returns:
            The number of spans written.
        """
        rows: list[tuple[Any, ...]] = []
        traces: dict[str, dict[str, Any]] = {}
        services: dict[int, Any] = {}
        dumps = _DUMPS
        for span in spans:
            ctx = span.context
            start_ns, end_ns = span.start_time, span.end_time
            if ctx is None or start_ns is None or end_ns is None:
                raise ValueError(f"span {span.name!r} is not finished; export spans after span.end()")
            trace_id, span_id = format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")
            attrs: dict[str, Any] = dict(span.attributes) if span.attributes else {}
            status = span.status
            error = status.status_code is StatusCode.ERROR
            operation = attrs.get(OPERATION)
            cost = attrs.get(COST)
            resource = span.resource
            service = services.get(id(resource))
            if service is None and resource is not None:
                service = services[id(resource)] = resource.attributes.get("service.name")
            events = dumps([{"name": e.name, "timestamp_ns": e.timestamp, "attributes": dict(e.attributes or {})}
                            for e in span.events]) if span.events else "[]"
            parent = span.parent
            rows.append((
                trace_id, span_id, format(parent.span_id, "016x") if parent else None, span.name,
                span.kind.name, attrs.get(CATEGORY), service, start_ns, end_ns, status.status_code.name,
                int(error), status.description, operation, attrs.get(REQUEST_MODEL), attrs.get(INPUT_TOKENS),
                attrs.get(OUTPUT_TOKENS), cost, dumps(attrs), events,
            ))
            t = traces.get(trace_id)
            if t is None:
                t = traces[trace_id] = {
                    "trace_id": trace_id, "root_span_id": None, "root_rank": 0, "name": None, "route": None,
                    "service": None, "start_ns": start_ns, "end_ns": end_ns, "root_start_ns": None,
                    "root_end_ns": None, "spans": 0, "errors": 0, "llm_calls": 0, "input_tokens": 0,
                    "output_tokens": 0, "cost_usd": 0.0, "sample_reason": None, "sample_weight": 1.0,
                }
            else:
                t["start_ns"] = min(t["start_ns"], start_ns)
                t["end_ns"] = max(t["end_ns"], end_ns)
            t["spans"] += 1
            t["errors"] += error
            if operation in _LLM_OPERATIONS:
                t["llm_calls"] += 1
                t["input_tokens"] += int(attrs.get(INPUT_TOKENS) or 0)
                t["output_tokens"] += int(attrs.get(OUTPUT_TOKENS) or 0)
                t["cost_usd"] += float(cost or 0.0)
            rank = 2 if parent is None else (1 if parent.is_remote else 0)
            if rank > t["root_rank"]:
                t.update(root_span_id=span_id, root_rank=rank, name=span.name, route=_route(attrs, span.name),
                         service=service, root_start_ns=start_ns, root_end_ns=end_ns)
            if SAMPLE_REASON in attrs:
                t["sample_reason"] = str(attrs[SAMPLE_REASON])
                t["sample_weight"] = float(attrs.get(SAMPLE_WEIGHT, 1.0))
        if not rows:
            return 0
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(INSERT_SPAN, rows)
            conn.executemany(UPSERT_TRACE, list(traces.values()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(rows)

    def prune(self, before: TimeLike, keep_errors: bool = False) -> int:
        """Retention: delete traces that started before ``before``.

        Args:
            before: int ns or datetime; traces starting earlier are deleted.
            keep_errors: keep error traces however old (they are few and the ones you need later).

        Returns:
            The number of traces deleted.
        """
        cutoff = to_ns(before, "before")
        cond = "start_ns < ?" + (" AND errors = 0" if keep_errors else "")
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM traces WHERE {cond})", (cutoff,))
            n = conn.execute(f"DELETE FROM traces WHERE {cond}", (cutoff,)).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(n)

    def erase(self, identifiers: Iterable[str] | PersonMatcher, *, trace_ids: Iterable[str] = ()) -> Erased:
        """Erasure: delete the person's traces, and replace their identifiers wherever else they appear.

        Every span of every trace in ``trace_ids`` (the person's requests, and answers built from their
        documents) is deleted. In every other span the name, status message, attributes (captured prompts and
        completions included) and events are searched, and each identifier is replaced by ``[ERASED]``; so
        are trace names and routes. Freed pages are overwritten and the write-ahead log is emptied, so
        the deleted text is not left on disk.

        Args:
            identifiers: the person's name, email, phone, user id... (see
                :class:`~labkit.enterprise.identifiers.PersonMatcher` for the forms matched).
            trace_ids: traces to delete whole.

        Returns:
            :class:`~labkit.enterprise.identifiers.Erased`: spans removed, and spans plus trace rows redacted.
        """
        m = matcher(identifiers)
        conn = self._conn()
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            removed = 0
            for tid in sorted(set(trace_ids)):
                removed += conn.execute("DELETE FROM spans WHERE trace_id = ?", (tid,)).rowcount
                conn.execute("DELETE FROM traces WHERE trace_id = ?", (tid,))
            redacted = 0
            for rowid, *stored in conn.execute("SELECT rowid, name, status_message, attributes, events FROM spans")\
                    .fetchall():
                fields = [stored[0], stored[1], json.loads(stored[2]), json.loads(stored[3])]
                if m.count(fields):
                    name, message, attrs, events = m.redact(fields)
                    conn.execute("UPDATE spans SET name=?, status_message=?, attributes=?, events=? WHERE rowid=?",
                                 (name, message, _DUMPS(attrs), _DUMPS(events), rowid))
                    redacted += 1
            for tid, name, route in conn.execute("SELECT trace_id, name, route FROM traces").fetchall():
                if m.count([name, route]):
                    conn.execute("UPDATE traces SET name=?, route=? WHERE trace_id=?",
                                 (m.redact(name), m.redact(route), tid))
                    redacted += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Erased(removed, redacted)

    def size_bytes(self) -> int:
        """Bytes on disk, the database plus its write-ahead log."""
        total = 0
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total

    def clear(self) -> None:
        """Delete every span and trace (the schema stays)."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM spans")
        conn.execute("DELETE FROM traces")
        conn.execute("COMMIT")


class SQLiteSpanExporter(SpanExporter):
    """An OpenTelemetry ``SpanExporter`` that writes to a :class:`SpanStore`.

    Works anywhere an exporter does, e.g. behind the SDK's ``BatchSpanProcessor``;
    ``labkit.tracing.setup`` puts it behind tail sampling.

    Args:
        store: a :class:`SpanStore` or a path to one.
    """

    def __init__(self, store: SpanStore | str | Path) -> None:
        self.store = store if isinstance(store, SpanStore) else SpanStore(store)
        self.exported = 0
        self.failures = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            n = self.store.write(spans)
        except (sqlite3.Error, ValueError) as exc:
            with self._lock:
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
            return SpanExportResult.FAILURE
        with self._lock:
            self.exported += n
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        # The store outlives the exporter: notebooks keep querying it after tracing stops.
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
