"""Commands never damage a user's files: a bad input costs one line on stderr, a non-zero exit, no
traceback and no changed file; JSONL is read streaming; read-only commands create nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from labkit import cli
from labkit.files import JsonlError, atomic_output, read_jsonl, validate_jsonl

ROOT = Path(__file__).resolve().parent.parent
BAD_LAST_LINE = ['{"id": "1", "text": "Mail ana@example.com", "context": "c", "question": "q", "answer": "a"}',
                 '{"id": "2", "text": "ok", "context": "c", "question": "q", "answer": "a"}',
                 "this line is not json"]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "labkit.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["ground"], ["pii"], ["guard", "--layer", "output"]])
def test_a_failing_run_leaves_an_existing_output_file_unchanged(tmp_path: Path, command: list[str]) -> None:
    bad = _write(tmp_path / "bad.jsonl", BAD_LAST_LINE)
    out = tmp_path / "existing.jsonl"
    out.write_bytes(b'{"keep": "me"}\n')
    done = _run_cli(command[0], str(bad), "--out", str(out), *command[1:], cwd=tmp_path)
    line = _one_line_error(done)
    assert f"{bad}, line 3" in line
    assert out.read_bytes() == b'{"keep": "me"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "existing.jsonl"], "no temporary file left"


def test_a_successful_run_replaces_the_output_file(tmp_path: Path) -> None:
    good = _write(tmp_path / "in.jsonl", BAD_LAST_LINE[:2])
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    assert cli.main(["pii", str(good), "--out", str(out)]) == 0
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == ["1", "2"]


def test_pii_prints_nothing_before_failing_on_a_later_line(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", BAD_LAST_LINE)
    done = _run_cli("pii", str(bad), cwd=tmp_path)
    assert done.stdout == ""
    assert f"{bad}, line 3: not valid JSON" in _one_line_error(done)


def test_every_bad_line_is_named_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id": 1}\n\xff\xfe not utf-8\n[1, 2]\n{"id": 2}\nnot json\n')
    with pytest.raises(JsonlError) as err:
        validate_jsonl(path, '{"id": ...}')
    assert err.value.problems == [
        f"{path}, line 2: not UTF-8 text (invalid start byte at byte 0); save the file as UTF-8",
        f"{path}, line 3: expected a JSON object like {{\"id\": ...}}, got list",
        f"{path}, line 5: " + err.value.problems[2].split(": ", 1)[1],
    ]
    assert "\n" not in str(err.value)


def test_output_to_a_folder_or_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    good = _write(tmp_path / "in.jsonl", BAD_LAST_LINE[:2])
    for out in (tmp_path, tmp_path / "no" / "such" / "dir.jsonl"):
        done = _run_cli("pii", str(good), "--out", str(out), cwd=tmp_path)
        assert "--out" in _one_line_error(done)
    assert not (tmp_path / "no").exists()
    with pytest.raises(ValueError, match="is a folder"), atomic_output(tmp_path):
        pass


def test_a_folder_given_for_an_input_file_is_one_line(tmp_path: Path) -> None:
    for args in (["ground", str(tmp_path)], ["pii", str(tmp_path)], ["cache", "eval", str(tmp_path)],
                 ["capstone", "check", str(tmp_path)]):
        assert "is a folder" in _one_line_error(_run_cli(*args, cwd=tmp_path)), args


@pytest.mark.parametrize("args", [["eval", "compare", "a", "b", "--db"], ["eval", "list", "--db"],
                                  ["traces", "list", "--store"], ["traces", "stats", "--store"]])
def test_read_only_commands_leave_a_text_file_a_text_file(tmp_path: Path, args: list[str]) -> None:
    notes = tmp_path / "notes.jsonl"
    notes.write_bytes(b'{"a note": 1}\n')
    line = _one_line_error(_run_cli(*args, str(notes), cwd=tmp_path))
    assert "not a SQLite file" in line
    assert notes.read_bytes() == b'{"a note": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.jsonl"], "no -journal, -wal or new file"


def test_a_mistyped_store_path_creates_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "runz" / "runs.sqlite"
    for args in (["eval", "list", "--db", str(typo)], ["traces", "list", "--store", str(typo)]):
        _one_line_error(_run_cli(*args, cwd=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_read_only_store_reads_without_writing(tmp_path: Path) -> None:
    from labkit.evals import RunStore

    db = tmp_path / "runs.sqlite"
    RunStore(db)
    before = db.read_bytes()
    assert RunStore(db, read_only=True).runs() == []
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        RunStore(db, read_only=True)._connect().execute("CREATE TABLE x (y)")
    assert db.read_bytes() == before


def test_a_5_mb_line_is_read_in_bounded_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as f:
        for i in range(8):  # 40 MB of file, 5 MB per line
            f.write(json.dumps({"id": str(i), "text": "x" * 5_000_000}) + "\n")
    probe = ("import sys, tracemalloc; from labkit.files import read_jsonl; tracemalloc.start(); "
             "n = sum(len(r['text']) for _, r in read_jsonl(sys.argv[1], 'row')); "
             "print(n, tracemalloc.get_traced_memory()[1])")
    done = subprocess.run([sys.executable, "-c", probe, str(big)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    chars, peak = map(int, done.stdout.split())
    assert chars == 40_000_000
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MiB for a 40 MB file of 5 MB lines"


def test_read_jsonl_checks_the_whole_file_before_yielding(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.jsonl", ['{"id": 1}', '{"id": 1}'])
    seen: set[int] = set()

    def unique(lineno: int, row: dict) -> str | None:
        if row["id"] in seen:
            return "id repeats"
        seen.add(row["id"])
        return None

    with pytest.raises(JsonlError, match=r"x\.jsonl, line 2: id repeats"):
        read_jsonl(path, '{"id": ...}', unique)  # raises at the call: nothing was yielded


def test_importing_labkit_data_does_not_load_openai() -> None:
    done = subprocess.run([sys.executable, "-c", "import labkit.data, sys; assert 'openai' not in sys.modules"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
