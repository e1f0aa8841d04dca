"""An append-only audit log in SQLite whose entries form a keyed hash chain, so any edit is detectable.

Each entry stores an HMAC-SHA256, under a secret key, of its own content *and of the previous
entry's digest*. Changing, deleting or reordering any entry breaks every digest after it, which
:meth:`AuditLog.verify` finds and locates. SQLite triggers refuse UPDATE and DELETE through the
normal path; the chain catches whoever bypasses them (someone with the file can drop the triggers —
the tests do exactly that). Two things protect the chain beyond that:

* **The key** is held outside the log (``key=``, a ``key_file``, the ``LABKIT_AUDIT_KEY`` environment
  variable, or else a random key kept in the key store). Without it, an attacker who edits an entry
  cannot recompute the digests after it, and cannot append a forged entry that verifies. With a plain
  hash anyone could re-hash the whole chain.
* **An anchor**: cutting entries off the *end* leaves a valid shorter chain, and whoever holds the key
  can rewrite the chain entirely. Publish :meth:`AuditLog.head` somewhere else (a ticket, another
  system's log) and pass it to ``verify(anchor=...)``: the log must still hold that entry, unchanged.

People in the log are pseudonymous: ``actor`` is stored as an HMAC of the user id with a per-person
random salt kept in a separate key store (another SQLite file, ``<path>.keys`` by default — keep it
with your secrets, not with the log). A ``resource`` that belongs to a person (``subject=``) is stored
as an HMAC under the same salt, and emails or phone numbers inside a resource are replaced by their
own pseudonyms. :meth:`AuditLog.forget` deletes a person's salt — the entries stay and the chain
still verifies, but they can no longer be linked to the person (erasure without breaking
immutability, sometimes called crypto-shredding). Details are passed through PII redaction before
they are written.

    >>> log = AuditLog("audit.sqlite", key_file="/etc/labkit/audit.key")
    >>> log.append("egress.denied", actor="ana@halyard.example", tenant="halyard", resource="chat",
    ...            details={"class": "confidential", "provider": "openai"})
    >>> log.verify().ok
    True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit.enterprise import pii

__all__ = ["KEY_ENV", "AuditEntry", "AuditLog", "Verification", "entry_digest"]

GENESIS = "0" * 64
KEY_ENV = "LABKIT_AUDIT_KEY"
MIN_KEY_BYTES = 16
_MAKE_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"


@dataclass(frozen=True)
class AuditEntry:
    """One audit record as stored."""

    seq: int
    ts: float
    actor: str
    tenant: str
    action: str
    resource: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    """Result of checking the chain.

    Attributes:
        ok: every entry's digest is right and links to the one before (and the anchor matches, when given).
        entries: entries checked.
        first_bad_seq: the first entry that does not verify (None when ok).
        reason: what is wrong, in words.
    """

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str = ""


def entry_digest(key: bytes, prev_hash: str, *, seq: int, ts: float, actor: str, tenant: str, action: str,
                 resource: str, details: str) -> str:
    """The keyed digest of one entry: HMAC-SHA256 over its fields and the previous entry's digest.

    Args:
        key: the log's secret key.
        prev_hash: the previous entry's digest (:data:`GENESIS` for the first entry).
        seq, ts, actor, tenant, action, resource, details: the entry's stored fields (details as JSON).

    Returns:
        64 hex digits.
    """
    canonical = json.dumps([prev_hash, seq, repr(ts), actor, tenant, action, resource, details],
                           ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _checked_key(key: bytes | str, source: str, *, text: bool = False) -> bytes:
    # Text keys (a str, a key file) lose the whitespace around them (the newline `print` adds); raw bytes are used
    # as they are: a random key may begin or end with a byte that strip() would remove.
    if isinstance(key, str):
        key, text = key.encode("utf-8"), True
    if not isinstance(key, bytes):
        raise TypeError(f"the audit key from {source} must be bytes or str, got {type(key).__name__}")
    raw = key.strip() if text else key
    if len(raw) < MIN_KEY_BYTES:
        raise ValueError(f"the audit key from {source} has {len(raw)} bytes; use at least {MIN_KEY_BYTES}, "
                         f"e.g. the output of {_MAKE_KEY}")
    return raw


def _read_key_file(path: str | Path) -> bytes:
    try:
        return _checked_key(Path(path).read_bytes(), f"key file {path}", text=True)
    except OSError as exc:
        raise ValueError(f"cannot read the audit key file {path} ({exc.strerror}); create it with "
                         f"{_MAKE_KEY} > {path}") from None


class AuditLog:
    """An append-only audit log chained with a secret key.

    Args:
        path: SQLite file (created if missing) or ``":memory:"``.
        keystore: SQLite file for the per-person salts; ``<path>.keys`` by default (in memory for ``":memory:"``).
        clock: seconds since the epoch (``time.time``; a simulation can pass its virtual clock).
        redact: pass string details through :func:`labkit.enterprise.pii.redact` before writing.
        key: the chain's secret key (at least 16 bytes). When None: read from ``key_file``, else from
            the ``LABKIT_AUDIT_KEY`` environment variable, else a random key kept in the key store
            (which then protects the chain only as long as the key store is kept apart from the log).
        key_file: a file holding the key, e.g. one only the service account can read.
    """

    def __init__(self, path: str | Path = ":memory:", keystore: str | Path | None = None,
                 clock: Callable[[], float] = time.time, *, redact: bool = True, key: bytes | str | None = None,
                 key_file: str | Path | None = None) -> None:
        if not callable(clock):
            raise TypeError("clock must be a callable returning seconds, e.g. time.time")
        self.path = str(path)
        self.clock = clock
        self.redact = redact
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.executescript(
            "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, ts REAL NOT NULL, actor TEXT NOT NULL,"
            " tenant TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL, details TEXT NOT NULL,"
            " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
            "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
            " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
            "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
            " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
        )
        if keystore is None:
            keystore = ":memory:" if self.path == ":memory:" else self.path + ".keys"
        self._keys = sqlite3.connect(str(keystore), check_same_thread=False, isolation_level=None)
        # Overwrite deleted salts on disk, so a forgotten person's salt cannot be recovered from free pages.
        self._keys.executescript("PRAGMA secure_delete=ON;"
                                 "CREATE TABLE IF NOT EXISTS audit_actors (user_id TEXT PRIMARY KEY, salt BLOB NOT NULL);"
                                 "CREATE TABLE IF NOT EXISTS audit_chain_key (id INTEGER PRIMARY KEY CHECK (id = 1),"
                                 " key BLOB NOT NULL);")
        self._key = self._resolve_key(key, key_file)

    def _resolve_key(self, key: bytes | str | None, key_file: str | Path | None) -> bytes:
        """The chain key from the first source given: argument, key file, environment, key store."""
        if key is not None:
            return _checked_key(key, "the key= argument")
        if key_file is not None:
            return _read_key_file(key_file)
        if os.environ.get(KEY_ENV):
            return _checked_key(os.environ[KEY_ENV], f"${KEY_ENV}")
        self._keys.execute("INSERT OR IGNORE INTO audit_chain_key VALUES (1, ?)", (os.urandom(32),))
        return bytes(self._keys.execute("SELECT key FROM audit_chain_key WHERE id = 1").fetchone()[0])

    # ------------------------------------------------------------ pseudonyms
    def pseudonym(self, user_id: str, create: bool = False) -> str | None:
        """The stored name of a person: ``u_`` + HMAC(salt, user id); None if unknown (or forgotten)."""
        row = self._keys.execute("SELECT salt FROM audit_actors WHERE user_id=?", (user_id,)).fetchone()
        if row is None:
            if not create:
                return None
            salt = os.urandom(16)
            self._keys.execute("INSERT INTO audit_actors VALUES (?,?)", (user_id, salt))
        else:
            salt = row[0]
        return "u_" + hmac.new(salt, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:20]

    def resource_pseudonym(self, identifier: str, person: str) -> str:
        """How a resource that belongs to ``person`` is stored: ``r_`` + HMAC(their salt, identifier).

        The same identifier of the same person always gets the same pseudonym (so entries about it can
        still be found), until :meth:`forget` deletes the salt.
        """
        self.pseudonym(person, create=True)
        salt = self._keys.execute("SELECT salt FROM audit_actors WHERE user_id=?", (person,)).fetchone()[0]
        return "r_" + hmac.new(salt, identifier.encode("utf-8"), hashlib.sha256).hexdigest()[:20]

    def _stored_resource(self, resource: str, subject: str | None) -> str:
        """The resource as written: a pseudonym when it belongs to a person, and no raw emails or phone numbers."""
        if subject is not None:
            return self.resource_pseudonym(resource, subject)
        out, pos = [], 0
        for e in pii.detect(resource):
            out += [resource[pos:e.start], self.pseudonym(e.text, create=True) or ""]
            pos = e.end
        return "".join(out) + resource[pos:]

    def forget(self, user_id: str) -> bool:
        """Erase the link between a person and their audit entries (delete their salt).

        Returns:
            True when the person was known.
        """
        with self._lock:
            return self._keys.execute("DELETE FROM audit_actors WHERE user_id=?", (user_id,)).rowcount > 0

    # ------------------------------------------------------------ writing and reading
    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return pii.redact(value).redacted if self.redact else value
        if isinstance(value, dict):
            return {str(k): self._clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._clean(v) for v in value]
        return value

    def append(self, action: str, actor: str, tenant: str, *, resource: str = "",
               details: dict[str, Any] | None = None, subject: str | None = None) -> AuditEntry:
        """Add an entry.

        Args:
            action: what happened, e.g. ``"doc.read"``, ``"egress.denied"``, ``"user.erased"``.
            actor: the user or service id (stored as a pseudonym; services may use a plain name such as
                ``"system"`` by prefixing it with ``"svc:"``, which is stored as is).
            tenant: whose data it concerns.
            resource: what it was done to (a document id, a route). Emails and phone numbers in it are
                stored as pseudonyms.
            details: JSON-serialisable context; strings are PII-redacted when ``redact`` is on.
            subject: the person the resource belongs to (e.g. the owner of an uploaded document); the
                resource is then stored as :meth:`resource_pseudonym`, unlinkable after :meth:`forget`.

        Returns:
            The stored :class:`AuditEntry`.
        """
        for name, value in (("action", action), ("actor", actor), ("tenant", tenant)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty string, got {value!r}")
        if not isinstance(resource, str):
            raise TypeError(f"resource must be a string, got {type(resource).__name__}")
        if subject is not None and (not isinstance(subject, str) or not subject.strip()):
            raise ValueError(f"subject must be a person's non-empty id or None, got {subject!r}")
        try:
            body = json.dumps(self._clean(details or {}), sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"details must be JSON-serialisable: {exc}") from None
        with self._lock:
            stored_actor = actor if actor.startswith("svc:") else self.pseudonym(actor, create=True)
            assert stored_actor is not None
            resource = self._stored_resource(resource, subject)
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                last = self._conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                ts = float(self.clock())
                digest = entry_digest(self._key, prev, seq=seq, ts=ts, actor=stored_actor, tenant=tenant, action=action, resource=resource, details=body)
                self._conn.execute("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?)",
                                   (seq, ts, stored_actor, tenant, action, resource, body, prev, digest))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return AuditEntry(seq, ts, stored_actor, tenant, action, resource, json.loads(body), prev, digest)

    def entries(self, tenant: str | None = None, actor: str | None = None, action: str | None = None) -> list[AuditEntry]:
        """Entries in order, filtered by tenant, by person (their user id) or by action."""
        sql, args = "SELECT * FROM audit WHERE 1=1", list[str]()
        if tenant is not None:
            sql, args = sql + " AND tenant=?", [*args, tenant]
        if action is not None:
            sql, args = sql + " AND action=?", [*args, action]
        if actor is not None:
            stored = actor if actor.startswith("svc:") else self.pseudonym(actor)
            if stored is None:
                return []
            sql, args = sql + " AND actor=?", [*args, stored]
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY seq", args).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8]) for r in rows]

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0])

    def head(self) -> tuple[int, str]:
        """(number of entries, digest of the last one): publish it elsewhere as an anchor for :meth:`verify`."""
        with self._lock:
            row = self._conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def verify(self, anchor: tuple[int, str] | None = None, *,
               expected_head: tuple[int, str] | None = None) -> Verification:
        """Recompute the keyed chain from the first entry.

        Args:
            anchor: a (count, digest) published earlier by :meth:`head`; the log must still hold that
                entry at that position, unchanged (this catches entries cut off the end, and a chain
                rewritten by someone holding the key).
            expected_head: the former name of ``anchor``.

        Returns:
            :class:`Verification` naming the first bad entry, if any.
        """
        anchor = anchor if anchor is not None else expected_head
        with self._lock:
            rows = self._conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
        prev, expected_seq = GENESIS, 1
        for seq, ts, actor, tenant, action, resource, details, prev_hash, digest in rows:
            if seq != expected_seq:
                return Verification(False, len(rows), expected_seq, f"entry {expected_seq} is missing (next is {seq})")
            if prev_hash != prev:
                return Verification(False, len(rows), seq, f"entry {seq} does not link to entry {seq - 1}")
            if not hmac.compare_digest(entry_digest(self._key, prev_hash, seq=seq, ts=ts, actor=actor, tenant=tenant, action=action, resource=resource,
                                                    details=details), digest):
                return Verification(False, len(rows), seq, f"entry {seq} was changed after it was written, or was "
                                                           "not written with this log's key")
            prev, expected_seq = digest, seq + 1
        return _check_anchor(rows, anchor) if anchor is not None else Verification(True, len(rows))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._keys.close()


def _check_anchor(rows: list[Any], anchor: tuple[int, str]) -> Verification:
    """Whether a verified chain still holds the anchored entry (count, digest) unchanged."""
    count, digest = anchor
    if count > len(rows):
        return Verification(False, len(rows), len(rows) + 1,
                            f"the log has {len(rows)} entries but the anchor has {count}: entries were cut off")
    if count and rows[count - 1][8] != digest:
        return Verification(False, len(rows), count, f"entry {count} differs from the anchor: the chain was rewritten")
    return Verification(True, len(rows))
