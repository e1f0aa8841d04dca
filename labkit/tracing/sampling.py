"""Tail sampling and the export pipeline.

*Head* sampling decides when a trace starts, before anyone knows whether it will fail. *Tail*
sampling waits: :class:`TailSampler` buffers every span of a trace until the trace's root span
ends, then keeps the whole trace or drops the whole trace:

* every trace with an error span is kept (``reason="error"``);
* optionally every trace slower than a threshold is kept (``reason="slow"``);
* of the rest, a share ``sample_rate`` is kept (``reason="sampled"``), chosen by the trace id's
  random bits, so every process that sees the same trace makes the same choice.

Each kept trace carries ``labkit.sampling.weight`` = 1 / (its chance of being kept) on its root
span, so dashboards can estimate totals (requests, error rate, cost) from what was kept.

:class:`ExportPipeline` takes kept traces off the request path: a background thread applies the
redaction hook to every string and hands the spans to the exporters (the SQLite store, OTLP).
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode

from labkit.tracing.store import SAMPLE_REASON, SAMPLE_WEIGHT

Redactor = Callable[[str], str]
_RANDOM_BITS = 56  # W3C trace ids carry (at least) their right-most 7 bytes of randomness


@dataclass(frozen=True)
class SamplingDecision:
    """Keep or drop one trace, why, and how many requests a kept trace stands for."""

    keep: bool
    reason: str
    weight: float


@dataclass
class SamplingStats:
    """Counters of a :class:`TailSampler` (a snapshot).

    Attributes:
        spans_started / spans_ended: spans the tracer created and finished.
        spans_kept / spans_dropped: finished spans whose trace was kept / dropped.
        traces_kept / traces_dropped: decided traces.
        kept_by_reason: kept traces per reason ("error", "slow", "sampled").
        open_traces: traces whose root has not ended yet (their spans are buffered).
        evicted: traces decided early because too many were open at once.
    """

    spans_started: int = 0
    spans_ended: int = 0
    spans_kept: int = 0
    spans_dropped: int = 0
    traces_kept: int = 0
    traces_dropped: int = 0
    kept_by_reason: dict[str, int] = field(default_factory=dict)
    open_traces: int = 0
    evicted: int = 0

    @property
    def kept_share(self) -> float:
        """Kept traces / decided traces (0 when none is decided yet)."""
        total = self.traces_kept + self.traces_dropped
        return self.traces_kept / total if total else 0.0


def trace_ratio(trace_id: int) -> float:
    """Where a trace id falls in [0, 1), from its random low bits: the same id gives the same number."""
    return (trace_id & ((1 << _RANDOM_BITS) - 1)) / float(1 << _RANDOM_BITS)


class TailSampler(SpanProcessor):
    """A span processor that decides per trace, after the trace's root span ends.

    Args:
        export: called with (spans, decision) for each kept trace (and for late spans of kept traces).
        sample_rate: share of normal traces to keep, in [0, 1].
        keep_errors: keep every trace that has an error span.
        keep_slower_than_ms: also keep every trace whose root lasts at least this long (None: off).
        max_open_traces: traces buffered at once; beyond it the oldest is decided on what it has.
        remember: decisions remembered for spans that end after their trace's root.
    """

    def __init__(self, export: Callable[[list[ReadableSpan], SamplingDecision], None], sample_rate: float = 0.1,
                 keep_errors: bool = True, *, keep_slower_than_ms: float | None = None,
                 max_open_traces: int = 10_000, remember: int = 100_000) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"sample_rate must be in [0, 1] (0.1 keeps 10% of normal traces), got {sample_rate}")
        if keep_slower_than_ms is not None and keep_slower_than_ms < 0:
            raise ValueError(f"keep_slower_than_ms must be >= 0 or None, got {keep_slower_than_ms}")
        if max_open_traces < 1 or remember < 1:
            raise ValueError("max_open_traces and remember must be >= 1")
        self._export = export
        self.sample_rate = float(sample_rate)
        self.keep_errors = keep_errors
        self.keep_slower_than_ms = keep_slower_than_ms
        self.max_open_traces = max_open_traces
        self._remember = remember
        self._lock = threading.Lock()
        self._buffers: OrderedDict[int, list[ReadableSpan]] = OrderedDict()
        self._open_roots: set[int] = set()
        self._decided: OrderedDict[int, SamplingDecision] = OrderedDict()
        self._stats = SamplingStats()

    # -------------------------------------------------------------- decisions
    def decide(self, trace_id: int, spans: Sequence[ReadableSpan], root: ReadableSpan | None) -> SamplingDecision:
        """The keep/drop decision for one complete trace (override to add rules)."""
        if self.keep_errors and any(s.status.status_code is StatusCode.ERROR for s in spans):
            return SamplingDecision(True, "error", 1.0)
        if self.keep_slower_than_ms is not None:
            if root is not None and root.start_time is not None and root.end_time is not None:
                duration_ns = root.end_time - root.start_time
            else:
                duration_ns = max(s.end_time or 0 for s in spans) - min(s.start_time or 0 for s in spans)
            if duration_ns >= self.keep_slower_than_ms * 1e6:
                return SamplingDecision(True, "slow", 1.0)
        if self.sample_rate >= 1.0:
            return SamplingDecision(True, "sampled", 1.0)
        if self.sample_rate > 0 and trace_ratio(trace_id) < self.sample_rate:
            return SamplingDecision(True, "sampled", 1.0 / self.sample_rate)
        return SamplingDecision(False, "dropped", 0.0)

    def _record(self, trace_id: int, decision: SamplingDecision, n_spans: int) -> None:
        s = self._stats
        if decision.keep:
            s.traces_kept += 1
            s.spans_kept += n_spans
            s.kept_by_reason[decision.reason] = s.kept_by_reason.get(decision.reason, 0) + 1
        else:
            s.traces_dropped += 1
            s.spans_dropped += n_spans
        self._decided[trace_id] = decision
        while len(self._decided) > self._remember:
            self._decided.popitem(last=False)

    # ------------------------------------------------------ processor hooks
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        ctx = span.context
        with self._lock:
            self._stats.spans_started += 1
            if span.parent is None and ctx is not None:
                self._open_roots.add(ctx.trace_id)

    def on_end(self, span: ReadableSpan) -> None:
        ctx = span.context
        if ctx is None:
            return
        tid = ctx.trace_id
        out: list[tuple[list[ReadableSpan], SamplingDecision]] = []
        with self._lock:
            self._stats.spans_ended += 1
            late = self._decided.get(tid)
            if late is not None:
                # A span that ended after its trace was decided (e.g. a stream closed late) follows the decision.
                if late.keep:
                    self._stats.spans_kept += 1
                    out.append(([span], late))
                else:
                    self._stats.spans_dropped += 1
            else:
                self._buffers.setdefault(tid, []).append(span)
                if span.parent is None:
                    self._open_roots.discard(tid)
                    is_local_root = True
                else:
                    # A span whose parent is in another process is this process's root for the trace,
                    # unless the true root was started here too (client and service in one process).
                    is_local_root = span.parent.is_remote and tid not in self._open_roots
                if is_local_root:
                    spans = self._buffers.pop(tid)
                    decision = self.decide(tid, spans, span)
                    self._record(tid, decision, len(spans))
                    if decision.keep:
                        out.append((spans, decision))
                while len(self._buffers) > self.max_open_traces:
                    old_tid, old_spans = self._buffers.popitem(last=False)
                    self._open_roots.discard(old_tid)
                    decision = self.decide(old_tid, old_spans, None)
                    self._stats.evicted += 1
                    self._record(old_tid, decision, len(old_spans))
                    if decision.keep:
                        out.append((old_spans, decision))
        for spans, decision in out:
            self._export(spans, decision)

    def stats(self) -> SamplingStats:
        """A snapshot of the counters."""
        with self._lock:
            s = self._stats
            return SamplingStats(s.spans_started, s.spans_ended, s.spans_kept, s.spans_dropped, s.traces_kept,
                                 s.traces_dropped, dict(s.kept_by_reason), len(self._buffers), s.evicted)

    def drain(self) -> None:
        """Decide every buffered trace now, root or not (at shutdown)."""
        out = []
        with self._lock:
            while self._buffers:
                tid, spans = self._buffers.popitem(last=False)
                decision = self.decide(tid, spans, None)
                self._record(tid, decision, len(spans))
                if decision.keep:
                    out.append((spans, decision))
            self._open_roots.clear()
        for spans, decision in out:
            self._export(spans, decision)

    def shutdown(self) -> None:
        self.drain()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        # Buffered traces are still running; they are exported when their root ends.
        return True


# ------------------------------------------------------------------ export side
def _copy(span: ReadableSpan, name: str | None = None, attributes: dict[str, Any] | None = None,
          events: Sequence[Event] | None = None, status: Status | None = None) -> ReadableSpan:
    return ReadableSpan(
        name=span.name if name is None else name,
        context=span.context, parent=span.parent, resource=span.resource,
        attributes=dict(span.attributes or {}) if attributes is None else attributes,
        events=span.events if events is None else events, links=span.links, kind=span.kind,
        status=span.status if status is None else status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _redact_value(value: Any, redact: Redactor) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (tuple, list)) and any(isinstance(v, str) for v in value):
        return tuple(redact(v) if isinstance(v, str) else v for v in value)
    return value


def redact_span(span: ReadableSpan, redact: Redactor) -> ReadableSpan:
    """A copy of a span with ``redact`` applied to its name, every string attribute, event and status text."""
    attrs = {k: _redact_value(v, redact) for k, v in (span.attributes or {}).items()}
    events = [Event(e.name, {k: _redact_value(v, redact) for k, v in (e.attributes or {}).items()}, e.timestamp)
              for e in span.events]
    status = span.status
    if status.description:
        status = Status(status.status_code, redact(status.description))
    return _copy(span, name=redact(span.name), attributes=attrs, events=events, status=status)


class ExportPipeline:
    """Kept traces -> (sampling tags, redaction) -> exporters, on a background thread.

    Args:
        exporters: span exporters called with each batch (e.g. :class:`SQLiteSpanExporter`).
        processors: span processors fed span by span (e.g. a ``BatchSpanProcessor`` around an OTLP
            exporter, which batches and retries on its own thread).
        redact: a str -> str function applied to every string before any exporter sees it.
        max_queued_spans: spans waiting at most; beyond it new traces are counted as dropped and a
            warning is raised (export is slower than span creation).
        batch_spans / max_delay_s: the thread writes when this many spans wait, or this long after the
            first one arrived, or at once when someone calls :meth:`flush`.
    """

    def __init__(self, exporters: Sequence[SpanExporter] = (), processors: Sequence[SpanProcessor] = (),
                 redact: Redactor | None = None, max_queued_spans: int = 500_000, batch_spans: int = 512,
                 max_delay_s: float = 0.2) -> None:
        if redact is not None and not callable(redact):
            raise TypeError(f"redact must be a function str -> str, got {type(redact).__name__}")
        self.exporters = list(exporters)
        self.processors = list(processors)
        self.redact = redact
        self.max_queued_spans = max_queued_spans
        self.batch_spans = batch_spans
        self.max_delay_s = max_delay_s
        self._flushing = 0
        self.exported_spans = 0
        self.dropped_spans = 0
        self.failed_batches = 0
        self.last_error: str | None = None
        self._items: list[tuple[list[ReadableSpan], SamplingDecision]] = []
        self._queued_spans = 0
        self._busy = False
        self._closed = False
        self._cond = threading.Condition()
        self._warned = False
        self._thread = threading.Thread(target=self._run, name="labkit-trace-export", daemon=True)
        self._thread.start()

    def submit(self, spans: list[ReadableSpan], decision: SamplingDecision) -> None:
        """Queue one kept trace (or late spans of one) for export."""
        with self._cond:
            if self._closed:
                self.dropped_spans += len(spans)
                return
            if self._queued_spans + len(spans) > self.max_queued_spans:
                self.dropped_spans += len(spans)
                if not self._warned:
                    self._warned = True
                    warnings.warn(f"trace export is behind by {self._queued_spans} spans; dropping new traces "
                                  f"(lower sample_rate, or raise max_queued_spans)", RuntimeWarning, stacklevel=2)
                return
            self._items.append((spans, decision))
            self._queued_spans += len(spans)
            if self._queued_spans >= self.batch_spans or len(self._items) == 1:
                self._cond.notify()

    def _prepare(self, spans: list[ReadableSpan], decision: SamplingDecision) -> list[ReadableSpan]:
        out = []
        for span in spans:
            if span.parent is None or span.parent.is_remote:
                attrs = dict(span.attributes or {})
                attrs[SAMPLE_REASON] = decision.reason
                attrs[SAMPLE_WEIGHT] = decision.weight
                span = _copy(span, attributes=attrs)
            out.append(redact_span(span, self.redact) if self.redact else span)
        return out

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closed:
                    self._cond.wait()
                if not self._items and self._closed:
                    return
                # Let a batch build up (one transaction per batch is much cheaper than one per trace),
                # unless someone is waiting in flush() or the batch is already big.
                deadline = time.monotonic() + self.max_delay_s
                while (self._queued_spans < self.batch_spans and not self._flushing and not self._closed
                       and time.monotonic() < deadline):
                    self._cond.wait(timeout=max(deadline - time.monotonic(), 0.0))
                items, self._items = self._items, []
                self._busy = True
            batch: list[ReadableSpan] = []
            try:
                for spans, decision in items:
                    batch.extend(self._prepare(spans, decision))
                self._deliver(batch)
            except Exception as exc:  # noqa: BLE001 - a redactor or exporter bug must not kill the thread
                self._fail(f"{type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    self._queued_spans -= sum(len(s) for s, _ in items)
                    self._busy = False
                    self._cond.notify_all()

    def _deliver(self, batch: list[ReadableSpan]) -> None:
        ok = True
        for exporter in self.exporters:
            if exporter.export(batch) is not SpanExportResult.SUCCESS:
                ok = False
                self._fail(getattr(exporter, "last_error", None) or f"{type(exporter).__name__} failed")
        for processor in self.processors:
            for span in batch:
                processor.on_end(span)
        if ok:
            with self._cond:
                self.exported_spans += len(batch)

    def _fail(self, message: str) -> None:
        with self._cond:
            self.failed_batches += 1
            self.last_error = message
        warnings.warn(f"trace export failed: {message}", RuntimeWarning, stacklevel=2)

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued trace is exported; False if that took longer than ``timeout_s``."""
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                done = self._cond.wait_for(lambda: not self._items and not self._busy, timeout=timeout_s)
            finally:
                self._flushing -= 1
        for processor in self.processors:
            done = processor.force_flush(int(timeout_s * 1000)) and done
        return done

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Export what is queued, stop the thread, and shut the exporters down."""
        self.flush(timeout_s)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=timeout_s)
        for processor in self.processors:
            processor.shutdown()
        for exporter in self.exporters:
            exporter.shutdown()
