"""Span conventions trace UIs (Phoenix, Langfuse) read: an OpenInference kind on every span, token usage
only on model calls (a trace's tokens add up to the ledger's), user.id/session.id on the request,
eval scores inside their request's trace; and the GenAI client metrics on the OpenTelemetry SDK."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

# the same two-document knowledge base and tracer clean-up as the tracing tests (an autouse fixture imported here applies here)
from test_tracing_llm import DOCS, _no_tracer_left_behind  # noqa: F401

from labkit import llm, tracing
from labkit.evals import online
from labkit.llm.ledger import CallRecord

KINDS = {"LLM", "EMBEDDING", "RETRIEVER", "TOOL", "GUARDRAIL", "CHAIN", "EVALUATOR"}
KIND = "openinference.span.kind"


def _record(**changes) -> CallRecord:
    base = dict(operation="chat", model="smollm2-135m-instruct", backend="embedded", stream=False, status=200,
                input_tokens=120, output_tokens=30, latency_s=0.8, response_model="smollm2-135m-instruct",
                request_body={"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}]})
    base.update(changes)
    return CallRecord(**base)


def _points(reader: InMemoryMetricReader, name: str) -> list[HistogramDataPoint]:
    data = reader.get_metrics_data()
    if data is None:
        return []
    return [p for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics if m.name == name
            for p in m.data.data_points]


def _token_sum(reader: InMemoryMetricReader, token_type: str) -> float:
    return sum(p.sum for p in _points(reader, "gen_ai.client.token.usage")
               if p.attributes.get("gen_ai.token.type") == token_type)


def test_every_helper_span_has_its_openinference_kind_and_standard_user_names(tmp_path: Path) -> None:
    memory = InMemorySpanExporter()
    t = tracing.setup(tmp_path / "k.sqlite", sample_rate=1.0, instrument_llm=False, exporters=[memory])
    with tracing.span("request", category="http", user="ana", session="s-7", route="/ask"):
        with tracing.guard_span("pii"):
            pass
        with tracing.cache_span("answers"):
            pass
        with tracing.tool_span("lookup_order"):
            pass
        with tracing.span("search", category="retrieval"):
            pass
        t.record_llm_call(_record())
        t.record_llm_call(_record(operation="embeddings", output_tokens=0,
                                  request_body={"model": "minilm", "input": "hi"}))
    t.flush()
    spans = {s.name: s.attributes for s in memory.get_finished_spans()}
    assert {name: attrs[KIND] for name, attrs in spans.items()} == {
        "request": "CHAIN", "guard pii": "GUARDRAIL", "cache.lookup answers": "CHAIN",
        "execute_tool lookup_order": "TOOL", "search": "RETRIEVER", "chat smollm2-135m-instruct": "LLM",
        "embeddings smollm2-135m-instruct": "EMBEDDING"}
    assert spans["search"]["gen_ai.operation.name"] == "retrieval"
    assert spans["execute_tool lookup_order"]["gen_ai.operation.name"] == "execute_tool"
    root = spans["request"]
    assert (root["user.id"], root["session.id"], root["labkit.route"]) == ("ana", "s-7", "/ask")
    assert "labkit.user" not in root


def test_an_eval_score_joins_its_requests_trace_after_the_request_ended(tmp_path: Path) -> None:
    t = tracing.setup(tmp_path / "e.sqlite", sample_rate=1.0, instrument_llm=False)
    with tracing.span("request", user="ana") as root:
        t.record_llm_call(_record())
    t.flush()
    (stored_root,) = [s for s in t.store.spans() if s.parent_id is None]  # e.g. read back from the store later
    request = (stored_root.trace_id, stored_root.span_id)
    span = online.attach_score(request, "faithfulness", 0.75, label="pass", explanation="every claim is cited")
    t.flush()
    evals = [s for s in t.store.trace(stored_root.trace_id) if s.name == "evaluation faithfulness"]
    assert span is not None and len(evals) == 1
    (ev,) = evals
    assert ev.parent_id == stored_root.span_id and ev.trace_id == tracing.trace_id_of(root)
    assert ev.attributes[KIND] == "EVALUATOR" and ev.attributes["gen_ai.evaluation.score.value"] == 0.75
    assert ev.attributes["gen_ai.evaluation.score.label"] == "pass"
    assert t.store.traces()[0].input_tokens == 120  # the score adds no tokens to its trace
    with pytest.raises(TypeError, match="trace_id, span_id"):
        online.attach_score(("not-hex", "x"), "faithfulness", 1.0)
    tracing.shutdown()
    assert online.attach_score(request, "faithfulness", 1.0) is None  # tracing off: nothing to attach to


def test_genai_metrics_record_tokens_and_duration_per_call() -> None:
    reader = InMemoryMetricReader()
    with tracing.GenAIMetrics(MeterProvider(metric_readers=[reader])) as metrics:
        assert metrics.record in llm.hooks.observers  # the ledger's observer path
        metrics.record(_record())
        metrics.record(_record(input_tokens=80, output_tokens=20, latency_s=0.4))
        metrics.record(_record(status=503, error="HTTP 503", input_tokens=0, output_tokens=0, latency_s=0.01))
        metrics.record(_record(operation="models"))  # not a model call: ignored
    assert metrics.record not in llm.hooks.observers
    assert _token_sum(reader, "input") == 200 and _token_sum(reader, "output") == 50
    (usage,) = [p for p in _points(reader, "gen_ai.client.token.usage")
                if p.attributes["gen_ai.token.type"] == "input"]
    assert usage.count == 2 and dict(usage.attributes) == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "llama.cpp",
        "gen_ai.request.model": "smollm2-135m-instruct", "gen_ai.response.model": "smollm2-135m-instruct",
        "gen_ai.token.type": "input"}
    durations = {p.attributes.get("error.type"): p for p in _points(reader, "gen_ai.client.operation.duration")}
    assert durations[None].count == 2 and durations[None].sum == pytest.approx(1.2)
    assert durations["503"].count == 1
    assert 1.28 in durations[None].explicit_bounds  # the semantic conventions' bucket boundaries


@pytest.mark.server
def test_a_traced_rag_request_counts_each_token_once(tmp_path: Path, embedded) -> None:
    from labkit.rag import RagApp, RagConfig

    memory = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    t = tracing.setup(tmp_path / "rag.sqlite", sample_rate=1.0, exporters=[memory])
    rag = tracing.instrument_rag(RagApp(DOCS, RagConfig(k=2, max_tokens=8), index_path=tmp_path / "idx.sqlite"))
    mark = llm.ledger.mark()
    with tracing.GenAIMetrics(MeterProvider(metric_readers=[reader])):
        with tracing.span("request", category="http", user="ana", session="s-1") as root:
            with tracing.guard_span("input"):
                pass
            answer = rag.answer("How much does the Team plan cost?")
    online.attach_score(root, "answered", 0.0 if answer.abstained else 1.0)
    t.flush()
    ledger = llm.ledger.totals(since=mark)
    trace_id = root.get_span_context().trace_id
    spans = [s for s in memory.get_finished_spans() if s.context.trace_id == trace_id]
    assert ledger["calls"] >= 1 and ledger["input_tokens"] > 0
    assert {s.attributes.get(KIND) for s in spans} <= KINDS
    assert {"CHAIN", "RETRIEVER", "LLM", "GUARDRAIL", "EVALUATOR"} <= {s.attributes[KIND] for s in spans}
    assert sum(int(s.attributes.get("gen_ai.usage.input_tokens", 0)) for s in spans) == ledger["input_tokens"]
    assert sum(int(s.attributes.get("gen_ai.usage.output_tokens", 0)) for s in spans) == ledger["output_tokens"]
    assert [s.name for s in spans if "gen_ai.request.model" in s.attributes] == [
        s.name for s in spans if s.attributes[KIND] == "LLM"]
    (root_span,) = [s for s in spans if s.parent is None]
    assert (root_span.attributes["user.id"], root_span.attributes["session.id"]) == ("ana", "s-1")
    assert _token_sum(reader, "input") == ledger["input_tokens"]  # the metrics saw the same calls
    assert t.store.traces()[0].input_tokens == ledger["input_tokens"]


def test_the_collector_config_tail_samples_like_the_in_process_sampler() -> None:
    import inspect

    import yaml

    config = yaml.safe_load((Path(__file__).parent.parent / "deploy" / "otel-collector.yaml").read_text())
    pipelines = config["service"]["pipelines"]
    assert "tail_sampling" in pipelines["traces"]["processors"]
    assert "tail_sampling" not in pipelines["metrics"]["processors"]  # every model call counts in the metrics
    for pipeline in pipelines.values():
        assert set(pipeline["receivers"]) <= set(config["receivers"])
        assert set(pipeline["processors"]) <= set(config["processors"])
        assert set(pipeline["exporters"]) <= set(config["exporters"])
    policies = {p["type"]: p for p in config["processors"]["tail_sampling"]["policies"]}
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    default_rate = inspect.signature(tracing.setup).parameters["sample_rate"].default
    assert policies["probabilistic"]["probabilistic"]["sampling_percentage"] == 100 * default_rate


def test_spans_inside_versions_carry_the_prompt_and_model_version(tmp_path: Path) -> None:
    memory = InMemorySpanExporter()
    t = tracing.setup(tmp_path / "v.sqlite", sample_rate=1.0, instrument_llm=False, exporters=[memory])
    with tracing.span("outside"):
        with tracing.versions(prompt="v2-terse", model="m-1"):
            with tracing.span("step"):
                t.record_llm_call(_record())
            with tracing.versions(prompt="v3"):  # nested: overrides the prompt, keeps the model
                with tracing.span("inner"):
                    pass
    t.flush()
    spans = {s.name: s.attributes for s in memory.get_finished_spans()}
    release = {name: (a.get("labkit.prompt.version"), a.get("labkit.model.version")) for name, a in spans.items()}
    assert release == {"outside": (None, None), "step": ("v2-terse", "m-1"),
                       "chat smollm2-135m-instruct": ("v2-terse", "m-1"), "inner": ("v3", "m-1")}
    with pytest.raises(ValueError, match="non-empty"):
        with tracing.versions(prompt=""):
            pass
