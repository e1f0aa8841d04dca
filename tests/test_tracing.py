"""labkit.tracing without a model: spans, the SQLite store, tail sampling, redaction, virtual time,
OTLP export to a local collector, FastAPI trace-context propagation, viewers and the CLI."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.trace import SpanContext, TraceFlags

from labkit import tracing
from labkit.llm.ledger import CallRecord
from labkit.tracing import SpanStore, TailSampler, trace_ratio
from labkit.tracing.store import to_ns

EMAIL = "jane.doe@example.com"


def _redact_emails(text: str) -> str:
    return text.replace(EMAIL, "[EMAIL]")


@pytest.fixture(autouse=True)
def _no_tracer_left_behind():
    yield
    tracing.shutdown()  # a failed test must not leave its tracer hooked into labkit.llm


@pytest.fixture
def t(tmp_path: Path):
    tr = tracing.setup(tmp_path / "traces.sqlite", sample_rate=1.0, instrument_llm=False)
    yield tr
    tr.shutdown()


def _record(**changes) -> CallRecord:
    base = dict(operation="chat", model="smollm2-135m-instruct", backend="embedded", stream=False, status=200,
                input_tokens=120, output_tokens=30, latency_s=0.8, cost_usd=1.5e-5, finish_reason="stop",
                response_model="smollm2-135m-instruct",
                request_body={"model": "smollm2-135m-instruct", "max_tokens": 32, "temperature": 0,
                              "messages": [{"role": "user", "content": f"My email is {EMAIL}"}]},
                response_body={"id": "chatcmpl-1", "choices": [{"message": {"content": "Noted."},
                                                                "finish_reason": "stop"}]})
    base.update(changes)
    return CallRecord(**base)


def test_spans_nest_and_round_trip_through_the_store(t) -> None:
    with tracing.span("POST /ask", category="http", route="/ask") as root:
        with tracing.span("rag.retrieve", category="retrieval", k=3):
            pass
        with tracing.tool_span("calculator", expression="2+2"):
            pass
    assert t.flush()
    tid = tracing.trace_id_of(root)
    spans = {s.name: s for s in t.store.trace(tid[:8])}
    assert set(spans) == {"POST /ask", "rag.retrieve", "execute_tool calculator"}
    root_id = spans["POST /ask"].span_id
    assert spans["POST /ask"].parent_id is None
    assert spans["rag.retrieve"].parent_id == root_id and spans["execute_tool calculator"].parent_id == root_id
    assert spans["rag.retrieve"].attributes["labkit.k"] == 3  # plain keyword names are namespaced
    assert spans["rag.retrieve"].operation == "retrieval" and spans["rag.retrieve"].category == "retrieval"
    assert spans["execute_tool calculator"].attributes["gen_ai.tool.name"] == "calculator"
    (summary,) = t.store.traces()
    assert summary.trace_id == tid and summary.route == "/ask" and summary.spans == 3 and not summary.error
    assert summary.sample_reason == "sampled" and summary.sample_weight == 1.0


def test_exception_marks_span_and_trace_as_error(t) -> None:
    with pytest.raises(ZeroDivisionError):
        with tracing.span("work"):
            with tracing.guard_span("toxicity"):
                1 / 0  # noqa: B018
    t.flush()
    (summary,) = t.store.traces(errors=True)
    guard = t.store.spans(name="guard *")[0]
    assert guard.error and guard.status_message.startswith("ZeroDivisionError")
    assert guard.events[0]["name"] == "exception" and guard.attributes["error.type"] == "ZeroDivisionError"
    assert summary.errors == 2 and summary.sample_reason == "error"


def test_tail_sampling_keeps_every_error_and_the_configured_share(tmp_path: Path) -> None:
    rate, n, rng = 0.1, 3000, random.Random(7)
    t = tracing.setup(tmp_path / "s.sqlite", sample_rate=rate, instrument_llm=False)
    truth: dict[str, bool] = {}
    for _ in range(n):
        failed = rng.random() < 0.05
        with tracing.span("request") as root:
            with tracing.span("step-1"):
                pass
            try:
                with tracing.span("step-2"):
                    if failed:
                        raise RuntimeError("upstream failed")
            except RuntimeError:
                pass
        truth[tracing.trace_id_of(root)] = failed
    assert t.flush()
    stored = {s.trace_id: s for s in t.store.traces()}
    errors = [tid for tid, failed in truth.items() if failed]
    normal = [tid for tid, failed in truth.items() if not failed]
    assert errors and all(tid in stored for tid in errors)
    kept_share = sum(tid in stored for tid in normal) / len(normal)
    sigma = (rate * (1 - rate) / len(normal)) ** 0.5
    assert abs(kept_share - rate) < 4 * sigma, f"kept {kept_share:.3f} of normal traces, configured {rate}"
    # whole traces: every kept trace has all three spans, nothing of a dropped trace is stored
    assert all(s.spans == 3 for s in stored.values())
    assert set(r[0] for r in t.store.sql("SELECT DISTINCT trace_id FROM spans").itertuples(index=False)) == set(stored)
    st = t.stats()
    assert st.spans_started == st.spans_ended == 3 * n == st.spans_kept + st.spans_dropped
    assert st.spans_exported == st.spans_kept == t.store.count()[1] and st.spans_lost == 0
    assert all(s.sample_weight == pytest.approx(1 / rate) for s in stored.values() if not s.error)
    t.shutdown()


def test_decision_is_per_trace_and_the_same_in_every_process() -> None:
    got: list[tuple[str, int]] = []
    a = TailSampler(lambda spans, d: got.append(("a", len(spans))), sample_rate=0.3)
    b = TailSampler(lambda spans, d: got.append(("b", len(spans))), sample_rate=0.3)
    ids = [random.Random(i).getrandbits(128) for i in range(500)]
    assert [a.decide(i, [], None).keep for i in ids] == [b.decide(i, [], None).keep for i in ids]
    assert [a.decide(i, [], None).keep for i in ids] == [trace_ratio(i) < 0.3 for i in ids]
    with pytest.raises(ValueError, match="sample_rate"):
        TailSampler(lambda s, d: None, sample_rate=1.5)


def test_service_spans_wait_for_the_callers_root_in_the_same_process(t) -> None:
    with tracing.span("client.request") as root:
        incoming = tracing.extract(tracing.headers())  # as a service would read its request headers
        server = t.start_span("POST /v1/chat/completions", parent=incoming, category="http")
        server.end()
        t.flush()
        assert t.store.count() == (0, 0), "decided before the trace's root ended"
        assert t.stats().open_traces == 1
    t.flush()
    spans = t.store.trace(tracing.trace_id_of(root))
    assert [s.name for s in spans] == ["client.request", "POST /v1/chat/completions"]
    assert spans[1].parent_id == spans[0].span_id


def test_remote_parent_is_the_local_root_in_a_service_process(t) -> None:
    remote = SpanContext(trace_id=0x1234 << 64 | 0xABCDEF, span_id=0x42, is_remote=True,
                         trace_flags=TraceFlags(TraceFlags.SAMPLED))
    s = t.start_span("GET /items", parent=remote, category="http")
    with t.activate(s):
        with tracing.span("db.query"):
            pass
    s.end()
    t.flush()
    (summary,) = t.store.traces()
    assert summary.trace_id == format(remote.trace_id, "032x") and summary.name == "GET /items"
    assert summary.spans == 2


def test_slow_traces_are_kept_even_at_zero_rate(tmp_path: Path) -> None:
    clock = tracing.VirtualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    t = tracing.setup(tmp_path / "slow.sqlite", sample_rate=0.0, keep_slower_than_ms=1000, clock=clock,
                      instrument_llm=False)
    for ms in (100, 200, 1500, 300):
        with tracing.span("request", ms=ms):
            clock.advance(ms / 1000)
    t.flush()
    kept = t.store.traces()
    assert [round(k.duration_ms) for k in kept] == [1500] and kept[0].sample_reason == "slow"
    t.shutdown()


def test_redaction_keeps_pii_out_of_the_store_file(tmp_path: Path) -> None:
    t = tracing.setup(tmp_path / "r.sqlite", sample_rate=1.0, capture_content=True, redact=_redact_emails,
                      instrument_llm=False)
    with pytest.raises(ValueError):
        with tracing.span(f"lookup {EMAIL}", user=EMAIL, emails=[EMAIL, "x"]):
            t.record_llm_call(_record())
            raise ValueError(f"no account for {EMAIL}")
    t.flush()
    t.shutdown()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("r.sqlite"))
    assert EMAIL.encode() not in raw
    llm_span = t.store.spans(category="llm")[0]
    assert "[EMAIL]" in llm_span.attributes["gen_ai.input.messages"]
    assert t.store.spans(name="lookup [EMAIL]")[0].attributes["user.id"] == "[EMAIL]"


def test_content_is_not_captured_unless_opted_in(t) -> None:
    t.record_llm_call(_record())
    t.flush()
    attrs = t.store.spans(category="llm")[0].attributes
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs


def test_llm_span_follows_genai_conventions_and_carries_cost(t) -> None:
    t.record_llm_call(_record())
    t.record_llm_call(_record(status=503, error="HTTP 503", input_tokens=0, output_tokens=0, cost_usd=0.0))
    t.flush()
    ok, failed = t.store.spans(category="llm")
    a = ok.attributes
    assert ok.name == "chat smollm2-135m-instruct" and ok.kind == "CLIENT"
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "llama.cpp"
    assert a["gen_ai.request.model"] == a["gen_ai.response.model"] == "smollm2-135m-instruct"
    assert a["gen_ai.usage.input_tokens"] == 120 and a["gen_ai.usage.output_tokens"] == 30
    assert a["gen_ai.response.finish_reasons"] == ["stop"] and a["gen_ai.request.max_tokens"] == 32
    assert ok.cost_usd == pytest.approx(1.5e-5) and ok.duration_ms == pytest.approx(800, rel=1e-6)
    assert failed.error and failed.attributes["error.type"] == "503"


def test_virtual_clock_times_and_window_queries(tmp_path: Path) -> None:
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    clock = tracing.VirtualClock(monday)
    t = tracing.setup(tmp_path / "v.sqlite", sample_rate=1.0, clock=clock, instrument_llm=False)
    for _day in range(3):
        for _ in range(4):
            with tracing.span("request", route="/ask"):
                clock.advance(0.25)
                t.record_llm_call(_record(latency_s=0.2))
            clock.advance(60)
        clock.advance(24 * 3600 - 4 * 60.25)
    t.flush()
    first = t.store.traces()[0]
    assert first.start_ns == int(monday.timestamp() * 1e9) and first.duration_ms == pytest.approx(250)
    tuesday = datetime(2026, 3, 3, tzinfo=UTC)
    wednesday = datetime(2026, 3, 4, tzinfo=UTC)
    assert len(t.store.traces(start=tuesday, end=wednesday)) == 4
    assert len(t.store.spans(start=tuesday, category="llm")) == 8
    llm = t.store.spans(category="llm")[0]
    assert llm.end_ns == first.start_ns + 250 * 1_000_000 and llm.duration_ms == pytest.approx(200)
    s = t.record_span("replayed", to_ns(tuesday), to_ns(tuesday) + 5_000_000, category="tool")
    child = t.record_span("child", to_ns(tuesday) + 1, to_ns(tuesday) + 2, parent=s)
    assert child.parent is not None and child.parent.span_id == s.get_span_context().span_id
    d = tracing.dashboard(t.store, start=monday, end=tuesday)
    assert d.traces_stored == 4 and d.p50_ms == pytest.approx(250)
    t.shutdown()


def test_store_queries_by_latency_error_cost_model_and_prefix(tmp_path: Path) -> None:
    clock = tracing.VirtualClock(datetime(2026, 3, 2, tzinfo=UTC))
    t = tracing.setup(tmp_path / "q.sqlite", sample_rate=1.0, clock=clock, instrument_llm=False)
    plan = [(100, False, "m-a", 1e-5), (900, False, "m-b", 5e-5), (300, True, "m-a", 2e-5), (1200, True, "m-b", 0)]
    for ms, fail, model, cost in plan:
        try:
            with tracing.span("request", route="/chat" if model == "m-a" else "/batch"):
                t.record_llm_call(_record(model=model, cost_usd=cost, latency_s=ms / 2000))
                clock.advance(ms / 1000)
                if fail:
                    raise TimeoutError("slow upstream")
        except TimeoutError:
            pass
    t.flush()
    s = t.store
    assert [round(x.duration_ms) for x in s.traces(min_duration_ms=300, max_duration_ms=1000)] == [900, 300]
    assert [round(x.duration_ms) for x in s.traces(errors=True, slowest_first=True)] == [1200, 300]
    assert [round(x.duration_ms) for x in s.traces(model="m-b")] == [900, 1200]
    assert [round(x.duration_ms) for x in s.traces(min_cost_usd=1.5e-5)] == [900, 300]
    assert [x.route for x in s.traces(route="/chat")] == ["/chat", "/chat"]
    assert len(s.spans(model="m-a", category="llm")) == 2 and len(s.spans(name="chat *")) == 4
    assert len(s.traces(limit=1)) == 1
    df = s.sql("SELECT model, count(*) AS n FROM spans WHERE model IS NOT NULL GROUP BY model ORDER BY model")
    assert df["n"].tolist() == [2, 2]
    with pytest.raises(ValueError, match="read-only"):
        s.sql("DELETE FROM spans")
    with pytest.raises(KeyError, match="no trace"):
        s.trace("ffffffffff")
    with pytest.raises(ValueError, match="seconds or milliseconds"):
        s.traces(start=1_700_000_000)
    assert s.prune(datetime(2026, 3, 3, tzinfo=UTC), keep_errors=True) == 2
    assert s.count() == (2, 4) and all(x.error for x in s.traces())
    t.shutdown()


def test_no_span_lost_with_eight_concurrent_writers(tmp_path: Path) -> None:
    t = tracing.setup(tmp_path / "c.sqlite", sample_rate=1.0, instrument_llm=False)
    per_thread, threads = 150, 8

    def stream(n: int) -> None:
        for i in range(per_thread):
            with tracing.span("request", stream=n, i=i):
                with tracing.span("rag.retrieve", category="retrieval"):
                    pass
                with tracing.cache_span("semantic", hit=i % 2 == 0):
                    pass

    workers = [threading.Thread(target=stream, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert t.flush()
    st = t.stats()
    assert st.spans_started == threads * per_thread * 3 == t.store.count()[1] == st.spans_exported
    assert t.store.count()[0] == threads * per_thread and st.spans_lost == 0 and st.export_failures == 0
    t.shutdown()


def test_separate_connections_write_the_same_file_concurrently(tmp_path: Path) -> None:
    # Two SpanStore objects = two independent connections, as two processes would have.
    path = tmp_path / "shared.sqlite"
    tracers = [tracing.Tracing(SpanStore(path, busy_timeout_s=30), sample_rate=1.0, instrument_llm=False,
                               service_name=f"svc-{i}") for i in range(2)]

    def write(tr: tracing.Tracing) -> None:
        for _ in range(200):
            with tr.span("request"):
                with tr.span("step"):
                    pass

    workers = [threading.Thread(target=write, args=(tr,)) for tr in tracers]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for tr in tracers:
        assert tr.flush()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    by_service = dict(conn.execute("SELECT service, count(*) FROM spans GROUP BY service").fetchall())
    conn.close()
    assert by_service == {"svc-0": 400, "svc-1": 400}
    for tr in tracers:
        tr.shutdown()


def test_dashboard_reweights_sampled_traces(tmp_path: Path) -> None:
    # A labelled simulation: 4000 requests on a virtual clock, 4% fail, latency log-normal.
    clock = tracing.VirtualClock(datetime(2026, 3, 2, tzinfo=UTC))
    t = tracing.setup(tmp_path / "d.sqlite", sample_rate=0.1, clock=clock, instrument_llm=False)
    rng = random.Random(3)
    failures = 0
    for _ in range(4000):
        fail = rng.random() < 0.04
        failures += fail
        s = t.start_span("request", category="http", route="/ask")
        clock.advance(rng.lognormvariate(6, 0.4) / 1000)
        t.record_span("chat m", s.start_time, clock(), parent=s, error="503" if fail else None,  # type: ignore[attr-defined]
                      attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"})
        s.end(end_time=clock())
        clock.advance(1)
    t.flush()
    d = tracing.dashboard(t.store)
    true_rate = failures / 4000
    assert d.naive_error_rate > 3 * true_rate, "unweighted, kept errors look far more common than they are"
    assert abs(d.error_rate - true_rate) < 0.015
    assert 4000 * 0.8 < d.requests < 4000 * 1.2
    assert d.p50_ms < d.p95_ms < d.p99_ms
    assert set(d.by_route_model["model"]) == {"m"} and d.by_route["route"].tolist() == ["/ask"]
    assert len(d.timeline) == 12
    fig = d.plot()
    assert len(fig.axes) == 4
    t.shutdown()


def test_traced_decorator_sync_and_async(t) -> None:
    @tracing.traced
    def plain(x: int) -> int:
        return x + 1

    @tracing.traced("fetch", category="tool", source="kb")
    async def fetch() -> str:
        return "ok"

    assert plain(1) == 2 and asyncio.run(fetch()) == "ok"
    t.flush()
    names = Counter(s.name for s in t.store.spans())
    assert names == {"test_traced_decorator_sync_and_async.<locals>.plain": 1, "fetch": 1}
    assert t.store.spans(name="fetch")[0].attributes["labkit.source"] == "kb"


def test_no_tracer_means_no_op_spans_and_no_headers(tmp_path: Path) -> None:
    tracing.shutdown()
    assert tracing.current() is None
    with tracing.span("nothing") as s:
        assert not s.is_recording()
    assert tracing.headers() == {}
    with pytest.raises(RuntimeError, match="setup"):
        tracing.active()


def test_setup_validates_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sample_rate"):
        tracing.setup(tmp_path / "x.sqlite", sample_rate=10)
    with pytest.raises(ValueError, match="nanoseconds"):
        tracing.setup(tmp_path / "x.sqlite", clock=time.time)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="redact"):
        tracing.setup(tmp_path / "x.sqlite", redact="emails")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="file"):
        SpanStore(":memory:")
    t = tracing.setup(tmp_path / "x.sqlite", instrument_llm=False)
    with pytest.raises(ValueError, match="category"):
        t.start_span("x", category="database")
    t.shutdown()


def test_otlp_export_reaches_a_collector(tmp_path: Path) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    received: list[ExportTraceServiceRequest] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["content-length"]))
            req = ExportTraceServiceRequest()
            req.ParseFromString(body)
            received.append(req)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        t = tracing.setup(tmp_path / "o.sqlite", sample_rate=1.0, redact=_redact_emails, instrument_llm=False,
                          otlp_endpoint=f"http://127.0.0.1:{server.server_address[1]}", service_name="svc-otlp")
        assert t.otlp_enabled
        with tracing.span("request", user=EMAIL):
            t.record_llm_call(_record())
        t.flush()
        t.shutdown()
    finally:
        server.shutdown()
    spans = [s for r in received for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert sorted(s.name for s in spans) == ["chat smollm2-135m-instruct", "request"]
    attrs = {kv.key: kv.value for s in spans for kv in s.attributes}
    assert attrs["gen_ai.usage.input_tokens"].int_value == 120
    assert attrs["user.id"].string_value == "[EMAIL]"
    service = {kv.value.string_value for r in received for rs in r.resource_spans for kv in rs.resource.attributes
               if kv.key == "service.name"}
    assert service == {"svc-otlp"}


def test_fastapi_middleware_joins_the_callers_trace(t) -> None:
    import httpx
    from fastapi import FastAPI

    from labkit.rag.service import ServiceThread

    api = FastAPI()

    @api.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        with tracing.span("db.lookup", category="tool"):
            return {"id": item_id}

    @api.get("/fail")
    def fail() -> None:
        raise RuntimeError("bug")

    tracing.instrument_fastapi(api)
    with ServiceThread(api) as svc:
        base = svc.url[:-3]
        with tracing.span("client.call", category="client") as root:
            r = httpx.get(f"{base}/items/7", headers=tracing.headers())
        assert r.status_code == 200
        with tracing.span("client.call2") as root2:
            r2 = httpx.get(f"{base}/fail", headers=tracing.headers())
        assert r2.status_code == 500
    t.flush()
    tid = tracing.trace_id_of(root)
    assert r.headers["x-trace-id"] == tid
    spans = {s.name: s for s in t.store.trace(tid)}
    assert set(spans) == {"client.call", "GET /items/{item_id}", "db.lookup"}
    server = spans["GET /items/{item_id}"]
    assert server.kind == "SERVER" and server.parent_id == spans["client.call"].span_id
    assert server.attributes["http.route"] == "/items/{item_id}" and server.attributes["http.response.status_code"] == 200
    assert spans["db.lookup"].parent_id == server.span_id
    failed = t.store.traces(errors=True)
    assert [f.trace_id for f in failed] == [tracing.trace_id_of(root2)]


def test_cli_lists_shows_and_summarises(t, capsys: pytest.CaptureFixture[str]) -> None:
    from labkit.cli import main

    for i in range(3):
        with tracing.span("request", route="/ask") as root:
            t.record_llm_call(_record(input_tokens=100 + i))
    t.flush()
    path = str(t.store.path)
    assert main(["traces", "list", "--store", path]) == 0
    out = capsys.readouterr().out
    assert out.count("/ask") == 3 and "3 traces shown" in out
    assert main(["traces", "show", tracing.trace_id_of(root)[:10], "--store", path, "--attributes"]) == 0
    out = capsys.readouterr().out
    assert "chat smollm2-135m-instruct" in out and "gen_ai.usage.input_tokens = 102" in out
    assert main(["traces", "stats", "--store", path, "--since", "1h"]) == 0
    out = capsys.readouterr().out
    assert "requests (estimated from 3 stored traces): 3" in out and "smollm2-135m-instruct" in out
    assert main(["traces", "list", "--store", str(Path(path).with_name("missing.sqlite"))]) == 2
    assert main(["traces", "list", "--store", path, "--since", "yesterday"]) == 2


def test_viewers_draw_a_waterfall_and_tables(t) -> None:
    with tracing.span("POST /ask", category="http") as root:
        with tracing.span("rag.retrieve", category="retrieval"):
            pass
        t.record_llm_call(_record())
    t.flush()
    tid = tracing.trace_id_of(root)
    fig = tracing.waterfall(t.store, tid)
    labels = [lbl.get_text().strip() for lbl in fig.axes[0].get_yticklabels()]
    assert labels[0] == "POST /ask" and set(labels[1:]) == {"rag.retrieve", "chat smollm2-135m-instruct"}
    table = tracing.span_table(t.store, tid)
    assert table["span"].iloc[0] == "POST /ask" and table["cost_usd"].notna().sum() == 1
    assert tracing.trace_table(t.store)["llm_calls"].tolist() == [1]
    text = tracing.text_waterfall(t.store.trace(tid))
    assert "120→30 tok" in text


def test_current_span_helpers() -> None:
    assert tracing.trace_id_of(otel_trace.INVALID_SPAN) == ""


def test_virtual_clock_only_moves_forward() -> None:
    clock = tracing.VirtualClock(datetime(2026, 3, 2, tzinfo=UTC))
    start = clock()
    assert clock.advance(1.5) == start + 1_500_000_000 == clock()
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone"):
        tracing.VirtualClock(datetime(2026, 3, 2))


def test_exercise_reference_solutions_pass_and_wrong_answers_fail() -> None:
    from labkit.exercises import get

    for ex_id in ("nb08.cost", "nb08.incident"):
        ex = get(ex_id)
        assert ex.check(ex.solution)
    with pytest.raises(AssertionError, match="Hint"):
        get("nb08.incident").check(lambda before, after: "tokens")
    with pytest.raises(AssertionError, match="trace"):
        get("nb08.cost").check(lambda spans: {tid: 0.0 for tid in spans["trace_id"].unique()})


def test_incident_signals_need_more_than_noise() -> None:
    from labkit.exercises import nb08

    before = nb08._simulate(None, 6, seed=1, start=datetime(2026, 3, 2, tzinfo=UTC))
    noisy = before.copy()
    noisy.loc[noisy["category"] == "retrieval", "duration_ms"] *= 3  # 25 ms -> 75 ms: noise, not a regression
    noisy.loc[noisy["category"] == "llm", "input_tokens"] *= 1.3
    assert nb08._incident_solution(before, noisy) == "tokens"
    table = nb08.signals_table(before, before)
    assert (table["after / before"].dropna() == 1).all() and table["after / before"].isna().sum() == 1


def test_simulated_traffic_truth_matches_the_store(tmp_path: Path) -> None:
    from labkit.exercises import nb08

    clock = tracing.VirtualClock(datetime(2026, 3, 2, tzinfo=UTC))
    t = tracing.Tracing(tmp_path / "sim.sqlite", sample_rate=1.0, instrument_llm=False, clock=clock)
    truth = nb08.simulate_traffic(t, clock, n=200, error_rate=0.1, seed=4)
    t.flush()
    d = tracing.dashboard(t.store)
    assert d.requests == 200 and d.error_rate == truth["errors"] / 200
    assert abs(d.p95_ms - truth["p95_ms"]) < 1e-6 * truth["p95_ms"] + 1
    t.shutdown()


def test_trace_explorer_widget_selects_clicks_and_checks(t) -> None:
    from labkit.tracing.demo import TraceDemo

    with tracing.span("client.ask", category="client") as rag_root:
        with tracing.span("rag.retrieve", category="retrieval"):
            pass
        t.record_llm_call(_record(latency_s=0.5))
    with tracing.span("agent.step") as agent_root:
        with tracing.tool_span("lookup"):
            time.sleep(0.05)
    t.flush()
    ex = TraceDemo(t.store, {"rag": tracing.trace_id_of(rag_root), "agent": tracing.trace_id_of(agent_root)[:10]})
    assert len(ex.rows.children) == 3 and ex.longest_leaf().category == "llm"
    assert ex.check_prediction("the model call") and "Right" in ex.feedback.value
    assert "Σ tokens × price" in ex.cost.value and "$" in ex.cost.value
    llm_span = next(s for s in ex.spans if s.category == "llm")
    attrs = ex.click(llm_span.span_id)
    assert attrs["gen_ai.usage.input_tokens"] == 120 and "gen_ai.usage.input_tokens" in ex.details.value
    ex.select("agent")
    assert ex.picker.value == "agent" and [s.name for s in ex.spans] == ["agent.step", "execute_tool lookup"]
    assert not ex.check_prediction("retrieval") and ex.check_prediction("a tool")
    with pytest.raises(KeyError):
        ex.click(llm_span.span_id)  # not in the selected trace


def test_redaction_with_the_enterprise_pii_redactor(tmp_path: Path) -> None:
    pii = pytest.importorskip("labkit.enterprise.pii")
    t = tracing.setup(tmp_path / "p.sqlite", sample_rate=1.0, redact=pii.redact, capture_content=True,
                      instrument_llm=False)
    with tracing.span("support.ticket", customer=EMAIL, attributes={"note": f"reply to {EMAIL}"}):
        t.record_llm_call(_record())
    t.flush()
    t.shutdown()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("p.sqlite"))
    assert EMAIL.encode() not in raw
    ticket = t.store.spans(name="support.ticket")[0]
    assert ticket.attributes["labkit.customer"] != EMAIL and EMAIL not in ticket.attributes["note"]
