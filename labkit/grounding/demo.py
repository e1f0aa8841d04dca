"""The grounding_check demo: pick an answer, see each detector's verdict and reasons, slide the threshold.

Kept here (not in the notebook) so the widget logic is testable and the notebook cells stay short.
``GroundingDemo.update()`` recomputes and returns what it displayed, so the demo also runs headless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labkit.grounding import combine, evaluate
from labkit.grounding.score import DEFAULT_THRESHOLD, support_score

SSO_CONTEXT = ("[1] Single sign-on (SAML) is not included in the Starter plan. It is included in Business and "
               "Enterprise.\n\n[2] | Plan | Requests per minute | |---|---| | Free | 60 | | Starter | 120 | "
               "| Team | 300 | | Business | 900 | | Enterprise | 3,000 |")

# "Predict before you click": what will each detector say?
PREDICT_CASES: list[dict[str, Any]] = [
    {"id": "predict: a wrong number", "context": SSO_CONTEXT, "question": "What's the API rate limit on Team?",
     "answer": "Team workspaces get 429 requests per minute [2].", "supported": False},
    {"id": "predict: a right answer with no citation", "context": SSO_CONTEXT,
     "question": "What's the API rate limit on Team?", "answer": "The Team limit is 300 requests per minute.",
     "supported": True},
    {"id": "predict: copies the context but contradicts it", "context": SSO_CONTEXT,
     "question": "Is SSO on Starter?", "answer": "Single sign-on (SAML) is included in the Starter plan [1].",
     "supported": False},
]


@dataclass
class View:
    """What the demo shows for one answer and threshold (returned by ``update`` for checks)."""

    case_id: str
    score: float
    verdict: str
    rule_score: float
    rule_verdict: str
    flags: dict[str, list[str]]
    precision: float
    recall: float
    good_blocked: float
    lines: list[str] = field(default_factory=list)


class GroundingDemo:
    """Widgets for the demo.

    Args:
        cases: rows with ``id``, ``context``, ``question``, ``answer`` and (optionally) ``supported``.
        labelled: labelled rows used for the precision/recall readout (the labelled test split).
    """

    def __init__(self, cases: list[dict[str, Any]], labelled: list[dict[str, Any]]) -> None:
        if not cases or not labelled:
            raise ValueError("need at least one case and one labelled row")
        self.cases = {c["id"]: c for c in cases}
        self.labels = np.array([bool(r["supported"]) for r in labelled])
        self.scores = np.array([support_score(r["context"], r["question"], r["answer"]).score
                                for r in labelled])
        import ipywidgets as w

        self.picker = w.Dropdown(options=list(self.cases), description="answer", layout=w.Layout(width="95%"))
        self.threshold = w.FloatSlider(value=DEFAULT_THRESHOLD, min=0.0, max=1.0, step=0.05,
                                       description="threshold", continuous_update=False)
        self.reveal = w.Checkbox(value=False, description="show detector verdicts (predict first!)")
        self.out = w.Output()
        for control in (self.picker, self.threshold, self.reveal):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([self.picker, self.threshold, self.reveal, self.out])

    def view(self, case_id: str | None = None, threshold: float | None = None) -> View:
        """Compute what the demo shows, without touching the widgets."""
        case = self.cases[case_id or self.picker.value]
        cut = self.threshold.value if threshold is None else threshold
        r = support_score(case["context"], case["question"], case["answer"], threshold=cut)
        rule = combine.fixed_rule(r.per_detector)
        pt = evaluate.threshold_curve(self.scores, self.labels, [cut])[0]
        flags = {n: d.reasons() for n, d in r.per_detector.items() if d.reasons()}
        lines = [f"Q: {case['question']}", f"A: {case['answer']}", "",
                 f"support {r.score:.2f} (learned combiner) -> {'PASS' if r.supported else 'BLOCK'} "
                 f"at threshold {cut:.2f}",
                 f"support {rule:.2f} (fixed rule)        -> {'PASS' if rule >= cut else 'BLOCK'}"]
        if "supported" in case:
            lines.append(f"hand label: {'supported' if case['supported'] else 'UNSUPPORTED'}")
        return View(case["id"], r.score, "pass" if r.supported else "block", rule,
                    "pass" if rule >= cut else "block", flags, pt.precision, pt.recall, pt.blocked_good, lines)

    def update(self) -> View:
        """Redraw the output for the current widget values; returns what was shown."""
        v = self.view()
        with self.out:
            self.out.clear_output(wait=True)
            print("\n".join(v.lines))
            if self.reveal.value:
                for name, reasons in v.flags.items():
                    for reason in reasons:
                        print(f"  {name:9} {reason[:150]}")
                if not v.flags:
                    print("  no detector flagged anything")
            print(f"\nOn the {len(self.labels)} labelled answers, blocking below {self.threshold.value:.2f}: "
                  f"precision {v.precision:.0%}, recall {v.recall:.0%}, good answers blocked {v.good_blocked:.0%}")
        return v
