"""The failure taxonomy, the hand codes, and the two targeted checks of labkit.evals.failures."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from labkit.evals import failures
from labkit.evals.metrics import score_item

SOURCES = "[1] Plans\nBusiness workspaces get 900 requests per minute; Team gets 300. Seats: up to 1,000."


def test_invented_number_flags_a_figure_missing_from_sources():
    assert failures.invented_number("The Business limit is 402 a minute.", SOURCES)
    assert failures.invented_number("The answer is: 3", SOURCES)


def test_invented_number_is_false_when_every_figure_is_supported():
    # falsification: the mode is absent (figures from the sources, the question, markers, list ordinals)
    for answer in ("Business gets 900 requests per minute [1].", "Up to 1,000 seats.", "I don't know.",
                   "1. Team has 300 [1]\n2. Business has 900 [2] [3]", "The Team plan."):
        assert not failures.invented_number(answer, SOURCES), answer
    assert not failures.invented_number("It is 42.", SOURCES, question="Is the answer 42?")


def test_degenerate_flags_loops_marker_lists_and_pasted_sources():
    loop = "The plan is a service provided by the API. The plan is a service provided by the API."
    for answer in (loop, "1. [1] a\n2. [2] b\n3. [3] [4] [5]", "The maximum page size is 2560000000000000000",
                   "[4] Restricting access by IP address With an IP allowlist, members can sign in"):
        assert failures.degenerate(answer), answer


def test_degenerate_is_false_on_plain_answers():
    for answer in ("Business gets 900 requests per minute [1].", "I don't know.", "Team, at $16 per user [1][2].",
                   "Exports stay for 7 days; release 5.1 changed it from 24 hours."):
        assert not failures.degenerate(answer), answer


def test_codes_load_and_every_code_is_in_the_taxonomy():
    rows = failures.load_codes()
    assert len(rows) == 71
    assert all(r["codes"] and set(r["codes"]) <= set(failures.TAXONOMY) for r in rows)
    assert len({r["item_id"] for r in rows}) == len(rows)
    counts = failures.code_counts(rows)
    assert list(counts)[:2] == list(failures.CHECKS.values())  # the checks target the two biggest modes


def test_agreement_counts_and_rates():
    a = failures.agreement([True, True, False, False, True], [True, False, False, True, True],
                           check="c", code="x")
    assert (a.tp, a.fn, a.tn, a.fp) == (2, 1, 1, 1)
    assert a.tpr == pytest.approx(2 / 3) and a.tnr == pytest.approx(0.5)
    with pytest.raises(ValueError, match="same, non-zero"):
        failures.agreement([True], [], check="c", code="x")


def test_is_failure_rule():
    assert failures.is_failure({"token_f1": 0.2, "abstention_correct": 1.0})
    assert failures.is_failure({"token_f1": None, "abstention_correct": 0.0})
    assert not failures.is_failure({"token_f1": 0.5, "abstention_correct": 1.0})


def test_score_item_carries_the_checks_only_with_context():
    item = {"id": "q", "kind": "numeric", "question": "Business API limit?", "answer": "900", "doc_ids": ["d"]}
    with_ctx = score_item(item, "It is 402.", abstained=False, context_text=SOURCES)
    assert with_ctx["invented_number"] == 1.0 and with_ctx["degenerate"] == 0.0
    assert "invented_number" not in score_item(item, "It is 402.", abstained=False)
    assert score_item(item, "I don't know.", abstained=True, context_text=SOURCES)["invented_number"] is None


def test_number_guard_turns_an_invented_figure_into_an_abstention():
    from labkit.rag.app import Answer

    hit = SimpleNamespace(text=SOURCES, document_id="d")

    def app_saying(text):
        return SimpleNamespace(index=None, config=None, retrieve=lambda q, t=None: [hit],
                               answer=lambda q, tenant=None: Answer(q, text, ["d"], [], [hit], False, "m", "v1", None))

    guarded = failures.NumberGuard(app_saying("It is 402 [1].")).answer("Business API limit?")
    assert guarded.abstained and guarded.text.startswith("I don't know") and guarded.citations == []
    kept = failures.NumberGuard(app_saying("It is 900 [1].")).answer("Business API limit?")
    assert not kept.abstained and kept.text == "It is 900 [1]."


def test_traced_scores_put_each_request_and_its_scores_on_a_span(tmp_path):
    from labkit import tracing
    from labkit.rag.app import Answer

    hit = SimpleNamespace(text=SOURCES, document_id="d")
    inner = SimpleNamespace(index=None, config=None, retrieve=lambda q, t=None: [hit],
                            answer=lambda q, tenant=None: Answer(q, "It is 402 [1].", ["d"], [], [hit], False, "m",
                                                                 "v1", None))
    items = [{"id": "q-1", "question": "Business API limit?", "kind": "numeric", "answer": "900", "doc_ids": ["d"]}]
    t = tracing.setup(tmp_path / "t.sqlite", sample_rate=1.0)
    try:
        failures.TracedScores(inner, items).answer("Business API limit?")
        t.flush()
        df = t.store.sql("SELECT json_extract(attributes, '$.\"eval.item_id\"') AS item, "
                         "json_extract(attributes, '$.\"eval.token_f1\"') AS f1, "
                         "json_extract(attributes, '$.\"eval.invented_number\"') AS inv "
                         "FROM spans WHERE name = 'eval.request'")
    finally:
        tracing.shutdown()
    assert df.to_dict("records") == [{"item": "q-1", "f1": 0.0, "inv": 1.0}]
