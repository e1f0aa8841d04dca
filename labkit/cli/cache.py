"""``labkit cache eval FILE.jsonl``: hit rate and false-hit rate of the semantic cache on labelled pairs."""

from __future__ import annotations

import argparse
import json

from labkit import cache, config
from labkit.cli.common import Subparsers


def _default_threshold() -> float:
    return config.env_float("LABKIT_CACHE_THRESHOLD", cache.DEFAULT_THRESHOLD, example="0.64")


def _eval(args: argparse.Namespace) -> int:
    threshold = args.threshold if args.threshold is not None else _default_threshold()
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"--threshold is a cosine similarity in [-1, 1], got {threshold}")
    pairs = cache.read_pairs(args.file)
    guard = None if args.no_guard else cache.NearMissGuard()
    # A fresh cache; each pair gets its own namespace, so each lookup sees only its pair's cached question.
    scored = cache.score_pairs(pairs, cache.SemanticCache(":memory:", threshold=threshold, guard=guard))
    result = scored.at(threshold, guarded=guard is not None)
    if args.jsonl:
        for r in result.results:
            print(json.dumps(r.to_dict()))
    hits = sum(1 for r in result.results if r.should_hit and r.hit)
    false_hits = sum(1 for r in result.results if not r.should_hit and r.hit)
    print(f"threshold {threshold:.2f}, guard {'on' if guard is not None else 'off'}, {len(pairs)} pairs")
    print(f"hit rate on should-hit pairs: {result.hit_rate:.1%} ({hits}/{result.n_should_hit})")
    print(f"false-hit rate on the others: {result.false_hit_rate:.1%} ({false_hits}/{result.n_should_miss})")
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit cache ...`` to the labkit command."""
    p = sub.add_parser("cache", help="evaluate the semantic cache")
    inner = p.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    e = inner.add_parser("eval", help="hit rate and false-hit rate on {id, cached, incoming, should_hit} pairs")
    e.add_argument("file", help="JSONL file, one {id, cached, incoming, should_hit} object per line")
    e.add_argument("--threshold", type=float, default=None,
                   help=f"cosine similarity threshold (default LABKIT_CACHE_THRESHOLD or {cache.DEFAULT_THRESHOLD})")
    e.add_argument("--no-guard", action="store_true", help="switch the near-miss guard off")
    e.add_argument("--jsonl", action="store_true", help="also print one JSON object per pair")
    e.set_defaults(handler=_eval)
