"""The rubric playground behind ``demos/llm_as_judge``: weight sliders over the measured scores of app variants.

Each variant's answers are scored once, per criterion, by measured scorers (token F1, the grounding
detectors, citation checks, refusals, tokens, latency, the LLM judge — :mod:`labkit.evals.rubric`);
moving a slider only reweights those stored scores, so the widget responds instantly. The same
computation is available without widgets (:meth:`RubricDemo.verdict`), which is what tests and
headless notebook runs use.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from labkit.evals import rubric
from labkit.evals.judge import Criterion, Rubric
from labkit.evals.runs import Run

# The judge's own criteria in the demo of earlier course versions; kept for code that imports it.
DEMO_RUBRIC = Rubric((
    Criterion("factuality", "every fact agrees with the context; 1 = a claim contradicts it, 5 = all correct"),
    Criterion("helpfulness", "it gives the user what they need; 1 = useless, 5 = fully answers with useful detail"),
    Criterion("tone", "friendly, professional and suited to the task; 1 = cold or rude, 5 = just right"),
    Criterion("concision", "no padding or repetition; 1 = rambling, 5 = as short as it can be"),
), name="demo")


class RubricDemo:
    """Weight sliders over the per-criterion scores of two or more runs of the same questions.

    Args:
        runs: the variants' runs (e.g. ``variants.run_variant`` on one ``golden_sample``).
        judge_rates: the judge's measured TPR and TNR on labels (``rubric.judge_rates()``), shown next to its
            weight (None: unknown).
        confidence: interval coverage.
    """

    def __init__(self, runs: Sequence[Run], *, judge_rates: rubric.JudgeRates | None = None, confidence: float = 0.95) -> None:
        if len(runs) < 2:
            raise ValueError("give at least two runs to compare")
        self.runs = list(runs)
        self.labels = rubric.run_labels(self.runs)
        self.judge_rates = judge_rates
        self.confidence = confidence
        self.means = {label: rubric.criterion_means(r, confidence) for label, r in zip(self.labels, self.runs,
                                                                                        strict=True)}
        self.verdict(rubric.DEFAULT_WEIGHTS)  # refuse runs the rubric cannot rank now, not on the first click
        self._box: Any = None
        self._sliders: dict[str, Any] = {}
        self._out: Any = None
        self._last: rubric.Ranking | None = None

    def verdict(self, weights: Mapping[str, float] | None = None) -> rubric.Ranking:
        """Rank the runs under ``weights`` (criteria left out weigh 1), with intervals and the winner."""
        return rubric.weighted_totals(self.runs, weights, confidence=self.confidence)

    # -- widgets ---------------------------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The widget: one weight slider per criterion, the per-criterion means and the ranked totals."""
        if self._box is None:
            self._build()
        return self._box

    def _build(self) -> None:
        import ipywidgets as w

        self._sliders = {name: w.FloatSlider(value=1.0, min=0, max=5, step=0.5, description=name,
                                             continuous_update=True) for name in rubric.CRITERIA}
        self._out = w.HTML()
        for s in self._sliders.values():
            s.observe(lambda _change: self._render(), names="value")
        sliders = list(self._sliders.values())
        self._box = w.VBox([w.HBox(sliders[:4]), w.HBox(sliders[4:]), self._out])
        self._render()

    def update(self, weights: Mapping[str, float] | None = None) -> rubric.Ranking:
        """Set sliders (as a person would; the others keep their value) and return the ranking now shown."""
        assert self.widget is not None  # builds the widgets on first use
        for name, weight in (weights or {}).items():
            if name not in self._sliders:
                raise ValueError(f"unknown criterion {name!r}; sliders are {list(self._sliders)}")
            self._sliders[name].value = float(weight)
        self._render()
        if self._last is None:
            raise ValueError("every weight is 0: give at least one criterion a weight above 0")
        return self._last

    def _render(self) -> None:
        weights = {n: s.value for n, s in self._sliders.items()}
        if sum(weights.values()) <= 0:
            self._out.value = "<p><b>Give at least one criterion a weight above 0.</b></p>"
            self._last = None
            return
        ranking = self._last = self.verdict(weights)
        head = "".join(f"<th>{html.escape(label)}</th>" for label in ranking.totals)
        rows = []
        for name, (desc, _) in rubric.CRITERIA.items():
            cells = "".join(f"<td>{self._cell(label, name)}</td>" for label in ranking.totals)
            note = f" <small>(measured on labels: {html.escape(str(self.judge_rates))})</small>" if (
                name == "judge" and self.judge_rates is not None) else ""
            rows.append(f"<tr><td title='{html.escape(desc)}'>{name}{note}</td><td>{weights[name]:g}</td>{cells}</tr>")
        totals = "".join(f"<td style='{'background:#d8f0d8' if label == ranking.winner else ''}'><b>"
                         f"{ci.estimate:.3f}</b> [{ci.low:.3f}, {ci.high:.3f}]</td>"
                         for label, ci in ranking.totals.items())
        m = ranking.margin
        verdict = "ahead outside the interval" if ranking.decisive else "<b>not decisive</b>: the interval includes 0"
        self._out.value = (f"<table><tr><th>criterion</th><th>weight</th>{head}</tr>{''.join(rows)}"
                           f"<tr><td><b>weighted total</b></td><td></td>{totals}</tr></table>"
                           f"<p>Winner: <b>{html.escape(ranking.winner)}</b> by {m.estimate:+.3f} "
                           f"[{m.low:+.3f}, {m.high:+.3f}] over {html.escape(ranking.runner_up)} ({verdict}; "
                           f"{ranking.items} questions).</p>")

    def _cell(self, label: str, criterion: str) -> str:
        ci = self.means[label].get(criterion)
        return "-" if ci is None else f"{ci.estimate:.2f} <small>[{ci.low:.2f}, {ci.high:.2f}]</small>"


JudgeDemo = RubricDemo  # the demo's earlier name
