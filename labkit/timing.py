"""Timing model calls: one streamed request, and many at a fixed concurrency.

* :func:`time_stream` — stream one chat completion and return a :class:`StreamTiming` (time to first
  token, total time, tokens, decode speed);
* :func:`load_test` — run a call ``requests`` times with ``concurrency`` threads; a :class:`LoadResult`;
* :func:`percentile` — the summary used throughout.

``labkit.perf`` (the concurrency sweep, the prefix-cache trial) and ``labkit.deploy`` (comparing
deployments) both measure with these.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must be in [0, 100], got {q}")
    xs = sorted(float(v) for v in values)
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class StreamTiming:
    """One streamed request: time to first token, total time, tokens and decode speed."""

    ttft_s: float
    total_s: float
    output_tokens: int
    input_tokens: int = 0  # prompt tokens, from the usage block (0 when the server sends none)
    cached_tokens: int = 0  # prompt tokens the server reused from its KV cache (llama.cpp, OpenAI)
    started_s: float = 0.0  # time.perf_counter() when the request was sent (to line up concurrent calls)

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
        :class:`StreamTiming` (tokens from the usage block when the server sends one, else the count
        of content chunks).
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    t0 = time.perf_counter()
    first: float | None = None
    chunks = 0
    usage = None
    stream = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens, stream=True,
                                            stream_options={"include_usage": True}, **kwargs)
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            chunks += 1
            if first is None:
                first = time.perf_counter() - t0
        if getattr(chunk, "usage", None):
            usage = chunk.usage
    total = time.perf_counter() - t0
    details = getattr(usage, "prompt_tokens_details", None)
    return StreamTiming(first if first is not None else total, total,
                        int((usage.completion_tokens if usage else 0) or chunks),
                        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                        cached_tokens=int(getattr(details, "cached_tokens", 0) or 0), started_s=t0)


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
