"""Training-serving skew: :func:`check_serving` compares what the index was built with (a
:class:`labkit.lineage.LineageStore` manifest) with the embedder the service is about to use, and
raises :class:`SkewError` at start-up when they differ - by version string or, for a silent change,
by the vectors of a few probe sentences. :func:`retrieval_recall` measures what skew costs on the
golden set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from labkit.errors import LabkitError
from labkit.lineage import Embedder

if TYPE_CHECKING:
    from labkit.lineage import LineageStore


class SkewError(LabkitError):
    """The serving side would embed or preprocess queries differently from how the index was built."""


@dataclass(frozen=True)
class SkewReport:
    """The result of a passing :func:`check_serving`."""

    index_embedder: str
    serving_embedder: str
    chunker: str | None
    probe_min_cosine: float


def check_serving(store: LineageStore | dict[str, Any], embedder: Embedder, chunker: str | None = None,
                  *, min_cosine: float = 0.999) -> SkewReport:
    """Fail loudly, at start-up, if queries would be embedded differently from the index.

    Checks (all of them, reporting every failure at once):

    1. the embedder version the index was built with equals the serving embedder's version;
    2. the chunker version matches, when ``chunker`` is given;
    3. the serving embedder reproduces the index's probe vectors (``PROBE_TEXTS``) to cosine >= ``min_cosine``
       - which catches a silent change under an unchanged name (new weights, a changed preprocessing).

    Args:
        store: a :class:`labkit.lineage.LineageStore` or its ``manifest()``.
        embedder: the :class:`labkit.lineage.Embedder` the service will embed queries with.
        chunker: the chunker version the service expects (optional).
        min_cosine: how close probe vectors must be.

    Returns:
        A :class:`SkewReport` when consistent.

    Raises:
        SkewError: with every mismatch and how to fix it.
    """
    manifest = store if isinstance(store, dict) else store.manifest()
    if not manifest.get("embedder"):
        raise SkewError(f"the index at {manifest.get('path')} records no embedder: it was never ingested; "
                        "run LineageStore.ingest() first")
    problems = []
    if manifest["embedder"] != embedder.version:
        problems.append(f"embedding model: index built with {manifest['embedder']!r}, serving with "
                        f"{embedder.version!r}")
    if chunker is not None and manifest.get("chunker") != chunker:
        problems.append(f"chunker: index built with {manifest.get('chunker')!r}, service expects {chunker!r}")
    min_cos = float("nan")
    probe = manifest.get("probe")
    if probe is not None:
        now = embedder(list(manifest.get("probe_texts") or []))
        if now.shape != np.asarray(probe).shape:
            problems.append(f"embedding shape: index {np.asarray(probe).shape[1:]} vs serving {now.shape[1:]}")
        else:
            a = now / np.maximum(np.linalg.norm(now, axis=1, keepdims=True), 1e-12)
            b = np.asarray(probe) / np.maximum(np.linalg.norm(probe, axis=1, keepdims=True), 1e-12)
            min_cos = float(np.min(np.sum(a * b, axis=1)))
            if min_cos < min_cosine:
                problems.append(f"probe sentences embed differently (min cosine {min_cos:.3f} < {min_cosine}): "
                                "same name, different vectors")
    if problems:
        raise SkewError("training-serving skew, refusing to serve:\n  - " + "\n  - ".join(problems)
                        + "\n  Fix: serve with the embedder the index was built with, or rebuild the index "
                        "(LineageStore(path, embedder=new).ingest(documents)) before switching.")
    return SkewReport(str(manifest["embedder"]), embedder.version, manifest.get("chunker"), min_cos)


@dataclass(frozen=True)
class RecallResult:
    """Retrieval recall@k on a question set."""

    recall: float
    k: int
    mode: str
    hits: list[bool]
    question_ids: list[str]

    @property
    def n(self) -> int:
        return len(self.hits)


def retrieval_recall(index: Any, questions: Sequence[dict[str, Any]], embedder: Embedder, *, k: int = 3,
                     mode: str = "dense") -> RecallResult:
    """Share of questions for which at least one expected document is among the top ``k`` retrieved.

    Args:
        index: a :class:`labkit.rag.Index` (e.g. ``store.index()``).
        questions: golden questions with ``question``, ``doc_ids`` and ``tenant``; those without
            ``doc_ids`` (unanswerable) are skipped.
        embedder: embeds the queries (the serving side).
        k: retrieval depth.
        mode: "dense", "hybrid" or "bm25".
    """
    qs = [q for q in questions if q.get("doc_ids")]
    if not qs:
        raise ValueError("no questions with doc_ids to measure recall on")
    vecs = embedder([q["question"] for q in qs])
    hits = []
    for q, v in zip(qs, vecs, strict=True):
        tenant = q.get("tenant")
        found = index.search(q["question"], k=k, mode=mode, tenant=tenant, query_vector=v)
        hits.append(bool(set(q["doc_ids"]) & {h.document_id for h in found}))
    return RecallResult(float(np.mean(hits)), k, mode, hits, [str(q.get("id")) for q in qs])
