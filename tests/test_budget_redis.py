"""The budget on a real redis-server (started per session by the conftest fixture; .ci/run installs it):
two replica processes of eight threads each never commit more than one shared cap, and a reservation
that outlives its TTL keeps counting for every replica."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from labkit.budget import Budget, BudgetExceeded, Caps

CAP = 1.0
PROCESSES, THREADS, CALLS, ROUNDS = 2, 8, 12, 5


def _replica(url: str, replica: int, seed: int) -> tuple[float, int]:
    """One replica: eight threads reserve, "call the model", settle. Returns (committed USD, refusals)."""
    budget = Budget(url, Caps(global_usd=CAP), window_s=3600)
    committed, refused, lock = [0.0], [0], threading.Lock()

    def caller(thread: int) -> None:
        rng = random.Random(seed * 1000 + replica * 100 + thread)
        for _ in range(CALLS):
            estimate = rng.uniform(0.01, 0.04)
            try:
                r = budget.reserve(f"r{replica}-t{thread}", estimate)
            except BudgetExceeded:
                with lock:
                    refused[0] += 1
                continue
            time.sleep(rng.uniform(0, 0.002))
            actual = estimate * rng.uniform(0.5, 1.0)
            budget.settle(r, actual)
            with lock:
                committed[0] += actual

    threads = [threading.Thread(target=caller, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    budget.close()
    return committed[0], refused[0]


@pytest.mark.slow
def test_two_replica_processes_of_eight_threads_never_commit_more_than_the_shared_cap(redis_url: str) -> None:
    from labkit.redis_state import connect

    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        for seed in range(ROUNDS):
            connect(redis_url).flushdb()
            results = list(pool.map(_replica, [redis_url] * PROCESSES, range(PROCESSES), [seed] * PROCESSES))
            recorded = Budget(redis_url, Caps(global_usd=CAP)).spend()
            committed = sum(c for c, _ in results)
            assert recorded.settled_usd == pytest.approx(committed) and recorded.pending_usd == 0
            assert committed <= CAP + 1e-9, f"round {seed}: ${committed:.4f} committed on a ${CAP:.2f} cap"
            assert committed > 0.8 * CAP, f"round {seed}: the replicas never pushed against the cap"
            assert all(refused > 0 for _, refused in results), f"round {seed}: a replica was never refused"


def test_a_reservation_past_its_ttl_still_counts_for_every_replica(redis_url: str) -> None:
    slow_replica = Budget(redis_url, Caps(global_usd=CAP), window_s=3600, reservation_ttl_s=0.2)
    other_replica = Budget(redis_url, Caps(global_usd=CAP), window_s=3600, reservation_ttl_s=0.2)
    slow = slow_replica.reserve("alice", 0.9)
    time.sleep(0.3)  # the slow call is still running, past its TTL
    with pytest.raises(BudgetExceeded, match=r"global budget exhausted: \$0.900000 of \$1.000000 .*past their TTL"):
        other_replica.reserve("bob", 0.2)
    assert other_replica.spend().lapsed_usd == pytest.approx(0.9)
    assert [r["state"] for r in other_replica.rows()] == ["lapsed"]
    other_replica.settle(other_replica.reserve("bob", 0.1), 0.1)
    slow_replica.settle(slow, 0.85)  # a late settle is recorded: the money was spent
    assert other_replica.spend().total_usd == pytest.approx(0.95)
