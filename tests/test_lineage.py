"""labkit.lineage: incremental ingestion with lineage, answer tracing, build diffs and invalidation hooks.

Code tests use the tiny bag-of-words embedder (no model load); one test uses the real MiniLM model."""

from __future__ import annotations

import random
import sqlite3

import numpy as np
import pytest

from labkit import lineage
from labkit.lineage import Embedder, Invalidation, LineageStore

TOPICS = ["billing", "passwords", "exports", "webhooks", "regions", "approvals", "storage", "invoices", "tokens",
          "audits"]


def toy_kb(n: int = 20) -> list[dict]:
    rng = random.Random(0)
    words = "form approval request file workspace admin user seat plan limit export region key token".split()
    docs = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        paras = ["\n".join([f"{topic} " + " ".join(rng.choice(words) for _ in range(40))]) for _ in range(3)]
        docs.append({"id": f"kb-{i:04d}", "doc_id": f"{topic}-{i}", "title": f"All about {topic} {i}",
                     "category": "help", "tenant": "shared", "data_class": "public", "version": 1,
                     "status": "current", "updated": "2025-01-01", "text": "\n\n".join(paras)})
    return docs


def counting(dim: int = 64) -> Embedder:
    return lineage.bag_of_words(dim)


@pytest.fixture
def store(tmp_path):
    s = LineageStore(tmp_path / "kb.sqlite", embedder=counting(), chunk_words=40, overlap_words=5)
    yield s
    s.close()


def test_full_ingest_records_lineage_for_every_chunk(store):
    report = store.ingest(toy_kb())
    assert report.run_id == "run-0001" and len(report.added) == 20 and report.chunks_embedded > 20
    chunks = store.chunks()
    assert len(chunks) == sum(1 for _ in chunks) and len(chunks) >= report.chunks_embedded
    for c in chunks:
        assert c.document_id.startswith("kb-") and c.doc_id and c.doc_version == 1
        assert len(c.content_hash) == 20 and c.run_id == "run-0001"
        assert c.embedder == "bag-of-words-64" and "words=40" in c.chunker
    assert store.integrity() == dict.fromkeys(store.integrity(), 0)
    assert store.chunk(chunks[0].chunk_id) == chunks[0]


def test_the_store_opens_as_a_rag_index(store):
    store.ingest(toy_kb())
    index = store.index()
    assert len(index) == len(store.chunks())
    hits = index.search("webhooks", k=3, mode="bm25")
    assert hits and "webhooks" in hits[0].title
    v = store.embedder(["webhooks token"])[0]
    assert index.search("webhooks token", k=2, mode="dense", query_vector=v)


def test_reingest_of_an_unchanged_kb_embeds_nothing(store):
    docs = toy_kb()
    store.ingest(docs)
    before = store.embedder.counter["texts"]
    report = store.ingest(docs)
    assert report.unchanged == 20 and report.chunks_embedded == 0 and not report.changed
    assert store.embedder.counter["texts"] == before
    assert store.diff("run-0001", "run-0002").empty


def test_changing_a_few_documents_reembeds_only_their_new_chunks(store):
    docs = toy_kb()
    store.ingest(docs)
    changed = [dict(d) for d in docs]
    for i in (3, 11):
        changed[i]["text"] += "\n\nNew paragraph: " + " ".join(["refund"] * 30)
    texts_before = store.embedder.counter["texts"]
    report = store.ingest(changed)
    assert sorted(report.changed) == ["kb-0003", "kb-0011"] and report.unchanged == 18
    new_chunks = [c for c in store.chunks() if c.run_id == report.run_id]
    assert {c.document_id for c in new_chunks} == {"kb-0003", "kb-0011"}
    # the untouched paragraphs' chunks keep their embeddings: only the new text is embedded
    assert 0 < report.chunks_embedded < len(new_chunks) and report.chunks_reused > 0
    assert store.embedder.counter["texts"] - texts_before == report.chunks_embedded
    assert all(c.run_id == "run-0001" for c in store.chunks() if c.document_id not in ("kb-0003", "kb-0011"))
    diff = store.diff("run-0001")
    assert diff.changed_documents == ["kb-0003", "kb-0011"] and not diff.added_documents
    assert diff.added_chunks or diff.reembedded_chunks
    assert store.integrity()["orphan_chunks"] == 0


def test_a_metadata_change_reembeds_nothing(store):
    docs = toy_kb()
    store.ingest(docs)
    docs[5] = {**docs[5], "status": "superseded"}
    report = store.ingest(docs)
    assert report.changed == ["kb-0005"] and report.chunks_embedded == 0 and report.chunks_reused > 0
    assert {d["id"]: d["status"] for d in store.documents()}["kb-0005"] == "superseded"


def test_deleted_documents_leave_no_orphans_and_invalidate_caches(store):
    docs = toy_kb()
    store.ingest(docs)
    store.record_answer("req-1", ["kb-0002", "kb-0004"])
    store.record_answer("req-2", ["kb-0004"])
    store.record_answer("req-3", ["kb-0007"])
    cache = {"req-1": "answer 1", "req-2": "answer 2", "req-3": "answer 3"}
    events: list[Invalidation] = []

    @store.on_invalidate
    def drop(inv: Invalidation) -> None:
        events.append(inv)
        for rid in inv.request_ids:
            cache.pop(rid, None)

    report = store.ingest([d for d in docs if d["id"] != "kb-0004"])
    assert report.deleted == ["kb-0004"] and report.chunks_deleted > 0 and report.chunks_embedded == 0
    assert [(e.document_id, e.reason, e.request_ids) for e in events] == [("kb-0004", "deleted", ("req-1", "req-2"))]
    assert cache == {"req-3": "answer 3"}
    assert not store.chunks("kb-0004") and store.integrity() == dict.fromkeys(store.integrity(), 0)
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT COUNT(*) FROM chunks WHERE document_id='kb-0004'").fetchone()[0] == 0
    # lineage of past answers survives the deletion
    assert [s.document_id for s in store.sources_of("req-1")] == ["kb-0002", "kb-0004"]
    assert {(s.request_id, s.reason) for s in store.stale_answers()} == {("req-1", "deleted"), ("req-2", "deleted")}
    store.delete(["kb-0007"])
    assert [e.document_id for e in events][-1] == "kb-0007" and "req-3" in events[-1].request_ids


def test_lineage_queries_by_document_and_version(store):
    docs = toy_kb()
    store.ingest(docs)
    store.record_answer("a1", ["kb-0001", "kb-0002"], question="q1")
    store.record_answer("a2", [("billing-10", 1)])
    v2 = {**docs[1], "id": "kb-0101", "version": 2, "text": docs[1]["text"] + "\n\nVersion two."}
    docs[1] = {**docs[1], "status": "superseded"}
    store.ingest([*docs, v2])
    store.record_answer("a3", ["kb-0101"])
    assert store.answers_using("passwords-1") == ["a1", "a3"]
    assert store.answers_using("passwords-1", version=1) == ["a1"]
    assert store.answers_using("passwords-1", version=2) == ["a3"]
    assert store.answers_using("kb-0001") == ["a1"]
    assert store.answers_using("billing-10", 1) == ["a2"]
    assert [(s.doc_id, s.version, s.rank) for s in store.sources_of("a1")] == [("passwords-1", 1, 0), ("exports-2", 1, 1)]
    assert ("a1", "superseded") in {(s.request_id, s.reason) for s in store.stale_answers()}
    assert store.diff("run-0001").added_documents == ["kb-0101"]
    with pytest.raises(KeyError, match="never ingested"):
        store.record_answer("a4", ["kb-9999"])
    with pytest.raises(KeyError, match="no recorded answer"):
        store.sources_of("nope")


def test_a_new_embedding_version_reembeds_everything_and_the_diff_says_so(tmp_path):
    docs = toy_kb(8)
    s1 = LineageStore(tmp_path / "kb.sqlite", embedder=lineage.bag_of_words(64), chunk_words=40, overlap_words=5)
    r1 = s1.ingest(docs)
    s1.close()
    s2 = LineageStore(tmp_path / "kb.sqlite", embedder=lineage.bag_of_words(32), chunk_words=40, overlap_words=5)
    r2 = s2.ingest(docs)
    assert len(r2.changed) == 8 and r2.chunks_embedded == r1.chunks_embedded
    d = s2.diff("run-0001", "run-0002")
    assert d.settings["embedder"] == ("bag-of-words-64", "bag-of-words-32")
    assert len(d.reembedded_chunks) == len(s2.chunks())
    assert s2.integrity()["chunks_other_embedder"] == 0
    assert [r["run_id"] for r in s2.runs()] == ["run-0001", "run-0002"]


def test_embedder_variants():
    base = lineage.bag_of_words(64)
    texts = ["reset my password", "export submissions to csv", "webhook retries"]
    v = base(texts)
    rot = lineage.rotated(base, seed=3)
    r = rot(texts)
    assert np.allclose(v @ v.T, r @ r.T, atol=1e-5), "a full rotation keeps every cosine within its own space"
    assert np.abs(np.sum(v * r, axis=1)).max() < 0.6, "but its vectors no longer line up with the original's"
    mild = lineage.rotated(base, seed=3, strength=0.2)(texts)
    assert np.sum(v * mild, axis=1).min() > 0.9
    assert "SIMULATED" in rot.note and rot.version != base.version
    trunc = lineage.truncated(base, 2)
    assert trunc.version.endswith("+trunc2") and np.allclose(trunc(["a b c d"]), base(["a b"]))
    with pytest.raises(ValueError, match="strength"):
        lineage.rotated(base, strength=0)
    with pytest.raises(ValueError, match="version"):
        Embedder("", lambda t: np.zeros((len(t), 2)))


def test_bad_input_says_what_to_fix(tmp_path):
    s = LineageStore(tmp_path / "x.sqlite", embedder=counting())
    with pytest.raises(ValueError, match="duplicate"):
        s.ingest([toy_kb()[0], toy_kb()[0]])
    with pytest.raises(ValueError, match="no documents"):
        s.ingest([])
    with pytest.raises(ValueError, match="lacks"):
        s.ingest([{"id": "kb-1", "title": "t"}])
    with pytest.raises(TypeError, match="Embedder"):
        LineageStore(tmp_path / "y.sqlite", embedder=lambda t: t)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ingest"):
        s.index()


@pytest.mark.slow
def test_real_model_incremental_ingest_reembeds_only_changed_documents(tmp_path):
    docs = toy_kb(12)
    s = LineageStore(tmp_path / "kb.sqlite", embedder=lineage.minilm(), chunk_words=40, overlap_words=5)
    full = s.ingest(docs)
    docs[0] = {**docs[0], "text": "Completely rewritten page about refunds and chargebacks. " * 5}
    inc = s.ingest(docs)
    assert inc.changed == ["kb-0000"] and 0 < inc.chunks_embedded < full.chunks_embedded
    hits = s.index().search("refunds and chargebacks", k=1, mode="dense")
    assert hits[0].document_id == "kb-0000"
