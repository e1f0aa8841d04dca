"""The parts of erasure that are not about tenancy: the receipt, the interface every erasable store
has, and the search and scrub of the stores that have no API of their own (the index file, the ledger).

A store is *erasable* when it has ``erase(identifiers) -> Erased`` and ``count_mentions(identifiers) -> int``
(:class:`~labkit.tracing.SpanStore`, :class:`~labkit.cache.ExactCache`, :class:`~labkit.cache.SemanticCache`,
:class:`~labkit.lineage.LineageStore`, :class:`~labkit.evals.runs.RunStore`, and the tenancy module's
``RequestLog``). :meth:`labkit.enterprise.tenancy.IsolatedRag.erase_user` calls ``erase`` on each and then
``count_mentions`` on each: the report it returns says, per store, what was removed or redacted and what
a search still finds afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from labkit.enterprise.identifiers import Erased, PersonMatcher

__all__ = ["Erasable", "ErasureReport", "index_mentions", "ledger_mentions", "scrub_ledger"]


class Erasable(Protocol):
    """A store that can delete or redact a person's data, and count what is left."""

    def erase(self, identifiers: Iterable[str] | PersonMatcher) -> Erased: ...

    def count_mentions(self, identifiers: Iterable[str] | PersonMatcher) -> int: ...


@dataclass
class ErasureReport:
    """The receipt of an erasure: per store what was removed or redacted, and what a search afterwards
    still found (all zeros when it worked).

    Attributes:
        tenant, user: whose data.
        removed: store -> :class:`~labkit.enterprise.identifiers.Erased` (records removed / redacted).
        remaining: store -> records that still mention the person (:meth:`IsolatedRag.search_everywhere`).
    """

    tenant: str
    user: str
    removed: dict[str, Erased]
    remaining: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when no store still mentions the person."""
        return not any(self.remaining.values())

    def rows(self) -> list[dict[str, Any]]:
        """One row per store: removed, redacted, remaining (``pd.DataFrame(report.rows())``)."""
        stores = list(dict.fromkeys([*self.removed, *self.remaining]))
        return [{"store": s, "removed": self.removed.get(s, Erased()).removed,
                 "redacted": self.removed.get(s, Erased()).redacted, "remaining": self.remaining.get(s, 0)}
                for s in stores]


def index_mentions(index_path: str | Path, m: PersonMatcher) -> int:
    """Documents and chunks in a :class:`labkit.rag.Index` file that mention the person (read-only)."""
    conn = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)
    try:
        docs = conn.execute("SELECT id, title, text FROM documents").fetchall()
        chunks = conn.execute("SELECT id, text FROM chunks").fetchall()
    finally:
        conn.close()
    return sum(m.count(list(r)) > 0 for r in docs) + sum(m.count(list(r)) > 0 for r in chunks)


def ledger_mentions(records: Sequence[Any], m: PersonMatcher) -> int:
    """Ledger records (``labkit.llm.ledger.records``) whose prompt or answer mentions the person."""
    return sum(m.count([r.request_body, r.response_body]) > 0 for r in records)


def scrub_ledger(records: Sequence[Any], m: PersonMatcher) -> Erased:
    """Replace the person's identifiers inside the prompts and answers the ledger keeps (in place).

    The records stay (they are the cost history); only the text that names the person changes.
    """
    redacted = 0
    for r in records:
        if not m.count([r.request_body, r.response_body]):
            continue
        for body in (r.request_body, r.response_body):
            clean = m.redact(body)
            body.clear()
            body.update(clean)
        redacted += 1
    return Erased(redacted=redacted)
