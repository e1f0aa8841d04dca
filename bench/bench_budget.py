"""Budget caps under concurrency: 16 threads reserve and settle against per-user and global caps,
five rounds on a file-backed SQLite budget; the recorded spend must never exceed either cap."""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from pathlib import Path

from labkit.budget import Budget, BudgetExceeded, Caps

THREADS, CALLS, ROUNDS = 16, 60, 5
GLOBAL_CAP, USER_CAP = 1.0, 0.15


def _round(seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        b = Budget(Path(tmp) / "b.sqlite", Caps(per_user_usd=USER_CAP, global_usd=GLOBAL_CAP), window_s=3600)
        refused = [0]
        lock = threading.Lock()

        def caller(i: int) -> None:
            rng = random.Random(seed * 100 + i)
            for _ in range(CALLS):
                est = rng.uniform(0.002, 0.02)
                try:
                    r = b.reserve(f"user{i % 8}", est)
                except BudgetExceeded:
                    with lock:
                        refused[0] += 1
                    continue
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
        ops = sum(1 for r in b.rows())
    return {"total_usd": round(total, 6), "max_user_usd": round(per_user, 6), "admitted": ops,
            "refused": refused[0], "reservations_per_s": round((ops + refused[0]) / seconds, 1)}


def run() -> dict:
    rounds = [_round(s) for s in range(ROUNDS)]
    worst_total = max(r["total_usd"] for r in rounds)
    worst_user = max(r["max_user_usd"] for r in rounds)
    return {
        "method": __doc__.strip().splitlines()[0], "load_average_1m": round(os.getloadavg()[0], 2),
        "threads": THREADS, "caps": {"global_usd": GLOBAL_CAP, "per_user_usd": USER_CAP}, "rounds": rounds,
        "targets": [
            {"name": "max recorded total / global cap over rounds", "value": round(worst_total / GLOBAL_CAP, 4),
             "target": "<= 1", "met": worst_total <= GLOBAL_CAP + 1e-9},
            {"name": "max recorded user spend / user cap", "value": round(worst_user / USER_CAP, 4),
             "target": "<= 1", "met": worst_user <= USER_CAP + 1e-9},
        ],
    }
