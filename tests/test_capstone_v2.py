"""The assembled capstone (labkit.capstone.layers/env/week/check): sealed plan, trace-only layer checks,
an oracle-free checker, the CLI. Tests marked ``server`` run real weeks through the model server."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from labkit.capstone import check as chk
from labkit.capstone import plan
from labkit.capstone.world import START

T0 = int(START.timestamp() * 1e9)
DAY_NS = 86_400 * 10**9


def _span(trace: str, sid: str, name: str, start: float, end: float, parent: str | None = None, **attrs):
    return {"trace_id": trace, "span_id": sid, "parent_id": parent, "name": name,
            "start_ns": T0 + int(start * 1e9), "end_ns": T0 + int(end * 1e9), "attributes": attrs}


def _week(traces: dict, ids: list[str], tmp_path: Path) -> chk.Week:
    return chk.Week(tmp_path, {}, traces, ids, T0)


def test_sealed_plan_round_trips_and_hides_kinds(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_CACHE", str(tmp_path / "state"))
    import random

    drawn = plan._draw(random.Random(3), agent=False, days=7)
    sealed = plan._seal(drawn, "run-abc")
    assert plan._unseal(sealed, "run-abc") == drawn
    assert len({p.kind for p in drawn}) >= 2 and any(p.kind in plan.QUALITY for p in drawn)
    for kind in plan.KINDS:  # nothing in the run dir matches a kind, plain or hashed
        assert kind.encode().hex() not in sealed
        assert hashlib.sha256(kind.encode()).hexdigest() not in sealed
    assert not str(plan._key_path("run-abc")).startswith(str(tmp_path / "run"))


def test_every_draw_plants_two_or_more_with_a_silent_regression():
    import random

    for seed in range(50):
        for agent in (False, True):
            drawn = plan._draw(random.Random(seed), agent=agent, days=7)
            kinds = [p.kind for p in drawn]
            assert len(set(kinds)) == len(kinds) >= 2
            assert any(k in plan.QUALITY for k in kinds)
            assert all(p.start_s >= plan.DAY_S for p in drawn)  # day 1 stays clean: it is the baseline
    assert len(plan.KINDS) >= 6


def test_bare_service_fails_naming_each_missing_layer(tmp_path):
    traces = {f"t{i}": [_span(f"t{i}", "a", "rag.retrieve", i, i + 0.1),
                        _span(f"t{i}", "b", "chat m", i + 0.2, i + 1, **{"gen_ai.operation.name": "chat"})]
              for i in range(3)}
    problems = chk.layer_problems(_week(traces, ["r-1", "r-2", "r-3"], tmp_path))
    text = "\n".join(problems)
    for layer in ("tracing:", "input guard:", "output guard:", "cost cap:"):
        assert sum(p.startswith(layer) for p in problems) == 1, text


def test_layered_trace_passes_the_layer_check(tmp_path):
    spans = [_span("t1", "r", "request", 0, 5, **{"labkit.request_id": "r-1", "labkit.status": "answered"}),
             _span("t1", "g", "guard.input", 0.1, 0.2, "r"),
             _span("t1", "b", "budget.reserve", 0.3, 2, "r", **{"budget.cost_usd": 1e-6, "budget.daily_cap_usd": 1.0}),
             _span("t1", "c", "chat m", 0.4, 1.9, "b", **{"gen_ai.operation.name": "chat"}),
             _span("t1", "o", "guard.output", 2.1, 2.2, "r"),
             _span("t1", "e", "evaluation support", 2.3, 2.3, "r", **{"gen_ai.evaluation.score.value": 0.8})]
    assert chk.layer_problems(_week({"t1": spans}, ["r-1"], tmp_path)) == []


def test_over_cap_day_is_named(tmp_path):
    spans = [_span("t1", "b", "budget.reserve", 86_400 * 2 + 5, 86_400 * 2 + 6,
                   **{"budget.cost_usd": 2.0, "budget.daily_cap_usd": 1.0})]
    assert chk._over_cap(_week({"t1": spans}, [], tmp_path)) == [
        "cost cap: day 3 spent $2.000000, over its daily cap $1.000000"]


def test_claim_without_evidence_gets_the_same_reply_for_every_kind(tmp_path):
    base = plan.Baseline(frozenset({"aaa"}), 100, 1e-9, frozenset())
    week = _week({"t1": [_span("t1", "r", "request", 0, 1)]}, ["r-1"], tmp_path)
    for kind in plan.KINDS:
        v = chk.judge(week, {"bug": kind, "trace_ids": ["00000000dead"], "day": 2}, base)
        assert not v.evidence and v.lines == [f"0 of 1 traces show it; the evidence needs {chk.EVIDENCE[kind]}"]


def test_wrong_day_gets_no_direction(tmp_path):
    base = plan.Baseline(frozenset({"aaa"}), 100, 1e-9, frozenset())
    trace = [_span("t1abcdef9", "g", "rag.generate", 86_400 * 2.5, 86_400 * 2.5 + 1, **{"rag.prompt.sha": "bbb"})]
    week = _week({"t1abcdef9": trace}, [], tmp_path)
    right = chk.judge(week, {"bug": "prompt-template", "trace_ids": ["t1abcdef9"], "day": 3}, base)
    early = chk.judge(week, {"bug": "prompt-template", "trace_ids": ["t1abcdef9"], "day": 1}, base)
    late = chk.judge(week, {"bug": "prompt-template", "trace_ids": ["t1abcdef9"], "day": 6}, base)
    assert right.day_ok and not early.day_ok and not late.day_ok
    assert re.sub(r"day \d", "day N", early.lines[0]) == re.sub(r"day \d", "day N", late.lines[0])
    assert "earlier" not in early.lines[0] and "later" not in late.lines[0]


def test_cache_tenant_signature_is_another_tenants_document():
    base = plan.Baseline(frozenset(), 0, 0.0, frozenset())
    own = _span("t", "a", "rag.retrieve", 0, 1, **{"rag.tenant": "halyard", "rag.retrieved_tenants": ["shared", "halyard"]})
    leak = _span("t", "a", "rag.retrieve", 0, 1, **{"rag.tenant": "verbena", "rag.retrieved_tenants": ["halyard"]})
    assert not plan.SIGNATURES["cache-tenant"]([own], base)
    assert plan.SIGNATURES["cache-tenant"]([leak], base)


def test_model_swap_signature_is_a_response_model_unseen_on_day_one():
    base = plan.Baseline(frozenset(), 0, 0.0, frozenset(), frozenset({"m-2025-09-02"}))
    chat = {"gen_ai.operation.name": "chat"}
    same = _span("t", "c", "chat m", 0, 1, **chat, **{"gen_ai.response.model": "m-2025-09-02"})
    moved = _span("t", "c", "chat m", 0, 1, **chat, **{"gen_ai.response.model": "m-2025-10-21"})
    assert not plan.SIGNATURES["model-swap"]([same], base)
    assert plan.SIGNATURES["model-swap"]([moved], base)


def _scored_trace(n: int, day: int, sha: str, score: float) -> tuple[str, list[dict]]:
    tid, t = f"{n:016x}", 86_400 * (day - 1) + 3_600 + 60 * n
    return tid, [_span(tid, "r", "request", t, t + 2, **{"labkit.request_id": f"r-{n}"}),
                 _span(tid, "g", "rag.generate", t + 0.1, t + 1, "r", **{"rag.prompt.sha": sha}),
                 _span(tid, "e", "evaluation support", t + 1.5, t + 1.5, "r",
                       **{"gen_ai.evaluation.score.value": score})]


def _scored_week(tmp_path: Path, day2_sha: str, day2_score: float, n_day2: int = 10) -> chk.Week:
    traces = dict(_scored_trace(n, 1, "aaa", 0.75 + 0.02 * (n % 3)) for n in range(8))
    traces.update(_scored_trace(n, 2, day2_sha, day2_score + 0.02 * (n % 3)) for n in range(8, 8 + n_day2))
    return _week(traces, [], tmp_path)


def test_fix_verdict_pairs_the_replayed_requests(tmp_path):
    base = plan.Baseline(frozenset({"aaa"}), 100, 1e-9, frozenset())
    week = _scored_week(tmp_path, "bbb", 0.3)
    works, why = chk.fix_verdict(week, _scored_week(tmp_path, "aaa", 0.8), "prompt-template", base=base)
    assert works and why.startswith("fix proven") and "on 10 requests scored in both runs" in why, why
    nothing, why = chk.fix_verdict(week, _scored_week(tmp_path, "bbb", 0.3), "prompt-template", base=base)
    assert not nothing and why == f"fix not proven: 10 traces of the re-run still show {chk.EVIDENCE['prompt-template']}"
    hidden, why = chk.fix_verdict(week, _scored_week(tmp_path, "aaa", 0.3), "prompt-template", base=base)
    assert not hidden and "the re-run's still do" in why and "+0.000" in why, why  # signature gone, drop still there
    worse, why = chk.fix_verdict(_scored_week(tmp_path, "bbb", 0.8), _scored_week(tmp_path, "aaa", 0.5),
                                 "prompt-template", base=base)
    assert not worse and why.endswith("the re-run scores lower on the same requests"), why
    few, why = chk.fix_verdict(week, _scored_week(tmp_path, "aaa", 0.8, n_day2=3), "prompt-template", base=base)
    assert not few and f"the paired test needs {chk.MIN_PAIRS}" in why, why


def test_bad_findings_file_is_one_line(tmp_path):
    bad = tmp_path / "f.json"
    bad.write_text(json.dumps({"findings": [{"bug": "gremlins", "trace_ids": ["12345678"], "day": 1}]}))
    with pytest.raises(ValueError, match="bug must be one of"):
        chk.read_findings(bad)


def test_cli_kinds_lists_every_kind(capsys):
    from labkit.cli import main

    assert main(["capstone", "kinds"]) == 0
    assert capsys.readouterr().out.split() == list(plan.KINDS)


# ------------------------------------------------------------------ real weeks (model server)
def _all_kinds(tmp_path: Path) -> Path:
    p = tmp_path / "claims.json"
    p.write_text(json.dumps({"findings": [{"bug": k, "trace_ids": ["0000000000000000"], "day": 2}
                                          for k in plan.KINDS]}))
    return p


@pytest.mark.server
def test_real_weeks_oracle_free_bare_fails_reference_found_and_fixed(tmp_path):
    from capstone_finder import find

    from labkit import llm
    from labkit.capstone import env, prototypes, week
    from labkit.capstone.faults import snapshots

    ref = week.run_week(prototypes.reference(eval_rate=1.0), seed=4, days=3, scale=0.4, out=tmp_path / "ref")
    # One day of the bare prototype is enough to show every layer missing, and it is a second run
    # with another sealed plan for the oracle-free check.
    bare = week.run_week(prototypes.bare_rag(), seed=11, days=1, scale=0.4, out=tmp_path / "bare")
    problems = chk.layer_problems(chk.load_week(bare.dir))
    assert [p.split(":")[0] for p in problems][:4] == ["tracing", "input guard", "output guard", "cost cap"]

    infos = [chk.load_week(d).info for d in (ref.dir, bare.dir)]
    plans = [plan._unseal(info["plan"], info["run_id"]) for info in infos]
    assert plans[0] != plans[1]
    claims = chk.read_findings(_all_kinds(tmp_path))
    results = [chk.check(claims, d) for d in (ref.dir, bare.dir)]
    assert results[0].verdicts == results[1].verdicts  # oracle-free: the same claims get the same words
    assert not any(str(d) in r.text() for r, d in zip(results, (ref.dir, bare.dir), strict=True))

    findings = find(ref.dir)
    fix_env = env.EnvConfig(prompt_version="v1-grounded", reingest=True, max_retries=2, retry_backoff_s=0.5,
                            cache_key_tenant=True, model_snapshot=snapshots(llm.model_for("chat"))[0])
    fixed = week.run_week(prototypes.reference(eval_rate=1.0), out=tmp_path / "fix", replay=ref.dir, config=fix_env,
                          only_days=list(range(min(f["day"] for f in findings), 4)))
    for f in findings:
        if f["bug"] != "price-change":  # a price rise is fixed by a budget, not a replay
            f["fix_run"] = str(fixed.dir)
    result = chk.check(findings, ref.dir)
    assert result.passed, result.text()


def test_model_swap_proxy_moves_the_name_and_pinning_keeps_the_old_snapshot():
    from email.message import Message

    from labkit.capstone.faults import FaultProxy, FaultSchedule, ModelSwap, snapshots

    old, new = snapshots("m")
    proxy = FaultProxy("http://127.0.0.1:9", FaultSchedule([]), swap=ModelSwap("m", at_s=100.0, temperature=1.3))

    def served(model: str, at: float) -> tuple[dict, str]:
        headers = Message()
        headers["X-Sim-Time"] = str(at)
        body = json.dumps({"model": model, "temperature": 0}).encode()
        sent = json.loads(proxy.rewrite_request(headers, body))
        reply = json.loads(proxy.rewrite_reply(headers, body, json.dumps({"model": "m", "choices": []}).encode()))
        return sent, reply["model"]

    assert served("m", 50.0) == ({"model": "m", "temperature": 0}, old)
    sent, name = served("m", 150.0)
    assert name == new and sent["model"] == "m" and sent["temperature"] == 1.3 and "seed" in sent
    assert served(old, 150.0) == ({"model": "m", "temperature": 0}, old)  # pinned: the swap never reaches it


def test_env_config_accepts_only_snapshots_the_provider_serves():
    from labkit import llm
    from labkit.capstone import env
    from labkit.capstone.faults import snapshots

    assert env.EnvConfig(model_snapshot=snapshots(llm.model_for("chat"))[0]).model_snapshot
    with pytest.raises(ValueError, match="a gen_ai.response.model value in your traces"):
        env.EnvConfig(model_snapshot="some-model-latest")


@pytest.mark.server
def test_real_week_cache_tenant_found_and_fix_judged_both_ways(tmp_path, monkeypatch):
    """A retrieval-only service (no model calls, so it is quick) through a real week with the search-cache
    bug planted: the finder's SQL finds it, a replay with the cache keyed by tenant proves the fix, a
    replay that changes nothing does not."""
    from capstone_finder import find

    from labkit.capstone import env, week
    from labkit.capstone.layers import Response, with_online_eval, with_tracing
    from labkit.rag import prompts

    monkeypatch.setattr(week, "_draw", lambda rng, agent, days: [plan.Planted("cache-tenant", plan.DAY_S * 1.2),
                                                                  plan.Planted("reingest-drop", plan.DAY_S * 5.5)])

    def retrieval_only(request):
        hits = request.env.retrieve(request.text, tenant=request.tenant, k=3)
        return Response(hits[0].text[:200] if hits else "I don't know", context=prompts.format_context(hits))

    service = with_tracing(with_online_eval(retrieval_only, rate=1.0))
    ref = week.run_week(service, seed=5, days=4, scale=0.4, out=tmp_path / "ref")
    findings = [f for f in find(ref.dir) if f["bug"] == "cache-tenant"]
    assert findings and findings[0]["day"] == 2
    fixed = week.run_week(service, out=tmp_path / "fix", replay=ref.dir, config=env.EnvConfig(cache_key_tenant=True),
                          only_days=[2, 3, 4])
    unchanged = week.run_week(service, out=tmp_path / "same", replay=ref.dir, only_days=[2, 3, 4])
    verdicts = []
    for run in (fixed, unchanged):
        findings[0]["fix_run"] = str(run.dir)
        verdicts.append(chk.check(findings, ref.dir).verdicts[0])
    assert verdicts[0].fixed and "fix proven" in verdicts[0].lines[-1], verdicts[0].lines
    assert not verdicts[1].fixed and "traces of the re-run still show" in verdicts[1].lines[-1], verdicts[1].lines
