"""Mitigations: grounded prompting with abstention, answer-then-verify with regeneration, and refusing
when support stays low.

They compose with any generator: pass ``generate(messages) -> str`` (the default calls
``labkit.llm.client()``), or use :func:`verified_rag_answer` with the reference ``RagApp``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labkit import llm
from labkit.grounding.score import DEFAULT_THRESHOLD, GroundingResult, format_sources, support_score
from labkit.rag.prompts import format_context

IDK = "I don't know"
REFUSAL = "I don't know: the sources I have do not support an answer to that."
GROUNDED_SYSTEM = (
    "Answer only from the numbered sources. Copy numbers, names and dates exactly as the sources write "
    "them, and cite the source of each sentence like [1]. If the sources do not contain the answer, "
    f"reply exactly: {IDK}."
)
RETRY_NOTE = (
    "Your previous answer said: \"{claims}\". The sources do not support that. Answer again using only "
    f"facts stated in the sources, with citations, or reply exactly: {IDK}."
)

Generate = Callable[[list[dict[str, str]]], str]


def grounded_messages(question: str, sources: str | Sequence[Any], system: str = GROUNDED_SYSTEM
                      ) -> list[dict[str, str]]:
    """Chat messages that ask for a cited answer from the sources, with "I don't know" as the way out.

    Args:
        question: the user's question.
        sources: a numbered context string or a list of sources (see ``format_sources``).
        system: the system prompt.
    """
    if not isinstance(question, str) or not question.strip():
        raise ValueError("question must be a non-empty string")
    return [{"role": "system", "content": system},
            {"role": "user", "content": f"Sources:\n{format_sources(sources)}\n\nQuestion: {question}\nAnswer:"}]


def default_generator(max_tokens: int = 96, temperature: float = 0.0, model: str | None = None,
                      **create_kwargs: Any) -> Generate:
    """A generator that calls ``labkit.llm.client()`` (so calls land in the ledger)."""
    client = llm.client()
    name = model or llm.model_for("chat")

    def generate(messages: list[dict[str, str]]) -> str:
        r = client.chat.completions.create(model=name, messages=messages,  # type: ignore[arg-type]
                                           max_tokens=max_tokens,
                                           temperature=temperature, **create_kwargs)
        return (r.choices[0].message.content or "").strip()

    return generate


@dataclass
class VerifiedAnswer:
    """The outcome of answer-then-verify.

    Attributes:
        text: what to show the user: an answer that passed, or the refusal.
        action: ``"passed"`` (first answer was supported), ``"regenerated"`` (a retry was), or
            ``"refused"`` (none was, so the user gets :data:`REFUSAL`).
        result: the grounding result of the answer that decided the action.
        attempts: every (answer, result) tried, in order.
        ms: total wall time.
    """

    text: str
    action: str
    result: GroundingResult
    attempts: list[tuple[str, GroundingResult]] = field(default_factory=list)
    ms: float = 0.0


def refuse_if_unsupported(answer: str, result: GroundingResult, threshold: float | None = None) -> str:
    """The answer if its support clears the threshold, else :data:`REFUSAL`.

    Args:
        answer: the model's answer.
        result: its grounding result.
        threshold: the cut; the result's own threshold by default.
    """
    cut = result.threshold if threshold is None else threshold
    if not 0 <= cut <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {cut}")
    return answer if result.score >= cut else REFUSAL


def answer_then_verify(question: str, sources: str | Sequence[Any], *, generate: Generate | None = None,
                       first_answer: str | None = None, threshold: float = DEFAULT_THRESHOLD,
                       max_attempts: int = 2, check: Mapping[str, Any] | None = None) -> VerifiedAnswer:
    """Answer, check the answer against the sources, regenerate with the flagged claims named, and refuse
    if no attempt is supported.

    Args:
        question: the user's question.
        sources: numbered context string or list of sources.
        generate: ``messages -> text``; :func:`default_generator` by default.
        first_answer: an answer already produced (e.g. by the RAG app); then the first call is skipped.
        threshold: support needed to pass.
        max_attempts: answers to try in all (>= 1), the first included.
        check: extra keyword arguments for :func:`support_score` (e.g. ``{"use_llm": True}``).

    Returns:
        A :class:`VerifiedAnswer`.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    t0 = time.perf_counter()
    context = format_sources(sources)
    messages = grounded_messages(question, context)
    attempts: list[tuple[str, GroundingResult]] = []
    gen = generate
    for n in range(max_attempts):
        if n == 0 and first_answer is not None:
            text = first_answer
        else:
            if gen is None:
                gen = default_generator()
            text = gen(messages) or IDK
        result = support_score(context, question, text, threshold=threshold, **dict(check or {}))
        attempts.append((text, result))
        if result.supported:
            action = "passed" if n == 0 else "regenerated"
            return VerifiedAnswer(text, action, result, attempts, (time.perf_counter() - t0) * 1000)
        flagged = "; ".join(result.unsupported_claims) or text
        messages = messages[:2] + [{"role": "assistant", "content": text},
                                   {"role": "user", "content": RETRY_NOTE.format(claims=flagged[:300])}]
    last = attempts[-1][1]
    return VerifiedAnswer(REFUSAL, "refused", last, attempts, (time.perf_counter() - t0) * 1000)


def verified_rag_answer(app: Any, question: str, tenant: str | None = None, **kwargs: Any) -> VerifiedAnswer:
    """Answer-then-verify around the reference RAG app: its own answer first, then grounded retries.

    Args:
        app: a ``labkit.rag.RagApp``.
        question: the user's question.
        tenant: passed to ``app.answer``.
        **kwargs: passed to :func:`answer_then_verify` (``threshold``, ``max_attempts``, ``generate``...).
    """
    first = app.answer(question, tenant=tenant)
    context = format_context(first.hits)
    return answer_then_verify(question, context, first_answer=first.text, **kwargs)
