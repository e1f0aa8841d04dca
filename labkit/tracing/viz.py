"""Viewers over the span store: a waterfall of one trace, trace and span tables, and dashboards.

Dashboards weight each stored trace by its sampling weight (1 / its chance of being kept), so
with tail sampling (every error kept, 10% of the rest) they still estimate the real request
count, error rate, latency percentiles, tokens and cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from labkit.tracing.store import SpanRecord, SpanStore, TimeLike, to_ns

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COLOURS = {"llm": "#7b4fb8", "retrieval": "#2e9d5b", "http": "#3572b0", "tool": "#e08a1e", "guard": "#c0392b",
           "cache": "#1fa2b5", "client": "#5d6d7e", "internal": "#95a5a6", "evaluation": "#b7950b"}
LLM_OPERATIONS = ("chat", "text_completion", "embeddings", "generate_content")


def ordered(spans: Sequence[SpanRecord]) -> list[tuple[int, SpanRecord]]:
    """Spans in waterfall order: depth-first from the roots, children by start time.

    Returns:
        (depth, span) pairs; a span whose parent is not stored counts as a root.
    """
    by_id = {s.span_id: s for s in spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for s in spans:
        parent = s.parent_id if s.parent_id in by_id else None
        children.setdefault(parent, []).append(s)
    for kids in children.values():
        kids.sort(key=lambda s: (s.start_ns, s.end_ns))
    out: list[tuple[int, SpanRecord]] = []
    stack = [(0, s) for s in reversed(children.get(None, []))]
    while stack:
        depth, s = stack.pop()
        out.append((depth, s))
        stack.extend((depth + 1, c) for c in reversed(children.get(s.span_id, [])))
    return out


def _category(s: SpanRecord) -> str:
    if s.category:
        return s.category
    if s.operation in LLM_OPERATIONS:
        return "llm"
    return {"SERVER": "http", "CLIENT": "client"}.get(s.kind, "internal")


def _llm_note(s: SpanRecord) -> str:
    if s.operation not in LLM_OPERATIONS:
        return ""
    cost = f", ${s.cost_usd:.2e}" if s.cost_usd is not None else ""
    return f"  {s.input_tokens or 0}→{s.output_tokens or 0} tok{cost}"


def span_table(store: SpanStore, trace_id: str) -> pd.DataFrame:
    """One trace as a table in waterfall order: indented name, offset and duration, status, model, tokens, cost."""
    import pandas as pd

    spans = store.trace(trace_id)
    t0 = min(s.start_ns for s in spans)
    rows = [{"span": "  " * depth + s.name, "category": _category(s), "start_ms": (s.start_ns - t0) / 1e6,
             "duration_ms": s.duration_ms, "status": s.status, "model": s.model, "input_tokens": s.input_tokens,
             "output_tokens": s.output_tokens, "cost_usd": s.cost_usd, "span_id": s.span_id}
            for depth, s in ordered(spans)]
    return pd.DataFrame(rows)


def trace_table(store: SpanStore, **filters: Any) -> pd.DataFrame:
    """Stored traces, one row each (filters as in :meth:`SpanStore.traces`), with the columns to scan first."""
    df = store.traces_frame(**filters)
    cols = ["trace_id", "start", "route", "duration_ms", "spans", "llm_calls", "input_tokens", "output_tokens",
            "cost_usd", "error", "sample_reason", "sample_weight"]
    return df[cols]


def waterfall(store: SpanStore, trace_id: str, ax: Axes | None = None, *, title: str | None = None) -> Figure:
    """Draw one trace as a waterfall: a bar per span from its start to its end, children under parents.

    Bars are coloured by category (LLM, retrieval, HTTP, tool, guard, cache); error spans are
    hatched with a red edge; LLM bars are labelled with tokens and cost.

    Args:
        store: the span store.
        trace_id: the trace (or a unique prefix of at least 6 hex digits).
        ax: axes to draw on (default: a new figure sized to the trace).
        title: the title (default: route and trace id).

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    spans = store.trace(trace_id)
    rows = ordered(spans)
    t0 = min(s.start_ns for s in spans)
    total_ms = max(max(s.end_ns for s in spans) - t0, 1) / 1e6
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.2))
    else:
        fig = ax.figure  # type: ignore[assignment]
    for y, (_depth, s) in enumerate(rows):
        left, width = (s.start_ns - t0) / 1e6, max(s.duration_ms, total_ms * 0.002)
        cat = _category(s)
        ax.barh(y, width, left=left, height=0.6, color=COLOURS.get(cat, COLOURS["internal"]),
                edgecolor="red" if s.error else "none", hatch="//" if s.error else None, linewidth=1.5)
        label = f"{s.duration_ms:,.1f} ms" + _llm_note(s) + ("  ERROR" if s.error else "")
        ax.text(left + width + total_ms * 0.01, y, label, va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), ["  " * d + s.name for d, s in rows], fontsize=8, family="monospace")
    ax.invert_yaxis()
    ax.set_xlim(0, total_ms * 1.45)
    ax.set_xlabel("ms since the trace started")
    root = rows[0][1]
    route = root.attributes.get("http.route") or root.attributes.get("labkit.route") or root.name
    ax.set_title(title or f"{route} — trace {root.trace_id[:12]}… ({total_ms:,.0f} ms)", fontsize=10)
    used = list(dict.fromkeys(_category(s) for _, s in rows))
    ax.legend(handles=[Patch(color=COLOURS.get(c, COLOURS["internal"]), label=c) for c in used], fontsize=7,
              loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def text_waterfall(spans: Sequence[SpanRecord], width: int = 40) -> str:
    """A waterfall as plain text (for terminals): one line per span with a bar of ``width`` characters."""
    if not spans:
        return "(no spans)"
    rows = ordered(spans)
    t0 = min(s.start_ns for s in spans)
    total = max(max(s.end_ns for s in spans) - t0, 1)
    name_w = min(max(len("  " * d + s.name) for d, s in rows), 48)
    lines = []
    for depth, s in rows:
        a = int((s.start_ns - t0) / total * width)
        b = max(a + 1, int((s.end_ns - t0) / total * width))
        bar = " " * a + ("X" if s.error else "█") * (b - a)
        name = ("  " * depth + s.name)[:name_w]
        lines.append(f"{name:<{name_w}} |{bar:<{width}}| {s.duration_ms:>9.1f} ms{_llm_note(s)}"
                     + ("  ERROR" if s.error else ""))
    return "\n".join(lines)


def weighted_quantile(values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray,
                      q: float) -> float:
    """The ``q`` quantile of ``values`` where each value counts ``weight`` times (nan when empty).

    Args:
        values: the observations.
        weights: how many requests each observation stands for (> 0).
        q: the quantile in [0, 1] (0.95 for p95).
    """
    if not 0 <= q <= 1:
        raise ValueError(f"q must be in [0, 1], got {q}")
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if v.shape != w.shape:
        raise ValueError("values and weights must have the same length")
    if v.size == 0:
        return float("nan")
    order = np.argsort(v)
    v, w = v[order], w[order]
    cum = np.cumsum(w)
    idx = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(v[min(idx, v.size - 1)])


@dataclass
class Dashboard:
    """Service health over a time window, estimated from stored (sampled) traces.

    Attributes:
        start_ns / end_ns: the window.
        traces_stored: traces in the window in the store.
        requests: estimated requests (sum of sampling weights).
        error_rate: estimated share of requests with an error span.
        p50_ms / p95_ms / p99_ms: estimated request latency percentiles.
        input_tokens / output_tokens / cost_usd: estimated totals over the window.
        naive_error_rate: errors / stored traces, ignoring sampling (what you would wrongly read).
        by_route: per route: requests, error rate, latency percentiles, cost.
        by_route_model: per (route, model): LLM calls, tokens, cost, LLM latency p50/p95, errors.
        timeline: per time bucket: requests, error rate, p95, cost.
    """

    start_ns: int
    end_ns: int
    traces_stored: int
    requests: float
    error_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    input_tokens: float
    output_tokens: float
    cost_usd: float
    naive_error_rate: float
    by_route: pd.DataFrame
    by_route_model: pd.DataFrame
    timeline: pd.DataFrame

    def summary(self) -> dict[str, float]:
        """The headline numbers as a dict."""
        return {"traces_stored": self.traces_stored, "requests": round(self.requests, 1),
                "error_rate": self.error_rate, "p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "p99_ms": self.p99_ms,
                "input_tokens": round(self.input_tokens), "output_tokens": round(self.output_tokens),
                "cost_usd": self.cost_usd}

    def plot(self) -> Figure:
        """Four panels: requests, error rate, latency percentiles over time, and cost by route and model."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 4, figsize=(15, 3.2))
        tl = self.timeline
        x = tl["bucket_start"] if not tl.empty else []
        axes[0].bar(range(len(x)), tl["requests"] if not tl.empty else [], color=COLOURS["http"])
        axes[0].set(title="Requests (estimated)", xlabel="time bucket")
        axes[1].plot(range(len(x)), 100 * tl["error_rate"] if not tl.empty else [], marker="o", color="#c0392b")
        axes[1].set(title="Error rate (%)", xlabel="time bucket")
        for col, style in (("p50_ms", "-"), ("p95_ms", "--"), ("p99_ms", ":")):
            axes[2].plot(range(len(x)), tl[col] if not tl.empty else [], style, label=col[:3])
        axes[2].set(title="Latency (ms)", xlabel="time bucket")
        axes[2].legend(fontsize=7)
        brm = self.by_route_model
        if not brm.empty:
            labels = [f"{r}\n{m}" for r, m in zip(brm["route"], brm["model"], strict=True)]
            axes[3].barh(labels, brm["cost_usd"], color=COLOURS["llm"])
            axes[3].tick_params(axis="y", labelsize=6)
        axes[3].set(title="Cost by route and model ($)")
        fig.tight_layout()
        return fig


def _llm_rows(store: SpanStore, lo: int, hi: int) -> pd.DataFrame:
    ops = ", ".join(f"'{o}'" for o in LLM_OPERATIONS)
    return store.sql(
        "SELECT t.route AS route, s.model AS model, t.sample_weight AS w, s.trace_id AS trace_id, "
        "s.input_tokens AS input_tokens, s.output_tokens AS output_tokens, s.cost_usd AS cost_usd, "
        "(s.end_ns - s.start_ns) / 1e6 AS duration_ms, s.error AS error "
        f"FROM spans s JOIN traces t ON s.trace_id = t.trace_id WHERE s.operation IN ({ops}) "
        "AND t.start_ns >= ? AND t.start_ns < ?", (lo, hi))


def dashboard(store: SpanStore, start: TimeLike | None = None, end: TimeLike | None = None,
              *, buckets: int = 12) -> Dashboard:
    """Requests, error rate, p50/p95/p99 latency, tokens and cost over a window, by route and model.

    Args:
        store: the span store.
        start / end: the window (int ns or datetime); default everything stored.
        buckets: time buckets in the timeline (>= 1).

    Returns:
        A :class:`Dashboard` (``.plot()`` draws it).
    """
    import pandas as pd

    if buckets < 1:
        raise ValueError(f"buckets must be >= 1, got {buckets}")
    span = store.time_range()
    lo = to_ns(start, "start") if start is not None else (span[0] if span else 0)
    hi = to_ns(end, "end") if end is not None else ((span[1] + 1) if span else 1)
    assert lo is not None and hi is not None
    if hi <= lo:
        raise ValueError("the window is empty: end must be after start")
    tr = store.traces_frame(start=lo, end=hi)
    w = tr["sample_weight"].astype(float).to_numpy()
    dur = tr["duration_ms"].astype(float).to_numpy()
    err = tr["error"].astype(bool).to_numpy()
    requests = float(w.sum())

    def _stats(part: pd.DataFrame) -> dict[str, float]:
        pw = part["sample_weight"].astype(float).to_numpy()
        pd_ = part["duration_ms"].astype(float).to_numpy()
        total = float(pw.sum())
        return {"requests": total,
                "error_rate": float((pw * part["error"].astype(bool).to_numpy()).sum() / total) if total else 0.0,
                "p50_ms": weighted_quantile(pd_, pw, 0.5), "p95_ms": weighted_quantile(pd_, pw, 0.95),
                "p99_ms": weighted_quantile(pd_, pw, 0.99),
                "cost_usd": float((pw * part["cost_usd"].astype(float).to_numpy()).sum())}

    by_route = pd.DataFrame([{"route": r, **_stats(part)} for r, part in tr.groupby("route", dropna=False)],
                            columns=["route", "requests", "error_rate", "p50_ms", "p95_ms", "p99_ms", "cost_usd"])
    llm = _llm_rows(store, lo, hi)
    rm_rows = []
    for (route, model), part in llm.groupby(["route", "model"], dropna=False):
        pw = part["w"].astype(float).to_numpy()
        rm_rows.append({
            "route": route, "model": model, "llm_calls": float(pw.sum()),
            "requests": float(part.drop_duplicates("trace_id")["w"].sum()),
            "input_tokens": float((pw * part["input_tokens"].fillna(0)).sum()),
            "output_tokens": float((pw * part["output_tokens"].fillna(0)).sum()),
            "cost_usd": float((pw * part["cost_usd"].fillna(0)).sum()),
            "llm_p50_ms": weighted_quantile(part["duration_ms"], pw, 0.5),
            "llm_p95_ms": weighted_quantile(part["duration_ms"], pw, 0.95),
            "errors": float((pw * part["error"]).sum()),
        })
    by_route_model = pd.DataFrame(rm_rows, columns=["route", "model", "requests", "llm_calls", "input_tokens",
                                                    "output_tokens", "cost_usd", "llm_p50_ms", "llm_p95_ms",
                                                    "errors"])
    edges = np.linspace(lo, hi, buckets + 1)
    tl_rows = []
    starts = tr["start_ns"].to_numpy()
    for i in range(buckets):
        part = tr[(starts >= edges[i]) & ((starts < edges[i + 1]) if i < buckets - 1 else (starts <= edges[i + 1]))]
        tl_rows.append({"bucket_start": pd.to_datetime(int(edges[i]), unit="ns"), **_stats(part)})
    timeline = pd.DataFrame(tl_rows)
    return Dashboard(
        start_ns=lo, end_ns=hi, traces_stored=len(tr), requests=requests,
        error_rate=float((w * err).sum() / requests) if requests else 0.0,
        p50_ms=weighted_quantile(dur, w, 0.5), p95_ms=weighted_quantile(dur, w, 0.95),
        p99_ms=weighted_quantile(dur, w, 0.99),
        input_tokens=float((w * tr["input_tokens"].astype(float)).sum()),
        output_tokens=float((w * tr["output_tokens"].astype(float)).sum()),
        cost_usd=float((w * tr["cost_usd"].astype(float)).sum()),
        naive_error_rate=float(err.mean()) if len(err) else 0.0,
        by_route=by_route, by_route_model=by_route_model, timeline=timeline,
    )
