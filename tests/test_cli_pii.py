"""``labkit pii FILE.jsonl``: output format, offsets, errors that name the line, the real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labkit import cli


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_redacts_each_line_with_offsets_into_the_original(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = [{"id": "a", "text": "mail ana@example.com or call (415) 555-0132"}, {"id": 7, "text": "nothing here"}]
    src = write(tmp_path / "in.jsonl", [json.dumps(r) for r in rows] + [""])
    assert cli.main(["pii", str(src)]) == 0
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    assert out[0]["redacted"] == "mail [EMAIL] or call [PHONE]"
    assert [e["type"] for e in out[0]["entities"]] == ["email", "phone"]
    first = out[0]["entities"][0]
    assert rows[0]["text"][first["start"]:first["end"]] == "ana@example.com"
    assert set(first) == {"type", "start", "end"}
    assert out[1] == {"id": 7, "redacted": "nothing here", "entities": []}
    assert "email=1" in captured.err


def test_out_file_and_type_filter(tmp_path: Path) -> None:
    src = write(tmp_path / "in.jsonl", [json.dumps({"id": "1", "text": "ana@example.com, 4111 1111 1111 1111"})])
    dst = tmp_path / "out.jsonl"
    assert cli.main(["pii", str(src), "--out", str(dst), "--types", "card"]) == 0
    assert json.loads(dst.read_text())["redacted"] == "ana@example.com, [CARD]"


@pytest.mark.parametrize("bad_line, words", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"text": "x"}', 'missing "id"'),
    ('{"id": 1, "text": 5}', '"text" must be a string'),
    ('{"id": 1}', '"text" must be a string (missing)'),
])
def test_malformed_lines_are_named(tmp_path: Path, capsys: pytest.CaptureFixture, bad_line: str, words: str) -> None:
    src = write(tmp_path / "in.jsonl", [json.dumps({"id": "ok", "text": "fine"}), bad_line])
    dst = tmp_path / "out.jsonl"
    assert cli.main(["pii", str(src), "--out", str(dst)]) == 2
    err = capsys.readouterr().err
    assert f"{src}, line 2:" in err and words in err
    assert not dst.exists() and not list(tmp_path.glob("*.tmp"))  # no half-written output


def test_missing_file_and_unknown_type(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["pii", str(tmp_path / "nope.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    src = write(tmp_path / "in.jsonl", [json.dumps({"id": "1", "text": "x"})])
    assert cli.main(["pii", str(src), "--types", "passport"]) == 2
    assert "unknown entity type" in capsys.readouterr().err


def test_the_installed_command_runs(tmp_path: Path) -> None:
    src = write(tmp_path / "in.jsonl", [json.dumps({"id": "1", "text": "IBAN DE89370400440532013000"})])
    done = subprocess.run([sys.executable, "-m", "labkit.cli", "pii", str(src)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["redacted"] == "IBAN [IBAN]"
