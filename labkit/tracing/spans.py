"""Making spans: the attributes a span may carry, the context manager around a block of work, the
span-making methods of :class:`~labkit.tracing.Tracing`, and W3C trace-context headers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanContext, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from labkit.tracing import genai
from labkit.tracing.clock import Clock

CATEGORIES = ("internal", "http", "llm", "retrieval", "tool", "guard", "cache", "client", "evaluation")
PROPAGATOR = TraceContextTextMapPropagator()
# Keyword attributes with a standard name (OpenInference and OTel ``user.id``); the rest go under ``labkit.``.
_STANDARD_KEYWORDS = {"user": genai.USER, "session": genai.SESSION}


# Release attributes every span started inside ``versions(...)`` carries (prompt and model version).
_VERSIONS: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("labkit_tracing_versions", default=())


@contextmanager
def versions(prompt: str | None = None, model: str | None = None) -> Iterator[dict[str, str]]:
    """Every span started inside this block carries the prompt and model version of what answered.

    Spans made with :meth:`SpanMethods.start_span` (and so ``span``, ``record_span``) and the LLM spans of
    calls made inside get ``labkit.prompt.version`` and ``labkit.model.version``, so a query can split any
    metric by release. Nested blocks override the outer one's values; None leaves a value as it was.

    Args:
        prompt: the prompt version (e.g. ``"v1-grounded"``).
        model: the model version the app asked for (e.g. ``"smollm2-135m-instruct"``).

    Returns:
        A context manager yielding the attributes in force.
    """
    attrs = dict(_VERSIONS.get())
    for key, value in ((genai.PROMPT_VERSION, prompt), (genai.MODEL_VERSION, model)):
        if value is not None:
            if not isinstance(value, str) or not value:
                raise ValueError(f"versions() takes non-empty strings, got {key}={value!r}")
            attrs[key] = value
    token = _VERSIONS.set(tuple(attrs.items()))
    try:
        yield attrs
    finally:
        _VERSIONS.reset(token)


def version_attributes() -> dict[str, str]:
    """The release attributes in force here (empty outside :func:`versions`)."""
    return dict(_VERSIONS.get())


def _keyword_attribute(name: str) -> str:
    if "." in name:
        return name
    return _STANDARD_KEYWORDS.get(name, f"labkit.{name}")


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


class ActiveSpan:
    """Context manager returned by :meth:`Tracing.span`: current span inside, ended (on the clock) after."""

    __slots__ = ("_span", "_token", "_tracing")

    def __init__(self, tracing: SpanMethods, span: Span) -> None:
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


class SpanMethods:
    """The span-making half of :class:`~labkit.tracing.Tracing`, which mixes it in and provides the
    clock and the OpenTelemetry tracer."""

    clock: Clock
    virtual_clock: bool
    tracer: trace.Tracer

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
                ``labkit.route``), except ``user`` and ``session``, which become ``user.id`` and
                ``session.id`` (the names Phoenix and Langfuse group requests by).

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
        merged = {**dict(_VERSIONS.get()), **(clean_attributes(attributes) if attributes else {})}
        if attrs:
            merged.update(clean_attributes({_keyword_attribute(k): v for k, v in attrs.items()}))
        merged.setdefault(genai.SPAN_KIND, genai.span_kind(category))
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


def headers(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """W3C trace-context headers for the current span, to send with an outgoing request.

    Example:
        >>> openai_client.chat.completions.create(..., extra_headers=tracing.headers())

    Returns:
        ``{"traceparent": ...}`` (plus ``extra``); without a current span just ``extra``.
    """
    carrier: dict[str, str] = dict(extra or {})
    PROPAGATOR.inject(carrier)
    return carrier


def extract(carrier: Mapping[str, str]) -> otel_context.Context:
    """The context carried by incoming W3C headers (``traceparent``), to parent a server span."""
    return PROPAGATOR.extract(dict(carrier))


def trace_id_of(s: Span | None = None) -> str:
    """Hex trace id of a span (default: the current span); "" when there is none."""
    ctx = (s or trace.get_current_span()).get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""
