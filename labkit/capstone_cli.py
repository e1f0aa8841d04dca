"""``labkit capstone run`` (a simulated week) and ``labkit capstone check FINDINGS`` (grade a report)."""

from __future__ import annotations

import argparse
import json


def _run(args: argparse.Namespace) -> int:
    from labkit.capstone import report, world

    cfg = world.CapstoneConfig(days=args.days, seed=args.seed, scale=args.scale)
    result = world.run(cfg, out_dir=args.out, reuse=not args.fresh)
    rep = report.week_report(result)
    (result.dir / "report.json").write_text(json.dumps(rep.to_dict(), indent=2, default=str))
    html = report.to_html(rep, result.dir / "report.html")
    print(json.dumps(rep.totals, indent=2, default=str))
    print(f"run directory: {result.dir}\nreport: {html}\ntraces: {result.traces_path} (labkit traces list --store ...)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from labkit.capstone import grade, world

    run_dir = args.run or world.default_dir(args.seed, args.scale, args.days)
    g = grade.grade(grade.read_findings(args.findings), run_dir)
    print(g.summary())
    return 0 if g.passed else 1


def register_cli(sub: argparse._SubParsersAction) -> None:
    cap = sub.add_parser("capstone", help="the capstone: run a simulated week, grade your findings")
    cs = cap.add_subparsers(dest="capstone_command", required=True, metavar="ACTION")
    from labkit.capstone.world import DEFAULT_SCALE

    p = cs.add_parser("run", help="serve a simulated week of traffic and write traces and a report")
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=DEFAULT_SCALE, help=f"traffic volume (default {DEFAULT_SCALE})")
    p.add_argument("--out", default=None, help="run directory (default runs/capstone-s<seed>-x<scale>-d<days>)")
    p.add_argument("--fresh", action="store_true", help="run again even if a finished run exists")
    p.set_defaults(handler=_run)
    p = cs.add_parser("check", help="grade a findings file (JSON/YAML) against a run")
    p.add_argument("findings")
    p.add_argument("--run", default=None, help="run directory (default from --seed/--scale/--days)")
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    p.set_defaults(handler=_check)
