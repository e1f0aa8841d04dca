"""Ingestion with lineage: every chunk and embedding knows where it came from, re-ingest touches only
what changed, and answers can be traced back to the document versions they used.

A :class:`LineageStore` is one SQLite file. It holds the same ``documents``/``chunks``/``meta`` tables
as :class:`labkit.rag.Index` (so ``store.index()`` or ``RagApp(index_path=store.path)`` serve from it),
plus lineage:

* per chunk: source document id (KB ``id``), logical ``doc_id`` and version, a content hash, the chunker
  and embedding-model versions, and the pipeline run that embedded it;
* per run (each :meth:`LineageStore.ingest`): a manifest of documents and chunks, so two builds can be
  compared (:meth:`LineageStore.diff`);
* per answer: the request id and the document versions it retrieved (:meth:`LineageStore.record_answer`),
  so you can ask which answers used document X at version Y, which documents fed an answer, and which
  answers went stale when the knowledge base changed.

Incremental: a document is re-chunked only when its hash changed, and a chunk is re-embedded only when
no stored chunk has the same text hash under the same embedding version. Deleted documents take their
chunks with them, and every registered invalidation hook is told (with the ids of the answers that used
the document) so caches can drop their entries.

Embedding versions are explicit: an :class:`Embedder` is a callable with a ``version`` string. Besides
the real model (:func:`minilm`) there are honest stand-ins for "another model version" (:func:`rotated`,
:func:`truncated`) and a tiny deterministic one for tests (:func:`bag_of_words`).
"""

from labkit.lineage.embedders import Embedder, bag_of_words, minilm, rotated, truncated
from labkit.lineage.records import BuildDiff, ChunkLineage, IngestReport, Invalidation, SourceRef, StaleAnswer
from labkit.lineage.store import CHUNKER_VERSION, PROBE_TEXTS, LineageStore, content_hash, document_hash

__all__ = [
    "CHUNKER_VERSION", "PROBE_TEXTS", "BuildDiff", "ChunkLineage", "Embedder", "IngestReport", "Invalidation",
    "LineageStore", "SourceRef", "StaleAnswer", "bag_of_words", "content_hash", "document_hash", "minilm", "rotated",
    "truncated",
]
