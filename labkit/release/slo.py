"""Service-level objectives and multi-window, multi-burn-rate alerts, on a virtual clock.

An SLO says what share of events must be good (``objective``); the rest is the *error budget*.
The *burn rate* over a window is how fast that budget is being spent there: the window's bad share
divided by the budget. A burn rate of 1 spends exactly the budget over the SLO period; 14.4 spends
2 % of a 30-day budget in one hour.

An alert rule pages when the burn rate is at or above its threshold over a *long* window (the
problem is big enough to matter) *and* over a *short* one (it is still happening, so the alert
stops soon after a fix). The two page rules of the SRE workbook are kept here as
:data:`PAGE_RULES`: 14.4 over 1 h and 5 min, 6 over 6 h and 30 min. At low traffic (a night, a 5 %
canary) a window with a handful of events says little: one failure in 17 requests is a burn of 12 at
99.5 %. So a rule also needs ``min_events`` in its short window, and its long window must hold enough
events that a single bad one cannot reach the threshold by itself (more than ``1 / (budget x threshold)``).

    >>> counts = EventCounts(hours=24)
    >>> counts.add(10.2, good=False)
    >>> check(SLO("availability", 0.995), counts, end_hours=11.0)   # an Alert, or None
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BUCKET_HOURS = 5 / 60  # events are counted in 5-minute buckets, the shortest window of the rules


@dataclass(frozen=True)
class SLO:
    """A service-level objective: at least ``objective`` of events are good.

    Attributes:
        name: what it is about ("availability", "latency", "groundedness").
        objective: the share of good events promised, in (0, 1).
        good: what a good event is, in words (shown in tables).
    """

    name: str
    objective: float
    good: str = ""

    def __post_init__(self) -> None:
        if not 0 < self.objective < 1:
            raise ValueError(f"SLO {self.name!r}: objective must be in (0, 1), e.g. 0.995; got {self.objective}")

    @property
    def budget(self) -> float:
        """The error budget: the share of events allowed to be bad."""
        return 1.0 - self.objective


@dataclass(frozen=True)
class BurnRule:
    """Page when the burn rate is >= ``threshold`` over both windows (hours).

    Attributes:
        long_hours: the long window (is the problem big enough?).
        short_hours: the short window (is it still going on?).
        threshold: the burn rate at which it pages.
        min_events: events the short window needs before the rule may fire.
    """

    long_hours: float
    short_hours: float
    threshold: float
    min_events: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.short_hours <= self.long_hours:
            raise ValueError(f"BurnRule needs 0 < short_hours <= long_hours, got {self.short_hours}, {self.long_hours}")
        if self.threshold <= 0 or self.min_events < 1:
            raise ValueError("BurnRule needs threshold > 0 and min_events >= 1")

    @property
    def label(self) -> str:
        return f"burn >= {self.threshold:g} over {_fmt(self.long_hours)} and {_fmt(self.short_hours)}"


def _fmt(hours: float) -> str:
    return f"{hours:g}h" if hours >= 1 else f"{hours * 60:g}m"


PAGE_RULES = (BurnRule(1.0, 5 / 60, 14.4), BurnRule(6.0, 0.5, 6.0))


def burn_rate(bad: int, total: int, objective: float) -> float:
    """How fast a window spends the error budget: ``(bad / total) / (1 - objective)``; 0 with no events.

    Args:
        bad: bad events in the window.
        total: all events in the window.
        objective: the SLO's objective.
    """
    if not 0 <= bad <= total:
        raise ValueError(f"need 0 <= bad <= total, got bad={bad}, total={total}")
    if total == 0:
        return 0.0
    return (bad / total) / (1.0 - objective)


class EventCounts:
    """Good and bad events of one SLO in 5-minute buckets, over ``hours`` of virtual time.

    Args:
        hours: the length of the period (events past it are refused).
        bucket_hours: the bucket width; windows are whole buckets.
    """

    def __init__(self, hours: float, bucket_hours: float = BUCKET_HOURS) -> None:
        if not hours > 0 or not bucket_hours > 0:
            raise ValueError("EventCounts needs hours > 0 and bucket_hours > 0")
        self.bucket_hours = bucket_hours
        n = math.ceil(hours / bucket_hours) + 1
        self.bad = np.zeros(n, dtype=np.int64)
        self.total = np.zeros(n, dtype=np.int64)

    def add(self, hours: float, good: bool) -> None:
        """Count one event at virtual hour ``hours``."""
        i = int(hours / self.bucket_hours)
        if not 0 <= i < self.total.size:
            raise ValueError(f"event at hour {hours} is outside the counted period")
        self.total[i] += 1
        self.bad[i] += 0 if good else 1

    def window(self, end_hours: float, hours: float) -> tuple[int, int]:
        """(bad, total) in the whole buckets of ``[end_hours - hours, end_hours)``."""
        end = min(int(round(end_hours / self.bucket_hours)), self.total.size)
        start = max(0, end - int(round(hours / self.bucket_hours)))
        return int(self.bad[start:end].sum()), int(self.total[start:end].sum())


@dataclass(frozen=True)
class Alert:
    """A page: which SLO, which rule, when (virtual hours) and what it saw (e.g. the two burn rates)."""

    slo: str
    rule: str
    hours: float
    observed: dict[str, float]


def check(slo: SLO, counts: EventCounts, end_hours: float, *,
          rules: tuple[BurnRule, ...] = PAGE_RULES) -> Alert | None:
    """The first rule that pages for ``slo`` on the windows ending at ``end_hours``, or None.

    Args:
        slo: the objective.
        counts: its events.
        end_hours: the end of the windows (now, on the virtual clock).
        rules: the alert rules (default the SRE workbook's two page rules).
    """
    for rule in rules:
        bad_s, total_s = counts.window(end_hours, rule.short_hours)
        if total_s < rule.min_events:
            continue
        bad_l, total_l = counts.window(end_hours, rule.long_hours)
        if total_l <= 1 / (slo.budget * rule.threshold):  # one bad event alone would page: not evidence
            continue
        short = burn_rate(bad_s, total_s, slo.objective)
        long = burn_rate(bad_l, total_l, slo.objective)
        if short >= rule.threshold and long >= rule.threshold:
            return Alert(slo.name, rule.label, end_hours,
                         {f"burn {_fmt(rule.long_hours)}": round(long, 2), f"burn {_fmt(rule.short_hours)}": round(short, 2)})
    return None
