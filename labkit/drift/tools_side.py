"""Evidently and alibi-detect beside :mod:`labkit.drift`: the same simulated week, the days each flags.

Both tools live in their own pinned environment, ``envs/drift_tools`` (``make drift-tools``): alibi-detect
0.13 needs numpy < 2 and pandas < 3, which the course's lock does not allow. :func:`run_tools` writes the
week's features to a file and runs ``envs/drift_tools/run_tools.py`` in that environment over a
subprocess. Each tool tests whole days (the requests of hours ``[24 d, 24 d + 24)``) against the same
reference (the first two days):

* **Evidently** (``ValueDrift``, Kolmogorov–Smirnov) on ``length`` and ``kb_similarity``; a day is flagged
  when either column's p-value is below the threshold. Compared with labkit's ``KS(length)`` and
  ``KS(kb_similarity)`` together.
* **alibi-detect** ``MMDDrift`` (PyTorch backend, Gaussian kernel, median-heuristic width, permutation
  test) on the embeddings, with labkit's ``MMD`` settings (alpha, permutations, reference and window
  sizes). Compared with labkit's ``MMD(embedding)``.

labkit's monitor alerts on sliding windows; :func:`alert_days` turns its alerts into the days they fall in.
The tools agree with labkit when the flagged days differ by at most :data:`TOLERANCE_DAYS` days
(the symmetric difference of the two sets of days), see :func:`agreement`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labkit.drift.detectors import MMD, KSTest
from labkit.drift.features import Features
from labkit.drift.windows import MONITOR, Trace

__all__ = ["ENV_PYTHON", "PAIRS", "TOLERANCE_DAYS", "ToolDays", "agreement", "alert_days", "export_week", "run_tools"]

ROOT = Path(__file__).resolve().parents[2]
ENV_PYTHON = ROOT / "envs" / "drift_tools" / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
SCRIPT = ROOT / "envs" / "drift_tools" / "run_tools.py"
# Flagged days may differ by at most this many days (symmetric difference) for the tools to "agree" with labkit.
TOLERANCE_DAYS = 1
# tool -> the labkit detectors it is compared with (a day counts for labkit when any of them alerted in it).
PAIRS = {"Evidently KS": ("KS(length)", "KS(kb_similarity)"), "alibi-detect MMD": ("MMD(embedding)",)}


def export_week(features: Features, path: Path) -> Path:
    """Write the features the tools read (hours, length, kb_similarity, embedding) to an ``.npz`` file."""
    np.savez(path, hours=features.hours, length=features.length, kb_similarity=features.kb_similarity,
             embedding=features.embedding.astype(np.float32))
    return path


def alert_days(trace: Trace) -> set[int]:
    """Days (0 = Monday) in which a labkit trace alerted; a window ending exactly at midnight counts for the day before."""
    return {int((t - 1e-6) // 24) for t in trace.alert_times()}


@dataclass
class ToolDays:
    """What the tools said about one week.

    Attributes:
        rows: one row per tool and tested day (``tool, day, n, drift`` and the tool's p-values).
        versions: the tools' versions.
        seconds: time spent in the subprocess (all weeks of the call).
    """

    rows: list[dict[str, Any]]
    versions: dict[str, str]
    seconds: float

    def flagged(self, tool: str) -> set[int]:
        """Days a tool flagged; ``tool`` may be a prefix (``"Evidently KS p < 0.0001"`` or ``"alibi-detect MMD"``)."""
        names = {r["tool"] for r in self.rows if r["tool"].startswith(tool)}
        if len(names) != 1:
            raise ValueError(f"{tool!r} names {len(names)} tools; choose one of {sorted({r['tool'] for r in self.rows})}")
        return {int(r["day"]) for r in self.rows if r["tool"] in names and r["drift"]}


def _params(days: Iterable[int], ks_alphas: Iterable[float]) -> dict[str, Any]:
    mmd = MMD()
    return {"reference": list(MONITOR["reference"]), "days": list(days), "ks_alpha": list(ks_alphas),
            "mmd_alpha": mmd.alpha, "mmd_permutations": mmd.permutations, "max_reference": mmd.max_reference,
            "max_window": mmd.max_window, "seed": mmd.seed}


def run_tools(weeks: dict[str, Features], days: Iterable[int] = (2, 3, 4, 5, 6), *,
              ks_alphas: Iterable[float] = (KSTest().alpha, 0.05), timeout_s: float = 900) -> dict[str, ToolDays]:
    """Run Evidently and alibi-detect on some weeks in the drift-tools environment (one subprocess for all).

    Args:
        weeks: name -> the week's :class:`Features` (from :func:`labkit.drift.featurize`).
        days: which days to test (the reference covers days 0 and 1).
        ks_alphas: thresholds for Evidently's KS p-values: labkit's ``KSTest().alpha`` and Evidently's default 0.05.
        timeout_s: limit for the subprocess.

    Returns:
        name -> :class:`ToolDays`.

    Raises:
        FileNotFoundError: the environment is not built (the message says ``make drift-tools``).
        RuntimeError: the subprocess failed (its last lines of output are in the message).
    """
    if not ENV_PYTHON.exists():
        raise FileNotFoundError(f"{ENV_PYTHON} not found: build the Evidently/alibi-detect environment with "
                                f"`make drift-tools`")
    with tempfile.TemporaryDirectory(prefix="labkit-drift-tools-") as tmp:
        files = {name: str(export_week(f, Path(tmp) / f"week{i}.npz")) for i, (name, f) in enumerate(weeks.items())}
        params = Path(tmp) / "params.json"
        params.write_text(json.dumps({**_params(days, ks_alphas), "weeks": files}), encoding="utf-8")
        out = Path(tmp) / "out.json"
        env = {**os.environ, "DO_NOT_TRACK": "1", "EVIDENTLY_DISABLE_TELEMETRY": "1", "OMP_NUM_THREADS": "1"}
        env.pop("PYTHONPATH", None)
        done = subprocess.run([str(ENV_PYTHON), str(SCRIPT), str(params), str(out)], env=env,
                              capture_output=True, text=True, timeout=timeout_s, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
            raise RuntimeError(f"run_tools.py exited with {done.returncode}:\n{tail}")
        result = json.loads(out.read_text(encoding="utf-8"))
    return {name: ToolDays(rows, result["versions"], result["seconds"]) for name, rows in result["weeks"].items()}


def agreement(tools: ToolDays, traces: dict[str, Trace], ks_alpha: float | None = None) -> list[dict[str, Any]]:
    """Days flagged by each tool next to labkit's, and whether they agree within :data:`TOLERANCE_DAYS`.

    Args:
        tools: from :func:`run_tools`.
        traces: labkit's traces of the same week (``drift.run_all``), with the detectors named in :data:`PAIRS`.
        ks_alpha: which Evidently threshold to compare (labkit's ``KSTest().alpha`` by default).

    Returns:
        rows ``tool, labkit, tool_days, labkit_days, differ_by, agree``.
    """
    alpha = KSTest().alpha if ks_alpha is None else ks_alpha
    rows = []
    for prefix, names in PAIRS.items():
        tool = f"{prefix} p < {alpha:g}" if prefix.startswith("Evidently") else prefix
        tool_days = tools.flagged(tool)
        labkit_days = set().union(*(alert_days(traces[n]) for n in names))
        differ = len(tool_days ^ labkit_days)
        rows.append({"tool": tool, "labkit": " or ".join(names), "tool_days": sorted(tool_days),
                     "labkit_days": sorted(labkit_days), "differ_by": differ, "agree": differ <= TOLERANCE_DAYS})
    return rows
