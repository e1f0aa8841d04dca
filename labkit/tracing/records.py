"""What the span store returns: a stored span, a trace summary, and the time bounds queries take."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TimeLike = int | datetime


@dataclass
class SpanRecord:
    """One stored span.

    Attributes:
        trace_id / span_id / parent_id: hex ids (``parent_id`` is None for a root span).
        name: the span name, e.g. ``"chat smollm2-135m-instruct"``.
        kind: the OpenTelemetry span kind ("INTERNAL", "SERVER", "CLIENT", ...).
        category: labkit's coarse type for colouring and grouping ("llm", "retrieval", "http", ...).
        service: ``service.name`` of the process that made the span.
        start_ns / end_ns: nanoseconds since the epoch (on the tracer's clock).
        status: "OK", "ERROR" or "UNSET"; ``error`` is True for "ERROR".
        operation / model / input_tokens / output_tokens / cost_usd: lifted from the GenAI
            attributes of LLM spans (None elsewhere).
        attributes: every attribute of the span.
        events: span events (exceptions, ...) as dicts with name, timestamp_ns and attributes.
    """

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: str
    category: str | None
    service: str | None
    start_ns: int
    end_ns: int
    status: str
    error: bool
    status_message: str | None
    operation: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


@dataclass
class TraceSummary:
    """One stored trace (a request), summarised.

    Attributes:
        trace_id: hex trace id.
        name / route / service: of the root span (route: ``http.route`` or ``labkit.route``, else the name).
        start_ns / end_ns: first span start and last span end.
        duration_ms: the root span's duration when it is stored, else ``end_ns - start_ns``.
        spans / errors: span count and error-span count.
        llm_calls / input_tokens / output_tokens / cost_usd: summed over the trace's LLM spans.
        sample_reason: why tail sampling kept it ("error", "slow", "sampled"), None if unknown.
        sample_weight: how many requests this stored trace stands for (1 / keep probability).
    """

    trace_id: str
    name: str | None
    route: str | None
    service: str | None
    start_ns: int
    end_ns: int
    duration_ms: float
    spans: int
    errors: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    sample_reason: str | None
    sample_weight: float

    @property
    def error(self) -> bool:
        return self.errors > 0


def to_ns(value: TimeLike | None, name: str = "time") -> int | None:
    """A time bound as integer nanoseconds since the epoch.

    Args:
        value: int nanoseconds, a ``datetime`` (naive means local time), or None.
        name: the argument's name, for the error message.

    Returns:
        Nanoseconds, or None when ``value`` is None.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be int nanoseconds or a datetime, got a bool")
    if isinstance(value, datetime):
        return int(value.timestamp() * 1e9)
    if isinstance(value, int):
        if 0 < value < 10**14:
            raise ValueError(f"{name}={value} looks like seconds or milliseconds; pass nanoseconds since the epoch "
                             f"(e.g. int(time.time() * 1e9)) or a datetime")
        return value
    if hasattr(value, "value") and hasattr(value, "tz_localize"):  # a pandas Timestamp
        return int(value.value)
    raise TypeError(f"{name} must be int nanoseconds or a datetime, got {type(value).__name__}")
