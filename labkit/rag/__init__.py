"""The reference RAG app: ingest, hybrid retrieval, grounded answers with citations, and an HTTP service.

    >>> from labkit.rag import RagApp
    >>> app = RagApp()                      # the shipped knowledge base, default config
    >>> a = app.answer("How much does the Team plan cost?")
    >>> a.text, a.citations, a.retrieved_ids
"""

from labkit.rag.app import Answer, RagApp, RagConfig, is_abstention, parse_citations
from labkit.rag.index import BM25, Chunk, Hit, Index, chunk_document, rrf, tokenize
from labkit.rag.prompts import IDK, PROMPTS, prompt

__all__ = ["Answer", "BM25", "Chunk", "Hit", "IDK", "Index", "PROMPTS", "RagApp", "RagConfig", "chunk_document",
           "is_abstention", "parse_citations", "prompt", "rrf", "tokenize"]
