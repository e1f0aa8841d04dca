"""An interactive trace explorer (ipywidgets): pick a trace, click a span in its waterfall, read it.

Every span is a button placed and sized by its start and duration, so the waterfall *is* the set of
things to click. A "predict before you click" question asks which span takes longest; the cost line
recomputes each trace's cost as the sum of tokens x price from the LLM spans' attributes.

Headless use (tests, nbval): call :meth:`TraceDemo.select`, :meth:`TraceDemo.click` and
:meth:`TraceDemo.check_prediction` directly; they update the same widgets a click would.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from labkit.llm import registry
from labkit.tracing.store import SpanRecord, SpanStore
from labkit.tracing.viz import COLOURS, _category, ordered

PREDICTIONS: dict[str, tuple[str, ...]] = {"retrieval": ("retrieval",), "the model call": ("llm",),
                                           "a tool": ("tool",), "a guard or a cache lookup": ("guard", "cache")}


@dataclass
class TraceCost:
    """A trace's cost two ways: recomputed from tokens x registry prices, and the spans' cost tags."""

    recomputed_usd: float
    tagged_usd: float
    llm_spans: int


def trace_cost(spans: list[SpanRecord]) -> TraceCost:
    """Sum of input/output tokens x the registry's prices over a trace's LLM spans, and the tagged cost."""
    recomputed = tagged = 0.0
    n = 0
    for s in spans:
        if s.operation not in ("chat", "text_completion", "embeddings"):
            continue
        n += 1
        tagged += s.cost_usd or 0.0
        info = registry.find(s.model or "")
        if info is not None:
            recomputed += info.cost(s.input_tokens or 0, s.output_tokens or 0)
    return TraceCost(recomputed, tagged, n)


class TraceDemo:
    """Widgets to explore stored traces.

    Args:
        store: the span store.
        traces: label -> trace id (or unique prefix), in the order the picker lists them.
        bar_width_px: width of the waterfall area.
    """

    def __init__(self, store: SpanStore, traces: dict[str, str], bar_width_px: int = 520) -> None:
        import ipywidgets as w

        if not traces:
            raise ValueError("give at least one trace: {label: trace_id}")
        self.store = store
        self.traces = {label: store.resolve(tid) for label, tid in traces.items()}
        self.bar_width_px = bar_width_px
        self.spans: list[SpanRecord] = []
        self.selected: SpanRecord | None = None
        self.picker = w.Dropdown(options=list(self.traces), description="trace")
        self.prediction = w.RadioButtons(options=list(PREDICTIONS), description="longest?",
                                         layout=w.Layout(width="auto"))
        self.check_button = w.Button(description="Check my prediction", button_style="info")
        self.feedback = w.HTML()
        self.cost = w.HTML()
        self.rows = w.VBox()
        self.details = w.HTML("<i>Click a span to see its attributes.</i>")
        self.picker.observe(lambda change: self.select(change["new"]), names="value")
        self.check_button.on_click(lambda _: self.check_prediction(self.prediction.value))
        self.widget = w.VBox([
            self.picker,
            w.HTML("<b>Predict before you click:</b> which span of this trace takes longest (leaves only)?"),
            w.HBox([self.prediction, self.check_button]), self.feedback, self.cost, self.rows, self.details,
        ])
        self.select(next(iter(self.traces)))

    # ------------------------------------------------------------- actions
    def select(self, label: str) -> list[SpanRecord]:
        """Show one trace's waterfall; returns its spans in waterfall order."""
        import ipywidgets as w

        if label not in self.traces:
            raise KeyError(f"no trace labelled {label!r}; have {list(self.traces)}")
        if self.picker.value != label:
            self.picker.value = label  # fires select again through the observer
            return self.spans
        spans = self.store.trace(self.traces[label])
        rows = ordered(spans)
        self.spans = [s for _, s in rows]
        t0 = min(s.start_ns for s in spans)
        total = max(max(s.end_ns for s in spans) - t0, 1)
        boxes = []
        for depth, s in rows:
            left = (s.start_ns - t0) / total * 100
            width = max((s.end_ns - s.start_ns) / total * 100, 0.8)
            button = w.Button(description=f"{s.duration_ms:,.0f} ms", tooltip=f"{s.name} ({s.status})",
                              layout=w.Layout(margin=f"0 0 0 {left:.2f}%", width=f"{min(width, 100 - left):.2f}%",
                                              height="22px", padding="0"))
            button.style.button_color = "#e74c3c" if s.error else COLOURS.get(_category(s), COLOURS["internal"])
            button.style.text_color = "white"
            button.on_click(lambda _, span_id=s.span_id: self.click(span_id))
            label_w = w.HTML(f"<code>{'&nbsp;' * 2 * depth}{html.escape(s.name)}</code>",
                             layout=w.Layout(width="300px"))
            boxes.append(w.HBox([label_w, w.Box([button], layout=w.Layout(width=f"{self.bar_width_px}px"))]))
        self.rows.children = tuple(boxes)
        c = trace_cost(spans)
        self.cost.value = (f"<b>Cost</b> of this trace: Σ tokens × price over {c.llm_spans} LLM span(s) = "
                           f"${c.recomputed_usd:.3e} (the spans' <code>labkit.cost_usd</code> tags say "
                           f"${c.tagged_usd:.3e})")
        self.feedback.value = ""
        self.details.value = "<i>Click a span to see its attributes.</i>"
        self.selected = None
        return self.spans

    def click(self, span_id: str) -> dict[str, Any]:
        """Show one span's timing, status and attributes; returns its attributes."""
        span = next((s for s in self.spans if s.span_id == span_id), None)
        if span is None:
            raise KeyError(f"span {span_id!r} is not in the selected trace")
        self.selected = span
        rows = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(str(v))}</td></tr>"
                       for k, v in sorted(span.attributes.items()))
        status = span.status + (f": {html.escape(span.status_message)}" if span.status_message else "")
        events = "".join(f"<li>{html.escape(e['name'])}: "
                         f"{html.escape(str(e['attributes'].get('exception.message', '')))}</li>"
                         for e in span.events)
        self.details.value = (
            f"<h4>{html.escape(span.name)}</h4><p>{span.kind}, {span.duration_ms:,.1f} ms, status {status}, "
            f"span <code>{span.span_id}</code> in trace <code>{span.trace_id}</code></p>"
            + (f"<ul>{events}</ul>" if events else "")
            + f"<table>{rows}</table>")
        return span.attributes

    def longest_leaf(self) -> SpanRecord:
        """The longest span that has no children in the selected trace."""
        parents = {s.parent_id for s in self.spans}
        leaves = [s for s in self.spans if s.span_id not in parents]
        return max(leaves, key=lambda s: s.duration_ms)

    def check_prediction(self, choice: str) -> bool:
        """Compare a prediction (a key of ``PREDICTIONS``) with the trace; shows and returns whether it was right."""
        if choice not in PREDICTIONS:
            raise ValueError(f"choice must be one of {list(PREDICTIONS)}, got {choice!r}")
        longest = self.longest_leaf()
        right = _category(longest) in PREDICTIONS[choice]
        verdict = "Right" if right else "Not this time"
        self.feedback.value = (f"<b>{verdict}</b>: the longest leaf span is <code>{html.escape(longest.name)}</code>, "
                               f"{longest.duration_ms:,.0f} ms of {self._total_ms():,.0f} ms.")
        return right

    def _total_ms(self) -> float:
        return (max(s.end_ns for s in self.spans) - min(s.start_ns for s in self.spans)) / 1e6
