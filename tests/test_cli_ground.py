"""``labkit ground``: JSONL in, one JSON result per line out, malformed lines named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labkit import cli
from labkit.cli.ground import read_requests

CTX = "[1] The Team plan costs $19 per user per month.\n\n[2] Files up to 100 MB."


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**row: object) -> str:
    return json.dumps(row)


def test_ground_scores_every_line_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, [
        _line(id="good", context=CTX, question="How much is Team?", answer="Team costs $19 per user per month [1]."),
        _line(id=2, context=["Team costs $19."], question="How much?", answer="Team costs $24."),
    ])
    assert cli.main(["ground", str(path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["good", 2]
    assert set(out[0]) == {"id", "score", "supported", "unsupported_claims"}
    assert out[0]["supported"] and not out[1]["supported"]
    assert out[1]["unsupported_claims"] == ["Team costs $24."]


def test_ground_writes_to_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, [_line(id="a", context=CTX, question="q", answer="Files up to 100 MB [2].")])
    out = tmp_path / "out.jsonl"
    assert cli.main(["ground", str(path), "--out", str(out), "--threshold", "0.9"]) == 0
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["id"] == "a" and 0 <= row["score"] <= 1


@pytest.mark.parametrize(("line", "message"), [
    ("not json", "line 2: not valid JSON"),
    ('["a list"]', "line 2: expected a JSON object"),
    ('{"id": "x", "context": "c"}', "line 2: missing field(s) ['question', 'answer']"),
    ('{"id": "x", "context": 3, "question": "q", "answer": "a"}', "line 2: 'context' must be a string or a list"),
    ('{"id": "x", "context": "c", "question": "q", "answer": "  "}', "line 2: 'answer' is empty"),
    ('{"id": "ok", "context": "c", "question": "q", "answer": "a"}', "line 2: id 'ok' repeats line 1"),
])
def test_malformed_lines_are_errors_naming_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    line: str, message: str) -> None:
    path = _write(tmp_path, [_line(id="ok", context="c", question="q", answer="a"), line])
    assert cli.main(["ground", str(path)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == "", "nothing is scored when any line is malformed"


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_requests(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no lines"):
        read_requests(empty)
