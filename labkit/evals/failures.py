"""Error analysis: a failure taxonomy read off real outputs, and binary checks for its two biggest modes.

The codes in ``datasets/failure_codes`` were assigned by reading every failed answer of one traced dev
run. The two most frequent modes became cheap checks that run on every eval row (``score_item`` adds
them as ``invented_number`` and ``degenerate``), and :class:`NumberGuard` is an app change aimed at
the first one.

    >>> from labkit.evals import failures
    >>> failures.invented_number("It is 402 a minute.", sources="Business: 900 requests per minute")
    True
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from labkit.evals.metrics import normalise, numbers
from labkit.evals.stats import cohen_kappa

TAXONOMY: dict[str, str] = {
    "wrong_number": "states a figure that is not the right value for the question (including a figure where none exists)",
    "degenerate": "repetition loops, lists of [n] markers or digits, or a pasted source instead of an answer",
    "partial_answer": "answers one part of a multi-part or plan-dependent question and drops the rest",
    "missed_abstention": "an unanswerable question answered instead of saying \"I don't know\"",
    "verbose_correct": "the right value is there but buried in extra words, so token F1 falls below 0.5",
    "wrong_fact": "a wrong non-numeric claim (wrong person, plan, permission or algorithm)",
    "empty_or_echo": "no content: a bare preamble such as \"The answer is:\" or the question repeated",
}
FAILURE_RULE = "token_f1 < 0.5 (answerable questions) or abstention_correct == 0"

_MARKER = re.compile(r"\[\d+\]")
_LONG_DIGITS = re.compile(r"\d{12,}")
_NOT_FIGURES = re.compile(r"\[\d+\]|^\s*\d+\.(?=\s)", re.MULTILINE)  # [n] markers and list ordinals


def is_failure(scores: Mapping[str, Any]) -> bool:
    """Whether an eval row counts as failed under :data:`FAILURE_RULE`.

    Args:
        scores: the row's metric -> value map (None where a metric does not apply).
    """
    f1, ok = scores.get("token_f1"), scores.get("abstention_correct")
    return (f1 is not None and f1 < 0.5) or ok == 0


def invented_number(answer: str, sources: str, question: str = "") -> bool:
    """True when the answer states a number found neither in the sources nor in the question (1 % tolerance).

    Args:
        answer: the model's answer.
        sources: the text the model was shown.
        question: the user's question (a number repeated from it is not invented).

    Returns:
        Whether at least one number in the answer has no support.
    """
    known = numbers(sources) + numbers(question)
    stated = numbers(_NOT_FIGURES.sub(" ", answer))
    return any(not any(math.isclose(n, k, rel_tol=0.01, abs_tol=1e-9) for k in known) for n in stated)


def degenerate(answer: str) -> bool:
    """True when the answer loops or is not an answer: a repeated 4-word run, three or more ``[n]`` markers,
    a run of 12+ digits, or an answer that opens with a ``[n]`` marker (a pasted source).

    Args:
        answer: the model's answer.
    """
    text = answer.strip()
    if len(_MARKER.findall(text)) >= 3 or _LONG_DIGITS.search(text) or _MARKER.match(text):
        return True
    words = normalise(text).split()
    grams = Counter(tuple(words[i:i + 4]) for i in range(len(words) - 3))
    return any(c >= 2 for c in grams.values())


def check_row(row: Mapping[str, Any], sources: str) -> dict[str, bool]:
    """Both checks on one eval row (a dict with ``output``, ``question``).

    Args:
        row: an eval row or a coded row.
        sources: the text the model was shown for it.
    """
    out = str(row.get("output") or "")
    return {"invented_number": invented_number(out, sources, str(row.get("question") or "")),
            "degenerate": degenerate(out)}


def load_codes(split: str = "dev") -> list[dict[str, Any]]:
    """The hand-coded failures (``datasets/failure_codes``), each code checked against :data:`TAXONOMY`.

    Args:
        split: the datasheet's file key (only "dev": codes are never made on test outputs).
    """
    from labkit import data

    rows = data.records("failure_codes", split)
    for r in rows:
        unknown = [c for c in r["codes"] if c not in TAXONOMY]
        if unknown or not r["codes"]:
            raise ValueError(f"{r['item_id']}: codes {r['codes']} must be non-empty and from {sorted(TAXONOMY)}")
    return rows


def code_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many coded rows carry each code, most frequent first (a row may carry several)."""
    c = Counter(code for r in rows for code in r["codes"])
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class CheckAgreement:
    """A binary check against the hand codes of one mode on the same rows.

    Attributes:
        check: the check's name; code: the hand code it stands for.
        tp, fn, tn, fp: confusion counts (positive = the hand code is present).
        kappa: Cohen's kappa of check vs hand code.
    """

    check: str
    code: str
    tp: int
    fn: int
    tn: int
    fp: int
    kappa: float

    @property
    def tpr(self) -> float:
        """Share of hand-coded rows the check flags (nan when no row has the code)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def tnr(self) -> float:
        """Share of rows without the code that the check leaves alone (nan when every row has it)."""
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else float("nan")

    def __str__(self) -> str:
        return (f"{self.check} vs hand code {self.code}: TPR {self.tpr:.0%} ({self.tp}/{self.tp + self.fn}), "
                f"TNR {self.tnr:.0%} ({self.tn}/{self.tn + self.fp}), kappa {self.kappa:+.2f}")


def agreement(flags: Sequence[bool], coded: Sequence[bool], *, check: str, code: str) -> CheckAgreement:
    """Confusion counts and kappa of a check's flags against hand codes, row by row.

    Args:
        flags: the check's verdict per row.
        coded: whether the hand code is present on the same rows.
        check: the check's name; code: the hand code's name.
    """
    if len(flags) != len(coded) or not flags:
        raise ValueError(f"need the same, non-zero number of flags and codes; got {len(flags)} and {len(coded)}")
    pairs = list(zip((bool(c) for c in coded), (bool(f) for f in flags), strict=True))
    return CheckAgreement(check=check, code=code, tp=pairs.count((True, True)), fn=pairs.count((True, False)),
                          tn=pairs.count((False, False)), fp=pairs.count((False, True)),
                          kappa=cohen_kappa([h for h, _ in pairs], [f for _, f in pairs], labels=[False, True]))


CHECKS = {"invented_number": "wrong_number", "degenerate": "degenerate"}  # check -> the hand code it targets


def kb_sources(doc_ids: Sequence[str]) -> str:
    """The shipped KB text of some document ids, joined (what a coded row's model could have read)."""
    from labkit import data

    text = {d["id"]: d["text"] for d in data.records("kb")}
    return "\n\n".join(text[i] for i in doc_ids if i in text)


def agreement_on_codes(rows: Sequence[Mapping[str, Any]],
                       sources: Mapping[str, str] | None = None) -> list[CheckAgreement]:
    """Each check in :data:`CHECKS` against its hand code on the coded rows.

    Args:
        rows: coded rows (:func:`load_codes`).
        sources: item_id -> the text the model was shown (e.g. the app's retrieved chunks again);
            default the whole KB documents in each row's ``context_ids`` (a superset of what it saw).
    """
    flags = [check_row(r, sources[r["item_id"]] if sources else kb_sources(r["context_ids"])) for r in rows]
    return [agreement([f[check] for f in flags], [code in r["codes"] for r in rows], check=check, code=code)
            for check, code in CHECKS.items()]


class NumberGuard:
    """An app change for ``wrong_number``: an answer that states a figure its sources do not contain is
    replaced by "I don't know" (an abstention) instead of being shown.

    Args:
        app: a ``labkit.rag.RagApp`` (its ``index`` and ``config`` are passed through).
    """

    def __init__(self, app: Any) -> None:
        self.app, self.index, self.config = app, app.index, app.config

    def retrieve(self, question: str, tenant: str | None = None) -> Any:
        return self.app.retrieve(question, tenant)

    def answer(self, question: str, tenant: str | None = None) -> Any:
        from labkit.rag.prompts import IDK

        a = self.app.answer(question, tenant=tenant)
        if a.abstained or not invented_number(a.text, "\n".join(h.text for h in a.hits), question):
            return a
        return replace(a, text=IDK + ".", citations=[], invalid_citations=[], abstained=True)


class TracedScores:
    """Wraps an app so that each request runs in an ``eval.request`` span carrying its item id, its
    answer and its scores (``eval.token_f1``, ``eval.abstention_correct``, the two checks): failed
    requests can then be found with SQL over the span store.

    Args:
        app: a ``RagApp`` (ideally ``tracing.instrument_rag``-ed, so retrieval and the model call nest under).
        items: the golden rows it will be asked, matched by question.
    """

    def __init__(self, app: Any, items: Sequence[Mapping[str, Any]]) -> None:
        self.app, self.index, self.config = app, app.index, app.config
        self.items = {str(i["question"]): i for i in items}

    def retrieve(self, question: str, tenant: str | None = None) -> Any:
        return self.app.retrieve(question, tenant)

    def answer(self, question: str, tenant: str | None = None) -> Any:
        from labkit import tracing
        from labkit.evals.metrics import score_item

        item = self.items[question]
        with tracing.span("eval.request", category="evaluation", attributes={"eval.item_id": item["id"]}) as span:
            a = self.app.answer(question, tenant=tenant)
            s = score_item(item, a.text, abstained=bool(a.abstained), context_text="\n".join(h.text for h in a.hits))
            keep = ("token_f1", "abstention_correct", "invented_number", "degenerate")
            span.set_attributes({"eval.output": a.text, "eval.kind": item["kind"],
                                 **{f"eval.{k}": s[k] for k in keep if s.get(k) is not None}})
        return a
