"""labkit.rag: chunking, BM25, RRF, the SQLite index, tenant filters, the app and the HTTP service."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from labkit.rag import BM25, Index, RagApp, RagConfig, chunk_document, parse_citations, rrf, tokenize

DOCS = [
    {"id": "d1", "doc_id": "plans", "title": "Plans and prices", "tenant": "shared", "data_class": "public",
     "version": 2, "status": "current", "updated": "2026-01-01",
     "text": "The Team plan costs $24 per user per month.\n\nThe Business plan costs $48 per user per month."},
    {"id": "d0", "doc_id": "plans", "title": "Plans and prices", "tenant": "shared", "data_class": "public",
     "version": 1, "status": "superseded", "updated": "2025-01-01",
     "text": "The Team plan costs $20 per user per month."},
    {"id": "d2", "doc_id": "limits", "title": "Upload limits", "tenant": "shared", "data_class": "public",
     "version": 1, "status": "current", "updated": "2026-01-01",
     "text": "Attachments can be up to 50 MB each. Workspaces store up to 1 TB."},
    {"id": "d3", "doc_id": "harbor-contract", "title": "Harbor contract", "tenant": "harbor",
     "data_class": "confidential", "version": 1, "status": "current", "updated": "2026-02-01",
     "text": "Harbor pays a negotiated price of $19 per seat with a 99.95% uptime SLA."},
]


def test_tokenize_keeps_numbers_and_versions() -> None:
    assert tokenize("What changed in v4.2 for the 50 MB limit?") == ["changed", "v4.2", "50", "mb", "limit"]


def test_chunking_prefixes_title_and_respects_size() -> None:
    text = "\n\n".join(" ".join(f"w{p}_{i}" for i in range(30)) for p in range(5))
    chunks = chunk_document("x", "Title", text, chunk_words=60, overlap_words=10)
    assert len(chunks) >= 3 and all(c.text.startswith("Title\n") for c in chunks)
    assert all(len(c.text.split()) <= 60 * 1.5 + 1 for c in chunks)
    body = " ".join(c.text for c in chunks)
    assert all(f"w{p}_{i}" in body for p in range(5) for i in range(30))  # nothing is dropped
    with pytest.raises(ValueError, match="overlap_words"):
        chunk_document("x", "T", "a b", chunk_words=20, overlap_words=20)


def test_bm25_prefers_rare_matching_terms() -> None:
    bm = BM25([["team", "plan", "price"], ["upload", "limit"], ["team", "meeting"]])
    s = bm.scores(["plan", "price"])
    assert s.argmax() == 0 and s[1] == 0


def test_rrf_rewards_agreement() -> None:
    fused = rrf([[1, 2, 3], [2, 1, 3]])
    assert fused[1] == fused[2] > fused[3]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return Index.build(DOCS, tmp_path_factory.mktemp("idx") / "i.sqlite", chunk_words=40, overlap_words=5)


def test_index_search_modes_and_filters(index: Index) -> None:
    for mode in ("hybrid", "bm25", "dense"):
        hits = index.search("What is the price of the Team plan?", k=2, mode=mode)
        assert hits[0].document_id == "d1", mode
    # superseded versions are hidden unless asked for
    assert all(h.status == "current" for h in index.search("Team plan price", k=4))
    assert "d0" in {h.document_id for h in index.search("Team plan price", k=4, include_superseded=True)}
    # tenant isolation: another tenant never sees Harbor's contract
    assert "d3" not in {h.document_id for h in index.search("negotiated price per seat", k=4, tenant="orchid")}
    assert "d3" in {h.document_id for h in index.search("negotiated price per seat", k=4, tenant="harbor")}
    # no tenant fails closed (shared documents only); every tenant is a separately named search
    assert {h.tenant for h in index.search("negotiated price per seat", k=4)} == {"shared"}
    assert "d3" in {h.document_id for h in index.search_all_tenants("negotiated price per seat", k=4)}
    with pytest.raises(ValueError, match="mode"):
        index.search("x", mode="magic")
    with pytest.raises(ValueError, match="non-empty"):
        index.search("  ")


def test_index_is_reopened_from_sqlite(index: Index) -> None:
    again = Index.open(index.path)
    assert len(again) == len(index) and again.fingerprint == index.fingerprint
    assert again.document("d2")["title"] == "Upload limits"
    with pytest.raises(FileNotFoundError, match="Index.build"):
        Index.open(index.path.parent / "missing.sqlite")


def test_bad_documents_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lacks"):
        Index.build([{"id": "a", "title": "", "text": "x"}], tmp_path / "x.sqlite")
    with pytest.raises(ValueError, match="duplicate"):
        Index.build([DOCS[0], DOCS[0]], tmp_path / "x.sqlite")


def test_parse_citations_flags_invalid_numbers(index: Index) -> None:
    hits = index.search("Team plan price", k=2)
    cited, invalid = parse_citations("It is $24 [1], see also [7].", hits)
    assert cited == [hits[0].document_id] and invalid == [7]


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="prompt version"):
        RagConfig(prompt_version="nope")
    with pytest.raises(ValueError, match="k must be"):
        RagConfig(k=0)
    with pytest.raises(ValueError, match="max_words_per_chunk must be >= 5"):
        RagConfig(max_words_per_chunk=4)
    assert RagConfig().variant(k=5).k == 5


@pytest.mark.server
def test_app_answers_with_the_real_model_and_abstains_on_low_score(embedded, tmp_path: Path) -> None:
    app = RagApp(DOCS, RagConfig(chunk_words=40, overlap_words=5, k=2), index_path=tmp_path / "a.sqlite")
    a = app.answer("How much does the Team plan cost per user?")
    assert a.text and a.input_tokens > 0 and a.retrieved_ids[0] == "d1"
    strict = app.with_config(abstain_below=1.0)  # no fused score reaches 1.0: always abstain, no model call
    b = strict.answer("How much does the Team plan cost per user?")
    assert b.abstained and b.output_tokens == 0 and strict.index is app.index
    # Trimmed context: the model sees fewer words (and the answer's hits are what it saw), same sources.
    short = app.with_config(max_words_per_chunk=12)
    c = short.answer("How much does the Team plan cost per user?")
    assert c.retrieved_ids == a.retrieved_ids and c.input_tokens < a.input_tokens
    assert all(len(h.text.split()) <= 12 for h in c.hits) and any("Team" in h.text for h in c.hits)


@pytest.mark.server
def test_http_service_is_openai_compatible(embedded, tmp_path: Path) -> None:
    from labkit.rag.auth import TenantKeys
    from labkit.rag.service import ServiceThread, create_app

    app = RagApp(DOCS, RagConfig(chunk_words=40, overlap_words=5, k=2), index_path=tmp_path / "s.sqlite")
    with ServiceThread(create_app(app, keys=TenantKeys({"key-harbor-0001": "harbor"}), guards=False)) as svc:
        c = openai.OpenAI(base_url=svc.url, api_key="unused", max_retries=0)
        import httpx

        body = httpx.post(f"{svc.url}/chat/completions", timeout=60, json={
            "model": "labkit-rag", "messages": [{"role": "user", "content": "What is Harbor's negotiated price?"}]}).json()
        assert body["choices"][0]["message"]["content"]
        assert "d3" not in body["rag"]["retrieved_ids"]  # no key: the shared documents only
        with pytest.raises(openai.AuthenticationError):  # a key the service does not know
            c.chat.completions.create(model="labkit-rag", messages=[{"role": "user", "content": "Hi"}])
        harbor = openai.OpenAI(base_url=svc.url, api_key="key-harbor-0001", max_retries=0)
        r = harbor.chat.completions.with_raw_response.create(
            model="labkit-rag", messages=[{"role": "user", "content": [{"type": "text", "text": "What is Harbor's"},
                                                                      {"type": "text", "text": "negotiated price?"}]}])
        assert "d3" in r.http_response.json()["rag"]["retrieved_ids"]
        with pytest.raises(openai.BadRequestError):
            harbor.chat.completions.create(model="labkit-rag", messages=[])
        import urllib.request

        with urllib.request.urlopen(svc.url[:-3] + "/health") as h:
            assert h.status == 200
