"""Versioned prompt templates for the reference RAG app. Evals compare versions by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labkit.rag.index import Hit

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


def format_context(hits: Sequence[Hit], max_words_per_hit: int | None = None) -> str:
    """Number the retrieved chunks [1], [2], ... in the order they are shown to the model."""
    blocks = []
    for n, h in enumerate(hits, 1):
        words = h.text.split()
        text = " ".join(words[:max_words_per_hit]) if max_words_per_hit else h.text
        blocks.append(f"[{n}] {text}")
    return "\n\n".join(blocks)


def messages(template: PromptTemplate, question: str, hits: Sequence[Hit],
             max_words_per_hit: int | None = None) -> list[dict[str, str]]:
    """Chat messages for one question."""
    ctx = format_context(hits, max_words_per_hit)
    return [{"role": "system", "content": template.system},
            {"role": "user", "content": template.user.format(context=ctx, question=question)}]
