"""Token-level support: how much the sources raise each answer token's likelihood under the real model.

The string checks in :mod:`labkit.grounding.detectors` see only what they were written for (numbers,
names, flipped polarity). This detector reads the evidence with a language model instead. For each
answer token it compares two log-probabilities from the same model (SmolLM2-135M, the local weights that
:func:`labkit.specdec.load` opens in transformers; no network, no server):

    support(token) = log p(token | sources, question, earlier answer) - log p(token | question, earlier answer)

A token copied or paraphrased from the sources gains likelihood when they are shown; an invented one
gains little or loses. The answer's score is the share of its tokens that the sources *did* help
(support above ``LOW_SUPPORT``), so higher = supported, like every other detector. The *weakest
stretch* (lowest mean support over ``window`` consecutive tokens) is kept as a second view: it was the
other candidate, and on the train splits (OOD train summaries and QA, the app's labelled train answers)
the low-support share was the more even of the two (AUROC 0.74 / 0.91 / 0.73 against 0.74 / 0.79 / 0.63).

Cost: two forward passes per answer (with and without the sources); see ``bench/bench_grounding.py``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

WINDOW = 4
"""Tokens per stretch for the weakest-stretch score (a short clause)."""
LOW_SUPPORT = 0.0
"""A token whose support is below this (the sources did not help at all) counts as low-support."""
SCALE = 1.0
"""Nats of weakest-stretch support that move the logistic from 0.5 to about 0.73."""
MAX_CONTEXT_TOKENS = 900
"""Sources are cut to their first this-many tokens (SmolLM2 reads 2,048; the answer and question fit after)."""


@dataclass
class TokenSupport:
    """Per-token support of one answer.

    Attributes:
        tokens: the answer's tokens as text.
        with_context: log p(token | sources, question, earlier tokens).
        without_context: log p(token | question, earlier tokens).
        ms: wall time of the two forward passes.
    """

    tokens: list[str]
    with_context: np.ndarray
    without_context: np.ndarray
    ms: float = 0.0
    window: int = field(default=WINDOW)

    @property
    def support(self) -> np.ndarray:
        """Per-token gain in log-likelihood from showing the sources (nats)."""
        return self.with_context - self.without_context

    def weakest_stretch(self) -> float:
        """Lowest mean support over any ``window`` consecutive tokens (the whole answer when shorter)."""
        s = self.support
        if len(s) == 0:
            return 0.0
        w = min(self.window, len(s))
        sums = np.convolve(s, np.ones(w), mode="valid") / w
        return float(sums.min())

    def low_support_share(self, below: float = LOW_SUPPORT) -> float:
        """Share of tokens whose support is below ``below`` nats."""
        return float((self.support < below).mean()) if len(self.support) else 0.0

    def score(self) -> float:
        """Support in [0, 1]: the share of tokens the sources helped (higher = supported)."""
        return 1.0 - self.low_support_share() if len(self.support) else 1.0

    def stretch_score(self) -> float:
        """Support in (0, 1): logistic of the weakest stretch (higher = supported)."""
        return 1.0 / (1.0 + math.exp(-self.weakest_stretch() / SCALE))

    def weakest_tokens(self, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` tokens the sources helped least, with their support, in answer order."""
        idx = sorted(np.argsort(self.support)[:n])
        return [(self.tokens[i], round(float(self.support[i]), 2)) for i in idx]


def _model() -> tuple[Any, Any]:
    from labkit import specdec

    return specdec.load()  # loaded once per process (specdec keeps it)


def _answer_logprobs(tok: Any, model: Any, prefix_ids: list[int], answer_ids: list[int]) -> np.ndarray:
    import torch

    ids = torch.tensor([prefix_ids + answer_ids])
    with torch.no_grad():
        logits = model(ids).logits[0]
    logp = torch.log_softmax(logits[len(prefix_ids) - 1: -1].float(), dim=-1)
    return logp[torch.arange(len(answer_ids)), torch.tensor(answer_ids)].numpy()


def _prompt(context: str, question: str) -> str:
    head = f"Sources:\n{context}\n\n" if context else ""
    q = f"Question: {question}\n" if question else ""
    return f"{head}{q}Answer, using only the sources:"


def token_support(context: str, question: str, answer: str, *, window: int = WINDOW) -> TokenSupport:
    """Score every answer token by how much the sources raise its log-likelihood.

    Args:
        context: the sources the answer should rest on.
        question: the question (may be empty, e.g. for a summary or a bare claim).
        answer: the answer, summary or claim to check.
        window: tokens per stretch for :meth:`TokenSupport.weakest_stretch`.

    Returns:
        A :class:`TokenSupport` (empty arrays when the answer has no tokens).
    """
    tok, model = _model()
    t0 = time.perf_counter()
    answer_ids = tok.encode(" " + answer.strip(), add_special_tokens=False) if answer.strip() else []
    if not answer_ids:
        return TokenSupport([], np.zeros(0), np.zeros(0), window=window)
    ctx_ids = tok.encode(context, add_special_tokens=False)[:MAX_CONTEXT_TOKENS]
    with_ids = tok.encode(_prompt(tok.decode(ctx_ids), question), add_special_tokens=False)
    without_ids = tok.encode(_prompt("", question), add_special_tokens=False)
    lp_with = _answer_logprobs(tok, model, with_ids, answer_ids)
    lp_without = _answer_logprobs(tok, model, without_ids, answer_ids)
    return TokenSupport([tok.decode([i]) for i in answer_ids], lp_with, lp_without,
                        ms=(time.perf_counter() - t0) * 1000, window=window)


def _shared_prefix_logprobs(model: Any, prefix_ids: list[int], answers: Sequence[list[int]]) -> list[np.ndarray]:
    """Answer-token log-probabilities for several answers after one prefix, reading the prefix once.

    The prefix's keys and values are computed once and copied for each answer, so k answers to the same
    sources cost one long pass and k short ones instead of k long ones (the same numbers as
    :func:`_answer_logprobs`, up to float rounding).
    """
    import copy

    import torch

    with torch.no_grad():
        head = model(torch.tensor([prefix_ids]), use_cache=True)
        first = torch.log_softmax(head.logits[0, -1].float(), dim=-1)
        out = []
        for ids in answers:
            logits = model(torch.tensor([ids]), cache=copy.deepcopy(head.cache),
                           use_cache=True).logits[0]
            rest = torch.log_softmax(logits[:-1].float(), dim=-1)[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]
            out.append(np.concatenate([[float(first[ids[0]])], rest.numpy()]))
    return out


def support_scores(contexts: Sequence[str], questions: Sequence[str], answers: Sequence[str]) -> list[TokenSupport]:
    """:func:`token_support` for each (context, question, answer) row, in order.

    Rows that share their sources and question (the supported and the altered answer of a pair) share
    the long pass over the sources; ``ms`` of each is the group's time divided by its size.
    """
    if not len(contexts) == len(questions) == len(answers):
        raise ValueError(f"contexts, questions and answers must have the same length, "
                         f"got {len(contexts)}, {len(questions)}, {len(answers)}")
    if not answers:
        return []
    tok, model = _model()
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(contexts, questions, strict=True)):
        groups.setdefault(key, []).append(i)
    out: list[TokenSupport | None] = [None] * len(answers)
    for (context, question), idx in groups.items():
        t0 = time.perf_counter()
        ids = [tok.encode(" " + answers[i].strip(), add_special_tokens=False) if answers[i].strip() else []
               for i in idx]
        todo = [k for k, a in enumerate(ids) if a]
        ctx_ids = tok.encode(context, add_special_tokens=False)[:MAX_CONTEXT_TOKENS]
        with_ids = tok.encode(_prompt(tok.decode(ctx_ids), question), add_special_tokens=False)
        without_ids = tok.encode(_prompt("", question), add_special_tokens=False)
        lp_with = _shared_prefix_logprobs(model, with_ids, [ids[k] for k in todo]) if todo else []
        lp_without = _shared_prefix_logprobs(model, without_ids, [ids[k] for k in todo]) if todo else []
        ms = (time.perf_counter() - t0) * 1000 / len(idx)
        for i in idx:
            out[i] = TokenSupport([], np.zeros(0), np.zeros(0), window=WINDOW)
        for j, k in enumerate(todo):
            out[idx[k]] = TokenSupport([tok.decode([t]) for t in ids[k]], lp_with[j], lp_without[j], ms=ms)
    return [t for t in out if t is not None]


def _cache_key(context: str, question: str, answer: str) -> str:
    import hashlib
    import json

    blob = json.dumps([context, question, answer, MAX_CONTEXT_TOKENS, WINDOW])
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _save(path: Any, t: TokenSupport) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, tokens=np.asarray(t.tokens, dtype=str), with_context=t.with_context,
             without_context=t.without_context, ms=np.asarray(t.ms))
    tmp.replace(path)


def _load(path: Any) -> TokenSupport:
    z = np.load(path, allow_pickle=False)
    return TokenSupport([str(t) for t in z["tokens"]], z["with_context"], z["without_context"], float(z["ms"]))


def cached_support_scores(contexts: Sequence[str], questions: Sequence[str], answers: Sequence[str], *,
                          cache_dir: Any) -> list[TokenSupport]:
    """:func:`support_scores`, memoised on disk: two forward passes per answer take seconds on a CPU, and a
    bench or a fit that re-reads the same rows should not pay them twice.

    Args:
        contexts / questions / answers: as in :func:`support_scores`.
        cache_dir: a folder (``pathlib.Path`` or str) for one ``.npz`` per answer, keyed by a hash of the
            inputs and of this module's settings; ``ms`` is the time measured when an entry was computed.

    Returns:
        One :class:`TokenSupport` per row, in order.
    """
    from pathlib import Path

    paths = [Path(cache_dir) / f"{_cache_key(c, q, a)}.npz"
             for c, q, a in zip(contexts, questions, answers, strict=True)]
    todo = [i for i, p in enumerate(paths) if not p.exists()]
    fresh = support_scores([contexts[i] for i in todo], [questions[i] for i in todo], [answers[i] for i in todo])
    for i, t in zip(todo, fresh, strict=True):
        _save(paths[i], t)
    return [_load(p) for p in paths]
