"""Build the VitaminC contrastive subset from the copy that ships in the PyPI package ``bigbench==1.0.0``.

VitaminC pairs one claim with two Wikipedia revisions: one revision supports the claim, the other
refutes it. Keeping only such pairs gives a grounding set on which the claim itself (its length, its
words) carries no information about the label: only reading the evidence does.

Steps (offline once the sdist is on disk; the sdist is ~360 MB, only one file is read from it):

    pip download --no-deps -d /tmp/bb bigbench==1.0.0
    python datasets/vitaminc_contrastive/build.py /tmp/bb/bigbench-1.0.0.tar.gz

What it does: reads ``bigbench/benchmark_tasks/vitaminc_fact_verification/task.json`` from the tarball,
keeps claims that occur with both a "True" and a "False" evidence, picks one such pair per claim, at
most ``PER_PAGE`` pairs per Wikipedia page (the COVID-19 pages would otherwise dominate), samples
``PAIRS`` pairs with a fixed seed, and splits them by page (no page is in both splits). Text changes:
the PTB tokens ``-LRB-``/``-RRB-`` become brackets and the stray U+FFFD becomes a space. Nothing else.
"""

from __future__ import annotations

import json
import random
import sys
import tarfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/vitaminc_fact_verification/task.json"
SEED = 13
PAIRS = 400
PER_PAGE = 2
TRAIN_FRACTION = 0.35


def clean(text: str) -> str:
    """Undo the PTB bracket tokens and drop the replacement character."""
    for old, new in (("-LRB-", "("), ("-RRB-", ")"), ("-LSB-", "["), ("-RSB-", "]"), ("\ufffd", " ")):
        text = text.replace(old, new)
    return " ".join(text.split())


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).exists():
        print("usage: build.py PATH/TO/bigbench-1.0.0.tar.gz (pip download --no-deps bigbench==1.0.0)",
              file=sys.stderr)
        return 2
    with tarfile.open(argv[0]) as tar:
        handle = tar.extractfile(MEMBER)
        if handle is None:
            print(f"{MEMBER} not found in {argv[0]}", file=sys.stderr)
            return 2
        task = json.load(handle)
    by_claim: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for ex in task["examples"]:
        evidence, _, claim = ex["input"].rpartition("\nClaim: ")
        label = max(ex["target_scores"], key=ex["target_scores"].get)
        by_claim[claim][label].append(evidence)
    rng = random.Random(SEED)
    per_page: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for claim in sorted(by_claim):
        labels = by_claim[claim]
        if labels.get("True") and labels.get("False"):
            true_ev, false_ev = rng.choice(labels["True"]), rng.choice(labels["False"])
            page = true_ev.split(":", 1)[0]
            per_page[page].append((claim, true_ev, false_ev))
    candidates = []
    for page in sorted(per_page):
        items = per_page[page]
        rng.shuffle(items)
        candidates.extend((page, *item) for item in items[:PER_PAGE])
    rng.shuffle(candidates)
    chosen = candidates[:PAIRS]
    pages = sorted({c[0] for c in chosen})
    rng.shuffle(pages)
    train_pages = set(pages[: int(len(pages) * TRAIN_FRACTION)])
    splits: dict[str, list[dict[str, object]]] = {"train": [], "test": []}
    for n, (page, claim, true_ev, false_ev) in enumerate(sorted(chosen), 1):
        split = "train" if page in train_pages else "test"
        for kind, evidence in (("supports", true_ev), ("refutes", false_ev)):
            ctx = clean(evidence)
            splits[split].append({
                "id": f"vc-{n:04d}-{kind[0]}", "pair": f"vc-{n:04d}", "page": clean(page),
                "context": ctx, "claim": clean(claim), "label": kind, "supported": kind == "supports",
            })
    for split, rows in splits.items():
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{split}: {len(rows)} rows ({len(rows) // 2} pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
