"""Budget caps under concurrency, on SQLite and on Redis: 16 threads reserve and settle against per-user and global caps,
five rounds per backend (a file-backed SQLite budget; a local redis-server); the recorded spend must never exceed either
cap, and the p50 time of one reservation is reported for each backend, under the 16 threads and for one caller alone."""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from labkit.budget import Budget, BudgetExceeded, Caps
from labkit.redis_state import connect, local_redis_server

THREADS, CALLS, ROUNDS = 16, 60, 5
GLOBAL_CAP, USER_CAP = 1.0, 0.15


@contextmanager
def _sqlite_locations() -> Iterator[Callable[[], str]]:
    """A fresh SQLite file per round."""
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(ROUNDS + 1))
        yield lambda: str(Path(tmp) / f"b{next(counter)}.sqlite")


@contextmanager
def _redis_locations() -> Iterator[Callable[[], str]]:
    """One local redis-server, emptied before each round."""
    with local_redis_server() as url:
        def fresh() -> str:
            connect(url).flushdb()
            return url
        yield fresh


def _round(location: str, seed: int) -> tuple[dict, list[float]]:
    b = Budget(location, Caps(per_user_usd=USER_CAP, global_usd=GLOBAL_CAP), window_s=3600)
    refused = [0]
    reserve_s: list[float] = []
    lock = threading.Lock()

    def caller(i: int) -> None:
        rng = random.Random(seed * 100 + i)
        for _ in range(CALLS):
            est = rng.uniform(0.002, 0.02)
            t0 = time.perf_counter()
            try:
                r = b.reserve(f"user{i % 8}", est)
            except BudgetExceeded:
                with lock:
                    refused[0] += 1
                    reserve_s.append(time.perf_counter() - t0)
                continue
            with lock:
                reserve_s.append(time.perf_counter() - t0)
            time.sleep(rng.uniform(0, 0.003))
            b.settle(r, est * rng.uniform(0.2, 1.0))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    total = b.spend().settled_usd
    per_user = max(b.spend(f"user{u}").settled_usd for u in range(8))
    ops = len(b.rows())
    b.close()
    return ({"total_usd": round(total, 6), "max_user_usd": round(per_user, 6), "admitted": ops,
             "refused": refused[0], "reservations_per_s": round((ops + refused[0]) / seconds, 1)}, reserve_s)


def _one_caller_p50_ms(location: str, calls: int = 300) -> float:
    """p50 of a reservation with no other caller: the backend's own latency, without queueing."""
    b = Budget(location, Caps(global_usd=1e6), window_s=3600)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        r = b.reserve("solo", 0.001)
        times.append(time.perf_counter() - t0)
        b.settle(r, 0.001)
    b.close()
    return round(1000 * statistics.median(times), 3)


def _backend(name: str, locations: AbstractContextManager[Callable[[], str]]) -> dict:
    rounds, times = [], []
    with locations as fresh:
        for seed in range(ROUNDS):
            result, reserve_s = _round(fresh(), seed)
            rounds.append(result)
            times += reserve_s
        one_caller = _one_caller_p50_ms(fresh())
    worst_total = max(r["total_usd"] for r in rounds)
    worst_user = max(r["max_user_usd"] for r in rounds)
    return {
        "rounds": rounds,
        "p50_reserve_ms": round(1000 * statistics.median(times), 3),
        "p50_reserve_ms_one_caller": one_caller,
        "p95_reserve_ms": round(1000 * statistics.quantiles(times, n=20)[-1], 3),
        "targets": [
            {"name": f"{name}: max recorded total / global cap over rounds", "value": round(worst_total / GLOBAL_CAP, 4),
             "target": "<= 1", "met": worst_total <= GLOBAL_CAP + 1e-9},
            {"name": f"{name}: max recorded user spend / user cap", "value": round(worst_user / USER_CAP, 4),
             "target": "<= 1", "met": worst_user <= USER_CAP + 1e-9},
        ],
    }


def run() -> dict:
    backends = {"sqlite": _backend("sqlite", _sqlite_locations())}
    if shutil.which("redis-server"):
        backends["redis"] = _backend("redis", _redis_locations())
    return {
        "method": " ".join(__doc__.split()), "load_average_1m": round(os.getloadavg()[0], 2),
        "threads": THREADS, "caps": {"global_usd": GLOBAL_CAP, "per_user_usd": USER_CAP},
        "p50_reserve_ms": {name: b["p50_reserve_ms"] for name, b in backends.items()},
        "p50_reserve_ms_one_caller": {name: b["p50_reserve_ms_one_caller"] for name, b in backends.items()},
        "redis": backends["redis"] if "redis" in backends else "skipped: redis-server is not installed",
        "sqlite": backends["sqlite"],
        "targets": [t for b in backends.values() for t in b.pop("targets")],
    }
