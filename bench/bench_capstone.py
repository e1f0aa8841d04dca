"""labkit.capstone: one seeded week at the default scale, found and fixed by the reference solution.

The reference service (every layer around the bare RAG app) runs a seeded week (7 virtual days, scale
1.0, about 185 requests; traffic, faults and planted bugs are a SIMULATION, the model calls through
the real HTTP fault proxy are real). The reference finder (``tests/capstone_finder.py``, SQL over the
traces only) names its findings; the checker unseals the plan to count how many planted bugs they
cover. Then the days from the first finding on (two at most) are replayed with the environment fixes
and each finding's fix is judged (signature gone, paired test on the online eval).
Targets: the week in under 5 minutes on this machine (2 cores, shared: the load average is recorded);
every planted bug found; at least one fix proven.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from labkit import llm
from labkit.capstone import check, env, plan, prototypes, week
from labkit.capstone.faults import snapshots

SEED, DAYS, SCALE = 7, 7, 1.0  # seed 7 plants model-swap (day 3) and cache-tenant (day 6)
ROOT = Path(__file__).resolve().parents[1]


def _fixes() -> env.EnvConfig:
    """Every environment fix at once (each leaves a clean environment as it was)."""
    return env.EnvConfig(prompt_version="v1-grounded", reingest=True, max_retries=2, retry_backoff_s=0.5,
                         cache_key_tenant=True, model_snapshot=snapshots(llm.model_for("chat"))[0],
                         refresh_tool_data=True)


def run() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    from capstone_finder import find

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-capstone-") as tmp:
        t0 = time.perf_counter()
        ran = week.run_week(prototypes.reference(), seed=SEED, days=DAYS, scale=SCALE, out=Path(tmp) / "week")
        wall = time.perf_counter() - t0
        load_during = os.getloadavg()[0]
        findings = find(ran.dir)
        info = check.load_week(ran.dir).info
        planted = sorted({p.kind for p in plan._unseal(info["plan"], info["run_id"])})  # the grader's key
        first = min((f["day"] for f in findings), default=1)
        replay_days = [d for d in (first, first + 1) if d <= DAYS]
        t1 = time.perf_counter()
        fixed = week.run_week(prototypes.reference(), out=Path(tmp) / "fix", replay=ran.dir, config=_fixes(),
                              only_days=replay_days)
        replay_wall = time.perf_counter() - t1
        for f in findings:
            f["fix_run"] = str(fixed.dir)
        result = check.check(findings, ran.dir)
    found = sorted(v.bug for v in result.verdicts if v.evidence and v.day_ok and v.bug in planted)
    proven = sorted(v.bug for v in result.verdicts if v.fixed)
    share = len(found) / len(planted) if planted else 0.0
    return {
        "method": (f"{__doc__.strip().splitlines()[0]} Seed {SEED}, {DAYS} days, scale {SCALE}; measured on a "
                   f"2-core machine shared with other agents (1-min load average {load_before:.1f} before the "
                   f"week, {load_during:.1f} after it), so the wall time is an upper bound for a quiet machine."),
        "seed": SEED, "days": DAYS, "scale": SCALE, "model": llm.model_for("chat"), "backend": llm.backend(),
        "requests": ran.requests, "statuses": ran.statuses, "week_wall_s": round(wall, 1),
        "replay_days": replay_days,
        "replay_requests": fixed.requests, "replay_wall_s": round(replay_wall, 1),
        "load_average_1m": {"before": round(load_before, 2), "after_week": round(load_during, 2)},
        "planted": planted, "found": found, "fix_proven": proven,
        "verdicts": [{"bug": v.bug, "evidence": v.evidence, "day_ok": v.day_ok, "fixed": v.fixed,
                      "why": "; ".join(v.lines)} for v in result.verdicts],
        "layers": result.layers,
        "targets": [
            {"name": "seeded week at the default scale, wall seconds", "value": round(wall, 1),
             "target": "< 300", "met": wall < 300},
            {"name": "share of planted bugs the reference finder finds", "value": round(share, 3),
             "target": "== 1.0", "met": share == 1.0},
            {"name": "findings whose fix the replay proves", "value": len(proven), "target": ">= 1",
             "met": len(proven) >= 1},
        ],
    }
