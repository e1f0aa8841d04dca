"""labkit.evals.runs: runs through a real RagApp on a toy knowledge base, the SQLite store, the gate, the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labkit import evals
from labkit.cli.eval import register  # noqa: F401  (the CLI module must import cleanly)
from labkit.rag import RagApp, RagConfig

DOCS = [
    {"id": "kb-1", "doc_id": "plans", "title": "Plans and prices", "tenant": "shared", "data_class": "public",
     "version": 1, "status": "current", "updated": "2026-01-01",
     "text": "The Team plan costs $24 per user per month.\n\nThe Business plan costs $48 per user per month."},
    {"id": "kb-2", "doc_id": "limits", "title": "Upload limits", "tenant": "shared", "data_class": "public",
     "version": 1, "status": "current", "updated": "2026-01-01",
     "text": "Attachments can be up to 50 MB each. Workspaces store up to 1 TB."},
    {"id": "kb-3", "doc_id": "sso", "title": "Single sign-on", "tenant": "shared", "data_class": "public",
     "version": 1, "status": "current", "updated": "2026-01-01",
     "text": "SAML single sign-on is tested with Okta and Microsoft Entra ID."},
    {"id": "kb-4", "doc_id": "harbor", "title": "Harbor order form", "tenant": "harbor", "data_class": "confidential",
     "version": 1, "status": "current", "updated": "2026-01-01",
     "text": "Harbor pays a negotiated $19 per seat per month."},
]
ROWS: list[dict[str, Any]] = [
    {"id": "q1", "question": "How much does the Team plan cost per user?", "answer": "$24 per user per month",
     "aliases": ["$24"], "kind": "numeric", "doc_ids": ["kb-1"], "tenant": "shared", "numeric_value": 24},
    {"id": "q2", "question": "How big can an attachment be?", "answer": "50 MB", "aliases": [], "kind": "numeric",
     "doc_ids": ["kb-2"], "tenant": "shared", "numeric_value": 50},
    {"id": "q3", "question": "Which identity providers work with SAML single sign-on?", "answer": "Okta and Microsoft Entra ID",
     "aliases": [], "kind": "single_fact", "doc_ids": ["kb-3"], "tenant": "shared", "numeric_value": None},
    {"id": "q4", "question": "Who founded the company?", "answer": "I don't know", "aliases": [], "kind": "unanswerable",
     "doc_ids": [], "tenant": "shared", "numeric_value": None},
    {"id": "q5", "question": "What seat price did Harbor negotiate?", "answer": "$19 per seat", "aliases": ["$19"],
     "kind": "numeric", "doc_ids": ["kb-4"], "tenant": "harbor", "numeric_value": 19},
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> RagApp:
    return RagApp(DOCS, RagConfig(chunk_words=40, overlap_words=5, k=2),
                  index_path=tmp_path_factory.mktemp("evals") / "idx.sqlite")


def test_retrieval_only_run_scores_ranking_and_respects_tenants(app: RagApp) -> None:
    run = evals.run(app, ROWS, generate=False, workers=2)
    assert len(run) == 5 and not run.errors and run.generate is False
    by_id = {r.item_id: r for r in run.rows}
    assert by_id["q1"].ranked_ids[0] == "kb-1" and by_id["q1"].scores["recall@1"] == 1.0
    assert "kb-4" in by_id["q5"].ranked_ids  # harbor sees its own order form
    assert all("kb-4" not in r.ranked_ids for r in run.rows if r.tenant == "shared")  # nobody else does
    assert by_id["q4"].scores["recall@5"] is None  # unanswerable: no gold documents
    m = run.metrics()
    assert set(m) == {"recall@1", "recall@3", "recall@5", "mrr", "context_recall"}
    assert m["recall@5"].n == 4 and m["recall@5"].estimate == 1.0
    assert run.values("latency_s") and not run.values("cost_usd")  # no model calls, no cost rows


def test_store_round_trip_and_compare_gate(app: RagApp, tmp_path: Path) -> None:
    store = evals.RunStore(tmp_path / "runs.sqlite")
    base = evals.run(app, ROWS, generate=False, name="base", store=store)
    narrow = evals.run(app.with_config(k=1, mode="dense"), ROWS, generate=False, name="narrow", store=store)
    loaded = store.load("base")
    assert loaded.id == base.id and [r.scores for r in loaded.rows] == [r.scores for r in base.rows]
    assert loaded.rows[0].ranked_ids == base.rows[0].ranked_ids and loaded.config["k"] == 2
    assert [r["name"] for r in store.runs()] == ["narrow", "base"]
    assert evals.compare(base, loaded).passed
    result = evals.compare(base, narrow, metrics=["context_recall", "recall@5"])
    assert [c.metric for c in result.checks] == ["context_recall", "recall@5"]
    with pytest.raises(KeyError, match="stored runs: base, narrow"):
        store.load("missing")


class FlakyApp:
    """A real app object that fails on one question, to check that failures are kept, not dropped."""

    def __init__(self, inner: RagApp) -> None:
        self.inner = inner

    def answer(self, question: str, tenant: str | None = None) -> Any:
        if "founded" in question:
            raise ConnectionError("endpoint went away")
        return self.inner.with_config(abstain_below=1.0).answer(question, tenant)  # abstains without a model call


def test_failures_are_recorded_and_inputs_validated(app: RagApp) -> None:
    run = evals.run(FlakyApp(app), ROWS, workers=3)
    assert [r.item_id for r in run.errors] == ["q4"] and "ConnectionError" in (run.errors[0].error or "")
    assert run.summary()["errors"] == 1
    ok = [r for r in run.rows if not r.error]
    assert all(r.abstained and r.scores["abstention_correct"] == 0.0 for r in ok)  # all answerable, all abstained
    with pytest.raises(ValueError, match="empty"):
        evals.run(app, [])
    with pytest.raises(ValueError, match="unique"):
        evals.run(app, [ROWS[0], ROWS[0]])
    with pytest.raises(ValueError, match="lacks"):
        evals.run(app, [{"id": "x", "question": "q"}])
    with pytest.raises(TypeError, match="answer"):
        evals.run(object(), ROWS)  # type: ignore[arg-type]


@pytest.mark.server
def test_end_to_end_run_with_the_real_model(embedded: Any, app: RagApp, tmp_path: Path) -> None:
    run = evals.run(app, ROWS[:3], workers=3, store=tmp_path / "r.sqlite")
    assert not run.errors
    for r in run.rows:
        assert r.output is not None and r.input_tokens > 0 and r.cost_usd is not None and r.cost_usd > 0
        assert r.context_ids and r.scores["token_f1"] is not None and r.scores["abstention_correct"] in (0.0, 1.0)
    s = run.summary()
    assert s["input_tokens"] == sum(r.input_tokens for r in run.rows) and s["wall_s"] > 0
    assert evals.RunStore(tmp_path / "r.sqlite").load(run.id).rows[1].output == run.rows[1].output


def test_cli_run_and_compare_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from labkit.cli import main

    db = str(tmp_path / "cli.sqlite")
    common = ["--retrieval-only", "--limit", "12", "--db", db]
    assert main(["eval", "run", "--name", "base", *common]) == 0
    assert main(["eval", "run", "--name", "k1", "--k", "1", *common]) == 0
    assert main(["eval", "compare", "base", "base", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "recall@5" in out and "GATE PASSED" in out
    rc = main(["eval", "compare", "base", "k1", "--db", db, "--metric", "context_recall"])
    out = capsys.readouterr().out
    assert "context_recall" in out and "recall@5" not in out
    # k=1 puts fewer gold documents in the prompt; the exit status must follow the printed verdict
    assert rc == (1 if "GATE FAILED" in out else 0)
    assert main(["eval", "list", "--db", db]) == 0
    assert main(["eval", "compare", "base", "nope", "--db", db]) == 2
