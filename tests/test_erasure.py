"""Erasure that reaches every store: the identifier matcher, each store's erase/count_mentions API, and
the whole scenario of issue 17 (content-capturing traces, a colleague's cached answer built from the
person's ticket, an eval run) with a falsification per store: skip one store's erasure and the search
afterwards finds the copies, so the notebook's check would fail."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from labkit import tracing
from labkit.cache import ExactCache, SemanticCache
from labkit.enterprise.identifiers import ERASED, Erased, PersonMatcher
from labkit.enterprise.tenancy import IsolatedRag
from labkit.evals.runs import Run, RunRow, RunStore
from labkit.lineage import LineageStore, bag_of_words

NAME, EMAIL, PHONE = "Ana Lopez", "ana.lopez@acme.example", "+1 415 555 0132"
PERSON = [NAME, EMAIL, PHONE]
TICKET = {"id": "acme-u1", "title": "Refund ticket",
          "text": f"{NAME} ({EMAIL}, {PHONE}) asks for a refund of order 4471 after a double charge."}
TOY = [
    {"id": "pub-1", "title": "Team plan price", "text": "The Team plan costs 24 dollars per user per month.",
     "tenant": "shared", "data_class": "public"},
    {"id": "acme-1", "title": "Acme contract", "text": "Acme pays 31 dollars per seat under contract AC-7781.",
     "tenant": "acme", "data_class": "confidential"},
]


# ---------------------------------------------------------------- the matcher
def test_matcher_finds_the_forms_stores_hold() -> None:
    m = PersonMatcher([*PERSON, "ana"])
    assert m.count("ANA.LOPEZ@ACME.EXAMPLE wrote") == 1  # email case-folded
    assert m.count("call 14155550132 or (415) 555-0132") == 1  # digits only; the national form lacks the 1
    assert m.count("call +1-415-555-0132") == 1
    assert m.count("ana  lopez") == 1  # whitespace runs inside a name
    assert m.count("bananas and a lopezite") == 0  # whole identifiers only: user id "ana" is not in "bananas"
    assert m.count("call 241415555013299") == 0  # a phone inside a longer number is another number
    assert m.count({"to": [f"hi {NAME}"], EMAIL: 1}) == 2  # JSON values and keys
    assert m.redact({"a": [f"{NAME} <{EMAIL}>"]}) == {"a": [f"{ERASED} <{ERASED}>"]}
    with pytest.raises(ValueError, match="at least one identifier"):
        PersonMatcher(["", "  "])


# ---------------------------------------------------------------- each store's API
def test_span_store_deletes_the_persons_traces_and_redacts_mentions_elsewhere(tmp_path: Path) -> None:
    t = tracing.Tracing(tmp_path / "traces.sqlite", sample_rate=1.0, instrument_llm=False, capture_content=True)
    try:
        with t.span("ask", attributes={"enduser.id": "ana", "gen_ai.input.messages": f"I am {NAME}"}) as own:
            pass
        with t.span("ask", attributes={"gen_ai.input.messages": f"Ticket: {PHONE.replace(' ', '')} wants a refund"}):
            pass
        with t.span("ask", attributes={"gen_ai.input.messages": "unrelated"}):
            pass
        t.flush()
        store = t.store
        assert store.count_mentions(PERSON) == 2
        done = store.erase(PERSON, trace_ids=[tracing.trace_id_of(own)])
        assert done == Erased(removed=1, redacted=1)
        assert store.count_mentions(PERSON) == 0 and store.count() == (2, 2)
        texts = sorted(s.attributes["gen_ai.input.messages"] for s in store.spans())
        assert texts == [f"Ticket: {ERASED} wants a refund", "unrelated"]
    finally:
        t.shutdown()


def test_exact_cache_erases_entries_that_mention_the_person_or_their_namespace() -> None:
    cache = ExactCache()
    cache.put("m", [{"role": "user", "content": "refund?"}], {"text": "ok"}, namespace="acme/ana")
    cache.put("m", [{"role": "user", "content": "who?"}], {"text": f"that is {NAME}"}, namespace="acme/bo")
    cache.put("m", [{"role": "user", "content": "price?"}], {"text": "24 dollars"}, namespace="acme/bo")
    assert cache.count_mentions([*PERSON, "ana"]) == 2
    assert cache.erase([*PERSON, "ana"]) == Erased(removed=2)
    assert cache.count_mentions([*PERSON, "ana"]) == 0 and len(cache) == 1


def test_semantic_cache_entry_built_from_an_erased_document_is_found_through_lineage(tmp_path: Path) -> None:
    """The colleague's answer names nobody; only lineage knows it was built from the person's ticket."""
    lineage = LineageStore(tmp_path / "lineage.sqlite", embedder=bag_of_words())
    lineage.record_answer("req-bo-1", [("acme-u1", 1)], question="what is the refund about?")
    lineage.record_answer("req-bo-2", [("acme-1", 1)], question="contract price?")
    cache = SemanticCache(embedder=lambda texts: np.ones((len(texts), 4), np.float32), guard=None)
    cache.put("what is the refund about?", "A double charge on order 4471.", namespace="acme/bo",
              metadata={"request_id": "req-bo-1"})
    cache.put("contract price?", "31 dollars per seat.", namespace="acme/bo", metadata={"request_id": "req-bo-2"})
    built_from = lineage.answers_using("acme-u1")
    assert built_from == ["req-bo-1"] and cache.count_mentions(PERSON) == 0  # invisible to a text search
    assert cache.erase([*PERSON, *built_from]) == Erased(removed=1)
    assert cache.lookup("what is the refund about?", namespace="acme/bo").answer == "31 dollars per seat."
    assert lineage.erase(PERSON, request_ids=built_from) == Erased(removed=1)
    assert lineage.answers_using("acme-u1") == [] and lineage.sources_of("req-bo-2")
    lineage.close()


def test_eval_runs_are_redacted_not_deleted(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    rows = [RunRow("q1", f"What does {NAME} want?", "single_fact", "acme", None, output="Call +14155550132.",
                   ranked_ids=["acme-u1"]),
            RunRow("q2", "Team plan price?", "single_fact", None, "24", output="24 dollars", ranked_ids=["pub-1"])]
    store.save(Run(id="r1", name="nightly", created="2026-01-01", dataset="golden", config={}, wall_s=1.0,
                   workers=1, generate=True, rows=rows))
    ids = [*PERSON, "acme-u1"]
    assert store.count_mentions(ids) == 1
    assert store.erase(ids) == Erased(redacted=1)
    loaded = store.load("r1")
    assert store.count_mentions(ids) == 0 and len(loaded.rows) == 2
    assert (loaded.rows[0].question, loaded.rows[0].output, loaded.rows[0].ranked_ids) == (
        f"What does {ERASED} want?", f"Call {ERASED}.", [ERASED])
    assert loaded.rows[1].output == "24 dollars"


# ---------------------------------------------------------------- the whole scenario
def _answer_with_captured_content(rag: IsolatedRag) -> Any:
    """The app's model step, as a content-capturing tracer records it: the prompt holds the retrieved
    documents (the ticket, with the person's contact details) and the answer paraphrases it."""

    def answer(question: str, tenant: str | None = None, **_: Any) -> Any:
        hits = rag.app.retrieve(question, tenant)
        prompt = "\n".join(f"[{n}] {h.text}" for n, h in enumerate(hits, 1)) + f"\nQuestion: {question}"
        text = "A refund for a double charge on order 4471 [1]." if hits[0].document_id == "acme-u1" else "24 dollars [1]."
        with tracing.span("chat stub", category="llm", attributes={
                "gen_ai.input.messages": json.dumps([{"role": "user", "content": prompt}]),
                "gen_ai.output.messages": json.dumps([{"role": "assistant", "content": text}])}):
            pass
        return SimpleNamespace(text=text, retrieved_ids=[h.document_id for h in hits], citations=[hits[0].document_id])

    return answer


@pytest.fixture
def scenario(tmp_path: Path) -> Any:
    from labkit.rag import RagConfig

    t = tracing.setup(tmp_path / "traces.sqlite", sample_rate=1.0, capture_content=True, instrument_llm=False)
    lineage = LineageStore(tmp_path / "lineage.sqlite", embedder=bag_of_words())
    runs = RunStore(tmp_path / "runs.sqlite")
    rag = IsolatedRag(TOY, config=RagConfig(k=2, max_tokens=12), cache=ExactCache(), workdir=tmp_path / "work",
                      lineage=lineage, stores={"eval runs": runs})
    rag.app.answer = _answer_with_captured_content(rag)
    rag.ingest([TICKET], tenant="acme", user="ana")
    own = rag.answer(f"Why does {NAME} want a refund?", "acme", "ana")
    colleague = rag.answer("What is the refund ticket about?", "acme", "bo")
    assert own.retrieved_ids[0] == colleague.retrieved_ids[0] == "acme-u1"
    assert rag.answer("What is the refund ticket about?", "acme", "bo").cached  # the colleague's cache serves it
    runs.save(Run(id="r1", name="nightly", created="2026-01-01", dataset="golden", config={}, wall_s=1.0, workers=1,
                  generate=True, rows=[RunRow("q1", "Who asked for a refund?", "single_fact", "acme", NAME,
                                              output=f"{NAME.upper()}, {PHONE.replace(' ', '-')}")]))
    yield rag
    t.shutdown()
    lineage.close()
    rag.close()


STORES = ["index", "cache", "request log", "traces", "lineage", "eval runs", "audit"]


def test_erasure_leaves_no_copy_in_any_store(scenario: IsolatedRag) -> None:
    before = scenario.search_everywhere("acme", "ana", PERSON)
    assert all(before[s] > 0 for s in STORES), before  # every store held a copy: the check has teeth
    report = scenario.erase_user("acme", "ana", identifiers=PERSON)
    assert report.complete, report.remaining
    assert set(STORES) <= set(report.remaining) and report.removed["traces"].total > 0
    colleague = scenario.answer("What is the refund ticket about?", "acme", "bo")
    assert not colleague.cached and "acme-u1" not in colleague.retrieved_ids  # rebuilt without the ticket
    assert scenario.audit.verify().ok
    assert {r["store"] for r in report.rows()} >= set(STORES)


@pytest.mark.parametrize("skipped", ["cache", "request log", "traces", "lineage", "eval runs", "audit"])
def test_skipping_one_store_is_caught_by_the_search(scenario: IsolatedRag, skipped: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Falsification: an erasure that forgets one store reports complete=False, naming that store, so the
    notebook's ``assert report.complete`` would fail."""
    def nothing(*args: Any, **kwargs: Any) -> Erased:
        return Erased()

    if skipped == "request log":
        monkeypatch.setattr(scenario.log, "erase_user", lambda *a: 0)
        monkeypatch.setattr(scenario.log, "scrub", lambda *a: 0)
    elif skipped == "audit":
        monkeypatch.setattr(scenario.audit, "forget", lambda *a: False)
    else:
        store = {"cache": scenario.cache, "traces": tracing.current().store, "lineage": scenario.lineage,
                 "eval runs": scenario.stores["eval runs"]}[skipped]
        monkeypatch.setattr(store, "erase", nothing)
    report = scenario.erase_user("acme", "ana", identifiers=PERSON)
    assert not report.complete
    assert report.remaining[skipped] > 0 and not any(v for s, v in report.remaining.items() if s != skipped), \
        report.remaining
