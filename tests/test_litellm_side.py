"""LiteLLM beside labkit (labkit.routing.litellm_side): the fallback drill and the budget race.

The comparisons run LiteLLM in its own environment (``make litellm-env``); they are skipped where
it has not been built. The stub endpoints stand in for every deployment, so no model is needed.
"""

from __future__ import annotations

import pytest
from conftest import require_tool

from labkit.deploy import Provider, RetryPolicy, StubEndpoint
from labkit.errors import LabkitError
from labkit.routing import litellm_side
from labkit.routing.litellm_side import BudgetRace, BudgetRound


@pytest.fixture
def litellm_env() -> None:
    require_tool(litellm_side.available(), "LiteLLM's environment is not built: run `make litellm-env`")


needs_litellm = pytest.mark.usefixtures("litellm_env")
MESSAGES = [{"role": "user", "content": "Say hi."}]


def test_a_missing_environment_names_the_fix(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(litellm_side, "litellm_python", lambda: tmp_path / "absent" / "python")
    assert not litellm_side.available()
    with pytest.raises(LabkitError, match="make litellm-env"):
        litellm_side.run_worker({"task": "budget"})


def test_overspend_is_what_was_committed_above_the_cap() -> None:
    over = BudgetRound("x", 0, cap_usd=1.0, committed_usd=1.5, admitted=3, refused=1)
    under = BudgetRound("x", 1, cap_usd=1.0, committed_usd=0.8, admitted=2, refused=2)
    assert over.overspend_usd == pytest.approx(0.5) and over.used == pytest.approx(1.5)
    assert under.overspend_usd == 0.0 and under.used == pytest.approx(0.8)


@needs_litellm
@pytest.mark.slow
def test_the_worker_refuses_to_leave_the_machine() -> None:
    task = {"task": "fallback", "tag": "t", "requests": 1, "messages": MESSAGES, "max_tokens": 2, "retries": 0,
            "backoff_s": 0.0, "allowed_fails": 0, "cooldown_s": 1.0,
            "deployments": [{"name": "far", "base_url": "http://192.0.2.1:9/v1", "model": "m", "timeout_s": 2.0}]}
    answer = litellm_side.run_worker(task, allow_refused=True)
    assert answer["refused_connections"] == ["192.0.2.1"] and answer["requests"][0]["error"], answer


@needs_litellm
@pytest.mark.slow
def test_both_routers_fall_back_to_the_working_endpoint() -> None:
    with StubEndpoint("500") as broken, StubEndpoint("hang", hang_s=20) as hanging, \
            StubEndpoint("ok", output_tokens=2) as up:
        providers = [Provider("primary", broken.url, "m"), Provider("secondary", hanging.url, "m", timeout_s=1.0),
                     Provider("local", up.url, "m")]
        outcomes = litellm_side.compare_fallback(
            providers, {"primary": broken, "secondary": hanging},
            RetryPolicy(max_attempts=3, backoff_s=0.01, breaker_threshold=1, breaker_cooldown_s=60),
            messages=MESSAGES, max_tokens=2)
    by = {(o.router, o.request): o for o in outcomes}
    assert all(o.served_by == "local" and not o.error for o in outcomes), outcomes
    assert by["labkit", 0].attempts == {"primary": 3, "secondary": 1, "local": 1}
    assert by["labkit", 1].attempts == {"primary": 0, "secondary": 0, "local": 1}  # the breaker remembers
    assert all(o.latency_s < 15 for o in outcomes), "a hang costs its timeout, not the full hang"
    assert by["litellm", 0].attempts["secondary"] >= 1  # the tagged requests were counted at the stub


@needs_litellm
@pytest.mark.slow
def test_reserve_then_settle_never_commits_above_the_cap() -> None:
    race = BudgetRace("smollm2-135m-instruct", cap_calls=10, threads=8, calls_per_thread=3, rounds=2)
    with StubEndpoint("ok", ttft_s=0.03, output_tokens=8, model=race.model) as stub:
        rounds = litellm_side.compare_budget(race, stub)
    labkit_rounds = [r for r in rounds if r.system.startswith("labkit")]
    litellm_rounds = [r for r in rounds if r.system.startswith("litellm")]
    assert len(labkit_rounds) == len(litellm_rounds) == 2
    assert all(r.overspend_usd == 0 and r.admitted > 0 for r in labkit_rounds), labkit_rounds
    assert all(r.admitted + r.refused == 8 * 3 and r.committed_usd > 0 for r in litellm_rounds), litellm_rounds
