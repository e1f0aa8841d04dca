"""The lineage store: one SQLite file with the RAG index's tables plus runs, manifests and answers.

Ingest is incremental: a document is re-chunked only when its hash changed, and a chunk is
re-embedded only when no stored chunk has the same text hash under the same embedding version.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labkit.lineage.answers import AnswerLineage
from labkit.lineage.embedders import Embedder, minilm
from labkit.lineage.records import BuildDiff, ChunkLineage, IngestReport, Invalidation
from labkit.rag.index import DOC_FIELDS, Index, chunk_document, fingerprint, validate_documents

CHUNKER_VERSION = "labkit.rag.chunk_document/1"
PROBE_TEXTS = ("How much does the Team plan cost per user?", "Reset a forgotten password",
               "Data is stored in the EU region.", "webhook retries and signatures")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, doc_id TEXT, title TEXT, category TEXT, tenant TEXT,
    data_class TEXT, version INTEGER, status TEXT, updated TEXT, text TEXT, doc_hash TEXT, run_id TEXT);
CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, document_id TEXT REFERENCES documents(id), ordinal INTEGER,
    text TEXT, embedding BLOB, content_hash TEXT, doc_id TEXT, doc_version INTEGER, chunker TEXT, embedder TEXT,
    run_id TEXT);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(document_id);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(content_hash, embedder);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, started REAL, finished REAL, chunker TEXT, embedder TEXT,
    kb_fingerprint TEXT, documents INTEGER, added INTEGER, changed INTEGER, deleted INTEGER, unchanged INTEGER,
    chunks_embedded INTEGER, chunks_reused INTEGER, chunks_deleted INTEGER, note TEXT);
CREATE TABLE IF NOT EXISTS run_documents (run_id TEXT, document_id TEXT, doc_id TEXT, version INTEGER,
    doc_hash TEXT, PRIMARY KEY (run_id, document_id));
CREATE TABLE IF NOT EXISTS run_chunks (run_id TEXT, chunk_id TEXT, document_id TEXT, content_hash TEXT,
    embedder TEXT, PRIMARY KEY (run_id, chunk_id));
CREATE TABLE IF NOT EXISTS answers (request_id TEXT PRIMARY KEY, ts REAL, run_id TEXT, question TEXT, meta TEXT);
CREATE TABLE IF NOT EXISTS answer_sources (request_id TEXT REFERENCES answers(request_id), rank INTEGER,
    document_id TEXT, doc_id TEXT, version INTEGER, doc_hash TEXT, PRIMARY KEY (request_id, rank));
CREATE INDEX IF NOT EXISTS sources_doc ON answer_sources(doc_id, version);
CREATE INDEX IF NOT EXISTS sources_docid ON answer_sources(document_id);
"""


def document_hash(doc: dict[str, Any]) -> str:
    """Content hash of a KB row (every field the index keeps)."""
    payload = json.dumps({k: doc.get(k) for k in DOC_FIELDS}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def content_hash(text: str) -> str:
    """Hash of one chunk's text (what its embedding depends on, with the embedder version)."""
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class LineageStore(AnswerLineage):
    """A SQLite index with lineage; see :mod:`labkit.lineage`.

    Args:
        path: the SQLite file (created if missing).
        embedder: the :class:`Embedder` used to embed chunks (:func:`minilm` by default).
        chunk_words, overlap_words: chunking (see :func:`labkit.rag.chunk_document`).
    """

    def __init__(self, path: str | Path, embedder: Embedder | None = None, chunk_words: int = 80,
                 *, overlap_words: int = 15) -> None:
        if embedder is not None and not isinstance(embedder, Embedder):
            raise TypeError("embedder must be a labkit.lineage.Embedder (wrap a function: Embedder('my-model-v1', fn))")
        if chunk_words < 10 or not 0 <= overlap_words < chunk_words:
            raise ValueError(f"need chunk_words >= 10 and 0 <= overlap_words < chunk_words, got "
                             f"{chunk_words}/{overlap_words}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder or minilm()
        self.chunk_words, self.overlap_words = chunk_words, overlap_words
        self._conn = sqlite3.connect(self.path, check_same_thread=False)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._lock = threading.RLock()
        self._hooks: list[Callable[[Invalidation], None]] = []
        with self._conn:
            self._conn.executescript(_SCHEMA)

    @property
    def chunker(self) -> str:
        """The chunker version string recorded with every chunk."""
        return f"{CHUNKER_VERSION}(words={self.chunk_words},overlap={self.overlap_words})"

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> LineageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- hooks ---------------------------------------------------------------------------------
    def on_invalidate(self, callback: Callable[[Invalidation], None]) -> Callable[[Invalidation], None]:
        """Register ``callback(Invalidation)``, called after each ingest for every deleted or changed document
        (usable as a decorator). Use it to drop cache entries that were built from the old document."""
        if not callable(callback):
            raise TypeError("on_invalidate() takes a function of one Invalidation argument")
        self._hooks.append(callback)
        return callback

    # ---- ingest --------------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def ingest(self, documents: Sequence[dict[str, Any]], note: str = "", delete_missing: bool = True) -> IngestReport:
        """Bring the store in line with ``documents``, touching only what changed.

        Args:
            documents: KB rows (dicts with at least ``id``, ``title``, ``text``; ``doc_id``, ``version``,
                ``status``... are kept). Treated as the whole knowledge base when ``delete_missing``.
            note: a free-text note stored with the run (e.g. "launch doc added").
            delete_missing: delete stored documents that are not in ``documents``.

        Returns:
            An :class:`IngestReport`.
        """
        validate_documents(documents, empty_hint="to empty the store, delete its file")
        t0 = time.perf_counter()
        with self._lock:
            settings_changed = (self._meta("chunker") not in (None, self.chunker)
                                or self._meta("embedder") not in (None, self.embedder.version))
            stored = {r[0]: r[1] for r in self._conn.execute("SELECT id, doc_hash FROM documents")}
            incoming = {d["id"]: d for d in documents}
            deleted = sorted(set(stored) - set(incoming)) if delete_missing else []
            added = [i for i in incoming if i not in stored]
            changed = [i for i in incoming if i in stored and (settings_changed or stored[i] != document_hash(incoming[i]))]
            unchanged = len(incoming) - len(added) - len(changed)
            to_chunk = [incoming[i] for i in added + changed]
            chunks = [(d, c) for d in to_chunk
                      for c in chunk_document(d["id"], d["title"], d["text"], chunk_words=self.chunk_words,
                                overlap_words=self.overlap_words)]
            hashes = [content_hash(c.text) for _, c in chunks]
            reusable = self._reusable_vectors(set(hashes))
            n_reused = sum(h in reusable for h in hashes)
            missing = sorted({h: c.text for h, (_, c) in zip(hashes, chunks, strict=True) if h not in reusable}.items())
            te = time.perf_counter()
            if missing:
                vectors = self.embedder([text for _, text in missing])
                reusable.update({h: v.astype(np.float32).tobytes() for (h, _), v in zip(missing, vectors, strict=True)})
            embed_s = time.perf_counter() - te
            run_id = self._next_run_id()
            kb_fp = fingerprint(list(documents), self._settings())
            invalidations = self._invalidations(deleted, "deleted") + self._invalidations(changed, "changed")
            n_deleted_chunks = self._apply(run_id, t0, note, incoming, added, changed, deleted, unchanged, chunks, hashes,
                                           reusable, len(missing), n_reused, kb_fp, delete_missing)
        for inv in invalidations:
            for hook in self._hooks:
                hook(inv)
        return IngestReport(run_id=run_id, documents=len(incoming), added=added, changed=changed, deleted=deleted,
                            unchanged=unchanged, chunks_embedded=len(missing), chunks_reused=n_reused,
                            chunks_deleted=n_deleted_chunks,
                            seconds=time.perf_counter() - t0, embed_seconds=embed_s)

    def delete(self, document_ids: Iterable[str], note: str = "") -> IngestReport:
        """Delete documents (and their chunks) by KB id; invalidation hooks are told."""
        ids = list(document_ids)
        with self._lock:
            unknown = [i for i in ids if not self._conn.execute("SELECT 1 FROM documents WHERE id=?", (i,)).fetchone()]
            if unknown:
                raise KeyError(f"no such documents in {self.path}: {unknown[:5]}")
            keep = [d for d in self.documents() if d["id"] not in set(ids)]
        if not keep:
            raise ValueError("deleting every document would leave an empty index; delete the file instead")
        return self.ingest(keep, note=note or f"delete {len(ids)}", delete_missing=True)

    def _settings(self) -> dict[str, Any]:
        return {"chunk_words": self.chunk_words, "overlap_words": self.overlap_words,
                "embedding_model": self.embedder.version}

    def _reusable_vectors(self, hashes: set[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        wanted = list(hashes)
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            q = (f"SELECT content_hash, embedding FROM chunks WHERE embedder = ? AND content_hash IN "
                 f"({','.join('?' * len(part))})")
            out.update({h: v for h, v in self._conn.execute(q, (self.embedder.version, *part))})
        return out

    def _next_run_id(self) -> str:
        n = self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        return f"run-{n + 1:04d}"

    def _invalidations(self, document_ids: list[str], reason: str) -> list[Invalidation]:
        out = []
        for did in document_ids:
            row = self._conn.execute("SELECT doc_id, version FROM documents WHERE id=?", (did,)).fetchone()
            if row is None:
                continue
            reqs = tuple(r[0] for r in self._conn.execute(
                "SELECT DISTINCT request_id FROM answer_sources WHERE document_id=? ORDER BY request_id", (did,)))
            out.append(Invalidation(did, row[0], int(row[1]), reason, reqs))
        return out

    def _apply(self, run_id: str, t0: float, note: str, incoming: dict[str, dict[str, Any]], added: list[str],
               changed: list[str], deleted: list[str], unchanged: int, chunks: list[Any], hashes: list[str],
               vectors: dict[str, bytes], n_embedded: int, n_reused: int, kb_fp: str, delete_missing: bool) -> int:
        c = self._conn
        with c:
            gone = deleted + changed
            n_del = 0
            for i in range(0, len(gone), 500):
                part = gone[i:i + 500]
                marks = ",".join("?" * len(part))
                n_del += c.execute(f"DELETE FROM chunks WHERE document_id IN ({marks})", part).rowcount
                c.execute(f"DELETE FROM documents WHERE id IN ({marks})", part)
            c.executemany(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(d["id"], d.get("doc_id", d["id"]), d["title"], d.get("category", ""), d.get("tenant", "shared"),
                  d.get("data_class", "public"), int(d.get("version", 1)), d.get("status", "current"),
                  d.get("updated", ""), d["text"], document_hash(d), run_id)
                 for d in (incoming[i] for i in added + changed)])
            c.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(ch.id, ch.document_id, ch.ordinal, ch.text, vectors[h], h, d.get("doc_id", d["id"]),
                  int(d.get("version", 1)), self.chunker, self.embedder.version, run_id)
                 for (d, ch), h in zip(chunks, hashes, strict=True)])
            if self._meta("embedder") != self.embedder.version or self._meta("probe") is None:
                c.execute("INSERT OR REPLACE INTO meta VALUES ('probe', ?)",
                          (json.dumps(self.embedder(list(PROBE_TEXTS)).round(6).tolist()),))
            c.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", [
                ("settings", json.dumps(self._settings())), ("fingerprint", kb_fp), ("chunker", self.chunker),
                ("embedder", self.embedder.version), ("embedder_note", self.embedder.note)])
            c.execute("INSERT INTO run_documents SELECT ?, id, doc_id, version, doc_hash FROM documents", (run_id,))
            c.execute("INSERT INTO run_chunks SELECT ?, id, document_id, content_hash, embedder FROM chunks", (run_id,))
            c.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                      (run_id, time.time() - (time.perf_counter() - t0), time.time(), self.chunker,
                       self.embedder.version, kb_fp, len(incoming) if delete_missing else
                       c.execute("SELECT COUNT(*) FROM documents").fetchone()[0], len(added), len(changed),
                       len(deleted), unchanged, n_embedded, n_reused, n_del, note))
        return n_del

    # ---- reading -------------------------------------------------------------------------------
    def documents(self) -> list[dict[str, Any]]:
        """The stored KB rows (the fields of ``labkit.rag.index.DOC_FIELDS``)."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {','.join(DOC_FIELDS)} FROM documents ORDER BY id").fetchall()
        return [dict(zip(DOC_FIELDS, r, strict=True)) for r in rows]

    def chunks(self, document_id: str | None = None) -> list[ChunkLineage]:
        """Lineage of every chunk (of one document when ``document_id`` is given)."""
        q = ("SELECT id, document_id, doc_id, doc_version, content_hash, chunker, embedder, run_id FROM chunks"
             + (" WHERE document_id = ?" if document_id else "") + " ORDER BY document_id, ordinal")
        with self._lock:
            rows = self._conn.execute(q, (document_id,) if document_id else ()).fetchall()
        return [ChunkLineage(*r) for r in rows]

    def chunk(self, chunk_id: str) -> ChunkLineage:
        """Lineage of one chunk."""
        with self._lock:
            r = self._conn.execute("SELECT id, document_id, doc_id, doc_version, content_hash, chunker, embedder, "
                                   "run_id FROM chunks WHERE id = ?", (chunk_id,)).fetchone()
        if r is None:
            raise KeyError(f"no chunk {chunk_id!r} in {self.path}")
        return ChunkLineage(*r)

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """Chunk ids and their embeddings (n, d)."""
        with self._lock:
            rows = self._conn.execute("SELECT id, embedding FROM chunks ORDER BY rowid").fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [r[0] for r in rows], np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def manifest(self) -> dict[str, Any]:
        """What the index was built with: chunker, embedder version and note, and probe vectors
        (``PROBE_TEXTS`` embedded at build time) for :func:`labkit.drift.check_serving`."""
        with self._lock:
            probe = self._meta("probe")
            return {"path": str(self.path), "chunker": self._meta("chunker"), "embedder": self._meta("embedder"),
                    "embedder_note": self._meta("embedder_note"), "probe_texts": list(PROBE_TEXTS),
                    "probe": np.array(json.loads(probe), dtype=np.float32) if probe else None,
                    "run_id": self.latest_run()}

    def index(self) -> Any:
        """The store opened as a :class:`labkit.rag.Index` (a snapshot of the current chunks)."""
        if not self._conn.execute("SELECT 1 FROM chunks LIMIT 1").fetchone():
            raise ValueError(f"{self.path} holds no chunks yet; call ingest(documents) first")
        return Index.open(self.path)

    def runs(self) -> list[dict[str, Any]]:
        """Every pipeline run, oldest first, with its counts and settings."""
        with self._lock:
            cur = self._conn.execute("SELECT * FROM runs ORDER BY run_id")
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def latest_run(self) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        return None if row is None else str(row[0])

    def integrity(self) -> dict[str, int]:
        """Counts that must all be zero: chunks without a document, documents without chunks,
        chunks whose embedding or version differs from the store's."""
        q = {
            "orphan_chunks": "SELECT COUNT(*) FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)",
            "documents_without_chunks": "SELECT COUNT(*) FROM documents WHERE id NOT IN (SELECT document_id FROM chunks)",
            "chunks_without_embedding": "SELECT COUNT(*) FROM chunks WHERE embedding IS NULL OR length(embedding) = 0",
            "chunks_other_embedder": "SELECT COUNT(*) FROM chunks WHERE embedder != (SELECT value FROM meta WHERE key='embedder')",
        }
        with self._lock:
            return {k: int(self._conn.execute(v).fetchone()[0]) for k, v in q.items()}

    # ---- builds --------------------------------------------------------------------------------
    def diff(self, run_a: str, run_b: str | None = None) -> BuildDiff:
        """What changed between two builds (``run_b`` defaults to the latest)."""
        run_b = run_b or self.latest_run()
        with self._lock:
            known = {r[0]: r for r in self._conn.execute("SELECT run_id, chunker, embedder FROM runs")}
            for r in (run_a, run_b):
                if r not in known:
                    raise KeyError(f"no run {r!r}; runs are {sorted(known)}")
            docs = [{r[0]: r[1] for r in self._conn.execute(
                "SELECT document_id, doc_hash FROM run_documents WHERE run_id=?", (run,))} for run in (run_a, run_b)]
            chunks = [{r[0]: (r[1], r[2]) for r in self._conn.execute(
                "SELECT chunk_id, content_hash, embedder FROM run_chunks WHERE run_id=?", (run,))}
                for run in (run_a, run_b)]
        a, b = docs
        ca, cb = chunks
        settings = {k: (known[run_a][i], known[run_b][i]) for i, k in ((1, "chunker"), (2, "embedder"))
                    if known[run_a][i] != known[run_b][i]}
        return BuildDiff(run_a=run_a, run_b=str(run_b), added_documents=sorted(set(b) - set(a)),
                         removed_documents=sorted(set(a) - set(b)),
                         changed_documents=sorted(k for k in set(a) & set(b) if a[k] != b[k]),
                         added_chunks=sorted(set(cb) - set(ca)), removed_chunks=sorted(set(ca) - set(cb)),
                         reembedded_chunks=sorted(k for k in set(ca) & set(cb) if ca[k] != cb[k]), settings=settings)
