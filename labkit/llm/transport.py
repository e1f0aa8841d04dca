"""An HTTP transport that records every model call into the ledger, streams included.

It sits under the official ``openai`` client (which speaks ``httpx2``), so the object a
learner gets is a genuine ``openai.OpenAI`` and the same code runs against any endpoint.
Hooks let other modules see calls: *preflight* hooks may refuse a request before it leaves
the machine (model checks, egress policy); *request hooks* may add headers (trace context);
*observers* receive each finished record (the ledger, tracing).
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx2

from labkit.llm.ledger import CallRecord, Ledger

Preflight = Callable[[dict[str, Any], str], None]  # (request json, operation) -> None or raise
Observer = Callable[[CallRecord], None]
RequestHook = Callable[[httpx2.Request], None]  # may add headers, e.g. W3C traceparent

# The URL of the request whose preflight hooks are running, so a hook can tell where it goes.
current_url: contextvars.ContextVar[str] = contextvars.ContextVar("labkit_current_url", default="")

_OPERATIONS = {"chat/completions": "chat", "completions": "completion", "embeddings": "embeddings"}


def operation_of(path: str) -> str:
    """Name of the API operation a URL path calls (``/v1/chat/completions`` -> ``"chat"``)."""
    for suffix, name in _OPERATIONS.items():
        if path.rstrip("/").endswith(suffix):
            return name
    return path.rstrip("/").rsplit("/", 1)[-1] or "root"


class CallRecorder:
    """Turns one request/response pair into a :class:`CallRecord` (shared by sync and async)."""

    def __init__(self, request: httpx2.Request, backend: str, price: Callable[[str, int, int], float | None]) -> None:
        self.t0 = time.perf_counter()
        body: dict[str, Any] = {}
        if request.content:
            try:
                parsed = json.loads(request.content)
                body = parsed if isinstance(parsed, dict) else {}
            except (ValueError, UnicodeDecodeError):
                body = {}
        self.body = body
        self.operation = operation_of(request.url.path)
        self.record = CallRecord(
            operation=self.operation,
            model=str(body.get("model", "")),
            backend=backend,
            stream=bool(body.get("stream", False)),
            request_body=body,
        )
        self._price = price
        self._buffer = bytearray()
        self._sse_rest = b""
        self._content_chunks = 0
        self._usage_seen = False
        self._done = False
        self._lock = threading.Lock()

    def on_response(self, response: httpx2.Response) -> None:
        self.record.status = response.status_code

    def feed(self, chunk: bytes) -> None:
        if not self.record.stream or self.record.status >= 400:
            self._buffer.extend(chunk)
            return
        data = self._sse_rest + chunk
        *lines, self._sse_rest = data.split(b"\n")
        for line in lines:
            self._sse_line(line.strip())

    def _sse_line(self, line: bytes) -> None:
        if not line.startswith(b"data:"):
            return
        payload = line[5:].strip()
        if payload == b"[DONE]" or not payload:
            return
        try:
            event = json.loads(payload)
        except ValueError:
            return
        for choice in event.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content") or choice.get("text") or ""
            if piece:
                self._content_chunks += 1
                if self.record.ttft_s is None:
                    self.record.ttft_s = time.perf_counter() - self.t0
            if choice.get("finish_reason"):
                self.record.finish_reason = choice["finish_reason"]
        if event.get("model"):
            self.record.response_model = event["model"]
        if event.get("usage"):
            self._usage_seen = True
            self._apply_usage(event["usage"])

    def _apply_usage(self, usage: dict[str, Any]) -> None:
        self.record.input_tokens = int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0)
        self.record.output_tokens = int(usage.get("completion_tokens") or usage.get("output_tokens") or 0)
        details = usage.get("prompt_tokens_details") or {}
        self.record.cached_tokens = int(details.get("cached_tokens") or 0)

    def finish(self, error: str | None = None) -> CallRecord | None:
        """Complete the record once; returns None if it was already finished."""
        with self._lock:
            if self._done:
                return None
            self._done = True
        r = self.record
        r.latency_s = time.perf_counter() - self.t0
        r.error = error
        if self._sse_rest:
            self._sse_line(self._sse_rest.strip())
        if self._buffer:
            try:
                body = json.loads(bytes(self._buffer))
            except ValueError:
                body = {}
            if isinstance(body, dict):
                r.response_body = body
                if body.get("usage"):
                    self._usage_seen = True
                    self._apply_usage(body["usage"])
                choices = body.get("choices") or []
                if choices and isinstance(choices[0], dict):
                    r.finish_reason = choices[0].get("finish_reason")
                r.response_model = body.get("model")
                if r.status >= 400 and r.error is None:
                    err = body.get("error")
                    r.error = (err.get("message") if isinstance(err, dict) else str(err)) if err else f"HTTP {r.status}"
        if r.stream and not self._usage_seen and self._content_chunks:
            # No usage block (the caller did not ask for stream_options.include_usage):
            # servers send about one token per chunk, so count chunks and say it is an estimate.
            r.output_tokens = self._content_chunks
            r.usage_estimated = True
        if r.error is None and r.status >= 400:
            r.error = f"HTTP {r.status}"
        r.cost_usd = self._price(r.model, r.input_tokens, r.output_tokens)
        return r


class _SyncRecordingStream(httpx2.SyncByteStream):
    def __init__(self, inner: Any, recorder: CallRecorder, done: Callable[[CallRecorder, str | None], None]) -> None:
        self._inner, self._recorder, self._done = inner, recorder, done

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._recorder.feed(chunk)
            yield chunk

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._done(self._recorder, None)


class _AsyncRecordingStream(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, recorder: CallRecorder, done: Callable[[CallRecorder, str | None], None]) -> None:
        self._inner, self._recorder, self._done = inner, recorder, done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._recorder.feed(chunk)
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._done(self._recorder, None)


class Hooks:
    """Preflight checks and observers shared by every labkit client."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.preflight: list[Preflight] = []
        self.request_hooks: list[RequestHook] = []
        self.observers: list[Observer] = [ledger.add]
        self.tags: dict[str, str] = {}

    def check(self, body: dict[str, Any], operation: str, url: str = "") -> None:
        token = current_url.set(url)
        try:
            for hook in list(self.preflight):
                hook(body, operation)
        finally:
            current_url.reset(token)

    def prepare(self, request: httpx2.Request) -> None:
        for hook in list(self.request_hooks):
            hook(request)

    def done(self, recorder: CallRecorder, error: str | None) -> None:
        record = recorder.finish(error)
        if record is None:
            return
        record.tags = {**self.tags, **record.tags}
        for observer in list(self.observers):
            observer(record)


class RecordingTransport(httpx2.BaseTransport):
    """Sync transport: runs preflight hooks, forwards the request, records the call."""

    def __init__(self, inner: httpx2.BaseTransport, backend: str, hooks: Hooks,
                 price: Callable[[str, int, int], float | None]) -> None:
        self._inner, self._backend, self._hooks, self._price = inner, backend, hooks, price

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        recorder = CallRecorder(request, self._backend, self._price)
        self._hooks.check(recorder.body, recorder.operation, str(request.url))
        self._hooks.prepare(request)
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            self._hooks.done(recorder, f"{type(exc).__name__}: {exc}")
            raise
        recorder.on_response(response)
        response.stream = _SyncRecordingStream(response.stream, recorder, self._hooks.done)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(httpx2.AsyncBaseTransport):
    """Async twin of :class:`RecordingTransport`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, backend: str, hooks: Hooks,
                 price: Callable[[str, int, int], float | None]) -> None:
        self._inner, self._backend, self._hooks, self._price = inner, backend, hooks, price

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        recorder = CallRecorder(request, self._backend, self._price)
        self._hooks.check(recorder.body, recorder.operation, str(request.url))
        self._hooks.prepare(request)
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            self._hooks.done(recorder, f"{type(exc).__name__}: {exc}")
            raise
        recorder.on_response(response)
        response.stream = _AsyncRecordingStream(response.stream, recorder, self._hooks.done)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
