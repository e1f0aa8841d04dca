"""Response caches in front of a model: an exact cache and a semantic cache, both in SQLite.

* :mod:`labkit.cache.exact` — :class:`ExactCache` keys a response by the *normalised request*
  (model, messages and the parameters that change the output). TTL, a size bound (least recently
  used goes first) and one namespace per tenant.
* :mod:`labkit.cache.semantic` — :class:`SemanticCache` keys an answer by the *meaning* of a
  question: an embedding and a cosine similarity threshold.
* :mod:`labkit.cache.guard` — :class:`NearMissGuard` vetoes semantic candidates that differ in a
  number, a negation, a named plan/product/region or a contrasting word (monthly vs annual); its
  words come from :mod:`labkit.cache.vocabulary` (``vocabulary.toml``).
* :mod:`labkit.cache.evaluate` — hit and false-hit rates on labelled pairs, and choosing a threshold.
* :mod:`labkit.cache.store` — the SQLite connection and counters both caches share.

Both caches take ``clock``: a callable returning seconds, ``time.time`` by default, so a simulation
can run a week of TTLs on a virtual clock.

    >>> cache = SemanticCache(":memory:", threshold=0.8, ttl_s=3600)
    >>> cache.put("How much is the Team plan?", "$19 per user per month", namespace="acme")
    >>> cache.lookup("What does the Team plan cost?", namespace="acme").hit
    True
"""

from labkit.cache.evaluate import (
    CacheEval,
    CachePair,
    PairResult,
    ScoredPairs,
    as_pairs,
    choose_threshold,
    read_pairs,
    score_pairs,
)
from labkit.cache.exact import ExactCache, normalise_request, request_key
from labkit.cache.guard import GuardVerdict, NearMissGuard
from labkit.cache.semantic import DEFAULT_THRESHOLD, Embedder, SemanticCache, SemanticLookup, normalise_question
from labkit.cache.store import CacheStats, Clock
from labkit.cache.vocabulary import CONTRASTS, DEFAULT_OBJECTS, DEFAULT_TERMS, Vocabulary, load_vocabulary

__all__ = [
    "CONTRASTS", "DEFAULT_OBJECTS", "DEFAULT_TERMS", "DEFAULT_THRESHOLD", "CacheEval", "CachePair", "CacheStats",
    "Clock", "Embedder", "ExactCache", "GuardVerdict", "NearMissGuard", "PairResult", "ScoredPairs", "SemanticCache",
    "SemanticLookup", "Vocabulary", "as_pairs", "choose_threshold", "load_vocabulary", "normalise_question",
    "normalise_request", "read_pairs", "request_key", "score_pairs",
]
