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
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class ProxyCounts:
    """What the proxy did: requests seen, failed on purpose, forwarded."""

    requests: int = 0
    failed: int = 0
    forwarded: int = 0


class FlakyProxy:
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
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be a plain http:// URL (a local server), got {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self._host, self._port = parts.hostname, parts.port or 80
        self.fail_attempts, self.fail_rate, self.status = fail_attempts, fail_rate, status
        self.delay_s, self.retry_after_ms = delay_s, retry_after_ms
        self.counts = ProxyCounts()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def _should_fail(self, attempt: int) -> bool:
        with self._lock:
            self.counts.requests += 1
            fail = attempt < self.fail_attempts or (self.fail_rate > 0 and self._rng.random() < self.fail_rate)
            if fail:
                self.counts.failed += 1
            else:
                self.counts.forwarded += 1
            return fail

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                return

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                attempt_header = self.headers.get("x-stainless-retry-count") or "0"
                attempt = int(attempt_header) if attempt_header.isdigit() else 0
                if proxy._should_fail(attempt):
                    payload = json.dumps({"error": {"message": f"injected failure (FlakyProxy, attempt {attempt})",
                                                    "type": "server_error", "code": self.status_code_text()}})
                    data = payload.encode()
                    self.send_response(proxy.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    if proxy.retry_after_ms is not None:
                        self.send_header("retry-after-ms", str(proxy.retry_after_ms))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if proxy.delay_s:
                    time.sleep(proxy.delay_s)
                prefix = urlsplit(proxy.upstream).path.rstrip("/")
                path = self.path
                if prefix and path.startswith("/v1"):
                    path = prefix + path[len("/v1"):]
                conn = http.client.HTTPConnection(proxy._host, proxy._port, timeout=300)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                    conn.request(self.command, path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in _HOP_HEADERS:
                            self.send_header(k, v)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    conn.close()

            def status_code_text(self) -> str:
                return str(proxy.status)

            do_GET = _forward
            do_POST = _forward

        return Handler

    def start(self) -> FlakyProxy:
        """Start serving on a free port of 127.0.0.1; ``url`` is then the base URL to give a client."""
        if self._server is not None:
            return self
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, name="flaky-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FlakyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
