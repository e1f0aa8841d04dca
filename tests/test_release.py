"""labkit.release: burn-rate arithmetic on windows checkable by hand, the alert rules, rollback triggers,
and the falsification checks (no canary: everyone active after the onset is exposed; no regression:
no alert)."""

from __future__ import annotations

import dataclasses

import pytest

from labkit import release
from labkit.release import SLO, BurnRule, EventCounts, Plan, Variant, burn_rate, check, run_release
from labkit.traffic import Request

ONSET = 30.0  # hours


def _traffic(hours: float = 48.0, every_s: float = 20.0, users: int = 300, tagged_after: float = ONSET,
             tagged_share: float = 0.4) -> list[Request]:
    """A flat synthetic stream: one request every ``every_s`` seconds, users in turn, a share tagged
    ``launch`` after ``tagged_after`` hours."""
    out = []
    for i in range(int(hours * 3600 / every_s)):
        ts = i * every_s
        tags = ("launch",) if ts / 3600 >= tagged_after and (i % 10) < tagged_share * 10 else ()
        out.append(Request(id=f"r-{i:06d}", ts=ts, user=f"u-{(i * 7) % users:04d}", tenant="shared",
                           question="q", kind="golden", source="q-1", tags=tags))
    return out


PLAN = Plan(release_day=1.0, shadow_hours=2.0, canary_share=0.1, canary_hours=12.0)


def test_burn_rate_is_the_bad_share_over_the_budget() -> None:
    assert burn_rate(10, 100, 0.99) == pytest.approx(10.0)
    assert burn_rate(1, 1000, 0.999) == pytest.approx(1.0)  # exactly the budget: burn 1
    assert burn_rate(0, 0, 0.99) == 0.0
    with pytest.raises(ValueError, match="bad <= total"):
        burn_rate(5, 4, 0.99)
    assert SLO("a", 0.995).budget == pytest.approx(0.005)


def test_windows_count_whole_five_minute_buckets() -> None:
    c = EventCounts(hours=3)
    c.add(0.01, good=True)           # bucket 0
    c.add(0.95, good=False)          # bucket 11 (57 min)
    c.add(1.0, good=False)           # bucket 12 (60 min)
    assert c.window(1.0, 1.0) == (1, 2)         # [0h, 1h): buckets 0..11
    assert c.window(1.0, 5 / 60) == (1, 1)      # [55m, 60m): bucket 11
    assert c.window(65 / 60, 5 / 60) == (1, 1)  # [60m, 65m): bucket 12
    assert c.window(2.0, 6.0) == (2, 3)         # a window reaching before 0 is cut at 0
    with pytest.raises(ValueError, match="outside"):
        c.add(10.0, good=True)


def _counts(bad_share_by_minute, minutes: int) -> EventCounts:
    c = EventCounts(hours=8)
    for m in range(minutes):
        for k in range(10):  # 10 events a minute
            c.add(m / 60, good=k >= 10 * bad_share_by_minute(m))
    return c


def test_the_fast_rule_pages_when_both_windows_burn_and_not_after_the_problem_stopped() -> None:
    slo = SLO("availability", 0.99)
    burning = _counts(lambda m: 0.2, 60)  # 20 % bad for an hour: burn 20 on both windows
    alert = check(slo, burning, 1.0)
    assert alert is not None and alert.rule == release.PAGE_RULES[0].label
    assert alert.observed == {"burn 1h": 20.0, "burn 5m": 20.0}
    stopped = _counts(lambda m: 0.3 if m < 50 else 0.0, 60)  # bad for 50 min, then fixed
    fast = release.PAGE_RULES[:1]
    assert check(slo, stopped, 1.0, rules=fast) is None  # 1h burns 25, the last 5 min burn 0: the fast rule is quiet
    slow = check(slo, stopped, 1.0)  # ...but the last 30 min still hold 20 bad minutes: the slow rule pages
    assert slow is not None and slow.observed == {"burn 6h": 25.0, "burn 30m": 20.0}
    blip = _counts(lambda m: 1.0 if m >= 55 else 0.0, 60)  # 5 bad minutes: 5m burns 100, 1h only 8.3
    assert check(slo, blip, 1.0, rules=fast) is None


def test_the_slow_rule_and_the_minimum_events_of_the_short_window() -> None:
    slo = SLO("groundedness", 0.97)
    c = EventCounts(hours=8)
    for m in range(360):  # six hours at 25 % bad (burn 8.3): over 6, under 14.4; one judged answer a minute
        c.add(m / 60, good=m % 4 != 0)
    alert = check(slo, c, 6.0)
    assert alert is not None and alert.rule == release.PAGE_RULES[1].label
    sparse = EventCounts(hours=8)
    for k in range(5):  # five events in the last half hour, one bad: burns 6.7 on both windows
        sparse.add(5.6 + k / 20, good=k != 0)
    assert check(slo, sparse, 6.0, rules=(BurnRule(6.0, 0.5, 6.0, min_events=6),)) is None  # too few (short)
    # 1 / (0.03 x 6) = 5.6: with 5 events in the long window one bad event alone would page, so it may not
    assert check(slo, sparse, 6.0, rules=(BurnRule(6.0, 0.5, 6.0, min_events=1),)) is None
    sparse.add(1.0, good=True)  # a sixth event, earlier in the long window: now 1 in 6 (burn 5.6 < 6)...
    sparse.add(1.1, good=False)  # ...and a second bad one: 2 in 7 burns 9.5 on 6 h, 1 in 5 burns 6.7 on 30 min
    assert check(slo, sparse, 6.0, rules=(BurnRule(6.0, 0.5, 6.0, min_events=1),)) is not None


def test_an_availability_regression_in_the_canary_is_rolled_back_and_exposure_stops() -> None:
    stable = Variant("v1")
    broken = Variant("v2-broken", error_rate=0.3)
    run = run_release(_traffic(), stable, broken, plan=dataclasses.replace(PLAN, shadow_hours=0.0), onset_hours=24.0)
    assert run.alert is not None and run.alert.slo == "availability" and run.stage_at_alert == "canary"
    assert run.trigger == "slo" and run.rollback_hours == pytest.approx(run.alert.hours + 5 / 60)
    # 18 canary requests an hour: the 6 h window needs 34 events (1 / (0.005 x 6)) before it may page
    assert run.hours_to_alert is not None and run.hours_to_alert < 2.0
    assert run.exposed_share < 0.15  # only canary users, and only until the rollback


def test_a_candidate_bad_from_the_start_is_caught_in_shadow_and_nobody_sees_it() -> None:
    ungrounded = Variant("v2-ungrounded", grounded=0.5)
    run = run_release(_traffic(), Variant("v1"), ungrounded, plan=PLAN, onset_hours=24.0)
    assert run.alert is not None and run.stage_at_alert == "shadow"
    assert run.users_exposed == 0 and run.requests_exposed == 0


def test_without_canary_or_rollback_everyone_active_after_the_onset_is_exposed() -> None:
    traffic = _traffic()
    regressed = Variant("v3", grounded_by_tag=(("launch", 0.15),))
    plan = dataclasses.replace(release.ship_at_once(PLAN), auto_rollback=False)
    run = run_release(traffic, Variant("v1"), regressed, plan=plan, onset_hours=ONSET)
    after = {r.user for r in traffic if r.ts / 3600 >= ONSET}
    assert run.users_exposed == len(after) and run.alert is not None  # it alerts, but nothing rolls back
    assert run.rollback_hours is None


def test_no_regression_no_alert_and_the_canary_arm_rolls_out() -> None:
    traffic = _traffic()
    same = Variant("v2-same-behaviour")
    for plan in (PLAN, release.ship_at_once(PLAN)):
        run = run_release(traffic, Variant("v1"), same, plan=plan, onset_hours=ONSET)
        assert run.alert is None and run.rollback_hours is None
        assert run.users_exposed == len({r.user for r in traffic if r.ts / 3600 >= ONSET})  # full rollout


def test_the_planted_regression_on_the_simulated_week_is_caught_by_the_canary_first() -> None:
    result = release.release_week(seed=0, scale=4)
    canary, at_once = result.canary, result.at_once
    assert canary.alert is not None and canary.stage_at_alert == "canary"
    assert at_once.alert is not None and at_once.stage_at_alert == "full"
    assert canary.exposed_share < at_once.exposed_share and canary.ungrounded_served < at_once.ungrounded_served
    assert result.traffic_params["simulation"] is True
    assert canary.params["simulation"] is True and canary.params["candidate"]["prompt_version"] == "v3-helpful"


def test_plan_stages_and_bad_plans() -> None:
    p = Plan(release_day=1.0, shadow_hours=2.0, canary_share=0.05, canary_hours=10.0)
    assert [p.stage(h) for h in (23.9, 24.0, 26.0, 35.9, 36.0)] == ["before", "shadow", "canary", "canary", "full"]
    assert release.ship_at_once(p).stage(24.0) == "full"
    with pytest.raises(ValueError, match="must be in"):
        Plan(canary_share=1.5)
    with pytest.raises(ValueError, match="short_hours"):
        BurnRule(0.5, 1.0, 6.0)
