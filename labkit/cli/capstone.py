"""``labkit capstone run`` (a simulated week) and ``labkit capstone check FINDINGS`` (grade a report)."""

from __future__ import annotations

import argparse
import json

from labkit.cli.common import Subparsers


def _scale(args: argparse.Namespace) -> float:
    """``--scale``, else the graded week's (looked up here, not at parse time: the world module imports slowly)."""
    from labkit.capstone.world import DEFAULT_SCALE

    scale: float = DEFAULT_SCALE if args.scale is None else args.scale
    return scale


def _run(args: argparse.Namespace) -> int:
    from labkit.capstone import report, world

    cfg = world.CapstoneConfig(days=args.days, seed=args.seed, scale=_scale(args))
    result = world.run(cfg, out_dir=args.out, reuse=not args.fresh)
    rep = report.week_report(result)
    (result.dir / "report.json").write_text(json.dumps(rep.to_dict(), indent=2, default=str))
    html = report.to_html(rep, result.dir / "report.html")
    print(json.dumps(rep.totals, indent=2, default=str))
    print(f"run directory: {result.dir}\nreport: {html}\ntraces: {result.traces_path} (labkit traces list --store ...)")
    return 0


def _check(args: argparse.Namespace) -> int:
    from labkit.capstone import grade, world

    run_dir = args.run or world.default_dir(args.seed, _scale(args), args.days)
    g = grade.grade(grade.read_findings(args.findings), run_dir)
    print(g.summary())
    return 0 if g.passed else 1


def register(sub: Subparsers) -> None:
    """Add ``labkit capstone run`` and ``labkit capstone check`` to the ``labkit`` command."""
    cap = sub.add_parser("capstone", help="the capstone: run a simulated week, grade your findings")
    cs = cap.add_subparsers(dest="capstone_command", required=True, metavar="ACTION")
    scale_help = "traffic volume (default: labkit.capstone.world.DEFAULT_SCALE, the graded week)"

    p = cs.add_parser("run", help="serve a simulated week of traffic and write traces and a report")
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=None, help=scale_help)
    p.add_argument("--out", default=None, help="run directory (default runs/capstone-s<seed>-x<scale>-d<days>)")
    p.add_argument("--fresh", action="store_true", help="run again even if a finished run exists")
    p.set_defaults(handler=_run)
    p = cs.add_parser("check", help="grade a findings file (JSON/YAML) against a run")
    p.add_argument("findings")
    p.add_argument("--run", default=None, help="run directory (default from --seed/--scale/--days)")
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=float, default=None, help=scale_help)
    p.set_defaults(handler=_check)
