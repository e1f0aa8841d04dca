"""labkit.evals.demo: the weight-slider verdicts behind the LLM-as-judge demo, and its widget."""

from __future__ import annotations

import pytest

from labkit import data
from labkit.evals.demo import DEMO_RUBRIC, JudgeDemo
from labkit.evals.judge import JudgeScore


def _score(values: dict[str, int], dist_of_factuality: dict[int, float] | None = None) -> JudgeScore:
    dists = {n: {v: 1.0} for n, v in values.items()}
    if dist_of_factuality:
        dists["factuality"] = dist_of_factuality
    expected = {n: sum(d * p for d, p in ps.items()) for n, ps in dists.items()}
    return JudgeScore(values, expected, DEMO_RUBRIC.aggregate(values), DEMO_RUBRIC, "m", "{}", distributions=dists)


@pytest.fixture()
def play() -> JudgeDemo:
    samples = data.records("judge_labels", "demo")
    judged = {}
    for s in samples:
        for key, answer in s["answers"].items():
            judged[s["id"], key] = _score(answer["human"])  # a judge that happens to agree with the person
        judged[s["id"], "A+padding"] = _score({n: 3 for n in DEMO_RUBRIC.names}, {2: 0.5, 4: 0.5})
    return JudgeDemo(samples, judged)


def test_demo_samples_trade_criteria_so_weights_flip_the_winner(play: JudgeDemo) -> None:
    facts = {"factuality": 5, "helpfulness": 0, "tone": 0, "concision": 0}
    helps = {"factuality": 0, "helpfulness": 4, "tone": 1, "concision": 0}
    for source in ("human", "judge"):
        assert play.verdict("factual", facts, source).winner == "A"
        assert play.verdict("factual", helps, source).winner == "B"
    assert play.verdict("creative", {"factuality": 0, "helpfulness": 0, "tone": 1, "concision": 0}, "human").winner == "A"
    assert play.verdict("ambiguous", None, "human").winner == "B"


def test_near_ties_use_the_judges_own_spread(play: JudgeDemo) -> None:
    v = play.verdict("factual", {"factuality": 1, "helpfulness": 0, "tone": 0, "concision": 0},
                     "judge (expected, from log-probs)", include_extra=True)
    assert set(v.aggregates) == {"A", "B", "A+padding"}
    assert v.spreads["A+padding"] == pytest.approx(1.0)  # a 2-or-4 coin flip has std 1
    assert v.winner == "A" and v.margin == pytest.approx(2.0) and not v.near_tie
    human = play.verdict("factual", None, "human", include_extra=True)
    assert "A+padding" not in human.aggregates  # no human scores for the padded copy
    with pytest.raises(ValueError, match="source"):
        play.verdict("factual", None, "crowd")
    with pytest.raises(ValueError, match="unknown sample"):
        play.verdict("poem")


def test_widget_update_matches_the_verdict(play: JudgeDemo) -> None:
    assert play.widget is not None
    v = play.update(sample="creative", source="human", weights={"factuality": 5, "helpfulness": 0, "tone": 0,
                                                                "concision": 0})
    assert v.winner == "B" and v == play.verdict("creative", v.weights, "human")
    assert "Winner: <b>B</b>" in play._widgets["out"].value
    with pytest.raises(ValueError, match="unknown criterion"):
        play.update(weights={"style": 1})
    with pytest.raises(ValueError, match="criteria"):
        JudgeDemo(data.records("judge_labels", "demo"),
                  {("factual", "A"): JudgeScore({"x": 1}, None, 1.0, DEMO_RUBRIC, "m", "{}")})
