"""Fallback chains across providers.

:class:`FallbackChain` sends a chat request to the first healthy provider of a list, with a timeout
per attempt, retries with exponential backoff (``Retry-After`` honoured) on 429/5xx/timeouts, a
circuit breaker that skips a provider after repeated failures, and the egress policy applied per
provider. Every attempt goes through labkit's recording transport (:func:`provider_client`), so it
lands in ``llm.ledger``.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import openai

from labkit import llm
from labkit.enterprise.policy import EgressDenied, destination
from labkit.errors import LabkitError
from labkit.llm.transport import Hooks, RecordingTransport

if TYPE_CHECKING:
    import openai


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
                 sleep: Callable[[float], None] = time.sleep, *, seed: int = 0) -> None:
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
