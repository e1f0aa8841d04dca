"""Simulated time for traffic: :class:`labkit.clock.VirtualClock` (a week of virtual seconds that passes
instantly, or at a chosen pace), re-exported here where the traffic lessons import it."""

from labkit.clock import DAY, DEFAULT_START, HOUR, VirtualClock

__all__ = ["DAY", "DEFAULT_START", "HOUR", "VirtualClock"]
