"""Join the hand codes (hand_codes.tsv) with the outputs of the eval run they were read from.

    python datasets/failure_codes/build.py RUNS.sqlite [RUN_ID]

Writes dev.jsonl: one row per failed request of that run (the rule is labkit.evals.failures.FAILURE_RULE).
Fails when a failed request has no hand code, or a code names a request that did not fail.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(store: str, run_id: str | None = None) -> None:
    from labkit.evals.failures import TAXONOMY, is_failure

    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    run_id = run_id or conn.execute("SELECT id FROM runs ORDER BY created DESC LIMIT 1").fetchone()[0]
    rows = conn.execute("SELECT item_id, kind, question, reference, output, context_ids, scores FROM rows "
                        "WHERE run_id = ? ORDER BY ord", (run_id,)).fetchall()
    with open(HERE / "hand_codes.tsv", encoding="utf-8") as f:
        hand = {r["item_id"]: r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}
    out = []
    for item_id, kind, question, reference, output, context_ids, scores in rows:
        s = json.loads(scores)
        if not is_failure(s):
            if item_id in hand:
                sys.exit(f"{item_id} is coded but did not fail; remove it from hand_codes.tsv")
            continue
        if item_id not in hand:
            sys.exit(f"{item_id} failed but has no hand code; add a row to hand_codes.tsv")
        codes = hand[item_id]["codes"].split(",")
        if any(c not in TAXONOMY for c in codes):
            sys.exit(f"{item_id}: unknown code in {codes}; use one of {sorted(TAXONOMY)}")
        out.append({"item_id": item_id, "run_id": run_id, "kind": kind, "question": question,
                    "reference": reference, "output": output, "context_ids": json.loads(context_ids),
                    "token_f1": s.get("token_f1"), "abstention_correct": s.get("abstention_correct"),
                    "codes": codes, "note": hand[item_id]["note"]})
    with open(HERE / "dev.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
    print(f"{len(out)} coded failures of {len(rows)} requests in run {run_id}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
