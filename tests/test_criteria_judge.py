"""The binary criteria judge: prompt shape, few-shot from train only, verdict parsing (no model needed)."""

from __future__ import annotations

import pytest

from labkit.evals import criteria_judge as cj


def _row(n: int, split: str, correct: bool) -> dict:
    return {"id": f"x-{n}", "split": split, "question": f"q{n}?", "reference": "$24", "answer": f"a{n}",
            "correct": correct, "refusal_ok": True}


ROWS = [_row(1, "test", True), _row(2, "train", True), _row(3, "train", False), _row(4, "train", True),
        _row(5, "train", False), _row(6, "dev", False)]


def test_few_shot_takes_train_items_only_alternating_pass_and_fail() -> None:
    shots = cj.few_shot("correct", ROWS)
    assert [s["id"] for s in shots] == ["x-2", "x-3", "x-4", "x-5"]
    with pytest.raises(ValueError, match="lower per_label"):
        cj.few_shot("correct", ROWS, per_label=3)


def test_messages_put_definition_and_examples_before_the_item() -> None:
    msgs = cj.messages(ROWS[0], "correct", cj.few_shot("correct", ROWS))
    assert cj.CRITERIA["correct"].description in msgs[0]["content"]
    assert [m["role"] for m in msgs[1:]] == ["user", "assistant"] * 4 + ["user"]
    assert msgs[2]["content"] == '{"verdict": "pass"}' and msgs[4]["content"] == '{"verdict": "fail"}'
    assert "Answer to grade: a1" in msgs[-1]["content"]


def test_verdicts_parse_from_json_or_text_and_reject_neither() -> None:
    assert cj.parse_verdict('{"verdict": "pass"}') is True
    assert cj.parse_verdict("Verdict: FAIL, the number is wrong") is False
    with pytest.raises(ValueError, match="neither pass nor fail"):
        cj.parse_verdict("maybe")


def test_judging_a_few_shot_example_is_refused_and_unknown_criteria_named() -> None:
    shots = cj.few_shot("correct", ROWS)
    with pytest.raises(ValueError, match="train only"):
        cj.judge_many([ROWS[1]], "correct", examples=shots, client=object(), model="m")
    with pytest.raises(ValueError, match="choose from correct, refusal_ok"):
        cj.criterion("grounded")
