"""What a lineage store reports: an ingest run, a chunk's origin, an answer's sources, an invalidation,
a stale answer, and the difference between two builds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did."""

    run_id: str
    documents: int
    added: list[str]
    changed: list[str]
    deleted: list[str]
    unchanged: int
    chunks_embedded: int
    chunks_reused: int
    chunks_deleted: int  # chunks removed: of deleted documents, and the old chunks of changed ones
    seconds: float
    embed_seconds: float

    def __str__(self) -> str:
        return (f"{self.run_id}: {self.documents} documents; +{len(self.added)} added, ~{len(self.changed)} changed, "
                f"-{len(self.deleted)} deleted, {self.unchanged} unchanged; chunks embedded {self.chunks_embedded}, "
                f"reused {self.chunks_reused}, deleted {self.chunks_deleted}; {self.seconds:.2f} s "
                f"({self.embed_seconds:.2f} s embedding)")


@dataclass(frozen=True)
class ChunkLineage:
    """Where one chunk came from."""

    chunk_id: str
    document_id: str
    doc_id: str
    doc_version: int
    content_hash: str
    chunker: str
    embedder: str
    run_id: str


@dataclass(frozen=True)
class SourceRef:
    """One document version an answer used."""

    document_id: str | None
    doc_id: str
    version: int
    rank: int = 0


@dataclass(frozen=True)
class Invalidation:
    """Sent to invalidation hooks when a document is deleted or changes.

    Attributes:
        document_id: the KB id (``kb-0001``).
        doc_id: the logical document (``pricing-plans``).
        version: the version that is gone.
        reason: ``deleted`` or ``changed``.
        request_ids: the recorded answers that used this document.
    """

    document_id: str
    doc_id: str
    version: int
    reason: str
    request_ids: tuple[str, ...]


@dataclass(frozen=True)
class StaleAnswer:
    """An answer that used a document version which is no longer what the store serves."""

    request_id: str
    document_id: str | None
    doc_id: str
    version: int
    reason: str  # deleted | changed | superseded


@dataclass(frozen=True)
class BuildDiff:
    """What changed between two index builds (pipeline runs)."""

    run_a: str
    run_b: str
    added_documents: list[str]
    removed_documents: list[str]
    changed_documents: list[str]
    added_chunks: list[str]
    removed_chunks: list[str]
    reembedded_chunks: list[str]
    settings: dict[str, tuple[str, str]]

    @property
    def empty(self) -> bool:
        return not (self.added_documents or self.removed_documents or self.changed_documents or self.added_chunks
                    or self.removed_chunks or self.reembedded_chunks or self.settings)

    def __str__(self) -> str:
        s = (f"{self.run_a} -> {self.run_b}: documents +{len(self.added_documents)} -{len(self.removed_documents)} "
             f"~{len(self.changed_documents)}; chunks +{len(self.added_chunks)} -{len(self.removed_chunks)}, "
             f"re-embedded {len(self.reembedded_chunks)}")
        return s + (f"; settings changed {self.settings}" if self.settings else "")
