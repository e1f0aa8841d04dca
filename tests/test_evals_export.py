"""Eval interop: a stored run exported to JSON Lines, inspect_ai and promptfoo; replayed by those tools
against the embedded server (server-marked) with their numbers beside labkit's; logged to MLflow's SQLite store.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool

from labkit import evals
from labkit.evals import export, interop
from labkit.evals.runs import Run, RunRow

CONFIG = {"chunk_words": 80, "overlap_words": 15, "k": 3, "mode": "hybrid", "prompt_version": "v1-grounded",
          "model": None, "max_tokens": 64, "temperature": 0.0, "abstain_below": 0.0, "max_words_per_chunk": None}


@dataclass
class FakeHit:
    document_id: str


class FakeApp:
    """Stands in for RagApp.prompt_for: fixed sources per question, so exports are checked without an index."""

    def __init__(self, docs: dict[str, list[str]]) -> None:
        self.docs = docs

    def prompt_for(self, question: str, tenant: str | None = None) -> tuple[list[FakeHit], list[dict[str, str]]]:
        return ([FakeHit(d) for d in self.docs[question]],
                [{"role": "system", "content": "sys"}, {"role": "user", "content": f"Q: {question}"}])


def _row(item: str, kind: str, reference: str, output: str, docs: list[str], **extra: Any) -> RunRow:
    return RunRow(item_id=item, question=f"question {item}", kind=kind, tenant=None, reference=reference,
                  output=output, context_ids=docs, model="smollm2-135m-instruct",
                  scores={"token_f1": None if kind == "unanswerable" or extra else 0.5, "contains": 0.0,
                          "abstained": 0.0},
                  **extra)


def _run(generate: bool = True) -> Run:
    rows = [_row("q-0001", "multi_hop", "$11 per user per month ($41 against a list price of $52).", "$11 [1]", ["d1"]),
            _row("q-0002", "unanswerable", "I don't know", "I don't know.", ["d2"]),
            _row("q-0005", "numeric", "12 months (after 30 days' notice)", "", [], error="APIError: boom"),
            _row("q-0009", "single_fact", "a reference", "an answer", ["d3", "d4"])]
    return Run(id="abc123", name="sample", created="2026-01-01T00:00:00", dataset="golden/4", config=dict(CONFIG),
               wall_s=1.0, workers=1, generate=generate, rows=rows)


APP = FakeApp({"question q-0001": ["d1"], "question q-0002": ["d2"], "question q-0009": ["d3", "d4"]})


def test_jsonl_keeps_every_row_and_its_scores(tmp_path: Path) -> None:
    done = export.export(_run(), "jsonl", tmp_path / "r.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert done.rows == len(lines) == 4 and not done.skipped
    assert [x["item_id"] for x in lines] == ["q-0001", "q-0002", "q-0005", "q-0009"]
    assert lines[0]["run_id"] == "abc123" and lines[0]["scores"]["token_f1"] == 0.5
    assert lines[2]["error"] == "APIError: boom"


def test_inspect_samples_replay_the_prompts_with_references_and_aliases(tmp_path: Path) -> None:
    done = export.export(_run(), "inspect", tmp_path / "s.jsonl", app=APP)
    samples = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert [s["id"] for s in samples] == ["q-0001", "q-0009"]
    assert set(done.skipped) == {"q-0002", "q-0005"} and "unanswerable" in done.skipped["q-0002"]
    assert "failed" in done.skipped["q-0005"]
    assert samples[0]["input"][1] == {"role": "user", "content": "Q: question q-0001"}
    assert samples[0]["target"] == ["$11 per user per month ($41 against a list price of $52).", "$11"]  # golden alias
    assert samples[0]["metadata"]["labkit_output"] == "$11 [1]" and samples[0]["metadata"]["max_tokens"] == 64


def test_promptfoo_config_has_no_list_vars_and_the_run_settings(tmp_path: Path) -> None:
    export.export(_run(), "promptfoo", tmp_path / "c.json", app=APP)
    config = json.loads((tmp_path / "c.json").read_text())
    provider = config["providers"][0]
    assert provider["id"] == "openai:chat:smollm2-135m-instruct"
    assert provider["config"] == {"temperature": 0.0, "max_tokens": 64}
    assert [t["description"] for t in config["tests"]] == ["q-0001", "q-0009"]
    for test in config["tests"]:  # promptfoo turns a list-valued var into one test per element
        assert not any(isinstance(v, list) for v in test["vars"].values())
    assert json.loads(config["tests"][0]["vars"]["messages"])[0]["role"] == "system"
    scorers = [a["value"].removeprefix("file://").rsplit(":", 1) for a in config["defaultTest"]["assert"]]
    assert [name for _, name in scorers] == ["contains_assert", "get_assert"]
    assert all(Path(file).is_absolute() and Path(file).exists() for file, _ in scorers)


def test_promptfoo_scorers_are_labkits_contains_and_token_f1() -> None:
    import importlib.util

    from labkit.evals import metrics

    spec = importlib.util.spec_from_file_location("pf_scorer", export.INTEROP_DIR / export.SCORER_FILE)
    assert spec is not None and spec.loader is not None
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    context = {"vars": {"references": json.dumps(["$1,200 a year", "$1,200"])}}
    for output in ("It costs $1200.", "It costs 1,2000 dollars.", "I don't know."):
        verdict = scorer.contains_assert(output, context)
        assert verdict["pass"] == (metrics.contains(output, "$1,200 a year", ["$1,200"]) == 1.0), output
        assert scorer.get_assert(output, context)["score"] == metrics.token_f1(output, "$1,200 a year", ["$1,200"])
    assert scorer.contains_assert("It costs $1200.", context)["pass"]  # normalised: promptfoo's icontains would fail


def test_promptfoo_is_kept_offline_against_a_loopback_endpoint(tmp_path: Path) -> None:
    local = interop.promptfoo_env("http://127.0.0.1:8080/v1", tmp_path)
    assert local["PROMPTFOO_DISABLE_TELEMETRY"] == local["PROMPTFOO_DISABLE_UPDATE"] == "1"
    assert local["HTTPS_PROXY"] == interop.DEAD_PROXY and "127.0.0.1" in local["NO_PROXY"]
    assert local["PROMPTFOO_CONFIG_DIR"] == str(tmp_path) and local["OPENAI_BASE_URL"] == "http://127.0.0.1:8080/v1"
    remote = interop.promptfoo_env("https://api.example.com/v1", tmp_path)
    assert remote.get("HTTPS_PROXY") != interop.DEAD_PROXY  # a remote endpoint must stay reachable


@pytest.mark.slow
def test_checked_in_promptfoo_config_is_what_export_writes(tmp_path: Path) -> None:
    import yaml

    from labkit.rag import RagApp

    app = RagApp()
    checked = yaml.safe_load(export.GOLDEN_PROMPTFOO.read_text(encoding="utf-8"))
    assert checked == export.golden_promptfoo_config(app=app), (
        f"{export.GOLDEN_PROMPTFOO} is out of date with the golden sample or the app's prompts: run `make promptfoo-config`")
    # the same questions as a stored run of the default app, exported the way `labkit eval export` does it
    from labkit.evals import variants

    rows = []
    for item in variants.golden_sample(export.GOLDEN_PROMPTFOO_N):
        tenant = item.get("tenant") or None
        hits, _ = app.prompt_for(item["question"], tenant)
        rows.append(RunRow(item_id=item["id"], question=item["question"], kind=item["kind"], tenant=tenant,
                           reference=item["answer"], output="an answer", model=checked["providers"][0]["id"][12:],
                           context_ids=list(dict.fromkeys(h.document_id for h in hits)), scores={"token_f1": 0.0}))
    run = Run(id="r1", name="golden", created="", dataset=f"golden/{export.GOLDEN_PROMPTFOO_N}", config={**CONFIG, "mode": app.config.mode},
              wall_s=1.0, workers=1, generate=True, rows=rows)
    export.export(run, "promptfoo", tmp_path / "c.json", app=app)
    exported = json.loads((tmp_path / "c.json").read_text())
    for key in ("prompts", "providers"):
        assert exported[key] == checked[key], key
    assert [a["value"].rsplit("/", 1)[-1] for a in exported["defaultTest"]["assert"]] == \
        [a["value"].removeprefix("file://") for a in checked["defaultTest"]["assert"]]
    replay_only = [{**t, "vars": {k: v for k, v in t["vars"].items() if not k.startswith("labkit_")}}
                   for t in exported["tests"]]
    assert replay_only == checked["tests"]


def test_a_changed_prompt_or_a_retrieval_only_run_is_refused(tmp_path: Path) -> None:
    moved = FakeApp({**APP.docs, "question q-0009": ["d4", "d3"]})
    with pytest.raises(ValueError, match="q-0009: the rebuilt prompt holds"):
        export.export(_run(), "inspect", tmp_path / "s.jsonl", app=moved)
    assert not (tmp_path / "s.jsonl").exists()
    with pytest.raises(ValueError, match="retrieval-only"):
        export.export(_run(generate=False), "promptfoo", tmp_path / "c.json", app=APP)
    other = _run()
    other.config = {"app": "Other"}
    with pytest.raises(ValueError, match="not made by RagApp"):
        export.export(other, "inspect", tmp_path / "s.jsonl")


def test_cli_export_writes_jsonl_and_names_a_missing_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from labkit.cli import main

    db = tmp_path / "runs.sqlite"
    evals.RunStore(db).save(_run())
    assert main(["eval", "export", "sample", "--to", "jsonl", "--db", str(db), "--out", str(tmp_path / "o.jsonl")]) == 0
    assert "wrote 4 jsonl records" in capsys.readouterr().out and (tmp_path / "o.jsonl").exists()
    assert main(["eval", "export", "nope", "--to", "jsonl", "--db", str(db)]) == 2
    assert "no run 'nope'" in capsys.readouterr().err


def test_mlflow_payload_keys_and_intervals() -> None:
    payload = interop.mlflow_payload(_run(), "sqlite:///x.db")
    m = payload["metrics"]
    assert m["token_f1/low"] <= m["token_f1"] <= m["token_f1/high"] and m["token_f1/n"] == 2.0
    assert all("@" not in k for k in m) and payload["tags"]["labkit.run_id"] == "abc123"
    with pytest.raises(ValueError, match="sqlite:///"):
        interop.log_mlflow(_run(), "http://mlflow.example.com")


def _tools_env() -> None:
    require_tool(interop.TOOLS_PYTHON.exists(),
                 "the eval tools' environment (.venv-evals) is not built; run `make evals-env`")


@pytest.mark.slow
def test_log_mlflow_to_a_sqlite_store(tmp_path: Path) -> None:
    _tools_env()
    run = _run()
    mlflow_id = interop.log_mlflow(run, f"sqlite:///{tmp_path / 'mlflow.db'}")
    conn = sqlite3.connect(tmp_path / "mlflow.db")
    metrics = dict(conn.execute("SELECT key, value FROM metrics WHERE run_uuid = ?", (mlflow_id,)).fetchall())
    params = dict(conn.execute("SELECT key, value FROM params WHERE run_uuid = ?", (mlflow_id,)).fetchall())
    tags = dict(conn.execute("SELECT key, value FROM tags WHERE run_uuid = ?", (mlflow_id,)).fetchall())
    ci = run.metrics()["token_f1"]
    assert metrics["token_f1"] == pytest.approx(ci.estimate) and metrics["token_f1/high"] == pytest.approx(ci.high)
    assert params["k"] == "3" and params["questions"] == "4" and tags["labkit.run_id"] == "abc123"


@pytest.fixture(scope="module")
def golden_run(embedded: Any, tmp_path_factory: pytest.TempPathFactory) -> Run:
    from labkit.evals import variants
    from labkit.rag import RagApp

    rows = variants.golden_sample(5)
    return evals.run(RagApp(), rows, name="golden-5", dataset="golden/5", workers=1)


def _check_replay(run: Run, tool: interop.ToolScores, names: tuple[str, str]) -> None:
    """Scored the same way: identical answers get identical token F1, and the means differ by at most the
    share of items whose answers differ (each F1 lies in [0, 1])."""
    ours = run.by_item("token_f1")
    theirs = tool.scores[names[0]]
    assert set(theirs) == {k for k in ours}, "the tool scored other items than the run's answerable ones"
    stored = {r.item_id: (r.output or "").strip() for r in run.rows}
    same = [k for k in theirs if tool.outputs[k].strip() == stored[k]]
    for k in same:
        assert theirs[k] == pytest.approx(ours[k]), k
    side = interop.side_by_side(run, tool, "token_f1", tool_metric=names[0])
    assert abs(side.tool_mean - side.labkit.estimate) <= (len(theirs) - len(same)) / len(theirs) + 1e-9
    assert names[1] in tool.scores and set(tool.scores[names[1]]) == set(theirs)
    print(side.line())


@pytest.mark.server
def test_inspect_replays_the_golden_sample(golden_run: Run, tmp_path: Path) -> None:
    from labkit import llm

    _tools_env()
    export.export(golden_run, "inspect", tmp_path / "golden.inspect.jsonl")
    tool = interop.run_inspect(tmp_path / "golden.inspect.jsonl", base_url=llm.base_url(),
                               model=llm.model_for("chat"), max_tokens=64, max_connections=1)
    _check_replay(golden_run, tool, ("token_f1", "includes"))


@pytest.mark.server
def test_promptfoo_replays_the_golden_sample(golden_run: Run, tmp_path: Path) -> None:
    from labkit import llm

    _promptfoo_installed()
    export.export(golden_run, "promptfoo", tmp_path / "golden.promptfooconfig.json")
    tool = interop.run_promptfoo(tmp_path / "golden.promptfooconfig.json", base_url=llm.base_url(), max_concurrency=1)
    _check_replay(golden_run, tool, ("token_f1", "contains"))


def _promptfoo_installed() -> None:
    require_tool(interop.PROMPTFOO_BIN.exists(),
                 "promptfoo is not installed (evals_interop/node_modules); `make promptfoo` installs it")


@pytest.mark.server
def test_promptfoo_runs_the_checked_in_config_and_agrees_with_labkits_scorer(embedded: Any) -> None:
    import time

    import yaml

    from labkit import llm
    from labkit.evals import metrics

    _promptfoo_installed()
    refs = {t["description"]: json.loads(t["vars"]["references"])
            for t in yaml.safe_load(export.GOLDEN_PROMPTFOO.read_text(encoding="utf-8"))["tests"]}
    t0 = time.perf_counter()
    tool = interop.run_promptfoo(export.GOLDEN_PROMPTFOO, base_url=llm.base_url(), max_concurrency=2)
    print(f"promptfoo eval of {len(refs)} golden questions: {time.perf_counter() - t0:.1f} s, "
          f"{sum(tool.passed.values())} passed")
    assert set(tool.passed) == set(refs), "promptfoo ran other tests than the checked-in config holds"
    for item, answer in tool.outputs.items():  # labkit's scorer on promptfoo's own answers
        ref, aliases = refs[item][0], refs[item][1:]
        assert tool.passed[item] == (metrics.contains(answer, ref, aliases) == 1.0), (item, answer)
        assert tool.scores["contains"][item] == metrics.contains(answer, ref, aliases), item
        assert tool.scores["token_f1"][item] == pytest.approx(metrics.token_f1(answer, ref, aliases)), item
