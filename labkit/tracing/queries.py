"""Reading the span store: spans and traces by any filter, one trace by id prefix, DataFrames, SQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labkit.enterprise.identifiers import PersonMatcher, matcher
from labkit.sqlite_like import LIKE_ESCAPE, like_prefix
from labkit.tracing.records import SpanRecord, TimeLike, TraceSummary, to_ns

if TYPE_CHECKING:
    import pandas as pd


class SpanQueries:
    """The read side of :class:`~labkit.tracing.SpanStore`, which mixes it in and provides the file and
    the per-thread connection."""

    path: Path
    busy_timeout_s: float

    def _conn(self) -> sqlite3.Connection:
        raise NotImplementedError  # SpanStore._conn

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
        sql = f"SELECT trace_id FROM traces WHERE trace_id LIKE ? {LIKE_ESCAPE} LIMIT 2"
        found = [r[0] for r in self._select(sql, (like_prefix(tid),))]
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
                clauses.append(f"name LIKE ? {LIKE_ESCAPE}")
                params.append(like_prefix(name[:-1]))
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

    def count_mentions(self, identifiers: Iterable[str] | PersonMatcher) -> int:
        """Spans and trace rows that mention any of a person's identifiers anywhere: span name, status message,
        attributes (captured prompts and completions included) and events; trace name and route. The
        check after an erasure: it must be 0."""
        m = matcher(identifiers)
        spans = self._select("SELECT name, status_message, attributes, events FROM spans")
        traces = self._select("SELECT name, route FROM traces")
        return (sum(m.count([r[0], r[1], json.loads(r[2]), json.loads(r[3])]) > 0 for r in spans)
                + sum(m.count([r[0], r[1]]) > 0 for r in traces))

    def count(self) -> tuple[int, int]:
        """(number of traces, number of spans) stored."""
        rows = self._select("SELECT (SELECT count(*) FROM traces), (SELECT count(*) FROM spans)")
        return int(rows[0][0]), int(rows[0][1])

    def time_range(self) -> tuple[int, int] | None:
        """(earliest span start, latest span end) in ns, or None when the store is empty."""
        row = self._select("SELECT min(start_ns), max(end_ns) FROM traces")[0]
        return None if row[0] is None else (int(row[0]), int(row[1]))


def _limit_clause(limit: int | None) -> str:
    """`` LIMIT n`` for a row cap (none for None); a cap below 1 is an error."""
    if limit is None:
        return ""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    return f" LIMIT {int(limit)}"
