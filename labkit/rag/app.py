"""The reference RAG app the course ships: hybrid retrieval over the knowledge base and a grounded,
cited answer from whatever model ``labkit.llm`` points at."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from labkit import llm
from labkit.config import cache_dir
from labkit.rag.index import Hit, Index, fingerprint
from labkit.rag.prompts import IDK, messages, prompt, trim_context
from labkit.text import is_abstention  # re-exported: labkit.rag.is_abstention

CITATION = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class RagConfig:
    """Everything the evals may vary. Every field is validated.

    Attributes:
        chunk_words / overlap_words: chunking at ingest.
        k: chunks put in the prompt.
        mode: retrieval mode, "hybrid", "bm25" or "dense".
        prompt_version: a key of ``labkit.rag.prompts.PROMPTS``.
        model: model name; None means ``llm.model_for("chat")`` at call time.
        max_tokens: answer length cap.
        temperature: sampling temperature (0 for repeatable evals).
        abstain_below: if the best fused retrieval score is below this, answer "I don't know"
            without calling the model (0 disables).
        max_words_per_chunk: trim each chunk in the prompt to about this many words, keeping the sentences
            that share the most words with the question (:func:`labkit.rag.prompts.trim_context`);
            None sends whole chunks. Prompt tokens are most of a call's cost on CPU.
    """

    chunk_words: int = 80
    overlap_words: int = 15
    k: int = 3
    mode: str = "hybrid"
    prompt_version: str = "v1-grounded"
    model: str | None = None
    max_tokens: int = 64
    temperature: float = 0.0
    abstain_below: float = 0.0
    max_words_per_chunk: int | None = None

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if self.mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"mode must be 'hybrid', 'bm25' or 'dense', got {self.mode!r}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if not 0 <= self.temperature <= 2:
            raise ValueError(f"temperature must be in [0, 2], got {self.temperature}")
        if self.chunk_words < 10 or not 0 <= self.overlap_words < self.chunk_words:
            raise ValueError(f"need chunk_words >= 10 and 0 <= overlap_words < chunk_words, got "
                             f"{self.chunk_words}/{self.overlap_words}")
        if self.max_words_per_chunk is not None and self.max_words_per_chunk < 5:
            raise ValueError(f"max_words_per_chunk must be >= 5 (or None for whole chunks), got "
                             f"{self.max_words_per_chunk}")
        prompt(self.prompt_version)

    def variant(self, **changes: Any) -> RagConfig:
        """A copy with some fields changed, e.g. ``cfg.variant(k=5)``."""
        return replace(self, **changes)


@dataclass
class Answer:
    """What the app returns for one question. ``hits`` are the sources as the model saw them (trimmed
    when ``RagConfig.max_words_per_chunk`` is set), numbered [1], [2], ... in this order."""

    question: str
    text: str
    citations: list[str]
    invalid_citations: list[int]
    hits: list[Hit]
    abstained: bool
    model: str
    prompt_version: str
    tenant: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    retrieval_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def retrieved_ids(self) -> list[str]:
        """KB document ids of the retrieved chunks, best first, without repeats."""
        return list(dict.fromkeys(h.document_id for h in self.hits))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["retrieved_ids"] = self.retrieved_ids
        return d


def parse_citations(text: str, hits: list[Hit]) -> tuple[list[str], list[int]]:
    """Map [n] markers in an answer to document ids; numbers with no such source are invalid."""
    cited, invalid = [], []
    for n in dict.fromkeys(int(m) for m in CITATION.findall(text)):
        if 1 <= n <= len(hits):
            cited.append(hits[n - 1].document_id)
        else:
            invalid.append(n)
    return list(dict.fromkeys(cited)), invalid


class RagApp:
    """The reference RAG service as a Python object.

    Args:
        documents: KB rows; the shipped knowledge base (``data.records("kb")``) by default.
        config: a :class:`RagConfig`.
        index_path: where the SQLite index lives; a cache file keyed by content and settings by default,
            so notebooks reuse an index built once.
    """

    def __init__(self, documents: list[dict[str, Any]] | None = None, config: RagConfig | None = None,
                 index_path: str | Path | None = None) -> None:
        self.config = config or RagConfig()
        if documents is None:
            from labkit import data

            documents = data.records("kb")
        self.documents = documents
        settings = {"chunk_words": self.config.chunk_words, "overlap_words": self.config.overlap_words,
                    "embedding_model": "all-MiniLM-L6-v2"}
        if index_path is None:
            index_path = cache_dir() / "rag" / f"index-{fingerprint(documents, settings)}.sqlite"
        path = Path(index_path)
        self.index = Index.open(path) if path.exists() else Index.build(
            documents, path, chunk_words=self.config.chunk_words, overlap_words=self.config.overlap_words)
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from labkit import llm

            self._client = llm.client()
        return self._client

    def with_config(self, **changes: Any) -> RagApp:
        """A new app with some config fields changed, sharing the index when chunking is unchanged."""
        cfg = self.config.variant(**changes)
        if (cfg.chunk_words, cfg.overlap_words) == (self.config.chunk_words, self.config.overlap_words):
            clone = object.__new__(RagApp)
            clone.config, clone.documents, clone.index, clone._client = cfg, self.documents, self.index, self._client
            return clone
        return RagApp(self.documents, cfg)

    def retrieve(self, question: str, tenant: str | None = None) -> list[Hit]:
        """The chunks the app would put in the prompt."""
        return self.index.search(question, k=self.config.k, mode=self.config.mode, tenant=tenant)

    def prompt_for(self, question: str, tenant: str | None = None) -> tuple[list[Hit], list[dict[str, str]] | None]:
        """The sources and chat messages :meth:`answer` sends for a question (the same retrieval and trimming).

        Returns:
            (hits, messages); messages is None when the app abstains without asking the model (no source,
            or the best one below ``abstain_below``). Eval exports use it to replay a run's prompts elsewhere.
        """
        cfg = self.config
        hits = self.retrieve(question, tenant)
        if not hits or (cfg.abstain_below and hits[0].score < cfg.abstain_below):
            return hits, None
        if cfg.max_words_per_chunk is not None:
            hits = trim_context(hits, question, cfg.max_words_per_chunk)
        return hits, messages(prompt(cfg.prompt_version), question, hits)

    def answer(self, question: str, tenant: str | None = None, **create_kwargs: Any) -> Answer:
        """Retrieve, prompt, and answer with citations.

        Args:
            question: the user's question.
            tenant: restrict retrieval to this tenant's documents plus the shared KB.
            **create_kwargs: extra arguments for ``chat.completions.create`` (e.g. ``extra_headers``).

        Returns:
            An :class:`Answer`.
        """
        if not isinstance(question, str) or not question.strip():
            raise ValueError("question must be a non-empty string")

        cfg = self.config
        model = cfg.model or llm.model_for("chat")
        t0 = time.perf_counter()
        hits, msgs = self.prompt_for(question, tenant)
        retrieval_s = time.perf_counter() - t0
        if msgs is None:
            return Answer(question, IDK + ".", [], [], hits, True, model, cfg.prompt_version, tenant,
                          latency_s=time.perf_counter() - t0, retrieval_s=retrieval_s)
        r = self.client.chat.completions.create(model=model, messages=msgs, max_tokens=cfg.max_tokens,
                                                temperature=cfg.temperature, **create_kwargs)
        text = (r.choices[0].message.content or "").strip()
        cited, invalid = parse_citations(text, hits)
        return Answer(
            question=question, text=text, citations=cited, invalid_citations=invalid, hits=hits,
            abstained=is_abstention(text), model=model, prompt_version=cfg.prompt_version, tenant=tenant,
            input_tokens=r.usage.prompt_tokens if r.usage else 0,
            output_tokens=r.usage.completion_tokens if r.usage else 0,
            latency_s=time.perf_counter() - t0, retrieval_s=retrieval_s,
        )
