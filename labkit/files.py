"""Reading and writing a user's files without ever damaging them.

* :func:`jsonl_lines` / :func:`validate_jsonl` / :func:`read_jsonl` — the one JSONL reader every command
  uses. It streams (memory is bounded by the longest line, not the file), checks each line, and reports
  every bad line as ``FILE, line N: ...`` (undecodable bytes included) in one :class:`JsonlError`.
* :func:`atomic_output` — write a command's output to a temporary file beside the target and rename it
  over the target only on success, so a failing run never truncates or changes an existing file.
* :func:`connect_readonly` — open an existing SQLite file read-only (``mode=ro``), refusing a missing
  path, a folder or a file that is not SQLite with one line, so a typo creates nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

# A line check: given (line number, parsed object), the problem (a short phrase) or None when it is good.
LineCheck = Callable[[int, dict[str, Any]], str | None]

SQLITE_HEADER = b"SQLite format 3\x00"


class JsonlError(ValueError):
    """One or more lines of a JSONL file are bad; ``problems`` lists every one as ``FILE, line N: ...``.

    Its message is one line: the first ten problems and how many more there are.
    """

    SHOWN = 10

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f"; and {len(problems) - self.SHOWN} more bad line(s)" if len(problems) > self.SHOWN else ""
        super().__init__("; ".join(problems[: self.SHOWN]) + more)


def input_file(path: str | Path, what: str) -> Path:
    """``path`` as an existing regular file, or one clear error.

    Args:
        path: the path the user gave.
        what: what the file should be, for the message, e.g. ``"a JSONL file of {id, text} lines"``.

    Raises:
        FileNotFoundError: nothing is there.
        ValueError: it is a folder or not a regular file.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p} does not exist; give {what}")
    if p.is_dir():
        raise ValueError(f"{p} is a folder; give {what}")
    if not p.is_file():
        raise ValueError(f"{p} is not a regular file; give {what}")
    return p


def unique_ids(check: LineCheck | None = None, key: str = "id") -> LineCheck:
    """A line check: ``check`` (if given), then refuse an id an earlier line already used.

    Args:
        check: the per-line field check; it must ensure ``key`` is present.
        key: the id field.

    Returns:
        A check for :func:`validate_jsonl` / :func:`read_jsonl` (it remembers the ids it has seen).
    """
    seen: dict[str, int] = {}

    def checked(lineno: int, row: dict[str, Any]) -> str | None:
        problem = check(lineno, row) if check is not None else None
        if problem is None:
            rid = str(row[key])
            if rid in seen:
                return f"id {row[key]!r} repeats line {seen[rid]} (duplicate id; ids must be unique)"
            seen[rid] = lineno
        return problem

    return checked


def jsonl_lines(path: str | Path, shape: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Stream ``(line number, object or None, problem or None)`` for every non-blank line.

    Args:
        path: the JSONL file.
        shape: what a line should look like, for messages, e.g. ``'{"id": "1", "text": "..."}'``.
    """
    p = input_file(path, f"a JSONL file with one {shape} per line")
    with p.open("rb") as f:  # bytes, so a bad byte is reported with its line instead of ending the read
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, None, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8"
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                yield lineno, None, f"not valid JSON ({exc}); each line must be an object like {shape}"
                continue
            if isinstance(row, dict):
                yield lineno, row, None
            else:
                yield lineno, None, f"expected a JSON object like {shape}, got {type(row).__name__}"


def _checked(path: str | Path, shape: str, check: LineCheck | None,
             ) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    for lineno, row, problem in jsonl_lines(path, shape):
        if row is not None and check is not None:
            problem = check(lineno, row)
        yield lineno, (row if problem is None else None), problem


def validate_jsonl(path: str | Path, shape: str, check: LineCheck | None = None) -> int:
    """Check every line of a JSONL file without keeping the rows (a first, streaming pass).

    Args:
        path: the file.
        shape: what a line should look like, for messages.
        check: a per-object check returning a problem phrase or None.

    Returns:
        How many good lines there are.

    Raises:
        FileNotFoundError / ValueError: the path is not a file.
        JsonlError: every bad line, each as ``FILE, line N: ...``.
    """
    problems: list[str] = []
    good = 0
    for lineno, _, problem in _checked(path, shape, check):
        if problem is None:
            good += 1
        else:
            problems.append(f"{path}, line {lineno}: {problem}")
    if problems:
        raise JsonlError(problems)
    return good


def read_jsonl(path: str | Path, shape: str, check: LineCheck | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Validate the whole file now (:func:`validate_jsonl`), then stream ``(line number, object)`` pairs.

    The check runs before this returns, so a bad file fails before any model loads or output is
    written, and a caller never acts on half a file.
    """
    validate_jsonl(path, shape, check)
    return validated_lines(path, shape)


def validated_lines(path: str | Path, shape: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream ``(line number, object)`` from a file :func:`validate_jsonl` has passed (the second pass).

    The check is not run again: a check may keep state (ids seen so far).
    """
    for lineno, row, problem in jsonl_lines(path, shape):
        if row is None:  # the file changed between the passes
            raise JsonlError([f"{path}, line {lineno}: {problem}"])
        yield lineno, row


@contextlib.contextmanager
def atomic_output(target: str | Path) -> Iterator[TextIO]:
    """A text file to write that replaces ``target`` only when the block finishes without an error.

    Args:
        target: the output path; its folder must exist.

    Raises:
        ValueError: ``target`` is a folder, or its folder does not exist.
    """
    path = Path(target)
    if path.is_dir():
        raise ValueError(f"--out {path} is a folder; give a file path")
    if not path.parent.is_dir():
        raise ValueError(f"--out {path}: the folder {path.parent} does not exist; create it or give another path")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_sqlite(path: str | Path, what: str = "SQLite store") -> None:
    """Refuse a path that exists but cannot be a SQLite store (a folder, a non-empty non-SQLite file).

    A missing path or an empty file passes: a store may create it.

    Raises:
        ValueError: the path is a folder or a file that is not SQLite; the message names the fix.
    """
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{p} is a folder; give the {what}'s SQLite file")
    if p.is_file() and p.stat().st_size > 0:
        with p.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
        if header != SQLITE_HEADER:
            raise ValueError(f"{p} is not a SQLite file, so it is not a {what}; give the file labkit wrote, or a new path")


def connect_readonly(path: str | Path, what: str = "SQLite store") -> sqlite3.Connection:
    """Open an existing SQLite file read-only; nothing is created or changed.

    Args:
        path: the file.
        what: what it should be, for messages (``"span store"``, ``"eval run store"``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a folder, or a file that is not SQLite.
    """
    p = input_file(path, f"the {what}'s SQLite file")
    check_sqlite(p, what)
    if p.stat().st_size == 0:
        raise ValueError(f"{p} is empty, so not a {what}; give the file labkit wrote")
    return sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
