"""Evidently and alibi-detect on one simulated week, a day at a time; run inside envs/drift_tools/.venv.

    envs/drift_tools/.venv/bin/python envs/drift_tools/run_tools.py PARAMS.json OUT.json

PARAMS.json: ``weeks`` (name -> an ``.npz`` written by labkit.drift.tools_side.export_week: per request
``hours``, ``length``, ``kb_similarity`` and ``embedding`` (n, d)), ``reference`` [start, end) hours, ``days`` to test,
``ks_alpha`` (one or more thresholds for Evidently's per-column KS p-value), ``mmd_alpha``,
``mmd_permutations``, ``max_reference``, ``max_window``, ``seed``. Each tested day is the requests of
``[24 d, 24 d + 24)`` hours compared with the reference. OUT.json: per week, one row per day and tool.
Standard library, numpy, pandas, evidently and alibi_detect only: this runs outside labkit's environment.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("DO_NOT_TRACK", "1")  # iterative-telemetry (Evidently's usage analytics): off
os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def evidently_days(week: dict, params: dict, ref: np.ndarray, days: list[int]) -> list[dict]:
    from evidently import Report
    from evidently.metrics import ValueDrift

    columns = ["length", "kb_similarity"]
    frame = pd.DataFrame({c: week[c] for c in columns})
    reference = frame[ref]
    rows = []
    for d in days:
        in_day = (week["hours"] >= 24 * d) & (week["hours"] < 24 * d + 24)
        snap = Report([ValueDrift(column=c, method="ks") for c in columns]).run(
            current_data=frame[in_day], reference_data=reference)
        p = {m["config"]["column"]: float(m["value"]) for m in snap.dict()["metrics"]}
        for alpha in params["ks_alpha"]:
            rows.append({"tool": f"Evidently KS p < {alpha:g}", "day": d, "n": int(in_day.sum()),
                         "p_length": p["length"], "p_kb_similarity": p["kb_similarity"],
                         "drift": bool(min(p.values()) < alpha)})
    return rows


def alibi_days(week: dict, params: dict, ref: np.ndarray, days: list[int]) -> list[dict]:
    import torch
    from alibi_detect.cd import MMDDrift

    torch.manual_seed(params["seed"])
    torch.set_num_threads(1)
    rng = np.random.default_rng(params["seed"])
    emb = week["embedding"].astype(np.float32)
    x_ref = emb[ref]
    x_ref = x_ref[np.sort(rng.choice(len(x_ref), min(params["max_reference"], len(x_ref)), replace=False))]
    detector = MMDDrift(x_ref, backend="pytorch", p_val=params["mmd_alpha"], n_permutations=params["mmd_permutations"],
                        device="cpu")
    rows = []
    for d in days:
        in_day = np.flatnonzero((week["hours"] >= 24 * d) & (week["hours"] < 24 * d + 24))
        pick = np.sort(np.random.default_rng(params["seed"] + d).choice(in_day, min(params["max_window"], in_day.size),
                                                                        replace=False))
        out = detector.predict(emb[pick])["data"]
        rows.append({"tool": f"alibi-detect MMD p < {params['mmd_alpha']:g}", "day": d, "n": int(in_day.size),
                     "p_value": float(out["p_val"]), "statistic": float(out["distance"]),
                     "drift": bool(out["is_drift"])})
    return rows


def main(params_path: str, out_path: str) -> None:
    t0 = time.perf_counter()
    params = json.loads(open(params_path, encoding="utf-8").read())
    r0, r1 = params["reference"]
    days = [int(d) for d in params["days"]]
    weeks = {}
    for name, path in params["weeks"].items():
        week = dict(np.load(path))
        ref = (week["hours"] >= r0) & (week["hours"] < r1)
        weeks[name] = evidently_days(week, params, ref, days) + alibi_days(week, params, ref, days)
    import alibi_detect
    import evidently

    versions = {"evidently": evidently.__version__, "alibi-detect": alibi_detect.__version__,
                "numpy": np.__version__, "pandas": pd.__version__}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"weeks": weeks, "versions": versions, "seconds": round(time.perf_counter() - t0, 1)}, f)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: run_tools.py PARAMS.json OUT.json")
    main(*sys.argv[1:])
