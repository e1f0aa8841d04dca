"""labkit.tracing overhead, store throughput, query latency, and no lost spans under concurrency.

* Cost per span with the SQLite exporter: traces of 5 nested spans, kept at sample_rate=1, timed
  from the first span to the moment they are in the store (``flush``), so the export thread's work
  is counted; minus the same code with tracing off. The target is on the process's CPU time (all
  threads), which is what tracing costs the machine; wall time is reported next to it (on a shared,
  loaded machine it also counts time other processes held the CPU). Target: median < 50 us per span.
* Share of a RAG service request: the CPU tracing adds to one request — (spans per traced request,
  measured in the store, - 1) x cost per span + the LLM hooks' cost per model call (measured by
  driving them with a real request and record) — over the median end-to-end request time of the
  real RAG service over HTTP. Target: < 3 %.
  A direct interleaved A/B of the same requests with tracing on/off is reported next to it (on a
  2-core machine its noise is larger than the effect).
* No span lost: 8 concurrent request streams against the traced RAG service (real model), and 8
  threads x 500 synthetic traces; spans stored must equal spans created.
* Store write throughput with 1, 4 and 8 concurrent writers (each its own connection).
* Query latency over a store of 20,000 traces / 100,000 spans.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROUNDS = 15
TRACES_PER_ROUND = 200
SPANS_PER_TRACE = 5


def _work(span_fn: Any) -> None:
    for _ in range(TRACES_PER_ROUND):
        with span_fn("request", category="http", route="/ask"):
            with span_fn("guard input", category="guard"):
                pass
            with span_fn("rag.retrieve", category="retrieval", k=3):
                pass
            with span_fn("chat model", category="llm"):
                pass
            with span_fn("guard output", category="guard"):
                pass


def span_cost(tmp: Path) -> dict[str, Any]:
    """Per-span cost: CPU time of the process (all threads, so the export thread counts) and wall time."""
    from labkit import tracing

    tracing.shutdown()
    off_cpu, off_wall = [], []
    for _ in range(ROUNDS):
        c0, w0 = time.process_time(), time.perf_counter()
        _work(tracing.span)
        off_cpu.append(time.process_time() - c0)
        off_wall.append(time.perf_counter() - w0)
    t = tracing.setup(tmp / "cost.sqlite", sample_rate=1.0, instrument_llm=False)
    on_cpu, on_wall, path_wall = [], [], []
    for _ in range(ROUNDS):
        c0, w0 = time.process_time(), time.perf_counter()
        _work(tracing.span)
        w1 = time.perf_counter()
        t.flush()
        on_cpu.append(time.process_time() - c0)
        on_wall.append(time.perf_counter() - w0)
        path_wall.append(w1 - w0)
    stats = t.stats()
    t.shutdown()
    n = TRACES_PER_ROUND * SPANS_PER_TRACE
    base_cpu, base_wall = statistics.median(off_cpu), statistics.median(off_wall)
    cpu = [(x - base_cpu) / n * 1e6 for x in on_cpu]
    wall = [(x - base_wall) / n * 1e6 for x in on_wall]
    return {
        "per_span_cpu_us_median": round(statistics.median(cpu), 2),
        "per_span_cpu_us_samples": [round(x, 2) for x in cpu],
        "per_span_wall_us_median": round(statistics.median(wall), 2),
        "request_path_wall_us_per_span": round((statistics.median(path_wall) - base_wall) / n * 1e6, 2),
        "untraced_wall_us_per_span": round(base_wall / n * 1e6, 3),
        "load_average_1m": round(__import__("os").getloadavg()[0], 2),
        "spans_stored": stats.spans_exported, "spans_created": stats.spans_started,
    }


def llm_span_cost(tmp: Path, calls: int = 400) -> dict[str, Any]:
    """CPU cost of the LLM hooks per model call: trace headers + span at request time, attributes and
    cost when the record arrives, and the export. Driven with a real request and record, no network."""
    import json

    import httpx2

    from labkit import tracing
    from labkit.llm.ledger import CallRecord

    context = "\n\n".join(f"[{i}] " + "The Team plan costs $24 per user per month. " * 12 for i in range(1, 4))
    body = {"model": "smollm2-135m-instruct", "max_tokens": 32, "temperature": 0.0,
            "messages": [{"role": "system", "content": "Answer from the sources only. " * 6},
                         {"role": "user", "content": f"Sources:\n{context}\n\nQuestion: What does it cost?"}]}
    content = json.dumps(body).encode()
    response = {"id": "chatcmpl-x", "model": "smollm2-135m-instruct",
                "choices": [{"message": {"content": "It costs $24 per user per month [1]."}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 420, "completion_tokens": 12}}
    t = tracing.setup(tmp / "llm.sqlite", sample_rate=1.0)
    try:
        def one() -> None:
            request = httpx2.Request("POST", "http://127.0.0.1:8080/v1/chat/completions", content=content)
            t._on_request(request)
            record = CallRecord("chat", "smollm2-135m-instruct", "embedded", False, status=200, input_tokens=420,
                                output_tokens=12, latency_s=1.5, cost_usd=4.6e-5, finish_reason="stop",
                                response_model="smollm2-135m-instruct", request_body=json.loads(content),
                                response_body=response)
            t._on_record(record)

        c0 = time.process_time()
        for _ in range(calls):
            one()
        t.flush()
        cpu = (time.process_time() - c0) / calls * 1e6
        stored = t.store.count()[1]
    finally:
        t.shutdown()
    return {"per_llm_call_cpu_us": round(cpu, 1), "calls": calls, "stored": stored,
            "request_body_bytes": len(content)}


def rag_overhead(tmp: Path, per_span_us: float, per_llm_call_us: float, pairs: int = 6) -> dict[str, Any]:
    import openai

    from labkit import tracing
    from labkit.rag import RagApp, RagConfig
    from labkit.rag.service import ServiceThread, create_app

    questions = ["How much does the Team plan cost?", "What is the attachment size limit?",
                 "How do I rotate an API key?", "Which regions store data?"]
    t = tracing.setup(tmp / "rag.sqlite", sample_rate=1.0)
    rag = tracing.instrument_rag(RagApp(config=RagConfig(k=2, max_tokens=16)))
    api = tracing.instrument_fastapi(create_app(rag))
    on, off = [], []
    with ServiceThread(api) as svc:
        client = openai.OpenAI(base_url=svc.url, api_key="x", max_retries=0)

        def ask(q: str) -> float:
            t0 = time.perf_counter()
            with tracing.span("client.ask", category="client"):
                client.chat.completions.create(model="labkit-rag", messages=[{"role": "user", "content": q}],
                                               extra_headers=tracing.headers())
            return time.perf_counter() - t0

        ask(questions[0])  # warm-up: model, embedder, index
        for i in range(pairs):
            q = questions[i % len(questions)]
            order = ("on", "off") if i % 2 == 0 else ("off", "on")
            for mode in order:
                if mode == "on":
                    on.append(ask(q))
                else:
                    with t.paused():
                        off.append(ask(q))
    t.flush()
    traces, spans = t.store.count()
    t.shutdown()
    spans_per_request = spans / traces
    median_s = statistics.median(on)
    # one of the spans is the model call, which costs what the LLM hooks cost
    tracing_us = (spans_per_request - 1) * per_span_us + per_llm_call_us
    share = tracing_us / 1e6 / median_s * 100
    return {
        "requests_traced": len(on), "spans_per_request": round(spans_per_request, 2),
        "tracing_cpu_us_per_request": round(tracing_us, 1),
        "median_request_s_traced": round(median_s, 3), "median_request_s_untraced": round(statistics.median(off), 3),
        "tracing_share_of_request_pct": round(share, 4),
        "ab_difference_pct": round((statistics.median(on) / statistics.median(off) - 1) * 100, 2),
    }


def concurrent_rag(tmp: Path, streams: int = 8, per_stream: int = 2) -> dict[str, Any]:
    import openai

    from labkit import tracing
    from labkit.rag import RagApp, RagConfig
    from labkit.rag.service import ServiceThread, create_app

    t = tracing.setup(tmp / "conc.sqlite", sample_rate=1.0)
    rag = tracing.instrument_rag(RagApp(config=RagConfig(k=2, max_tokens=8)))
    api = tracing.instrument_fastapi(create_app(rag))
    errors: list[str] = []
    with ServiceThread(api) as svc:
        def stream(n: int) -> None:
            client = openai.OpenAI(base_url=svc.url, api_key="x", max_retries=0, timeout=600)
            for i in range(per_stream):
                try:
                    with tracing.span("client.ask", category="client", stream=n, i=i):
                        client.chat.completions.create(
                            model="labkit-rag", extra_headers=tracing.headers(),
                            messages=[{"role": "user", "content": f"What does plan {n} cost per month?"}])
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    errors.append(repr(exc))

        threads = [threading.Thread(target=stream, args=(n,)) for n in range(streams)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
    t.flush()
    st = t.stats()
    stored = t.store.count()
    t.shutdown()
    return {"streams": streams, "requests": streams * per_stream, "request_errors": len(errors),
            "wall_s": round(wall, 1), "spans_created": st.spans_started, "spans_stored": stored[1],
            "traces_stored": stored[0]}


def concurrent_synthetic(tmp: Path, threads: int = 8, per_thread: int = 500) -> dict[str, Any]:
    from labkit import tracing

    t = tracing.setup(tmp / "syn.sqlite", sample_rate=1.0, instrument_llm=False)

    def run() -> None:
        for _ in range(per_thread // TRACES_PER_ROUND + 1):
            _work(tracing.span)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    t.flush()
    wall = time.perf_counter() - t0
    st = t.stats()
    stored = t.store.count()[1]
    t.shutdown()
    return {"threads": threads, "spans_created": st.spans_started, "spans_stored": stored,
            "spans_per_s": round(st.spans_started / wall)}


def _synthetic_spans(n_traces: int, seed: int = 0) -> list[list[Any]]:
    """Finished spans made by a real tracer with a virtual clock, grouped per trace (no store)."""
    import random

    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

    rng = random.Random(seed)
    out: list[list[ReadableSpan]] = []
    current: list[ReadableSpan] = []

    class Collect(SpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            current.append(span)

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}), shutdown_on_exit=False)
    provider.add_span_processor(Collect())
    tracer = provider.get_tracer("bench")
    now = 1_780_000_000 * 10**9
    models = ["smollm2-135m-instruct", "gpt-4o-mini"]
    for i in range(n_traces):
        root = tracer.start_span("POST /v1/chat/completions", start_time=now,
                                 attributes={"http.route": "/v1/chat/completions"})
        from opentelemetry import trace

        ctx = trace.set_span_in_context(root)
        t = now
        for name, attrs in (("guard input", {}), ("rag.retrieve", {"gen_ai.operation.name": "retrieval"}),
                            ("chat", {"gen_ai.operation.name": "chat", "gen_ai.request.model": models[i % 2],
                                      "gen_ai.usage.input_tokens": rng.randint(200, 600),
                                      "gen_ai.usage.output_tokens": rng.randint(10, 80),
                                      "labkit.cost_usd": rng.random() * 1e-4}),
                            ("guard output", {})):
            d = int(rng.lognormvariate(15, 1))
            s = tracer.start_span(name, context=ctx, start_time=t, attributes=attrs)
            if rng.random() < 0.02:
                from opentelemetry.trace import Status, StatusCode

                s.set_status(Status(StatusCode.ERROR, "boom"))
            t += d
            s.end(end_time=t)
        root.end(end_time=t)
        out.append(current[:])
        current.clear()
        now += 10**9
    provider.shutdown()
    return out


def store_throughput(tmp: Path, traces_per_writer: int = 1000, batch_traces: int = 20) -> dict[str, Any]:
    from labkit.tracing import SpanStore

    spans = _synthetic_spans(traces_per_writer * 8)
    result: dict[str, Any] = {}
    for writers in (1, 4, 8):
        path = tmp / f"tp-{writers}.sqlite"
        SpanStore(path)
        chunks = [spans[w * traces_per_writer:(w + 1) * traces_per_writer] for w in range(writers)]

        def write(chunk: list[list[Any]], path: Path = path) -> None:
            store = SpanStore(path)  # each writer its own connection, as separate processes would have
            for i in range(0, len(chunk), batch_traces):
                store.write([s for tr in chunk[i:i + batch_traces] for s in tr])

        threads = [threading.Thread(target=write, args=(c,)) for c in chunks]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        n = sum(len(tr) for c in chunks for tr in c)
        stored = SpanStore(path).count()[1]
        result[f"writers_{writers}"] = {"spans": n, "stored": stored, "spans_per_s": round(n / wall)}
    return result


def query_latency(tmp: Path, n_traces: int = 20_000) -> dict[str, Any]:
    from labkit.tracing import SpanStore, dashboard

    store = SpanStore(tmp / "query.sqlite")
    spans = _synthetic_spans(n_traces, seed=1)
    for i in range(0, len(spans), 500):
        store.write([s for tr in spans[i:i + 500] for s in tr])
    traces = store.traces(limit=1000)
    some_id = traces[500].trace_id
    rng = store.time_range()
    assert rng is not None
    mid = (rng[0] + rng[1]) // 2
    queries = {
        "trace_by_id": lambda: store.trace(some_id),
        "trace_by_prefix": lambda: store.trace(some_id[:8]),
        "error_traces": lambda: store.traces(errors=True),
        "slow_traces_top50": lambda: store.traces(min_duration_ms=5, slowest_first=True, limit=50),
        "traces_by_model_in_1h_window": lambda: store.traces(model="gpt-4o-mini", start=mid, end=mid + 3600 * 10**9),
        "costly_llm_spans": lambda: store.spans(min_cost_usd=9e-5),
        "dashboard_1h_window": lambda: dashboard(store, start=mid, end=mid + 3600 * 10**9),
    }
    out: dict[str, Any] = {"traces": store.count()[0], "spans": store.count()[1]}
    for name, fn in queries.items():
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        out[f"{name}_ms"] = round(statistics.median(times), 2)
    return out


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cost = span_cost(tmp)
        llm_cost = llm_span_cost(tmp)
        rag = rag_overhead(tmp, cost["per_span_cpu_us_median"], llm_cost["per_llm_call_cpu_us"])
        conc = concurrent_rag(tmp)
        syn = concurrent_synthetic(tmp)
        throughput = store_throughput(tmp)
        queries = query_latency(tmp)
    lost_rag = conc["spans_created"] - conc["spans_stored"]
    lost_syn = syn["spans_created"] - syn["spans_stored"]
    return {
        "method": __doc__,
        "span_cost": cost, "llm_span_cost": llm_cost, "rag_overhead": rag, "concurrent_rag": conc, "concurrent_synthetic": syn,
        "store_throughput": throughput, "query_latency": queries,
        "targets": [
            {"name": "cost per span with the SQLite exporter, median CPU time (us)",
             "value": cost["per_span_cpu_us_median"], "target": "< 50", "met": cost["per_span_cpu_us_median"] < 50},
            {"name": "tracing share of a RAG service request (%)", "value": rag["tracing_share_of_request_pct"],
             "target": "< 3", "met": rag["tracing_share_of_request_pct"] < 3},
            {"name": "spans lost, 8 concurrent RAG request streams", "value": lost_rag, "target": "0",
             "met": lost_rag == 0 and conc["spans_created"] > 0},
            {"name": "spans lost, 8 threads of synthetic traces", "value": lost_syn, "target": "0",
             "met": lost_syn == 0},
        ],
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
