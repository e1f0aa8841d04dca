"""``labkit pii FILE.jsonl``: redact personal data and secrets from a JSONL file of ``{"id", "text"}`` lines.

Writes one ``{"id", "redacted", "entities": [{"type", "start", "end"}]}`` line per input line, to
stdout or ``--out``. Offsets point into the *original* text. A malformed line stops the run with
an error naming the file and line number (nothing is skipped silently).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from labkit.cli.common import Subparsers


class MalformedLine(ValueError):
    """A line of the input is not a JSON object with a string ``text`` and an ``id``."""


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from labkit import data

    try:
        for lineno, row in data.jsonl_objects(path, '{"id": "1", "text": "..."}'):
            if "id" not in row:
                raise MalformedLine(f"{path}, line {lineno}: missing \"id\"")
            if not isinstance(row.get("text"), str):
                got = "missing" if "text" not in row else type(row["text"]).__name__
                raise MalformedLine(f"{path}, line {lineno}: \"text\" must be a string ({got})")
            yield lineno, row
    except MalformedLine:
        raise
    except ValueError as exc:  # not JSON, or not an object
        raise MalformedLine(str(exc)) from None


def redact_file(path: str | Path, out: IO[str], types: list[str] | None = None) -> Counter[str]:
    """Redact every line of a JSONL file into ``out``.

    Args:
        path: input JSONL with ``{"id", "text"}`` per line (blank lines are allowed).
        out: where the output lines go.
        types: entity types to redact (all by default).

    Returns:
        Entities found per type.

    Raises:
        FileNotFoundError: no such file.
        MalformedLine: a line is not a valid record; the message names the line.
    """
    from labkit.enterprise import pii

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (expected a JSONL file of {{\"id\", \"text\"}} lines)")
    counts: Counter[str] = Counter()
    for _, row in _lines(path):
        result = pii.redact(row["text"], types=types)
        counts.update(e.type for e in result.entities)
        out.write(json.dumps({"id": row["id"], "redacted": result.redacted,
                              "entities": [{"type": e.type, "start": e.start, "end": e.end} for e in result.entities]},
                             ensure_ascii=False) + "\n")
    return counts


def _pii(args: argparse.Namespace) -> int:
    types = args.types.split(",") if args.types else None
    try:
        if args.out:
            tmp = Path(args.out).with_suffix(Path(args.out).suffix + ".tmp")
            with tmp.open("w", encoding="utf-8") as f:
                counts = redact_file(args.file, f, types)
            tmp.replace(args.out)  # no half-written output file on error
        else:
            counts = redact_file(args.file, sys.stdout, types)
    except MalformedLine as exc:
        if args.out:
            Path(args.out).with_suffix(Path(args.out).suffix + ".tmp").unlink(missing_ok=True)
        print(f"labkit pii: error: {exc}", file=sys.stderr)
        return 2
    summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
    print(f"labkit pii: entities redacted: {summary}", file=sys.stderr)
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit pii`` to the ``labkit`` command."""
    p = sub.add_parser("pii", help="redact emails, phones, cards, IBANs, national ids and secrets from a JSONL file")
    p.add_argument("file", help='JSONL input, one {"id", "text"} object per line')
    p.add_argument("--out", default=None, help="write here instead of stdout")
    p.add_argument("--types", default=None, help="comma-separated entity types (default: all), e.g. email,card")
    p.set_defaults(handler=_pii)
