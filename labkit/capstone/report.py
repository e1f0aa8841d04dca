"""The end-of-week report: requests, cost per day against the cap, latency, cache hits, guard blocks
by layer, online eval scores with intervals, drift alerts and errors by cause — as a dict, tables,
plots and a standalone HTML page."""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labkit import drift, embed, grounding
from labkit.capstone.world import RunResult
from labkit.evals import online, stats


@dataclass
class WeekReport:
    """Numbers of one week, by day and in total."""

    totals: dict[str, Any]
    daily: Any  # pandas DataFrame, one row per day
    errors_by_cause: dict[str, int]
    blocks_by_layer: dict[str, int]
    eval_daily: Any  # DataFrame: day, n, grounding mean and interval, feedback thumbs-up rate
    drift: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"totals": self.totals, "daily": self.daily.to_dict(orient="records"),
                "errors_by_cause": self.errors_by_cause, "blocks_by_layer": self.blocks_by_layer,
                "eval_daily": self.eval_daily.to_dict(orient="records"), "drift": self.drift}


def _feedback(o: Any, score: float) -> int:
    """Simulated user feedback (SIMULATION): thumbs-up when the answer is well supported, deterministic
    per request so the report reproduces for a seed."""
    h = int.from_bytes(o.request_id.encode(), "little") % 100 / 100
    return int(h < 0.15 + 0.8 * score)


def online_eval(result: RunResult, sample_rate: float = 0.3) -> Any:
    """Judge a deterministic sample of answered requests with the fast grounding detectors.

    Args:
        result: the finished week.
        sample_rate: share of model-answered requests judged.

    Returns:
        A DataFrame, one row per judged request: day, request_id, grounding score, feedback.
    """
    import pandas as pd

    answered = [o for o in result.outcomes if o.status == "answered" and o.context]
    chosen = online.sample(answered, sample_rate, key=lambda o: o.request_id, salt="capstone")
    rows = []
    for o in chosen:
        r = grounding.support_score(o.context, o.question, o.answer)
        rows.append({"day": o.day, "request_id": o.request_id, "trace_id": o.trace_id, "grounding": r.score,
                     "supported": r.supported, "feedback_up": _feedback(o, r.score),
                     "prompt_version": o.prompt_version})
    return pd.DataFrame(rows, columns=["day", "request_id", "trace_id", "grounding", "supported", "feedback_up",
                                       "prompt_version"])


def drift_alerts(result: RunResult, alpha: float = 0.01) -> list[dict[str, Any]]:
    """Daily drift of the questions' embeddings against day 1 (MMD permutation test; alert when p < alpha)."""
    by_day: dict[int, list[str]] = {}
    for o in result.outcomes:
        if o.kind not in ("attack", "pii"):
            by_day.setdefault(o.day, []).append(o.question)
    days = sorted(by_day)
    if len(days) < 2:
        return []
    ref = embed.encode(by_day[days[0]])
    alerts = []
    for d in days[1:]:
        cur = embed.encode(by_day[d])
        mmd2, p_value, _ = drift.mmd_permutation_test(ref, cur, permutations=200, seed=d)
        alerts.append({"day": d, "mmd2": float(mmd2), "p_value": float(p_value), "alert": bool(p_value < alpha)})
    return alerts


def week_report(result: RunResult, sample_rate: float = 0.3, with_drift: bool = True) -> WeekReport:
    """Compute the end-of-week report of a finished run."""
    import pandas as pd

    df = result.frame()
    cap = result.params["config"]["daily_cap_usd"]
    daily = df.groupby("day").agg(
        requests=("request_id", "size"),
        answered=("status", lambda s: int((s == "answered").sum())),
        cached=("status", lambda s: int((s == "cached").sum())),
        blocked=("status", lambda s: int(s.str.startswith("blocked").sum())),
        degraded=("status", lambda s: int((s == "degraded").sum())),
        errors=("status", lambda s: int((s == "error").sum())),
        cost_usd=("cost_usd", "sum"),
        charged_usd=("charged_usd", "sum"),
        p50_s=("latency_s", lambda s: float(np.percentile(s, 50))),
        p95_s=("latency_s", lambda s: float(np.percentile(s, 95))),
    ).reset_index()
    daily["cap_usd"] = cap
    evals = online_eval(result, sample_rate)
    rows = []
    for day, part in evals.groupby("day"):
        ci = stats.bootstrap_ci(part["grounding"].to_numpy(), seed=int(day)) if len(part) >= 2 else None
        rows.append({"day": int(day), "n": len(part), "grounding": float(part["grounding"].mean()),
                     "low": ci.low if ci else float("nan"), "high": ci.high if ci else float("nan"),
                     "thumbs_up": float(part["feedback_up"].mean())})
    eval_daily = pd.DataFrame(rows, columns=["day", "n", "grounding", "low", "high", "thumbs_up"])
    served = df[df["status"].isin(["answered", "cached"])]
    totals = {
        "requests": int(len(df)), "answered": int((df["status"] == "answered").sum()),
        "cache_hit_rate": float(len(df[df["status"] == "cached"]) / max(1, len(served))),
        "errors": int((df["status"] == "error").sum()), "degraded": int((df["status"] == "degraded").sum()),
        "cost_usd": float(df["cost_usd"].sum()), "charged_usd": float(df["charged_usd"].sum()),
        "p50_s": float(np.percentile(df["latency_s"], 50)), "p95_s": float(np.percentile(df["latency_s"], 95)),
        "model_calls": int(df["attempts"].sum()), "faults_injected": result.faults,
        "wall_s": round(result.wall_s, 1),
    }
    errors = {str(k): int(v) for k, v in df[df["status"] == "error"]["error_cause"].value_counts().items()}
    blocks = {"input": int((df["status"] == "blocked_input").sum()),
              "output": int((df["status"] == "blocked_output").sum())}
    return WeekReport(totals, daily, errors, blocks, eval_daily, drift_alerts(result) if with_drift else [])


def plot(report: WeekReport) -> Any:
    """Cost per day against the cap, p95 latency, and daily grounding with intervals."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
    d = report.daily
    axes[0].bar(d["day"], d["charged_usd"], label="charged", color="tab:orange")
    axes[0].bar(d["day"], d["cost_usd"], label="real cost", color="tab:blue", alpha=0.8)
    axes[0].axhline(d["cap_usd"].iloc[0], ls="--", c="k", lw=1, label="daily cap")
    axes[0].set(title="Spend per day (USD)", xlabel="day")
    axes[0].legend(fontsize=7)
    axes[1].plot(d["day"], d["p95_s"], marker="o", label="p95")
    axes[1].plot(d["day"], d["p50_s"], marker="o", label="p50")
    axes[1].set(title="Latency (real seconds)", xlabel="day")
    axes[1].legend(fontsize=7)
    e = report.eval_daily
    if len(e):
        axes[2].errorbar(e["day"], e["grounding"], yerr=[e["grounding"] - e["low"], e["high"] - e["grounding"]],
                         marker="o", capsize=3)
    axes[2].set(title="Grounding score (sampled, 95% CI)", xlabel="day", ylim=(0, 1))
    fig.tight_layout()
    return fig


def to_html(report: WeekReport, path: str | Path, title: str = "Capstone: end-of-week report") -> Path:
    """Write a standalone HTML page with the report's tables and plots."""
    fig = plot(report)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    img = base64.b64encode(buf.getvalue()).decode()
    parts = [f"<h1>{html.escape(title)}</h1>",
             "<p>SIMULATED traffic, faults and feedback; real model calls, guards, cache, budget and traces.</p>",
             "<h2>Totals</h2>", f"<pre>{html.escape(json.dumps(report.totals, indent=2))}</pre>",
             f'<img alt="report plots" src="data:image/png;base64,{img}">',
             "<h2>By day</h2>", report.daily.to_html(index=False, float_format=lambda x: f"{x:.4g}"),
             "<h2>Online evaluation</h2>", report.eval_daily.to_html(index=False, float_format=lambda x: f"{x:.3f}"),
             "<h2>Errors by cause</h2>", f"<pre>{html.escape(json.dumps(report.errors_by_cause, indent=2))}</pre>",
             "<h2>Guard blocks by layer</h2>", f"<pre>{html.escape(json.dumps(report.blocks_by_layer))}</pre>",
             "<h2>Drift alerts (questions vs day 1)</h2>", f"<pre>{html.escape(json.dumps(report.drift, indent=2))}</pre>"]
    out = Path(path)
    out.write_text("<!doctype html><meta charset='utf-8'><title>capstone report</title>" + "\n".join(parts),
                   encoding="utf-8")
    return out
