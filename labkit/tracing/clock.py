"""Span times: the clock type the tracer takes, and a virtual clock for simulations."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], int]


class VirtualClock:
    """A clock for simulations: ns since the epoch that move only when advanced (pass it as ``clock=``).

    Args:
        start: the simulated start, a timezone-aware ``datetime`` or int ns since the epoch.

    Example:
        >>> clock = VirtualClock(datetime(2026, 3, 2, tzinfo=UTC))
        >>> t = tracing.setup("week.sqlite", clock=clock)
        >>> with tracing.span("request"):
        ...     clock.advance(1.5)                  # 1.5 simulated seconds pass
    """

    def __init__(self, start: datetime | int) -> None:
        if isinstance(start, datetime):
            if start.tzinfo is None:
                raise ValueError("give the start as a timezone-aware datetime, e.g. datetime(2026, 3, 2, tzinfo=UTC)")
            self._ns = int(start.timestamp() * 1e9)
        elif isinstance(start, int) and not isinstance(start, bool) and start > 10**17:
            self._ns = start
        else:
            raise ValueError(f"start must be an aware datetime or int ns since the epoch, got {start!r}")
        self._lock = threading.Lock()

    def __call__(self) -> int:
        return self._ns

    def advance(self, seconds: float) -> int:
        """Move the clock forward; returns the new time in ns."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got {seconds} s")
        with self._lock:
            self._ns += int(seconds * 1e9)
            return self._ns

    def set(self, ns: int) -> None:
        """Jump to ``ns`` (not earlier than now)."""
        with self._lock:
            if ns < self._ns:
                raise ValueError("a clock only moves forward")
            self._ns = ns
