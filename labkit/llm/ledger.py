"""The usage ledger: every model call made through labkit's client, with tokens, latency and cost."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


@dataclass
class CallRecord:
    """One HTTP call to a model endpoint, as the recording transport saw it.

    Attributes:
        operation: "chat", "completion", "embeddings" or another path's last segment.
        model: the model named in the request.
        backend: "embedded", "openai" or "custom".
        stream: whether the response was streamed.
        status: HTTP status code (0 when no response arrived).
        input_tokens / output_tokens / cached_tokens: from the response's usage block; for a
            stream without a usage block, output tokens are counted from content chunks and
            ``usage_estimated`` is True.
        latency_s: request sent to last byte received.
        ttft_s: request sent to the first content token (streams only).
        cost_usd: from the registry's prices; None for a model the registry does not know.
        finish_reason: the first choice's finish reason, when the response has one.
        response_model: the model the endpoint says answered.
        tags: free-form labels (e.g. the notebook or route that made the call).
    """

    operation: str
    model: str
    backend: str
    stream: bool
    started_at: float = field(default_factory=time.time)
    status: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    usage_estimated: bool = False
    latency_s: float = 0.0
    ttft_s: float | None = None
    cost_usd: float | None = None
    finish_reason: str | None = None
    response_model: str | None = None
    error: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    request_body: dict[str, Any] = field(default_factory=dict, repr=False)
    response_body: dict[str, Any] = field(default_factory=dict, repr=False)


Observer = Callable[[CallRecord], None]


class Ledger:
    """A thread-safe list of :class:`CallRecord`, with a summary table and a plot."""

    def __init__(self) -> None:
        self._records: list[CallRecord] = []
        self._lock = threading.Lock()

    def add(self, record: CallRecord) -> None:
        if not isinstance(record, CallRecord):
            raise TypeError(f"Ledger.add expects a CallRecord, got {type(record).__name__}")
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def reset(self) -> None:
        with self._lock:
            self._records.clear()

    def mark(self) -> int:
        """An index to pass to ``since=`` later, to look only at calls made after this point."""
        return len(self)

    def frame(self, since: int = 0) -> pd.DataFrame:
        """All records (from index ``since``) as a pandas DataFrame, one row per call."""
        import pandas as pd

        rows = []
        for r in self.records[since:]:
            row = asdict(r)
            row.pop("request_body")
            row.pop("response_body")
            rows.append(row)
        columns = [f for f in CallRecord.__dataclass_fields__ if f not in ("request_body", "response_body")]
        return pd.DataFrame(rows, columns=columns)

    def totals(self, since: int = 0) -> dict[str, float]:
        """Calls, tokens, cost and latency summed over all records (from ``since``)."""
        recs = self.records[since:]
        return {
            "calls": len(recs),
            "input_tokens": sum(r.input_tokens for r in recs),
            "output_tokens": sum(r.output_tokens for r in recs),
            "cost_usd": sum(r.cost_usd or 0.0 for r in recs),
            "latency_s": sum(r.latency_s for r in recs),
            "errors": sum(1 for r in recs if r.error or r.status >= 400),
        }

    def summary(self, since: int = 0) -> pd.DataFrame:
        """One row per (model, operation): calls, tokens, cost, mean and p95 latency, mean TTFT."""
        import pandas as pd

        df = self.frame(since)
        if df.empty:
            return pd.DataFrame(
                columns=["model", "operation", "calls", "input_tokens", "output_tokens", "cost_usd",
                         "mean_latency_s", "p95_latency_s", "mean_ttft_s", "errors"]
            )
        df["is_error"] = df["error"].notna() | (df["status"] >= 400)
        out = df.groupby(["model", "operation"], as_index=False).agg(
            calls=("status", "size"),
            input_tokens=("input_tokens", "sum"),
            output_tokens=("output_tokens", "sum"),
            cost_usd=("cost_usd", lambda s: s.sum(min_count=1)),
            mean_latency_s=("latency_s", "mean"),
            p95_latency_s=("latency_s", lambda s: s.quantile(0.95)),
            mean_ttft_s=("ttft_s", "mean"),
            errors=("is_error", "sum"),
        )
        return out

    def plot(self, since: int = 0) -> Figure:
        """Latency per call over time and cumulative cost, as a matplotlib figure."""
        import matplotlib.pyplot as plt

        df = self.frame(since)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
        if df.empty:
            ax1.text(0.5, 0.5, "no calls yet", ha="center")
            return fig
        for model, part in df.groupby("model"):
            ax1.scatter(range(len(part)), part["latency_s"], s=12, label=str(model))
        ax1.set(xlabel="call", ylabel="latency (s)", title="Latency per call")
        ax1.legend(fontsize=7)
        ax2.plot(df["cost_usd"].fillna(0).cumsum().to_numpy())
        ax2.set(xlabel="call", ylabel="USD", title="Cumulative cost")
        fig.tight_layout()
        return fig
