"""The grounding data sets: datasheets, fields, splits, and that the labels are usable."""

from __future__ import annotations

from collections import Counter

import pytest

from labkit import data


@pytest.mark.parametrize("name", ["grounding_labels", "vitaminc_contrastive", "grounding_ood"])
def test_datasheets_load_and_row_counts_match(name: str) -> None:
    sheet = data.datasheet(name)
    assert sheet.licence and sheet.source
    for split, n in sheet.rows.items():
        assert len(data.records(name, split)) == n, f"{name}/{split}: datasheet says {n} rows"


def test_grounding_labels_fields_and_both_classes() -> None:
    for split in ("train", "test"):
        rows = data.records("grounding_labels", split)
        labels = Counter(r["supported"] for r in rows)
        assert labels[True] >= 10 and labels[False] >= 10, labels
        for r in rows:
            assert r["context"].startswith("[1] ") and r["answer"].strip()
            assert isinstance(r["supported"], bool) and r["label_note"]
            assert r["supported"] == (not r["unsupported_claims"]), r["id"]
    train_q = {r["question_id"] for r in data.records("grounding_labels", "train")}
    test_q = {r["question_id"] for r in data.records("grounding_labels", "test")}
    assert not train_q & test_q, "a question must not be in both splits"


def test_grounding_labels_follow_the_golden_split() -> None:
    golden = {q["id"]: q["split"] for q in data.records("golden")}
    for split, want in (("train", "dev"), ("test", "test")):
        assert {golden[r["question_id"]] for r in data.records("grounding_labels", split)} == {want}


def test_vitaminc_pairs_share_the_claim_and_split_by_page() -> None:
    pages: dict[str, set[str]] = {}
    for split in ("train", "test"):
        rows = data.records("vitaminc_contrastive", split)
        by_pair: dict[str, list[dict]] = {}
        for r in rows:
            by_pair.setdefault(r["pair"], []).append(r)
        for pair, items in by_pair.items():
            assert len(items) == 2 and items[0]["claim"] == items[1]["claim"], pair
            assert {i["label"] for i in items} == {"supports", "refutes"}
            assert items[0]["context"] != items[1]["context"]
        pages[split] = {r["page"] for r in rows}
    assert not pages["train"] & pages["test"]


def test_grounding_ood_pairs_are_balanced_length_matched_and_split_by_topic() -> None:
    topics: dict[str, set[str]] = {}
    for split in ("train", "test"):
        rows = data.records("grounding_ood", split)
        by_pair: dict[str, list[dict]] = {}
        for r in rows:
            by_pair.setdefault(r["pair"], []).append(r)
        for pair, (good, bad) in by_pair.items():
            assert good["supported"] and not bad["supported"] and good["context"] == bad["context"], pair
            n_good, n_bad = len(good["answer"].split()), len(bad["answer"].split())
            assert abs(n_good - n_bad) <= 0.25 * n_good + 1, pair
        kinds = Counter(r["kind"] for r in rows)
        assert min(kinds[k] for k in ("foreign", "swap", "negation")) >= 0.25 * kinds["supported"], kinds
        topics[split] = {r["topic"] for r in rows}
    assert not topics["train"] & topics["test"], "a help topic must not be in both splits"
