"""A real HTTP proxy in front of a model endpoint that injects provider faults on a schedule.

The capstone's service talks to the model through this proxy exactly as it would talk to a hosted
provider, so timeouts, rate limits, 5xx errors and malformed output arrive as real HTTP behaviour
and the service's retry and fallback code is exercised for real. Which fault (if any) a request
meets is decided by a schedule keyed on the *virtual* time of the simulated request, passed by the
caller in the ``X-Sim-Time`` header.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULT_KINDS = ("timeout", "rate_limit", "server_error", "malformed")


@dataclass(frozen=True)
class FaultWindow:
    """Faults of one kind between two virtual times (seconds since the simulation start).

    Attributes:
        kind: one of ``FAULT_KINDS``.
        start_s, end_s: the window, in virtual seconds.
        share: fraction of requests in the window that fail (1.0 = an outage).
    """

    kind: str
    start_s: float
    end_s: float
    share: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, got {self.kind!r}")
        if not self.start_s < self.end_s:
            raise ValueError(f"a fault window needs start_s < end_s, got {self.start_s}..{self.end_s}")
        if not 0 < self.share <= 1:
            raise ValueError(f"share must be in (0, 1], got {self.share}")


class FaultSchedule:
    """Decides, deterministically from a request counter, which fault a request meets."""

    def __init__(self, windows: list[FaultWindow]) -> None:
        self.windows = list(windows)
        self._count = 0
        self._lock = threading.Lock()

    def fault_at(self, virtual_s: float) -> str | None:
        with self._lock:
            self._count += 1
            n = self._count
        for w in self.windows:
            if w.start_s <= virtual_s < w.end_s:
                # every k-th request fails, k from the share: deterministic, no randomness
                period = max(1, round(1 / w.share))
                if n % period == 0:
                    return w.kind
        return None


class FaultProxy:
    """A threaded HTTP proxy to ``upstream`` (e.g. ``http://127.0.0.1:PORT``) that injects faults.

    Args:
        upstream: base URL of the real endpoint (scheme://host:port, no path).
        schedule: the fault schedule.
        timeout_hold_s: how long a "timeout" fault holds the connection before closing it
            (set it above the client's timeout so the client times out).
        on_fault: called with (kind, virtual_s) for every injected fault (for the run log).
    """

    def __init__(self, upstream: str, schedule: FaultSchedule, timeout_hold_s: float = 3.0,
                 on_fault: Callable[[str, float], None] | None = None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"upstream must look like http://127.0.0.1:PORT, got {upstream!r}")
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.schedule = schedule
        self.timeout_hold_s = timeout_hold_s
        self.on_fault = on_fault
        self.injected: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL for an OpenAI client (ends in /v1)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep the proxy quiet
                pass

            def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (its own timeout): nothing to send

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    virtual_s = float(self.headers.get("X-Sim-Time", "nan"))
                except ValueError:
                    virtual_s = float("nan")
                fault = proxy.schedule.fault_at(virtual_s) if method == "POST" and virtual_s == virtual_s else None
                if fault:
                    proxy.injected[fault] += 1
                    if proxy.on_fault:
                        proxy.on_fault(fault, virtual_s)
                if fault == "timeout":
                    time.sleep(proxy.timeout_hold_s)
                    self.close_connection = True
                    return
                if fault == "rate_limit":
                    self._reply(429, json.dumps({"error": {"message": "rate limit exceeded (injected)",
                                                           "type": "rate_limit"}}).encode(), {"Retry-After": "0"})
                    return
                if fault == "server_error":
                    self._reply(503, json.dumps({"error": {"message": "upstream unavailable (injected)",
                                                           "type": "server_error"}}).encode())
                    return
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=300)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                conn.request(method, self.path, body, headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if fault == "malformed" and resp.status == 200:
                    data = data[: max(1, len(data) // 2)]  # a truncated, unparseable body
                self._reply(resp.status, data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self._forward("POST")

            def do_GET(self) -> None:  # noqa: N802
                self._forward("GET")

        return Handler
