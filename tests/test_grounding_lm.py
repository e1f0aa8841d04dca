"""Token-level support (labkit.grounding.lm_support) read with the real SmolLM2 weights in transformers."""

from __future__ import annotations

import numpy as np
import pytest

from labkit import data
from labkit.grounding import evaluate, lm_support

pytest.importorskip("gguf")
pytestmark = pytest.mark.slow

# (context, question, supported answer, answer with invented content of about the same length)
PAIRS = [
    ("The Team plan allows files up to 100 MB per upload. Larger files are refused with a clear error message.",
     "What is the upload limit on Team?",
     "Team allows files up to 100 MB per upload; larger files are refused.",
     "Team allows unlimited uploads and converts every video to MP4 automatically."),
    ("The lighthouse on Grey Point was built in 1871 from local granite. It was automated in 1984 and the keepers left.",
     "",
     "The Grey Point lighthouse was built of local granite and later automated.",
     "The Grey Point lighthouse was painted red and moved inland by the navy."),
    ("Seeds should be sown in trays indoors in early spring and kept moist until they sprout.",
     "When should the seeds be sown?",
     "Sow the seeds in trays indoors in early spring and keep them moist.",
     "Sow the seeds directly outdoors in late autumn and let them dry out."),
    ("A generator function returns an iterator; each call to next() runs the body until the next yield.",
     "What does a generator function return?",
     "It returns an iterator, and next() runs the body until the next yield.",
     "It returns a list, and every element is computed before the first call."),
]


@pytest.mark.parametrize(("context", "question", "good", "bad"), PAIRS)
def test_supported_answer_has_more_support_than_an_invented_one(context: str, question: str, good: str,
                                                                 bad: str) -> None:
    s_good = lm_support.token_support(context, question, good)
    s_bad = lm_support.token_support(context, question, bad)
    assert s_good.score() > s_bad.score(), (s_good.weakest_tokens(), s_bad.weakest_tokens())
    assert len(s_good.tokens) == len(s_good.support) > 0 and 0 < s_good.score() < 1


def test_shuffled_contexts_leave_nothing_to_detect() -> None:
    """Falsification: with each answer read against another passage, the label is no longer in the input."""
    rows = [r for r in data.records("grounding_ood", "train") if r["task"] == "qa"][:20]
    y = [r["supported"] for r in rows]
    # support_scores reads each passage once for the pair of answers that share it (same numbers as
    # token_support up to float rounding, about half the forward-pass work)
    questions, answers = [r["question"] for r in rows], [r["answer"] for r in rows]
    true = [t.score() for t in lm_support.support_scores([r["context"] for r in rows], questions, answers)]
    perm = np.roll(np.arange(len(rows)), 2)  # pairs are adjacent: a shift of 2 always moves to another passage
    shuffled = [t.score() for t in lm_support.support_scores([rows[j]["context"] for j in perm], questions, answers)]
    assert evaluate.auroc(true, y) >= 0.7
    assert abs(evaluate.auroc(shuffled, y) - 0.5) <= 0.2


def test_empty_answer_and_length_mismatch() -> None:
    empty = lm_support.token_support("Some context.", "", "   ")
    assert empty.tokens == [] and empty.weakest_stretch() == 0.0
    with pytest.raises(ValueError, match="same length"):
        lm_support.support_scores(["a"], ["b", "c"], ["d"])


def test_cli_adds_token_support(tmp_path) -> None:
    import json

    from labkit.cli.ground import score_file

    src = tmp_path / "in.jsonl"
    ctx, q, good, _ = PAIRS[0]
    src.write_text(json.dumps({"id": "a", "context": ctx, "question": q, "answer": good}) + "\n")
    out = tmp_path / "out.jsonl"
    with out.open("w") as f:
        assert score_file(src, f, token_support=True) == 1
    row = json.loads(out.read_text())
    assert 0 <= row["token_support"]["score"] <= 1 and row["token_support"]["weakest_tokens"]
