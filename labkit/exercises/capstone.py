"""Exercises of the capstone: a per-day latency query, and the bug hunt itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labkit import config
from labkit.capstone import grade
from labkit.exercises import Exercise


def _p95_by_day_solution(frame: pd.DataFrame) -> dict[int, float]:
    return {int(d): float(np.percentile(part["latency_s"], 95)) for d, part in frame.groupby("day")}


def _p95_inputs() -> list[tuple[pd.DataFrame]]:
    rng = np.random.default_rng(7)
    return [(pd.DataFrame({"day": rng.integers(1, 8, 300), "latency_s": rng.gamma(2.0, 0.8, 300)}),),
            (pd.DataFrame({"day": [1, 1, 2], "latency_s": [0.5, 1.5, 2.0]}),)]


def _compare_dicts(got: Any, want: dict[int, float]) -> str | None:
    if not isinstance(got, dict):
        return f"return a dict {{day: p95 seconds}}, got {type(got).__name__}"
    if set(got) != set(want):
        return f"expected days {sorted(want)}, got {sorted(got)}"
    bad = [d for d in want if abs(float(got[d]) - want[d]) > 1e-6]
    return f"day {bad[0]}: expected {want[bad[0]]:.4f} s, got {float(got[bad[0]]):.4f} s" if bad else None


EXERCISES = {
    "capstone.p95": Exercise(
        id="capstone.p95",
        task="Write p95_by_day(frame) returning {day: 95th-percentile latency in seconds} from the run's outcomes.",
        hint_text="group the frame by 'day' and take np.percentile(part['latency_s'], 95) of each group.",
        solution=_p95_by_day_solution,
        inputs=_p95_inputs,
        compare=_compare_dicts,
    ),
}


def check_findings(fn: Callable[[Path], list[dict[str, Any]]], run_dir: str | Path) -> Any:
    """Grade the learner's ``fn(run_dir) -> findings`` against the run.

    A stub (raising ``NotImplementedError``) is "not attempted" unless ``LABKIT_SOLUTIONS=1``, where the
    reference solution (:func:`labkit.capstone.grade.find_bugs`, traces only) is graded instead.

    Returns:
        The :class:`labkit.capstone.grade.Grade` (or None when not attempted).
    """
    try:
        findings = fn(Path(run_dir))
        label = "your findings"
    except NotImplementedError:
        if not config.solutions_enabled():
            print("capstone.findings: not attempted yet. Write find_bugs(run_dir) returning "
                  '[{"bug": ..., "trace_ids": [...], "day": N}, ...].')
            return None
        findings, label = grade.find_bugs(run_dir), "reference solution (LABKIT_SOLUTIONS=1)"
    result = grade.grade(grade.validate_findings(findings), run_dir)
    print(f"[{label}]\n{result.summary()}")
    return result
