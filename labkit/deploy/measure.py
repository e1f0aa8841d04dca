"""Measurements that compare deployments: cold start, TTFT, tokens/s, p50/p95 under concurrency, memory.

:func:`time_stream`, :func:`load_test`, :func:`rss_mb`, :func:`server_cold_start` and
:func:`scrape_metrics` each measure one thing; :func:`measure_deployment` runs them the same way for
every deployment and returns a :class:`DeploymentReport`.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labkit.perf import percentile

if TYPE_CHECKING:
    from labkit.llm.server import ServerSettings


@dataclass(frozen=True)
class StreamTiming:
    """One streamed request: time to first token, total time, tokens and decode speed."""

    ttft_s: float
    total_s: float
    output_tokens: int

    @property
    def tokens_per_s(self) -> float:
        """Generation speed after the first token (the decode rate a user watches)."""
        gen = self.total_s - self.ttft_s
        return (self.output_tokens - 1) / gen if self.output_tokens > 1 and gen > 0 else math.nan


def time_stream(client: Any, model: str, messages: list[dict[str, str]], *, max_tokens: int = 64,
                **kwargs: Any) -> StreamTiming:
    """Stream one chat completion and time it.

    Args:
        client: an ``openai.OpenAI`` (any endpoint).
        model: model name for that endpoint.
        messages: the chat messages.
        max_tokens: generation cap.
        **kwargs: more ``create`` arguments (e.g. ``temperature``).

    Returns:
        :class:`StreamTiming` (tokens from the usage block when the server sends one).
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    t0 = time.perf_counter()
    first: float | None = None
    chunks = 0
    usage_tokens = None
    stream = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens, stream=True,
                                            stream_options={"include_usage": True}, **kwargs)
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            chunks += 1
            if first is None:
                first = time.perf_counter() - t0
        if getattr(chunk, "usage", None):
            usage_tokens = chunk.usage.completion_tokens
    total = time.perf_counter() - t0
    return StreamTiming(first if first is not None else total, total, int(usage_tokens or chunks))


@dataclass
class LoadResult:
    """Latencies of ``requests`` calls made ``concurrency`` at a time."""

    concurrency: int
    latencies_s: list[float]
    output_tokens: int
    errors: int
    wall_s: float
    error_messages: list[str] = field(default_factory=list)  # the first few, to see what failed

    @property
    def p50_s(self) -> float:
        return percentile(self.latencies_s, 50)

    @property
    def p95_s(self) -> float:
        return percentile(self.latencies_s, 95)

    @property
    def throughput_rps(self) -> float:
        """Completed requests per second over the whole run."""
        return len(self.latencies_s) / self.wall_s if self.wall_s > 0 else math.nan

    @property
    def tokens_per_s(self) -> float:
        """Generated tokens per second over the whole run (aggregate over all streams)."""
        return self.output_tokens / self.wall_s if self.wall_s > 0 else math.nan

    def row(self) -> dict[str, float]:
        return {"concurrency": self.concurrency, "requests": len(self.latencies_s), "errors": self.errors,
                "p50_s": round(self.p50_s, 3), "p95_s": round(self.p95_s, 3),
                "throughput_rps": round(self.throughput_rps, 3), "tokens_per_s": round(self.tokens_per_s, 1)}


def load_test(call: Callable[[int], int], concurrency: int, requests: int) -> LoadResult:
    """Run ``call(i)`` for i in range(requests) with ``concurrency`` threads and time each call.

    Args:
        call: makes request ``i`` and returns the number of generated tokens; an exception counts as an error.
        concurrency: requests in flight at once (>= 1).
        requests: total requests (>= concurrency is sensible).

    Returns:
        :class:`LoadResult` (latencies of the successful calls).
    """
    if concurrency < 1 or requests < 1:
        raise ValueError(f"need concurrency >= 1 and requests >= 1, got {concurrency}, {requests}")
    latencies: list[float] = []
    messages: list[str] = []
    tokens = errors = 0
    lock = threading.Lock()

    def one(i: int) -> None:
        nonlocal tokens, errors
        t0 = time.perf_counter()
        try:
            n = call(i)
        except Exception as exc:  # noqa: BLE001 - a failed request is a measurement, not a crash
            with lock:
                errors += 1
                if len(messages) < 5:
                    messages.append(f"{type(exc).__name__}: {exc}"[:300])
            return
        dt = time.perf_counter() - t0
        with lock:
            latencies.append(dt)
            tokens += int(n or 0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(requests)))
    return LoadResult(concurrency, latencies, tokens, errors, time.perf_counter() - t0, messages)


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process in MB (this process by default), from /proc or psutil."""
    pid = os.getpid() if pid is None else pid
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil

    return float(psutil.Process(pid).memory_info().rss) / 2**20


@dataclass(frozen=True)
class ColdStart:
    """A fresh server: process start to /health, to the first streamed token, and its memory."""

    ready_s: float
    first_token_s: float
    rss_mb: float


def server_cold_start(settings: ServerSettings | None = None) -> ColdStart:
    """Start a fresh embedded server on a free port, time it to the first token, measure it, stop it."""
    import http.client

    from labkit.llm.server import EmbeddedServer, ServerSettings

    base = settings or ServerSettings.from_env()
    s = ServerSettings(**{**base.__dict__, "port": 0})
    t0 = time.perf_counter()
    server = EmbeddedServer(s).start()
    try:
        ready = time.perf_counter() - t0
        assert server.port is not None
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        conn.request("POST", "/v1/chat/completions", json.dumps(
            {"model": s.model_alias, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4,
             "stream": True}), {"Content-Type": "application/json"})
        first = math.nan
        for line in conn.getresponse():
            if line.startswith(b"data:") and b'"content"' in line:
                first = time.perf_counter() - t0
                break
        conn.close()
        assert server.process is not None
        mem = rss_mb(server.process.pid)
    finally:
        server.stop()
    return ColdStart(ready, first, mem)


_METRIC = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+([-+0-9.eEinfINFaN]+)")


def scrape_metrics(root_url: str, timeout: float = 5.0) -> dict[str, float]:
    """Read a Prometheus ``/metrics`` endpoint into {name: value} (labels dropped, last value kept).

    Args:
        root_url: the server root, e.g. ``llm.server().root_url`` (without ``/v1``).
    """
    with urllib.request.urlopen(f"{root_url.rstrip('/')}/metrics", timeout=timeout) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = _METRIC.match(line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


@dataclass
class DeploymentReport:
    """One deployment measured the same way as the others."""

    name: str
    cold_start_s: float
    ttft_s: float
    tokens_per_s: float
    memory_mb: float
    curve: list[LoadResult]
    note: str = ""

    def at(self, concurrency: int) -> LoadResult:
        """The load result measured at this concurrency."""
        for r in self.curve:
            if r.concurrency == concurrency:
                return r
        raise KeyError(f"{self.name} was not measured at concurrency {concurrency}; have "
                       f"{[r.concurrency for r in self.curve]}")

    def row(self, concurrency: int, usd_per_1k: float) -> dict[str, Any]:
        """A table row: the stream timings and the load results at ``concurrency``."""
        r = self.at(concurrency)
        return {"deployment": self.name, "cold start s": round(self.cold_start_s, 2), "TTFT s": round(self.ttft_s, 3),
                "tokens/s (1 stream)": round(self.tokens_per_s, 1), f"p50 s @{concurrency}": round(r.p50_s, 2),
                f"p95 s @{concurrency}": round(r.p95_s, 2), f"req/s @{concurrency}": round(r.throughput_rps, 2),
                "memory MB": round(self.memory_mb), "$ / 1k requests": round(usd_per_1k, 4), "note": self.note}


def measure_deployment(name: str, stream: Callable[[], StreamTiming], call: Callable[[int], int],
                       *, cold_start_s: float, memory_mb: float, levels: Sequence[int] = (1, 4), requests: int = 4,
                       streams: int = 2, note: str = "") -> DeploymentReport:
    """Measure one deployment: ``streams`` timed streams (median TTFT and tokens/s), then a load test per level.

    Args:
        name: label.
        stream: makes one streamed request and returns its :class:`StreamTiming`.
        call: makes request ``i`` (not streamed) and returns its generated tokens.
        cold_start_s: measured separately (process start or model load to ready).
        memory_mb: measured separately (resident memory the deployment adds on this machine).
        levels: concurrency levels for the load test.
        requests: requests per level.
        streams: timed streams for TTFT and tokens/s.
    """
    if streams < 1 or not levels:
        raise ValueError("need streams >= 1 and at least one concurrency level")
    timings = [stream() for _ in range(streams)]
    ttft = percentile([t.ttft_s for t in timings], 50)
    tps = percentile([t.tokens_per_s for t in timings if not math.isnan(t.tokens_per_s)], 50)
    curve = [load_test(call, c, max(requests, c)) for c in levels]
    return DeploymentReport(name, cold_start_s, ttft, tps, memory_mb, curve, note)
