"""A binary judge, built the way practitioners build one: one criterion per call, pass or fail.

Each criterion has a written definition, the same one the human labeller of ``datasets/judge_labels``
followed, and the judge sees a few labelled examples from the **train** split only. The judge is
reference-guided: it reads the question, the golden reference answer and the answer to grade (not the
retrieved sources, which keeps a call short enough for CPU). The reply is constrained with a JSON
schema where ``llm.capabilities()`` says the endpoint accepts one, and parsed from text otherwise.

    >>> from labkit.evals import criteria_judge as cj
    >>> rows = cj.load_labelled()
    >>> shots = cj.few_shot("correct", rows)
    >>> test = [r for r in rows if r["split"] == "test"]
    >>> [v.passed for v in cj.judge_many(test[:4], "correct", examples=shots)]

How far to trust the verdicts is :mod:`labkit.evals.judge_validation`'s question.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labkit import llm
from labkit.evals.judge import Criterion, map_parallel

CRITERIA: dict[str, Criterion] = {c.name: c for c in (
    Criterion("correct", "The answer gives the fact the reference answer gives (the same number, name, yes/no or "
                         "step; other wording is fine) and says nothing that contradicts the reference. If the "
                         "reference is \"I don't know\", only an answer that declines passes. An answer cut off "
                         "before it states the fact, an empty answer, or a wrong or superseded value fails."),
    Criterion("refusal_ok", "The answer declines (says it does not know, or that the sources do not say) exactly "
                            "when the reference is \"I don't know\". Declining an answerable question fails; "
                            "answering an unanswerable one fails. Whether the answer's facts are right does not "
                            "matter here."),
)}
LABELS = ("correct", "refusal_ok")
VERDICT_SCHEMA = {"type": "object", "properties": {"verdict": {"type": "string", "enum": ["pass", "fail"]}},
                  "required": ["verdict"], "additionalProperties": False}
SYSTEM = ("You grade one answer from a customer-support assistant on one criterion, by comparing it with the "
          "reference answer.\nCriterion: {name}\nDefinition: {definition}\n"
          'Reply with JSON only: {{"verdict": "pass"}} or {{"verdict": "fail"}}.')


def _show(item: Mapping[str, Any]) -> str:
    answer = str(item["answer"]).strip() or "(empty)"
    return f"Question: {item['question']}\nReference answer: {item['reference']}\nAnswer to grade: {answer}"


def criterion(name: str) -> Criterion:
    """A criterion by name, with the choices in the error."""
    if name not in CRITERIA:
        raise ValueError(f"unknown criterion {name!r}; choose from {', '.join(CRITERIA)}")
    return CRITERIA[name]


def few_shot(name: str, rows: Sequence[Mapping[str, Any]], per_label: int = 2) -> list[dict[str, Any]]:
    """Labelled examples for a criterion's prompt: the first ``per_label`` passes and fails of the train split.

    Args:
        name: the criterion.
        rows: labelled items (from :func:`load_labelled`); only those with ``split == "train"`` are used.
        per_label: examples of each verdict.

    Returns:
        The examples, passes and fails alternating.
    """
    criterion(name)
    train = [r for r in rows if r.get("split") == "train"]
    passes = [r for r in train if r[name]][:per_label]
    fails = [r for r in train if not r[name]][:per_label]
    if len(passes) < per_label or len(fails) < per_label:
        raise ValueError(f"the train split has {len(passes)} passes and {len(fails)} fails for {name!r}; "
                         f"need {per_label} of each (lower per_label)")
    return [dict(x) for pair in zip(passes, fails, strict=True) for x in pair]


def messages(item: Mapping[str, Any], name: str, examples: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The chat the judge reads: definition, then examples as earlier turns, then the item (a shared prefix)."""
    c = criterion(name)
    msgs = [{"role": "system", "content": SYSTEM.format(name=c.name, definition=c.description)}]
    for ex in examples:
        msgs += [{"role": "user", "content": _show(ex)},
                 {"role": "assistant", "content": json.dumps({"verdict": "pass" if ex[name] else "fail"})}]
    return [*msgs, {"role": "user", "content": _show(item)}]


@dataclass(frozen=True)
class Verdict:
    """The judge's call on one item and criterion.

    Attributes:
        item_id / criterion: what was judged.
        passed: the verdict.
        raw: the judge's reply as written.
        input_tokens: the prompt's size.
    """

    item_id: str
    criterion: str
    passed: bool
    raw: str
    input_tokens: int = 0


def parse_verdict(raw: str) -> bool:
    """``True`` for a pass, ``False`` for a fail, from JSON or from the first "pass"/"fail" word."""
    try:
        v = json.loads(raw).get("verdict")
    except (ValueError, AttributeError):
        v = None
    if v not in ("pass", "fail"):
        m = re.search(r"\b(pass|fail)", raw.lower())
        if not m:
            raise ValueError(f"the judge's reply says neither pass nor fail: {raw[:120]!r}")
        v = m.group(1)
    return v == "pass"


def judge_one(item: Mapping[str, Any], name: str, *, examples: Sequence[Mapping[str, Any]] = (),
              client: Any = None, model: str | None = None) -> Verdict:
    """Ask the judge for a pass/fail verdict on one item and one criterion.

    Args:
        item: ``id``, ``question``, ``reference`` and ``answer``.
        name: the criterion.
        examples: labelled few-shot examples (:func:`few_shot`); never from the split being measured.
        client / model: the judge; ``llm.client()`` and ``llm.model_for("judge")`` by default.

    Returns:
        A :class:`Verdict`.
    """
    client = client if client is not None else llm.client()
    model = model or llm.model_for("judge")
    extra: dict[str, Any] = {}
    if llm.capabilities().json_schema:
        extra["response_format"] = {"type": "json_schema",
                                    "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA, "strict": True}}
    r = client.chat.completions.create(model=model, temperature=0, max_tokens=12,
                                       messages=messages(item, name, examples), **extra)
    raw = r.choices[0].message.content or ""
    return Verdict(str(item.get("id", "")), name, parse_verdict(raw), raw,
                   r.usage.prompt_tokens if r.usage else 0)


def judge_many(items: Sequence[Mapping[str, Any]], name: str, *, examples: Sequence[Mapping[str, Any]] = (),
               workers: int = 4, client: Any = None, model: str | None = None) -> list[Verdict]:
    """:func:`judge_one` over many items, ``workers`` requests in flight, in order."""
    leaked = {str(e.get("id")) for e in examples} & {str(i.get("id")) for i in items}
    if leaked:
        raise ValueError(f"few-shot examples {sorted(leaked)} are also being judged; draw examples from train only")
    return map_parallel(lambda it: judge_one(it, name, examples=examples, client=client, model=model), items, workers)


def load_labelled(split: str | None = None) -> list[dict[str, Any]]:
    """The judge_labels items joined with their human labels, checked against the labelled answers.

    Args:
        split: "train", "dev" or "test" (None: all).

    Returns:
        Item dicts with the label fields (``correct``, ``refusal_ok``) added as booleans.
    """
    from labkit import data

    labels = {x["id"]: x for x in data.records("judge_labels", "labels")}
    out = []
    for it in data.records("judge_labels", "items"):
        lab = labels.get(it["id"])
        if lab is None:
            raise ValueError(f"item {it['id']} has no label in judge_labels/labels.jsonl; label it or rebuild")
        if lab["answer_sha"] != hashlib.sha256(it["answer"].encode()).hexdigest()[:12]:
            raise ValueError(f"item {it['id']}'s answer changed since it was labelled; re-label it")
        if split is None or it["split"] == split:
            out.append({**it, **{k: bool(lab[k]) for k in LABELS}, "note": lab.get("note", "")})
    return out
