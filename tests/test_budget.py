"""labkit.budget: reserve/settle accounting, per-user and global caps, the sliding window on a
virtual clock, and the cap holding under 16 concurrent callers (threads and processes). Every
guarantee is checked on SQLite and on Redis (fakeredis; the real server in test_budget_redis.py)."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from pathlib import Path

import pytest

from labkit.budget import Budget, BudgetExceeded, Caps, upper_bound_usd
from labkit.budget_redis import RedisBudget


@pytest.fixture(params=["sqlite", "redis"])
def location(request: pytest.FixtureRequest) -> str:
    """Where a budget lives: SQLite in memory, or Redis (fakeredis here; a real server in test_budget_redis.py)."""
    return ":memory:" if request.param == "sqlite" else str(request.getfixturevalue("fake_redis"))


class Clock:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_reserve_settle_release_and_caps(tmp_path: Path, location: str) -> None:
    where = tmp_path / "b.sqlite" if location == ":memory:" else location
    b = Budget(where, Caps(per_user_usd=1.0, global_usd=1.5), window_s=3600)
    r = b.reserve("alice", 0.6)
    assert b.spend("alice").pending_usd == pytest.approx(0.6)
    b.settle(r, 0.4)
    s = b.spend("alice")
    assert s.settled_usd == pytest.approx(0.4) and s.pending_usd == 0 and s.remaining_usd == pytest.approx(0.6)
    with pytest.raises(BudgetExceeded, match="user 'alice' budget exhausted") as exc:
        b.reserve("alice", 0.7)
    assert exc.value.scope == "user" and exc.value.cap_usd == 1.0
    r2 = b.reserve("bob", 0.9)
    with pytest.raises(BudgetExceeded, match="global budget exhausted") as exc:
        b.reserve("carol", 0.3)  # carol has room, everyone together does not
    assert exc.value.scope == "global"
    b.release(r2)
    b.reserve("carol", 0.3)
    with pytest.raises(ValueError, match="already settled"):
        b.settle(r, 0.1)


def test_charge_context_settles_or_releases(location: str) -> None:
    b = Budget(location, {"per_user_usd": 1.0})
    with b.charge("u", 0.5) as r:
        r.actual_usd = 0.2
    assert b.spend("u").settled_usd == pytest.approx(0.2)
    with pytest.raises(RuntimeError), b.charge("u", 0.5):
        raise RuntimeError("the model call failed")
    assert b.spend("u").pending_usd == 0 and b.spend("u").settled_usd == pytest.approx(0.2)


def test_window_slides(location: str) -> None:
    clock = Clock()
    b = Budget(location, Caps(per_user_usd=1.0), window_s=100, clock=clock, reservation_ttl_s=10)
    b.settle(b.reserve("u", 1.0), 1.0)
    with pytest.raises(BudgetExceeded):
        b.reserve("u", 0.01)
    clock.t = 101  # the spend left the window
    b.reserve("u", 1.0)


def test_a_call_that_outlives_its_reservation_ttl_cannot_take_spend_over_the_cap(location: str) -> None:
    """The $1.80-on-a-$1.00-cap case: a slow call's reservation lapses while a second call asks for money."""
    clock = Clock()
    b = Budget(location, Caps(per_user_usd=None, global_usd=1.0), window_s=3600, clock=clock,
               reservation_ttl_s=10)
    slow = b.reserve("alice", 0.9)
    clock.t = 25  # the slow call is still running, well past its 10 s TTL
    with pytest.raises(BudgetExceeded, match="past their TTL") as exc:
        b.reserve("bob", 0.9)  # would be admitted if the lapsed reservation stopped counting
    assert exc.value.scope == "global"
    s = b.spend()
    assert s.pending_usd == 0 and s.lapsed_usd == pytest.approx(0.9) and s.total_usd == pytest.approx(0.9)
    assert [r["state"] for r in b.rows()] == ["lapsed"]
    small = b.reserve("bob", 0.1)  # what is left under the cap is still usable
    b.settle(slow, 0.9)  # the late settle is accepted: the money was spent
    b.settle(small, 0.1)
    committed = sum(r["actual"] for r in b.rows() if r["state"] == "settled")
    assert committed == pytest.approx(1.0) and committed <= 1.0 + 1e-9
    assert b.spend().total_usd <= 1.0 + 1e-9


def test_lapsed_reservations_of_crashed_callers_are_freed_only_explicitly(location: str) -> None:
    clock = Clock()
    b = Budget(location, Caps(per_user_usd=1.0), window_s=3600, clock=clock, reservation_ttl_s=10)
    crashed, other = b.reserve("u", 0.8), b.reserve("v", 0.5)
    clock.t = 11
    with pytest.raises(BudgetExceeded):
        b.reserve("u", 0.5)
    assert b.release_lapsed("u") == 1  # an operator who knows the caller is gone frees its money
    b.reserve("u", 0.5)
    assert b.spend("v").lapsed_usd == pytest.approx(0.5)  # other users' lapsed reservations untouched
    with pytest.raises(ValueError, match="was released"):
        b.settle(crashed, 0.2)
    b.settle(other, 0.4)
    assert b.spend("v").settled_usd == pytest.approx(0.4) and b.spend("v").lapsed_usd == 0


def _slow_caller(budget: Budget, clock: Clock, user: str, barrier: threading.Barrier, spent: list[float]) -> None:
    """Two calls per thread; the first is still running (past its TTL) while every thread tries the second."""
    held = []
    for _ in range(2):
        try:
            held.append(budget.reserve(user, 0.12))
        except BudgetExceeded:
            pass
        if barrier.wait() == 0:
            clock.t += 7  # every reservation made so far outlives its 5 s TTL
        barrier.wait()
    for r in held:
        budget.settle(r, 0.12)
        spent.append(0.12)


def test_cap_holds_with_concurrent_calls_that_outlive_the_ttl(location: str) -> None:
    clock = Clock()
    b = Budget(location, Caps(global_usd=1.0), window_s=3600, clock=clock, reservation_ttl_s=5)
    spent: list[float] = []
    barrier = threading.Barrier(8)
    threads = [threading.Thread(target=_slow_caller, args=(b, clock, f"u{i}", barrier, spent)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    committed = sum(r["actual"] for r in b.rows() if r["state"] == "settled")
    assert committed == pytest.approx(sum(spent))
    assert committed <= 1.0 + 1e-9, f"committed ${committed:.2f} on a $1.00 cap"
    assert committed >= 0.9  # the first round used the cap, so the second round pushed against it


def test_validation(location: str) -> None:
    with pytest.raises(ValueError, match="per_user_usd"):
        Caps(per_user_usd=-1)
    with pytest.raises(ValueError, match="unknown cap"):
        Budget(location, {"daily": 3.0})
    with pytest.raises(ValueError, match="window_s"):
        Budget(location, Caps(), window_s=0)
    b = Budget(location, Caps())
    with pytest.raises(ValueError, match="estimate_usd"):
        b.reserve("u", float("nan"))
    with pytest.raises(ValueError, match="user"):
        b.reserve("", 0.1)


def test_replicas_on_one_redis_location_share_the_cap(fake_redis: str) -> None:
    one, two = Budget(fake_redis, Caps(global_usd=1.0)), Budget(fake_redis, Caps(global_usd=1.0))
    assert isinstance(one, RedisBudget)
    one.settle(one.reserve("u", 0.7), 0.7)
    with pytest.raises(BudgetExceeded, match="global budget exhausted: \\$0.700000 of \\$1.000000"):
        two.reserve("v", 0.4)
    two.reserve("v", 0.3)
    assert one.spend().total_usd == pytest.approx(1.0) and [r["user"] for r in one.rows()] == ["u", "v"]


def test_an_unreachable_redis_names_the_fix_and_hides_the_password() -> None:
    from labkit.redis_state import RedisUnavailable

    with pytest.raises(RedisUnavailable, match="cannot reach Redis at redis://:\\*\\*\\*@127.0.0.1:1/0.*Start it") as exc:
        Budget("redis://:hunter2@127.0.0.1:1/0", Caps(global_usd=1.0))
    assert "hunter2" not in str(exc.value)


def test_upper_bound_uses_registry_prices() -> None:
    from labkit.llm import registry

    info = registry.get("gpt-4o-mini")
    assert upper_bound_usd("gpt-4o-mini", 1000, 100) == pytest.approx(info.cost(1000, 100))


def _caller(budget: Budget, user: str, n: int, seed: int, spent: list[float]) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        estimate = rng.uniform(0.01, 0.05)
        try:
            r = budget.reserve(user, estimate)
        except BudgetExceeded:
            continue
        time.sleep(rng.uniform(0, 0.002))  # the "model call"
        actual = estimate * rng.uniform(0.3, 1.0)  # measured cost never exceeds the upper bound
        budget.settle(r, actual)
        spent.append(actual)


@pytest.mark.parametrize("path", ["file", ":memory:", "redis"])
def test_cap_holds_under_16_concurrent_threads(tmp_path: Path, path: str, request: pytest.FixtureRequest) -> None:
    target = {"file": str(tmp_path / "conc.sqlite"), ":memory:": ":memory:"}.get(path) \
        or str(request.getfixturevalue("fake_redis"))
    b = Budget(target, Caps(per_user_usd=0.6, global_usd=2.0), window_s=3600)
    spent: list[float] = []
    threads = [threading.Thread(target=_caller, args=(b, f"user{i % 4}", 40, i, spent)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(r["actual"] or 0 for r in b.rows() if r["state"] == "settled")
    assert total == pytest.approx(sum(spent))
    assert total <= 2.0 + 1e-9, f"recorded spend {total} exceeds the global cap"
    for u in range(4):
        assert b.spend(f"user{u}").settled_usd <= 0.6 + 1e-9
    assert total > 1.5  # the callers did push against the cap (else the test proves nothing)


def _process_caller(path: str, idx: int) -> None:
    b = Budget(path, Caps(per_user_usd=None, global_usd=1.0), window_s=3600)
    _caller(b, f"p{idx}", 30, idx, [])


@pytest.mark.slow
def test_cap_holds_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "procs.sqlite")
    Budget(path, Caps(global_usd=1.0))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_caller, args=(path, i)) for i in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    total = Budget(path, Caps(global_usd=1.0)).spend().settled_usd
    assert 0.8 < total <= 1.0 + 1e-9
