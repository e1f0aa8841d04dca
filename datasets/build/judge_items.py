"""Regenerate ``datasets/judge_labels/items.jsonl``: real answers of three app variants to golden questions.

Every item is a model output: the embedded SmolLM2 behind the real server, through ``labkit.rag.RagApp``
in one of the variants of :mod:`labkit.evals.variants`, at temperature 0. The labels live in a separate
file (``labels.jsonl``, written by a person reading each item) and are never derived here, so re-running
this script cannot change a label; ``labkit.evals.judge_validation.load_labelled`` joins the two by id and
refuses items whose answer changed since they were labelled.

Run: ``python datasets/build/judge_items.py`` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from labkit.evals import judge, variants
from labkit.rag import RagApp
from labkit.rag.prompts import format_context

QUESTIONS = 80
VARIANTS = ("default", "trimmed35", "prompt-v2")
SPLIT_SEED = "judge-labels-v2"   # questions, not items, are split: one question's answers stay together
SPLITS = (("train", 0.2), ("dev", 0.2), ("test", 0.6))
OUT = Path(__file__).resolve().parents[1] / "judge_labels" / "items.jsonl"


def split_of(question_id: str) -> str:
    """The fixed split of a golden question, from a hash of its id (stable across machines and runs)."""
    u = int(hashlib.sha256(f"{SPLIT_SEED}:{question_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    edge = 0.0
    for name, share in SPLITS:
        edge += share
        if u <= edge:
            return name
    return SPLITS[-1][0]


def answer_hash(answer: str) -> str:
    """A short fingerprint of an answer, stored with its label so a changed answer is caught."""
    return hashlib.sha256(answer.encode()).hexdigest()[:12]


def build() -> list[dict]:
    rows = variants.golden_sample(QUESTIONS, split="all")
    base = RagApp()
    items: list[dict] = []
    for name in VARIANTS:
        app = variants.variant(name).app(base)
        answers = judge.map_parallel(lambda r, app=app: app.answer(r["question"], tenant=r.get("tenant") or None),
                                     rows, 4)
        for r, a in zip(rows, answers, strict=True):
            items.append({"question_id": r["id"], "question": r["question"], "kind": r["kind"],
                          "reference": r["answer"], "context": format_context(a.hits), "answer": a.text,
                          "produced_by": name, "model": a.model, "split": split_of(r["id"]),
                          "answer_sha": answer_hash(a.text)})
        print(f"{name}: {len(rows)} answers", file=sys.stderr)
    items.sort(key=lambda x: (x["question_id"], VARIANTS.index(x["produced_by"])))
    for n, it in enumerate(items, 1):
        it["id"] = f"jv-{n:03d}"
    return [{"id": it.pop("id"), **it} for it in items]


if __name__ == "__main__":
    out = build()
    OUT.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in out), encoding="utf-8")
    print(f"wrote {len(out)} items to {OUT}")
