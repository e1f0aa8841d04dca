"""Answer lineage: which document versions each answer used, and which answers went stale."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from labkit.enterprise.identifiers import Erased, PersonMatcher, matcher
from labkit.lineage.records import SourceRef, StaleAnswer


class AnswerLineage:
    """The answer half of :class:`~labkit.lineage.LineageStore`, which mixes it in and provides the
    connection, the lock and the build history used here."""

    path: Path
    _conn: sqlite3.Connection
    _lock: threading.RLock

    def latest_run(self) -> str | None:
        raise NotImplementedError  # LineageStore.latest_run

    def record_answer(self, request_id: str, sources: Sequence[str | tuple[str, int] | SourceRef],
                      run_id: str | None = None, ts: float | None = None, question: str | None = None,
                      meta: dict[str, Any] | None = None) -> list[SourceRef]:
        """Record which document versions an answer used (a traced request).

        Args:
            request_id: the request (or trace) id; recording it again replaces the record.
            sources: retrieved documents, best first: KB ids (``"kb-0001"``, looked up here) or
                ``(doc_id, version)`` pairs.
            run_id: the index build that served it (default: the latest run).
            ts: when (Unix or virtual seconds); now by default.
            question, meta: kept for reading back.

        Returns:
            The resolved sources.
        """
        if not isinstance(request_id, str) or not request_id:
            raise ValueError("request_id must be a non-empty string")
        refs: list[tuple[SourceRef, str | None]] = []
        with self._lock:
            for rank, s in enumerate(sources):
                refs.append(self._resolve(s, rank))
            with self._conn:
                self._conn.execute("DELETE FROM answer_sources WHERE request_id = ?", (request_id,))
                self._conn.execute("INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?)",
                                   (request_id, time.time() if ts is None else ts, run_id or self.latest_run(),
                                    question, json.dumps(meta or {})))
                self._conn.executemany("INSERT INTO answer_sources VALUES (?,?,?,?,?,?)",
                                       [(request_id, r.rank, r.document_id, r.doc_id, r.version, h) for r, h in refs])
        return [r for r, _ in refs]

    def record_rag_answer(self, request_id: str, answer: Any, ts: float | None = None) -> list[SourceRef]:
        """Record a :class:`labkit.rag.Answer` (its retrieved documents, best first)."""
        ids = getattr(answer, "retrieved_ids", None)
        if ids is None:
            raise TypeError("record_rag_answer() takes a labkit.rag.Answer (it reads .retrieved_ids)")
        return self.record_answer(request_id, list(ids), ts=ts, question=getattr(answer, "question", None),
                                  meta={"citations": list(getattr(answer, "citations", []))})

    def _resolve(self, s: str | tuple[str, int] | SourceRef, rank: int) -> tuple[SourceRef, str | None]:
        if isinstance(s, SourceRef):
            s = s.document_id if s.document_id else (s.doc_id, s.version)
        if isinstance(s, str):
            row = self._conn.execute("SELECT doc_id, version, doc_hash FROM documents WHERE id=?", (s,)).fetchone()
            if row is None:
                row = self._conn.execute("SELECT doc_id, version, doc_hash FROM run_documents WHERE document_id=? "
                                         "ORDER BY run_id DESC LIMIT 1", (s,)).fetchone()
            if row is None:
                raise KeyError(f"document {s!r} was never ingested into {self.path}; pass (doc_id, version) instead")
            return SourceRef(s, str(row[0]), int(row[1]), rank), row[2]
        if isinstance(s, tuple) and len(s) == 2:
            doc_id, version = str(s[0]), int(s[1])
            row = self._conn.execute("SELECT document_id, doc_hash FROM run_documents WHERE doc_id=? AND version=? "
                                     "ORDER BY run_id DESC LIMIT 1", (doc_id, version)).fetchone()
            return SourceRef(row[0] if row else None, doc_id, version, rank), (row[1] if row else None)
        raise TypeError(f"a source is a KB id string or a (doc_id, version) pair, got {s!r}")

    def sources_of(self, request_id: str) -> list[SourceRef]:
        """The document versions that fed an answer, best first."""
        with self._lock:
            if not self._conn.execute("SELECT 1 FROM answers WHERE request_id=?", (request_id,)).fetchone():
                raise KeyError(f"no recorded answer {request_id!r}")
            rows = self._conn.execute("SELECT document_id, doc_id, version, rank FROM answer_sources "
                                      "WHERE request_id=? ORDER BY rank", (request_id,)).fetchall()
        return [SourceRef(r[0], r[1], int(r[2]), int(r[3])) for r in rows]

    def answers_using(self, document: str, version: int | None = None) -> list[str]:
        """Request ids of the recorded answers that used a document (KB id or logical doc_id), optionally
        only at one version."""
        q = "SELECT DISTINCT request_id FROM answer_sources WHERE (document_id = ? OR doc_id = ?)"
        args: list[Any] = [document, document]
        if version is not None:
            q += " AND version = ?"
            args.append(int(version))
        with self._lock:
            return [r[0] for r in self._conn.execute(q + " ORDER BY request_id", args)]

    def stale_answers(self) -> list[StaleAnswer]:
        """Recorded answers whose source document has since been deleted, changed or superseded."""
        q = ("SELECT s.request_id, s.document_id, s.doc_id, s.version, s.doc_hash, d.doc_hash, d.status "
             "FROM answer_sources s LEFT JOIN documents d ON d.id = s.document_id ORDER BY s.request_id, s.rank")
        out = []
        with self._lock:
            for req, did, doc_id, version, then_hash, now_hash, status in self._conn.execute(q):
                if now_hash is None:
                    out.append(StaleAnswer(req, did, doc_id, int(version), "deleted"))
                elif then_hash is not None and then_hash != now_hash:
                    out.append(StaleAnswer(req, did, doc_id, int(version),
                                           "superseded" if status == "superseded" else "changed"))
        return out

    def _mentioning(self, m: PersonMatcher) -> set[str]:
        rows = self._conn.execute("SELECT request_id, question, meta FROM answers").fetchall()
        return {req for req, question, meta in rows if m.count([req, question, json.loads(meta or "{}")])}

    def count_mentions(self, identifiers: Iterable[str] | PersonMatcher) -> int:
        """Recorded answers whose request id, question or meta mentions any of a person's identifiers."""
        with self._lock:
            return len(self._mentioning(matcher(identifiers)))

    def erase(self, identifiers: Iterable[str] | PersonMatcher, *, request_ids: Iterable[str] = ()) -> Erased:
        """Erasure: delete the answer records of ``request_ids`` and of every answer whose question or meta
        mentions an identifier (a recorded question is the person's own words). Find the request ids
        first with :meth:`answers_using`: it is this record that says which answers their documents fed.

        Returns:
            :class:`~labkit.enterprise.identifiers.Erased` with the answer records removed.
        """
        with self._lock:
            doomed = sorted(self._mentioning(matcher(identifiers)) | set(request_ids))
            with self._conn:
                self._conn.execute("PRAGMA secure_delete = ON")
                for req in doomed:
                    self._conn.execute("DELETE FROM answer_sources WHERE request_id = ?", (req,))
                removed = sum(self._conn.execute("DELETE FROM answers WHERE request_id = ?", (req,)).rowcount
                              for req in doomed)
        return Erased(removed=removed)
