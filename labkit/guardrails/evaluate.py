"""Measure a guard layer: detection and false-positive rates with Wilson intervals, per guard and per
kind of prompt, and latency per guard (p50/p95).

    >>> rows = eval_rows("test")                       # attacks + benign + golden questions
    >>> report = evaluate(guardrails.input_pipeline(), rows)
    >>> report.table()                                 # one row per guard, plus the whole layer
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labkit import data
from labkit.guardrails.core import Pipeline, PipelineResult

__all__ = ["JAILBREAK_KINDS", "EvalReport", "Rate", "evaluate", "eval_rows", "wilson"]

# The attack kinds the input layer's detection target is about (harmful requests are reported apart).
JAILBREAK_KINDS = ("jailbreak", "injection", "encoded")


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k/n``.

    Args:
        k: successes.
        n: trials.
        z: normal quantile (1.96 for 95 %).

    Returns:
        ``(low, high)``; ``(0.0, 1.0)`` when ``n == 0``.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """A proportion with its 95 % Wilson interval."""

    k: int
    n: int

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else float("nan")

    @property
    def ci(self) -> tuple[float, float]:
        return wilson(self.k, self.n)

    def __str__(self) -> str:
        lo, hi = self.ci
        return f"{self.rate:6.1%} [{lo:.1%}, {hi:.1%}] ({self.k}/{self.n})"


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


@dataclass
class EvalReport:
    """Results of :func:`evaluate`.

    Attributes:
        layer: the pipeline's name.
        guards: guard names in running order.
        rows: the evaluated rows, each with its :class:`PipelineResult` under ``"result"``.
        attack_kinds: kinds counted for the layer's detection rate.
    """

    layer: str
    guards: list[str]
    rows: list[dict[str, Any]]
    attack_kinds: tuple[str, ...] = JAILBREAK_KINDS
    notes: dict[str, Any] = field(default_factory=dict)

    def _fired(self, row: dict[str, Any], guard: str | None) -> bool:
        res: PipelineResult = row["result"]
        if guard is None:
            return not res.allowed
        v = res.verdict(guard)
        return v is not None and v.action == "block"

    def _attacks(self, kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
        wanted = set(kinds or self.attack_kinds)
        return [r for r in self.rows if r["label"] == "attack" and r.get("kind") in wanted]

    def _benign(self, kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
        rows = [r for r in self.rows if r["label"] == "benign"]
        if kinds is not None:
            wanted = set(kinds)
            rows = [r for r in rows if r.get("kind") in wanted or r.get("group") in wanted]
        return rows

    def detection(self, guard: str | None = None, kinds: Iterable[str] | None = None) -> Rate:
        """Share of attacks blocked (by ``guard`` alone, or by the layer when None)."""
        rows = self._attacks(kinds)
        return Rate(sum(self._fired(r, guard) for r in rows), len(rows))

    def false_positives(self, guard: str | None = None, kinds: Iterable[str] | None = None) -> Rate:
        """Share of benign prompts blocked (by ``guard`` alone, or by the layer when None)."""
        rows = self._benign(kinds)
        return Rate(sum(self._fired(r, guard) for r in rows), len(rows))

    def latency(self, guard: str | None = None, worked_only: bool = False) -> dict[str, float]:
        """p50/p95/max milliseconds of one guard, or of the whole layer (sum of its guards) when None.

        Args:
            guard: a guard name, or None for the layer.
            worked_only: leave out the prompts a guard skipped (a cascade's cheap exits).
        """
        if guard is None:
            ms = [r["result"].ms for r in self.rows]
        else:
            ms = [v.ms for r in self.rows for v in r["result"].verdicts
                  if v.guard == guard and not (worked_only and v.details.get("skipped"))]
        return {"p50_ms": _pct(ms, 50), "p95_ms": _pct(ms, 95), "max_ms": max(ms) if ms else float("nan")}

    def ran(self, guard: str) -> float:
        """Share of prompts on which ``guard`` did its work (1.0 unless it is behind a cascade)."""
        vs = [v for r in self.rows for v in r["result"].verdicts if v.guard == guard]
        return sum(not v.details.get("skipped") for v in vs) / len(vs) if vs else 0.0

    def misses(self, kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Attacks that got through the layer."""
        return [r for r in self._attacks(kinds) if r["result"].allowed]

    def false_positive_rows(self) -> list[dict[str, Any]]:
        """Benign prompts the layer blocked."""
        return [r for r in self._benign() if not r["result"].allowed]

    def by_kind(self) -> list[dict[str, Any]]:
        """Blocked share of each kind of prompt (attack kinds and benign kinds)."""
        kinds: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in self.rows:
            kinds.setdefault((r["label"], str(r.get("group") or r.get("kind"))), []).append(r)
        out = []
        for (label, kind), rows in sorted(kinds.items()):
            rate = Rate(sum(not r["result"].allowed for r in rows), len(rows))
            out.append({"label": label, "kind": kind, "blocked": rate.rate, "ci_low": rate.ci[0],
                        "ci_high": rate.ci[1], "n": rate.n})
        return out

    def table(self) -> Any:
        """A pandas DataFrame: per guard and for the whole layer, detection, false positives, latency."""
        import pandas as pd

        records = []
        for name in [*self.guards, None]:
            d, f, lat = self.detection(name), self.false_positives(name), self.latency(name)
            records.append({
                "guard": name or f"{self.layer} layer (any block)",
                "detection": d.rate, "det_ci_low": d.ci[0], "det_ci_high": d.ci[1],
                "false_pos": f.rate, "fp_ci_low": f.ci[0], "fp_ci_high": f.ci[1],
                "p50_ms": lat["p50_ms"], "p95_ms": lat["p95_ms"],
            })
        return pd.DataFrame(records).set_index("guard")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able numbers (no rows): per guard and layer rates with intervals, and latency."""
        def rate(r: Rate) -> dict[str, Any]:
            return {"rate": round(r.rate, 4), "ci95": [round(r.ci[0], 4), round(r.ci[1], 4)], "k": r.k, "n": r.n}

        out: dict[str, Any] = {"layer": self.layer, "attack_kinds": list(self.attack_kinds), "guards": {}}
        for name in [*self.guards, None]:
            out["guards"][name or "layer"] = {
                "detection": rate(self.detection(name)), "false_positives": rate(self.false_positives(name)),
                **{k: round(v, 3) for k, v in self.latency(name).items()},
            }
        out["by_kind"] = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
                          for row in self.by_kind()]
        return out


def evaluate(pipeline: Pipeline, rows: Sequence[dict[str, Any]], attack_kinds: tuple[str, ...] = JAILBREAK_KINDS,
             *, progress: bool = False) -> EvalReport:
    """Run every guard of ``pipeline`` on every row and collect the verdicts.

    Args:
        pipeline: the layer to measure; every guard runs on every row (``run_all``), so each guard's own
            rate is measured, and the layer's outcome is "blocked if any guard blocked".
        rows: dicts with ``text``, ``label`` ("attack" or "benign") and ``kind``.
        attack_kinds: attack kinds counted in :meth:`EvalReport.detection` by default.
        progress: show a progress bar.

    Returns:
        An :class:`EvalReport`.
    """
    bad = [i for i, r in enumerate(rows) if not isinstance(r.get("text"), str) or r.get("label") not in ("attack",
                                                                                                          "benign")]
    if bad:
        raise ValueError(f"rows {bad[:5]} need a str 'text' and a 'label' of 'attack' or 'benign'")
    iterator: Iterable[dict[str, Any]] = rows
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(rows, desc=f"{pipeline.name} layer")
    out = []
    for r in iterator:
        out.append({**r, "result": pipeline.run(r["text"], run_all=True)})
    return EvalReport(layer=pipeline.name, guards=pipeline.names, rows=out, attack_kinds=attack_kinds)


def eval_rows(split: str = "test", golden: bool = True) -> list[dict[str, Any]]:
    """The evaluation rows of one split: attacks, benign prompts and (optionally) the golden questions.

    Args:
        split: "test" for reported numbers, "train" for development.
        golden: add the golden questions of the matching split as benign traffic (kind "golden"): the
            golden "test" split with "test" (never trained on), its "dev" split with "train".

    Returns:
        Rows with ``id``, ``text``, ``label``, ``kind`` and ``group`` ("attack" kinds as they are; benign
        ones grouped into chatterbot / finance / instruction / written-* / golden).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")

    rows = []
    for r in data.records("attacks", split=split):
        rows.append({"id": r["id"], "text": r["text"], "label": "attack", "kind": r["kind"], "group": r["kind"],
                     "family": r.get("family")})
    for r in data.records("benign", split=split):
        group = "chatterbot" if r["kind"].startswith("chatterbot") else r["kind"]
        rows.append({"id": r["id"], "text": r["text"], "label": "benign", "kind": r["kind"], "group": group})
    if golden and "golden" in data.names():
        wanted = "test" if split == "test" else "dev"
        for r in (r for r in data.records("golden") if r.get("split") == wanted):
            rows.append({"id": r["id"], "text": r["question"], "label": "benign", "kind": "golden",
                         "group": "golden"})
    return rows
