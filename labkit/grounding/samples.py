"""The rows the learned grounding combiner is fitted on and the bench measures it on, fixed and seeded.

Token support costs two forward passes of SmolLM2 per answer (seconds on a shared CPU), so neither the
fit nor the bench reads every row: each set is a seeded sample, and paired sets (a supported answer and
its altered twin on the same sources) are sampled by pair, so the two rows of a pair stay together and
share one pass over their sources. Fitting reads only ``train`` files; the bench only ``test`` files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labkit import data

Row = dict[str, Any]
TRAIN_PAIRS = {"OOD summaries": 40, "VitaminC": 60}
"""Pairs drawn (:func:`pair_sample`) from these train sets for fitting."""
TRAIN_ROWS = {"OOD QA": 30, "labelled": 30}
"""Rows taken (the first of :func:`ordered`) from these train sets for fitting."""
SEED = 1


def _rows(name: str, split: str) -> list[Row]:
    """Rows of one set as ``{context, question, answer, supported, group, source, ...}``."""
    if name == "labelled":
        rows = data.records("grounding_labels", split)
        return [{**r, "group": r["question_id"], "source": "labelled"} for r in rows]
    if name == "VitaminC":
        rows = data.records("vitaminc_contrastive", split)
        return [{**r, "question": "", "answer": r["claim"], "group": r["page"], "source": name} for r in rows]
    task = {"OOD summaries": "summary", "OOD QA": "qa"}[name]
    rows = [r for r in data.records("grounding_ood", split) if r["task"] == task]
    return [{**r, "group": r["topic"], "source": name} for r in rows]


def pair_sample(rows: list[Row], n_pairs: int, seed: int = SEED) -> list[Row]:
    """The rows of ``n_pairs`` pairs drawn without replacement (all rows when there are fewer pairs)."""
    rng = np.random.default_rng(seed)
    pairs = sorted({r["pair"] for r in rows})
    keep = set(rng.choice(pairs, size=min(n_pairs, len(pairs)), replace=False).tolist())
    return [r for r in rows if r["pair"] in keep]


def ordered(rows: list[Row], seed: int = 0) -> list[Row]:
    """Rows in a seeded random order of their pairs (of single rows when unpaired): any prefix of whole
    pairs is a fair sample, so a bench can grow its sample without changing the rows it already read."""
    rng = np.random.default_rng(seed)
    key = "pair" if "pair" in rows[0] else "id"
    units = sorted({r[key] for r in rows})
    rank = {u: i for i, u in enumerate(rng.permutation(units).tolist())}
    return sorted(rows, key=lambda r: (rank[r[key]], r["id"]))


def train_sets() -> dict[str, list[Row]]:
    """The fitting rows, seeded samples of the train files only (:data:`TRAIN_PAIRS`, :data:`TRAIN_ROWS`)."""
    out = {name: pair_sample(_rows(name, "train"), n) for name, n in TRAIN_PAIRS.items()}
    return out | {name: ordered(_rows(name, "train"), SEED)[:n] for name, n in TRAIN_ROWS.items()}


def unseen_test_rows(name: str) -> list[Row]:
    """A set's test rows whose passage never occurs in its train file, in :func:`ordered` order.

    Python's help pages list one section under several topics ("in" and "comparisons" share "Membership
    test operations"), so the topic split of ``grounding_ood`` alone leaves 14 of its 56 test passages in
    train as well; those rows are dropped here, as is any such row of the other sets.
    """
    seen = {r["context"] for r in _rows(name, "train")}
    return [r for r in ordered(_rows(name, "test")) if r["context"] not in seen]


def bench_sets(sizes: dict[str, int]) -> dict[str, list[Row]]:
    """The bench's rows: the first ``sizes[name]`` of :func:`unseen_test_rows` (in :func:`ordered` order)."""
    return {name: unseen_test_rows(name)[:n] for name, n in sizes.items()}
