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
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

if TYPE_CHECKING:
    import pandas as pd

TimeLike = int | datetime

# Attribute keys the store lifts into columns (the rest stay in the JSON blob).
OPERATION = "gen_ai.operation.name"
REQUEST_MODEL = "gen_ai.request.model"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
COST = "labkit.cost_usd"
CATEGORY = "labkit.category"
ROUTE_KEYS = ("http.route", "labkit.route")
SAMPLE_REASON = "labkit.sampling.reason"
SAMPLE_WEIGHT = "labkit.sampling.weight"
_LLM_OPERATIONS = frozenset(("chat", "text_completion", "embeddings", "generate_content"))
# Attribute values are str, bool, int, float or tuples of them; anything else (never from the SDK) as str.
_DUMPS = json.JSONEncoder(separators=(",", ":"), default=str).encode

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT,
    service TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    status TEXT NOT NULL,
    error INTEGER NOT NULL,
    status_message TEXT,
    operation TEXT,
    model TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    attributes TEXT NOT NULL,
    events TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ns);
CREATE INDEX IF NOT EXISTS spans_model ON spans (model);
CREATE TABLE IF NOT EXISTS traces (
    trace_id TEXT PRIMARY KEY,
    root_span_id TEXT,
    root_rank INTEGER NOT NULL DEFAULT 0,
    name TEXT,
    route TEXT,
    service TEXT,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    root_start_ns INTEGER,
    root_end_ns INTEGER,
    spans INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    llm_calls INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    sample_reason TEXT,
    sample_weight REAL NOT NULL DEFAULT 1.0
);
CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ns);
"""

# Root fields are replaced only by a better root candidate: a span with no parent (rank 2)
# beats a span whose parent lives in another process (rank 1), which beats nothing (rank 0).
_UPSERT_TRACE = """
INSERT INTO traces (trace_id, root_span_id, root_rank, name, route, service, start_ns, end_ns, root_start_ns,
                    root_end_ns, spans, errors, llm_calls, input_tokens, output_tokens, cost_usd, sample_reason,
                    sample_weight)
VALUES (:trace_id, :root_span_id, :root_rank, :name, :route, :service, :start_ns, :end_ns, :root_start_ns,
        :root_end_ns, :spans, :errors, :llm_calls, :input_tokens, :output_tokens, :cost_usd, :sample_reason,
        :sample_weight)
ON CONFLICT (trace_id) DO UPDATE SET
    start_ns = min(traces.start_ns, excluded.start_ns),
    end_ns = max(traces.end_ns, excluded.end_ns),
    spans = traces.spans + excluded.spans,
    errors = traces.errors + excluded.errors,
    llm_calls = traces.llm_calls + excluded.llm_calls,
    input_tokens = traces.input_tokens + excluded.input_tokens,
    output_tokens = traces.output_tokens + excluded.output_tokens,
    cost_usd = traces.cost_usd + excluded.cost_usd,
    root_span_id = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.root_span_id ELSE traces.root_span_id END,
    name = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.name ELSE traces.name END,
    route = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.route ELSE traces.route END,
    service = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.service ELSE traces.service END,
    root_start_ns = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.root_start_ns
                         ELSE traces.root_start_ns END,
    root_end_ns = CASE WHEN excluded.root_rank > traces.root_rank THEN excluded.root_end_ns
                       ELSE traces.root_end_ns END,
    sample_reason = COALESCE(excluded.sample_reason, traces.sample_reason),
    sample_weight = CASE WHEN excluded.sample_reason IS NOT NULL THEN excluded.sample_weight
                         ELSE traces.sample_weight END,
    root_rank = max(traces.root_rank, excluded.root_rank)
"""

_SPAN_COLUMNS = ("trace_id", "span_id", "parent_id", "name", "kind", "category", "service", "start_ns", "end_ns",
                 "status", "error", "status_message", "operation", "model", "input_tokens", "output_tokens",
                 "cost_usd", "attributes", "events")
_INSERT_SPAN = (f"INSERT OR REPLACE INTO spans ({', '.join(_SPAN_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _SPAN_COLUMNS)})")


def default_store_path() -> Path:
    """Where the store lives when no path is given: ``$LABKIT_TRACES``, else ``~/.cache/labkit/traces.sqlite``."""
    if os.environ.get("LABKIT_TRACES"):
        return Path(os.environ["LABKIT_TRACES"])
    return Path(os.environ.get("LABKIT_CACHE", Path.home() / ".cache" / "labkit")) / "traces.sqlite"


@dataclass
class SpanRecord:
    """One stored span.

    Attributes:
        trace_id / span_id / parent_id: hex ids (``parent_id`` is None for a root span).
        name: the span name, e.g. ``"chat smollm2-135m-instruct"``.
        kind: the OpenTelemetry span kind ("INTERNAL", "SERVER", "CLIENT", ...).
        category: labkit's coarse type for colouring and grouping ("llm", "retrieval", "http", ...).
        service: ``service.name`` of the process that made the span.
        start_ns / end_ns: nanoseconds since the epoch (on the tracer's clock).
        status: "OK", "ERROR" or "UNSET"; ``error`` is True for "ERROR".
        operation / model / input_tokens / output_tokens / cost_usd: lifted from the GenAI
            attributes of LLM spans (None elsewhere).
        attributes: every attribute of the span.
        events: span events (exceptions, ...) as dicts with name, timestamp_ns and attributes.
    """

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: str
    category: str | None
    service: str | None
    start_ns: int
    end_ns: int
    status: str
    error: bool
    status_message: str | None
    operation: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


@dataclass
class TraceSummary:
    """One stored trace (a request), summarised.

    Attributes:
        trace_id: hex trace id.
        name / route / service: of the root span (route: ``http.route`` or ``labkit.route``, else the name).
        start_ns / end_ns: first span start and last span end.
        duration_ms: the root span's duration when it is stored, else ``end_ns - start_ns``.
        spans / errors: span count and error-span count.
        llm_calls / input_tokens / output_tokens / cost_usd: summed over the trace's LLM spans.
        sample_reason: why tail sampling kept it ("error", "slow", "sampled"), None if unknown.
        sample_weight: how many requests this stored trace stands for (1 / keep probability).
    """

    trace_id: str
    name: str | None
    route: str | None
    service: str | None
    start_ns: int
    end_ns: int
    duration_ms: float
    spans: int
    errors: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    sample_reason: str | None
    sample_weight: float

    @property
    def error(self) -> bool:
        return self.errors > 0


def to_ns(value: TimeLike | None, name: str = "time") -> int | None:
    """A time bound as integer nanoseconds since the epoch.

    Args:
        value: int nanoseconds, a ``datetime`` (naive means local time), or None.
        name: the argument's name, for the error message.

    Returns:
        Nanoseconds, or None when ``value`` is None.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be int nanoseconds or a datetime, got a bool")
    if isinstance(value, datetime):
        return int(value.timestamp() * 1e9)
    if isinstance(value, int):
        if 0 < value < 10**14:
            raise ValueError(f"{name}={value} looks like seconds or milliseconds; pass nanoseconds since the epoch "
                             f"(e.g. int(time.time() * 1e9)) or a datetime")
        return value
    if hasattr(value, "value") and hasattr(value, "tz_localize"):  # a pandas Timestamp
        return int(value.value)
    raise TypeError(f"{name} must be int nanoseconds or a datetime, got {type(value).__name__}")


def _route(attrs: dict[str, Any], name: str) -> str:
    for key in ROUTE_KEYS:
        if attrs.get(key):
            return str(attrs[key])
    return name


class SpanStore:
    """A SQLite file of spans and traces, with the queries a person debugging a service needs.

    Args:
        path: the database file (created with its folder if missing). ``":memory:"`` is refused
            because each thread has its own connection; use a temporary file.
        busy_timeout_s: how long a writer waits for another writer's lock before failing.

    Example:
        >>> store = SpanStore("traces.sqlite")
        >>> store.traces(errors=True, min_duration_ms=500)      # slow failing requests
        >>> store.trace(trace_id)                               # every span of one request
    """

    def __init__(self, path: str | Path | None = None, busy_timeout_s: float = 30.0) -> None:
        if str(path) == ":memory:":
            raise ValueError("SpanStore needs a file (each thread opens its own connection); use a temporary file")
        if busy_timeout_s <= 0:
            raise ValueError(f"busy_timeout_s must be > 0, got {busy_timeout_s}")
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._conn_lock = threading.Lock()
        conn = self._conn()
        with conn:
            conn.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"SpanStore({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
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
            conn.executemany(_INSERT_SPAN, rows)
            conn.executemany(_UPSERT_TRACE, list(traces.values()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(rows)

    # ---------------------------------------------------------------- reading
    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        conn = self._conn()
        conn.row_factory = sqlite3.Row
        try:
            return list(conn.execute(sql, params))
        finally:
            conn.row_factory = None

    def resolve(self, trace_id: str) -> str:
        """The full trace id for an id or a unique prefix of at least 6 hex digits (like git)."""
        if not isinstance(trace_id, str) or len(trace_id) < 6:
            raise ValueError(f"give a trace id or a prefix of at least 6 hex digits, got {trace_id!r}")
        tid = trace_id.lower()
        found = [r[0] for r in self._select("SELECT trace_id FROM traces WHERE trace_id LIKE ? LIMIT 2", (tid + "%",))]
        if not found:
            raise KeyError(f"no trace {trace_id!r} in {self.path}; list some with store.traces() or "
                           f"`labkit traces list`")
        if len(found) > 1:
            raise KeyError(f"trace id prefix {trace_id!r} is ambiguous; give more digits")
        return str(found[0])

    def trace(self, trace_id: str) -> list[SpanRecord]:
        """Every stored span of one trace, in start order.

        Args:
            trace_id: the 32-hex-digit id, or a unique prefix of at least 6 digits.

        Returns:
            The spans (empty only if the trace row exists without spans, which does not happen).
        """
        tid = self.resolve(trace_id)
        return self.spans(trace_id=tid)

    def spans(self, *, trace_id: str | None = None, name: str | None = None, category: str | None = None,
              model: str | None = None, operation: str | None = None, errors: bool | None = None,
              min_duration_ms: float | None = None, max_duration_ms: float | None = None,
              min_cost_usd: float | None = None, start: TimeLike | None = None, end: TimeLike | None = None,
              limit: int | None = None) -> list[SpanRecord]:
        """Spans matching every filter given, in start order.

        Args:
            trace_id: only this trace.
            name: span name, exactly; a name ending in ``*`` matches as a prefix (``"chat *"``).
            category: labkit category ("llm", "retrieval", "http", "tool", "guard", "cache", ...).
            model: the requested model of LLM spans.
            operation: ``gen_ai.operation.name`` ("chat", "retrieval", "execute_tool", ...).
            errors: True for error spans only, False for non-error spans only.
            min_duration_ms / max_duration_ms: duration bounds, inclusive.
            min_cost_usd: LLM spans costing at least this.
            start / end: the span starts in [start, end) (int ns or datetime).
            limit: at most this many rows.

        Returns:
            The matching spans.
        """
        where, params = self._span_filters(trace_id, name, category, model, operation, errors, min_duration_ms,
                                           max_duration_ms, min_cost_usd, start, end)
        sql = f"SELECT * FROM spans{where} ORDER BY start_ns, rowid"
        sql += _limit_clause(limit)
        return [self._span(r) for r in self._select(sql, params)]

    @staticmethod
    def _span_filters(trace_id: str | None, name: str | None, category: str | None, model: str | None,
                      operation: str | None, errors: bool | None, min_duration_ms: float | None,
                      max_duration_ms: float | None, min_cost_usd: float | None, start: TimeLike | None,
                      end: TimeLike | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("trace_id", trace_id), ("category", category), ("model", model),
                              ("operation", operation)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if name is not None:
            if name.endswith("*"):
                clauses.append("name LIKE ?")
                params.append(name[:-1].replace("%", r"\%") + "%")
            else:
                clauses.append("name = ?")
                params.append(name)
        if errors is not None:
            clauses.append("error = ?")
            params.append(int(bool(errors)))
        if min_duration_ms is not None:
            clauses.append("end_ns - start_ns >= ?")
            params.append(int(min_duration_ms * 1e6))
        if max_duration_ms is not None:
            clauses.append("end_ns - start_ns <= ?")
            params.append(int(max_duration_ms * 1e6))
        if min_cost_usd is not None:
            clauses.append("cost_usd >= ?")
            params.append(float(min_cost_usd))
        lo, hi = to_ns(start, "start"), to_ns(end, "end")
        if lo is not None:
            clauses.append("start_ns >= ?")
            params.append(lo)
        if hi is not None:
            clauses.append("start_ns < ?")
            params.append(hi)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def traces(self, *, start: TimeLike | None = None, end: TimeLike | None = None, errors: bool | None = None,
               min_duration_ms: float | None = None, max_duration_ms: float | None = None,
               min_cost_usd: float | None = None, model: str | None = None, route: str | None = None,
               name: str | None = None, limit: int | None = None, slowest_first: bool = False) -> list[TraceSummary]:
        """Traces (requests) matching every filter given, oldest first unless ``slowest_first``.

        Args:
            start / end: the trace starts in [start, end) (int ns or datetime).
            errors: True for traces with an error span, False for traces without.
            min_duration_ms / max_duration_ms: bounds on the trace's duration, inclusive.
            min_cost_usd: traces whose LLM calls cost at least this in total.
            model: traces with at least one LLM span for this model.
            route: the root span's route (``http.route``/``labkit.route``, else its name).
            name: the root span's name.
            limit: at most this many traces.
            slowest_first: order by duration, longest first.

        Returns:
            The matching traces.
        """
        clauses: list[str] = []
        params: list[Any] = []
        duration = "(COALESCE(root_end_ns, end_ns) - COALESCE(root_start_ns, start_ns))"
        lo, hi = to_ns(start, "start"), to_ns(end, "end")
        if lo is not None:
            clauses.append("start_ns >= ?")
            params.append(lo)
        if hi is not None:
            clauses.append("start_ns < ?")
            params.append(hi)
        if errors is not None:
            clauses.append("errors > 0" if errors else "errors = 0")
        if min_duration_ms is not None:
            clauses.append(f"{duration} >= ?")
            params.append(int(min_duration_ms * 1e6))
        if max_duration_ms is not None:
            clauses.append(f"{duration} <= ?")
            params.append(int(max_duration_ms * 1e6))
        if min_cost_usd is not None:
            clauses.append("cost_usd >= ?")
            params.append(float(min_cost_usd))
        if model is not None:
            clauses.append("trace_id IN (SELECT trace_id FROM spans WHERE model = ?)")
            params.append(model)
        for column, value in (("route", route), ("name", name)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        order = f"{duration} DESC" if slowest_first else "start_ns, trace_id"
        sql = f"SELECT *, {duration} AS duration_ns FROM traces{where} ORDER BY {order}"
        sql += _limit_clause(limit)
        return [self._trace(r) for r in self._select(sql, params)]

    @staticmethod
    def _span(r: sqlite3.Row) -> SpanRecord:
        return SpanRecord(
            trace_id=r["trace_id"], span_id=r["span_id"], parent_id=r["parent_id"], name=r["name"], kind=r["kind"],
            category=r["category"], service=r["service"], start_ns=r["start_ns"], end_ns=r["end_ns"],
            status=r["status"], error=bool(r["error"]), status_message=r["status_message"],
            operation=r["operation"], model=r["model"], input_tokens=r["input_tokens"],
            output_tokens=r["output_tokens"], cost_usd=r["cost_usd"], attributes=json.loads(r["attributes"]),
            events=json.loads(r["events"]),
        )

    @staticmethod
    def _trace(r: sqlite3.Row) -> TraceSummary:
        return TraceSummary(
            trace_id=r["trace_id"], name=r["name"], route=r["route"], service=r["service"], start_ns=r["start_ns"],
            end_ns=r["end_ns"], duration_ms=r["duration_ns"] / 1e6, spans=r["spans"], errors=r["errors"],
            llm_calls=r["llm_calls"], input_tokens=r["input_tokens"], output_tokens=r["output_tokens"],
            cost_usd=r["cost_usd"], sample_reason=r["sample_reason"], sample_weight=r["sample_weight"],
        )

    def traces_frame(self, **filters: Any) -> pd.DataFrame:
        """:meth:`traces` as a pandas DataFrame (one row per trace; ``start`` as a timestamp)."""
        import pandas as pd

        rows = [asdict(t) | {"error": t.error} for t in self.traces(**filters)]
        cols = list(TraceSummary.__dataclass_fields__) + ["error"]
        df = pd.DataFrame(rows, columns=cols)
        df.insert(1, "start", pd.to_datetime(df["start_ns"], unit="ns"))
        return df

    def spans_frame(self, **filters: Any) -> pd.DataFrame:
        """:meth:`spans` as a pandas DataFrame (one row per span, with ``duration_ms``; no attribute blobs)."""
        import pandas as pd

        rows = []
        for s in self.spans(**filters):
            row = asdict(s)
            row.pop("attributes")
            row.pop("events")
            row["duration_ms"] = s.duration_ms
            rows.append(row)
        cols = [c for c in SpanRecord.__dataclass_fields__ if c not in ("attributes", "events")] + ["duration_ms"]
        return pd.DataFrame(rows, columns=cols)

    def sql(self, query: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a read-only SQL query over the ``spans`` and ``traces`` tables; the result as a DataFrame.

        Example:
            >>> store.sql("SELECT model, sum(cost_usd) FROM spans GROUP BY model")
        """
        import pandas as pd

        if not isinstance(query, str) or not query.lstrip().lower().startswith(("select", "with")):
            raise ValueError("store.sql runs read-only queries: start with SELECT or WITH")
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.busy_timeout_s)
        try:
            return pd.read_sql_query(query, conn, params=list(params))
        finally:
            conn.close()

    def count(self) -> tuple[int, int]:
        """(number of traces, number of spans) stored."""
        rows = self._select("SELECT (SELECT count(*) FROM traces), (SELECT count(*) FROM spans)")
        return int(rows[0][0]), int(rows[0][1])

    def time_range(self) -> tuple[int, int] | None:
        """(earliest span start, latest span end) in ns, or None when the store is empty."""
        row = self._select("SELECT min(start_ns), max(end_ns) FROM traces")[0]
        return None if row[0] is None else (int(row[0]), int(row[1]))

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


def _limit_clause(limit: int | None) -> str:
    """`` LIMIT n`` for a row cap (none for None); a cap below 1 is an error."""
    if limit is None:
        return ""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    return f" LIMIT {int(limit)}"
