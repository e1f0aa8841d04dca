"""One-call OpenTelemetry set-up, spans for any piece of work, and LLM spans from labkit's client.

``setup()`` builds a real OpenTelemetry ``TracerProvider`` whose spans go through tail sampling
(:mod:`labkit.tracing.sampling`) to the SQLite span store (:mod:`labkit.tracing.store`) and, when
an OTLP endpoint is configured, to any collector. It also hooks labkit's model client
(``labkit.llm.hooks``): each outgoing request gets a W3C ``traceparent`` header and a CLIENT span
that follows the GenAI semantic conventions (:mod:`labkit.tracing.genai`), finished with tokens,
cost, finish reason and errors when the call's ``CallRecord`` arrives.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import Span, SpanContext, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from labkit.llm.ledger import CallRecord
from labkit.tracing import genai
from labkit.tracing.sampling import ExportPipeline, Redactor, SamplingStats, TailSampler
from labkit.tracing.store import SpanStore, SQLiteSpanExporter

Clock = Callable[[], int]
F = TypeVar("F", bound=Callable[..., Any])

CATEGORIES = ("internal", "http", "llm", "retrieval", "tool", "guard", "cache", "client")
_PROPAGATOR = TraceContextTextMapPropagator()
_MAX_PENDING = 10_000


@dataclass
class TracingStats:
    """Where every span went (a snapshot).

    Attributes:
        spans_started / spans_ended: spans created / finished by this tracer.
        spans_kept / spans_dropped: finished spans in traces that sampling kept / dropped.
        spans_exported: spans the exporters accepted (the store has them).
        spans_lost: spans dropped because export fell behind (should stay 0).
        export_failures: export batches that failed (see ``last_error``).
        traces_kept / traces_dropped / kept_share: sampling decisions per trace.
        kept_by_reason: kept traces per reason ("error", "slow", "sampled").
        open_traces: traces still running (buffered until their root span ends).
        last_error: the last export error, if any.
    """

    spans_started: int
    spans_ended: int
    spans_kept: int
    spans_dropped: int
    spans_exported: int
    spans_lost: int
    export_failures: int
    traces_kept: int
    traces_dropped: int
    kept_share: float
    kept_by_reason: dict[str, int]
    open_traces: int
    last_error: str | None


@dataclass
class _Pending:
    span: SdkSpan
    parent_span_id: int | None


def clean_attributes(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values OpenTelemetry accepts: None dropped, sequences as tuples, anything else as str."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, (str, bool, int, float)):
            out[key] = value
        elif isinstance(value, (list, tuple)):
            items = [v for v in value if v is not None]
            if all(isinstance(v, (str, bool, int, float)) for v in items) and len({type(v) for v in items}) <= 1:
                out[key] = tuple(items)
            else:
                out[key] = tuple(str(v) for v in items)
        else:
            out[key] = str(value)
    return out


def as_text_redactor(redact: Any) -> Redactor:
    """A str -> str function from ``redact``: itself, or ``lambda s: redact(s).redacted`` for a redactor
    that returns a result object (like ``labkit.enterprise.pii.redact``).

    Raises:
        TypeError: ``redact`` is not callable or returns neither a str nor an object with ``.redacted``.
    """
    if not callable(redact):
        raise TypeError(f"redact must be a function str -> str (e.g. labkit.enterprise.pii.redact), "
                        f"got {type(redact).__name__}")
    probe = redact("test")
    if isinstance(probe, str):
        return cast(Redactor, redact)
    if isinstance(getattr(probe, "redacted", None), str):
        return lambda text: redact(text).redacted  # type: ignore[no-any-return]
    raise TypeError(f"redact must return a str (or an object with a .redacted str), got {type(probe).__name__}")


def _body_key(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


def _otlp_exporter(endpoint: str | None) -> SpanExporter | None:
    env = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint and not env:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if endpoint:
        url = endpoint.rstrip("/")
        if not url.endswith("/v1/traces"):
            url += "/v1/traces"
        return OTLPSpanExporter(endpoint=url)
    return OTLPSpanExporter()  # reads the OTEL_EXPORTER_OTLP_* variables itself


class VirtualClock:
    """A clock for simulations: ns since the epoch that move only when advanced (pass it as ``clock=``).

    Args:
        start: the simulated start, a timezone-aware ``datetime`` or int ns since the epoch.

    Example:
        >>> clock = VirtualClock(datetime(2026, 3, 2, tzinfo=UTC))
        >>> t = tracing.setup("week.sqlite", clock=clock)
        >>> with tracing.span("request"):
        ...     clock.advance(1.5)                  # 1.5 simulated seconds pass
    """

    def __init__(self, start: datetime | int) -> None:
        if isinstance(start, datetime):
            if start.tzinfo is None:
                raise ValueError("give the start as a timezone-aware datetime, e.g. datetime(2026, 3, 2, tzinfo=UTC)")
            self._ns = int(start.timestamp() * 1e9)
        elif isinstance(start, int) and not isinstance(start, bool) and start > 10**17:
            self._ns = start
        else:
            raise ValueError(f"start must be an aware datetime or int ns since the epoch, got {start!r}")
        self._lock = threading.Lock()

    def __call__(self) -> int:
        return self._ns

    def advance(self, seconds: float) -> int:
        """Move the clock forward; returns the new time in ns."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got {seconds} s")
        with self._lock:
            self._ns += int(seconds * 1e9)
            return self._ns

    def set(self, ns: int) -> None:
        """Jump to ``ns`` (not earlier than now)."""
        with self._lock:
            if ns < self._ns:
                raise ValueError("a clock only moves forward")
            self._ns = ns


class ActiveSpan:
    """Context manager returned by :meth:`Tracing.span`: current span inside, ended (on the clock) after."""

    __slots__ = ("_span", "_token", "_tracing")

    def __init__(self, tracing: Tracing, span: Span) -> None:
        self._tracing, self._span = tracing, span
        self._token: object | None = None

    def __enter__(self) -> Span:
        self._token = otel_context.attach(trace.set_span_in_context(self._span))
        return self._span

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        s, clock = self._span, self._tracing.clock
        if exc is not None:
            s.record_exception(exc, timestamp=clock(), escaped=True)
            s.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            s.set_attribute("error.type", type(exc).__qualname__)
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]
        s.end(end_time=clock())


class _NoSpan:
    """What :func:`span` returns when tracing is off: a non-recording span, nothing else."""

    __slots__ = ()

    def __enter__(self) -> Span:
        return trace.INVALID_SPAN

    def __exit__(self, *exc: object) -> None:
        return None


_NO_SPAN = _NoSpan()


class Tracing:
    """A configured tracer: OpenTelemetry SDK, tail sampling, the span store, optional OTLP.

    Build it with :func:`setup` (which also makes it the active one for :func:`span`).

    Args:
        store: a :class:`SpanStore` or a path to its SQLite file (default ``$LABKIT_TRACES`` or
            ``~/.cache/labkit/traces.sqlite``).
        sample_rate: share of normal (no error, not slow) traces to keep, decided per trace; default 10%.
        keep_errors: keep every trace with an error span (on by default).
        keep_slower_than_ms: also keep every trace at least this slow (None: off).
        capture_content: put prompts and completions on LLM spans (off by default: they may hold
            personal data). Retrieval spans then also carry the query text.
        redact: a function applied to every string of every span before it is exported: str -> str,
            or one returning an object with a ``.redacted`` string such as
            ``labkit.enterprise.pii.redact``; None stores strings as they are.
        service_name: ``service.name`` of this process's spans.
        clock: a function returning nanoseconds since the epoch, for spans on a virtual clock
            (default: the real time, ``time.time_ns``).
        otlp_endpoint: an OTLP/HTTP collector URL (Jaeger, Phoenix, Langfuse, ...); by default the
            ``OTEL_EXPORTER_OTLP_ENDPOINT`` variable, and no OTLP export when neither is set.
        exporters: extra span exporters that receive every kept span.
        instrument_llm: trace calls made through ``labkit.llm`` clients (on by default).
    """

    def __init__(self, store: SpanStore | str | Path | None = None, *, sample_rate: float = 0.1,
                 keep_errors: bool = True, keep_slower_than_ms: float | None = None, capture_content: bool = False,
                 redact: Redactor | None = None, service_name: str = "labkit", clock: Clock | None = None,
                 otlp_endpoint: str | None = None, exporters: tuple[SpanExporter, ...] | list[SpanExporter] = (),
                 instrument_llm: bool = True) -> None:
        redact = as_text_redactor(redact) if redact is not None else None
        if not isinstance(service_name, str) or not service_name:
            raise ValueError("service_name must be a non-empty string")
        if clock is not None:
            if not callable(clock):
                raise TypeError("clock must be a function returning int nanoseconds since the epoch")
            probe = clock()
            if not isinstance(probe, int) or isinstance(probe, bool) or probe < 10**17:
                raise ValueError(f"clock() must return int nanoseconds since the epoch (like time.time_ns()), "
                                 f"got {probe!r}")
        self.store = store if isinstance(store, SpanStore) else SpanStore(store)
        self.capture_content = capture_content
        self.redact = redact
        self.service_name = service_name
        self.clock: Clock = clock or time.time_ns
        self.virtual_clock = clock is not None
        self.store_exporter = SQLiteSpanExporter(self.store)
        processors: list[SpanProcessor] = []
        otlp = _otlp_exporter(otlp_endpoint)
        self.otlp_enabled = otlp is not None
        if otlp is not None:
            processors.append(BatchSpanProcessor(otlp))
        self.pipeline = ExportPipeline([self.store_exporter, *exporters], processors, redact)
        self.sampler = TailSampler(self.pipeline.submit, sample_rate=sample_rate, keep_errors=keep_errors,
                                   keep_slower_than_ms=keep_slower_than_ms)
        self.provider = TracerProvider(resource=Resource.create({"service.name": service_name}), sampler=ALWAYS_ON,
                                       shutdown_on_exit=False)
        self.provider.add_span_processor(self.sampler)
        self.tracer = self.provider.get_tracer("labkit.tracing")
        self._pending: dict[str, list[_Pending]] = {}
        self._pending_count = 0
        self._lock = threading.Lock()
        self._llm_installed = False
        self._closed = False
        self._paused = False
        if instrument_llm:
            self._install_llm_hooks()

    def __repr__(self) -> str:
        return (f"Tracing(store={str(self.store.path)!r}, sample_rate={self.sampler.sample_rate}, "
                f"service_name={self.service_name!r}, otlp={self.otlp_enabled})")

    # ------------------------------------------------------------------ time
    def now(self) -> int:
        """The tracer's clock, in nanoseconds since the epoch."""
        return self.clock()

    # ------------------------------------------------------------------ spans
    def start_span(self, name: str, *, parent: Span | SpanContext | otel_context.Context | None = None,
                   category: str | None = None, kind: SpanKind = SpanKind.INTERNAL, start_time: int | None = None,
                   attributes: Mapping[str, Any] | None = None, **attrs: Any) -> Span:
        """Start a span without making it current; end it with ``span.end(end_time=...)``.

        For explicit timing (simulations, spans reconstructed after the fact); otherwise use :meth:`span`.

        Args:
            name: span name (keep it low-cardinality: ``"rag.retrieve"``, not one per question).
            parent: a span, span context or context; None means the current span (a new trace when none).
            category: labkit's coarse type, one of ``CATEGORIES`` (colours the waterfall).
            kind: the OpenTelemetry span kind.
            start_time: ns since the epoch; default the tracer's clock.
            attributes: span attributes by their full names (None values are skipped).
            **attrs: more attributes; plain names are put under ``labkit.`` (``route="/ask"`` ->
                ``labkit.route``).

        Returns:
            The started span.
        """
        if not isinstance(name, str) or not name:
            raise ValueError("a span needs a non-empty name")
        if category is not None and category not in CATEGORIES:
            raise ValueError(f"category must be one of {CATEGORIES}, got {category!r}")
        ctx: otel_context.Context | None
        if parent is None or isinstance(parent, otel_context.Context):
            ctx = parent
        elif isinstance(parent, SpanContext):
            ctx = trace.set_span_in_context(trace.NonRecordingSpan(parent))
        else:
            ctx = trace.set_span_in_context(parent)
        # Keyword attributes are namespaced (route="/ask" -> labkit.route); dotted names go in `attributes`.
        merged = clean_attributes(attributes) if attributes else {}
        if attrs:
            merged.update(clean_attributes({k if "." in k else f"labkit.{k}": v for k, v in attrs.items()}))
        if category is not None:
            merged[genai.CATEGORY] = category
            if category == "retrieval":
                merged.setdefault(genai.OPERATION, "retrieval")
            elif category == "tool":
                merged.setdefault(genai.OPERATION, "execute_tool")
        if start_time is None and self.virtual_clock:
            start_time = self.clock()
        return self.tracer.start_span(name, context=ctx, kind=kind, attributes=merged, start_time=start_time,
                                      record_exception=False, set_status_on_exception=False)

    def span(self, name: str, *, category: str | None = None, kind: SpanKind = SpanKind.INTERNAL,
             attributes: Mapping[str, Any] | None = None, **attrs: Any) -> ActiveSpan:
        """A span around a block of work (``with t.span(...) as s:``), current inside the block.

        Work inside the block nests under it. An exception marks the span as an error (with an
        ``exception`` event) and propagates.

        Args:
            name: span name.
            category: labkit's coarse type ("retrieval", "tool", "guard", "cache", ...).
            kind: the OpenTelemetry span kind.
            attributes / **attrs: span attributes as in :meth:`start_span` (``route="/ask"`` ->
                ``labkit.route``); set more inside with ``s.set_attribute``.

        Returns:
            A context manager that yields the span.
        """
        return ActiveSpan(self, self.start_span(name, category=category, kind=kind, attributes=attributes, **attrs))

    @contextmanager
    def activate(self, span: Span) -> Iterator[Span]:
        """Make an already started span current (without ending it at the end of the block)."""
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False) as s:
            yield s

    def record_span(self, name: str, start_time: int, end_time: int, *,
                    parent: Span | SpanContext | otel_context.Context | None = None, category: str | None = None,
                    kind: SpanKind = SpanKind.INTERNAL, error: str | None = None,
                    attributes: Mapping[str, Any] | None = None, **attrs: Any) -> Span:
        """Record a finished span with explicit times (e.g. on a virtual clock); returns it for nesting.

        Args:
            name / parent / category / kind / attributes / **attrs: as in :meth:`start_span`.
            start_time / end_time: ns since the epoch; ``end_time >= start_time``.
            error: mark the span as failed with this message.
        """
        if end_time < start_time:
            raise ValueError(f"end_time ({end_time}) is before start_time ({start_time})")
        s = self.start_span(name, parent=parent, category=category, kind=kind, start_time=start_time,
                            attributes=attributes, **attrs)
        if error:
            s.set_status(Status(StatusCode.ERROR, error))
        s.end(end_time=end_time)
        return s

    # --------------------------------------------------------------- LLM spans
    def record_llm_call(self, record: CallRecord, *, parent: Span | SpanContext | otel_context.Context | None = None,
                        start_time: int | None = None) -> Span:
        """An LLM span from a finished ``CallRecord`` (e.g. one a simulation made).

        Args:
            record: the call.
            parent: the parent span (default: the current span).
            start_time: ns since the epoch; default ``record.started_at`` on the real clock, or the
                tracer's clock minus the call's latency on a virtual clock.

        Returns:
            The ended span.
        """
        if not isinstance(record, CallRecord):
            raise TypeError(f"record_llm_call expects a labkit.llm.CallRecord, got {type(record).__name__}")
        latency_ns = int(max(record.latency_s, 0.0) * 1e9)
        if start_time is None:
            start_time = self.clock() - latency_ns if self.virtual_clock else int(record.started_at * 1e9)
        span = self.start_span(genai.span_name(genai.operation_name(record.operation), record.model), parent=parent,
                               kind=SpanKind.CLIENT, start_time=start_time)
        self._finish_llm_span(cast(SdkSpan, span), record)
        return span

    def _finish_llm_span(self, span: SdkSpan, record: CallRecord) -> None:
        if not span.is_recording():
            return
        span.set_attributes(clean_attributes(genai.record_attributes(record, self.capture_content)))
        if record.error or record.status >= 400:
            span.set_status(Status(StatusCode.ERROR, record.error or f"HTTP {record.status}"))
        start = span.start_time or self.clock()
        span.end(end_time=start + int(max(record.latency_s, 0.0) * 1e9))

    def _on_request(self, request: Any) -> None:
        """labkit.llm request hook: start the LLM span and put its trace context on the request."""
        if self._closed or self._paused:
            return
        try:
            from labkit import llm
            from labkit.llm.transport import operation_of

            operation = operation_of(request.url.path)
            if operation not in genai.OPERATION_NAMES:
                return
            try:
                parsed = json.loads(request.content) if request.content else {}
            except (ValueError, UnicodeDecodeError):
                parsed = {}
            body = parsed if isinstance(parsed, dict) else {}
            parent_ctx = otel_context.get_current()
            parent = trace.get_current_span(parent_ctx).get_span_context()
            attrs = genai.request_attributes(body, operation, llm.backend())
            attrs["server.address"] = request.url.host
            if request.url.port:
                attrs["server.port"] = request.url.port
            resends = request.headers.get("x-stainless-retry-count")
            if resends and resends.isdigit() and int(resends) > 0:
                attrs["http.request.resend_count"] = int(resends)
            span = self.tracer.start_span(
                genai.span_name(attrs[genai.OPERATION], str(body.get("model", ""))), context=parent_ctx,
                kind=SpanKind.CLIENT, attributes=clean_attributes(attrs), start_time=self.clock(),
                record_exception=False, set_status_on_exception=False)
            _PROPAGATOR.inject(request.headers, context=trace.set_span_in_context(span, parent_ctx))
            pending = _Pending(cast(SdkSpan, span), parent.span_id if parent.is_valid else None)
            stale: list[_Pending] = []
            with self._lock:
                self._pending.setdefault(_body_key(body), []).append(pending)
                self._pending_count += 1
                if self._pending_count > _MAX_PENDING:
                    stale = self._evict_oldest_pending()
            for p in stale:
                p.span.set_status(Status(StatusCode.ERROR, "no response was recorded for this call"))
                p.span.end(end_time=self.clock())
        except Exception as exc:  # noqa: BLE001 - tracing must never break a model call
            warnings.warn(f"labkit.tracing could not trace a model request: {exc}", RuntimeWarning, stacklevel=2)

    def _evict_oldest_pending(self) -> list[_Pending]:
        key = next(iter(self._pending))
        entries = self._pending.pop(key)
        self._pending_count -= len(entries)
        return entries

    def _on_record(self, record: CallRecord) -> None:
        """labkit.llm observer: finish the call's span with usage, cost and status."""
        if self._closed or self._paused or record.operation not in genai.OPERATION_NAMES:
            return
        try:
            key = _body_key(record.request_body)
            current = trace.get_current_span().get_span_context()
            current_id = current.span_id if current.is_valid else None
            entry: _Pending | None = None
            with self._lock:
                entries = self._pending.get(key)
                if entries:
                    # Identical requests in flight at once: prefer the one started under the current span.
                    idx = next((i for i, p in enumerate(entries) if p.parent_span_id == current_id), 0)
                    entry = entries.pop(idx)
                    self._pending_count -= 1
                    if not entries:
                        del self._pending[key]
            if entry is None:
                self.record_llm_call(record)
            else:
                self._finish_llm_span(entry.span, record)
        except Exception as exc:  # noqa: BLE001 - tracing must never break a model call
            warnings.warn(f"labkit.tracing could not record a model call: {exc}", RuntimeWarning, stacklevel=2)

    def _install_llm_hooks(self) -> None:
        from labkit import llm

        llm.hooks.request_hooks.append(self._on_request)
        llm.hooks.observers.append(self._on_record)
        self._llm_installed = True

    def _uninstall_llm_hooks(self) -> None:
        if not self._llm_installed:
            return
        from labkit import llm

        while self._on_request in llm.hooks.request_hooks:
            llm.hooks.request_hooks.remove(self._on_request)
        while self._on_record in llm.hooks.observers:
            llm.hooks.observers.remove(self._on_record)
        self._llm_installed = False

    # ------------------------------------------------------------ lifecycle
    @contextmanager
    def paused(self) -> Iterator[None]:
        """Trace nothing inside this block, in any thread (warm-up calls, an untraced A/B arm)."""
        global _active
        with _active_lock:
            was_active = _active is self
            if was_active:
                _active = None
            self._paused = True
        try:
            yield
        finally:
            with _active_lock:
                self._paused = False
                if was_active and _active is None and not self._closed:
                    _active = self

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every finished, kept trace is in the store (and sent to OTLP); True when done."""
        return self.pipeline.flush(timeout_s)

    def stats(self) -> TracingStats:
        """Counters: spans created, kept, dropped by sampling, exported, lost."""
        s: SamplingStats = self.sampler.stats()
        p = self.pipeline
        return TracingStats(
            spans_started=s.spans_started, spans_ended=s.spans_ended, spans_kept=s.spans_kept,
            spans_dropped=s.spans_dropped, spans_exported=p.exported_spans, spans_lost=p.dropped_spans,
            export_failures=p.failed_batches, traces_kept=s.traces_kept, traces_dropped=s.traces_dropped,
            kept_share=s.kept_share, kept_by_reason=s.kept_by_reason, open_traces=s.open_traces,
            last_error=p.last_error,
        )

    def shutdown(self) -> None:
        """Stop tracing: unhook the model client, export what is buffered, stop the export thread."""
        if self._closed:
            return
        self._closed = True
        self._uninstall_llm_hooks()
        with self._lock:
            leftovers = [p for entries in self._pending.values() for p in entries]
            self._pending.clear()
            self._pending_count = 0
        for p in leftovers:
            p.span.set_status(Status(StatusCode.ERROR, "tracing stopped before the call finished"))
            p.span.end(end_time=self.clock())
        self.sampler.drain()
        self.pipeline.shutdown()
        self.provider.shutdown()
        global _active
        with _active_lock:
            if _active is self:
                _active = None

    def __enter__(self) -> Tracing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


# ---------------------------------------------------------------- module level
_active: Tracing | None = None
_active_lock = threading.Lock()


def setup(store: SpanStore | str | Path | None = None, *, sample_rate: float = 0.1, keep_errors: bool = True,
          keep_slower_than_ms: float | None = None, capture_content: bool = False, redact: Redactor | None = None,
          service_name: str = "labkit", clock: Clock | None = None, otlp_endpoint: str | None = None,
          exporters: tuple[SpanExporter, ...] | list[SpanExporter] = (), instrument_llm: bool = True) -> Tracing:
    """Set up tracing for this process in one call, and make it the active tracer.

    A previous active tracer is flushed and shut down first, so calling it again in a notebook is safe.
    Every argument is documented on :class:`Tracing`.

    Returns:
        The :class:`Tracing` (its ``store`` answers queries; ``shutdown()`` stops it).

    Example:
        >>> t = tracing.setup("traces.sqlite", sample_rate=1.0)
        >>> with tracing.span("handle_request", route="/ask"):
        ...     llm.client().chat.completions.create(...)
        >>> t.flush(); t.store.traces()
    """
    global _active
    new = Tracing(store, sample_rate=sample_rate, keep_errors=keep_errors, keep_slower_than_ms=keep_slower_than_ms,
                  capture_content=capture_content, redact=redact, service_name=service_name, clock=clock,
                  otlp_endpoint=otlp_endpoint, exporters=exporters, instrument_llm=instrument_llm)
    with _active_lock:
        old, _active = _active, new
    if old is not None:
        old.shutdown()
    return new


def current() -> Tracing | None:
    """The active tracer (the last :func:`setup`), or None when tracing is off."""
    return _active


def active() -> Tracing:
    """The active tracer; raises with the fix when :func:`setup` has not been called."""
    if _active is None:
        raise RuntimeError("tracing is not set up; call labkit.tracing.setup(store_path) first")
    return _active


def shutdown() -> None:
    """Shut the active tracer down (no-op when tracing is off)."""
    if _active is not None:
        _active.shutdown()


def span(name: str, *, category: str | None = None, kind: SpanKind = SpanKind.INTERNAL,
         attributes: Mapping[str, Any] | None = None, **attrs: Any) -> ActiveSpan | _NoSpan:
    """A span on the active tracer, for ``with tracing.span("name", ...) as s:`` (see :meth:`Tracing.span`).

    When tracing is off this yields a non-recording span, so instrumented code runs unchanged
    (and pays almost nothing) without a tracer.
    """
    t = _active
    if t is None:
        return _NO_SPAN
    return t.span(name, category=category, kind=kind, attributes=attributes, **attrs)


def tool_span(tool: str, **attrs: Any) -> Any:
    """A span for one tool call, named ``execute_tool {tool}`` with ``gen_ai.tool.name``."""
    return span(f"execute_tool {tool}", category="tool", attributes={"gen_ai.tool.name": tool}, **attrs)


def guard_span(guard: str, **attrs: Any) -> Any:
    """A span for one guard check, named ``guard {guard}``; set ``labkit.guard.verdict`` inside."""
    return span(f"guard {guard}", category="guard", attributes={"labkit.guard.name": guard}, **attrs)


def cache_span(cache: str, **attrs: Any) -> Any:
    """A span for one cache lookup, named ``cache.lookup {cache}``; set ``labkit.cache.hit`` inside."""
    return span(f"cache.lookup {cache}", category="cache", attributes={"labkit.cache.name": cache}, **attrs)


def traced(name: str | Callable[..., Any] | None = None, *, category: str | None = None,
           **attrs: Any) -> Any:
    """Decorator: run the function inside a span (sync or async). ``@traced`` or ``@traced("name", ...)``.

    Args:
        name: span name; default the function's qualified name.
        category / **attrs: as in :func:`span`.
    """
    def decorate(fn: F, span_name: str | None) -> F:
        label = span_name or fn.__qualname__
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with span(label, category=category, **attrs):
                    return await fn(*args, **kwargs)
            return cast(F, async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with span(label, category=category, **attrs):
                return fn(*args, **kwargs)
        return cast(F, wrapper)

    if callable(name):
        return decorate(name, None)
    return lambda fn: decorate(fn, name)


def headers(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """W3C trace-context headers for the current span, to send with an outgoing request.

    Example:
        >>> openai_client.chat.completions.create(..., extra_headers=tracing.headers())

    Returns:
        ``{"traceparent": ...}`` (plus ``extra``); without a current span just ``extra``.
    """
    carrier: dict[str, str] = dict(extra or {})
    _PROPAGATOR.inject(carrier)
    return carrier


def extract(carrier: Mapping[str, str]) -> otel_context.Context:
    """The context carried by incoming W3C headers (``traceparent``), to parent a server span."""
    return _PROPAGATOR.extract(dict(carrier))


def trace_id_of(s: Span | None = None) -> str:
    """Hex trace id of a span (default: the current span); "" when there is none."""
    ctx = (s or trace.get_current_span()).get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""
