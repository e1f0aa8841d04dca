"""``labkit ground FILE.jsonl``: score how well each answer is supported by its context.

Input lines: ``{"id", "context", "question", "answer"}`` (``context`` a string or a list of strings).
Output lines: ``{"id", "score", "supported", "unsupported_claims"}``, in input order. The whole file is
validated before anything is scored: a malformed line stops the run with an error naming the line, and
no line is skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from labkit.cli.common import Subparsers

FIELDS = ("id", "context", "question", "answer")


def read_requests(path: Path) -> list[dict[str, Any]]:
    """Read and validate the input file.

    Args:
        path: a JSONL file of ``{"id", "context", "question", "answer"}`` objects.

    Returns:
        The rows, in order.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed line; the message names the file, the line and the fix.
    """
    from labkit import data

    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for lineno, row in data.jsonl_objects(path, '{"id", "context", "question", "answer"}'):
        where = f"{path}, line {lineno}"
        missing = [k for k in FIELDS if k not in row]
        if missing:
            raise ValueError(f"{where}: missing field(s) {missing}; each line needs {list(FIELDS)}")
        if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool):
            raise ValueError(f"{where}: 'id' must be a string or an integer")
        for key in ("question", "answer"):
            if not isinstance(row[key], str):
                raise ValueError(f"{where}: '{key}' must be a string, got {type(row[key]).__name__}")
        if not row["answer"].strip():
            raise ValueError(f"{where}: 'answer' is empty")
        ctx = row["context"]
        if not (isinstance(ctx, str) or isinstance(ctx, list) and all(isinstance(c, str) for c in ctx)):
            raise ValueError(f"{where}: 'context' must be a string or a list of strings")
        key_id = str(row["id"])
        if key_id in seen:
            raise ValueError(f"{where}: id {key_id!r} repeats line {seen[key_id]}; ids must be unique")
        seen[key_id] = lineno
        rows.append(row)
    if not rows:
        raise ValueError(f"{path} has no lines to score")
    return rows


def score_file(path: Path, out: TextIO, threshold: float = 0.5, use_llm: bool = False) -> int:
    """Score every line of ``path`` and write one JSON result per line to ``out``.

    Returns:
        How many lines were scored.
    """
    from labkit import grounding

    rows = read_requests(path)
    for row in rows:
        r = grounding.support_score(row["context"], row["question"], row["answer"], threshold=threshold,
                                    use_llm=use_llm)
        out.write(json.dumps({"id": row["id"], "score": round(r.score, 4), "supported": r.supported,
                              "unsupported_claims": r.unsupported_claims}, ensure_ascii=False) + "\n")
    out.flush()
    return len(rows)


def _ground(args: argparse.Namespace) -> int:
    if not 0 <= args.threshold <= 1:
        raise ValueError(f"--threshold must be in [0, 1], got {args.threshold}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            n = score_file(Path(args.file), f, args.threshold, args.llm)
        print(f"scored {n} answers -> {args.out}", file=sys.stderr)
    else:
        score_file(Path(args.file), sys.stdout, args.threshold, args.llm)
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit ground`` to the ``labkit`` command."""
    p = sub.add_parser("ground", help="score how well answers are supported by their context (JSONL in, JSONL out)")
    p.add_argument("file", help='JSONL with {"id", "context", "question", "answer"} per line')
    p.add_argument("--out", default=None, help="write results here instead of stdout")
    p.add_argument("--threshold", type=float, default=0.5, help="support needed for supported=true (default 0.5)")
    p.add_argument("--llm", action="store_true", help="also run the LLM judge (one model call per claim; slow)")
    p.set_defaults(handler=_ground)
