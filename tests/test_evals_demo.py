"""labkit.evals.demo: the weight-slider verdicts over measured variant scores behind the LLM-as-judge demo."""

from __future__ import annotations

import pytest

from labkit.evals import rubric
from labkit.evals.demo import JudgeDemo, RubricDemo
from labkit.evals.judge_validation import JudgeAccuracy, Rate
from labkit.evals.runs import Run, RunRow

RATES = rubric.JudgeRates("correct", JudgeAccuracy(Rate(1, 22, 0.01, 0.22), Rate(127, 131, 0.92, 0.99)), "tiny", "embedded")


def _run(name: str, f1: float, cite: float, tokens: int, n: int = 16) -> Run:
    rows = [RunRow(f"q{i}", f"question {i}?", "single_fact", None, "ref", output="answer [1]", abstained=False,
                   latency_s=2.0, input_tokens=tokens + i,
                   scores={"token_f1": f1 + 0.01 * (i % 3), "citation_valid": cite, "abstention_correct": 1.0,
                           "groundedness": 0.5, "judge": 0.25})
            for i in range(n)]
    return Run(f"id-{name}", name, "2026-01-01T00:00:00", "golden/16", {}, 1.0, 1, True, rows)


@pytest.fixture()
def play() -> RubricDemo:
    return RubricDemo([_run("default", 0.5, 0.0, 800), _run("trimmed35", 0.2, 1.0, 400)], judge_rates=RATES)


def test_sliders_reweight_measured_scores_and_flip_the_winner(play: RubricDemo) -> None:
    only = dict.fromkeys(rubric.CRITERIA, 0.0)
    quality = play.verdict({**only, "correctness": 1})
    thrift = play.verdict({**only, "citations": 1, "cost": 1})
    assert (quality.winner, thrift.winner) == ("default", "trimmed35")
    assert quality.decisive and thrift.decisive
    assert quality.totals["default"].estimate == pytest.approx(
        rubric.criterion_means(play.runs[0])["correctness"].estimate)


def test_widget_update_matches_the_verdict(play: RubricDemo) -> None:
    assert play.widget is not None
    v = play.update({"correctness": 5, "citations": 0})
    assert v.winner == "default" and v == play.verdict(v.weights)
    shown = play._out.value
    assert "Winner: <b>default</b>" in shown and "TPR 0.05 [0.01, 0.22]" in shown and "[" in shown  # intervals shown
    with pytest.raises(ValueError, match="unknown criterion"):
        play.update({"style": 1})
    with pytest.raises(ValueError, match="every weight is 0"):
        play.update(dict.fromkeys(rubric.CRITERIA, 0.0))


def test_runs_the_rubric_cannot_rank_are_refused_up_front() -> None:
    with pytest.raises(ValueError, match="at least two runs"):
        RubricDemo([_run("a", 0.5, 0.0, 100)])
    unjudged = _run("b", 0.5, 0.0, 100)
    for r in unjudged.rows:
        r.scores["judge"] = None
    with pytest.raises(ValueError, match="no 'judge' scores"):
        RubricDemo([_run("a", 0.5, 0.0, 100), unjudged])
    assert JudgeDemo is RubricDemo  # the old import path still works
