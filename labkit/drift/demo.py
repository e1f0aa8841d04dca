"""The drift-monitor demo (ipywidgets): sliders for a drift, a simulated week, each detector's alerts."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from labkit import traffic
from labkit.drift.detectors import MMD, PSI, DomainClassifier, KSTest
from labkit.drift.features import EmbeddingCache, featurize
from labkit.drift.plots import plot_traces
from labkit.drift.windows import Spec, run_all, summary

DEMO_KINDS = ("launch", "longer questions", "other languages", "no drift")


def demo_specs() -> list[Spec]:
    """The demo's detectors: two on question length, two on embeddings (no knowledge base needed)."""
    return [Spec("length", PSI()), Spec("length", KSTest()), Spec("embedding", MMD()),
            Spec("embedding", DomainClassifier())]


class DriftDemo:
    """Sliders for the kind, strength and onset of a drift; a simulated week; each detector's statistic and
    alerts. ``update()`` runs what the button runs (the automated test calls it directly).

    Args:
        embed: texts -> vectors; an :class:`EmbeddingCache` over all-MiniLM-L6-v2 (kept on disk) by default.
        specs: detectors to show (:func:`demo_specs` by default).
    """

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray] | None = None,
                 specs: Sequence[Spec] | None = None) -> None:
        import ipywidgets as w

        if embed is None:
            from labkit import lineage
            from labkit.config import cache_dir

            embed = EmbeddingCache(lineage.minilm(), cache_dir() / "drift" / "question_vectors.sqlite")
        self.embed = embed
        self.specs = list(specs or demo_specs())
        style = {"description_width": "110px"}
        self.kind = w.Dropdown(options=list(DEMO_KINDS), value="launch", description="drift", style=style)
        self.strength = w.FloatSlider(value=0.3, min=0.0, max=0.6, step=0.05, description="strength (share)",
                                      style=style)
        self.onset = w.FloatSlider(value=3.5, min=2.5, max=6.5, step=0.25, description="onset (day)", style=style)
        self.seed = w.IntSlider(value=0, min=0, max=9, description="seed", style=style)
        self.prediction = w.Dropdown(options=[s.name for s in self.specs] + ["none"], value="none",
                                     description="first to alarm?", style=style)
        self.button = w.Button(description="Run the week", button_style="primary")
        self.status = w.HTML()
        self.image = w.Image(format="png")
        self.table = w.HTML()
        self.button.on_click(lambda _: self.update())
        self.widget = w.VBox([w.HBox([w.VBox([self.kind, self.strength, self.onset]),
                                      w.VBox([self.seed, self.prediction, self.button])]),
                              self.status, self.image, self.table])
        self.last: dict[str, Any] = {}

    def events(self) -> list[Any]:
        """The traffic events the sliders describe."""
        day, share = float(self.onset.value), float(self.strength.value)
        kind = self.kind.value
        if kind == "no drift" or share == 0:
            return []
        if kind == "launch":
            return [traffic.Launch(day=day, share=share)]
        if kind == "longer questions":
            return [traffic.LengthShift(day=day, share=share)]
        return [traffic.LanguageShift(day=day, share=share)]

    def update(self) -> dict[str, Any]:
        """Simulate the week the sliders describe, run the detectors, draw them; returns the results."""
        import matplotlib.pyplot as plt

        self.status.value = "<i>simulating and embedding a week of traffic…</i>"
        events = self.events()
        onset = float(self.onset.value) * 24 if events else None
        week = traffic.simulate(days=7, seed=int(self.seed.value), events=events)
        traces = run_all(featurize(week, self.embed), self.specs)
        table = summary(traces, onset)
        found = table.dropna(subset=["delay_h"]).sort_values("delay_h") if onset is not None else table.iloc[:0]
        first = str(found["detector"].iloc[0]) if len(found) else "none"
        fig = plot_traces(traces, onset, title=f"{self.kind.value}, strength {self.strength.value:.2f}, "
                                               f"onset day {self.onset.value:g} (SIMULATED traffic, seed {self.seed.value})")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        plt.close(fig)
        self.image.value = buf.getvalue()
        self.table.value = table.to_html(index=False, na_rep="—", float_format=lambda x: f"{x:g}")
        correct = self.prediction.value == first
        self.status.value = (f"{len(week)} requests. First to alarm: <b>{first}</b>. Your prediction "
                             f"({self.prediction.value}) was <b>{'right' if correct else 'wrong'}</b>.")
        self.last = {"summary": table, "first": first, "correct": correct, "traces": traces, "requests": len(week),
                     "params": week.params}
        return self.last
