"""Sliding windows: :func:`monitor` slides a window over the traffic and applies a detector's alert
rule; :class:`Trace` says when it first alerted, with what delay after a known onset, and how many
false alarms it raised. :func:`run_all` applies the course's detectors with the :data:`MONITOR` rule."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from labkit.drift.detectors import MMD, PSI, Detector, DomainClassifier, KSTest, Score
from labkit.drift.features import Features

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Trace:
    """A detector's statistic and alerts over sliding windows.

    Attributes:
        name: detector and feature, e.g. ``PSI(kb_similarity)``.
        rule: the alert rule in words.
        times: window end, virtual hours (a window covers ``[t - window_hours, t)``).
        statistic, p_value: per window (NaN where the window had too few requests).
        alert: per window, after the ``patience`` rule.
        n: requests per window.
    """

    name: str
    rule: str
    times: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    alert: np.ndarray
    n: np.ndarray
    reference: tuple[float, float]
    window_hours: float
    threshold: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def alert_times(self) -> np.ndarray:
        return self.times[self.alert]

    def first_alert(self, after: float = -math.inf) -> float | None:
        """Time (hours) of the first alert at or after ``after``."""
        t = self.times[self.alert & (self.times >= after)]
        return float(t[0]) if t.size else None

    def delay(self, onset: float) -> float | None:
        """Hours from ``onset`` to the first alert at or after it (None: never detected)."""
        first = self.first_alert(onset)
        return None if first is None else first - onset

    def false_alarms(self, onset: float | None = None) -> int:
        """Alarm episodes (runs of consecutive alerting windows) that start before ``onset``
        (all of them when there is no drift, ``onset=None``)."""
        a = self.alert & (self.times < onset) if onset is not None else self.alert
        return int(np.sum(a[1:] & ~a[:-1]) + (1 if a.size and a[0] else 0))


def _one_blas_thread() -> Any:
    """Small matrix work runs fastest on one BLAS thread; on a busy machine many threads slow it 10-50x."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _score_windows(detector: Detector, ref: np.ndarray, values: np.ndarray, order: np.ndarray, sorted_h: np.ndarray,
                   times: np.ndarray, window_hours: float, window_requests: int | None, not_before: float,
                   min_samples: int, stat: np.ndarray, pval: np.ndarray, raw: np.ndarray, n: np.ndarray) -> None:
    bind = getattr(detector, "bind", None)
    scorer: Callable[[np.ndarray], Score] = bind(ref) if callable(bind) else (lambda w: detector.score(ref, w))
    floor = int(np.searchsorted(sorted_h, not_before, side="left"))
    for i, t in enumerate(times):
        hi = int(np.searchsorted(sorted_h, t, side="left"))
        if window_requests is None:
            lo = max(floor, int(np.searchsorted(sorted_h, t - window_hours, side="left")))
        else:
            lo = max(floor, hi - window_requests)
        idx = order[lo:hi]
        n[i] = idx.size
        if idx.size < min_samples:
            continue
        s = scorer(values[idx])
        stat[i], raw[i] = s.statistic, s.alert
        pval[i] = np.nan if s.p_value is None else s.p_value


def monitor(hours: np.ndarray, values: np.ndarray, detector: Detector, *, reference: tuple[float, float] = (0.0, 48.0),
            window_hours: float = 6.0, step_hours: float = 1.0, start: float | None = None, end: float | None = None,
            min_samples: int = 50, patience: int = 1, feature: str = "", window_requests: int | None = None) -> Trace:
    """Compare sliding windows of traffic with a reference window.

    Args:
        hours: each request's time (virtual hours).
        values: one value per request (scalar detectors) or one row per request (embedding detectors).
        detector: a :class:`PSI`, :class:`KSTest`, :class:`MMD`, :class:`DomainClassifier` (or your own).
        reference: (start, end) hours of the reference window.
        window_hours: the width of each monitored window (when ``window_requests`` is None).
        step_hours: how far the window moves each step.
        start, end: first and last window end (default: the end of the reference plus ``window_hours``,
            to the last request). Windows never reach back into the reference.
        min_samples: windows with fewer requests are skipped (NaN, no alert).
        patience: alert only when this many consecutive windows cross the threshold.
        feature: a label for the trace name.
        window_requests: if set, each window is the last ``window_requests`` requests before its end time
            instead of a fixed number of hours: every test then sees the same sample size, so quiet
            nights are neither noisier nor skipped (the window just spans more hours).

    Returns:
        A :class:`Trace`.
    """
    hours = np.asarray(hours, dtype=np.float64)
    values = np.asarray(values)
    if hours.ndim != 1 or len(values) != len(hours):
        raise ValueError(f"hours (n,) and values (n, ...) must have the same length, got {hours.shape} and {values.shape}")
    if detector.vector and values.ndim != 2:
        raise ValueError(f"{detector.name} compares embeddings: pass values of shape (n, d), got {values.shape}")
    if not detector.vector and values.ndim != 1:
        raise ValueError(f"{detector.name} compares one number per request: pass values of shape (n,), got {values.shape}")
    if window_hours <= 0 or step_hours <= 0 or patience < 1 or min_samples < 2:
        raise ValueError("need window_hours > 0, step_hours > 0, patience >= 1, min_samples >= 2")
    if window_requests is not None and window_requests < min_samples:
        raise ValueError(f"window_requests ({window_requests}) must be >= min_samples ({min_samples})")
    r0, r1 = reference
    ref_mask = (hours >= r0) & (hours < r1)
    if ref_mask.sum() < min_samples:
        raise ValueError(f"the reference window {reference} holds {int(ref_mask.sum())} requests; need >= {min_samples}")
    ref = values[ref_mask]
    first = r1 + window_hours if start is None else start
    last = float(hours.max()) + 1e-9 if end is None else end
    times = np.arange(first, last + 1e-9, step_hours)
    stat = np.full(times.size, np.nan)
    pval = np.full(times.size, np.nan)
    raw = np.zeros(times.size, dtype=bool)
    n = np.zeros(times.size, dtype=int)
    order = np.argsort(hours, kind="stable")
    sorted_h = hours[order]
    with _one_blas_thread():
        _score_windows(detector, ref, values, order, sorted_h, times, window_hours, window_requests, r1, min_samples,
                       stat, pval, raw, n)
    alert = raw.copy()
    if patience > 1:
        run = 0
        for i in range(raw.size):
            run = run + 1 if raw[i] else 0
            alert[i] = run >= patience
    threshold = next((float(getattr(detector, a)) for a in ("threshold", "alpha") if hasattr(detector, a)), None)
    name = f"{detector.name}({feature})" if feature else detector.name
    return Trace(name, detector.rule() + (f", {patience} windows in a row" if patience > 1 else ""), times, stat, pval,
                 alert, n, (r0, r1), window_hours, threshold,
                 {"step_hours": step_hours, "min_samples": min_samples, "patience": patience,
                  "window_requests": window_requests})


@dataclass(frozen=True)
class Spec:
    """A detector applied to one feature."""

    feature: str
    detector: Any

    @property
    def name(self) -> str:
        return f"{self.detector.name}({self.feature})"


# The monitoring rule the course uses: the first two days are the reference; each window is the last 150
# requests, tested every hour from hour 54; an alarm needs two windows in a row. Thresholds and this rule
# were chosen on no-drift and drift weeks of calibration seeds (100-102) that the evaluation never uses
# (bench/bench_drift.py prints both).
MONITOR: dict[str, Any] = {"reference": (0.0, 48.0), "window_requests": 150, "step_hours": 1.0, "start": 54.0,
                           "min_samples": 50, "patience": 2}


def default_specs() -> list[Spec]:
    """The detectors the course compares, each on the features it suits, at the chosen thresholds."""
    return [Spec("length", PSI()), Spec("length", KSTest()), Spec("kb_similarity", PSI()),
            Spec("kb_similarity", KSTest()), Spec("embedding", MMD()), Spec("embedding", DomainClassifier())]


def run_all(features: Features, specs: Sequence[Spec] | None = None, **monitor_kwargs: Any) -> dict[str, Trace]:
    """:func:`monitor` every spec over the same traffic with the :data:`MONITOR` rule (any of its keys can be
    overridden); returns traces by name."""
    kwargs = {**MONITOR, **monitor_kwargs}
    out = {}
    for spec in specs or default_specs():
        out[spec.name] = monitor(features.hours, features.get(spec.feature), spec.detector, feature=spec.feature,
                                 **kwargs)
    return out


def summary(traces: dict[str, Trace], onset: float | None) -> pd.DataFrame:
    """One row per detector: rule, first alert, delay after ``onset`` and false alarms before it."""
    import pandas as pd

    rows = []
    for name, tr in traces.items():
        delay = tr.delay(onset) if onset is not None else None
        rows.append({"detector": name, "rule": tr.rule, "windows": int(np.sum(~np.isnan(tr.statistic))),
                     "false_alarms": tr.false_alarms(onset), "first_alert_h": tr.first_alert(),
                     "delay_h": delay})
    return pd.DataFrame(rows)
