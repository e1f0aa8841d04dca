"""``make run``: execute every notebook headless and write the course run report.

For each notebook: wall time, model calls, tokens, cost (from the kernel's own ledger),
asserts passed, and pass/fail. Writes ``reports/course_run.md``, ``reports/course_run.json``
and ``reports/course_run.png``, and each executed notebook, outputs included, under
``reports/executed/`` (the same relative path as under the notebook folder), which ``make site`` renders.

Usage: python tools/courserun.py notebooks [--out reports] [--only PATTERN]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nblint import count_asserts, notebooks_under

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    notebook: str
    passed: bool
    wall_s: float
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    asserts: int
    error: str = ""


def run_notebook(path: Path, timeout: int = 900, save_to: Path | None = None) -> NotebookRun:
    """Execute one notebook in a fresh kernel, in its own folder.

    Args:
        path: the notebook.
        timeout: seconds one cell may run.
        save_to: where to write the executed notebook with its outputs (also when a cell failed,
            so the error shows where it happened); None writes nothing.
    Returns:
        The run's outcome.
    """
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        ledger_file = Path(tmp) / "ledger.json"
        os.environ["LABKIT_LEDGER_OUT"] = str(ledger_file)
        # the kernel draws plots as JupyterLab does (inline), not with the headless Agg backend that
        # `make` exports (under Agg, plt.show() leaves no output and the saved notebook no plot)
        os.environ["MPLBACKEND"] = INLINE_BACKEND
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        error = ""
        try:
            client.execute()
        except CellExecutionError as exc:
            text = ANSI.sub("", str(exc)).strip()  # the traceback's colours would show as codes in the report
            error = text.splitlines()[-1][:300] if text else "cell failed"
        except Exception as exc:  # a kernel death or timeout is a failed notebook, not a crashed report
            error = f"{type(exc).__name__}: {exc}"[:300]
        wall = time.perf_counter() - t0
        if save_to is not None:
            save_to.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, save_to)
        totals = json.loads(ledger_file.read_text()) if ledger_file.exists() else {}
    return NotebookRun(
        notebook=str(path), passed=not error, wall_s=round(wall, 1), calls=int(totals.get("calls", 0)),
        input_tokens=int(totals.get("input_tokens", 0)), output_tokens=int(totals.get("output_tokens", 0)),
        cost_usd=float(totals.get("cost_usd", 0.0)), asserts=count_asserts(nb) if not error else 0, error=error,
    )


def report(runs: list[NotebookRun]) -> str:
    lines = ["# Course run report", "",
             f"Executed {len(runs)} notebooks headless on {os.cpu_count()} cores with the "
             f"{os.environ.get('OPENAI_BASE_URL') or 'embedded'} backend.", "",
             "| notebook | result | wall time (s) | model calls | tokens in | tokens out | cost (USD) | asserts passed |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        lines.append(f"| {r.notebook} | {'pass' if r.passed else 'FAIL: ' + r.error} | {r.wall_s:.0f} | {r.calls} | "
                     f"{r.input_tokens} | {r.output_tokens} | {r.cost_usd:.6f} | {r.asserts} |")
    lines.append(f"| **total** | {sum(r.passed for r in runs)}/{len(runs)} passed | {sum(r.wall_s for r in runs):.0f} | "
                 f"{sum(r.calls for r in runs)} | {sum(r.input_tokens for r in runs)} | "
                 f"{sum(r.output_tokens for r in runs)} | {sum(r.cost_usd for r in runs):.6f} | "
                 f"{sum(r.asserts for r in runs)} |")
    return "\n".join(lines) + "\n"


def plot(runs: list[NotebookRun], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.4 * len(runs) + 1.2))
    names = [Path(r.notebook).stem for r in runs]
    ax.barh(names, [r.wall_s for r in runs], color=["tab:green" if r.passed else "tab:red" for r in runs])
    ax.axvline(240, ls="--", c="grey", lw=1)
    ax.set(xlabel="wall time (s); dashed: 4-minute budget per notebook", title="Course run")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute every notebook and write the course run report.")
    parser.add_argument("root", type=Path)
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--only", default="", help="run only notebooks whose path contains this text")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        parser.error(f"{args.root} is not a folder")
    paths = [p for p in notebooks_under(args.root) if args.only in str(p)]
    if not paths:
        parser.error(f"no notebooks under {args.root} match {args.only!r}")
    runs = []
    for p in paths:
        print(f"running {p} ...", flush=True)
        runs.append(run_notebook(p, save_to=args.out / "executed" / p.relative_to(args.root)))
        print(f"  {'pass' if runs[-1].passed else 'FAIL'} in {runs[-1].wall_s:.0f} s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "course_run.md").write_text(report(runs), encoding="utf-8")
    (args.out / "course_run.json").write_text(json.dumps([asdict(r) for r in runs], indent=2), encoding="utf-8")
    plot(runs, args.out / "course_run.png")
    print(report(runs))
    return 0 if all(r.passed for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
