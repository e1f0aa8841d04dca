"""Features of traffic (question length, similarity to the knowledge base, embedding), and an
embedding cache, kept in SQLite, so a week of traffic is embedded once."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from labkit.lineage import Embedder

if TYPE_CHECKING:
    from labkit.traffic import Request


class EmbeddingCache:
    """Embeds texts once: an in-memory memo, optionally persisted to a SQLite file, keyed by the embedder's
    version and the text.

    Args:
        embedder: a :class:`labkit.lineage.Embedder`.
        path: a SQLite file to keep vectors between runs (None: memory only).
    """

    def __init__(self, embedder: Embedder, path: str | Path | None = None) -> None:
        if not isinstance(embedder, Embedder):
            raise TypeError("EmbeddingCache takes a labkit.lineage.Embedder (e.g. lineage.minilm())")
        self.embedder = embedder
        self.version = embedder.version
        self._mem: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS vectors (version TEXT, key TEXT, vector BLOB, "
                                 "PRIMARY KEY (version, key))")

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, d) for ``texts``, embedding only those not seen before."""
        items = list(texts)
        with self._lock:
            todo = [t for t in dict.fromkeys(items) if t not in self._mem]
            if todo and self._db is not None:
                keys = {self._key(t): t for t in todo}
                klist = list(keys)
                for i in range(0, len(klist), 500):
                    part = klist[i:i + 500]
                    rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE version=? AND key IN "
                                            f"({','.join('?' * len(part))})", (self.version, *part)).fetchall()
                    for k, v in rows:
                        self._mem[keys[k]] = np.frombuffer(v, dtype=np.float32)
                todo = [t for t in todo if t not in self._mem]
            if todo:
                vecs = self.embedder(todo)
                for t, v in zip(todo, vecs, strict=True):
                    self._mem[t] = np.asarray(v, dtype=np.float32)
                if self._db is not None:
                    with self._db:
                        self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?,?,?)",
                                             [(self.version, self._key(t), self._mem[t].tobytes()) for t in todo])
            if not items:
                return np.zeros((0, 0), dtype=np.float32)
            return np.stack([self._mem[t] for t in items])

    def __len__(self) -> int:
        return len(self._mem)


@dataclass
class Features:
    """Per-request features of a stretch of traffic.

    Attributes:
        hours: request time, virtual hours.
        length: words in the question.
        kb_similarity: the best cosine similarity between the question and any knowledge-base chunk
            (low when users ask about something the knowledge base does not cover).
        embedding: the question's embedding (n, d).
        tags: each request's tags (to colour plots; never used by the detectors).
    """

    hours: np.ndarray
    length: np.ndarray
    kb_similarity: np.ndarray
    embedding: np.ndarray
    tags: list[tuple[str, ...]]

    def __len__(self) -> int:
        return int(self.hours.size)

    def get(self, feature: str) -> np.ndarray:
        if feature not in ("length", "kb_similarity", "embedding"):
            raise ValueError(f"feature must be 'length', 'kb_similarity' or 'embedding', got {feature!r}")
        return np.asarray(getattr(self, feature))


def featurize(requests: Sequence[Request], embed: Callable[[Sequence[str]], np.ndarray],
              kb_vectors: np.ndarray | None = None) -> Features:
    """Features of each request.

    Args:
        requests: :class:`labkit.traffic.Request` objects (or anything with ``ts``, ``question``, ``tags``).
        embed: texts -> normalised vectors; an :class:`EmbeddingCache` avoids embedding repeats twice.
        kb_vectors: the knowledge base's chunk vectors (from the same embedder), for ``kb_similarity``;
            NaN when omitted.

    Returns:
        :class:`Features`.
    """
    if not requests:
        raise ValueError("no requests to featurize")
    questions = [r.question for r in requests]
    vecs = np.asarray(embed(questions), dtype=np.float32)
    if kb_vectors is not None and kb_vectors.size:
        if kb_vectors.shape[1] != vecs.shape[1]:
            raise ValueError(f"kb_vectors have {kb_vectors.shape[1]} dims, questions {vecs.shape[1]}: embed both "
                             f"with the same model")
        sims = np.empty(len(vecs), dtype=np.float32)
        for i in range(0, len(vecs), 1024):
            sims[i:i + 1024] = (vecs[i:i + 1024] @ kb_vectors.T).max(axis=1)
    else:
        sims = np.full(len(vecs), np.nan, dtype=np.float32)
    return Features(hours=np.array([r.ts / 3600.0 for r in requests]),
                    length=np.array([len(q.split()) for q in questions], dtype=np.float64),
                    kb_similarity=sims.astype(np.float64), embedding=vecs, tags=[tuple(r.tags) for r in requests])
