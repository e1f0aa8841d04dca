"""A real HTTP proxy in front of a model endpoint that injects provider faults on a schedule.

The capstone's service talks to the model through this proxy exactly as it would talk to a hosted
provider, so timeouts, rate limits, 5xx errors and malformed output arrive as real HTTP behaviour
and the service's retry and fallback code is exercised for real. Which fault (if any) a request
meets is decided by a schedule keyed on the *virtual* time of the simulated request, passed by the
caller in the ``X-Sim-Time`` header.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from labkit.tracing.faults import Injected, LocalProxy

FAULT_KINDS = ("timeout", "rate_limit", "server_error", "malformed")
SNAPSHOT_DATES = ("2025-09-02", "2025-10-21")  # the provider's dated snapshots behind one model name


def snapshots(alias: str) -> tuple[str, str]:
    """The provider's snapshot names for ``alias``: the one it served first, and the newer one."""
    return (f"{alias}-{SNAPSHOT_DATES[0]}", f"{alias}-{SNAPSHOT_DATES[1]}")


@dataclass(frozen=True)
class ModelSwap:
    """SIMULATION of a provider moving a model name to a newer snapshot at ``at_s`` (virtual seconds).

    Calls that name the alias get whichever snapshot the name points to then; calls that name a
    snapshot get that one (pinning). Both snapshots run on the one local model: the newer one is the
    same weights sampled at ``temperature`` with a fixed seed, so to a caller it is a different,
    weaker model that answers in the same format, with no error. A reply's ``model`` field names the
    snapshot that served it, as hosted providers do.

    Attributes:
        alias: the model name the service calls (``labkit.llm.model_for("chat")``).
        at_s: when the name moves (None: never in this week).
        temperature, seed: how the newer snapshot samples.
    """

    alias: str
    at_s: float | None = None
    temperature: float = 1.3
    seed: int = 7

    def snapshot(self, requested: str, virtual_s: float) -> str:
        old, new = snapshots(self.alias)
        if requested in (old, new):
            return requested
        return new if self.at_s is not None and virtual_s >= self.at_s else old


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


class FaultProxy(LocalProxy):
    """A threaded HTTP proxy to ``upstream`` (e.g. ``http://127.0.0.1:PORT``) that injects faults.

    Args:
        upstream: base URL of the real endpoint (scheme://host:port, no path).
        schedule: the fault schedule.
        timeout_hold_s: how long a "timeout" fault holds the connection before closing it
            (set it above the client's timeout so the client times out).
        on_fault: called with (kind, virtual_s) for every injected fault (for the run log).
        swap: the provider's model snapshots (None: replies pass through untouched).
    """

    def __init__(self, upstream: str, schedule: FaultSchedule, timeout_hold_s: float = 3.0,
                 *, on_fault: Callable[[str, float], None] | None = None, swap: ModelSwap | None = None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"upstream must look like http://127.0.0.1:PORT, got {upstream!r}")
        super().__init__(upstream, name="fault-proxy")
        self.schedule = schedule
        self.timeout_hold_s = timeout_hold_s
        self.on_fault = on_fault
        self.swap = swap
        self.injected: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)

    def decide(self, method: str, headers: Message) -> Injected | None:
        try:
            virtual_s = float(headers.get("X-Sim-Time", "nan"))
        except ValueError:
            virtual_s = float("nan")
        if method != "POST" or virtual_s != virtual_s:  # only model calls carrying a virtual time
            return None
        fault = self.schedule.fault_at(virtual_s)
        if fault is None:
            return None
        self.injected[fault] += 1
        if self.on_fault:
            self.on_fault(fault, virtual_s)
        if fault == "timeout":
            return Injected(drop_after_s=self.timeout_hold_s)
        if fault == "rate_limit":
            return Injected(status=429, message="rate limit exceeded (injected)", error_type="rate_limit",
                            headers={"Retry-After": "0"})
        if fault == "server_error":
            return Injected(status=503, message="upstream unavailable (injected)", error_type="server_error")
        return Injected(truncate=True)  # malformed

    def _served(self, headers: Message, body: bytes) -> tuple[dict[str, Any], str] | None:
        """The request's JSON and the snapshot that serves it (None when there is no swap to apply)."""
        if self.swap is None or not body:
            return None
        try:
            request = json.loads(body)
            virtual_s = float(headers.get("X-Sim-Time", "nan"))
        except ValueError:
            return None
        if not isinstance(request, dict) or virtual_s != virtual_s:
            return None
        return request, self.swap.snapshot(str(request.get("model", "")), virtual_s)

    def rewrite_request(self, headers: Message, body: bytes) -> bytes:
        served = self._served(headers, body)
        if served is None or self.swap is None:
            return body
        request, snapshot = served
        request["model"] = self.swap.alias  # the local server knows the one name
        if snapshot == snapshots(self.swap.alias)[1]:
            request.update(temperature=self.swap.temperature, seed=self.swap.seed)
        return json.dumps(request).encode()

    def rewrite_reply(self, headers: Message, body: bytes, data: bytes) -> bytes:
        served = self._served(headers, body)
        try:
            reply = json.loads(data)
        except ValueError:
            return data
        if served is None or not isinstance(reply, dict):
            return data
        reply["model"] = served[1]
        return json.dumps(reply).encode()
