"""LLM spans from labkit's model client: a CLIENT span opens when a request leaves (its W3C
``traceparent`` header added) and closes with tokens, cost and status when its ``CallRecord`` arrives."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.trace import Span, SpanContext, SpanKind, Status, StatusCode

from labkit import llm
from labkit.llm.ledger import CallRecord
from labkit.tracing import genai
from labkit.tracing.spans import PROPAGATOR, SpanMethods, clean_attributes, version_attributes

_MAX_PENDING = 10_000


@dataclass
class _Pending:
    span: SdkSpan
    parent_span_id: int | None


def _body_key(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


class LLMCallSpans(SpanMethods):
    """The LLM-call half of :class:`~labkit.tracing.Tracing`, which mixes it in and owns the state
    declared here (set up in its ``__init__``)."""

    capture_content: bool
    _pending: dict[str, list[_Pending]]
    _pending_count: int
    _lock: threading.Lock
    _llm_installed: bool
    _closed: bool
    _paused: bool

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

    def _finish_llm_span(self, span: SdkSpan, record: CallRecord, *, live: bool = False) -> None:
        if not span.is_recording():
            return
        span.set_attributes(clean_attributes(genai.record_attributes(record, self.capture_content)))
        if record.error or record.status >= 400:
            span.set_status(Status(StatusCode.ERROR, record.error or f"HTTP {record.status}"))
        start = span.start_time or self.clock()
        end = start + int(max(record.latency_s, 0.0) * 1e9)
        if live:  # the ledger's clock starts before the request hook opened the span: start + latency can land
            end = max(start, min(end, self.clock()))  # after now, i.e. after the caller's enclosing span ended
        span.end(end_time=end)

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
            attrs = {**version_attributes(), **genai.request_attributes(body, operation, llm.backend())}
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
            PROPAGATOR.inject(request.headers, context=trace.set_span_in_context(span, parent_ctx))
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
                self._finish_llm_span(entry.span, record, live=True)
        except Exception as exc:  # noqa: BLE001 - tracing must never break a model call
            warnings.warn(f"labkit.tracing could not record a model call: {exc}", RuntimeWarning, stacklevel=2)

    def _install_llm_hooks(self) -> None:
        llm.hooks.request_hooks.append(self._on_request)
        llm.hooks.observers.append(self._on_record)
        self._llm_installed = True

    def _uninstall_llm_hooks(self) -> None:
        if not self._llm_installed:
            return

        while self._on_request in llm.hooks.request_hooks:
            llm.hooks.request_hooks.remove(self._on_request)
        while self._on_record in llm.hooks.observers:
            llm.hooks.observers.remove(self._on_record)
        self._llm_installed = False
