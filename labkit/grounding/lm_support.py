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

import functools
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


@functools.lru_cache(maxsize=1)
def _model() -> tuple[Any, Any]:
    from labkit import specdec

    return specdec.load()


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


def support_scores(contexts: Sequence[str], questions: Sequence[str], answers: Sequence[str]) -> list[TokenSupport]:
    """:func:`token_support` for each (context, question, answer) row, in order."""
    if not len(contexts) == len(questions) == len(answers):
        raise ValueError(f"contexts, questions and answers must be the same length, "
                         f"got {len(contexts)}, {len(questions)}, {len(answers)}")
    return [token_support(c, q, a) for c, q, a in zip(contexts, questions, answers, strict=True)]
