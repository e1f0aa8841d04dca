"""Presidio (patterns only) beside labkit.enterprise.pii: mapping, offline use, and labkit's rules inside Presidio."""

from __future__ import annotations

import socket

import pytest

from labkit import data
from labkit.enterprise import pii
from labkit.enterprise import presidio_side as ps

pytest.importorskip("presidio_analyzer")

MESSAGE = ("Mail joe@example.com or call (415) 555-0132; card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, "
           "from 10.0.0.1. Thanks, Mr John Smith. api_key=Zq8rT2vLm9XwP4kN7bYc")


@pytest.fixture(scope="module")
def presidio_engine():
    return ps.presidio_analyzer_engine()


def test_presidio_maps_its_entities_onto_labkit_types(presidio_engine) -> None:
    found = {(e.type, e.text) for e in ps.presidio_detector(presidio_engine)(MESSAGE)}
    assert ("email", "joe@example.com") in found
    assert ("card", "4111 1111 1111 1111") in found
    assert ("iban", "GB82 WEST 1234 5698 7654 32") in found
    assert ("ip_address", "10.0.0.1") in found
    # patterns only: no NER model, so no person; and Presidio has no recognizer for secrets
    assert not {t for t, _ in found} & {"person", "secret", "address"}


def test_presidio_engine_fetches_nothing(presidio_engine, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("network access during analysis")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fresh = ps.presidio_analyzer_engine()
    assert ("email", "ann@beispiel.de") in {(e.type, e.text) for e in ps.presidio_detector(fresh)("to ann@beispiel.de")}


def test_labkit_inside_presidio_gives_labkit_spans() -> None:
    engine = ps.labkit_analyzer_engine()
    inside = ps.labkit_in_presidio_detector(engine)(MESSAGE)
    assert [(e.type, e.start, e.end) for e in inside] == [(e.type, e.start, e.end) for e in pii.detect(MESSAGE)]
    assert {e.type for e in inside} >= {"secret", "person", "email"}


@pytest.mark.slow
def test_side_by_side_on_the_test_split() -> None:
    rows = data.records("pii_labelled", "test")
    side = ps.compare(rows)
    labkit, inside = side.scores["labkit"], side.scores["labkit in presidio"]
    assert labkit.per_type == inside.per_type and labkit.overall == inside.overall
    assert side.recall("presidio", "person") == 0.0 and side.recall("presidio", "secret") == 0.0
    for row in side.rows:
        assert row["recall_low"] <= row["recall"] <= row["recall_high"]
        if row["precision"] is not None:
            assert row["precision_low"] <= row["precision"] <= row["precision_high"]


def test_scored_table_leaves_precision_blank_without_predictions() -> None:
    scores = pii.evaluate([{"text": "a@b.co", "entities": [{"type": "email", "start": 0, "end": 6}]}],
                          detector=lambda text: [])
    (email, overall) = ps.scored_table(scores, "none")
    assert email["recall"] == 0.0 and email["precision"] is None and email["predicted"] == 0
    assert overall["type"] == "all"


def test_compare_names_an_unknown_detector() -> None:
    with pytest.raises(ValueError, match="choose from"):
        ps.compare([{"text": "x", "entities": []}], detectors=["spacy"])
