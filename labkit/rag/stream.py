"""A finished chat completion re-sent as an OpenAI stream: ``chat.completion.chunk`` events over SSE.

The RAG service streams the *finished* answer, not the model's tokens as they come: the output guard
must read the whole answer before any of it reaches the client, and the citations are only known once
the answer is complete. The chunks follow the OpenAI API: a first chunk with the role, content chunks,
a chunk with ``finish_reason``, then (with ``stream_options={"include_usage": true}``) a chunk with no
choices and the ``usage``; every chunk before it has ``usage: null``. The service's extra ``rag`` object
rides on the final chunk. The stream ends with ``data: [DONE]``.
"""

from __future__ import annotations

import json
import re
from typing import Any

WORDS_PER_CHUNK = 4


def text_pieces(text: str, words_per_chunk: int = WORDS_PER_CHUNK) -> list[str]:
    """Split ``text`` into pieces of a few words each; joined, they give ``text`` back exactly.

    Args:
        text: the answer.
        words_per_chunk: words in each piece (the last may hold fewer).

    Returns:
        The pieces, each word keeping the whitespace before it; empty for empty text.
    """
    words = re.findall(r"\s*\S+|\s+$", text)
    return ["".join(words[i:i + words_per_chunk]) for i in range(0, len(words), words_per_chunk)]


def _chunk(body: dict[str, Any], choices: list[dict[str, Any]], include_usage: bool) -> dict[str, Any]:
    chunk = {key: body[key] for key in ("id", "created", "model")}
    chunk.update(object="chat.completion.chunk", choices=choices)
    if include_usage:
        chunk["usage"] = None
    return chunk


def completion_chunks(body: dict[str, Any], *, include_usage: bool = False) -> list[dict[str, Any]]:
    """The chunks that stream a finished chat completion.

    Args:
        body: a ``chat.completion`` body with one choice (as :func:`labkit.rag.service.completion` builds).
        include_usage: add the final usage chunk, as ``stream_options={"include_usage": true}`` asks.

    Returns:
        The chunk bodies in order; the last one carries the body's extra fields (``rag``).
    """
    choice = body["choices"][0]
    first = _chunk(body, [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
                   include_usage)
    content = [_chunk(body, [{"index": 0, "delta": {"content": piece}, "finish_reason": None}], include_usage)
               for piece in text_pieces(choice["message"]["content"] or "")]
    finish = _chunk(body, [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}], include_usage)
    chunks = [first, *content, finish]
    if include_usage:
        chunks.append({**_chunk(body, [], False), "usage": body["usage"]})
    extras = {k: v for k, v in body.items() if k not in {"id", "object", "created", "model", "choices", "usage"}}
    chunks[-1].update(extras)
    return chunks


def sse_events(chunks: list[dict[str, Any]]) -> list[str]:
    """Server-sent events for ``chunks``: one ``data: {...}`` event each, then ``data: [DONE]``."""
    return [f"data: {json.dumps(chunk, separators=(',', ':'))}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]
