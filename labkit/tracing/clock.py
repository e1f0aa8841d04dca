"""Span times: the clock type the tracer takes, and the virtual clock called for int nanoseconds."""

from __future__ import annotations

from datetime import datetime

from labkit import clock
from labkit.clock import Nanoseconds as Clock

__all__ = ["Clock", "VirtualClock"]


class VirtualClock(clock.VirtualClock):
    """:class:`labkit.clock.VirtualClock` for spans: calling it gives int ns since the epoch (pass it as ``clock=``).

    Args:
        start: the simulated start, a timezone-aware ``datetime`` or int ns since the epoch.

    Example:
        >>> clock = VirtualClock(datetime(2026, 3, 2, tzinfo=UTC))
        >>> t = tracing.setup("week.sqlite", clock=clock)
        >>> with tracing.span("request"):
        ...     clock.advance(1.5)                  # 1.5 simulated seconds pass
    """

    def __init__(self, start: datetime | int) -> None:
        if isinstance(start, datetime) and start.tzinfo is None:
            raise ValueError("give the start as a timezone-aware datetime, e.g. datetime(2026, 3, 2, tzinfo=UTC)")
        if not isinstance(start, (datetime, int)) or isinstance(start, bool):
            raise ValueError(f"start must be an aware datetime or int ns since the epoch, got {start!r}")
        super().__init__(start)

    def __call__(self) -> int:  # type: ignore[override]  # the tracer's clock: int ns
        return self.time_ns()

    def advance(self, seconds: float) -> int:
        """Move the clock forward; returns the new time in ns."""
        super().advance(seconds)
        return self.time_ns()
