"""``labkit ground FILE.jsonl``: score how well each answer is supported by its context.

Input lines: ``{"id", "context", "question", "answer"}`` (``context`` a string or a list of strings).
Output lines: ``{"id", "score", "supported", "unsupported_claims"}``, in input order. The whole file is
validated (streaming) before anything is scored: malformed lines stop the run with one error naming each
bad line, no line is skipped, and ``--out`` is replaced only when every line is scored.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from labkit.cli.common import Subparsers
from labkit.files import atomic_output, unique_ids, validate_jsonl, validated_lines

FIELDS = ("id", "context", "question", "answer")


SHAPE = '{"id", "context", "question", "answer"}'


def _check_row(lineno: int, row: dict[str, Any]) -> str | None:
    """The problem with a ground input line: every field present and well typed."""
    missing = [k for k in FIELDS if k not in row]
    if missing:
        return f"missing field(s) {missing}; each line needs {list(FIELDS)}"
    if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool):
        return "'id' must be a string or an integer"
    for key in ("question", "answer"):
        if not isinstance(row[key], str):
            return f"'{key}' must be a string, got {type(row[key]).__name__}"
    if not row["answer"].strip():
        return "'answer' is empty"
    ctx = row["context"]
    if not (isinstance(ctx, str) or isinstance(ctx, list) and all(isinstance(c, str) for c in ctx)):
        return "'context' must be a string or a list of strings"
    return None


def iter_requests(path: Path) -> Iterator[dict[str, Any]]:
    """Validate every line of the input file (streaming), then stream the rows.

    Args:
        path: a JSONL file of ``{"id", "context", "question", "answer"}`` objects.

    Returns:
        The rows, in order.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file has no lines; labkit.files.JsonlError: malformed lines, each named as
            ``FILE, line N: ...``.
    """
    if validate_jsonl(path, SHAPE, unique_ids(_check_row)) == 0:
        raise ValueError(f"{path} has no lines to score")
    return (row for _, row in validated_lines(path, SHAPE))


def read_requests(path: Path) -> list[dict[str, Any]]:
    """Every row of the input file as a list (see :func:`iter_requests`)."""
    return list(iter_requests(path))


def score_file(path: Path, out: TextIO, threshold: float = 0.5, use_llm: bool = False, *,
               token_support: bool = False) -> int:
    """Score every line of ``path`` and write one JSON result per line to ``out``.

    With ``token_support`` the score is the learned combination of the string checks and token support
    (:mod:`labkit.grounding.learned`), and each result also carries ``token_support``: the share of answer
    tokens the context made more likely under SmolLM2 (:mod:`labkit.grounding.lm_support`) and the
    least-supported tokens.

    Returns:
        How many lines were scored.
    """
    from labkit import grounding

    n = 0
    for row in iter_requests(path):
        r = grounding.support_score(row["context"], row["question"], row["answer"], threshold=threshold,
                                    use_llm=use_llm, token_support=token_support)
        result = {"id": row["id"], "score": round(r.score, 4), "supported": r.supported,
                  "unsupported_claims": r.unsupported_claims}
        if token_support:
            t = r.per_detector["token_support"]
            result["token_support"] = {"score": round(t.score, 4), "weakest_tokens": t.details["weakest_tokens"]}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        n += 1
    out.flush()
    return n


def _ground(args: argparse.Namespace) -> int:
    if not 0 <= args.threshold <= 1:
        raise ValueError(f"--threshold must be in [0, 1], got {args.threshold}")
    if args.out:
        with atomic_output(args.out) as f:  # an existing file is replaced only when every line is scored
            n = score_file(Path(args.file), f, args.threshold, args.llm, token_support=args.token_support)
        print(f"scored {n} answers -> {args.out}", file=sys.stderr)
    else:
        score_file(Path(args.file), sys.stdout, args.threshold, args.llm, token_support=args.token_support)
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit ground`` to the ``labkit`` command."""
    p = sub.add_parser("ground", help="score how well answers are supported by their context (JSONL in, JSONL out)")
    p.add_argument("file", help='JSONL with {"id", "context", "question", "answer"} per line')
    p.add_argument("--out", default=None, help="write results here instead of stdout")
    p.add_argument("--threshold", type=float, default=0.5, help="support needed for supported=true (default 0.5)")
    p.add_argument("--llm", action="store_true", help="also run the LLM judge (one model call per claim; slow)")
    p.add_argument("--token-support", action="store_true",
                   help="also score how much the context raises each answer token's likelihood (SmolLM2, local; "
                        "two forward passes per answer) and combine it with the string checks (learned weights)")
    p.set_defaults(handler=_ground)
