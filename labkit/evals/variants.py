"""Named variants of the reference RAG app, a fixed golden sample, and runs scored for the rubric.

A variant is one lever pulled on :class:`labkit.rag.RagConfig`, with the trade-off it is expected to
make. The registry is small on purpose: each entry is a decision a team would actually argue about.

    >>> from labkit.evals import variants
    >>> rows = variants.golden_sample(15)
    >>> run = variants.run_variant("trimmed35", rows, store="runs.sqlite")
    >>> run.metrics(["token_f1", "groundedness", "judge"])
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.evals.runs import Run, RunStore, run

SAMPLE_SEED = 13  # the fixed shuffle behind golden_sample: the same questions on every machine


@dataclass(frozen=True)
class Variant:
    """One named app variant.

    Attributes:
        name: what ``labkit eval run --variant`` takes.
        changes: the ``RagConfig`` fields it sets (empty: the default app).
        trade_off: what it is expected to gain and lose, in one sentence.
        broken: a deliberately worse variant, kept to show that the quality gate fails.
    """

    name: str
    changes: dict[str, Any] = field(default_factory=dict)
    trade_off: str = ""
    broken: bool = False

    def app(self, base: Any = None) -> Any:
        """The ``RagApp`` for this variant (sharing ``base``'s index when given)."""
        from labkit.rag import RagApp

        return (base or RagApp()).with_config(**self.changes)


VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("default", {}, "the shipped app: three whole chunks, the grounded prompt"),
    Variant("trimmed35", {"max_words_per_chunk": 35},
            "each source trimmed to ~35 words: fewer prompt tokens (cost, latency) and more valid citations, "
            "lower token F1"),
    Variant("k5", {"k": 5}, "five chunks instead of three: more context recall, more prompt tokens"),
    Variant("prompt-v2", {"prompt_version": "v2-terse"},
            "the terse prompt: shorter answers closer to the reference's form, fewer refusals"),
    Variant("one-token", {"max_tokens": 1},
            "answers cut to one token (a misconfigured deployment): worse on everything but cost", broken=True),
)}


def variant(name: str) -> Variant:
    """A registered variant by name, with the choices in the error."""
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)} (`labkit eval variants`)")
    return VARIANTS[name]


def golden_sample(n: int | None = None, *, split: str = "dev", seed: int = SAMPLE_SEED) -> list[dict[str, Any]]:
    """A fixed, stratified sample of the golden set: the first ``n`` of a fixed order of one split.

    The split is shuffled with a fixed seed, then the question kinds take turns (one of each kind,
    then the next of each...), so even a sample of ten holds every kind, unanswerable included.

    Args:
        n: how many questions (None: the whole split, in that order).
        split: "dev", "test" or "all".
        seed: the shuffle's seed (change it only to draw a different sample on purpose).

    Returns:
        Golden rows, the same ones on every machine.
    """
    from labkit import data

    rows = [r for r in data.records("golden") if split == "all" or r.get("split") == split]
    if not rows:
        raise ValueError(f"no golden rows with split={split!r}; use 'dev', 'test' or 'all'")
    if n is not None and not 1 <= n <= len(rows):
        raise ValueError(f"sample size must be in 1..{len(rows)} for split {split!r}, got {n}")
    random.Random(seed).shuffle(rows)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_kind.setdefault(str(r["kind"]), []).append(r)
    order: list[dict[str, Any]] = []
    for turn in range(max(len(v) for v in by_kind.values())):
        order.extend(group[turn] for group in by_kind.values() if turn < len(group))
    return order[:n] if n is not None else order


class _ContextRecorder:
    """Wraps an app and keeps, per question, the numbered sources its answer was written from."""

    def __init__(self, app: Any) -> None:
        self.app, self.index, self.config = app, app.index, app.config
        self.contexts: dict[tuple[str, str | None], str] = {}
        self._lock = threading.Lock()

    def retrieve(self, question: str, tenant: str | None = None) -> Any:
        return self.app.retrieve(question, tenant)

    def answer(self, question: str, tenant: str | None = None) -> Any:
        from labkit.rag.prompts import format_context

        a = self.app.answer(question, tenant=tenant)
        with self._lock:
            self.contexts[(question, tenant)] = format_context(a.hits)
        return a


def add_rubric_scores(result: Run, contexts: Mapping[tuple[str, str | None], str], *, judge: bool = True,
                      workers: int = 4) -> None:
    """Score each answered row of a run for groundedness (and with the LLM judge), in ``row.scores``.

    ``groundedness`` is :func:`labkit.grounding.support_score` of the answer against the sources it
    was written from (None on an abstention: there is no claim to check). ``judge`` is the verdict of
    :mod:`labkit.evals.criteria_judge` on ``rubric.JUDGE_CRITERION`` (1.0 pass, 0.0 fail) with its
    few-shot examples from the labelled train split, on every answer, abstentions included (the
    criterion says when declining is right). Both are None on a failed request.

    Args:
        result: the run (changed in place).
        contexts: (question, tenant) -> the numbered sources shown to the model.
        judge: also ask the LLM judge (one model call per answer).
        workers: judge requests in flight.
    """
    from labkit import grounding
    from labkit.evals import criteria_judge
    from labkit.evals.rubric import JUDGE_CRITERION

    answered = [r for r in result.rows if r.output is not None and not r.error]
    for r in result.rows:
        r.scores["groundedness"] = None
        r.scores["judge"] = None
    for r in answered:
        if not r.abstained:
            r.scores["groundedness"] = grounding.support_score(contexts[(r.question, r.tenant)], r.question,
                                                               str(r.output)).score
    if judge and answered:
        shots = criteria_judge.few_shot(JUDGE_CRITERION, criteria_judge.load_labelled())
        items = [{"id": r.item_id, "question": r.question, "reference": r.reference or "", "answer": str(r.output)}
                 for r in answered]
        verdicts = criteria_judge.judge_many(items, JUDGE_CRITERION, examples=shots, workers=workers)
        for r, v in zip(answered, verdicts, strict=True):
            r.scores["judge"] = 1.0 if v.passed else 0.0


def run_variant(name: str, rows: Sequence[Mapping[str, Any]], *, store: str | Path | RunStore | None = None,
                judge: bool = True, workers: int = 4, base_app: Any = None, run_name: str | None = None) -> Run:
    """Run one registered variant on golden rows, score it for the rubric, and store it.

    Args:
        name: a key of :data:`VARIANTS`.
        rows: golden rows (e.g. :func:`golden_sample`).
        store: where to save the run (None: not saved).
        judge: also score every answer with the LLM judge.
        workers: requests in flight.
        base_app: a ``RagApp`` whose index to share (built or opened from the cache otherwise).
        run_name: the run's name (default: the variant's name).

    Returns:
        The scored :class:`~labkit.evals.runs.Run`; its config records the variant under ``"variant"``.
    """
    v = variant(name)
    recorder = _ContextRecorder(v.app(base_app))
    result = run(recorder, rows, name=run_name or v.name, dataset=f"golden/{len(rows)}", workers=workers)
    result.config["variant"] = v.name
    add_rubric_scores(result, recorder.contexts, judge=judge, workers=workers)
    if store is not None:
        (store if isinstance(store, RunStore) else RunStore(store)).save(result)
    return result
