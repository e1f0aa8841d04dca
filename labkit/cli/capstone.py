"""``labkit capstone run`` (a simulated week into an assembled service), ``labkit capstone kinds`` and
``labkit capstone check FINDINGS --run DIR`` (the layers and the findings, judged from the traces)."""

from __future__ import annotations

import argparse
import json

from labkit.cli.common import Subparsers

SERVICE_HELP = "bare|reference|agent-bare|agent-reference|FILE.py:build"


def _run(args: argparse.Namespace) -> int:
    """Serve the week into ``--service`` (labkit.capstone.week) and say where its traces are."""
    if not 0 < args.days <= 14:
        raise ValueError(f"days must be in (0, 14], got {args.days}")
    if not 0 < args.scale <= 5:
        raise ValueError(f"scale must be in (0, 5], got {args.scale}")
    from labkit.capstone import prototypes, week

    service, agent = prototypes.load_service(args.service)
    run = week.run_week(service, seed=args.seed, days=args.days, scale=args.scale, out=args.out, agent=agent)
    print(f"{run.requests} requests in {run.wall_s:.0f} s; statuses {json.dumps(run.statuses, sort_keys=True)}")
    print(f"run directory: {run.dir}\ntraces: {run.traces_path} (labkit traces list --store ...)")
    return 0


def _kinds(args: argparse.Namespace) -> int:
    from labkit.capstone.plan import KINDS

    for kind in KINDS:
        print(kind)
    return 0


def _check(args: argparse.Namespace) -> int:
    from labkit.capstone import check

    findings = check.read_findings(args.findings)
    if args.run is None:
        raise ValueError("--run DIR is needed: the run directory written by `labkit capstone run --out DIR`")
    result = check.check(findings, args.run)
    print(result.text())
    return 0 if result.passed else 1


def register(sub: Subparsers) -> None:
    """Add ``labkit capstone run|kinds|check``."""
    cap = sub.add_parser("capstone", help="the capstone: run a simulated week into your service, check your findings")
    cs = cap.add_subparsers(dest="capstone_command", required=True, metavar="ACTION")

    p = cs.add_parser("run", help="serve a simulated week of traffic into a service; write its traces")
    p.add_argument("--service", default="reference", metavar=SERVICE_HELP,
                   help="a prototype, the reference assembly, or FILE.py:build returning your service "
                        "(default: reference)")
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=None, help="reproducible week (default: fresh randomness)")
    p.add_argument("--scale", type=float, default=1.0, help="traffic relative to the default week (1.0)")
    p.add_argument("--out", default="runs/capstone-week", help="run directory (replaced; default runs/capstone-week)")
    p.set_defaults(handler=_run)
    p = cs.add_parser("kinds", help="every kind of bug a week can plant, one per line")
    p.set_defaults(handler=_kinds)
    p = cs.add_parser("check", help="check the layers and a findings file (JSON) against a run's traces")
    p.add_argument("findings")
    p.add_argument("--run", default=None, help="the run directory written by `labkit capstone run`")
    p.set_defaults(handler=_check)
