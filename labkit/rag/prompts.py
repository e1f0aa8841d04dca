"""Versioned prompt templates for the reference RAG app. Evals compare versions by name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from labkit.rag.index import Hit, tokenize

IDK = "I don't know"


@dataclass(frozen=True)
class PromptTemplate:
    """A system prompt and a user template with ``{context}`` and ``{question}`` slots."""

    version: str
    system: str
    user: str
    grounded: bool = True


PROMPTS: dict[str, PromptTemplate] = {
    "v1-grounded": PromptTemplate(
        version="v1-grounded",
        system=(
            "You answer questions about Quaywise, the product of Skerry Labs, using only the numbered sources. "
            f"If the sources do not contain the answer, reply exactly: {IDK}. "
            "Answer in one or two short sentences and cite sources like [1]."
        ),
        user="Sources:\n{context}\n\nQuestion: {question}\nAnswer:",
    ),
    "v2-terse": PromptTemplate(
        version="v2-terse",
        system=(
            "Answer from the sources only, in as few words as possible, then cite the source number in "
            f"brackets, e.g. '$24 per user per month [2]'. If the sources do not say, reply: {IDK}."
        ),
        user="{context}\n\nQ: {question}\nA:",
    ),
    "v0-ungrounded": PromptTemplate(
        version="v0-ungrounded",
        system="You are a helpful assistant. Answer the question.",
        user="{context}\n\nQuestion: {question}",
        grounded=False,
    ),
}


def prompt(version: str) -> PromptTemplate:
    """Look a prompt template up by version, with the alternatives in the error."""
    if version not in PROMPTS:
        raise ValueError(f"unknown prompt version {version!r}; have {sorted(PROMPTS)}")
    return PROMPTS[version]


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def trim_context(hits: Sequence[Hit], question: str, max_words_per_hit: int) -> list[Hit]:
    """Shorten each retrieved chunk to about ``max_words_per_hit`` words, keeping what the question needs.

    The chunk's first line (the document title) is kept; the other sentences are ranked by how many
    of the question's content words they contain (ties: earlier first) and kept, in their original
    order, until the word budget is spent. Cutting the *end* of each chunk instead loses answers
    that sit in the middle.

    Args:
        hits: retrieved chunks.
        question: the user's question.
        max_words_per_hit: word budget per chunk (>= 5).

    Returns:
        New hits with shorter ``text``; everything else unchanged.
    """
    if max_words_per_hit < 5:
        raise ValueError(f"max_words_per_hit must be >= 5, got {max_words_per_hit}")
    wanted = set(tokenize(question))
    out = []
    for h in hits:
        title, _, body = h.text.partition("\n")
        sentences = [s for s in _SENTENCE.split(body) if s.strip()]
        ranked = sorted(range(len(sentences)),
                        key=lambda i: (-len(wanted & set(tokenize(sentences[i]))), i))
        budget = max(1, max_words_per_hit - len(title.split()))
        keep: set[int] = set()
        left = budget
        for i in ranked:
            n = len(sentences[i].split())
            if n <= left:
                keep.add(i)
                left -= n
        if not keep and ranked:  # even the best sentence is too long: keep its first words
            body_text = " ".join(sentences[ranked[0]].split()[:budget])
        else:
            body_text = " ".join(sentences[i] for i in sorted(keep))
        out.append(replace(h, text=f"{title}\n{body_text}".strip()))
    return out


def format_context(hits: Sequence[Hit]) -> str:
    """Number the retrieved chunks [1], [2], ... in the order they are shown to the model."""
    return "\n\n".join(f"[{n}] {h.text}" for n, h in enumerate(hits, 1))


def messages(template: PromptTemplate, question: str, hits: Sequence[Hit]) -> list[dict[str, str]]:
    """Chat messages for one question."""
    ctx = format_context(hits)
    return [{"role": "system", "content": template.system},
            {"role": "user", "content": template.user.format(context=ctx, question=question)}]
