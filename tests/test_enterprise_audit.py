"""labkit.enterprise.audit: append-only, hash-chained, pseudonymous; every kind of tampering is detected."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from labkit.enterprise.audit import AuditLog


def filled(path: Path, n: int = 6) -> AuditLog:
    clock = iter(float(1_700_000_000 + i) for i in range(1000))
    log = AuditLog(path, clock=lambda: next(clock))
    for i in range(n):
        log.append("doc.read", actor=f"user{i % 2}@halyard.example", tenant="halyard", resource=f"kb-{i:04d}",
                   details={"n": i})
    return log


def tamper(path: Path, sql: str, args: tuple = ()) -> None:
    """What an attacker with the file can do: drop the guard triggers and edit the table directly."""
    conn = sqlite3.connect(path)
    conn.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
    conn.execute(sql, args)
    conn.commit()
    conn.close()


def test_a_fresh_chain_verifies_and_links(tmp_path: Path) -> None:
    log = filled(tmp_path / "a.sqlite")
    entries = log.entries()
    assert [e.seq for e in entries] == list(range(1, 7))
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert log.verify().ok and log.verify().entries == 6
    assert log.head() == (6, entries[-1].hash)


def test_update_and_delete_are_refused_by_the_database(tmp_path: Path) -> None:
    log = filled(tmp_path / "a.sqlite")
    conn = sqlite3.connect(tmp_path / "a.sqlite")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET action='nothing' WHERE seq=2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE seq=2")
    conn.close()
    assert log.verify().ok


@pytest.mark.parametrize("sql, args, bad_seq, words", [
    ("UPDATE audit SET action='doc.none' WHERE seq=3", (), 3, "changed"),
    ("UPDATE audit SET details='{\"n\": 99}' WHERE seq=4", (), 4, "changed"),
    ("UPDATE audit SET ts=ts+1 WHERE seq=1", (), 1, "changed"),
    ("DELETE FROM audit WHERE seq=2", (), 2, "missing"),
])
def test_any_edit_is_detected_and_located(tmp_path: Path, sql: str, args: tuple, bad_seq: int, words: str) -> None:
    path = tmp_path / "a.sqlite"
    filled(path).close()
    tamper(path, sql, args)
    result = AuditLog(path).verify()
    assert not result.ok and result.first_bad_seq == bad_seq and words in result.reason


def test_rewriting_an_entry_and_its_hash_breaks_the_next_link(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    log = filled(path)
    e = log.entries()[2]
    log.close()
    from labkit.enterprise.audit import _entry_hash

    forged = _entry_hash(e.prev_hash, e.seq, e.ts, e.actor, e.tenant, "doc.none", e.resource, '{"n": 2}')
    tamper(path, "UPDATE audit SET action='doc.none', hash=? WHERE seq=3", (forged,))
    result = AuditLog(path).verify()
    assert not result.ok and result.first_bad_seq == 4 and "link" in result.reason


def test_truncation_is_caught_against_a_published_head(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    log = filled(path)
    published = log.head()
    log.close()
    tamper(path, "DELETE FROM audit WHERE seq >= 5")
    log = AuditLog(path)
    assert log.verify().ok  # a shorter chain is internally valid ...
    result = log.verify(expected_head=published)
    assert not result.ok and "cut off" in result.reason  # ... but not the one that was published


def test_details_are_redacted_and_actors_pseudonymous(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite")
    e = log.append("egress.denied", actor="ana@halyard.example", tenant="halyard", resource="chat",
                   details={"prompt": "refund to ana@halyard.example", "card": "4111 1111 1111 1111"})
    raw = (tmp_path / "a.sqlite").read_bytes()
    assert b"ana@halyard.example" not in raw and b"4111 1111" not in raw  # the log holds no PII
    assert b"ana@halyard.example" in (tmp_path / "a.sqlite.keys").read_bytes()  # the key store does, until forget
    assert e.actor.startswith("u_") and e.details == {"prompt": "refund to [EMAIL]", "card": "[CARD]"}
    svc = log.append("retention.purge", actor="svc:retention", tenant="halyard")
    assert svc.actor == "svc:retention"


def test_forgetting_a_person_keeps_the_chain_but_unlinks_them(tmp_path: Path) -> None:
    log = filled(tmp_path / "a.sqlite")
    assert len(log.entries(actor="user0@halyard.example")) == 3
    assert log.forget("user0@halyard.example") and not log.forget("nobody")
    assert b"user0@halyard.example" not in (tmp_path / "a.sqlite.keys").read_bytes()
    assert log.entries(actor="user0@halyard.example") == []
    assert len(log) == 6 and log.verify().ok
    # A new entry for the same person gets a new, unlinkable pseudonym.
    again = log.append("doc.read", actor="user0@halyard.example", tenant="halyard")
    assert again.actor not in {e.actor for e in log.entries()[:-1]}


def test_argument_validation(tmp_path: Path) -> None:
    log = AuditLog()
    with pytest.raises(ValueError, match="action"):
        log.append("", actor="a", tenant="t")
    with pytest.raises(TypeError, match="JSON"):
        log.append("x", actor="a", tenant="t", details={"obj": object()})
    with pytest.raises(TypeError, match="clock"):
        AuditLog(clock=123)  # type: ignore[arg-type]
