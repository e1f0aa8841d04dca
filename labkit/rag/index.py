"""Ingest and retrieve: chunking, a SQLite store of chunks with document metadata, BM25 + dense
retrieval fused with reciprocal-rank fusion."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labkit.text import tokenize  # re-exported: labkit.rag.tokenize

SHARED = "shared"  # the tenant value of the knowledge base every tenant may read
DOC_FIELDS = ("id", "doc_id", "title", "category", "tenant", "data_class", "version", "status", "updated", "text")


@dataclass(frozen=True)
class Chunk:
    """A piece of one document, the unit that is embedded and retrieved."""

    id: str
    document_id: str
    ordinal: int
    text: str


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its document's metadata and its scores."""

    chunk_id: str
    document_id: str
    doc_id: str
    title: str
    tenant: str
    data_class: str
    status: str
    text: str
    score: float
    bm25_rank: int | None
    dense_rank: int | None


def chunk_document(doc_id: str, title: str, text: str, *, chunk_words: int, overlap_words: int) -> list[Chunk]:
    """Split a document into chunks of about ``chunk_words`` words on paragraph boundaries.

    Each chunk starts with the document title so that it can be understood (and retrieved) alone.

    Args:
        doc_id: the document's unique id (the KB's ``id`` field).
        title: the document title, prefixed to each chunk.
        text: the body.
        chunk_words: target words per chunk (>= 10).
        overlap_words: words repeated from the previous chunk (< chunk_words).

    Returns:
        The chunks, in order; at least one for a non-empty document.
    """
    if chunk_words < 10:
        raise ValueError(f"chunk_words must be >= 10, got {chunk_words}")
    if not 0 <= overlap_words < chunk_words:
        raise ValueError(f"overlap_words must be in [0, chunk_words), got {overlap_words}")
    words: list[str] = []
    pieces: list[list[str]] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        para_words = para.split()
        if words and len(words) + len(para_words) > chunk_words:
            pieces.append(words)
            words = words[-overlap_words:] if overlap_words else []
        words = words + para_words
        while len(words) > chunk_words * 1.5:  # a very long paragraph is cut inside
            pieces.append(words[:chunk_words])
            words = words[chunk_words - overlap_words:]
    if words:
        pieces.append(words)
    return [Chunk(id=f"{doc_id}#{i}", document_id=doc_id, ordinal=i, text=f"{title}\n{' '.join(p)}")
            for i, p in enumerate(pieces)]


class BM25:
    """Okapi BM25 over tokenised chunks (k1=1.5, b=0.75)."""

    def __init__(self, docs: Sequence[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = np.array([len(d) for d in docs], dtype=np.float64)
        self.avg = float(self.len.mean()) if len(docs) else 0.0
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(d))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(len(self.tf))
        for term in set(query):
            idf = self.idf.get(term)
            if idf is None:
                continue
            tf = np.array([c.get(term, 0) for c in self.tf], dtype=np.float64)
            out += idf * tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * self.len / max(self.avg, 1e-9)))
        return out


def rrf(rankings: Iterable[Sequence[int]], k: int = 60) -> dict[int, float]:
    """Reciprocal-rank fusion: score(d) = sum over rankings of 1 / (k + rank of d), rank from 1."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, idx in enumerate(ranking, 1):
            fused[idx] = fused.get(idx, 0.0) + 1.0 / (k + rank)
    return fused


def validate_documents(documents: Sequence[dict[str, Any]], empty_hint: str = "") -> None:
    """Raise a clear error for an empty list, a non-dict, a missing id/title/text, or a repeated id.

    Args:
        documents: KB rows to ingest.
        empty_hint: appended to the message for an empty list (how the caller's user can fix it).
    """
    if not documents:
        raise ValueError("no documents to ingest" + (f" ({empty_hint})" if empty_hint else ""))
    seen: set[str] = set()
    for n, doc in enumerate(documents):
        if not isinstance(doc, dict):
            raise TypeError(f"document {n} is a {type(doc).__name__}, not a dict")
        missing = [f for f in ("id", "title", "text") if not doc.get(f)]
        if missing:
            raise ValueError(f"document {n} (id={doc.get('id')!r}) lacks {missing}")
        if doc["id"] in seen:
            raise ValueError(f"duplicate document id {doc['id']!r}")
        seen.add(doc["id"])


def fingerprint(documents: Sequence[dict[str, Any]], settings: dict[str, Any]) -> str:
    """A hash of the documents and the ingest settings: equal hashes mean an identical index."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for doc in documents:
        h.update(json.dumps({k: doc.get(k) for k in DOC_FIELDS}, sort_keys=True).encode())
    return h.hexdigest()[:16]


class Index:
    """Chunks, embeddings and document metadata in SQLite, with hybrid retrieval.

    Build one with :meth:`build`; open an existing file with :meth:`open`.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self.settings: dict[str, Any] = json.loads(meta["settings"])
        self.fingerprint: str = meta["fingerprint"]
        rows = conn.execute(
            "SELECT c.id, c.document_id, c.text, c.embedding, d.doc_id, d.title, d.tenant, d.data_class, d.status "
            "FROM chunks c JOIN documents d ON d.id = c.document_id ORDER BY c.rowid"
        ).fetchall()
        self._rows = rows
        self._vectors = (np.stack([np.frombuffer(r[3], dtype=np.float32) for r in rows])
                         if rows else np.zeros((0, 384), np.float32))
        self._bm25 = BM25([tokenize(r[2]) for r in rows])
        self._tenant = np.array([r[6] for r in rows])
        self._status = np.array([r[8] for r in rows])

    @classmethod
    def build(cls, documents: Sequence[dict[str, Any]], path: str | Path, chunk_words: int = 80,
              *, overlap_words: int = 15, embedder: Any = None) -> Index:
        """Chunk, embed and store documents in a new SQLite file (replacing an older one).

        Args:
            documents: dicts with at least id, title, text (KB fields are kept as metadata).
            path: the SQLite file to write.
            chunk_words, overlap_words: chunking (see :func:`chunk_document`).
            embedder: a callable list[str] -> array; ``labkit.embed.encode`` by default.

        Returns:
            The opened index.
        """
        validate_documents(documents)
        if embedder is None:
            from labkit import embed

            embedder = embed.encode
            model_name = embed.MODEL_NAME
        else:
            model_name = getattr(embedder, "__name__", "custom")
        settings = {"chunk_words": chunk_words, "overlap_words": overlap_words, "embedding_model": model_name}
        chunks = [c for d in documents for c in chunk_document(d["id"], d["title"], d["text"], chunk_words=chunk_words,
                                                               overlap_words=overlap_words)]
        vectors = np.asarray(embedder([c.text for c in chunks]), dtype=np.float32)
        if vectors.shape[0] != len(chunks):
            raise ValueError(f"embedder returned {vectors.shape[0]} vectors for {len(chunks)} chunks")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        with conn:
            conn.executescript(
                "CREATE TABLE documents (id TEXT PRIMARY KEY, doc_id TEXT, title TEXT, category TEXT, tenant TEXT,"
                " data_class TEXT, version INTEGER, status TEXT, updated TEXT, text TEXT);"
                "CREATE TABLE chunks (id TEXT PRIMARY KEY, document_id TEXT REFERENCES documents(id), ordinal INTEGER,"
                " text TEXT, embedding BLOB);"
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
            )
            conn.executemany(
                f"INSERT INTO documents VALUES ({','.join('?' * len(DOC_FIELDS))})",
                [(d["id"], d.get("doc_id", d["id"]), d["title"], d.get("category", ""), d.get("tenant", SHARED),
                  d.get("data_class", "public"), int(d.get("version", 1)), d.get("status", "current"),
                  d.get("updated", ""), d["text"]) for d in documents],
            )
            conn.executemany("INSERT INTO chunks VALUES (?,?,?,?,?)",
                             [(c.id, c.document_id, c.ordinal, c.text, v.tobytes()) for c, v in zip(chunks, vectors, strict=True)])
            conn.executemany("INSERT INTO meta VALUES (?,?)",
                             [("settings", json.dumps(settings)), ("fingerprint", fingerprint(documents, settings))])
        conn.close()
        tmp.replace(path)  # the index appears whole or not at all
        return cls.open(path)

    @classmethod
    def open(cls, path: str | Path) -> Index:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no index at {path}; build one with Index.build(documents, path)")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        return cls(path, conn)

    def __len__(self) -> int:
        return len(self._rows)

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """Chunk ids and their embeddings (n, d), in storage order, as :meth:`labkit.lineage.LineageStore.vectors`.

        Returns:
            The ids and a copy of the vectors (changing it leaves the index as it is).
        """
        return [r[0] for r in self._rows], self._vectors.copy()

    def document(self, document_id: str) -> dict[str, Any]:
        """The stored document with this id (KB ``id``)."""
        with self._lock:
            row = self._conn.execute(f"SELECT {','.join(DOC_FIELDS)} FROM documents WHERE id = ?",
                                     (document_id,)).fetchone()
        if row is None:
            raise KeyError(f"no document {document_id!r} in {self.path}")
        return dict(zip(DOC_FIELDS, row, strict=True))

    def search(self, query: str, k: int = 4, mode: str = "hybrid", *, tenant: str | None = None,
               include_superseded: bool = False, candidates: int = 30,
               query_vector: np.ndarray | None = None) -> list[Hit]:
        """Retrieve the ``k`` best chunks for a query, from one tenant's documents and the shared KB.

        Isolation fails closed: no tenant means the shared knowledge base only. Searching every tenant
        is a separate, explicitly named method, :meth:`search_all_tenants`.

        Args:
            query: the user's question.
            k: chunks to return (>= 1).
            mode: "hybrid" (BM25 + dense fused by RRF), "bm25" or "dense".
            tenant: only chunks of this tenant and of the shared knowledge base; None (or "shared")
                means the shared knowledge base only.
            include_superseded: also search superseded document versions.
            candidates: how deep each ranking goes before fusion.
            query_vector: a precomputed, normalised query embedding (else the query is embedded).

        Returns:
            Hits, best first.
        """
        if tenant is not None and not isinstance(tenant, str):
            raise TypeError(f"tenant must be a str or None (shared documents only), got {type(tenant).__name__}")
        allowed = self._tenant == SHARED
        if tenant is not None:
            allowed = allowed | (self._tenant == tenant)
        return self._search(query, k, mode, allowed, include_superseded, candidates, query_vector)

    def search_all_tenants(self, query: str, k: int = 4, *, mode: str = "hybrid", include_superseded: bool = False,
                           candidates: int = 30, query_vector: np.ndarray | None = None) -> list[Hit]:
        """Retrieve across every tenant's documents: for operators and isolation demos, never for a request.

        Args and Returns are as for :meth:`search`, without a tenant.
        """
        allowed = np.ones(len(self), dtype=bool)
        return self._search(query, k, mode, allowed, include_superseded, candidates, query_vector)

    def _search(self, query: str, k: int, mode: str, allowed: np.ndarray, include_superseded: bool,
                candidates: int, query_vector: np.ndarray | None) -> list[Hit]:
        if not isinstance(query, str) or not query.strip():
            raise ValueError("query must be a non-empty string")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"mode must be 'hybrid', 'bm25' or 'dense', got {mode!r}")
        if not len(self):
            return []
        if not include_superseded:
            allowed = allowed & (self._status != "superseded")
        idx = np.flatnonzero(allowed)
        if idx.size == 0:
            return []
        rankings: list[list[int]] = []
        bm25_rank: dict[int, int] = {}
        dense_rank: dict[int, int] = {}
        if mode in ("hybrid", "bm25"):
            s = self._bm25.scores(tokenize(query))[idx]
            order = [int(idx[i]) for i in np.argsort(-s, kind="stable")[:candidates] if s[i] > 0]
            rankings.append(order)
            bm25_rank = {d: r for r, d in enumerate(order, 1)}
        if mode in ("hybrid", "dense"):
            if query_vector is None:
                from labkit import embed

                query_vector = embed.encode(query)
            s = self._vectors[idx] @ np.asarray(query_vector, dtype=np.float32)
            order = [int(idx[i]) for i in np.argsort(-s, kind="stable")[:candidates]]
            rankings.append(order)
            dense_rank = {d: r for r, d in enumerate(order, 1)}
        fused = rrf(rankings)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        hits = []
        for i in best:
            cid, doc_id_kb, text, _, doc_id, title, ten, dclass, status = self._rows[i]
            hits.append(Hit(chunk_id=cid, document_id=doc_id_kb, doc_id=doc_id, title=title, tenant=ten,
                            data_class=dclass, status=status, text=text, score=fused[i],
                            bm25_rank=bm25_rank.get(i), dense_rank=dense_rank.get(i)))
        return hits
