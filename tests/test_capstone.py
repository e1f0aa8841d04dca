"""The capstone: planted defects, fault schedule, findings grading, and a real (small) simulated day."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from labkit.capstone import bugs, grade, world
from labkit.capstone.faults import FaultSchedule, FaultWindow


def test_defects_are_deterministic_per_seed_and_sealed() -> None:
    a, b = bugs.Defects.for_seed(5, 7), bugs.Defects.for_seed(5, 7)
    assert a.planted == b.planted and len(a.planted) == 3
    assert len({d.kind for d in a.planted}) == 3
    assert all(bugs.DAY_S <= d.start_s <= 5 * bugs.DAY_S for d in a.planted)
    kinds = {frozenset(d.kind for d in bugs.Defects.for_seed(s, 7).planted) for s in range(8)}
    assert len(kinds) > 1  # different seeds plant different bugs
    sealed = a.sealed("salt")
    assert all(bugs.seal("salt", d.kind) in sealed for d in a.planted)
    assert not any(d.kind in "".join(sealed) for d in a.planted)
    with pytest.raises(ValueError, match="unknown defect"):
        bugs.Defects([bugs.Defect("typo", 0.0)])


def test_fault_schedule_is_deterministic_and_windowed() -> None:
    with pytest.raises(ValueError, match="fault kind"):
        FaultWindow("meteor", 0, 1)
    with pytest.raises(ValueError, match="start_s < end_s"):
        FaultWindow("timeout", 5, 1)
    s = FaultSchedule([FaultWindow("rate_limit", 10, 20, share=0.5)])
    inside = [s.fault_at(15) for _ in range(10)]
    assert inside.count("rate_limit") == 5
    assert s.fault_at(25) is None and s.fault_at(5) is None


def test_findings_are_validated_with_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bug must be one of"):
        grade.validate_findings({"findings": [{"bug": "gremlins", "trace_ids": ["a" * 32], "day": 2}]})
    with pytest.raises(ValueError, match="trace_ids"):
        grade.validate_findings({"findings": [{"bug": "guard-bypass", "trace_ids": [], "day": 2}]})
    with pytest.raises(ValueError, match="day must be"):
        grade.validate_findings({"findings": [{"bug": "guard-bypass", "trace_ids": ["a" * 32], "day": 0}]})
    p = tmp_path / "f.json"
    p.write_text("{not json: [")
    with pytest.raises(ValueError):
        grade.read_findings(p)


def test_signatures_read_spans() -> None:
    root = {"name": "request", "parent_id": None, "attributes": {"http.route": "/v1/api/ask",
                                                                  "billing.charged_usd": 0.003}}
    def llm(cost: float, start_s: float = 0.0, end_s: float = 1.0) -> dict:
        return {"name": "chat", "parent_id": "r", "start_ns": int(start_s * 1e9), "end_ns": int(end_s * 1e9),
                "attributes": {"gen_ai.operation.name": "chat", "labkit.cost_usd": cost}}

    assert bugs.sig_guard_bypass([root])
    assert not bugs.sig_guard_bypass([root, {"name": "guard.input", "parent_id": "r", "attributes": {}}])
    assert bugs.sig_retry_double_bill([root, llm(0.0), llm(0.001, 1.5, 2.0)])
    assert not bugs.sig_retry_double_bill([root, llm(0.003)])
    assert bugs.sig_retry_storm([root, llm(0.0, 0.0, 1.0), llm(0.0, 1.01, 2.0)])  # retried after 10 ms
    assert not bugs.sig_retry_storm([root, llm(0.0, 0.0, 1.0), llm(0.0, 1.5, 2.0), llm(0.0, 3.0, 4.0)])  # backed off
    leak = {"name": "cache.lookup", "parent_id": "r",
            "attributes": {"cache.hit": True, "cache.entry_tenant": "halyard", "labkit.tenant": "verbena"}}
    assert bugs.sig_cache_tenant_leak([root, leak])


@pytest.mark.server
def test_a_small_day_loses_nothing_traces_everything_and_recovers_after_an_outage(embedded, tmp_path: Path) -> None:
    cfg = world.CapstoneConfig(days=1, seed=2, scale=0.012, planted=0)
    outage = FaultWindow("server_error", 0.0, 10 * 3600.0, 1.0)  # the provider is down until 10:00
    result = world.run(cfg, out_dir=tmp_path / "run", reuse=False, progress=False, windows=[outage])
    requests = world.build_traffic(cfg)
    ids = [o.request_id for o in result.outcomes]
    assert len(ids) == len(requests) and len(set(ids)) == len(ids)  # none lost, none duplicated
    store = result.store()
    roots = [s for s in store.spans(limit=100_000) if s.parent_id is None]
    assert Counter(s.trace_id for s in roots).most_common(1)[0][1] == 1
    assert {o.trace_id for o in result.outcomes} == {s.trace_id for s in roots}  # one trace per request
    assert not [o for o in result.outcomes if (o.error_cause or "").startswith("internal")]
    during = [o for o in result.outcomes if o.ts < 10 * 3600 and o.status == "error"]
    after = [o for o in result.outcomes if o.ts >= 10 * 3600 and o.kind not in ("attack",)]
    assert during and all(o.error_cause == "http_503" for o in during)
    assert after and sum(o.status in ("answered", "cached", "degraded") for o in after) >= 0.8 * len(after)
    spent = Counter()
    for o in result.outcomes:
        spent[o.day] += o.charged_usd
    assert all(v <= cfg.daily_cap_usd + 1e-12 for v in spent.values())
    params = json.loads((result.dir / "params.json").read_text())
    assert params["simulation"] is True and params["requests"] == len(requests)


@pytest.mark.server
def test_the_cost_cap_holds_under_concurrency_and_billed_retries(embedded, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from labkit import tracing
    from labkit.capstone.faults import FaultProxy
    from labkit.rag import RagApp, RagConfig

    cap = 0.0012  # a handful of reservations: each is an upper bound of ~0.0002, a real call costs ~0.00004
    cfg = world.CapstoneConfig(days=1, seed=4, scale=0.02, planted=0, daily_cap_usd=cap, per_user_cap_usd=cap)
    requests = [r for r in world.build_traffic(cfg) if r.kind != "attack"][:24]
    clock = world.ServingClock(world.START)
    tracing.setup(tmp_path / "traces.sqlite", clock=clock)
    # the worst case for a cap: every other call is rate limited and the failed attempts are billed too
    defects = bugs.Defects([bugs.Defect("retry-double-bill", 0.0)])
    proxy = FaultProxy(embedded.root_url, FaultSchedule([FaultWindow("rate_limit", 0.0, bugs.DAY_S, 0.5)])).start()
    try:
        service = world.CapstoneService(cfg, RagApp(config=RagConfig(k=cfg.k, max_tokens=cfg.max_tokens)),
                                        proxy.url, defects=defects, workdir=tmp_path, clock_ns=clock)
        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda r: service.handle(r, world.ROUTES[0]), requests))
    finally:
        proxy.stop()
        tracing.shutdown()
    assert [o.request_id for o in outcomes] == [r.id for r in requests]
    assert not [o for o in outcomes if (o.error_cause or "").startswith("internal")]
    rows = service.budget.rows()
    recorded = sum(r["actual"] for r in rows if r["state"] == "settled")
    assert recorded <= cap + 1e-12 and sum(o.charged_usd for o in outcomes) <= cap + 1e-12
    assert any(o.attempts > 1 for o in outcomes), "retries must have happened"
    assert any(o.status == "degraded" for o in outcomes), "the cap must have been reached"


@pytest.mark.server
def test_check_grades_findings_from_the_traces_without_naming_the_answer(
        embedded, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from labkit import cli

    cfg = world.CapstoneConfig(days=3, seed=1, scale=0.02)  # every planted defect is on from day 2
    run_dir = tmp_path / "week"
    result = world.run(cfg, out_dir=run_dir, reuse=False, progress=False)
    planted = {d.kind for d in bugs.Defects.for_seed(cfg.seed, cfg.days).planted}
    found = grade.find_bugs(run_dir)
    assert found and {f["bug"] for f in found} <= planted  # the traces show only what was planted
    verdict = grade.grade(found, run_dir)
    assert all(f.correct for f in verdict.findings)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"findings": found}))
    assert cli.main(["capstone", "check", str(good), "--run", str(run_dir)]) == (0 if verdict.passed else 1)
    wrong_kind = next(k for k in bugs.KINDS if k not in planted)
    wrong = [{"bug": wrong_kind, "trace_ids": [result.outcomes[0].trace_id], "day": 1},
             {**found[0], "day": found[0]["day"] + 1}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"findings": wrong}))
    capsys.readouterr()
    assert cli.main(["capstone", "check", str(bad), "--run", str(run_dir)]) == 1
    said = capsys.readouterr().out
    assert "does not show this kind" in said and "start day" in said
    assert not (planted - {found[0]["bug"]}) & set(said.replace(":", " ").split())  # other planted kinds unnamed
