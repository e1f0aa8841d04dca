"""LIKE searches treat the user's text literally: ``_`` and ``%`` are not wildcards (trace-id prefixes,
span-name prefixes, request-log searches)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from labkit.enterprise.policy import DataClass
from labkit.enterprise.tenancy import RequestLog
from labkit.sqlite_like import LIKE_ESCAPE, like_contains, like_literal, like_prefix
from labkit.tracing import SpanStore

TRACE_A = "0123456789abcdef0123456789abcdef"
TRACE_B = "0123a56789abcdef0123456789abcdef"


def test_patterns_match_only_the_literal_text() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("a_b",), ("axb",), ("a%b",), ("a\\b",), ("zz a_b zz",)])

    def found(pattern: str) -> list[str]:
        return sorted(r[0] for r in conn.execute(f"SELECT v FROM t WHERE v LIKE ? {LIKE_ESCAPE}", (pattern,)))

    assert found(like_literal("a_b")) == ["a_b"]
    assert found(like_literal("a%b")) == ["a%b"]
    assert found(like_literal("a\\b")) == ["a\\b"]
    assert found(like_prefix("a_")) == ["a_b"]
    assert found(like_contains("a_b")) == ["a_b", "zz a_b zz"]


def _store_with_traces(path: Path) -> SpanStore:
    store = SpanStore(path)
    conn = store._conn()
    for tid, name in ((TRACE_A, "rag_answer"), (TRACE_B, "ragXanswer")):
        conn.execute("INSERT INTO traces (trace_id, name, start_ns, end_ns, spans, errors, llm_calls, input_tokens,"
                     " output_tokens, cost_usd) VALUES (?, ?, 0, 1, 1, 0, 0, 0, 0, 0)", (tid, name))
        conn.execute("INSERT INTO spans (trace_id, span_id, name, kind, start_ns, end_ns, status, error, attributes,"
                     " events) VALUES (?, '01', ?, 'INTERNAL', 0, 1, 'OK', 0, '{}', '[]')", (tid, name))
    conn.commit()
    return store


def test_a_trace_id_prefix_with_wildcards_resolves_to_nothing(tmp_path: Path) -> None:
    store = _store_with_traces(tmp_path / "t.sqlite")
    assert store.resolve("0123a5") == TRACE_B
    with pytest.raises(KeyError, match="no trace"):
        store.resolve("0123_5")  # "_" would match TRACE_A's "4" (and TRACE_B's "a") as a wildcard
    with pytest.raises(KeyError, match="no trace"):
        store.resolve("0123%6789")


def test_a_span_name_prefix_is_literal(tmp_path: Path) -> None:
    store = _store_with_traces(tmp_path / "t.sqlite")
    assert [s.name for s in store.spans(name="rag_*")] == ["rag_answer"]  # not "ragXanswer"
    assert store.spans(name="%*") == []


def test_request_log_search_and_scrub_are_literal() -> None:
    log = RequestLog()
    log.write("acme", "a_b", "t1", kind="log", name="q", body={"question": "ask a_b"}, cls=DataClass.INTERNAL, retain_days=1)
    log.write("acme", "axb", "t2", kind="log", name="q", body={"question": "ask axb, 100% sure"}, cls=DataClass.INTERNAL,
              retain_days=1)
    assert [e["trace_id"] for e in log.search("a_b")] == ["t1"]
    assert [e["trace_id"] for e in log.search("0%")] == ["t2"]
    assert [e["trace_id"] for e in log.search("%")] == ["t2"]
    assert log.scrub(["a_b"]) == 1  # only the entry that really mentions "a_b" is rewritten
    assert log.search("axb")[0]["body"]["question"] == "ask axb, 100% sure"
