"""Grade a learner's findings against a finished run, without revealing the answer.

A findings file is JSON (or YAML)::

    {"findings": [{"bug": "cache-tenant-leak", "trace_ids": ["4bf9...", "a1c3..."], "day": 3}, ...]}

``bug`` is one of :data:`labkit.capstone.bugs.KINDS`; ``trace_ids`` are traces that show it (full ids
or unique prefixes of at least 8 hex digits); ``day`` is the 1-based day it started. Each finding is
checked: is that kind planted in this run (via salted hashes, so the run holds no readable key), do
the traces really show it (the kind's signature over the stored spans), and is the day the first day
any trace shows it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from labkit.capstone.bugs import DAY_S, KINDS, SIGNATURES, seal
from labkit.files import input_file


@dataclass
class FindingGrade:
    """The verdict on one finding."""

    bug: str
    planted: bool
    traces_ok: int
    traces_claimed: int
    day_ok: bool
    messages: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.planted and self.traces_claimed > 0 and self.traces_ok == self.traces_claimed and self.day_ok


@dataclass
class Grade:
    """The verdict on a findings file."""

    findings: list[FindingGrade]
    planted_count: int

    @property
    def found(self) -> int:
        return sum(f.correct for f in self.findings)

    @property
    def passed(self) -> bool:
        return self.found == self.planted_count

    def summary(self) -> str:
        lines = [f"{self.found} of {self.planted_count} planted bugs found with proof."]
        for f in self.findings:
            mark = "ok " if f.correct else "-- "
            lines.append(f"{mark}{f.bug}: " + "; ".join(f.messages))
        missing = self.planted_count - self.found
        if missing > 0:
            lines.append(f"{missing} planted bug(s) not yet found with proof. Look at retries, cache hits, "
                         f"routes and prompt versions in the traces, day by day.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.found, "planted": self.planted_count, "passed": self.passed,
                "findings": [asdict(f) | {"correct": f.correct} for f in self.findings]}


def read_findings(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a findings file; errors say what is wrong and how to fix it."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no findings file at {path}")
    p = input_file(path, "a findings file (JSON or YAML)")  # a folder is refused with one line
    text = p.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except ValueError:
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{p} is neither JSON nor YAML: {exc}") from None
    return validate_findings(doc, str(p))


def validate_findings(doc: Any, where: str = "findings") -> list[dict[str, Any]]:
    if isinstance(doc, dict):
        doc = doc.get("findings")
    if not isinstance(doc, list) or not doc:
        raise ValueError(f'{where}: expected {{"findings": [{{"bug": ..., "trace_ids": [...], "day": N}}, ...]}}')
    out = []
    for n, f in enumerate(doc, 1):
        if not isinstance(f, dict):
            raise ValueError(f"{where}: finding {n} is not an object")
        bug, ids, day = f.get("bug"), f.get("trace_ids"), f.get("day")
        if bug not in KINDS:
            raise ValueError(f"{where}: finding {n}: bug must be one of {sorted(KINDS)}, got {bug!r}")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and len(i) >= 8 for i in ids):
            raise ValueError(f"{where}: finding {n}: trace_ids must be a non-empty list of trace ids (>= 8 hex chars)")
        if not isinstance(day, int) or isinstance(day, bool) or day < 1:
            raise ValueError(f"{where}: finding {n}: day must be a whole number >= 1 (day 1 is the first day)")
        out.append({"bug": bug, "trace_ids": ids, "day": day})
    return out


def _trace_dicts(store: Any, trace_id: str) -> list[dict[str, Any]]:
    return [asdict(s) for s in store.trace(trace_id)]


def first_day(store: Any, kind: str, start_ns: int) -> tuple[int | None, list[str]]:
    """The first day (1-based) on which any trace shows ``kind``, and the traces that show it."""
    sig = SIGNATURES[kind]
    showing: list[tuple[int, str]] = []
    for t in store.traces(limit=1_000_000):
        spans = _trace_dicts(store, t.trace_id)
        if sig(spans):
            showing.append((t.start_ns, t.trace_id))
    if not showing:
        return None, []
    showing.sort()
    return int((showing[0][0] - start_ns) / 1e9 // DAY_S) + 1, [tid for _, tid in showing]


def grade(findings: list[dict[str, Any]], run_dir: str | Path) -> Grade:
    """Grade validated findings against the run in ``run_dir``."""
    # here, not at the top: the world loads the tracing stack (OpenTelemetry)
    from labkit.capstone.world import load

    result = load(run_dir)
    store = result.store()
    sealed = set(result.params["defects_sealed"])
    salt = result.params["salt"]
    start_ns = int(datetime.fromisoformat(result.params["start"]).timestamp() * 1e9)
    grades = []
    for f in findings:
        planted = seal(salt, f["bug"]) in sealed
        g = FindingGrade(bug=f["bug"], planted=planted, traces_ok=0, traces_claimed=len(f["trace_ids"]),
                         day_ok=False)
        if not planted:
            g.messages.append("the run does not show this kind of bug; check your evidence")
            grades.append(g)
            continue
        g.messages.append("this kind of bug is planted in this run")
        for tid in f["trace_ids"]:
            try:
                full = store.resolve(tid)
            except (KeyError, ValueError):
                g.messages.append(f"trace {tid[:12]} is not in the store")
                continue
            if SIGNATURES[f["bug"]](_trace_dicts(store, full)):
                g.traces_ok += 1
            else:
                g.messages.append(f"trace {tid[:12]} does not show it")
        g.messages.append(f"{g.traces_ok}/{g.traces_claimed} traces prove it")
        day, _ = first_day(store, f["bug"], start_ns)
        g.day_ok = day == f["day"]
        g.messages.append("start day right" if g.day_ok else
                          f"start day {f['day']} is not when it first shows (look earlier or later)")
        grades.append(g)
    return Grade(grades, planted_count=len(sealed))


def find_bugs(run_dir: str | Path, per_bug: int = 2) -> list[dict[str, Any]]:
    """The reference solution: test every kind's signature over all traces; report those that show.

    It uses only the trace store (not the sealed key): this is what a learner can do from traces alone.
    """
    # here, not at the top: the world loads the tracing stack (OpenTelemetry)
    from labkit.capstone.world import load

    result = load(run_dir)
    store = result.store()
    start_ns = int(datetime.fromisoformat(result.params["start"]).timestamp() * 1e9)
    found = []
    for kind in KINDS:
        day, traces = first_day(store, kind, start_ns)
        if day is not None:
            found.append({"bug": kind, "trace_ids": traces[:per_bug], "day": day})
    return found
