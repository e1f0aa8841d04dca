"""labkit.evals.metrics: per-item metrics for retrieval, correctness, abstention and citations (pure functions)."""

from __future__ import annotations

import pytest

from labkit.evals import metrics as m

ROW = {"id": "q-1", "question": "How much is Team per user on monthly billing?", "answer": "$24 per user per month",
       "aliases": ["$24"], "kind": "numeric", "doc_ids": ["kb-2"], "tenant": "shared", "numeric_value": 24,
       "outdated_answer": None}


def test_normalise_drops_case_articles_punctuation_and_thousands() -> None:
    assert m.normalise("The Team plan costs $1,200.") == "team plan costs $1200"
    assert m.normalise("An SLA of 99.95%!") == "sla of 99.95%"
    assert m.normalise("  v4.2 ,  TLS 1.2 ") == "v4.2 tls 1.2"
    with pytest.raises(TypeError):
        m.normalise(None)  # type: ignore[arg-type]


def test_exact_match_is_strict_but_contains_accepts_a_sentence() -> None:
    assert m.exact_match("$24.", "$24 per user per month", ["$24"]) == 1.0
    sentence = "The Team plan costs $24 per user per month [1]."
    assert m.exact_match(sentence, ROW["answer"], ROW["aliases"]) == 0.0
    assert m.contains(sentence, ROW["answer"], ROW["aliases"]) == 1.0
    # whole words only: "$240" does not contain "$24"
    assert m.contains("It costs $240 a year", "$24") == 0.0
    with pytest.raises(ValueError, match="reference"):
        m.exact_match("x", "", [])


def test_token_f1_rewards_overlap_and_takes_best_reference() -> None:
    assert m.token_f1("24 dollars per user", "$24 per user per month") == pytest.approx(2 * (2 / 4) * (2 / 5) / (2 / 4 + 2 / 5))
    assert m.token_f1("AES-256", "AES-256 at rest", ["AES-256"]) == 1.0
    assert m.token_f1("nothing in common", "AES-256") == 0.0


def test_numbers_and_numeric_match() -> None:
    assert m.numbers("It is $1,200 a year, 99.95% uptime, 2.5k calls") == [1200, 99.95, 2500]
    assert m.numeric_match("Roughly $1,199.99", 1200) == 1.0  # within 1 %
    assert m.numeric_match("About 1,300", 1200) == 0.0
    assert m.numeric_match("anything", None) is None
    with pytest.raises(TypeError):
        m.numeric_match("1", "1")  # type: ignore[arg-type]


def test_recall_at_k_and_reciprocal_rank() -> None:
    ranked = ["a", "b", "a", "c", "d"]  # repeats are ignored, so c is at rank 3
    assert m.recall_at_k(ranked, ["c", "z"], 3) == 0.5
    assert m.recall_at_k(ranked, ["c"], 2) == 0.0
    assert m.recall_at_k(ranked, [], 5) is None
    assert m.reciprocal_rank(ranked, ["c", "d"]) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(ranked, ["z"]) == 0.0
    with pytest.raises(ValueError, match="k must be"):
        m.recall_at_k(ranked, ["a"], 0)


def test_abstention_stale_and_citations() -> None:
    assert m.abstention_correct(True, "unanswerable") == 1.0
    assert m.abstention_correct(True, "numeric") == 0.0
    assert m.abstention_correct(False, "single_fact") == 1.0
    with pytest.raises(ValueError, match="unknown question kind"):
        m.abstention_correct(False, "trivia")
    assert m.stale_answer("The limit is 50 MB.", "50 MB", current_correct=False) == 1.0
    assert m.stale_answer("It went from 50 MB to 100 MB.", "50 MB", current_correct=True) == 0.0
    assert m.stale_answer("anything", None, False) is None
    assert m.citation_valid(1, 0) == 1.0 and m.citation_valid(0, 0) == 0.0 and m.citation_valid(2, 1) == 0.0
    assert m.citation_precision(["kb-2", "kb-9"], ["kb-2"]) == 0.5
    assert m.citation_precision([], ["kb-2"]) is None


def test_score_item_applies_each_metric_where_it_makes_sense() -> None:
    s = m.score_item(ROW, "Team costs $24 per user per month [1].", ranked_ids=["kb-9", "kb-2"],
                     context_ids=["kb-9", "kb-2"], citations=["kb-2"], abstained=False)
    assert s["recall@1"] == 0.0 and s["recall@5"] == 1.0 and s["mrr"] == 0.5 and s["context_recall"] == 1.0
    assert s["contains"] == 1.0 and s["numeric_match"] == 1.0 and s["exact_match"] == 0.0
    assert s["citation_valid"] == 1.0 and s["citation_precision"] == 1.0 and s["stale_answer"] is None
    unanswerable = {**ROW, "kind": "unanswerable", "doc_ids": [], "answer": "I don't know", "numeric_value": None}
    u = m.score_item(unanswerable, "I don't know.", abstained=True)
    assert u["abstention_correct"] == 1.0 and u["recall@5"] is None and u["contains"] is None
    assert u["citation_valid"] is None  # an abstention needs no citation
    retrieval_only = m.score_item(ROW, None, ranked_ids=["kb-2"])
    assert retrieval_only["recall@1"] == 1.0 and "contains" not in retrieval_only
    with pytest.raises(ValueError, match="abstained"):
        m.score_item(ROW, "text")
    assert set(s) <= set(m.METRICS)


def test_exercise_nb05_recall_reference_agrees_with_labkit() -> None:
    from labkit.exercises import get

    ex = get("nb05.recall")
    for retrieved, relevant, k in ex.inputs():
        assert ex.solution(retrieved, relevant, k) == m.recall_at_k(retrieved, relevant, k)
    with pytest.raises(AssertionError, match="Hint"):
        ex.check(lambda retrieved, relevant, k: len(set(retrieved[:k]) & set(relevant)) / k)  # precision, not recall
