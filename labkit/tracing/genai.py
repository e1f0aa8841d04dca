"""OpenTelemetry GenAI semantic conventions for LLM calls, from labkit's ``CallRecord``.

An LLM span is named ``"{operation} {model}"`` (e.g. ``"chat smollm2-135m-instruct"``), has kind
CLIENT, and carries:

| attribute | from |
|---|---|
| ``gen_ai.operation.name`` | ``chat``, ``text_completion`` or ``embeddings`` (the API path) |
| ``gen_ai.provider.name`` and the older ``gen_ai.system`` | ``openai``, ``llama.cpp`` (embedded) or the registry's provider |
| ``gen_ai.request.model``, ``.max_tokens``, ``.temperature``, ``.top_p``, ``.seed``, ``.stream`` | the request body |
| ``gen_ai.response.model``, ``.id``, ``.finish_reasons`` | the response |
| ``gen_ai.usage.input_tokens``, ``.output_tokens``, ``.cache_read.input_tokens`` | the usage block |
| ``gen_ai.response.time_to_first_chunk`` | streams: seconds to the first content chunk |
| ``server.address``, ``server.port``, ``http.request.resend_count`` | the HTTP request (retries) |
| ``error.type`` and span status ERROR | failed calls |
| ``labkit.cost_usd`` | tokens x the registry's prices |
| ``openinference.span.kind`` | ``LLM`` (``EMBEDDING`` for embeddings), so Phoenix and other OpenInference UIs type the span |
| ``gen_ai.input.messages``, ``gen_ai.output.messages`` | only with ``capture_content=True`` |
| ``labkit.prompt.version``, ``labkit.model.version`` | inside ``tracing.versions(...)`` (the RAG app sets them on every span it emits) |
"""

from __future__ import annotations

import json
from typing import Any

from labkit.llm import registry
from labkit.llm.ledger import CallRecord

OPERATION_NAMES = {"chat": "chat", "completion": "text_completion", "embeddings": "embeddings"}
LLM_OPERATIONS = frozenset(OPERATION_NAMES.values())

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
SYSTEM = "gen_ai.system"  # the attribute older backends (and some UIs) still read
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHED_TOKENS = "gen_ai.usage.cache_read.input_tokens"
TTFT = "gen_ai.response.time_to_first_chunk"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
COST = "labkit.cost_usd"
CATEGORY = "labkit.category"
SPAN_KIND = "openinference.span.kind"
PROMPT_VERSION = "labkit.prompt.version"  # which prompt template answered (a release's identity, with the model)
MODEL_VERSION = "labkit.model.version"  # the model the app asked for; on non-LLM spans too, unlike gen_ai.request.model
USER = "user.id"
SESSION = "session.id"

# OpenInference span kinds (what Phoenix shows and filters on) for labkit's span categories. Only
# model-call spans are LLM: a wrapper typed LLM would count its children's tokens a second time.
KIND_BY_CATEGORY = {"llm": "LLM", "retrieval": "RETRIEVER", "tool": "TOOL", "guard": "GUARDRAIL",
                    "evaluation": "EVALUATOR"}
DEFAULT_KIND = "CHAIN"  # request roots, HTTP spans, wrappers, cache lookups: steps that hold other steps

_REQUEST_PARAMS = {"max_tokens": "gen_ai.request.max_tokens", "max_completion_tokens": "gen_ai.request.max_tokens",
                   "temperature": "gen_ai.request.temperature", "top_p": "gen_ai.request.top_p",
                   "seed": "gen_ai.request.seed", "frequency_penalty": "gen_ai.request.frequency_penalty",
                   "presence_penalty": "gen_ai.request.presence_penalty"}


def operation_name(labkit_operation: str) -> str:
    """The GenAI operation name for labkit's operation ("completion" -> "text_completion")."""
    return OPERATION_NAMES.get(labkit_operation, labkit_operation)


def provider_name(backend: str, model: str) -> str:
    """``gen_ai.provider.name`` for a call: who served it.

    Args:
        backend: "embedded", "openai" or "custom" (labkit's backend).
        model: the requested model.
    """
    if backend == "embedded":
        return "llama.cpp"
    if backend == "openai":
        return "openai"

    info = registry.find(model) if model else None
    if info is not None and not info.is_local:
        return info.provider
    return "openai_compatible"


def span_kind(category: str | None) -> str:
    """The ``openinference.span.kind`` of a span of labkit's ``category`` (``CHAIN`` for anything else)."""
    return KIND_BY_CATEGORY.get(category or "", DEFAULT_KIND)


def span_name(operation: str, model: str) -> str:
    return f"{operation} {model}".strip()


def request_attributes(body: dict[str, Any], labkit_operation: str, backend: str) -> dict[str, Any]:
    """Attributes known before the call: operation, provider, model and request parameters."""
    model = str(body.get("model", ""))
    provider = provider_name(backend, model)
    operation = operation_name(labkit_operation)
    attrs: dict[str, Any] = {OPERATION: operation, PROVIDER: provider, SYSTEM: provider, REQUEST_MODEL: model,
                             CATEGORY: "llm", SPAN_KIND: "EMBEDDING" if operation == "embeddings" else "LLM",
                             "gen_ai.request.stream": bool(body.get("stream"))}
    for key, attr in _REQUEST_PARAMS.items():
        value = body.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[attr] = value
    stop = body.get("stop")
    if isinstance(stop, str):
        attrs["gen_ai.request.stop_sequences"] = (stop,)
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        attrs["gen_ai.request.stop_sequences"] = tuple(stop)
    return attrs


def _output_messages(response: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for choice in response.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        message = choice.get("message")
        text = message.get("content") if isinstance(message, dict) else choice.get("text")
        out.append({"role": "assistant", "parts": [{"type": "text", "content": text or ""}],
                    "finish_reason": choice.get("finish_reason")})
    return out


def _input_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(body.get("messages"), list):
        return [{"role": m.get("role"), "parts": [{"type": "text", "content": m.get("content")}]}
                for m in body["messages"] if isinstance(m, dict)]
    prompt = body.get("prompt", body.get("input"))
    return [{"role": "user", "parts": [{"type": "text", "content": prompt}]}] if prompt is not None else []


def record_attributes(record: CallRecord, capture_content: bool = False) -> dict[str, Any]:
    """Every span attribute of one finished call.

    Args:
        record: the call as labkit's transport recorded it.
        capture_content: add the prompt and completion text (opt-in: it may hold personal data).

    Returns:
        Attribute name -> value (no None values).
    """
    attrs = request_attributes(record.request_body, record.operation, record.backend)
    attrs[REQUEST_MODEL] = record.model
    attrs["gen_ai.request.stream"] = record.stream
    attrs[INPUT_TOKENS] = record.input_tokens
    attrs[OUTPUT_TOKENS] = record.output_tokens
    if record.cached_tokens:
        attrs[CACHED_TOKENS] = record.cached_tokens
    if record.response_model:
        attrs[RESPONSE_MODEL] = record.response_model
    response_id = record.response_body.get("id") if isinstance(record.response_body, dict) else None
    if isinstance(response_id, str):
        attrs[RESPONSE_ID] = response_id
    if record.finish_reason:
        attrs[FINISH_REASONS] = (record.finish_reason,)
    if record.ttft_s is not None:
        attrs[TTFT] = record.ttft_s
    if record.cost_usd is not None:
        attrs[COST] = record.cost_usd
    attrs["labkit.backend"] = record.backend
    attrs["http.response.status_code"] = record.status
    if record.usage_estimated:
        attrs["labkit.usage_estimated"] = True
    if record.error or record.status >= 400:
        attrs["error.type"] = str(record.status) if record.status >= 400 else (record.error or "error").split(":")[0]
    for key, value in record.tags.items():
        attrs[f"labkit.tag.{key}"] = str(value)
    if capture_content:
        attrs[INPUT_MESSAGES] = json.dumps(_input_messages(record.request_body), ensure_ascii=False)
        if record.response_body:
            attrs[OUTPUT_MESSAGES] = json.dumps(_output_messages(record.response_body), ensure_ascii=False)
    return attrs
