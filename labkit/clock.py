"""One clock for every simulation: the real one, a virtual one, and one that jumps then runs.

Everything in labkit that reads the time takes a clock, so a week of traffic can be replayed in
seconds. A clock has two views of the same moment: :meth:`time` (float seconds since the epoch, a
drop-in for ``time.time``: caches, budgets, logs) and :meth:`time_ns` (int nanoseconds, what
OpenTelemetry spans use). The virtual clocks hold int nanoseconds, so both views always agree.

* :class:`RealClock` — the system clock behind the same protocol.
* :class:`VirtualClock` — moves only when advanced; ``clock()`` is float seconds.
* :class:`RunningClock` — jumps to each simulated arrival and runs at real speed in between, so the work
  done for a request keeps its real duration (the capstone's clock).

``labkit.traffic.VirtualClock`` is :class:`VirtualClock`; ``labkit.tracing.VirtualClock`` is the same
clock called for int nanoseconds.
"""

from __future__ import annotations

import math
import threading
import time as _time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

NS_PER_S = 1_000_000_000
HOUR = 3600.0
DAY = 86400.0
DEFAULT_START = "2025-10-20T00:00:00+00:00"  # a Monday; the knowledge base is "as of" this day

Seconds = Callable[[], float]  # a clock as a function: time.time, or a VirtualClock (callable)
Nanoseconds = Callable[[], int]  # a span clock: time.time_ns, or VirtualClock.time_ns


class Clock(Protocol):
    """What every clock offers: the same moment as float seconds and as int ns since the epoch."""

    def time(self) -> float: ...

    def time_ns(self) -> int: ...

    def sleep(self, seconds: float) -> object: ...


class Timed(Protocol):
    """Anything with a time in virtual seconds since the clock's start (a simulated request)."""

    @property
    def ts(self) -> float: ...


class RealClock:
    """The system clock: ``time.time``, ``time.time_ns`` and a real ``sleep``."""

    def time(self) -> float:
        return _time.time()

    def time_ns(self) -> int:
        return _time.time_ns()

    def sleep(self, seconds: float) -> None:
        _time.sleep(seconds)

    __call__ = time


def _start_ns(start: str | datetime | int) -> tuple[datetime, int]:
    """The start as an aware datetime and as int ns (a naive datetime or ISO string is read as UTC)."""
    if isinstance(start, int) and not isinstance(start, bool):
        if start <= 10**17:
            raise ValueError(f"an int start is ns since the epoch (like time.time_ns()), got {start}")
        return datetime.fromtimestamp(start / NS_PER_S, UTC), start
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start)
        except ValueError:
            raise ValueError(f"start must be an ISO date-time like {DEFAULT_START!r}, got {start!r}") from None
    if not isinstance(start, datetime):
        raise ValueError(f"start must be an ISO string, an aware datetime or int ns since the epoch, got {start!r}")
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return start, int(start.timestamp() * 1e9)


class VirtualClock:
    """Simulated time. Nothing waits: :meth:`advance` moves time forward instantly.

    Components that take a clock (TTL caches, budgets over a time window, rate limiters) can be given
    the clock itself (calling it gives float seconds, like ``time.time``) or ``clock.time_ns`` (spans).

    Args:
        start: the wall-clock moment of virtual second 0 (ISO string, datetime — naive is read as UTC —
            or int ns since the epoch).
        pace: if set, :meth:`replay` sleeps so that this many virtual seconds pass per real second
            (``pace=2016`` plays a week in five minutes); None plays as fast as possible.
    """

    def __init__(self, start: str | datetime | int = DEFAULT_START, pace: float | None = None) -> None:
        if pace is not None and pace <= 0:
            raise ValueError(f"pace must be > 0 virtual seconds per real second (or None), got {pace}")
        self.start, self._start_ns = _start_ns(start)
        self.pace = pace
        self._ns = self._start_ns
        self._lock = threading.Lock()

    def time_ns(self) -> int:
        """Virtual now in int ns since the epoch (a drop-in for ``time.time_ns``)."""
        return self._ns

    def time(self) -> float:
        """Virtual now as a Unix timestamp in float seconds (a drop-in for ``time.time``)."""
        return self.time_ns() / NS_PER_S

    __call__ = time

    @property
    def now(self) -> float:
        """Virtual seconds since the start."""
        return (self.time_ns() - self._start_ns) / NS_PER_S

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0); returns the new :attr:`now`."""
        if seconds < 0 or math.isnan(seconds):
            raise ValueError(f"time only moves forward; advance() got {seconds}")
        with self._lock:
            self._ns += int(seconds * 1e9)
        return self.now

    sleep = advance

    def set(self, ns: int) -> None:
        """Jump to ``ns`` since the epoch (not earlier than now)."""
        with self._lock:
            if ns < self._ns:
                raise ValueError("a clock only moves forward")
            self._ns = ns

    def advance_to(self, ts: float) -> float:
        """Move time to virtual second ``ts`` since the start (not earlier than now); returns :attr:`now`."""
        target = self._start_ns + round(ts * 1e9)
        if target < self._ns - 1:
            raise ValueError(f"cannot go back in time from {self.now:.1f} s to {ts:.1f} s")
        with self._lock:
            self._ns = max(self._ns, target)
        return self.now

    def datetime(self, ts: float | None = None) -> datetime:
        """The wall-clock moment of virtual second ``ts`` (default: now)."""
        return self.start + timedelta(seconds=self.now if ts is None else ts)

    def hours(self) -> float:
        return self.now / HOUR

    def days(self) -> float:
        return self.now / DAY

    def replay(self, requests: Iterable[Timed]) -> Iterator[Timed]:
        """Yield requests in time order, moving the clock to each request's time (``.ts``) first."""
        t_real0, t_virt0 = _time.perf_counter(), self.now
        for r in requests:
            self.advance_to(r.ts)
            if self.pace:
                wait = (self.now - t_virt0) / self.pace - (_time.perf_counter() - t_real0)
                if wait > 0:
                    _time.sleep(wait)
            yield r

    def __repr__(self) -> str:
        return f"{type(self).__name__}(now={self.now:.0f} s = {self.datetime().isoformat()})"


class RunningClock(VirtualClock):
    """Virtual time that jumps to each simulated arrival (:meth:`catch_up`) and runs at real speed in
    between, so work keeps its real duration; :meth:`advance` is a virtual sleep. Calling it gives
    int ns (the tracer's clock).

    Args:
        start: the simulated start (aware datetime, ISO string or int ns since the epoch).
    """

    def __init__(self, start: str | datetime | int) -> None:
        super().__init__(start)
        self._anchor = _time.perf_counter_ns()

    def time_ns(self) -> int:
        return self._ns + (_time.perf_counter_ns() - self._anchor)

    def __call__(self) -> int:  # type: ignore[override]  # the tracer's clock: int ns
        return self.time_ns()

    def catch_up(self, ns: int) -> None:
        """Jump to ``ns`` if it is later than now (the next request's arrival, when the service is idle)."""
        with self._lock:
            if ns > self.time_ns():
                self._ns, self._anchor = ns, _time.perf_counter_ns()
