"""labkit.evals.judge: rubric arithmetic, bias measurements, agreement; the real judge under a JSON schema."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.evals import judge
from labkit.evals.judge import Comparison, Criterion, JudgeScore, Rubric

RUBRIC = Rubric((Criterion("correctness", "facts agree with the context", 3),
                 Criterion("helpfulness", "answers the question", 1)))


def test_rubric_aggregate_is_the_weighted_mean_and_weights_can_change() -> None:
    assert RUBRIC.aggregate({"correctness": 5, "helpfulness": 1}) == pytest.approx((3 * 5 + 1 * 1) / 4)
    flipped = RUBRIC.with_weights(correctness=1, helpfulness=3)
    assert flipped.aggregate({"correctness": 5, "helpfulness": 1}) == pytest.approx(2.0)
    assert RUBRIC.weights == {"correctness": 3, "helpfulness": 1}  # the original is unchanged
    assert RUBRIC.schema()["required"] == ["correctness", "helpfulness"]
    with pytest.raises(ValueError, match="unknown criteria"):
        RUBRIC.with_weights(tone=2)
    with pytest.raises(ValueError, match="lack"):
        RUBRIC.aggregate({"correctness": 5})
    with pytest.raises(ValueError, match="JSON key"):
        Criterion("Bad Name", "x")
    with pytest.raises(ValueError, match="weight"):
        Criterion("ok", "x", weight=-1)
    with pytest.raises(ValueError, match="unique"):
        Rubric((Criterion("a", "x"), Criterion("a", "y")))
    with pytest.raises(ValueError, match="weight > 0"):
        Rubric((Criterion("a", "x", 0),))


def test_judge_score_reweights_without_asking_again() -> None:
    s = JudgeScore(scores={"correctness": 2, "helpfulness": 5}, expected={"correctness": 2.4, "helpfulness": 4.5},
                   aggregate=RUBRIC.aggregate({"correctness": 2, "helpfulness": 5}), rubric=RUBRIC, model="m", raw="{}")
    assert s.reweight({"helpfulness": 9}) == pytest.approx((3 * 2 + 9 * 5) / 12)
    assert s.reweight(RUBRIC, use_expected=True) == pytest.approx((3 * 2.4 + 4.5) / 4)


def _tok(text: str, alts: dict[str, float] | None = None) -> SimpleNamespace:
    tops = [SimpleNamespace(token=t, logprob=math.log(p)) for t, p in (alts or {text: 1.0}).items()]
    return SimpleNamespace(token=text, top_logprobs=tops)


def test_expected_scores_come_from_the_digit_token_probabilities() -> None:
    content = '{"correctness": 4, "helpfulness":2}'
    tokens = [_tok('{"'), _tok("correctness"), _tok('":'), _tok(" 4", {" 4": 0.5, " 5": 0.3, " 0": 0.1, "x": 0.1}),
              _tok(', "'), _tok("helpfulness"), _tok('":'), _tok("2", {"2": 0.6, "1": 0.4}), _tok("}")]
    got = judge._digit_expectations(content, tokens, ["correctness", "helpfulness"])
    assert got is not None
    assert got["correctness"] == pytest.approx((4 * 0.5 + 5 * 0.3) / 0.8)  # "0" and "x" are not 1-5 scores
    assert got["helpfulness"] == pytest.approx(2 * 0.6 + 1 * 0.4)
    assert judge._digit_expectations("other text", tokens, ["correctness"]) is None  # tokens do not spell it
    fenced = [_tok("```json\n"), *tokens, _tok("\n```")]  # a wrapper the server strips from the content
    assert judge._digit_expectations(content, fenced, ["correctness", "helpfulness"]) == got
    dist = judge._digit_distributions(content, tokens, ["correctness", "helpfulness"])
    assert dist["helpfulness"] == pytest.approx({1: 0.4, 2: 0.6, 3: 0, 4: 0, 5: 0})
    s = JudgeScore(scores={"correctness": 4, "helpfulness": 2}, expected=got, aggregate=3.5, rubric=RUBRIC,
                   model="m", raw=content, distributions=dist)
    # helpfulness alone: the std of a 1-or-2 coin with p=0.6 is sqrt(0.24)
    assert s.spread({"correctness": 0, "helpfulness": 1}) == pytest.approx(math.sqrt(0.24))
    assert JudgeScore({"correctness": 4, "helpfulness": 2}, None, 3.5, RUBRIC, "m", "{}").spread() is None


def test_position_bias_verbosity_bias_and_agreement_arithmetic() -> None:
    always_first = [Comparison("tie", ("a", "b"), (True, True)) for _ in range(10)]
    pb = judge.position_bias(always_first)
    assert pb.first_rate.estimate == 1.0 and pb.consistency.estimate == 0.0
    fair = [Comparison("a", ("a", "a"), (True, False)) for _ in range(10)]
    assert judge.position_bias(fair).first_rate.estimate == 0.5
    with pytest.raises(ValueError, match="both orders"):
        judge.position_bias([Comparison("a", ("a",), (True,))])

    def js(c: int) -> JudgeScore:
        return JudgeScore({"correctness": c, "helpfulness": c}, None, float(c), RUBRIC, "m", "{}")

    vb = judge.verbosity_bias([js(3)] * 6, [js(4)] * 6)
    assert vb.score_gain.diff == 1.0 and vb.gains == [1.0] * 6
    a = judge.agreement([True, True, False, False], [True, False, False, False])
    assert a.accuracy == 0.75 and a.confusion == {"pass/pass": 1, "pass/fail": 0, "fail/pass": 1, "fail/fail": 2}
    assert a.kappa == pytest.approx(0.5)
    assert "kappa" in str(a)
    assert judge.pad("It is $24.").startswith(judge.PADDING_BEFORE) and "$24" in judge.pad("It is $24.")


@pytest.mark.server
def test_real_judge_returns_schema_valid_scores(embedded: Any) -> None:
    s = judge.score("How much is the Team plan?", "The Team plan costs $24 per user per month.",
                    "The Team plan costs $24 per user per month [1].", rubric=judge.DEFAULT_RUBRIC)
    assert set(s.scores) == set(judge.DEFAULT_RUBRIC.names)
    assert all(1 <= v <= 5 for v in s.scores.values())
    assert s.aggregate == pytest.approx(judge.DEFAULT_RUBRIC.aggregate(s.scores))
    assert s.input_tokens > 0 and s.output_tokens > 0
    if s.expected:  # llama.cpp returns log-probabilities: expected scores lie on the same scale
        assert all(1 <= v <= 5 for v in s.expected.values())
    many = judge.score_many([{"question": "Q?", "context": "C.", "answer": "A."}] * 2, RUBRIC, workers=2)
    assert len(many) == 2 and all(set(m.scores) == {"correctness", "helpfulness"} for m in many)
    with pytest.raises(ValueError, match="answer"):
        judge.score("Q?", "C.", "  ")


@pytest.mark.server
def test_real_pairwise_comparison_asks_both_orders(embedded: Any) -> None:
    c = judge.compare("How much is the Team plan?", "The Team plan costs $24 per user per month.",
                      answer_a="$24 per user per month.", answer_b="It is free.")
    assert len(c.picks) == 2 and set(c.picks) <= {"a", "b"} and c.winner in ("a", "b", "tie")
    assert c.consistent == (c.winner != "tie")
    # the first pick names the first-shown answer exactly when picked_first says so
    assert (c.picks[0] == "a") == c.picked_first[0] and (c.picks[1] == "b") == c.picked_first[1]
