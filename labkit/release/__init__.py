"""Shipping a change safely: versions on every span, shadow and canary with automatic rollback,
SLOs with multi-window burn-rate alerts, measured on a simulated week.

* :mod:`labkit.release.slo` - :class:`SLO`, :func:`burn_rate`, :class:`BurnRule` and the SRE workbook's
  :data:`PAGE_RULES` (14.4 over 1 h and 5 min; 6 over 6 h and 30 min), :func:`check`.
* :mod:`labkit.release.rollout` - a release's stages (:class:`Plan`: shadow, canary, full), its
  simulated behaviour (:class:`Variant`), and :func:`run_release`, which ships it over a week of
  ``labkit.traffic`` requests and measures hours to alert and rollback and the users exposed.
* :mod:`labkit.release.scenario` - the course's scenario: a prompt that breaks on launch traffic,
  shipped with a canary and at once (:func:`release_week`).

The release's identity on the spans is ``labkit.tracing.versions(prompt=..., model=...)``.

    >>> from labkit import release
    >>> release.release_week(seed=0).table()
"""

from labkit.release.rollout import (
    LATENCY_THRESHOLD_S,
    SLOS,
    Outcome,
    Plan,
    ReleaseRun,
    Variant,
    compare_online,
    outcome,
    run_release,
    ship_at_once,
)
from labkit.release.scenario import CANARY, LAUNCH_DAY, REGRESSED, STABLE, WeekResult, release_week, week
from labkit.release.slo import BUCKET_HOURS, PAGE_RULES, SLO, Alert, BurnRule, EventCounts, burn_rate, check

__all__ = [
    "BUCKET_HOURS", "CANARY", "LATENCY_THRESHOLD_S", "LAUNCH_DAY", "PAGE_RULES", "REGRESSED", "SLO", "SLOS", "STABLE",
    "Alert", "BurnRule", "EventCounts", "Outcome", "Plan", "ReleaseRun", "Variant", "WeekResult", "burn_rate", "check",
    "compare_online", "outcome", "release_week", "run_release", "ship_at_once", "week",
]
