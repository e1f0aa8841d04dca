"""Deployment: fallback chains across providers, a local stub endpoint that fails on purpose, the
measurements that compare deployments, capacity planning and the per-token vs per-hour break-even.

* :class:`FallbackChain` sends a chat request to the first healthy provider of a list, with a timeout
  per attempt, retries with exponential backoff (``Retry-After`` honoured) on 429/5xx/timeouts, a
  circuit breaker that skips a provider after repeated failures, and the egress policy applied per
  provider. Every attempt goes through labkit's recording transport, so it lands in ``llm.ledger``.
* :class:`StubEndpoint` is a real HTTP server on 127.0.0.1 speaking enough of the OpenAI API to be
  called by the ``openai`` client. It fails as told (500, 429, a hang) or answers with stated latency
  parameters — the *clearly labelled simulation* of a hosted API when no key is configured.
* :class:`InProcessModel` loads the GGUF model into this process (the "edge" deployment); the
  embedded server is the self-hosted one (:class:`labkit.llm.EmbeddedServer`).
* :func:`time_stream`, :func:`load_test`, :func:`rss_mb`, :func:`server_cold_start`, :func:`scrape_metrics`
  measure cold start, TTFT, tokens/s, p50/p95 under concurrency and memory.
* :func:`plan_capacity` turns a measured load curve into replicas for a target load and p95;
  :func:`break_even` compares paying per token with paying per machine-hour by volume.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from labkit.errors import LabkitError
from labkit.perf import percentile

if TYPE_CHECKING:
    import openai
    from matplotlib.figure import Figure

    from labkit.llm.server import ServerSettings

__all__ = [
    "AllProvidersFailed", "Attempt", "BreakEven", "CapacityPlan", "ChainResult", "ColdStart", "FallbackChain",
    "DeploymentReport", "HostedSimulation", "InProcessModel", "LoadResult", "Provider", "RetryPolicy", "StreamTiming",
    "StubEndpoint", "break_even", "cost_per_1k_hosted", "cost_per_1k_self_hosted", "hosted_simulation", "load_test",
    "measure_deployment", "percentile", "plan_capacity",
    "plot_break_even", "provider_client", "rss_mb", "scrape_metrics", "server_cold_start", "time_stream",
]

HOURS_PER_MONTH = 730.0


# ================================================================ a local endpoint that fails on purpose

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
    from labkit.llm import registry

    info = registry.get(registry.role_model("openai", "chat") or "gpt-4o-mini")
    return HostedSimulation(
        name=f"{info.id} (SIMULATED)", ttft_s=0.45, tokens_per_s=80.0,
        input_usd_per_m=info.input_usd_per_m, output_usd_per_m=info.output_usd_per_m,
        source=(f"prices: {info.price_note} (labkit registry); latency: assumed order of magnitude from public "
                "API benchmarks of small hosted models, 2025 — not measured here"))


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
                 tokens_per_s: float | None = None, output_tokens: int = 16, retry_after: float | None = None,
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
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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


# ================================================================ fallback chain

@dataclass(frozen=True)
class Provider:
    """One place a request can go.

    Attributes:
        name: a label for reports.
        base_url: OpenAI-compatible base URL (ends in ``/v1``).
        model: the model name to send there.
        api_key: its key (local servers ignore it).
        timeout_s: per-attempt timeout (connect + read).
        egress: the provider name the egress policy knows it by; None derives it from the URL.
    """

    name: str
    base_url: str
    model: str
    api_key: str = "not-needed"
    timeout_s: float = 30.0
    egress: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.model:
            raise ValueError("a provider needs a name and a model")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")

    @classmethod
    def current(cls, name: str = "primary", timeout_s: float = 60.0) -> Provider:
        """The endpoint ``llm.client()`` uses now (embedded server, OpenAI or OPENAI_BASE_URL)."""
        from labkit import llm

        key = "labkit-local" if llm.backend() == "embedded" else os.environ.get("OPENAI_API_KEY") or "not-needed"
        return cls(name, llm.base_url(), llm.model_for("chat"), key, timeout_s)


@dataclass(frozen=True)
class RetryPolicy:
    """How a chain retries one provider before moving on.

    Attributes:
        max_attempts: tries per provider (1 = no retry).
        backoff_s: wait before the first retry; multiplied by ``factor`` each time, capped at ``max_backoff_s``.
        jitter: +- fraction of random spread on each wait (spreads retries of many clients apart).
        retry_on: HTTP statuses worth retrying.
        retry_timeouts: whether a timeout is retried on the same provider (else the chain moves on).
        breaker_threshold: consecutive failed requests after which a provider is skipped ...
        breaker_cooldown_s: ... for this long (circuit breaker).
    """

    max_attempts: int = 3
    backoff_s: float = 0.2
    factor: float = 2.0
    max_backoff_s: float = 5.0
    jitter: float = 0.1
    retry_on: frozenset[int] = frozenset({408, 409, 429, 500, 502, 503, 504})
    retry_timeouts: bool = False
    breaker_threshold: int = 3
    breaker_cooldown_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.backoff_s < 0 or self.factor < 1 or self.max_backoff_s < 0 or not 0 <= self.jitter < 1:
            raise ValueError("need backoff_s >= 0, factor >= 1, max_backoff_s >= 0 and 0 <= jitter < 1")
        if self.breaker_threshold < 1 or self.breaker_cooldown_s < 0:
            raise ValueError("need breaker_threshold >= 1 and breaker_cooldown_s >= 0")

    def wait(self, retry: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based); a server's Retry-After wins when set."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_backoff_s)
        base = min(self.backoff_s * self.factor ** (retry - 1), self.max_backoff_s)
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1 + spread))


@dataclass
class Attempt:
    """One try against one provider."""

    provider: str
    number: int
    outcome: str  # "ok", "http 500", "timeout", "connection", "denied", "skipped (circuit open)"
    latency_s: float
    waited_s: float = 0.0


@dataclass
class ChainResult:
    """The answer and how it was obtained."""

    response: Any
    provider: str
    attempts: list[Attempt]
    latency_s: float

    @property
    def text(self) -> str:
        return self.response.choices[0].message.content or ""


class AllProvidersFailed(LabkitError):
    """Every provider of a fallback chain failed; ``attempts`` says how."""

    def __init__(self, message: str, attempts: list[Attempt]) -> None:
        super().__init__(message)
        self.attempts = attempts


def provider_client(provider: Provider) -> openai.OpenAI:
    """An ``openai.OpenAI`` for one provider whose calls go through labkit's hooks and ledger.

    The egress guard (if installed) sees this provider as the destination of every request. The
    client does not retry by itself (``max_retries=0``): the chain decides.
    """
    import openai

    from labkit import llm
    from labkit.enterprise.policy import destination
    from labkit.llm.transport import Hooks, RecordingTransport

    class _ProviderHooks(Hooks):
        # Share the global hooks; the preflight checks run with this provider named as the
        # destination, so the egress policy judges the endpoint the request really goes to.
        def __init__(self) -> None:
            super().__init__(llm.ledger)
            self.preflight, self.request_hooks = llm.hooks.preflight, llm.hooks.request_hooks
            self.observers, self.tags = llm.hooks.observers, llm.hooks.tags

        def check(self, body: dict[str, Any], operation: str, url: str = "") -> None:
            with destination(provider.egress or provider.base_url):
                super().check(body, operation, url)

    transport = RecordingTransport(llm.openai_transport(), provider.name, _ProviderHooks(), llm.cost)
    return openai.OpenAI(base_url=provider.base_url, api_key=provider.api_key, max_retries=0,
                         timeout=openai.Timeout(provider.timeout_s, connect=min(5.0, provider.timeout_s)),
                         http_client=openai.DefaultHttpxClient(transport=transport))


def _classify(exc: BaseException) -> tuple[str, int | None, float | None]:
    """(outcome, status, retry_after) of an exception raised by an openai call."""
    import openai

    from labkit.enterprise.policy import EgressDenied

    if isinstance(exc, EgressDenied):
        return "denied", None, None
    if isinstance(exc, openai.APITimeoutError):
        return "timeout", None, None
    if isinstance(exc, openai.APIStatusError):
        retry_after = None
        value = exc.response.headers.get("retry-after") if exc.response is not None else None
        if value:
            try:
                retry_after = float(value)
            except ValueError:
                retry_after = None
        return f"http {exc.status_code}", exc.status_code, retry_after
    if isinstance(exc, openai.APIConnectionError):
        return "connection", None, None
    if isinstance(exc, LabkitError):
        return f"refused ({type(exc).__name__})", None, None
    raise exc


class FallbackChain:
    """Try providers in order, each with timeouts, retries and backoff, until one answers.

    Args:
        providers: in order of preference.
        retry: the :class:`RetryPolicy` applied to each provider.
        sleep: how to wait (``time.sleep``; a test or simulation can pass a fake).
        seed: seeds the backoff jitter, so a run is repeatable.

    Example:
        >>> chain = FallbackChain([Provider("flaky", stub.url, "m"), Provider.current("local")])
        >>> result = chain.create(messages=[{"role": "user", "content": "Hi"}], max_tokens=16)
        >>> result.provider, [a.outcome for a in result.attempts]
    """

    def __init__(self, providers: Sequence[Provider], retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, seed: int = 0) -> None:
        if not providers:
            raise ValueError("a fallback chain needs at least one provider")
        names = [p.name for p in providers]
        if len(set(names)) != len(names):
            raise ValueError(f"provider names must be unique, got {names}")
        self.providers = list(providers)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._clients: dict[str, openai.OpenAI] = {}
        self._failures: dict[str, int] = {p.name: 0 for p in providers}
        self._open_until: dict[str, float] = {p.name: 0.0 for p in providers}
        self._lock = threading.Lock()

    def client(self, provider: Provider) -> openai.OpenAI:
        with self._lock:
            if provider.name not in self._clients:
                self._clients[provider.name] = provider_client(provider)
            return self._clients[provider.name]

    def circuit_open(self, name: str) -> bool:
        """Whether the breaker currently skips this provider."""
        with self._lock:
            return time.monotonic() < self._open_until[name]

    def _record(self, name: str, ok: bool) -> None:
        with self._lock:
            if ok:
                self._failures[name] = 0
                return
            self._failures[name] += 1
            if self._failures[name] >= self.retry.breaker_threshold:
                self._open_until[name] = time.monotonic() + self.retry.breaker_cooldown_s
                self._failures[name] = 0

    def create(self, **kwargs: Any) -> ChainResult:
        """``chat.completions.create`` on the first provider that answers (``model`` is set per provider).

        Returns:
            A :class:`ChainResult` with the response, the provider that gave it and every attempt.

        Raises:
            AllProvidersFailed: no provider answered; the message lists each attempt.
        """
        if "model" in kwargs:
            raise TypeError("do not pass model=: each Provider names its own model")
        t0 = time.perf_counter()
        attempts: list[Attempt] = []
        for provider in self.providers:
            if self.circuit_open(provider.name):
                attempts.append(Attempt(provider.name, 0, "skipped (circuit open)", 0.0))
                continue
            client = self.client(provider)
            waited = 0.0
            for number in range(1, self.retry.max_attempts + 1):
                t1 = time.perf_counter()
                try:
                    response = client.chat.completions.create(model=provider.model, **kwargs)
                except Exception as exc:  # noqa: BLE001 - classified below; unknown errors re-raise there
                    outcome, status, retry_after = _classify(exc)
                    attempts.append(Attempt(provider.name, number, outcome, time.perf_counter() - t1, waited))
                    retryable = (status in self.retry.retry_on) or (outcome == "timeout" and self.retry.retry_timeouts) \
                        or outcome == "connection"
                    if outcome == "denied" or not retryable:
                        if outcome != "denied":
                            self._record(provider.name, ok=False)
                        break
                    if number == self.retry.max_attempts:
                        self._record(provider.name, ok=False)
                        break
                    waited = self.retry.wait(number, retry_after, self._rng)
                    self._sleep(waited)
                    continue
                attempts.append(Attempt(provider.name, number, "ok", time.perf_counter() - t1, waited))
                self._record(provider.name, ok=True)
                return ChainResult(response, provider.name, attempts, time.perf_counter() - t0)
        lines = "; ".join(f"{a.provider}#{a.number}: {a.outcome}" for a in attempts)
        raise AllProvidersFailed(
            f"every provider failed ({lines}). Check the endpoints, raise timeouts, or add a provider "
            f"(e.g. Provider.current()) at the end of the chain.", attempts)


# ================================================================ measurement helpers

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


def time_stream(client: Any, model: str, messages: list[dict[str, str]], max_tokens: int = 64,
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


class InProcessModel:
    """The model loaded into *this* process with llama.cpp (the "edge" deployment: no server hop).

    Args:
        model_path: the GGUF file; the registry's embedded chat model by default.
        n_ctx: context tokens; n_threads: CPU threads (the course's default server setting when omitted).

    ``load_s`` and ``rss_added_mb`` are measured when it loads. Call :meth:`chat` like the HTTP API.
    """

    def __init__(self, model_path: str | None = None, n_ctx: int = 2048, n_threads: int | None = None,
                 n_parallel: int = 1) -> None:
        import xllamacpp

        from labkit.llm import registry

        path = model_path or str(registry.local_model_path(registry.role_model("embedded", "chat")
                                                           or "smollm2-135m-instruct"))
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no GGUF file at {path}; pass model_path= or run `make setup`")
        params = xllamacpp.CommonParams()
        params.model.path = path
        params.n_ctx = n_ctx
        params.n_parallel = n_parallel
        params.verbosity = -1  # llama.cpp logs to this process's stderr, i.e. into the notebook; keep it quiet
        threads = n_threads or max(1, os.cpu_count() or 1)
        for cpu in (params.cpuparams, params.cpuparams_batch):
            cpu.n_threads = threads
            cpu.poll = 0  # no busy-waiting between batches (see labkit.llm.server)
        before = rss_mb()
        t0 = time.perf_counter()
        self._server = xllamacpp.Server(params)
        self.load_s = time.perf_counter() - t0
        self.rss_added_mb = rss_mb() - before
        self.path = path

    def chat(self, messages: list[dict[str, str]], max_tokens: int = 64, **kwargs: Any) -> dict[str, Any]:
        """A chat completion computed in this process; returns the OpenAI-shaped response dict."""
        body = {"messages": messages, "max_tokens": max_tokens, **kwargs}
        result = self._server.handle_chat_completions(body)
        if not isinstance(result, dict) or "choices" not in result:
            raise LabkitError(f"in-process model returned an error: {str(result)[:300]}")
        return result

    def time_stream(self, messages: list[dict[str, str]], max_tokens: int = 64, **kwargs: Any) -> StreamTiming:
        """Stream one completion in-process and time it like :func:`time_stream`."""
        t0 = time.perf_counter()
        state: dict[str, Any] = {"first": None, "chunks": 0, "usage": None}

        def on_chunk(chunk: Any) -> None:
            if not isinstance(chunk, dict):
                return
            for choice in chunk.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    state["chunks"] += 1
                    if state["first"] is None:
                        state["first"] = time.perf_counter() - t0
            if chunk.get("usage"):
                state["usage"] = chunk["usage"].get("completion_tokens")

        body = {"messages": messages, "max_tokens": max_tokens, "stream": True,
                "stream_options": {"include_usage": True}, **kwargs}
        self._server.handle_chat_completions(body, on_chunk)
        total = time.perf_counter() - t0
        first = state["first"] if state["first"] is not None else total
        return StreamTiming(first, total, int(state["usage"] or state["chunks"]))

    def close(self) -> None:
        """Free the model (its memory returns when Python drops the object)."""
        self._server = None


# ================================================================ cost, capacity and break-even

def cost_per_1k_hosted(input_tokens: float, output_tokens: float, input_usd_per_m: float,
                       output_usd_per_m: float) -> float:
    """USD per 1,000 requests when paying per token.

    Args:
        input_tokens / output_tokens: mean tokens per request.
        input_usd_per_m / output_usd_per_m: prices per million tokens.
    """
    if min(input_tokens, output_tokens, input_usd_per_m, output_usd_per_m) < 0:
        raise ValueError("token counts and prices must be >= 0")
    return 1000 * (input_tokens * input_usd_per_m + output_tokens * output_usd_per_m) / 1e6


def cost_per_1k_self_hosted(usd_per_hour: float, throughput_rps: float, utilisation: float = 1.0) -> float:
    """USD per 1,000 requests when paying per machine-hour.

    Args:
        usd_per_hour: what one replica costs per hour.
        throughput_rps: requests per second one replica completes at its operating point.
        utilisation: share of paid hours that carry that load (0..1]; idle hours cost the same.
    """
    if usd_per_hour < 0 or throughput_rps <= 0 or not 0 < utilisation <= 1:
        raise ValueError("need usd_per_hour >= 0, throughput_rps > 0 and 0 < utilisation <= 1")
    return 1000 * usd_per_hour / (throughput_rps * 3600 * utilisation)


@dataclass(frozen=True)
class CapacityPlan:
    """Replicas needed to carry ``target_rps`` with p95 latency under ``p95_target_s``."""

    target_rps: float
    p95_target_s: float
    replicas: int
    per_replica_rps: float
    concurrency: int
    p95_s: float
    headroom: float

    def describe(self) -> str:
        return (f"{self.replicas} replica(s): each run at concurrency {self.concurrency} "
                f"({self.per_replica_rps:.2f} req/s measured, p95 {self.p95_s:.2f} s <= {self.p95_target_s:.2f} s), "
                f"loaded to {self.headroom:.0%} of that for {self.target_rps:.2f} req/s in total")


def plan_capacity(curve: Sequence[LoadResult], target_rps: float, p95_target_s: float,
                  headroom: float = 0.7) -> CapacityPlan:
    """Replicas needed for a target load, from a load curve measured on one replica.

    The operating point is the measured concurrency with the highest throughput whose p95 stays
    under the target; each replica is planned at ``headroom`` of that throughput, so bursts and a
    replica being replaced do not push p95 over the line.

    Args:
        curve: :class:`LoadResult` at several concurrency levels, one replica.
        target_rps: total requests per second to carry.
        p95_target_s: the latency objective.
        headroom: planned share of measured throughput (0..1].

    Raises:
        ValueError: no measured point meets the p95 objective (message says what to change).
    """
    if target_rps <= 0 or p95_target_s <= 0 or not 0 < headroom <= 1:
        raise ValueError("need target_rps > 0, p95_target_s > 0 and 0 < headroom <= 1")
    ok = [r for r in curve if r.latencies_s and r.p95_s <= p95_target_s]
    if not ok:
        best = min((r.p95_s for r in curve if r.latencies_s), default=math.nan)
        raise ValueError(f"no measured concurrency meets p95 <= {p95_target_s:.2f} s (best p95 {best:.2f} s): "
                         f"shorten outputs, use a faster replica, or relax the objective")
    point = max(ok, key=lambda r: r.throughput_rps)
    replicas = max(1, math.ceil(target_rps / (point.throughput_rps * headroom)))
    return CapacityPlan(target_rps, p95_target_s, replicas, point.throughput_rps, point.concurrency, point.p95_s,
                        headroom)


@dataclass
class BreakEven:
    """Monthly cost of paying per token vs paying per replica-hour, by monthly request volume."""

    volumes: list[float]
    per_token_usd: list[float]
    per_hour_usd: list[float]
    break_even_volume: float | None
    replica_rps: float
    usd_per_hour: float
    cost_per_request_token: float


def _replica_monthly(volume: float, replica_rps: float, usd_per_hour: float, min_replicas: int,
                     peak_to_mean: float) -> float:
    peak_rps = volume / (HOURS_PER_MONTH * 3600) * peak_to_mean
    replicas = max(min_replicas, math.ceil(peak_rps / replica_rps - 1e-12))
    return replicas * usd_per_hour * HOURS_PER_MONTH


def _exact_break_even(per_request: float, usd_per_hour: float, replica_rps: float, min_replicas: int,
                      peak_to_mean: float) -> float | None:
    """The lowest monthly volume from which the replica staircase never rises above the per-token line."""
    if per_request <= 0:
        return None
    carry = replica_rps * HOURS_PER_MONTH * 3600 / peak_to_mean  # requests a replica carries per month, at peak
    month = usd_per_hour * HOURS_PER_MONTH
    if month / per_request >= carry:
        return None  # a replica costs more than the tokens it can carry: per token stays cheaper at any volume
    # Step k of the staircase spans ((k-1)*carry, k*carry] (step min_replicas starts at 0) and costs k*month.
    # It lies wholly under the line when k*month/per_request <= (k-1)*carry, true for every k >= first_full.
    first_full = max(min_replicas + 1, math.ceil(carry / (carry - month / per_request) - 1e-9))
    k = first_full - 1
    lower = 0.0 if k == min_replicas else (k - 1) * carry
    crossing = k * month / per_request
    return max(lower, crossing) if crossing <= k * carry else k * carry


def break_even(input_tokens: float, output_tokens: float, input_usd_per_m: float, output_usd_per_m: float,
               usd_per_hour: float, replica_rps: float, min_replicas: int = 1, peak_to_mean: float = 2.0,
               volumes: Sequence[float] | None = None) -> BreakEven:
    """Where paying per machine-hour becomes cheaper than paying per token.

    Per token, cost grows linearly with volume. Per hour, you pay for enough replicas to carry the
    *peak* (mean load times ``peak_to_mean``), at least ``min_replicas``, all month, busy or not — a
    staircase. The break-even is the lowest volume from which the staircase stays below the line
    (computed exactly, not read off the grid: just after each step the staircase can poke above).

    Args:
        input_tokens / output_tokens: mean tokens per request.
        input_usd_per_m / output_usd_per_m: per-token prices (per million).
        usd_per_hour: one replica's hourly price.
        replica_rps: requests per second one replica carries at its operating point (measure it).
        min_replicas: always-on replicas (2 for availability is common).
        peak_to_mean: how much busier the busiest hour is than the average.
        volumes: monthly request volumes for the curves (a log-spaced range 1e3..1e10 by default).

    Returns:
        :class:`BreakEven` (``break_even_volume`` None when paying per token stays cheaper at any volume).
    """
    if replica_rps <= 0 or usd_per_hour < 0 or min_replicas < 1 or peak_to_mean < 1:
        raise ValueError("need replica_rps > 0, usd_per_hour >= 0, min_replicas >= 1 and peak_to_mean >= 1")
    per_request = cost_per_1k_hosted(input_tokens, output_tokens, input_usd_per_m, output_usd_per_m) / 1000
    if volumes is None:
        volumes = [10 ** (3 + i * 0.02) for i in range(0, 351)]
    vols = sorted(float(v) for v in volumes)
    if not vols or vols[0] <= 0:
        raise ValueError("volumes must be positive numbers")
    crossing = _exact_break_even(per_request, usd_per_hour, replica_rps, min_replicas, peak_to_mean)
    if crossing is not None and vols[0] <= crossing <= vols[-1]:
        vols = sorted({*vols, crossing})
    token_cost = [v * per_request for v in vols]
    hour_cost = [_replica_monthly(v, replica_rps, usd_per_hour, min_replicas, peak_to_mean) for v in vols]
    return BreakEven(vols, token_cost, hour_cost, crossing, replica_rps, usd_per_hour, per_request)


def plot_break_even(scenarios: dict[str, BreakEven], title: str = "Paying per token vs per replica-hour") -> Figure:
    """Log-log plot of monthly cost by volume; one per-token line and one staircase per scenario."""
    import matplotlib.pyplot as plt

    if not scenarios:
        raise ValueError("give at least one scenario, e.g. {'CPU VM': break_even(...)}")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    first = next(iter(scenarios.values()))
    ax.plot(first.volumes, first.per_token_usd, color="black", lw=2,
            label=f"per token (${first.cost_per_request_token * 1000:.3f} / 1k requests)")
    for (name, be), color in zip(scenarios.items(), ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=False):
        ax.step(be.volumes, be.per_hour_usd, where="post", color=color,
                label=f"{name}: ${be.usd_per_hour:.2f}/h, {be.replica_rps:.2g} req/s per replica")
        if be.break_even_volume:
            ax.axvline(be.break_even_volume, color=color, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("requests per month")
    ax.set_ylabel("USD per month")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig


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
                       cold_start_s: float, memory_mb: float, levels: Sequence[int] = (1, 4), requests: int = 4,
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
