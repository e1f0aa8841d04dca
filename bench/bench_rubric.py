"""The rubric on measured scores: three RAG variants on a fixed golden sample, scored per criterion.

* Each variant of ``VARIANTS_RUN`` answers the same fixed stratified sample of the dev split
  (``labkit.evals.variants.golden_sample(SAMPLE)``), every answer scored by measured scorers:
  correctness (token F1), groundedness (the grounding detectors), citation validity, correct refusal,
  cost (tokens), latency, and the binary LLM judge on 'correct' (its TPR and TNR on labelled test
  items, from bench/results/judge.json, recorded next to it).
* Per variant and criterion: the mean with a 95% bootstrap interval.
* Each weighting in ``WEIGHTINGS``: its weights, every variant's total with its interval, the winner,
  and whether it is ahead outside the interval of its paired margin over the runner-up.
* The weights on the straight path between two weightings (``FLIP_PATHS``) where the winner changes.

Target: at least one pair of weightings with different winners, each winner ahead outside its interval.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from labkit import evals, llm
from labkit.evals import judge_validation, rubric, variants
from labkit.rag import RagApp

SAMPLE = 20
VARIANTS_RUN = ("default", "trimmed35", "prompt-v2")
WORKERS = 8
ONLY = dict.fromkeys(rubric.CRITERIA, 0.0)
QUALITY, TRUST, COST = ("answer quality (correctness 3, refusal 1)", "trust (groundedness 2, citations 1, refusal 1)",
                        "cost (tokens only)")
WEIGHTINGS: dict[str, dict[str, float]] = {
    QUALITY: {**ONLY, "correctness": 3.0, "refusal": 1.0},
    "trust and cost (citations, groundedness, tokens)": {**ONLY, "citations": 1.0, "groundedness": 1.0, "cost": 1.0},
    "every criterion weighted 1": dict(rubric.DEFAULT_WEIGHTS),
    TRUST: {**ONLY, "groundedness": 2.0, "citations": 1.0, "refusal": 1.0},
    COST: {**ONLY, "cost": 1.0},  # latency left out: runs made minutes apart on a shared machine see other loads
}
FLIP_PATHS = [(QUALITY, COST), (TRUST, COST)]


def _ci(ci: evals.Interval) -> dict[str, float]:
    return {"mean": round(ci.estimate, 4), "low": round(ci.low, 4), "high": round(ci.high, 4), "n": ci.n}


def _rate(rate: judge_validation.Rate) -> dict[str, float]:
    return {"mean": round(rate.estimate, 4), "low": round(rate.low, 4), "high": round(rate.high, 4), "n": rate.n}


def _judge_validation() -> dict | None:
    rates = rubric.judge_rates()
    if rates is None:
        return None
    return {"criterion": rates.criterion, "model": rates.model, "backend": rates.backend,
            "source": "bench/results/judge.json (labelled test split)",
            "tpr": _rate(rates.accuracy.tpr), "tnr": _rate(rates.accuracy.tnr), "youden": round(rates.youden, 4)}


def run() -> dict:
    rows = variants.golden_sample(SAMPLE)
    base = RagApp()
    llm.client().chat.completions.create(model=llm.model_for("chat"), max_tokens=1,
                                         messages=[{"role": "user", "content": "hi"}])  # server up before timing
    store = evals.RunStore(Path(tempfile.mkdtemp(prefix="bench-rubric-")) / "runs.sqlite")
    runs, walls = [], {}
    for name in VARIANTS_RUN:
        t0 = time.perf_counter()
        runs.append(variants.run_variant(name, rows, store=store, workers=WORKERS, base_app=base))
        walls[name] = round(time.perf_counter() - t0, 1)
    return summarise(rows, runs, walls)


def summarise(rows: list[dict], runs: list[evals.Run], walls: dict[str, float]) -> dict:
    """The json for scored runs of ``VARIANTS_RUN`` on ``rows``: criteria, weightings, winners, flips."""
    rankings = {label: rubric.weighted_totals(runs, w) for label, w in WEIGHTINGS.items()}
    labels = list(rankings)
    decisive_pairs = [[a, b] for i, a in enumerate(labels) for b in labels[i + 1:]
                      if rankings[a].winner != rankings[b].winner and rankings[a].decisive and rankings[b].decisive]
    return {
        "method": (f"{len(VARIANTS_RUN)} variants on a fixed stratified sample of {len(rows)} dev questions "
                   f"(variants.golden_sample({len(rows)})), {WORKERS} requests in flight, embedded model; each "
                   f"answer scored per criterion; totals are per-answer weighted means over the criteria that "
                   f"apply, 95% bootstrap intervals; 'decisive' = the winner's paired margin over the runner-up "
                   f"excludes 0. The first three weightings were fixed before the first run; the last two "
                   f"(trust, cost) were added after reading it, on the same runs. Latency is measured per run, and runs made "
                   f"minutes apart on a shared machine see different loads: read its column with care"),
        "sample": {"split": "dev", "size": len(rows), "seed": variants.SAMPLE_SEED,
                   "item_ids": [r["id"] for r in rows]},
        "variants": {v: {"changes": variants.VARIANTS[v].changes, "trade_off": variants.VARIANTS[v].trade_off,
                         "wall_s_with_judge": walls[v]} for v in VARIANTS_RUN},
        "criteria": {name: desc for name, (desc, _) in rubric.CRITERIA.items()},
        "judge_validation": _judge_validation(),
        "per_variant": {r.name: {c: _ci(ci) for c, ci in rubric.criterion_means(r).items()} for r in runs},
        "weightings": {label: {"weights": r.weights, "totals": {n: _ci(ci) for n, ci in r.totals.items()},
                               "winner": r.winner, "runner_up": r.runner_up, "margin": _ci(r.margin),
                               "decisive": r.decisive} for label, r in rankings.items()},
        "flips": [{"from": a, "to": b, "at": [{"t": f.t, "weights": f.weights, "before": f.before, "after": f.after}
                                             for f in rubric.flip_weights(runs, WEIGHTINGS[a], WEIGHTINGS[b])]}
                  for a, b in FLIP_PATHS],
        "decisive_pairs_with_different_winners": decisive_pairs,
        "targets": [{"name": "pairs of weightings with different winners, each ahead outside its interval",
                     "value": len(decisive_pairs), "target": ">= 1", "met": bool(decisive_pairs)}],
    }
