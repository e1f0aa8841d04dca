"""Build the hand-labelled grounding set: the reference RAG app's own answers, labelled by reading.

Two steps, because the second is done by a person:

1. ``python datasets/grounding_labels/build.py generate`` asks the reference RAG app
   (``labkit.rag.RagApp`` over ``datasets/kb``, the course's default config) every golden question and
   writes ``raw_answers.jsonl``: the question, the exact numbered sources the model saw, its answer and
   citations. Nothing is labelled here.
2. A person reads each answer against *its own sources* (not against the reference answer: an answer
   that is right about the world but not in the retrieved sources is unsupported) and writes one line
   per answer into ``labels.tsv``: ``answer_id <TAB> label <TAB> unsupported claims (' | '-separated)
   <TAB> note``. ``label`` is ``supported``, ``unsupported`` or ``skip`` (abstentions and answers that make
   no checkable claim).
3. ``python datasets/grounding_labels/build.py merge`` joins the two into ``train.jsonl`` / ``test.jsonl``
   (the split follows the golden set's dev/test split, so nothing tuned on train sees a test question).

Usage: python datasets/grounding_labels/build.py generate|merge [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw_answers.jsonl"
LABELS = HERE / "labels.tsv"
LABEL_VALUES = ("supported", "unsupported", "skip")


def generate(limit: int | None) -> int:
    """Ask the RAG app every golden question (resumable) and append to raw_answers.jsonl."""
    from labkit import data
    from labkit.rag import RagApp
    from labkit.rag.prompts import format_context

    app = RagApp()
    done = set()
    if RAW.exists():
        done = {json.loads(line)["question_id"] for line in RAW.read_text(encoding="utf-8").splitlines() if line}
    questions = [q for q in data.records("golden") if q["id"] not in done]
    if limit is not None:
        questions = questions[:limit]
    t0 = time.perf_counter()
    with RAW.open("a", encoding="utf-8") as f:
        for n, q in enumerate(questions, 1):
            tenant = None if q["tenant"] == "shared" else q["tenant"]
            a = app.answer(q["question"], tenant=tenant)
            row = {
                "id": f"ga-{q['id'][2:]}", "question_id": q["id"], "question": q["question"], "kind": q["kind"],
                "golden_split": q["split"], "tenant": q["tenant"], "prompt_version": a.prompt_version,
                "context": format_context(a.hits, app.config.max_words_per_chunk), "answer": a.text,
                "citations": a.citations, "invalid_citations": a.invalid_citations,
                "retrieved_ids": a.retrieved_ids, "abstained": a.abstained, "reference_answer": q["answer"],
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            print(f"{n}/{len(questions)} {time.perf_counter() - t0:.0f}s {q['id']}: {a.text[:70]!r}", flush=True)
    return 0


def read_labels(path: Path = LABELS) -> dict[str, dict[str, object]]:
    """Parse labels.tsv; every malformed line is an error naming the line."""
    out: dict[str, dict[str, object]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"{path}:{lineno}: need 'answer_id<TAB>label[<TAB>claims<TAB>note]', got {line!r}")
        answer_id, label = parts[0].strip(), parts[1].strip()
        if label not in LABEL_VALUES:
            raise ValueError(f"{path}:{lineno}: label must be one of {LABEL_VALUES}, got {label!r}")
        if answer_id in out:
            raise ValueError(f"{path}:{lineno}: {answer_id} is labelled twice")
        claims = [c.strip() for c in parts[2].split(" | ")] if len(parts) > 2 and parts[2].strip() else []
        if label == "unsupported" and not claims:
            raise ValueError(f"{path}:{lineno}: an unsupported answer must name its unsupported claim(s)")
        out[answer_id] = {"label": label, "unsupported_claims": claims,
                          "note": parts[3].strip() if len(parts) > 3 else ""}
    return out


def merge() -> int:
    """Join raw answers and hand labels into train.jsonl / test.jsonl."""
    raw = [json.loads(line) for line in RAW.read_text(encoding="utf-8").splitlines() if line.strip()]
    labels = read_labels()
    missing = [r["id"] for r in raw if r["id"] not in labels]
    if missing:
        print(f"{len(missing)} answers are not labelled yet, e.g. {missing[:5]}", file=sys.stderr)
    splits: dict[str, list[dict[str, object]]] = {"train": [], "test": []}
    for r in raw:
        lab = labels.get(r["id"])
        if lab is None or lab["label"] == "skip":
            continue
        row = {k: r[k] for k in ("id", "question_id", "question", "kind", "tenant", "prompt_version", "context",
                                 "answer", "citations", "invalid_citations", "retrieved_ids", "reference_answer")}
        row.update(supported=lab["label"] == "supported", unsupported_claims=lab["unsupported_claims"],
                   label_note=lab["note"])
        splits["train" if r["golden_split"] == "dev" else "test"].append(row)
    for name, rows in splits.items():
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        pos = sum(1 for r in rows if r["supported"])
        print(f"{name}: {len(rows)} rows, {pos} supported, {len(rows) - pos} unsupported")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("generate", "merge"))
    parser.add_argument("--limit", type=int, default=None, help="generate at most N new answers")
    args = parser.parse_args(argv)
    return generate(args.limit) if args.step == "generate" else merge()


if __name__ == "__main__":
    sys.exit(main())
