"""Plots of eval results: metrics with their intervals, per question kind, and per day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from labkit.evals.online import DailyScore
from labkit.evals.runs import Run
from labkit.evals.stats import Interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size)
    return new


def plot_intervals(intervals: Mapping[str, Interval], ax: Axes | None = None, title: str = "",
                   *, xlabel: str = "score", xlim: tuple[float, float] | None = (0, 1)) -> Axes:
    """One horizontal point-and-interval line per label (e.g. per metric or per variant).

    Args:
        intervals: label -> :class:`Interval`.
        ax: axes to draw on (a new figure when None).
        title / xlabel: labels.
        xlim: x range; None to fit the data.
    """
    if not intervals:
        raise ValueError("nothing to plot: intervals is empty")
    ax = _axes(ax, (6, 0.45 * len(intervals) + 1.2))
    labels = list(intervals)
    for y, label in enumerate(labels):
        i = intervals[label]
        ax.plot([i.low, i.high], [y, y], color="tab:blue", lw=3, alpha=0.5)
        ax.plot([i.estimate], [y], "o", color="tab:blue")
        ax.annotate(f"n={i.n}", (i.high, y), xytext=(4, -3), textcoords="offset points", fontsize=7)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    if xlim:
        ax.set_xlim(*xlim)
    ax.set(xlabel=xlabel, title=title)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_by_kind(run: Run, metrics: Sequence[str], ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """Grouped bars: each metric per question kind, with 95 % bootstrap intervals as error bars.

    Args:
        run: the run.
        metrics: metric names (kinds where a metric does not apply get no bar).
        ax: axes to draw on.
        title: plot title (default: the run's name).
    """
    if not metrics:
        raise ValueError("give at least one metric")

    kinds = list(dict.fromkeys(r.kind for r in run.rows))
    ax = _axes(ax, (max(6.0, 1.3 * len(kinds)), 3.2))
    width = 0.8 / len(metrics)
    for j, m in enumerate(metrics):
        per = run.by_kind(m)
        xs = [i for i, k in enumerate(kinds) if k in per]
        est = np.array([per[kinds[i]].estimate for i in xs])
        err = np.array([[per[kinds[i]].estimate - per[kinds[i]].low for i in xs],
                        [per[kinds[i]].high - per[kinds[i]].estimate for i in xs]])
        ax.bar(np.array(xs) + (j - (len(metrics) - 1) / 2) * width, est, width, yerr=err if len(xs) else None,
               capsize=3, label=m, alpha=0.8)
    ax.set_xticks(range(len(kinds)), kinds, rotation=15)
    ax.set(ylim=(0, 1.05), ylabel="mean (95% interval)", title=title if title is not None else run.name)
    ax.legend(fontsize=7, ncol=len(metrics))
    return ax


def plot_daily(series: Mapping[str, Sequence[DailyScore]], ax: Axes | None = None, title: str = "",
               *, ylabel: str = "daily score") -> Axes:
    """Daily scores with their intervals, one line per series (e.g. per A/B arm).

    Args:
        series: label -> daily scores (from :func:`labkit.evals.online.daily_scores`).
        ax: axes to draw on.
        title / ylabel: labels.
    """
    ax = _axes(ax, (7, 3))
    for offset, (label, days) in enumerate(series.items()):
        if not days:
            continue
        x = [d.day.toordinal() + 0.1 * offset for d in days]
        est = [d.score.estimate for d in days]
        lo = [d.score.estimate - d.score.low for d in days]
        hi = [d.score.high - d.score.estimate for d in days]
        ax.errorbar(x, est, yerr=[lo, hi], fmt="o-", capsize=3, label=label)
    first: Any = next((d for days in series.values() for d in days), None)
    if first is not None:
        ticks = sorted({d.day for days in series.values() for d in days})
        ax.set_xticks([t.toordinal() for t in ticks], [t.strftime("%a %d") for t in ticks])
    ax.set(ylabel=ylabel, title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax
