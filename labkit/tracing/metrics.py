"""GenAI client metrics on the OpenTelemetry SDK: token usage and call duration for every model call.

Spans answer "what happened in this request"; metrics answer "how much, how fast, over all of them"
without keeping a span per call. :class:`GenAIMetrics` observes every ``CallRecord`` that labkit's
model client produces (the same ``labkit.llm.hooks.observers`` path the ledger uses) and records the two
histograms of the OpenTelemetry GenAI semantic conventions:

| metric | unit | one measurement per call |
|---|---|---|
| ``gen_ai.client.token.usage`` | ``{token}`` | input tokens and output tokens (``gen_ai.token.type``) |
| ``gen_ai.client.operation.duration`` | ``s`` | request sent to last byte received |

Both carry ``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model`` and, when
known, ``gen_ai.response.model``; the duration of a failed call also carries ``error.type``.

    >>> from opentelemetry.sdk.metrics import MeterProvider
    >>> from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    >>> reader = InMemoryMetricReader()
    >>> with tracing.GenAIMetrics(MeterProvider(metric_readers=[reader])):
    ...     llm.client().chat.completions.create(...)
    >>> reader.get_metrics_data()
"""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import MeterProvider

from labkit.llm.ledger import CallRecord
from labkit.tracing import genai

TOKEN_USAGE = "gen_ai.client.token.usage"
OPERATION_DURATION = "gen_ai.client.operation.duration"
TOKEN_TYPE = "gen_ai.token.type"

# The bucket boundaries the GenAI semantic conventions recommend for these two histograms.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS_S = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)


def call_attributes(record: CallRecord) -> dict[str, str]:
    """The attributes both metrics carry for one call (low cardinality: no ids, no prompts).

    Args:
        record: the call as labkit's transport recorded it.

    Returns:
        Attribute name -> value.
    """
    attrs = {genai.OPERATION: genai.operation_name(record.operation),
             genai.PROVIDER: genai.provider_name(record.backend, record.model),
             genai.REQUEST_MODEL: record.model}
    if record.response_model:
        attrs[genai.RESPONSE_MODEL] = record.response_model
    return attrs


def _error_type(record: CallRecord) -> str | None:
    if record.status >= 400:
        return str(record.status)
    if record.error:
        return record.error.split(":")[0]
    return None


class GenAIMetrics:
    """Record ``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration`` for each model call.

    Installs itself as a ``labkit.llm`` observer on creation; :meth:`close` (or leaving a ``with``
    block) removes it. Calls that are not model operations (chat, completion, embeddings) are ignored.

    Args:
        meter_provider: where the measurements go (e.g. an SDK ``MeterProvider`` with an OTLP or
            in-memory reader); default the global one, which records nothing until one is set.
        install: observe ``labkit.llm`` calls now (False: call :meth:`record` yourself, e.g. for
            simulated ``CallRecord`` s).
    """

    def __init__(self, meter_provider: MeterProvider | None = None, *, install: bool = True) -> None:
        meter = (meter_provider or metrics.get_meter_provider()).get_meter("labkit.tracing")
        self.token_usage = meter.create_histogram(
            TOKEN_USAGE, unit="{token}", description="Number of input and output tokens used per model call",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS)
        self.duration = meter.create_histogram(
            OPERATION_DURATION, unit="s", description="Duration of a GenAI client operation",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS_S)
        self._installed = False
        if install:
            from labkit import llm

            llm.hooks.observers.append(self.record)
            self._installed = True

    def record(self, record: CallRecord) -> None:
        """Record one finished call: its duration, and its input and output tokens when it succeeded.

        Args:
            record: the call (any ``CallRecord``, real or simulated).
        """
        if record.operation not in genai.OPERATION_NAMES:
            return
        attrs = call_attributes(record)
        error = _error_type(record)
        self.duration.record(max(record.latency_s, 0.0), {**attrs, "error.type": error} if error else attrs)
        if error is None:
            self.token_usage.record(record.input_tokens, {**attrs, TOKEN_TYPE: "input"})
            if record.operation != "embeddings":
                self.token_usage.record(record.output_tokens, {**attrs, TOKEN_TYPE: "output"})

    def close(self) -> None:
        """Stop observing ``labkit.llm`` calls (measurements already recorded stay with the provider)."""
        if not self._installed:
            return
        from labkit import llm

        while self.record in llm.hooks.observers:
            llm.hooks.observers.remove(self.record)
        self._installed = False

    def __enter__(self) -> GenAIMetrics:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
