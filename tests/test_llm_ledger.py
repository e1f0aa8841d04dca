"""Ledger and recording transport, without a server: SSE and JSON parsing, estimates, errors."""

from __future__ import annotations

import json

import httpx2
import pytest

from labkit.llm.ledger import CallRecord, Ledger
from labkit.llm.transport import CallRecorder, operation_of


def _recorder(body: dict) -> CallRecorder:
    request = httpx2.Request("POST", "http://x/v1/chat/completions", content=json.dumps(body).encode())
    return CallRecorder(request, "embedded", lambda m, i, o: (i + 2 * o) / 1e6)


def test_operation_names() -> None:
    assert operation_of("/v1/chat/completions") == "chat"
    assert operation_of("/v1/completions") == "completion"
    assert operation_of("/v1/embeddings") == "embeddings"
    assert operation_of("/v1/models") == "models"


def test_non_stream_usage_and_cost() -> None:
    rec = _recorder({"model": "m", "messages": []})
    rec.record.status = 200
    rec.feed(json.dumps({"model": "m", "choices": [{"finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 10, "completion_tokens": 5,
                                   "prompt_tokens_details": {"cached_tokens": 4}}}).encode())
    r = rec.finish()
    assert r is not None
    assert (r.input_tokens, r.output_tokens, r.cached_tokens) == (10, 5, 4)
    assert r.cost_usd == pytest.approx(20 / 1e6)
    assert r.finish_reason == "stop" and r.error is None
    assert rec.finish() is None  # a record is finished once


def _sse(events: list[dict]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


def test_stream_with_usage_split_across_chunks() -> None:
    rec = _recorder({"model": "m", "stream": True})
    rec.record.status = 200
    data = _sse([
        {"choices": [{"delta": {"role": "assistant"}}]},
        {"choices": [{"delta": {"content": "Hel"}}]},
        {"choices": [{"delta": {"content": "lo"}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}},
    ])
    for i in range(0, len(data), 7):  # bytes arrive in arbitrary pieces
        rec.feed(data[i:i + 7])
    r = rec.finish()
    assert r is not None
    assert (r.input_tokens, r.output_tokens, r.usage_estimated) == (7, 2, False)
    assert r.ttft_s is not None and r.finish_reason == "stop"


def test_stream_without_usage_is_estimated_and_says_so() -> None:
    rec = _recorder({"model": "m", "stream": True})
    rec.record.status = 200
    rec.feed(_sse([{"choices": [{"delta": {"content": t}}]} for t in ["a", "b", "c"]]))
    r = rec.finish()
    assert r is not None and r.output_tokens == 3 and r.usage_estimated


def test_error_body_is_recorded() -> None:
    rec = _recorder({"model": "m"})
    rec.record.status = 400
    rec.feed(json.dumps({"error": {"message": "bad field"}}).encode())
    r = rec.finish()
    assert r is not None and r.error == "bad field"


def test_ledger_summary_totals_and_validation() -> None:
    led = Ledger()
    assert led.summary().empty
    led.add(CallRecord(operation="chat", model="a", backend="embedded", stream=False, input_tokens=3,
                       output_tokens=4, latency_s=1.0, cost_usd=0.5, status=200))
    led.add(CallRecord(operation="chat", model="a", backend="embedded", stream=True, input_tokens=1,
                       output_tokens=1, latency_s=3.0, cost_usd=None, status=500, error="HTTP 500"))
    totals = led.totals()
    assert totals["calls"] == 2 and totals["input_tokens"] == 4 and totals["errors"] == 1
    row = led.summary().iloc[0]
    assert row["calls"] == 2 and row["errors"] == 1 and row["cost_usd"] == pytest.approx(0.5)
    mark = led.mark()
    assert led.totals(since=mark)["calls"] == 0
    with pytest.raises(TypeError, match="CallRecord"):
        led.add("not a record")  # type: ignore[arg-type]
    led.reset()
    assert len(led) == 0
