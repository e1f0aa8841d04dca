"""``labkit guard FILE.jsonl``: run the input (or output) guard layer over a file of prompts;
``labkit guard --passages FILE.jsonl``: scan retrieved passages or tool outputs for indirect injection.

Each input line is a JSON object ``{"id": ..., "text": "..."}``. Each output line is one verdict:
``{"id", "allowed", "action", "guard", "reason", "score", "ms"}`` (plus ``verdicts``, every guard's
own verdict, with ``--detail``). Every line is checked (streaming) before any is run: malformed lines stop
the command with one error naming each bad line, no line is ever skipped silently, and ``--out`` is
replaced only when the whole run succeeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from labkit.cli.common import Subparsers
from labkit.files import atomic_output, read_jsonl, unique_ids

SHAPE = '{"id": ..., "text": "..."}'


def _check_request(lineno: int, obj: dict[str, Any]) -> str | None:
    """The problem with a guard input line: it needs an ``id`` (string or integer) and a string ``text``."""
    missing = [k for k in ("id", "text") if k not in obj]
    if missing:
        return f"missing {', '.join(repr(m) for m in missing)}"
    if not isinstance(obj["text"], str):
        return f"'text' must be a string, got {type(obj['text']).__name__}"
    if not isinstance(obj["id"], (str, int)) or isinstance(obj["id"], bool):
        return f"'id' must be a string or an integer, got {type(obj['id']).__name__}"
    return None


def iter_requests(path: Path) -> Iterator[dict[str, Any]]:
    """Validate every line of a guard input file, then stream the requests (memory: one line at a time).

    Args:
        path: a JSONL file of ``{"id", "text"}`` objects (blank lines are allowed and ignored).

    Returns:
        The requests, in file order, each with its ``line`` number added.

    Raises:
        FileNotFoundError: the file does not exist.
        labkit.files.JsonlError: one or more lines are malformed; the message names each bad line and why.
    """
    rows = read_jsonl(path, SHAPE, unique_ids(_check_request))  # raises here, before anything runs
    return ({"id": obj["id"], "text": obj["text"], "line": lineno} for lineno, obj in rows)


def read_requests(path: Path) -> list[dict[str, Any]]:
    """Every request of a guard input file as a list (see :func:`iter_requests`)."""
    return list(iter_requests(path))


def run_file(path: Path | Iterable[dict[str, Any]], out: TextIO, layer: str = "input", detail: bool = False,
             similarity: bool = True) -> dict[str, int]:
    """Guard every request and write one JSON verdict per line to ``out``.

    Args:
        path: the input JSONL file, or requests from :func:`iter_requests`.
        out: where to write the verdict lines.
        layer: "input" (prompts), "output" (answers: personal data and toxicity) or "passages" (retrieved
            passages and tool outputs: the indirect-injection scan; a block means leave it out of the prompt).
        detail: add every guard's verdict under ``verdicts``.
        similarity: include the embedding-similarity guard in the input layer.

    Returns:
        Counts: lines, allowed, blocked.
    """
    from labkit import guardrails

    if layer not in ("input", "output", "passages"):
        raise ValueError(f"layer must be 'input', 'output' or 'passages', got {layer!r}")
    requests = iter_requests(path) if isinstance(path, Path) else path
    if layer == "passages":
        from labkit.guardrails.indirect import passage_pipeline

        pipeline = passage_pipeline()
    else:
        pipeline = guardrails.input_pipeline(similarity=similarity) if layer == "input" else guardrails.output_pipeline()
    pipeline.warm_up()
    counts = {"lines": 0, "allowed": 0, "blocked": 0}
    for req in requests:
        result = pipeline.run(req["text"])
        row: dict[str, Any] = {"id": req["id"], **result.to_dict()}
        if detail:
            row["verdicts"] = [v.to_dict() for v in result.verdicts]
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        counts["lines"] += 1
        counts["allowed" if result.allowed else "blocked"] += 1
    return counts


def _guard(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.passages is None):
        raise ValueError("give either FILE (prompts) or --passages FILE (retrieved passages), not both and not neither")
    layer = "passages" if args.passages else args.layer
    requests = iter_requests(Path(args.passages or args.file))  # all lines checked before any output is written
    if args.out:
        with atomic_output(args.out) as f:  # an existing file is replaced only when every line is done
            counts = run_file(requests, f, layer, args.detail, not args.no_similarity)
    else:
        counts = run_file(requests, sys.stdout, layer, args.detail, not args.no_similarity)
    print(f"labkit guard: {counts['lines']} lines, {counts['allowed']} allowed, {counts['blocked']} blocked",
          file=sys.stderr)
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit guard`` to the ``labkit`` command."""
    p = sub.add_parser("guard", help="run the guardrail layer over a JSONL file of {id, text}; one verdict per line")
    p.add_argument("file", nargs="?", default=None, help='JSONL input, one {"id": ..., "text": "..."} per line')
    p.add_argument("--passages", default=None, metavar="FILE",
                   help="scan retrieved passages or tool outputs (JSONL of {id, text}) for indirect injection "
                        "instead of prompts; a block means: leave that passage out of the prompt")
    p.add_argument("--out", default=None, help="write verdicts here instead of standard output")
    p.add_argument("--layer", choices=("input", "output"), default="input",
                   help="input: prompt guards (default); output: answer guards (personal data, toxicity)")
    p.add_argument("--detail", action="store_true", help="add every guard's own verdict to each line")
    p.add_argument("--no-similarity", action="store_true",
                   help="skip the embedding-similarity guard (no sentence-transformers import; faster start)")
    p.set_defaults(handler=_guard)
