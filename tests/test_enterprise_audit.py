"""labkit.enterprise.audit: append-only, chained with a secret key, anchorable, pseudonymous; every kind of
tampering is detected: edits, deletions, re-hashing the whole chain without the key, forged appends, and
truncation (against an anchor)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from labkit.enterprise.audit import GENESIS, KEY_ENV, AuditLog, entry_digest

KEY = b"test-audit-key-0123456789abcdef"


def filled(path: Path, n: int = 6) -> AuditLog:
    clock = iter(float(1_700_000_000 + i) for i in range(1000))
    log = AuditLog(path, clock=lambda: next(clock), key=KEY)
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
    result = AuditLog(path, key=KEY).verify()
    assert not result.ok and result.first_bad_seq == bad_seq and words in result.reason


def test_rewriting_an_entry_and_its_digest_with_the_key_breaks_the_next_link(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    log = filled(path)
    e = log.entries()[2]
    log.close()
    forged = entry_digest(KEY, e.prev_hash, seq=e.seq, ts=e.ts, actor=e.actor, tenant=e.tenant, action="doc.none", resource=e.resource, details='{"n": 2}')
    tamper(path, "UPDATE audit SET action='doc.none', hash=? WHERE seq=3", (forged,))
    result = AuditLog(path, key=KEY).verify()
    assert not result.ok and result.first_bad_seq == 4 and "link" in result.reason


def rehash_from(path: Path, start: int, key: bytes) -> None:
    """An attacker edits entry ``start`` and recomputes every digest from there on, with the key they have."""
    conn = sqlite3.connect(path)
    conn.executescript("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;")
    rows = conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
    prev = rows[start - 2][8] if start > 1 else GENESIS
    for seq, ts, actor, tenant, action, resource, details, _, _ in rows[start - 1:]:
        action = "doc.none" if seq == start else action
        digest = entry_digest(key, prev, seq=seq, ts=ts, actor=actor, tenant=tenant, action=action, resource=resource, details=details)
        conn.execute("UPDATE audit SET action=?, prev_hash=?, hash=? WHERE seq=?", (action, prev, digest, seq))
        prev = digest
    conn.commit()
    conn.close()


def test_re_hashing_the_whole_chain_without_the_key_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    filled(path).close()
    rehash_from(path, 3, key=b"the-attackers-guess-of-the-key!!")
    result = AuditLog(path, key=KEY).verify()
    assert not result.ok and result.first_bad_seq == 3 and "key" in result.reason


def test_a_forged_append_without_the_key_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    log = filled(path)
    seq, prev = log.head()
    log.close()
    digest = entry_digest(b"the-attackers-guess-of-the-key!!", prev, seq=seq + 1, ts=1.7e9, actor="u_x", tenant="halyard", action="doc.read",
                          resource="kb-0001", details="{}")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?)",
                 (seq + 1, 1.7e9, "u_x", "halyard", "doc.read", "kb-0001", "{}", prev, digest))
    conn.commit()
    conn.close()
    result = AuditLog(path, key=KEY).verify()
    assert not result.ok and result.first_bad_seq == seq + 1
    assert AuditLog(path, key=b"the-attackers-guess-of-the-key!!").verify().first_bad_seq == 1  # wrong key: nothing verifies


def test_truncation_is_caught_against_an_anchor(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    log = filled(path)
    anchor = log.head()
    log.close()
    tamper(path, "DELETE FROM audit WHERE seq >= 5")
    log = AuditLog(path, key=KEY)
    assert log.verify().ok  # a shorter chain is internally valid ...
    result = log.verify(anchor=anchor)
    assert not result.ok and "cut off" in result.reason  # ... but it no longer reaches the anchor
    assert not log.verify(expected_head=anchor).ok  # the former keyword still works


def test_an_anchor_catches_a_chain_rewritten_with_the_key(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    log = filled(path)
    anchor = log.head()
    log.close()
    rehash_from(path, 2, key=KEY)  # an insider with the key rewrites history consistently
    log = AuditLog(path, key=KEY)
    assert log.verify().ok  # the key alone cannot tell ...
    result = log.verify(anchor=anchor)
    assert not result.ok and result.first_bad_seq == 6 and "rewritten" in result.reason  # ... the anchor can


def test_a_correct_log_verifies_against_its_anchor_and_keeps_growing(tmp_path: Path) -> None:
    log = filled(tmp_path / "a.sqlite")
    anchor = log.head()
    log.append("doc.read", actor="user9@halyard.example", tenant="halyard", resource="kb-0009")
    assert log.verify(anchor=anchor).ok and log.verify(anchor=log.head()).ok and log.verify(anchor=(0, GENESIS)).ok


def test_a_raw_key_is_used_byte_for_byte(tmp_path: Path) -> None:
    """A random key may begin or end with a whitespace byte; the digests must be keyed with all of it
    (stripping it made 1 in 20 random keys unusable by anyone recomputing a digest with the same key)."""
    key = b"\n" + bytes(range(40, 70)) + b" "
    log = AuditLog(tmp_path / "a.sqlite", key=key)
    entry = log.append("doc.read", actor="svc:reader", tenant="t", resource="kb-1")
    assert entry.hash == entry_digest(key, GENESIS, seq=1, ts=entry.ts, actor=entry.actor, tenant="t",
                                      action="doc.read", resource="kb-1", details="{}")
    assert not AuditLog(tmp_path / "a.sqlite", key=key.strip()).verify().ok


def test_the_key_comes_from_a_file_the_environment_or_the_key_store(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY.decode() + "\n")
    path = tmp_path / "a.sqlite"
    AuditLog(path, key_file=key_file).append("doc.read", actor="a", tenant="t")
    assert AuditLog(path, key=KEY).verify().ok  # the trailing newline of the file is not part of the key
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert AuditLog(path).verify().ok
    monkeypatch.setenv(KEY_ENV, "another-key-entirely-0123456789")
    assert not AuditLog(path).verify().ok
    monkeypatch.delenv(KEY_ENV)
    other = tmp_path / "b.sqlite"
    AuditLog(other).append("doc.read", actor="a", tenant="t")  # no key given: a random one in the key store
    assert AuditLog(other).verify().ok
    stored = sqlite3.connect(tmp_path / "b.sqlite.keys").execute("SELECT key FROM audit_chain_key").fetchone()[0]
    assert len(stored) == 32 and stored not in (tmp_path / "b.sqlite").read_bytes()  # kept apart from the log
    assert not AuditLog(other, key=KEY).verify().ok
    with pytest.raises(ValueError, match="at least 16"):
        AuditLog(key="short")
    with pytest.raises(ValueError, match="cannot read the audit key file"):
        AuditLog(key_file=tmp_path / "missing.key")


def test_details_are_redacted_and_actors_pseudonymous(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite", key=KEY)
    e = log.append("egress.denied", actor="ana@halyard.example", tenant="halyard", resource="chat",
                   details={"prompt": "refund to ana@halyard.example", "card": "4111 1111 1111 1111"})
    raw = (tmp_path / "a.sqlite").read_bytes()
    assert b"ana@halyard.example" not in raw and b"4111 1111" not in raw  # the log holds no PII
    assert b"ana@halyard.example" in (tmp_path / "a.sqlite.keys").read_bytes()  # the key store does, until forget
    assert e.actor.startswith("u_") and e.details == {"prompt": "refund to [EMAIL]", "card": "[CARD]"}
    svc = log.append("retention.purge", actor="svc:retention", tenant="halyard")
    assert svc.actor == "svc:retention"


def test_resources_keep_no_raw_identifiers_of_people(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite", key=KEY)
    owned = log.append("doc.ingest", actor="tove", tenant="halyard", resource="halyard-u-001", subject="tove")
    mailbox = log.append("mailbox.read", actor="svc:mail", tenant="halyard",
                         resource="mailbox:tove.larsen@halyard.example,phone:+49 40 5550 1312")
    plain = log.append("doc.read", actor="tove", tenant="halyard", resource="kb-0154")
    raw = (tmp_path / "a.sqlite").read_bytes()
    for identifier in (b"halyard-u-001", b"tove.larsen@halyard.example", b"5550 1312"):
        assert identifier not in raw
    assert owned.resource == log.resource_pseudonym("halyard-u-001", "tove") and owned.resource.startswith("r_")
    assert mailbox.resource.startswith("mailbox:u_") and ",phone:u_" in mailbox.resource
    assert plain.resource == "kb-0154"  # a shared document is not personal data
    assert log.forget("tove")  # after erasure the pseudonym can no longer be recomputed
    assert log.resource_pseudonym("halyard-u-001", "tove") != owned.resource and log.verify().ok


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
    with pytest.raises(ValueError, match="subject"):
        log.append("x", actor="a", tenant="t", resource="doc", subject="")
    with pytest.raises(ValueError, match="action"):
        log.append("", actor="a", tenant="t")
    with pytest.raises(TypeError, match="JSON"):
        log.append("x", actor="a", tenant="t", details={"obj": object()})
    with pytest.raises(TypeError, match="clock"):
        AuditLog(clock=123)  # type: ignore[arg-type]
