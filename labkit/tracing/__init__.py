"""Tracing for LLM services on OpenTelemetry: one-call set-up, GenAI spans, a local store, viewers.

    >>> from labkit import tracing
    >>> t = tracing.setup("traces.sqlite", sample_rate=0.1)      # tail sampling: all errors + 10%
    >>> rag = tracing.instrument_rag(RagApp())                   # rag.answer > rag.retrieve > chat ...
    >>> with tracing.span("handle", category="internal", route="/ask"):
    ...     rag.answer("How much does the Team plan cost?")
    >>> t.flush()
    >>> t.store.traces(errors=True)                              # query by error, latency, cost, model, time
    >>> tracing.waterfall(t.store, trace_id)                     # one request, span by span
    >>> tracing.dashboard(t.store).plot()                        # requests, errors, p50/p95/p99, cost

What you get:

* **LLM spans** for every call through ``labkit.llm`` clients, following the OpenTelemetry GenAI
  semantic conventions (``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
  ``gen_ai.response.model``, ``gen_ai.usage.input_tokens``/``output_tokens``,
  ``gen_ai.response.finish_reasons``) plus ``labkit.cost_usd`` from the registry's prices. Prompts and
  completions are recorded only with ``capture_content=True``.
* **Spans for everything else**: :func:`span`, :func:`traced`, :func:`tool_span`, :func:`guard_span`,
  :func:`cache_span`; :func:`instrument_rag` for the reference RAG app; :func:`instrument_fastapi`
  for a service, continuing the caller's trace from its W3C ``traceparent`` header
  (:func:`headers` makes that header for an outgoing call). ``span(..., user=..., session=...)``
  sets ``user.id`` and ``session.id``. Inside ``with tracing.versions(prompt=..., model=...)`` every span
  carries ``labkit.prompt.version`` and ``labkit.model.version`` (the RAG app sets both on all its spans),
  so any metric splits by release.
* **Span kinds trace UIs read**: every span has an ``openinference.span.kind``: LLM (model calls; EMBEDDING
  for embeddings), RETRIEVER, TOOL, GUARDRAIL, EVALUATOR (online eval scores,
  ``labkit.evals.online.attach_score``) or CHAIN (requests, wrappers, cache lookups). Token usage
  (``gen_ai.usage.*``) and ``gen_ai.request.model`` are only on model-call spans, so a UI that adds
  up a trace's tokens counts each call once.
* **GenAI metrics**: :class:`GenAIMetrics` records ``gen_ai.client.token.usage`` and
  ``gen_ai.client.operation.duration`` for every model call on any OpenTelemetry ``MeterProvider``.
* **Tail sampling** per trace: every error trace, optionally every slow one, and ``sample_rate``
  of the rest; dashboards re-weight so the estimates stay right.
* **Redaction**: ``redact=`` takes any function str -> str (e.g. ``labkit.enterprise.pii.redact``),
  applied to every string before a span reaches the store or a collector.
* **A trace explorer widget**: :class:`TraceDemo` (``demos/trace_explorer``): pick a trace, click its spans.
* **A local store** (:class:`SpanStore`, SQLite, safe with concurrent writers) and ``labkit traces
  list|show|stats`` to read it from a terminal.
* **Virtual time**: ``setup(clock=...)`` takes span times from your clock (ns since the epoch, e.g.
  a :class:`VirtualClock`); :meth:`Tracing.record_span` records spans with explicit start and end
  times, :meth:`Tracing.record_llm_call` an LLM span from a (simulated) ``CallRecord``. A virtual
  clock must advance by the simulated duration of the work; a real model call inside a span on a
  virtual clock lasts its measured latency from the clock's time when it started.

Sending the same spans to a trace UI (optional, nothing here needs it). Set
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or pass ``otlp_endpoint=``) and every kept span also goes, over
OTLP/HTTP, to any collector:

* Jaeger: ``docker run --rm -p 16686:16686 -p 4318:4318 jaegertracing/all-in-one`` then
  ``export OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318`` and open http://localhost:16686;
* Phoenix (Arize, reads the GenAI attributes and OpenInference kinds): ``make phoenix-env`` once, then
  ``python -m labkit.tracing.phoenix`` (offline, see :mod:`labkit.tracing.phoenix`) and
  ``export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:6006``;
* Langfuse or any OpenTelemetry collector: its OTLP/HTTP endpoint and ``OTEL_EXPORTER_OTLP_HEADERS``.
"""

from labkit.tracing.core import (
    CATEGORIES,
    Tracing,
    TracingStats,
    VirtualClock,
    active,
    cache_span,
    current,
    extract,
    guard_span,
    headers,
    setup,
    shutdown,
    span,
    tool_span,
    trace_id_of,
    traced,
    versions,
)
from labkit.tracing.demo import TraceDemo
from labkit.tracing.faults import FlakyProxy
from labkit.tracing.instrument import TraceMiddleware, instrument_fastapi, instrument_rag, traced_client
from labkit.tracing.metrics import GenAIMetrics
from labkit.tracing.sampling import SamplingDecision, SamplingStats, TailSampler, trace_ratio
from labkit.tracing.store import SpanRecord, SpanStore, SQLiteSpanExporter, TraceSummary, default_store_path
from labkit.tracing.viz import Dashboard, dashboard, span_table, text_waterfall, trace_table, waterfall

__all__ = [
    "CATEGORIES", "Dashboard", "FlakyProxy", "GenAIMetrics", "SQLiteSpanExporter", "SamplingDecision", "SamplingStats", "SpanRecord",
    "SpanStore", "TailSampler", "TraceDemo", "TraceMiddleware", "TraceSummary", "Tracing", "TracingStats", "VirtualClock", "active", "cache_span",
    "current", "dashboard", "default_store_path", "extract", "guard_span", "headers", "instrument_fastapi",
    "instrument_rag", "setup", "shutdown", "span", "span_table", "text_waterfall", "tool_span", "trace_id_of",
    "trace_ratio", "trace_table", "traced", "traced_client", "versions", "waterfall",
]
