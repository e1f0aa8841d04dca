"""One-call OpenTelemetry set-up, spans for any piece of work, and LLM spans from labkit's client.

``setup()`` builds a real OpenTelemetry ``TracerProvider`` whose spans go through tail sampling
(:mod:`labkit.tracing.sampling`) to the SQLite span store (:mod:`labkit.tracing.store`) and, when
an OTLP endpoint is configured, to any collector. It also hooks labkit's model client
(``labkit.llm.hooks``): each outgoing request gets a W3C ``traceparent`` header and a CLIENT span
that follows the GenAI semantic conventions (:mod:`labkit.tracing.genai`), finished with tokens,
cost, finish reason and errors when the call's ``CallRecord`` arrives.

:class:`Tracing` is put together from :class:`~labkit.tracing.spans.SpanMethods` (making spans,
:mod:`labkit.tracing.spans`) and :class:`~labkit.tracing.llm_spans.LLMCallSpans` (LLM spans,
:mod:`labkit.tracing.llm_spans`); this module adds its set-up and lifecycle, and the module-level
helpers (:func:`span`, :func:`traced`, ...) that use the active tracer.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from labkit import clock as labkit_clock
from labkit.tracing.clock import Clock, VirtualClock
from labkit.tracing.llm_spans import LLMCallSpans
from labkit.tracing.sampling import ExportPipeline, Redactor, SamplingStats, TailSampler
from labkit.tracing.spans import CATEGORIES, ActiveSpan, clean_attributes, extract, headers, trace_id_of, versions
from labkit.tracing.store import SpanStore, SQLiteSpanExporter

# Re-exported: labkit.tracing and its instrumentation import these from here.
__all__ = ["CATEGORIES", "ActiveSpan", "Clock", "Tracing", "TracingStats", "VirtualClock", "active", "as_text_redactor",
           "cache_span", "clean_attributes", "current", "extract", "guard_span", "headers", "setup", "shutdown", "span",
           "tool_span", "trace_id_of", "traced", "versions"]

F = TypeVar("F", bound=Callable[..., Any])


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


class _NoSpan:
    """What :func:`span` returns when tracing is off: a non-recording span, nothing else."""

    __slots__ = ()

    def __enter__(self) -> Span:
        return trace.INVALID_SPAN

    def __exit__(self, *exc: object) -> None:
        return None


_NO_SPAN = _NoSpan()


class Tracing(LLMCallSpans):
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
        clock: a function returning nanoseconds since the epoch, for spans on a virtual clock, or any
            :mod:`labkit.clock` clock (its ``time_ns`` is used); default the real time, ``time.time_ns``.
        otlp_endpoint: an OTLP/HTTP collector URL (Jaeger, Phoenix, Langfuse, ...); by default the
            ``OTEL_EXPORTER_OTLP_ENDPOINT`` variable, and no OTLP export when neither is set.
        exporters: extra span exporters that receive every kept span.
        instrument_llm: trace calls made through ``labkit.llm`` clients (on by default).
    """

    def __init__(self, store: SpanStore | str | Path | None = None, *, sample_rate: float = 0.1,
                 keep_errors: bool = True, keep_slower_than_ms: float | None = None, capture_content: bool = False,
                 redact: Redactor | None = None, service_name: str = "labkit",
                 clock: Clock | labkit_clock.VirtualClock | None = None,
                 otlp_endpoint: str | None = None, exporters: tuple[SpanExporter, ...] | list[SpanExporter] = (),
                 instrument_llm: bool = True) -> None:
        redact = as_text_redactor(redact) if redact is not None else None
        if not isinstance(service_name, str) or not service_name:
            raise ValueError("service_name must be a non-empty string")
        if isinstance(clock, labkit_clock.VirtualClock):
            clock = clock.time_ns  # the one clock, read in ns whichever way it is called
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
        self._pending = {}
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
