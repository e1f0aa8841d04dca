"""The binary criteria judge against human labels: TPR and TNR on test, and a corrected pass rate.

* ``datasets/judge_labels``: real answers of three app variants, labelled by a person against written
  criteria (``correct``, ``refusal_ok``). Reported: items, and label balance by ``produced_by`` and split.
  Target: at least 200 labelled model outputs.
* Per criterion, the judge (``labkit.evals.criteria_judge``, few-shot examples from train only) on the dev
  and test items: TPR and TNR on **test** with Wilson intervals; the Rogan–Gladen corrected pass rate of
  the dev items (its bootstrap interval resamples the test labels and the dev verdicts), beside the dev
  items' human pass rate, which the correction should recover if the judge is informative.
* Bias, on test items whose labels (hence the judge's accuracy) are known: verbosity (the first
  ``BIAS_ITEMS`` answers with filler: change in the judge's pass rate, paired interval) and position (the
  first ``BIAS_PAIRS`` pairs of a labelled-correct and a labelled-wrong answer to the same question, asked
  in both orders).
* Every verdict is written out (``verdicts``), so the notebook reads them instead of judging 400 items.
"""

from __future__ import annotations

import math
import time
from collections import Counter

from labkit import llm
from labkit.evals import criteria_judge as cj
from labkit.evals import judge, judge_validation, stats

WORKERS = 8
MIN_ITEMS = 200
BIAS_ITEMS = 48   # the first test items padded for verbosity (CPU time)
BIAS_PAIRS = 16   # the first test questions with a correct and a wrong answer, for position


def _rate(r: judge_validation.Rate) -> dict[str, float]:
    return {"estimate": round(r.estimate, 4), "low": round(r.low, 4), "high": round(r.high, 4), "k": r.k, "n": r.n}


def _balance(rows: list[dict]) -> dict[str, dict[str, dict[str, int]]]:
    """criterion -> "produced_by/split" -> {"pass": n, "fail": n}."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for c in cj.LABELS:
        counts = Counter((f"{r['produced_by']}/{r['split']}", r[c]) for r in rows)
        keys = sorted({k for k, _ in counts})
        out[c] = {k: {"pass": counts[(k, True)], "fail": counts[(k, False)]} for k in keys}
    return out


def _verbosity(test: list[dict], shots: list[dict], original: dict[str, bool]) -> dict[str, object]:
    test = test[:BIAS_ITEMS]
    padded = cj.judge_many([{**r, "answer": judge.pad(r["answer"] or "(empty)")} for r in test], "correct",
                           examples=shots, workers=WORKERS)
    a = [float(original[r["id"]]) for r in test]
    b = [float(v.passed) for v in padded]
    t = stats.paired_test(a, b)
    fails = [i for i, r in enumerate(test) if not r["correct"]]
    return {"items": len(test), "pass_rate_original": round(t.mean_a, 4), "pass_rate_padded": round(t.mean_b, 4),
            "diff": round(t.diff, 4), "ci95": [round(t.low, 4), round(t.high, 4)], "p_value": round(t.p_value, 4),
            "excludes_zero": not t.low <= 0 <= t.high,
            "labelled_wrong_passed_original": sum(a[i] for i in fails), "labelled_wrong_passed_padded":
            sum(b[i] for i in fails), "labelled_wrong": len(fails)}


def _position(test: list[dict]) -> dict[str, object]:
    by_q: dict[str, list[dict]] = {}
    for r in test:
        by_q.setdefault(r["question_id"], []).append(r)
    pairs = [(next(x for x in g if x["correct"]), next(x for x in g if not x["correct"]))
             for g in by_q.values() if any(x["correct"] for x in g) and not all(x["correct"] for x in g)][:BIAS_PAIRS]
    rubric = judge.Rubric((cj.CRITERIA["correct"],), name="correct")
    comps = judge.map_parallel(lambda p: judge.compare(p[0]["question"], f"Reference answer: {p[0]['reference']}",
                                                       answer_a=p[0]["answer"], answer_b=p[1]["answer"] or "(empty)",
                                                       rubric=rubric), pairs, WORKERS)
    bias = judge.position_bias(comps)
    right = [float(pick == "a") for c in comps for pick in c.picks]
    acc = stats.bootstrap_ci(right)
    return {"pairs": len(pairs), "first_rate": [round(bias.first_rate.estimate, 4), round(bias.first_rate.low, 4),
                                                round(bias.first_rate.high, 4)],
            "first_rate_excludes_half": not bias.first_rate.contains(0.5),
            "consistency": round(bias.consistency.estimate, 4),
            "picks_labelled_correct": [round(acc.estimate, 4), round(acc.low, 4), round(acc.high, 4)]}


def run() -> dict:
    rows = cj.load_labelled()
    judged = [r for r in rows if r["split"] != "train"]
    t0 = time.perf_counter()
    mark = llm.ledger.mark()
    per: dict[str, object] = {}
    verdicts: dict[str, dict[str, bool]] = {}
    for c in cj.LABELS:
        shots = cj.few_shot(c, rows)
        got = {v.item_id: v.passed for v in cj.judge_many(judged, c, examples=shots, workers=WORKERS)}
        verdicts[c] = got
        test = [r for r in judged if r["split"] == "test"]
        dev = [r for r in judged if r["split"] == "dev"]
        acc = judge_validation.judge_accuracy([got[r["id"]] for r in test], [r[c] for r in test])
        corr = judge_validation.corrected_pass_rate([got[r["id"]] for r in dev], judge_pass=[got[r["id"]] for r in test],
                                                    human_pass=[r[c] for r in test])
        per[c] = {"few_shot_ids": [s["id"] for s in shots], "tpr_test": _rate(acc.tpr), "tnr_test": _rate(acc.tnr),
                  "youden_test": round(acc.youden, 4),
                  "dev_pass_rate": {"judge_observed": round(corr.observed, 4), "human": round(
                      sum(r[c] for r in dev) / len(dev), 4), "corrected": None if math.isnan(corr.corrected) else round(corr.corrected, 4),
                      "ci95": [round(corr.low, 4), round(corr.high, 4)],
                      "undefined_share": round(corr.undefined_share, 4), "n": len(dev)}}
    test = [r for r in judged if r["split"] == "test"]
    shots = cj.few_shot("correct", rows)
    bias = {"verbosity_correct": _verbosity(test, shots, verdicts["correct"]), "position_correct": _position(test)}
    wall = time.perf_counter() - t0
    totals = llm.ledger.totals(since=mark)
    return {
        "method": ("binary judge per criterion (labkit.evals.criteria_judge), reference-guided, 2 pass + 2 fail "
                   f"few-shot examples from train, temperature 0, {WORKERS} in flight; TPR/TNR with Wilson 95% "
                   "intervals on test; Rogan-Gladen with a 2000-resample bootstrap over test labels and dev verdicts"),
        "judge_model": llm.model_for("judge"), "backend": llm.backend(),
        "items": len(rows), "split_sizes": dict(Counter(r["split"] for r in rows)),
        "produced_by": dict(Counter(r["produced_by"] for r in rows)),
        "label_balance": _balance(rows), "criteria": per, "bias": bias,
        "wall_s": round(wall, 1), "judge_calls": totals["calls"], "input_tokens": totals["input_tokens"],
        "verdicts": verdicts,
        "targets": [{"name": "labelled judge set: model outputs", "value": len(rows), "target": f">= {MIN_ITEMS}",
                     "met": len(rows) >= MIN_ITEMS}],
    }
