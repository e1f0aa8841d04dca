"""Check a capstone week from its traces alone: the layers, the findings, the fix.

``check(findings, run_dir)`` first verifies every layer from the stored spans (a root span per request,
``guard.input`` before and ``guard.output`` after every ``chat`` span, a ``budget.reserve`` span around
every model call and spend within the daily cap, evaluation spans on sampled requests). Then each
finding is judged on its evidence first: the claimed traces must show the kind (its signature in
:mod:`labkit.capstone.plan`). A claim whose traces do not show it gets one reply, planted or not; the day
is judged only once the evidence holds, and a wrong day gets no direction. A finding may name a
``fix_run`` (a replay of the affected days); :func:`fix_verdict` states when it proves the fix.

Findings file (JSON)::

    {"findings": [{"bug": "reingest-drop", "trace_ids": ["4bf9...", ...], "day": 3, "fix_run": "runs/fix"}]}
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labkit.capstone.plan import DAY_S, KINDS, SIGNATURES, Baseline, Span, _unseal, attr
from labkit.evals.stats import bootstrap_ci, paired_test
from labkit.files import input_file
from labkit.tracing import SpanStore

EVIDENCE = {  # what a trace must hold, in spans and attributes
    "prompt-template": "a rag.generate span whose rag.prompt.sha differs from every day-1 value",
    "reingest-drop": "a rag.retrieve span whose rag.index.documents is below day 1's",
    "retry-setting": "a chat span that failed (error.type) followed by another chat span less than 0.2 s later",
    "price-change": "a budget.reserve span whose budget.cost_usd per token is over 1.5x day 1's",
    "stale-tool-data": "an execute_tool span whose tool.data_as_of differs from day 1's",
    "runaway-loop": "three or more execute_tool spans for the same tool in one trace",
    "cache-tenant": "a rag.retrieve span whose rag.retrieved_tenants holds a tenant other than its rag.tenant "
                    "and 'shared'",
    "model-swap": "a chat span whose gen_ai.response.model differs from every day-1 value",
}
MIN_PAIRS = 5  # requests scored in both runs before the paired test is read


@dataclass
class Week:
    """A run's spans grouped by trace, its start, and its request ids."""

    dir: Path
    info: dict[str, Any]
    traces: dict[str, list[Span]]
    request_ids: list[str]
    t0_ns: int

    def day_of(self, spans: list[Span]) -> int:
        return int((min(s["start_ns"] for s in spans) - self.t0_ns) / 1e9 // DAY_S) + 1


def load_week(run_dir: str | Path) -> Week:
    """Read a run directory written by ``run_week``; one clear error if it is not one."""
    from labkit.capstone.world import START

    d = Path(run_dir)
    if not (d / "run.json").exists() or not (d / "traces.sqlite").exists():
        raise FileNotFoundError(f"{d} is not a finished capstone week; make one with `labkit capstone run --out {d}`")
    info = json.loads((d / "run.json").read_text())
    traces: dict[str, list[Span]] = defaultdict(list)
    for s in SpanStore(d / "traces.sqlite").spans():
        traces[s.trace_id].append(asdict(s))
    ids = [json.loads(line)["request_id"] for line in (d / "results.jsonl").read_text().splitlines() if line]
    return Week(d, info, dict(traces), ids, int(START.timestamp() * 1e9))


def baseline(week: Week) -> Baseline:
    """Day 1 of the week, from its traces (no plant switches on before day 2)."""
    day1 = [s for spans in week.traces.values() if week.day_of(spans) == 1 for s in spans]
    rates = [attr(s, "budget.cost_usd") / t for s in day1
             if attr(s, "budget.cost_usd") and (t := (attr(s, "gen_ai.usage.input_tokens") or 0)
                                                 + (attr(s, "gen_ai.usage.output_tokens") or 0))]
    docs = [attr(s, "rag.index.documents") for s in day1 if attr(s, "rag.index.documents") is not None]
    return Baseline(prompt_shas=frozenset(attr(s, "rag.prompt.sha") for s in day1 if attr(s, "rag.prompt.sha")),
                    index_documents=max(docs, default=0), usd_per_token=min(rates, default=0.0),
                    account_as_of=frozenset(attr(s, "tool.data_as_of") for s in day1 if attr(s, "tool.data_as_of")),
                    response_models=frozenset(attr(s, "gen_ai.response.model") for s in day1
                                              if attr(s, "gen_ai.response.model")))


# ------------------------------------------------------------------ layers
def _before(spans: list[Span], name: str, call: Span) -> bool:
    return any(s["name"] == name and s["end_ns"] <= call["start_ns"] for s in spans)


def layer_problems(week: Week) -> list[str]:
    """One line per missing or broken layer (empty when every layer is there)."""
    problems = []
    roots = [s for spans in week.traces.values() for s in spans if not s["parent_id"]]
    rooted = [attr(s, "labkit.request_id") for s in roots if attr(s, "labkit.request_id")]
    stray = len(roots) - len(rooted)
    if sorted(rooted) != sorted(week.request_ids) or stray:
        missing = len(set(week.request_ids) - set(rooted))
        problems.append(f"tracing: {missing} of {len(week.request_ids)} requests have no root span with "
                        f"labkit.request_id and {stray} traces have some other root (one root trace per request)")
    calls = [(spans, c) for spans in week.traces.values() for c in spans if attr(c, "gen_ai.operation.name") == "chat"]
    no_in = sum(not _before(spans, "guard.input", c) for spans, c in calls)
    if no_in:
        problems.append(f"input guard: {no_in} of {len(calls)} chat spans have no guard.input span before them")
    ok_calls = [(spans, c) for spans, c in calls if not attr(c, "error.type")]
    no_out = sum(not any(s["name"] == "guard.output" and s["start_ns"] >= c["end_ns"] for s in spans)
                 for spans, c in ok_calls)
    if no_out:
        problems.append(f"output guard: {no_out} of {len(ok_calls)} answered chat spans have no guard.output after")
    unbudgeted = sum(not any(s["name"] == "budget.reserve" and s["start_ns"] <= c["start_ns"]
                             and s["end_ns"] >= c["end_ns"] for s in spans) for spans, c in calls)
    if unbudgeted:
        problems.append(f"cost cap: {unbudgeted} of {len(calls)} chat spans sit in no budget.reserve span")
    problems += _over_cap(week)
    answered = [spans for spans in week.traces.values() if any(attr(s, "labkit.status") == "answered" for s in spans)]
    scored = sum(any(attr(s, "gen_ai.evaluation.score.value") is not None for s in spans) for spans in answered)
    if answered and scored < max(1, len(answered) // 10):
        problems.append(f"online eval: {scored} of {len(answered)} answered traces carry an evaluation span "
                        f"(gen_ai.evaluation.score.value); sample at least a tenth")
    return problems


def _over_cap(week: Week) -> list[str]:
    spent: dict[int, float] = defaultdict(float)
    caps: dict[int, float] = {}
    for spans in week.traces.values():
        for s in spans:
            if s["name"] == "budget.reserve":
                day = week.day_of([s])
                spent[day] += float(attr(s, "budget.cost_usd") or 0.0)
                caps[day] = float(attr(s, "budget.daily_cap_usd") or 0.0)
    return [f"cost cap: day {d} spent ${spent[d]:.6f}, over its daily cap ${caps[d]:.6f}"
            for d in sorted(spent) if spent[d] > caps[d] + 1e-12]


# ------------------------------------------------------------------ findings
@dataclass
class Verdict:
    bug: str
    evidence: bool = False
    day_ok: bool = False
    fixed: bool = False
    lines: list[str] = field(default_factory=list)


def read_findings(path: str | Path) -> list[dict[str, Any]]:
    """Read a findings file; one clear error for anything malformed."""
    p = input_file(path, "a findings file (JSON)")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{p} is not JSON ({exc}); expected {{\"findings\": [...]}}") from None
    items = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise ValueError(f'{p}: expected {{"findings": [{{"bug": ..., "trace_ids": [...], "day": N}}]}}')
    for n, f in enumerate(items, 1):
        if not isinstance(f, dict) or f.get("bug") not in KINDS:
            raise ValueError(f"{p}: finding {n}: bug must be one of `labkit capstone kinds`")
        ids = f.get("trace_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and len(i) >= 8 for i in ids):
            raise ValueError(f"{p}: finding {n}: trace_ids must be a non-empty list of trace ids (>= 8 hex chars)")
        if not isinstance(f.get("day"), int) or isinstance(f.get("day"), bool) or f["day"] < 1:
            raise ValueError(f"{p}: finding {n}: day must be a whole number >= 1")
    return items


def _resolve(week: Week, tid: str) -> str | None:
    matches = [t for t in week.traces if t.startswith(tid.lower())]
    return matches[0] if len(matches) == 1 else None


def _first_day(week: Week, kind: str, base: Baseline) -> int | None:
    days = [week.day_of(spans) for spans in week.traces.values() if SIGNATURES[kind](spans, base)]
    return min(days, default=None)


def request_scores(week: Week) -> dict[str, tuple[float, int]]:
    """Online-eval score and trace start (ns) of each scored request, keyed by its root's labkit.request_id."""
    out = {}
    for spans in week.traces.values():
        rid = next((attr(s, "labkit.request_id") for s in spans if not s["parent_id"]), None)
        score = next((attr(s, "gen_ai.evaluation.score.value") for s in spans
                      if attr(s, "gen_ai.evaluation.score.value") is not None), None)
        if rid is not None and score is not None:
            out[str(rid)] = (float(score), min(s["start_ns"] for s in spans))
    return out


def judge(week: Week, finding: dict[str, Any], base: Baseline) -> Verdict:
    """Evidence first, then the day, then the fix."""
    kind = finding["bug"]
    v = Verdict(kind)
    shown = 0
    for tid in finding["trace_ids"]:
        full = _resolve(week, tid)
        shown += bool(full and SIGNATURES[kind](week.traces[full], base))
    if shown < len(finding["trace_ids"]):
        v.lines.append(f"{shown} of {len(finding['trace_ids'])} traces show it; the evidence needs {EVIDENCE[kind]}")
        return v
    v.evidence = True
    v.day_ok = _first_day(week, kind, base) == finding["day"]
    v.lines.append("evidence holds" + ("; day right" if v.day_ok else
                                       f"; day {finding['day']} is not the day the first such trace appears"))
    if v.day_ok and finding.get("fix_run"):
        v.fixed, why = _fix_proven(week, kind, Path(finding["fix_run"]), base)
        v.lines.append(why)
    return v


def _fix_proven(week: Week, kind: str, fix_dir: Path, base: Baseline) -> tuple[bool, str]:
    try:
        fix = load_week(fix_dir)
    except FileNotFoundError as exc:
        return False, f"fix not proven: {exc}"
    if fix.info.get("run_id") != week.info.get("run_id") or not fix.info.get("replay_of"):
        return False, f"fix not proven: {fix_dir} is not a replay of this week (run_week(..., replay=RUN))"
    return fix_verdict(week, fix, kind, base=base)


def fix_verdict(week: Week, fix: Week, kind: str, *, base: Baseline) -> tuple[bool, str]:
    """Does the replay ``fix`` prove the fix of ``kind`` in ``week``? Returns (proven, one line why).

    The rule: (1) no trace of the re-run shows the kind's signature; (2) at least ``MIN_PAIRS``
    requests that the original served from its first trace showing the signature onward were scored
    by the online eval in both runs (same request ids); (3) the paired test on them
    (``labkit.evals.stats.paired_test``, original then re-run) shows no drop left: the re-run must
    not score lower than the original on the same requests (paired interval not wholly below 0),
    and when the original scores sat below day 1's (bootstrap interval wholly under day 1's mean),
    the re-run's must not (its interval reaches day 1's mean). A 135M model's online eval is noisy:
    a dozen paired requests rarely show a rise outside the noise, but a drop that stays shows.
    """
    still = sum(SIGNATURES[kind](spans, base) for spans in fix.traces.values())
    if still:
        return False, f"fix not proven: {still} traces of the re-run still show {EVIDENCE[kind]}"
    first = min((min(s["start_ns"] for s in spans) for spans in week.traces.values()
                 if SIGNATURES[kind](spans, base)), default=None)
    before, after = request_scores(week), request_scores(fix)
    ids = sorted(r for r, (_, t) in before.items() if first is not None and t >= first and r in after)
    if len(ids) < MIN_PAIRS:
        return False, (f"fix not proven: {len(ids)} requests from the first such trace on carry "
                       f"gen_ai.evaluation.score.value in both runs; the paired test needs {MIN_PAIRS} "
                       f"(replay more of the affected days, or score a larger share)")
    orig, new = [before[r][0] for r in ids], [after[r][0] for r in ids]
    test = paired_test(orig, new)
    day1 = [score for score, t in before.values() if week.day_of([{"start_ns": t}]) == 1]
    dropped = len(day1) >= 2 and bootstrap_ci(orig).high < sum(day1) / len(day1)
    moved = f"on {len(ids)} requests scored in both runs the online eval moved {test.diff:+.3f} " \
            f"[{test.low:+.3f}, {test.high:+.3f}] (paired)"
    if dropped and bootstrap_ci(new).high < sum(day1) / len(day1):
        return False, (f"fix not proven: {moved}; their original scores sat below day 1's "
                       f"({sum(orig) / len(orig):.2f} vs {sum(day1) / len(day1):.2f}) and the re-run's still do "
                       f"({sum(new) / len(new):.2f})")
    if test.high < 0:
        return False, f"fix not proven: {moved}; the re-run scores lower on the same requests"
    return True, f"fix proven: no trace of the re-run shows the signature, and {moved}"


@dataclass
class Result:
    layers: list[str]
    verdicts: list[Verdict]
    passed: bool

    def text(self) -> str:
        lines = ["layers: all present" if not self.layers else "layers missing or broken:"]
        lines += [f"  - {p}" for p in self.layers]
        for v in self.verdicts:
            lines.append(f"{'ok' if v.evidence and v.day_ok else '--'} {v.bug}: " + "; ".join(v.lines))
        lines.append("PASS" if self.passed else "not passed: every layer, every planted bug found with evidence and "
                     "its day, and one fix proven are needed")
        return "\n".join(lines)


def check(findings: list[dict[str, Any]], run_dir: str | Path) -> Result:
    """Check layers and findings against a run made by ``run_week``.

    Args:
        findings: validated findings (see :func:`read_findings`).
        run_dir: the run directory.

    Returns:
        A :class:`Result`; ``text()`` is what the command prints.
    """
    week = load_week(run_dir)
    base = baseline(week)
    layers = layer_problems(week)
    verdicts = [judge(week, f, base) for f in findings]
    planted = {p.kind for p in _unseal(week.info["plan"], week.info["run_id"])}
    found = {v.bug for v in verdicts if v.evidence and v.day_ok}
    passed = not layers and planted <= found and any(v.fixed for v in verdicts)
    return Result(layers, verdicts, passed)
