"""``labkit capstone run`` (a simulated week; ``--service`` runs it into an assembled service),
``labkit capstone kinds`` and ``labkit capstone check FINDINGS`` (grade a report)."""

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
    if args.service is not None:
        return _run_week(args)
    from labkit.capstone import report, world

    cfg = world.CapstoneConfig(days=args.days, seed=args.seed or 0, scale=_scale(args))
    result = world.run(cfg, out_dir=args.out, reuse=not args.fresh)
    rep = report.week_report(result)
    (result.dir / "report.json").write_text(json.dumps(rep.to_dict(), indent=2, default=str))
    html = report.to_html(rep, result.dir / "report.html")
    print(json.dumps(rep.totals, indent=2, default=str))
    print(f"run directory: {result.dir}\nreport: {html}\ntraces: {result.traces_path} (labkit traces list --store ...)")
    return 0


def _run_week(args: argparse.Namespace) -> int:
    """``--service``: the learner-assembled week (labkit.capstone.week)."""
    from labkit.capstone import prototypes, week

    if args.out is None:
        raise ValueError("--service needs --out DIR (where the week's traces go)")
    service, agent = prototypes.load_service(args.service)
    run = week.run_week(service, seed=args.seed, days=args.days, scale=1.0 if args.scale is None else args.scale,
                        out=args.out, agent=agent)
    print(f"{run.requests} requests in {run.wall_s:.0f} s; statuses {json.dumps(run.statuses, sort_keys=True)}")
    print(f"run directory: {run.dir}\ntraces: {run.traces_path} (labkit traces list --store ...)")
    return 0


def _kinds(args: argparse.Namespace) -> int:
    from labkit.capstone.plan import KINDS

    for kind in KINDS:
        print(kind)
    return 0


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from labkit.capstone import grade, world

    if args.run and (Path(args.run) / "run.json").exists():
        from labkit.capstone import check

        result = check.check(check.read_findings(args.findings), args.run)
        print(result.text())
        return 0 if result.passed else 1
    run_dir = args.run or world.default_dir(args.seed or 0, _scale(args), args.days)
    g = grade.grade(grade.read_findings(args.findings), run_dir)
    print(g.summary())
    return 0 if g.passed else 1


def register(sub: Subparsers) -> None:
    """Add ``labkit capstone run`` and ``labkit capstone check`` to the ``labkit`` command."""
    cap = sub.add_parser("capstone", help="the capstone: run a simulated week, grade your findings")
    cs = cap.add_subparsers(dest="capstone_command", required=True, metavar="ACTION")
    scale_help = "traffic volume (default: labkit.capstone.world.DEFAULT_SCALE, the graded week)"

    p = cs.add_parser("run", help="serve a simulated week of traffic and write traces and a report")
    p.add_argument("--service", default=None, metavar="bare|reference|agent-bare|agent-reference|FILE.py:build",
                   help="run the week into this service (the assembled capstone); without it, the classic week")
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=None, help="reproducible week (default: 0 classic, fresh with --service)")
    p.add_argument("--scale", type=float, default=None, help=scale_help)
    p.add_argument("--out", default=None, help="run directory (default runs/capstone-s<seed>-x<scale>-d<days>)")
    p.add_argument("--fresh", action="store_true", help="run again even if a finished run exists")
    p.set_defaults(handler=_run)
    p = cs.add_parser("kinds", help="every kind of bug a week can plant, one per line")
    p.set_defaults(handler=_kinds)
    p = cs.add_parser("check", help="grade a findings file (JSON/YAML) against a run")
    p.add_argument("findings")
    p.add_argument("--run", default=None, help="run directory (default from --seed/--scale/--days)")
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--scale", type=float, default=None, help=scale_help)
    p.set_defaults(handler=_check)
