"""``make test``'s runner: make targets in parallel lanes, each lane's log printed whole at the end, then a summary.

A lane is a list of make targets run one after another (a failed target does not stop the lane: every
test still runs). The lanes run at the same time, one per CPU core on the course's 2-core machines;
each target starts its own embedded model server on a free port, so lanes never share one. The servers
keep their default threads (one per core): the committed eval baselines were made with them, and llama.cpp's
greedy output changes with the thread count. Every
pytest run writes a JUnit XML file into the output folder; the summary reads them back: passed,
failed and skipped per run, each lane's wall time, the ten slowest tests and the ten slowest notebooks.

    python tools/test_lanes.py --out .test-reports "test-code test-notebooks-direct" "test-portable"
    python tools/test_lanes.py --summary-only .test-reports    # the summary of runs already made

The exit status is 0 only when every target of every lane succeeded.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TargetRun:
    """One make target as a lane ran it."""

    target: str
    status: int
    seconds: float


@dataclass
class Lane:
    """Targets run one after another, their output in one log file."""

    name: str
    targets: list[str]
    log: Path
    runs: list[TargetRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status == 0 for r in self.runs) and len(self.runs) == len(self.targets)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)


@dataclass(frozen=True)
class Case:
    """One test (a code test, or one notebook cell) from a JUnit file."""

    run: str  # the JUnit file's stem: code, notebooks-portable, ...
    group: str  # test module, or notebook path
    name: str
    seconds: float
    outcome: str  # passed, failed, skipped


def run_lane(lane: Lane, make: str) -> None:
    """Run the lane's targets in turn, appending their output to its log and reporting each as it ends."""
    with lane.log.open("w", encoding="utf-8") as log:
        for target in lane.targets:
            t0 = time.monotonic()
            status = subprocess.call([make, "--no-print-directory", target], stdout=log, stderr=subprocess.STDOUT)
            lane.runs.append(TargetRun(target, status, time.monotonic() - t0))
            verdict = "ok" if status == 0 else f"FAILED (exit {status})"
            print(f"lane {lane.name}: make {target} {verdict} after {minutes(lane.runs[-1].seconds)}", flush=True)


def minutes(seconds: float) -> str:
    """``12m05s``."""
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def read_cases(xml_path: Path) -> list[Case]:
    """Every test case of a JUnit XML file written by pytest (``--junitxml``)."""
    cases = []
    for tc in ET.parse(xml_path).getroot().iter("testcase"):
        outcome = "passed"
        if tc.find("failure") is not None or tc.find("error") is not None:
            outcome = "failed"
        elif tc.find("skipped") is not None:
            outcome = "skipped"
        group = tc.get("classname", "")
        if ".ipynb" in group:  # nbval: classname is the notebook's dotted path, e.g. notebooks.demos.x.ipynb
            group = group.removesuffix(".ipynb").replace(".", "/") + ".ipynb"
        cases.append(Case(xml_path.stem, group, tc.get("name", ""), float(tc.get("time", 0) or 0), outcome))
    return cases


def summary(out: Path, lanes: list[Lane] | None = None) -> str:
    """The closing summary: counts per pytest run, lane times, the slowest ten tests and notebooks."""
    lines = ["", "=" * 30 + " make test: summary " + "=" * 30]
    cases: list[Case] = []
    for xml_path in sorted(out.glob("*.xml")):
        run_cases = read_cases(xml_path)
        cases += run_cases
        counts = {k: sum(c.outcome == k for c in run_cases) for k in ("passed", "failed", "skipped")}
        lines.append(f"{xml_path.stem:22} {counts['passed']:4} passed {counts['failed']:4} failed "
                     f"{counts['skipped']:4} skipped   {minutes(sum(c.seconds for c in run_cases))} in tests")
    for lane in lanes or []:
        parts = ", ".join(f"{r.target} {minutes(r.seconds)}{'' if r.status == 0 else ' FAILED'}" for r in lane.runs)
        lines.append(f"lane {lane.name}: {minutes(lane.seconds)} wall ({parts})")
    code = sorted((c for c in cases if ".ipynb" not in c.group), key=lambda c: -c.seconds)[:10]
    if code:
        lines.append("slowest tests:")
        lines += [f"  {c.seconds:7.1f} s  {c.group}::{c.name}" for c in code]
    notebooks: dict[tuple[str, str], float] = defaultdict(float)
    for c in cases:
        if ".ipynb" in c.group:
            notebooks[(c.group, c.run)] += c.seconds
    if notebooks:
        lines.append("slowest notebooks:")
        slow = sorted(notebooks.items(), key=lambda kv: -kv[1])[:10]
        lines += [f"  {seconds:7.1f} s  {group} ({run})" for (group, run), seconds in slow]
    failed = [c for c in cases if c.outcome == "failed"]
    lines += [f"FAILED: {c.run}: {c.group}::{c.name}" for c in failed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lanes", nargs="*", help="one argument per lane: its make targets, space-separated")
    parser.add_argument("--out", type=Path, default=Path(".test-reports"), help="logs and JUnit files go here")
    parser.add_argument("--summary-only", type=Path, metavar="DIR", help="print the summary of the JUnit files in DIR")
    args = parser.parse_args(argv)
    if args.summary_only:
        print(summary(args.summary_only))
        return 0
    if not args.lanes:
        print("test_lanes: give at least one lane, e.g. \"test-code\" \"test-portable\"", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.xml"):
        old.unlink()  # a summary of this run only
    lanes = [Lane(str(i), spec.split(), args.out / f"lane{i}.log") for i, spec in enumerate(args.lanes, 1)]
    for lane in lanes:
        print(f"lane {lane.name}: {' then '.join('make ' + t for t in lane.targets)} (log: {lane.log})", flush=True)
    make = os.environ.get("MAKE", "make")
    threads = [threading.Thread(target=run_lane, args=(lane, make)) for lane in lanes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for lane in lanes:
        print(f"\n{'=' * 30} lane {lane.name}: {' then '.join(lane.targets)} {'=' * 30}", flush=True)
        sys.stdout.write(lane.log.read_text(encoding="utf-8", errors="replace"))
    print(summary(args.out, lanes), flush=True)
    return 0 if all(lane.ok for lane in lanes) else 1


if __name__ == "__main__":
    sys.exit(main())
