"""Simulated time: a week of virtual seconds that passes instantly (or at a chosen pace)."""

from __future__ import annotations

import math
import time as _time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.traffic.requests import Request


HOUR = 3600.0
DAY = 86400.0
DEFAULT_START = "2025-10-20T00:00:00+00:00"  # a Monday; the knowledge base is "as of" this day


class VirtualClock:
    """Simulated time. Nothing waits: :meth:`advance` moves time forward instantly.

    Components that take a clock (TTL caches, budgets over a time window, rate limiters) can be
    given ``clock.time`` (or the clock itself, which is callable) instead of ``time.time``.

    Args:
        start: the wall-clock moment of virtual second 0 (ISO string or aware datetime).
        pace: if set, :meth:`replay` sleeps so that this many virtual seconds pass per real second
            (``pace=2016`` plays a week in five minutes); None plays as fast as possible.
    """

    def __init__(self, start: str | datetime = DEFAULT_START, pace: float | None = None) -> None:
        if isinstance(start, str):
            try:
                start = datetime.fromisoformat(start)
            except ValueError:
                raise ValueError(f"start must be an ISO date-time like {DEFAULT_START!r}, got {start!r}") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        if pace is not None and pace <= 0:
            raise ValueError(f"pace must be > 0 virtual seconds per real second (or None), got {pace}")
        self.start = start
        self.pace = pace
        self.now = 0.0

    def time(self) -> float:
        """Virtual now as a Unix timestamp (a drop-in for ``time.time``)."""
        return self.start.timestamp() + self.now

    __call__ = time

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0); returns the new ``now``."""
        if seconds < 0 or math.isnan(seconds):
            raise ValueError(f"time only moves forward; advance() got {seconds}")
        self.now += seconds
        return self.now

    sleep = advance

    def advance_to(self, ts: float) -> float:
        """Move time to virtual second ``ts`` (not earlier than now)."""
        if ts < self.now - 1e-9:
            raise ValueError(f"cannot go back in time from {self.now:.1f} s to {ts:.1f} s")
        self.now = max(self.now, ts)
        return self.now

    def datetime(self, ts: float | None = None) -> datetime:
        """The wall-clock moment of virtual second ``ts`` (default: now)."""
        return self.start + timedelta(seconds=self.now if ts is None else ts)

    def hours(self) -> float:
        return self.now / HOUR

    def days(self) -> float:
        return self.now / DAY

    def replay(self, requests: Iterable[Request]) -> Iterator[Request]:
        """Yield requests in time order, moving the clock to each request's time first."""
        t_real0, t_virt0 = _time.perf_counter(), self.now
        for r in requests:
            self.advance_to(r.ts)
            if self.pace:
                wait = (self.now - t_virt0) / self.pace - (_time.perf_counter() - t_real0)
                if wait > 0:
                    _time.sleep(wait)
            yield r

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now:.0f} s = {self.datetime().isoformat()})"
