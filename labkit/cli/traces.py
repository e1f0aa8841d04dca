"""``labkit traces list|show|stats``: read the local span store from a terminal."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from labkit.cli.common import Subparsers, count

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str | None, now_ns: int | None = None) -> int | None:
    """``"30m"``, ``"2h"``, ``"7d"`` -> the start of that window in ns since the epoch (None for None).

    Args:
        text: a number followed by s, m, h, d or w.
        now_ns: the window's end (default: now).
    """
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if not m:
        raise ValueError(f"--since takes a duration like 30m, 2h or 7d, got {text!r}")
    now = now_ns if now_ns is not None else time.time_ns()
    return now - int(float(m.group(1)) * _UNITS[m.group(2)] * 1e9)


def _store(args: argparse.Namespace):  # noqa: ANN202 - a SpanStore; imported lazily
    """The span store named by ``--store``, opened read-only: a typo or a file that is not one is one line."""
    from labkit.tracing.store import SpanStore, default_store_path

    path = Path(args.store) if args.store else default_store_path()
    if not path.exists():
        raise FileNotFoundError(f"no span store at {path}; pass --store PATH or set LABKIT_TRACES "
                                f"(a notebook's tracing.setup(path) writes one)")
    return SpanStore(path, read_only=True)


def _start(store, since: str | None) -> int | None:  # noqa: ANN001
    if since is None:
        return None
    # Windows are relative to the newest span, so a store written on a virtual clock reads the same way.
    rng = store.time_range()
    return parse_since(since, rng[1] if rng else None)


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    rows = store.traces(start=_start(store, args.since), errors=True if args.errors else None,
                        min_duration_ms=args.min_ms, model=args.model, route=args.route,
                        slowest_first=args.slowest)
    rows = rows[-args.limit:] if not args.slowest else rows[:args.limit]
    print(f"{'trace id':<16} {'start (UTC)':<19} {'route':<28} {'ms':>9} {'spans':>5} {'llm':>3} "
          f"{'tokens in/out':>13} {'cost $':>10} {'err':>3} kept")
    for t in rows:
        start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t.start_ns / 1e9))
        print(f"{t.trace_id[:16]:<16} {start:<19} {str(t.route)[:28]:<28} {t.duration_ms:>9.1f} {t.spans:>5} "
              f"{t.llm_calls:>3} {f'{t.input_tokens}/{t.output_tokens}':>13} {t.cost_usd:>10.2e} "
              f"{'yes' if t.error else '':>3} {t.sample_reason or ''}")
    print(f"{len(rows)} traces shown ({store.count()[0]} stored in {store.path})")
    return 0


def _show(args: argparse.Namespace) -> int:
    from labkit.tracing.viz import text_waterfall

    store = _store(args)
    try:
        spans = store.trace(args.trace_id)
    except KeyError as exc:
        print(f"labkit traces show: error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"trace {spans[0].trace_id}  ({len(spans)} spans)")
    print(text_waterfall(spans, width=args.width))
    if args.attributes:
        for s in spans:
            print(f"\n{s.name}  [{s.span_id}] {s.status}{' ' + s.status_message if s.status_message else ''}")
            for k, v in sorted(s.attributes.items()):
                print(f"    {k} = {v}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    import pandas as pd

    from labkit.tracing.viz import dashboard

    store = _store(args)
    if store.count()[0] == 0:
        print(f"no traces in {store.path}")
        return 0
    d = dashboard(store, start=_start(store, args.since))
    print(f"window: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(d.start_ns / 1e9))} .. "
          f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(d.end_ns / 1e9))} UTC")
    print(f"requests (estimated from {d.traces_stored} stored traces): {d.requests:,.0f}")
    print(f"error rate: {100 * d.error_rate:.2f}%   latency p50/p95/p99: {d.p50_ms:,.0f} / {d.p95_ms:,.0f} / "
          f"{d.p99_ms:,.0f} ms")
    print(f"tokens in/out: {d.input_tokens:,.0f} / {d.output_tokens:,.0f}   cost: ${d.cost_usd:.4g}\n")
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:,.4g}".format):
        print(d.by_route.to_string(index=False))
        if not d.by_route_model.empty:
            print()
            print(d.by_route_model.to_string(index=False))
    return 0


def register(sub: Subparsers) -> None:
    """Add ``labkit traces`` with its ``list``, ``show`` and ``stats`` actions."""
    traces = sub.add_parser("traces", help="read the local span store: list traces, show one, stats over a window")
    tsub = traces.add_subparsers(dest="traces_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", default=None, help="the SQLite span store (default: $LABKIT_TRACES or "
                                                      "~/.cache/labkit/traces.sqlite)")

    p = tsub.add_parser("list", parents=[common], help="list traces, newest last")
    p.add_argument("--since", default=None, help="only the last 30m / 2h / 7d (relative to the newest span)")
    p.add_argument("--errors", action="store_true", help="only traces with an error")
    p.add_argument("--min-ms", type=float, default=None, help="only traces at least this slow")
    p.add_argument("--model", default=None, help="only traces that called this model")
    p.add_argument("--route", default=None, help="only this route")
    p.add_argument("--slowest", action="store_true", help="slowest first")
    p.add_argument("--limit", type=count, default=20, help="show at most this many (default 20)")
    p.set_defaults(handler=_list)

    p = tsub.add_parser("show", parents=[common], help="one trace as a text waterfall")
    p.add_argument("trace_id", help="trace id, or a unique prefix of at least 6 hex digits")
    p.add_argument("--attributes", action="store_true", help="print every span's attributes")
    p.add_argument("--width", type=count, default=40, help="bar width in characters")
    p.set_defaults(handler=_show)

    p = tsub.add_parser("stats", parents=[common], help="requests, errors, latency percentiles, tokens, cost")
    p.add_argument("--since", default=None, help="only the last 30m / 2h / 7d (relative to the newest span)")
    p.set_defaults(handler=_stats)
