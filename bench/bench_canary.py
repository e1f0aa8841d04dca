"""Shipping a regression with and without a canary, on simulated weeks (labkit.release.scenario).

**A simulation**: request times and users from ``labkit.traffic.simulate`` (2,000 users, load scale 10,
a product launch on Thursday at noon); each release's errors, latency and groundedness drawn from its
``Variant`` parameters (recorded under ``params``). The candidate prompt ``v3-helpful`` is released on
Thursday at 06:00; it makes up answers to the launch's questions, which the stable prompt abstains on,
so the launch is the regression's onset. Arm ``canary``: 3 h in shadow on every request, then a
5 %-of-users canary for 24 h, rolled back automatically on a burn-rate page (SRE workbook rules,
14.4 over 1 h/5 min, 6 over 6 h/30 min) or when the online eval finds its judged groundedness below
the stable release's. Arm ``no_canary``: the same release to everyone at 06:00, the same alerts and
the same automatic rollback. Control: a candidate that behaves like the stable release on the same
weeks (nothing should page). Intervals are 95 % bootstrap intervals of the mean over seeds.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from labkit import release
from labkit.evals.stats import bootstrap_ci
from labkit.release.scenario import USERS

SEEDS = list(range(int(os.environ.get("BENCH_CANARY_SEEDS", "10"))))
CONTROL = release.Variant("v2-reworded")  # a release that behaves exactly like the stable one


def _summary(values: list[float]) -> dict[str, Any]:
    ci = bootstrap_ci(values, seed=0)
    return {"mean": round(ci.estimate, 4), "low": round(ci.low, 4), "high": round(ci.high, 4),
            "worst": round(max(values), 4), "n": len(values)}


def _arm(runs: list[release.ReleaseRun]) -> dict[str, Any]:
    alerted = [r for r in runs if r.alert is not None]
    out: dict[str, Any] = {"alerts": len(alerted), "runs": len(runs),
                           "fired_by": sorted({f"{r.trigger}: {r.alert.slo} ({r.stage_at_alert})" for r in alerted
                                               if r.alert is not None}),
                           "exposed_share": _summary([r.exposed_share for r in runs]),
                           "ungrounded_served": _summary([float(r.ungrounded_served) for r in runs])}
    if len(alerted) == len(runs):
        out["hours_to_alert"] = _summary([float(r.hours_to_alert or 0.0) for r in runs])
        out["hours_to_rollback"] = _summary([float(r.hours_to_rollback or 0.0) for r in runs])
    return out


def _row(seed: int, run: release.ReleaseRun) -> dict[str, Any]:
    return {"seed": seed, "alert": None if run.alert is None else dataclasses.asdict(run.alert),
            "trigger": run.trigger, "stage_at_alert": run.stage_at_alert, "hours_to_alert": run.hours_to_alert,
            "hours_to_rollback": run.hours_to_rollback, "users_active": run.users_active,
            "users_exposed": run.users_exposed, "exposed_share": round(run.exposed_share, 4),
            "ungrounded_served": run.ungrounded_served}


def run() -> dict:
    canary, at_once, control_alerts, rows = [], [], [], []
    params: dict[str, Any] = {}
    for seed in SEEDS:
        result = release.release_week(seed)
        canary.append(result.canary)
        at_once.append(result.at_once)
        rows.append({"canary": _row(seed, result.canary), "no_canary": _row(seed, result.at_once)})
        control = release.release_week(seed, candidate=CONTROL)
        control_alerts += [r.alert for r in (control.canary, control.at_once) if r.alert is not None]
        params = {**result.canary.params, "traffic": {k: v for k, v in result.traffic_params.items()
                                                      if k in ("simulation", "days", "scale", "events", "generator")},
                  "users": USERS, "seed": "per run"}
    arms = {"canary": _arm(canary), "no_canary": _arm(at_once)}
    worst_alert = arms["canary"].get("hours_to_alert", {}).get("worst", float("inf"))
    worst_exposed = arms["canary"]["exposed_share"]["worst"]
    targets = [
        {"name": f"canary: hours from onset to alert (worst of {len(SEEDS)} simulated weeks)",
         "value": worst_alert, "target": "<= 6", "met": worst_alert <= 6},
        {"name": f"canary: share of users exposed (worst of {len(SEEDS)} simulated weeks)",
         "value": worst_exposed, "target": "< 0.10", "met": worst_exposed < 0.10},
        {"name": "no false alarm: a release that behaves like the stable one, both arms, every week",
         "value": len(control_alerts), "target": 0, "met": not control_alerts},
    ]
    return {"method": (__doc__ or "").strip(), "simulation": True, "seeds": SEEDS, "params": params,
            "arms": arms, "per_seed": rows, "control_alerts": [dataclasses.asdict(a) for a in control_alerts],
            "targets": targets}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
