"""Evaluating a semantic-cache threshold on labelled pairs: hit rate on pairs that should share an
answer, false-hit rate on those that should not, and the threshold that keeps false hits rare."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labkit.cache.semantic import SemanticCache
from labkit.files import read_jsonl, unique_ids


@dataclass(frozen=True)
class CachePair:
    """A cached question, an incoming one, and whether the cached answer should be served."""

    id: str
    cached: str
    incoming: str
    should_hit: bool
    kind: str = ""


@dataclass(frozen=True)
class PairResult:
    """One pair scored: similarity, the guard's verdict, and whether it hit at the threshold."""

    id: str
    should_hit: bool
    similarity: float
    guard_ok: bool
    guard_reason: str
    hit: bool
    kind: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "should_hit": self.should_hit, "similarity": round(self.similarity, 4),
                "guard_ok": self.guard_ok, "guard_reason": self.guard_reason, "hit": self.hit, "kind": self.kind}


@dataclass(frozen=True)
class CacheEval:
    """Hit rate on should-hit pairs and false-hit rate on the others, at one threshold."""

    threshold: float
    guarded: bool
    hit_rate: float
    false_hit_rate: float
    n_should_hit: int
    n_should_miss: int
    results: tuple[PairResult, ...] = ()


_PAIR_SHAPE = '{"id", "cached", "incoming", "should_hit"}'


def _check_pair(lineno: int, row: dict[str, Any]) -> str | None:
    missing = [k for k in ("id", "cached", "incoming", "should_hit") if k not in row]
    if missing:
        return f"missing field(s) {missing}; each line needs id, cached, incoming, should_hit"
    if not isinstance(row["should_hit"], bool):
        return f"should_hit must be true or false, got {row['should_hit']!r}"
    for k in ("cached", "incoming"):
        if not isinstance(row[k], str) or not row[k].strip():
            return f"{k} must be a non-empty string"
    return None


def read_pairs(path: str | Path) -> list[CachePair]:
    """Read labelled pairs from a JSONL file (``id``, ``cached``, ``incoming``, ``should_hit``).

    Every line is checked (streaming, one line in memory at a time) before any pair is kept.

    Raises:
        labkit.files.JsonlError: malformed lines, each named as ``FILE, line N: ...``.
        ValueError: the file holds no pairs.
    """
    pairs = [CachePair(str(row["id"]), row["cached"], row["incoming"], row["should_hit"], str(row.get("kind", "")))
             for _, row in read_jsonl(path, _PAIR_SHAPE, unique_ids(_check_pair))]
    if not pairs:
        raise ValueError(f"{path} holds no pairs")
    return pairs


def as_pairs(rows: Iterable[Mapping[str, Any] | CachePair]) -> list[CachePair]:
    """Turn dicts (e.g. ``data.records("cache_pairs", "dev")``) into :class:`CachePair` objects."""
    out = []
    for i, r in enumerate(rows):
        if isinstance(r, CachePair):
            out.append(r)
            continue
        try:
            out.append(CachePair(str(r["id"]), str(r["cached"]), str(r["incoming"]), bool(r["should_hit"]),
                                 str(r.get("kind", ""))))
        except KeyError as exc:
            raise ValueError(f"row {i} lacks {exc}; pairs need id, cached, incoming, should_hit") from None
    return out


@dataclass(frozen=True)
class ScoredPairs:
    """Similarities and guard verdicts of pairs, computed once and reused for every threshold."""

    pairs: tuple[CachePair, ...]
    similarity: np.ndarray
    guard_ok: np.ndarray
    guard_reason: tuple[str, ...]

    def at(self, threshold: float, guarded: bool = True) -> CacheEval:
        """Hit and false-hit rates at one threshold, with or without the guard."""
        hit = self.similarity >= threshold
        if guarded:
            hit &= self.guard_ok
        should = np.array([p.should_hit for p in self.pairs], dtype=bool)
        n_hit, n_miss = int(should.sum()), int((~should).sum())
        results = tuple(
            PairResult(p.id, p.should_hit, float(s), bool(g), r, bool(h), p.kind)
            for p, s, g, r, h in zip(self.pairs, self.similarity, self.guard_ok, self.guard_reason, hit, strict=True))
        return CacheEval(
            threshold=float(threshold), guarded=guarded,
            hit_rate=float(hit[should].mean()) if n_hit else 0.0,
            false_hit_rate=float(hit[~should].mean()) if n_miss else 0.0,
            n_should_hit=n_hit, n_should_miss=n_miss, results=results)

    def curve(self, thresholds: Iterable[float], guarded: bool = True) -> list[CacheEval]:
        """:meth:`at` for each threshold (results left out to keep it small)."""
        out = []
        for t in thresholds:
            e = self.at(t, guarded)
            out.append(CacheEval(e.threshold, e.guarded, e.hit_rate, e.false_hit_rate, e.n_should_hit,
                                 e.n_should_miss))
        return out


def score_pairs(pairs: Sequence[CachePair], cache: SemanticCache | None = None) -> ScoredPairs:
    """Similarity and guard verdict for every pair, through a real semantic cache.

    Each pair gets its own namespace in one fresh cache (equivalent to a fresh cache per pair):
    its cached question is stored, the incoming one looked up with threshold -1 so the best
    similarity and the guard's verdict are always reported.

    Args:
        pairs: labelled pairs.
        cache: the cache to use (its embedder and guard); a fresh in-memory one by default.

    Returns:
        :class:`ScoredPairs`.
    """
    pairs = tuple(pairs)
    if not pairs:
        raise ValueError("no pairs to score")
    if cache is None:  # not `cache or ...`: an empty cache is falsy (it has __len__) and is still the caller's
        cache = SemanticCache(":memory:")
    vecs = cache.embed([p.cached for p in pairs] + [p.incoming for p in pairs])
    n = len(pairs)
    sims, oks, reasons = np.zeros(n), np.zeros(n, dtype=bool), []
    for i, p in enumerate(pairs):
        ns = f"pair:{p.id}"
        cache.put(p.cached, f"answer to {p.id}", namespace=ns, vector=vecs[i])
        r = cache.lookup(p.incoming, namespace=ns, vector=vecs[n + i], threshold=-1.0)
        sims[i] = r.similarity
        oks[i] = r.hit
        reasons.append(r.reason.removeprefix("guard: "))
    return ScoredPairs(pairs, sims, oks, tuple(reasons))


def choose_threshold(scored: ScoredPairs, max_false_hit: float = 0.02, guarded: bool = True,
                     *, grid: Iterable[float] | None = None) -> CacheEval:
    """The threshold with the best hit rate whose false-hit rate is below ``max_false_hit``.

    Ties go to the higher threshold (the same hits with a wider safety margin).

    Choose on a dev split, report on a test split: choosing on the set you report overstates
    how well the threshold works.

    Args:
        scored: pairs scored by :func:`score_pairs` (the dev split).
        max_false_hit: the largest acceptable false-hit rate (strictly below).
        guarded: whether the near-miss guard is on.
        grid: thresholds to try; 0.50 to 0.99 in steps of 0.01 by default.

    Returns:
        The :class:`CacheEval` at the chosen threshold (the highest grid value if none qualifies).
    """
    if not 0 <= max_false_hit <= 1:
        raise ValueError(f"max_false_hit is a rate in [0, 1], got {max_false_hit}")
    points = [round(t, 4) for t in (grid if grid is not None else np.arange(0.50, 0.995, 0.01))]
    if not points:
        raise ValueError("grid is empty")
    best: CacheEval | None = None
    for t in sorted(points):
        e = scored.at(t, guarded)
        if e.false_hit_rate < max_false_hit and (best is None or e.hit_rate >= best.hit_rate):
            best = e
    return best or scored.at(max(points), guarded)
