"""labkit.tracing against the real embedded model: LLM spans from the client hooks, W3C headers on
the wire, retries through a flaky proxy, and a traced RAG service joined to its caller's trace."""

from __future__ import annotations

import threading
from pathlib import Path

import openai
import pytest

from labkit import llm, tracing

pytestmark = pytest.mark.server

DOCS = [
    {"id": "d1", "doc_id": "plans", "title": "Plans and prices", "tenant": "shared", "data_class": "public",
     "version": 1, "status": "current", "updated": "2026-01-01",
     "text": "The Team plan costs $24 per user per month. The Business plan costs $48 per user per month."},
    {"id": "d2", "doc_id": "limits", "title": "Upload limits", "tenant": "shared", "data_class": "public",
     "version": 1, "status": "current", "updated": "2026-01-01",
     "text": "Attachments can be up to 50 MB each. Workspaces store up to 1 TB."},
]


@pytest.fixture(autouse=True)
def _no_tracer_left_behind():
    yield
    tracing.shutdown()  # a failed test must not leave its tracer hooked into labkit.llm


@pytest.fixture
def t(tmp_path: Path, embedded):
    tr = tracing.setup(tmp_path / "traces.sqlite", sample_rate=1.0)
    yield tr
    tr.shutdown()


def test_llm_calls_become_genai_spans_with_the_ledgers_cost(t) -> None:
    seen_headers: list[str] = []
    llm.hooks.request_hooks.append(lambda req: seen_headers.append(req.headers.get("traceparent", "")))
    try:
        client, model = llm.client(), llm.model_for("chat")
        mark = llm.ledger.mark()
        with tracing.span("ask", route="/ask") as root:
            r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Say hi."}],
                                               max_tokens=6, temperature=0)
            stream = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Count."}],
                                                    max_tokens=6, temperature=0, stream=True,
                                                    stream_options={"include_usage": True})
            for _ in stream:
                pass
    finally:
        llm.hooks.request_hooks.pop()
    t.flush()
    plain, streamed = t.store.spans(category="llm")
    root_id = format(root.get_span_context().span_id, "016x")
    assert plain.parent_id == root_id == streamed.parent_id
    assert plain.attributes["gen_ai.usage.input_tokens"] == r.usage.prompt_tokens
    assert plain.attributes["gen_ai.usage.output_tokens"] == r.usage.completion_tokens
    assert plain.attributes["gen_ai.response.finish_reasons"] == [r.choices[0].finish_reason]
    assert plain.attributes["gen_ai.provider.name"] == "llama.cpp" and plain.model == model
    records = llm.ledger.records[mark:]
    assert [s.cost_usd for s in (plain, streamed)] == pytest.approx([rec.cost_usd for rec in records])
    assert streamed.attributes["gen_ai.request.stream"] is True
    assert 0 < streamed.attributes["gen_ai.response.time_to_first_chunk"] < streamed.duration_ms / 1000
    # the header on the wire names the LLM span, so a traced server would nest under it
    assert seen_headers[0].split("-")[1:3] == [plain.trace_id, plain.span_id]
    # a model call's span lies inside its caller's span (the capstone's layer check relies on it)
    ask = next(s for s in t.store.spans() if s.span_id == root_id)
    assert all(ask.start_ns <= s.start_ns <= s.end_ns <= ask.end_ns for s in (plain, streamed))


def test_concurrent_identical_requests_land_in_their_own_traces(t) -> None:
    client, model = llm.client(), llm.model_for("chat")
    roots: dict[int, str] = {}

    def ask(n: int) -> None:
        with tracing.span("request", n=n) as root:
            roots[n] = tracing.trace_id_of(root)
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=3,
                                           temperature=0)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.flush()
    for tid in roots.values():
        spans = t.store.trace(tid)
        assert [s.category for s in spans] == [None, "llm"] and spans[1].parent_id == spans[0].span_id


def test_retries_through_a_flaky_proxy_show_as_repeated_spans(tmp_path: Path, embedded) -> None:
    t = tracing.setup(tmp_path / "retry.sqlite", sample_rate=0.0)  # errors are kept even at rate 0
    try:
        with tracing.FlakyProxy(fail_attempts=2, status=503, retry_after_ms=20) as proxy:
            client = tracing.traced_client(proxy.url, max_retries=3)
            with tracing.span("ask") as root:
                r = client.chat.completions.create(model=llm.model_for("chat"), max_tokens=4,
                                                   messages=[{"role": "user", "content": "Hi"}])
            assert proxy.counts.failed == 2 and proxy.counts.forwarded == 1
        t.flush()
        (summary,) = t.store.traces()
        assert summary.trace_id == tracing.trace_id_of(root) and summary.sample_reason == "error"
        attempts = t.store.spans(category="llm")
        assert [s.error for s in attempts] == [True, True, False]
        assert [s.attributes.get("http.request.resend_count", 0) for s in attempts] == [0, 1, 2]
        assert attempts[-1].output_tokens == r.usage.completion_tokens
    finally:
        t.shutdown()


def test_traced_rag_service_joins_the_client_trace(t, tmp_path: Path) -> None:
    from labkit.rag import RagApp, RagConfig
    from labkit.rag.service import ServiceThread, create_app

    rag = tracing.instrument_rag(RagApp(DOCS, RagConfig(k=2, max_tokens=8), index_path=tmp_path / "idx.sqlite"))
    api = tracing.instrument_fastapi(create_app(rag))
    with ServiceThread(api) as svc:
        client = openai.OpenAI(base_url=svc.url, api_key="x", max_retries=0)
        with tracing.span("client.ask", category="client") as root:
            raw = client.chat.completions.with_raw_response.create(
                model="labkit-rag", max_tokens=6,  # max_tokens makes the service derive an app via with_config
                messages=[{"role": "user", "content": "How much does the Team plan cost?"}],
                extra_headers=tracing.headers())
    t.flush()
    tid = tracing.trace_id_of(root)
    assert raw.headers["x-trace-id"] == tid
    spans = t.store.trace(tid)
    by_name = {s.name: s for s in spans}
    server = by_name["POST /v1/chat/completions"]
    answer, retrieve = by_name["rag.answer"], by_name["rag.retrieve"]
    chat = next(s for s in spans if s.category == "llm")
    assert server.parent_id == by_name["client.ask"].span_id and server.kind == "SERVER"
    assert answer.parent_id == server.span_id and retrieve.parent_id == answer.span_id
    assert chat.parent_id == answer.span_id and chat.attributes["gen_ai.request.max_tokens"] == 6
    assert retrieve.attributes["rag.document_ids"][0] == "d1"
    # the wrapper reports the answer's tokens under rag.*; gen_ai.usage is only on the model call (no double count)
    assert answer.attributes["rag.input_tokens"] == chat.input_tokens and answer.input_tokens is None
    assert "gen_ai.request.model" not in answer.attributes and answer.attributes["openinference.span.kind"] == "CHAIN"
    assert chat.attributes["openinference.span.kind"] == "LLM"
    assert retrieve.attributes["openinference.span.kind"] == "RETRIEVER"
    # every span the app emits names its release: the prompt version and the model it asked for
    for s in (answer, retrieve, chat):
        assert s.attributes["labkit.prompt.version"] == "v1-grounded", s.name
        assert s.attributes["labkit.model.version"] == chat.attributes["gen_ai.request.model"], s.name
    assert "labkit.prompt.version" not in server.attributes  # the service's own span is outside the app
    # the model call dominates the request, retrieval is a small part
    assert chat.duration_ms > retrieve.duration_ms


def test_introduced_regressions_change_the_app_and_revert(tmp_path: Path, embedded) -> None:
    import random
    import time

    from labkit.exercises import nb08
    from labkit.rag import RagApp, RagConfig

    app = RagApp(DOCS, RagConfig(k=2, max_tokens=8), index_path=tmp_path / "idx.sqlite")
    seeds = {}
    for seed in range(50):
        seeds.setdefault(nb08.KINDS[random.Random(seed).randrange(3)], seed)
    inc = nb08.introduce(app, seeds["tokens"])
    assert inc.reveal() == "tokens" and app.config.k == 4 and "tokens" not in repr(inc)
    inc.revert()
    assert app.config.k == 2
    inc = nb08.introduce(app, seeds["slow_retrieval"])
    t0 = time.perf_counter()
    app.retrieve("Team plan price")
    assert time.perf_counter() - t0 >= nb08.SIM["slow_retrieval_extra_ms"] / 1000
    inc.revert()
    assert "search" not in vars(app.index)  # the class's own search again
    inc = nb08.introduce(app, seeds["retries"])
    assert llm.base_url() not in str(app.client.base_url) and app.client.max_retries == 3  # through the proxy
    inc.revert()
    assert app._client is None
