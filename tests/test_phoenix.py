"""Traces as a real Phoenix shows them: a local Phoenix server (its own environment, ``make phoenix-env``,
SQLite storage, offline) receives a traced RAG request and a traced agent run over OTLP/HTTP; read back
through its REST and GraphQL APIs, every span has the kind labkit gave it (none UNKNOWN) and each root's
cumulative token count equals the ledger's for that request (no wrapper counted as a second model call).

Skipped with the fix when .venv-phoenix is missing, except in CI (CI=true), where .ci/run builds it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require_tool

# the same two-document knowledge base and tracer clean-up as the tracing tests (an autouse fixture imported here applies here)
from test_tracing_llm import DOCS, _no_tracer_left_behind  # noqa: F401

from labkit import agent, llm, tracing
from labkit.evals import online
from labkit.llm.ledger import CallRecord
from labkit.tracing import phoenix as phx

KIND = "openinference.span.kind"


@pytest.fixture(scope="module")
def phoenix() -> Iterator[phx.PhoenixServer]:
    require_tool(phx.phoenix_python() is not None,
                 "Phoenix's environment is missing: run `make phoenix-env` (builds .venv-phoenix from its lock)")
    with phx.local_phoenix() as server:
        yield server


def _read_back(t: tracing.Tracing, server: phx.PhoenixServer, trace_id: str) -> list[phx.PhoenixSpan]:
    """Flush labkit's OTLP batch and read the trace from Phoenix once all of labkit's spans are there."""
    t.shutdown()  # exports what is buffered, over OTLP/HTTP
    stats = t.stats()
    assert stats.export_failures == 0 and stats.spans_lost == 0, stats.last_error
    stored = t.store.spans(trace_id=trace_id)
    spans = phx.read_trace(server.url, trace_id, expected=len(stored))
    assert sorted(s.span_id for s in spans) == sorted(s.span_id for s in stored)
    labkit_kinds = {s.span_id: s.attributes[KIND] for s in stored}
    phoenix_kinds = {s.span_id: s.kind for s in spans}
    print(f"\n{trace_id}: {len(spans)} spans, kinds {sorted(phoenix_kinds.values())}, "
          f"UNKNOWN: {sum(k == 'UNKNOWN' for k in phoenix_kinds.values())}")
    assert phoenix_kinds == labkit_kinds  # Phoenix typed each span as labkit did ...
    assert set(phoenix_kinds.values()) <= phx.KNOWN_KINDS  # ... with a kind it knows (no UNKNOWN)
    return spans


def _root_tokens(server: phx.PhoenixServer, spans: list[phx.PhoenixSpan]) -> dict[str, int]:
    (root,) = [s for s in spans if s.parent_id is None]
    tokens = phx.cumulative_tokens(server.url, root)
    print(f"root {root.name!r}: Phoenix's cumulative tokens {tokens}")
    return tokens


@pytest.mark.server
def test_a_traced_rag_request_shows_in_phoenix_with_its_kinds_and_the_ledgers_tokens(
        phoenix: phx.PhoenixServer, embedded: object, tmp_path: Path) -> None:
    from labkit.rag import RagApp, RagConfig

    t = tracing.setup(tmp_path / "rag.sqlite", sample_rate=1.0, otlp_endpoint=phoenix.otlp_endpoint)
    rag = tracing.instrument_rag(RagApp(DOCS, RagConfig(k=2, max_tokens=16), index_path=tmp_path / "idx.sqlite"))
    mark = llm.ledger.mark()
    with tracing.span("request", category="http", user="ana", session="s-1") as root:
        with tracing.guard_span("input"):
            pass
        answer = rag.answer("How much does the Team plan cost?")
    online.attach_score(root, "answered", 0.0 if answer.abstained else 1.0)
    ledger = llm.ledger.totals(since=mark)
    spans = _read_back(t, phoenix, tracing.trace_id_of(root))
    assert {"CHAIN", "RETRIEVER", "LLM", "GUARDRAIL", "EVALUATOR"} <= {s.kind for s in spans}
    assert ledger["calls"] >= 1 and ledger["input_tokens"] > 0
    print(f"ledger: {ledger['input_tokens']} in + {ledger['output_tokens']} out")
    assert _root_tokens(phoenix, spans) == {
        "prompt": ledger["input_tokens"], "completion": ledger["output_tokens"],
        "total": ledger["input_tokens"] + ledger["output_tokens"]}
    (root_span,) = [s for s in spans if s.parent_id is None]
    assert (root_span.attributes["user.id"], root_span.attributes["session.id"]) == ("ana", "s-1")


@pytest.mark.server
def test_a_traced_agent_run_shows_in_phoenix_with_its_kinds_and_the_ledgers_tokens(
        phoenix: phx.PhoenixServer, embedded: object, tmp_path: Path) -> None:
    t = tracing.setup(tmp_path / "agent.sqlite", sample_rate=1.0, otlp_endpoint=phoenix.otlp_endpoint)
    a = agent.Agent(agent.quaywise_tools(search_mode="bm25"), limits=agent.Limits(max_steps=4, max_tokens=64))
    assert a.protocol  # decided now: its probe call must not land inside the run's ledger window
    mark = llm.ledger.mark()
    run = a.run(a.session("phoenix-1"), "Which plan is account ACC-1009 on?")
    ledger = llm.ledger.totals(since=mark)
    spans = _read_back(t, phoenix, run.trace_id)
    kinds = [s.kind for s in spans]
    assert kinds.count("AGENT") == 1 and kinds.count("LLM") == run.model_calls == ledger["calls"]
    assert kinds.count("TOOL") == len(run.tool_steps)
    print(f"ledger: {ledger['input_tokens']} in + {ledger['output_tokens']} out over {run.model_calls} calls")
    assert _root_tokens(phoenix, spans) == {
        "prompt": ledger["input_tokens"], "completion": ledger["output_tokens"],
        "total": ledger["input_tokens"] + ledger["output_tokens"]}


@pytest.mark.server
def test_a_wrapper_phoenix_takes_for_a_model_call_counts_the_tokens_twice(phoenix: phx.PhoenixServer,
                                                                          tmp_path: Path) -> None:
    # The bug the token checks above guard against, made on purpose: a simulated 120 + 30 token call (no
    # model server) under a wrapper that copies gen_ai.request.model and gen_ai.usage.* and names no
    # OpenInference kind, as rag.answer once did. Phoenix infers LLM from the model attribute, and counts
    # tokens on LLM spans only, so the root shows 300 for a 150-token request.
    t = tracing.setup(tmp_path / "twice.sqlite", sample_rate=1.0, instrument_llm=False,
                      otlp_endpoint=phoenix.otlp_endpoint)
    call = CallRecord(operation="chat", model="smollm2-135m-instruct", backend="embedded", stream=False, status=200,
                      input_tokens=120, output_tokens=30, latency_s=0.1, request_body={"model": "smollm2-135m-instruct"})
    copied = {"gen_ai.request.model": call.model, "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30}
    with tracing.span("request", category="http") as root:
        with t.tracer.start_as_current_span("rag.answer", attributes=copied):  # the raw SDK: no kind set
            t.record_llm_call(call)
    trace_id = tracing.trace_id_of(root)
    t.shutdown()
    spans = phx.read_trace(phoenix.url, trace_id, expected=3)
    assert sorted(s.kind for s in spans) == ["CHAIN", "LLM", "LLM"]
    assert _root_tokens(phoenix, spans)["total"] == 2 * (120 + 30)


def test_phoenix_runs_on_loopback_offline_with_its_storage_in_the_working_dir(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOENIX_COLLECTOR_ENDPOINT", "http://elsewhere:6006")  # a learner's own setting ...
    env = phx.server_environment(tmp_path, 6010, 4320)
    assert "PHOENIX_COLLECTOR_ENDPOINT" not in env  # ... does not leak into the private server
    assert (env["PHOENIX_WORKING_DIR"], env["PHOENIX_HOST"], env["PHOENIX_PORT"], env["PHOENIX_GRPC_PORT"]) == (
        str(tmp_path), "127.0.0.1", "6010", "4320")
    assert env["PHOENIX_TELEMETRY_ENABLED"] == "false" and env["PHOENIX_ALLOW_EXTERNAL_RESOURCES"] == "false"


def test_a_missing_phoenix_environment_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(phx.PYTHON_SETTING, str(tmp_path / "no-such-python"))
    assert phx.phoenix_python() is None
    with pytest.raises(phx.PhoenixUnavailable, match="make phoenix-env"):
        with phx.local_phoenix():
            pass
