"""A local endpoint that fails on purpose, and the parameters of a simulated hosted API.

:class:`StubEndpoint` is a real HTTP server on 127.0.0.1 speaking enough of the OpenAI API to be
called by the ``openai`` client. It fails as told (500, 429, a hang) or answers with stated latency
parameters — the *clearly labelled simulation* of a hosted API when no key is configured
(:func:`hosted_simulation` gives those parameters and says where they come from).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from labkit.errors import LabkitError
from labkit.llm import registry


@dataclass(frozen=True)
class HostedSimulation:
    """Latency and price parameters of a simulated hosted API (shown in the notebook, with their source).

    Attributes:
        name: what is being simulated.
        ttft_s: time to first token.
        tokens_per_s: generation speed of one stream.
        input_usd_per_m / output_usd_per_m: list prices per million tokens.
        source: where the numbers come from.
    """

    name: str
    ttft_s: float
    tokens_per_s: float
    input_usd_per_m: float
    output_usd_per_m: float
    source: str

    def __post_init__(self) -> None:
        if self.ttft_s < 0 or self.tokens_per_s <= 0:
            raise ValueError(f"need ttft_s >= 0 and tokens_per_s > 0, got {self.ttft_s}, {self.tokens_per_s}")


def hosted_simulation() -> HostedSimulation:
    """The parameters used to simulate a hosted API when no endpoint or key is configured.

    Prices are the registry's list prices of the OpenAI "chat" role model. Latency is an assumption,
    not a measurement: the order of magnitude public API benchmarks reported for small hosted models in
    2025 (about half a second to the first token, then ~80 tokens/s per stream). Set OPENAI_BASE_URL /
    OPENAI_API_KEY to measure a real provider instead.
    """
    info = registry.get(registry.role_model("openai", "chat") or "gpt-4o-mini")
    return HostedSimulation(
        name=f"{info.id} (SIMULATED)", ttft_s=0.45, tokens_per_s=80.0,
        input_usd_per_m=info.input_usd_per_m, output_usd_per_m=info.output_usd_per_m,
        source=(f"prices: {info.price_note} (labkit registry); latency: assumed order of magnitude from public "
                "API benchmarks of small hosted models, 2025 — not measured here"))


class _BurstServer(ThreadingHTTPServer):
    """The standard threading server with room for a burst: 64 pending connections, not 5."""

    request_queue_size = 64


_BEHAVIOURS = ("ok", "500", "502", "503", "429", "400", "hang", "close")


class StubEndpoint:
    """A tiny OpenAI-compatible HTTP server on 127.0.0.1 for failure drills and simulations.

    Args:
        behaviour: what each request gets: "ok" (a completion), "500"/"502"/"503"/"429"/"400" (that
            status with an OpenAI-style error body), "hang" (no answer for ``hang_s``), "close" (the
            connection is dropped). A list is used in order, one entry per request, and its last entry
            repeats; a callable gets the request number (0-based) and returns an entry.
        ttft_s: delay before the first token of an "ok" answer.
        tokens_per_s: speed at which the answer's tokens are produced (None: all at once).
        output_tokens: tokens in each answer (one word each).
        retry_after: seconds sent in the ``Retry-After`` header of 429 answers (None: no header).
        hang_s: how long "hang" holds the connection.
        rate_limit_rpm: answer 429 once more than this many requests arrived in the last 60 s.
        model: the model name it reports.

    Use as a context manager, or ``start()`` / ``stop()``. ``requests`` keeps every request body.
    """

    def __init__(self, behaviour: str | Sequence[str] | Callable[[int], str] = "ok", ttft_s: float = 0.0,
                 tokens_per_s: float | None = None, *, output_tokens: int = 16, retry_after: float | None = None,
                 hang_s: float = 30.0, rate_limit_rpm: int | None = None, model: str = "stub-model") -> None:
        for b in ([behaviour] if isinstance(behaviour, str) else behaviour if not callable(behaviour) else []):
            if b not in _BEHAVIOURS:
                raise ValueError(f"unknown behaviour {b!r}; choose from {_BEHAVIOURS}")
        if isinstance(behaviour, (list, tuple)) and not behaviour:
            raise ValueError("behaviour list is empty; give at least one entry such as ['500', 'ok']")
        if output_tokens < 1 or ttft_s < 0 or hang_s <= 0 or (tokens_per_s is not None and tokens_per_s <= 0):
            raise ValueError("need output_tokens >= 1, ttft_s >= 0, hang_s > 0 and tokens_per_s > 0 (or None)")
        self.behaviour = behaviour
        self.ttft_s, self.tokens_per_s, self.output_tokens = ttft_s, tokens_per_s, output_tokens
        self.retry_after, self.hang_s, self.rate_limit_rpm, self.model = retry_after, hang_s, rate_limit_rpm, model
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self._arrivals: list[float] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @classmethod
    def simulating(cls, sim: HostedSimulation, output_tokens: int = 64, **kwargs: Any) -> StubEndpoint:
        """A stub that answers with a hosted API's latency parameters (a simulation, say so when showing it)."""
        return cls("ok", ttft_s=sim.ttft_s, tokens_per_s=sim.tokens_per_s, output_tokens=output_tokens,
                   model=sim.name, **kwargs)

    # -- lifecycle
    @property
    def url(self) -> str:
        """Base URL (ends in ``/v1``)."""
        if self._server is None:
            raise LabkitError("the stub endpoint is not running; call start() or use it in a with-block")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def count(self) -> int:
        """Requests received so far."""
        with self._lock:
            return len(self.requests)

    def start(self) -> StubEndpoint:
        if self._server is not None:
            return self
        handler = self._handler_class()
        self._server = _BurstServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A dropped connection ("close", or a client that timed out) is part of the drill, not an error to print.
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._stopping.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="labkit-stub-endpoint")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StubEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- behaviour
    def _next(self, n: int) -> str:
        b = self.behaviour
        if callable(b) and not isinstance(b, str):
            choice = b(n)
            if choice not in _BEHAVIOURS:
                raise ValueError(f"behaviour function returned {choice!r}; choose from {_BEHAVIOURS}")
            return choice
        if isinstance(b, str):
            return b
        return b[min(n, len(b) - 1)]

    def _rate_limited(self) -> bool:
        if self.rate_limit_rpm is None:
            return False
        now = time.monotonic()
        with self._lock:
            self._arrivals = [t for t in self._arrivals if now - t < 60] + [now]
            return len(self._arrivals) > self.rate_limit_rpm

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep notebook output clean
                pass

            def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                with stub._lock:
                    stub.statuses.append(status)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": stub.model, "object": "model"}]})
                elif self.path.startswith("/health"):
                    self._json(200, {"status": "ok"})
                else:
                    self._json(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {}
                with stub._lock:
                    n = len(stub.requests)
                    stub.requests.append(body if isinstance(body, dict) else {})
                what = "429" if stub._rate_limited() else stub._next(n)
                if what == "hang":
                    stub._stopping.wait(stub.hang_s)
                    self.close_connection = True
                    return
                if what == "close":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if what != "ok":
                    status = int(what)
                    headers = {"Retry-After": f"{stub.retry_after:g}"} if status == 429 and stub.retry_after else {}
                    kind = {429: "rate_limit_exceeded", 400: "invalid_request_error"}.get(status, "server_error")
                    self._json(status, {"error": {"message": f"stub endpoint: HTTP {status} on purpose",
                                                  "type": kind, "code": kind}}, headers)
                    return
                self._answer(body if isinstance(body, dict) else {})

            def _answer(self, body: dict[str, Any]) -> None:
                max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or stub.output_tokens)
                n_out = max(1, min(stub.output_tokens, max_tokens))
                words = [f"word{i}" for i in range(n_out)]
                prompt_chars = len(json.dumps(body.get("messages") or body.get("prompt") or ""))
                usage = {"prompt_tokens": max(1, prompt_chars // 4), "completion_tokens": n_out,
                         "total_tokens": max(1, prompt_chars // 4) + n_out}
                base = {"id": f"chatcmpl-stub{time.monotonic_ns()}", "created": int(time.time()), "model": stub.model}
                per_token = 1.0 / stub.tokens_per_s if stub.tokens_per_s else 0.0
                if stub.ttft_s:
                    time.sleep(stub.ttft_s)
                if not body.get("stream"):
                    time.sleep(per_token * max(0, n_out - 1))
                    self._json(200, {**base, "object": "chat.completion", "usage": usage, "choices": [
                        {"index": 0, "finish_reason": "length" if n_out == max_tokens else "stop",
                         "message": {"role": "assistant", "content": " ".join(words)}}]})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for i, w in enumerate(words):
                    if i:
                        time.sleep(per_token)
                    chunk = {**base, "object": "chat.completion.chunk", "choices": [
                        {"index": 0, "delta": {"content": (" " if i else "") + w}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                last = {**base, "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(last)}\n\n".encode())
                if (body.get("stream_options") or {}).get("include_usage"):
                    self.wfile.write(f"data: {json.dumps({**base, 'object': 'chat.completion.chunk', 'choices': [], 'usage': usage})}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                with stub._lock:
                    stub.statuses.append(200)

        return Handler
