"""Versioned embedders: the real model, honest stand-ins for "another model version", and a toy one.

An :class:`Embedder` is a callable with a ``version`` string that lineage records and skew checks
compare. :func:`minilm` is the real model; :func:`rotated` and :func:`truncated` simulate a new model
version and a different preprocessing; :func:`bag_of_words` needs no model (tests, quick demos).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from labkit import embed


@dataclass(frozen=True)
class Embedder:
    """An embedding function with a version string that lineage records and skew checks compare.

    Attributes:
        version: names the model *and* its preprocessing, e.g. ``all-MiniLM-L6-v2`` or
            ``all-MiniLM-L6-v2+trunc16``. Two embedders with the same version must give the same vectors.
        fn: list of texts -> float32 array (n, d), rows L2-normalised.
        note: what this embedder is (and whether it is a simulation).
    """

    version: str
    fn: Callable[[list[str]], np.ndarray]
    note: str = ""
    counter: dict[str, int] = field(default_factory=lambda: {"calls": 0, "texts": 0}, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version.strip():
            raise ValueError("an Embedder needs a non-empty version string (it is what lineage records)")
        if not callable(self.fn):
            raise TypeError(f"Embedder.fn must be callable, got {type(self.fn).__name__}")

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        items = list(texts)
        self.counter["calls"] += 1
        self.counter["texts"] += len(items)
        if not items:
            return np.zeros((0, 0), dtype=np.float32)
        out = np.asarray(self.fn(items), dtype=np.float32)
        if out.ndim != 2 or out.shape[0] != len(items):
            raise ValueError(f"embedder {self.version!r} returned shape {out.shape} for {len(items)} texts")
        return out


def _normalise(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def minilm() -> Embedder:
    """The real model that ships with the course: all-MiniLM-L6-v2 via ``labkit.embed`` (384-d)."""
    return Embedder(embed.MODEL_NAME, lambda texts: embed.encode(texts), note="all-MiniLM-L6-v2, text as is")


def rotated(base: Embedder, seed: int = 1, strength: float = 1.0) -> Embedder:
    """A SIMULATED new embedding-model version: ``base``'s vectors turned by a fixed random rotation.

    Within itself it is exactly as good as ``base`` (a rotation keeps every cosine), but its coordinates
    no longer match an index built with ``base`` - which is what a real model upgrade does. ``strength``
    in (0, 1] blends towards the rotation (small values mimic a minor update).

    Args:
        base: the embedder to rotate.
        seed: picks the rotation.
        strength: 1 is a full rotation; 0.2 moves each vector ~18 degrees.
    """
    if not 0 < strength <= 1:
        raise ValueError(f"strength must be in (0, 1], got {strength}")
    cache: dict[int, np.ndarray] = {}

    def fn(texts: list[str]) -> np.ndarray:
        v = base(texts)
        d = v.shape[1]
        if d not in cache:
            q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
            cache[d] = q * np.sign(np.diag(r))
        theta = strength * np.pi / 2
        return _normalise(np.cos(theta) * v + np.sin(theta) * (v @ cache[d].T))

    return Embedder(f"{base.version}+rot{seed}@{strength:g}", fn,
                    note=f"SIMULATED model version: {base.version} rotated (seed {seed}, strength {strength:g})")


def truncated(base: Embedder, words: int) -> Embedder:
    """``base`` with a different preprocessing: each text cut to its first ``words`` words before embedding
    (what a smaller ``max_seq_length`` or an over-eager cleaner does)."""
    if words < 1:
        raise ValueError(f"words must be >= 1, got {words}")
    return Embedder(f"{base.version}+trunc{words}", lambda texts: base([" ".join(t.split()[:words]) for t in texts]),
                    note=f"preprocessing: first {words} words only")


def bag_of_words(dim: int = 256) -> Embedder:
    """A tiny deterministic embedder (hashed word counts), for tests and quick demos; no model needed."""
    if dim < 8:
        raise ValueError(f"dim must be >= 8, got {dim}")

    def fn(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9]+", t.lower()):
                out[i, zlib.crc32(w.encode()) % dim] += 1.0
        out[:, 0] += 1e-3  # no all-zero rows
        return _normalise(out)

    return Embedder(f"bag-of-words-{dim}", fn, note="toy: hashed word counts")
