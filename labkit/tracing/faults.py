"""A flaky upstream for failure lessons: a real local HTTP proxy that fails or slows some requests.

It forwards to a real OpenAI-compatible server (the embedded model by default), so every request it
lets through is a real model call. What it injects is stated by its parameters:

* ``fail_attempts=n``: each request fails its first ``n`` attempts with ``status`` (the attempt
  number comes from the ``x-stainless-retry-count`` header the ``openai`` client sends), so a
  client with ``max_retries >= n`` succeeds after ``n`` retries: a deterministic retry storm;
* ``fail_rate=p``: additionally, each attempt fails with probability ``p`` (seeded);
* ``delay_s``: every forwarded request waits this long first (a slow dependency).

Failures carry ``retry-after-ms`` so the client waits ``retry_after_ms`` instead of its default
back-off (keeps notebooks quick; set it to None to see the client's own back-off).
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Injected:
    """What a proxy does to one request instead of (or on top of) forwarding it.

    Attributes:
        status: answer at once with this HTTP error status and a JSON error body; nothing is forwarded.
        message / error_type / code: the error body's fields (``code`` left out when None).
        headers: extra response headers for the error (``Retry-After`` ...).
        drop_after_s: hold the connection this long, then close it with no reply (a timeout); None: don't.
        delay_s: wait this long, then forward (a slow dependency).
        truncate: forward, then cut a 200 response's body in half (malformed output).
    """

    status: int | None = None
    message: str = "injected failure"
    error_type: str = "server_error"
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop_after_s: float | None = None
    delay_s: float = 0.0
    truncate: bool = False


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no access log, and a client dropping an idle connection is not an error."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def handle(self) -> None:
        try:
            super().handle()
        except ConnectionResetError:
            self.close_connection = True


class LocalProxy:
    """A threaded reverse proxy on 127.0.0.1 in front of a local HTTP server; the base of the fault proxies.

    Every request is offered to :meth:`decide` first; what it returns (an :class:`Injected`, or None to
    forward untouched) is carried out for real over HTTP, so clients meet real status codes, real
    dropped connections and real broken bodies.

    Args:
        upstream: base URL of the real server, e.g. ``http://127.0.0.1:PORT`` or ``.../v1``; a request
            for ``/v1/...`` goes to the upstream's path prefix.
        name: the serving thread's name.
    """

    def __init__(self, upstream: str, name: str = "local-proxy") -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be a plain http:// URL (a local server), got {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self._host, self._port = parts.hostname, parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def decide(self, method: str, headers: Message) -> Injected | None:
        """What to do to this request; None forwards it untouched. Subclasses override this."""
        return None

    def rewrite_request(self, headers: Message, body: bytes) -> bytes:
        """The request body to forward (this one unchanged); subclasses may rewrite it."""
        return body

    def rewrite_reply(self, headers: Message, body: bytes, data: bytes) -> bytes:
        """The body of a 200 reply to ``body`` to send back (this one unchanged); subclasses may rewrite it."""
        return data

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(QuietHandler):
            def _reply(self, status: int, data: bytes, headers: Iterable[tuple[str, str]]) -> None:
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (its own timeout): nothing to send

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                act = proxy.decide(self.command, self.headers)
                if act is not None and act.drop_after_s is not None:
                    time.sleep(act.drop_after_s)
                    self.close_connection = True
                    return
                if act is not None and act.status is not None:
                    error: dict[str, Any] = {"message": act.message, "type": act.error_type}
                    if act.code is not None:
                        error["code"] = act.code
                    self._reply(act.status, json.dumps({"error": error}).encode(),
                                [("content-type", "application/json"), *act.headers.items()])
                    return
                if act is not None and act.delay_s:
                    time.sleep(act.delay_s)
                path = self.path
                if proxy._prefix and path.startswith("/v1"):
                    path = proxy._prefix + path[len("/v1"):]
                conn = http.client.HTTPConnection(proxy._host, proxy._port, timeout=300)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                    conn.request(self.command, path, body=proxy.rewrite_request(self.headers, body), headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    if resp.status == 200:
                        data = proxy.rewrite_reply(self.headers, body, data)
                    passed = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_HEADERS]
                finally:
                    conn.close()
                if act is not None and act.truncate and resp.status == 200:
                    data = data[: max(1, len(data) // 2)]  # a truncated, unparseable body
                self._reply(resp.status, data, passed)

            do_GET = _forward
            do_POST = _forward

        return Handler

    def start(self) -> Self:
        """Start serving on a free port of 127.0.0.1; ``url`` is then the base URL (ending in /v1) for a client."""
        if self._server is not None:
            return self
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class ProxyCounts:
    """What the proxy did: requests seen, failed on purpose, forwarded."""

    requests: int = 0
    failed: int = 0
    forwarded: int = 0


class FlakyProxy(LocalProxy):
    """A local reverse proxy that injects failures and latency in front of an OpenAI-compatible server.

    Args:
        upstream: base URL of the real server, ending in ``/v1`` (default: the embedded server).
        fail_attempts: fail each request's first ``n`` attempts.
        fail_rate: fail each attempt with this probability (seeded), in [0, 1].
        status: the HTTP status of injected failures (503, 429, 500, ...).
        delay_s: added latency before forwarding, in seconds.
        retry_after_ms: ``retry-after-ms`` header on failures (None: no header).
        seed: seed of the random failures.

    Example:
        >>> with FlakyProxy(fail_attempts=2) as proxy:
        ...     client = tracing.traced_client(proxy.url, max_retries=3)
    """

    def __init__(self, upstream: str | None = None, *, fail_attempts: int = 0, fail_rate: float = 0.0,
                 status: int = 503, delay_s: float = 0.0, retry_after_ms: int | None = 50, seed: int = 0) -> None:
        if fail_attempts < 0:
            raise ValueError(f"fail_attempts must be >= 0, got {fail_attempts}")
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be in [0, 1], got {fail_rate}")
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error code (400-599), got {status}")
        if delay_s < 0:
            raise ValueError(f"delay_s must be >= 0, got {delay_s}")
        if upstream is None:
            from labkit import llm

            upstream = llm.base_url()
        super().__init__(upstream, name="flaky-proxy")
        self.fail_attempts, self.fail_rate, self.status = fail_attempts, fail_rate, status
        self.delay_s, self.retry_after_ms = delay_s, retry_after_ms
        self.counts = ProxyCounts()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def _should_fail(self, attempt: int) -> bool:
        with self._lock:
            self.counts.requests += 1
            fail = attempt < self.fail_attempts or (self.fail_rate > 0 and self._rng.random() < self.fail_rate)
            if fail:
                self.counts.failed += 1
            else:
                self.counts.forwarded += 1
            return fail

    def decide(self, method: str, headers: Message) -> Injected | None:
        attempt_header = headers.get("x-stainless-retry-count") or "0"
        attempt = int(attempt_header) if attempt_header.isdigit() else 0
        if self._should_fail(attempt):
            extra = {} if self.retry_after_ms is None else {"retry-after-ms": str(self.retry_after_ms)}
            return Injected(status=self.status, message=f"injected failure (FlakyProxy, attempt {attempt})",
                            code=str(self.status), headers=extra)
        return Injected(delay_s=self.delay_s) if self.delay_s else None
