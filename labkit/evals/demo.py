"""The LLM-as-judge playground behind ``demos/llm_as_judge``: rubric weight sliders over judged answers.

The judge is called once per answer, up front; moving a slider only reweights the stored
per-criterion scores (``JudgeScore.reweight``), so the widget responds instantly. The same
computation is available without widgets (:meth:`JudgeDemo.verdict`), which is what tests and
headless notebook runs use.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labkit.evals.judge import Criterion, JudgeScore, Rubric

DEMO_RUBRIC = Rubric((
    Criterion("factuality", "every fact agrees with the context; 1 = a claim contradicts it, 5 = all correct"),
    Criterion("helpfulness", "it gives the user what they need; 1 = useless, 5 = fully answers with useful detail"),
    Criterion("tone", "friendly, professional and suited to the task; 1 = cold or rude, 5 = just right"),
    Criterion("concision", "no padding or repetition; 1 = rambling, 5 = as short as it can be"),
), name="demo")
SOURCES = ("judge", "judge (expected, from log-probs)", "human")
NEAR_TIE = 0.25  # integer or human scores: a margin below a quarter point is a near-tie


@dataclass
class Verdict:
    """Which answer wins one sample under given weights.

    Attributes:
        sample: sample id; source: where the scores came from (one of ``SOURCES``).
        weights: the criterion weights used.
        aggregates: answer key -> weighted aggregate.
        spreads: answer key -> the judge's own uncertainty of that aggregate (None where unknown).
        winner: the key with the highest aggregate ("tie" when equal).
        margin: best minus second-best aggregate.
        near_tie: the margin is below the judge's uncertainty (or below 0.25 without one).
    """

    sample: str
    source: str
    weights: dict[str, float]
    aggregates: dict[str, float]
    spreads: dict[str, float | None] = field(default_factory=dict)
    winner: str = ""
    margin: float = 0.0
    near_tie: bool = False


class JudgeDemo:
    """Weight sliders over judged answers to a few samples.

    Args:
        samples: rows of ``datasets/judge_labels`` (split ``demo``): id, label, question, context and
            ``answers`` ({key: {"text", "human", "why"}}).
        judged: (sample id, answer key) -> the judge's score of that answer (extra keys, e.g. a padded
            answer "A+padding", appear as extra candidates without human scores).
        rubric: the rubric the judge used (its criteria name the sliders).
    """

    def __init__(self, samples: Sequence[Mapping[str, Any]], judged: Mapping[tuple[str, str], JudgeScore],
                 rubric: Rubric = DEMO_RUBRIC) -> None:
        if not samples:
            raise ValueError("give at least one sample")
        self.samples = {str(s["id"]): s for s in samples}
        self.judged = dict(judged)
        self.rubric = rubric
        for (sid, key), score in self.judged.items():
            if sid not in self.samples:
                raise ValueError(f"judged score for unknown sample {sid!r}")
            if set(score.scores) != set(rubric.names):
                raise ValueError(f"the score of {sid}/{key} has criteria {sorted(score.scores)}, not {rubric.names}")
        self._box: Any = None
        self._widgets: dict[str, Any] = {}
        self._last: Verdict | None = None

    def candidates(self, sample: str, include_extra: bool = True) -> list[str]:
        """Answer keys of a sample: its own answers, then judged extras (e.g. a padded answer)."""
        own = list(self.samples[sample]["answers"])
        extra = [k for (s, k) in self.judged if s == sample and k not in own]
        return own + (extra if include_extra else [])

    def verdict(self, sample: str, weights: Mapping[str, float] | None = None, source: str = "judge",
                *, include_extra: bool = False) -> Verdict:
        """Aggregate every candidate of a sample under ``weights`` and pick the winner.

        Args:
            sample: a sample id.
            weights: criterion -> weight (missing criteria keep the rubric's weight).
            source: "judge" (integer scores), "judge (expected, from log-probs)" or "human".
            include_extra: also rank judged extras such as a padded answer (judge sources only).
        """
        if sample not in self.samples:
            raise ValueError(f"unknown sample {sample!r}; have {sorted(self.samples)}")
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        rubric = self.rubric.with_weights(weights or {})
        aggregates: dict[str, float] = {}
        spreads: dict[str, float | None] = {}
        answers = self.samples[sample]["answers"]
        for key in self.candidates(sample, include_extra and source != "human"):
            if source == "human":
                aggregates[key] = rubric.aggregate(answers[key]["human"])
                spreads[key] = None
            else:
                score = self.judged.get((sample, key))
                if score is None:
                    raise ValueError(f"no judge score for {sample}/{key}; judge every answer first")
                aggregates[key] = score.reweight(rubric, use_expected=source != "judge")
                spreads[key] = score.spread(rubric) if source != "judge" else None
        ranked = sorted(aggregates, key=lambda k: -aggregates[k])
        margin = aggregates[ranked[0]] - aggregates[ranked[1]] if len(ranked) > 1 else 0.0
        known = [s for s in (spreads.get(ranked[0]), spreads.get(ranked[1]) if len(ranked) > 1 else None) if s]
        threshold = max(known) if known else NEAR_TIE
        return Verdict(sample=sample, source=source, weights=rubric.weights, aggregates=aggregates, spreads=spreads,
                       winner="tie" if margin == 0 else ranked[0], margin=margin, near_tie=margin < threshold)

    # -- widgets ---------------------------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The widget: sample picker, score source, one weight slider per criterion, and the verdict."""
        if self._box is None:
            self._build()
        return self._box

    def _build(self) -> None:
        import ipywidgets as w

        sample = w.Dropdown(options=[(s.get("label", k), k) for k, s in self.samples.items()], description="sample")
        source = w.Dropdown(options=list(SOURCES), value=SOURCES[1], description="scores")
        extra = w.Checkbox(value=False, description="add the padded answer")
        sliders = {c.name: w.FloatSlider(value=c.weight, min=0, max=5, step=0.5, description=c.name,
                                         continuous_update=True) for c in self.rubric.criteria}
        out = w.HTML()
        self._widgets = {"sample": sample, "source": source, "extra": extra, "sliders": sliders, "out": out}
        for control in [sample, source, extra, *sliders.values()]:
            control.observe(lambda _change: self._render(), names="value")
        self._box = w.VBox([w.HBox([sample, source, extra]), w.HBox(list(sliders.values())[:2]),
                            w.HBox(list(sliders.values())[2:]), out])
        self._render()

    def update(self, sample: str | None = None, weights: Mapping[str, float] | None = None,
               source: str | None = None, *, include_extra: bool | None = None) -> Verdict:
        """Set the controls (as a person would) and return the verdict now shown."""
        assert self.widget is not None  # builds the widgets on first use
        ws = self._widgets
        with_render = False
        for name, value in (("sample", sample), ("source", source), ("extra", include_extra)):
            if value is not None and ws[name].value != value:
                ws[name].value = value
                with_render = True
        for name, weight in (weights or {}).items():
            if name not in ws["sliders"]:
                raise ValueError(f"unknown criterion {name!r}; sliders are {list(ws['sliders'])}")
            ws["sliders"][name].value = float(weight)
            with_render = True
        if not with_render:
            self._render()
        if self._last is None:
            raise ValueError("every weight is 0: give at least one criterion a weight above 0")
        return self._last

    def _render(self) -> None:
        ws = self._widgets
        weights = {n: s.value for n, s in ws["sliders"].items()}
        if sum(weights.values()) <= 0:
            ws["out"].value = "<p><b>Give at least one criterion a weight above 0.</b></p>"
            self._last = None
            return
        sid = ws["sample"].value
        v = self.verdict(sid, weights, ws["source"].value, include_extra=ws["extra"].value)
        self._last = v
        s = self.samples[sid]
        rows = []
        for key, agg in v.aggregates.items():
            judged = self.judged.get((sid, key))
            human = s["answers"].get(key, {}).get("human", {})
            text = s["answers"][key]["text"] if key in s["answers"] else "(padded version of A)"
            cells = "".join(f"<td>{judged.scores[n] if judged else '-'} / {human.get(n, '-')}</td>"
                            for n in self.rubric.names)
            style = " style='background:#d8f0d8'" if key == v.winner else ""
            spread = v.spreads.get(key)
            rows.append(f"<tr{style}><td><b>{html.escape(key)}</b></td><td style='max-width:28em'>"
                        f"{html.escape(text)}</td>{cells}<td><b>{agg:.2f}</b>"
                        f"{f' ± {spread:.2f}' if spread else ''}</td></tr>")
        head = "".join(f"<th>{n}<br><small>judge / human</small></th>" for n in self.rubric.names)
        note = " — a near-tie: the margin is inside the judge's own uncertainty" if v.near_tie else ""
        ws["out"].value = (f"<p><b>Q:</b> {html.escape(s['question'])}</p><table><tr><th></th><th>answer</th>"
                           f"{head}<th>aggregate ({html.escape(v.source)})</th></tr>{''.join(rows)}</table>"
                           f"<p>Winner: <b>{v.winner}</b> by {v.margin:.2f}{note}</p>")
