"""labkit.enterprise.pii: each entity type, its checksum, hard negatives, overlaps and redaction."""

from __future__ import annotations

import pytest

from labkit.enterprise import pii
from labkit.enterprise.pii import Entity, detect, iban_valid, luhn_valid, redact

# Test keys are assembled at run time so that the repository never holds a secret-shaped literal.
OPENAI_KEY = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t"
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB_KEY = "ghp_" + "a1B2c3D4" * 4 + "e5F6"


def types_of(text: str) -> list[tuple[str, str]]:
    return [(e.type, e.text) for e in detect(text)]


def test_luhn_and_iban_checksums() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112") and not luhn_valid("") and not luhn_valid("12ab")
    assert iban_valid("GB82WEST12345698765432") and iban_valid("de89370400440532013000")
    assert not iban_valid("GB82WEST12345698765433")  # one digit changed: mod-97 fails
    assert not iban_valid("GB82WEST1234569876543")  # wrong length for GB
    assert not iban_valid("XX82WEST12345698765432")  # unknown country


@pytest.mark.parametrize("text, want", [
    ("write to ana.lopez+billing@acme-corp.co.uk today", "ana.lopez+billing@acme-corp.co.uk"),
    ("Card 4111 1111 1111 1111 was declined", "4111 1111 1111 1111"),
    ("amex 3782-822463-10005", "3782-822463-10005"),
    ("IBAN GB82 WEST 1234 5698 7654 32 please", "GB82 WEST 1234 5698 7654 32"),
    ("pay DE89370400440532013000.", "DE89370400440532013000"),
    ("SSN 123-45-6789 on file", "123-45-6789"),
    ("my social security number is 123456789", "123456789"),
    ("NI number AB 12 34 56 C", "AB 12 34 56 C"),
    ("call (415) 555-0132 after 5", "(415) 555-0132"),
    ("or +44 20 7946 0958 in London", "+44 20 7946 0958"),
    ("landline 020 7946 0958", "020 7946 0958"),
    ("mobile: 07700900123", "07700900123"),
])
def test_detects_each_type(text: str, want: str) -> None:
    found = detect(text)
    assert [e.text for e in found] == [want], found
    e = found[0]
    assert text[e.start:e.end] == e.text


def test_secret_shapes_and_assigned_values() -> None:
    for key in (OPENAI_KEY, AWS_KEY, GITHUB_KEY):
        assert types_of(f"here is {key} oops") == [("secret", key)]
    assert types_of("api_key=Zx8kP2mQ9vL4tR7wY1nB") == [("secret", "Zx8kP2mQ9vL4tR7wY1nB")]
    assert types_of('"client_secret": "q8Z2vN5xK1pL7mR4tW9y"') == [("secret", "q8Z2vN5xK1pL7mR4tW9y")]
    assert types_of("password: hunter22") == [("secret", "hunter22")]
    assert types_of("Authorization: Bearer abcDEF1234567890ghijKLMNopq") == [("secret", "abcDEF1234567890ghijKLMNopq")]


@pytest.mark.parametrize("text", [
    "Order #4111111111111112 shipped",  # fails Luhn
    "tracking 1234-5678-9012-3456",  # fails Luhn
    "invoice 9999 9999 9999 9995",  # passes Luhn, no issuer starts with 9
    "released v2.14.3 on 2024-03-15 at 14:22",
    "request id 123e4567-e89b-12d3-a456-426614174000",
    "ORD-2024-558812 and ticket #48213",
    "SSN-looking 000-12-3456 and 666-12-3456 are never issued",
    "token=expired, secret: none, api_key=your-api-key-here",
    "IBAN GB82 WEST 1234 5698 7654 33 has a bad check digit",
    "the DQ123456C prefix is never issued",  # D cannot come first (QQ, the specimen, is caught on purpose)
    "price $1,299.00 for 2,500 seats",
])
def test_hard_negatives(text: str) -> None:
    assert detect(text) == [], detect(text)


def test_overlaps_resolved_by_priority() -> None:
    # The digits inside an IBAN must not also come out as a card or phone.
    found = detect("GB82 WEST 1234 5698 7654 32")
    assert [e.type for e in found] == ["iban"]
    # A key that contains digit runs stays one secret.
    found = detect(f"{OPENAI_KEY}")
    assert [e.type for e in found] == ["secret"]


def test_redact_placeholders_and_offsets() -> None:
    text = "Mail ana@example.com or bo@example.org, card 4111111111111111."
    r = redact(text)
    assert r.redacted == "Mail [EMAIL] or [EMAIL], card [CARD]."
    assert r.counts() == {"email": 2, "card": 1}
    assert all(text[e.start:e.end] == e.text for e in r.entities)
    numbered = redact(text, placeholder="<{type}_{n}>").redacted
    assert numbered == "Mail <email_1> or <email_2>, card <card_1>."
    only_cards = redact(text, types=["card"])
    assert only_cards.redacted == "Mail ana@example.com or bo@example.org, card [CARD]."
    assert redact("").redacted == "" and redact("nothing here").entities == []


def test_redacted_text_has_no_detectable_pii_left() -> None:
    text = f"ana@example.com, +1 415-555-0132, 4111 1111 1111 1111, {AWS_KEY}, 123-45-6789"
    once = redact(text).redacted
    assert detect(once) == []


def test_argument_validation() -> None:
    with pytest.raises(TypeError, match="decode bytes"):
        detect(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown entity type"):
        detect("x", types=["passport"])
    with pytest.raises(TypeError, match="list of entity types"):
        detect("x", types="email")
    with pytest.raises(ValueError, match="placeholder"):
        redact("ana@example.com", placeholder="[{kind}]")


def test_entity_is_a_plain_dataclass() -> None:
    e = detect("ana@example.com")[0]
    assert isinstance(e, Entity) and (e.type, e.start, e.end) == ("email", 0, 15)
    assert set(pii.TYPES) == {"email", "phone", "card", "iban", "national_id", "secret", "ip_address", "address", "person"}


# ---------------------------------------------------------------- evaluate() and the labelled set

def test_evaluate_counts_matches_misses_and_spurious_spans() -> None:
    rows = [
        {"id": "a", "text": "mail ana@example.com now", "entities": [{"type": "email", "start": 5, "end": 20}]},
        {"id": "b", "text": "card 4111 1111 1111 1111", "entities": []},  # a prediction nobody labelled
        {"id": "c", "text": "call ext. 12", "entities": [{"type": "phone", "start": 10, "end": 12}]},  # a miss
    ]
    s = pii.evaluate(rows)
    assert (s.per_type["email"].tp, s.per_type["card"].fp, s.per_type["phone"].fn) == (1, 1, 1)
    assert s.overall.precision == pytest.approx(0.5) and s.overall.recall == pytest.approx(0.5)
    assert s.covered == pytest.approx(0.5)
    assert {(e["kind"], e["type"]) for e in s.errors} == {("spurious", "card"), ("missed", "phone")}
    assert s.table()[-1]["type"] == "all"
    # A span of the wrong type is not a match, but it still redacts the characters.
    wrong_type = [{"text": "4111 1111 1111 1111", "entities": [{"type": "phone", "start": 0, "end": 19}]}]
    s = pii.evaluate(wrong_type)
    assert s.overall.tp == 0 and s.covered == 1.0
    with pytest.raises(ValueError, match="text"):
        pii.evaluate([{"entities": []}])
    with pytest.raises(ValueError, match="min_iou"):
        pii.evaluate(rows, min_iou=0)


def test_labelled_set_is_well_formed_and_reproducible() -> None:
    import importlib.util

    from labkit import data

    sheet = data.datasheet("pii_labelled")
    spec = importlib.util.spec_from_file_location("pii_build", sheet.path.parent / "build.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for split in ("dev", "test"):
        rows = data.records("pii_labelled", split)
        assert len(rows) == sheet.rows[split]
        assert rows == build.split_rows(split), f"{split}.jsonl is stale: run build.py"
        for row in rows:
            spans = sorted((e["start"], e["end"]) for e in row["entities"])
            assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), row["id"]
            for e in row["entities"]:
                value = row["text"][e["start"]:e["end"]]
                assert value == value.strip() and e["type"] in pii.TYPES
                if e["type"] == "card":
                    assert luhn_valid("".join(c for c in value if c.isascii() and c.isdigit())), value
                if e["type"] == "iban":
                    assert iban_valid(value.replace(" ", "").replace("-", "")), value
    dev_templates = (set(build.DEV_TEMPLATES) | set(build.DEV_FORM_TEMPLATES) | set(build.DEV_PLACE_TEMPLATES)
                     | set(build.DEV_PEOPLE_TEMPLATES))
    assert not dev_templates & (set(build.TEST_TEMPLATES) | set(build.TEST_FORM_TEMPLATES)
                                | set(build.TEST_PLACE_TEMPLATES) | set(build.TEST_PEOPLE_TEMPLATES))
    assert not set(build.FIRST) & set(build.TEST_FIRST) and not set(build.LAST) & set(build.TEST_LAST)
    # every type the issue names has labelled examples in both splits
    for split in ("dev", "test"):
        types = {e["type"] for r in data.records("pii_labelled", split) for e in r["entities"]}
        assert {"ip_address", "address", "person", "phone"} <= types


def test_detector_keeps_its_quality_on_the_dev_split() -> None:
    from labkit import data

    s = pii.evaluate(data.records("pii_labelled", "dev"))
    assert s.overall.recall >= 0.95 and s.overall.precision >= 0.9, s.table()
    for etype in ("ip_address", "address", "person", "phone"):
        t = s.per_type[etype]
        assert t.recall >= 0.95 and t.precision >= 0.9, (etype, s.table())


def test_dev_person_recall_depends_on_the_gazetteer() -> None:
    """Falsification: without the Census lists the uncued names in dev are missed, so the score above
    measures the gazetteer and would fail if it stopped finding names."""
    import functools

    from labkit import data

    rows = data.records("pii_labelled", "dev")
    with_lists = pii.evaluate(rows).per_type["person"]
    rules_only = pii.evaluate(rows, detector=functools.partial(pii.detect, names="rules")).per_type["person"]
    assert with_lists.recall >= 0.95 > rules_only.recall
    assert rules_only.recall < with_lists.recall - 0.2


def test_detected_values_never_survive_redaction_on_the_labelled_set() -> None:
    from labkit import data

    for split in ("dev", "test"):
        for row in data.records("pii_labelled", split):
            result = redact(row["text"])
            assert not [e.text for e in result.entities if e.text in result.redacted], row["id"]


@pytest.mark.parametrize("exercise_id, wrong", [
    ("nb04.luhn", lambda digits: int(digits) % 10 == 0),
    ("nb04.may_send", lambda data_class, provider: provider == "local"),
])
def test_nb04_exercises_check_the_reference_and_reject_a_wrong_answer(exercise_id: str, wrong) -> None:
    from labkit.exercises import get

    ex = get(exercise_id)
    assert ex.check(ex.solution)
    with pytest.raises(AssertionError, match="Hint"):
        ex.check(wrong)


def test_random_text_never_breaks_offsets_or_overlaps() -> None:
    import random

    rng = random.Random(7)
    alphabet = "0123456789 -+.()@_:=abcdefXYZ/\n"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        found = detect(text)
        assert all(text[e.start:e.end] == e.text and e.start < e.end for e in found)
        assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))
        assert redact(text).redacted.count("[") >= len(found)


@pytest.mark.parametrize("text, kind, value", [
    ("my phone number is 4155550132", "phone", "4155550132"),
    ("cell number is: 4155550132, thanks", "phone", "4155550132"),
    ("write to ｊｏｅ＠ｅｘａｍｐｌｅ．ｃｏｍ today", "email", "ｊｏｅ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    ("Adresse: müller@beispiel.de.", "email", "müller@beispiel.de"),
    ("josé.garcía@bücher.example wrote", "email", "josé.garcía@bücher.example"),
    ("call +44 20\u200b7946\u200d0958 now", "phone", "+44 20\u200b7946\u200d0958"),
    ("call 415-555\u20600132", "phone", "415-555\u20600132"),
    ("card 4111\u200b1111\u200b1111\u200b1111.", "card", "4111\u200b1111\u200b1111\u200b1111"),
    ("card 4111.1111.1111.1111, exp 09/27", "card", "4111.1111.1111.1111"),
    ("amex 3782.822463.10005", "card", "3782.822463.10005"),
    ("IBAN DE89-3704-0044-0532-0130-00 please", "iban", "DE89-3704-0044-0532-0130-00"),
    ("NI QQ 12 34 56 C", "national_id", "QQ 12 34 56 C"),  # the module docstring's own example
    ("NI QQ123456C", "national_id", "QQ123456C"),
])
def test_harder_forms_are_found_and_fully_redacted(text: str, kind: str, value: str) -> None:
    found = detect(text)
    assert [(e.type, e.text) for e in found] == [(kind, value)]
    assert all(text[e.start:e.end] == e.text for e in found)
    redacted = redact(text).redacted
    assert value not in redacted and f"[{kind.upper()}]" in redacted
    digits = "".join(c for c in value if c.isdigit())
    assert not digits or digits not in "".join(c for c in redacted if c.isdigit())
    assert not any(c in redacted for c in "\u200b\u200d\u2060")  # no invisible remains of the value


@pytest.mark.parametrize("text", [
    "release 2025.58.29373 on 10.23.2023",  # dotted versions and dates are not cards
    "build 4111.1111.1111.1112",  # dotted, card-grouped, but the Luhn check fails
    "ref DE89-3704-0044-0532-0130-01",  # dashed IBAN with a wrong check digit
    "invoice 4155550132 is overdue",  # a bare ten-digit number with no phone word before it
    "x@y.co_uk and a_b@c_d.example",  # underscores after the @ are not a domain
])
def test_harder_forms_keep_their_look_alikes_out(text: str) -> None:
    assert detect(text) == []


def test_normalised_detection_reports_offsets_of_the_original_text() -> None:
    text = "ｍａｉｌ ａ＠ｂ．ｃｏ and 4111\u200b1111\u200b1111\u200b1111 and bob@example.com"
    found = detect(text)
    assert [e.type for e in found] == ["email", "card", "email"]
    assert all(text[e.start:e.end] == e.text for e in found)
    assert redact(text).redacted == "ｍａｉｌ [EMAIL] and [CARD] and [EMAIL]"


@pytest.mark.parametrize(("text", "value", "etype"), [
    ("server 10.0.0.12:8080 is down", "10.0.0.12", "ip_address"),
    ("blocked 2001:db8::8a2e:370:7334 today", "2001:db8::8a2e:370:7334", "ip_address"),
    ("I live at 221B Baker Street, London NW1 6XE.", "221B Baker Street, London NW1 6XE", "address"),
    ("Hauptstraße 5, 10115 Berlin", "Hauptstraße 5, 10115 Berlin", "address"),
    ("ship to 1600 Amphitheatre Parkway, Mountain View, CA 94043 please",
     "1600 Amphitheatre Parkway, Mountain View, CA 94043", "address"),
    ("Rue de Rivoli 10, 75001 Paris", "Rue de Rivoli 10, 75001 Paris", "address"),
    ("Ruf an: +49 (0)30 1234567", "+49 (0)30 1234567", "phone"),
    ("Tel. 030/1234567", "030/1234567", "phone"),
    ("mobil 0171 1234567", "0171 1234567", "phone"),
    ("Hello, my name is Ana Lopez.", "Ana Lopez", "person"),
    ("Anna Schmidt called about the invoice", "Anna Schmidt", "person"),  # no cue: the gazetteer
    ("Per Jean-Luc Moreau's request, nothing changes.", "Jean-Luc Moreau", "person"),
    ("I spoke with Dmitri Tanaka and O'Connor Smith.", "Dmitri Tanaka", "person"),
    ("Tokyo office: +81 3-1234-5678", "+81 3-1234-5678", "phone"),
    ("São Paulo desk +55 (21) 2345-6789.", "+55 (21) 2345-6789", "phone"),
    ("Moscow +7 (812) 123-45-67, ask for Olga", "+7 (812) 123-45-67", "phone"),
    ("from abroad dial 0049 30 1234567.", "0049 30 1234567", "phone"),
    ("or 00 33 1 23 45 67 89 in Paris", "00 33 1 23 45 67 89", "phone"),
    ("the Dubai line +971 4 123 4567 works", "+971 4 123 4567", "phone"),
])
def test_places_and_people_are_found_and_redacted(text: str, value: str, etype: str) -> None:
    found = [(e.type, e.text) for e in pii.detect(text)]
    assert (etype, value) in found
    assert value not in pii.redact(text).redacted


@pytest.mark.parametrize("text", ["we run version 1.2.3.4 now", "not 256.1.1.1 nor 01.2.3.4", "at 10:30:00 sharp",
                                  "we have 3 Team plan seats"])
def test_version_numbers_and_look_alikes_are_not_places(text: str) -> None:
    assert [e for e in pii.detect(text) if e.type in ("ip_address", "address")] == []


@pytest.mark.parametrize("text", ["Hello Support, the Team plan renews in March.", "our GDPR DPA is signed",
                                  "Yesterday the Google Maps key expired", "order 0012345678901 shipped",
                                  "the Microsoft Teams call at 00:15 on Monday"])
def test_capitalised_words_and_zero_runs_that_are_not_people_or_phones(text: str) -> None:
    assert [e for e in pii.detect(text) if e.type in ("person", "phone")] == []


def test_names_path_is_chosen_by_keyword_and_checked() -> None:
    text = "Anna Schmidt called"
    assert [e.subtype for e in pii.detect(text)] == ["gazetteer"]
    assert pii.detect(text, names="rules") == []
    assert redact(text, names="rules").redacted == text and redact(text).redacted == "[PERSON] called"
    with pytest.raises(ValueError, match="names must be one of"):
        pii.detect(text, names="spacy")


def test_census_lists_come_from_the_names_package() -> None:
    from labkit.enterprise import pii_person

    given, surnames = pii_person.census_names()
    assert len(given) > 5000 and len(surnames) > 88000
    assert {"mary", "james"} <= given and {"smith", "nguyen"} <= surnames
