"""labkit.evals.plots: intervals, per-kind bars and daily scores draw what they are given."""

from __future__ import annotations

import datetime as dt

import matplotlib
import pytest

from labkit.evals import Run, RunRow, online, plots, stats

matplotlib.use("Agg")


def _run() -> Run:
    rows = []
    for i, (kind, ok) in enumerate([("numeric", 1.0), ("numeric", 0.0), ("single_fact", 1.0), ("unanswerable", 1.0)]):
        scores: dict[str, float | None] = {"contains": None if kind == "unanswerable" else ok,
                                           "abstention_correct": ok}
        rows.append(RunRow(item_id=f"q{i}", question="?", kind=kind, tenant="shared", reference="x", output="y",
                           scores=scores))
    return Run("id", "toy", "2026-01-01T00:00:00", "toy", {}, 1.0, 1, True, rows)


def test_plot_intervals_and_by_kind() -> None:
    ax = plots.plot_intervals({"a": stats.bootstrap_ci([1, 0, 1]), "b": stats.bootstrap_ci([0, 0, 1])}, title="t")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"] and ax.get_title() == "t"
    ax = plots.plot_by_kind(_run(), ["contains", "abstention_correct"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["numeric", "single_fact", "unanswerable"]
    assert len(ax.patches) == 2 + 3  # contains has no bar for unanswerable
    with pytest.raises(ValueError):
        plots.plot_intervals({})
    with pytest.raises(ValueError):
        plots.plot_by_kind(_run(), [])


def test_plot_daily_draws_one_series_per_arm() -> None:
    days = online.daily_scores([dt.date(2026, 3, 1)] * 5 + [dt.date(2026, 3, 2)] * 5, [1, 0, 1, 1, 0] * 2)
    ax = plots.plot_daily({"A": days, "B": days[:1]})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
