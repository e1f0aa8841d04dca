"""What both caches build on: the SQLite connection, argument checks, hit/miss counters, and the
in-memory vectors of one semantic-cache namespace."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labkit.clock import Seconds

# A callable returning seconds, ``time.time`` by default, so a simulation can run a week of TTLs on a
# virtual clock (labkit.clock).
Clock = Seconds


def _check_positive(name: str, value: float | None, allow_none: bool = True) -> None:
    if value is None:
        if not allow_none:
            raise ValueError(f"{name} is required")
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number (or None for no limit), got {value!r}")


def _check_namespace(namespace: str) -> None:
    if not isinstance(namespace, str) or not namespace.strip():
        raise ValueError(f"namespace must be a non-empty string (use the tenant id), got {namespace!r}")


def _connect(path: str | Path) -> sqlite3.Connection:
    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(target, check_same_thread=False, timeout=30, isolation_level=None)
    if target != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _forget_rows(conn: sqlite3.Connection, table: str, where: str, keys: Sequence[tuple[Any, ...]]) -> int:
    """Delete rows for erasure in one transaction: freed pages overwritten, the write-ahead log emptied."""
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        removed = sum(conn.execute(f"DELETE FROM {table} WHERE {where}", key).rowcount for key in keys)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return int(removed)


@dataclass
class CacheStats:
    """Counters since the cache object was created."""

    hits: int = 0
    misses: int = 0
    expired: int = 0
    evicted: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class _Shard:
    """The in-memory vectors of one namespace, grown by doubling."""

    def __init__(self, dim: int) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.expires = np.zeros(0, dtype=np.float64)
        self.size = 0

    def add(self, entry_id: int, vector: np.ndarray, expires: float) -> None:
        if self.size == len(self.ids):
            cap = max(64, 2 * len(self.ids))
            for name in ("ids", "vectors", "expires"):
                old = getattr(self, name)
                new = np.zeros((cap, *old.shape[1:]), dtype=old.dtype)
                new[: self.size] = old[: self.size]
                setattr(self, name, new)
        self.ids[self.size], self.vectors[self.size], self.expires[self.size] = entry_id, vector, expires
        self.size += 1

    def remove(self, entry_ids: set[int]) -> None:
        keep = ~np.isin(self.ids[: self.size], list(entry_ids))
        n = int(keep.sum())
        self.ids[:n] = self.ids[: self.size][keep]
        self.vectors[:n] = self.vectors[: self.size][keep]
        self.expires[:n] = self.expires[: self.size][keep]
        self.size = n
