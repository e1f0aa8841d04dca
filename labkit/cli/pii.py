"""``labkit pii FILE.jsonl``: redact personal data and secrets from a JSONL file of ``{"id", "text"}`` lines.

Writes one ``{"id", "redacted", "entities": [{"type", "start", "end"}]}`` line per input line, to
stdout or ``--out``. Offsets point into the *original* text. Every line is checked (streaming) before
the first is written: malformed lines stop the run with one error naming each bad line as ``FILE, line
N``, nothing is printed or skipped, and ``--out`` is replaced only when the whole file is redacted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import IO, Any

from labkit.cli.common import Subparsers
from labkit.files import JsonlError, atomic_output, read_jsonl

SHAPE = '{"id": "1", "text": "..."}'
# A malformed input file (kept under its old name; every bad line is named as ``FILE, line N: ...``).
MalformedLine = JsonlError


def _check(lineno: int, row: dict[str, Any]) -> str | None:
    if "id" not in row:
        return 'missing "id"'
    if not isinstance(row.get("text"), str):
        got = "missing" if "text" not in row else type(row["text"]).__name__
        return f'"text" must be a string ({got})'
    return None


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

    counts: Counter[str] = Counter()
    for _, row in read_jsonl(path, SHAPE, _check):  # every line is checked before the first is written
        result = pii.redact(row["text"], types=types)
        counts.update(e.type for e in result.entities)
        out.write(json.dumps({"id": row["id"], "redacted": result.redacted,
                              "entities": [{"type": e.type, "start": e.start, "end": e.end} for e in result.entities]},
                             ensure_ascii=False) + "\n")
    return counts


def _pii(args: argparse.Namespace) -> int:
    types = args.types.split(",") if args.types else None
    if args.out:
        with atomic_output(args.out) as f:  # an existing file is replaced only when every line is done
            counts = redact_file(args.file, f, types)
    else:
        counts = redact_file(args.file, sys.stdout, types)
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
