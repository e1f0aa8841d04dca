"""The cost-quality frontier of every tier and every two-tier cascade threshold, from one run of each
tier (no new model calls)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from labkit.evals import metrics
from labkit.rag import is_abstention
from labkit.routing.tiers import TierResult


@dataclass(frozen=True)
class FrontierPoint:
    """One way of answering a question set: its mean cost, mean latency and quality."""

    label: str
    cost_per_query_usd: float
    latency_s: float
    quality: float
    escalation_rate: float = 0.0
    threshold: float | None = None
    on_frontier: bool = False


def golden_correct(row: Mapping[str, Any], text: str) -> bool:
    """Whether an answer is right for a golden row: the answer or an alias (or the number) appears in
    it; for an unanswerable question, the answer abstains."""
    if row.get("kind") == "unanswerable":
        return is_abstention(text)
    if metrics.contains(text, row.get("answer"), row.get("aliases") or []):
        return True
    return bool(metrics.numeric_match(text, row.get("numeric_value")))


def cascade_frontier(results: Mapping[str, Sequence[TierResult]], correct: Mapping[str, Sequence[bool]],
                     order: Sequence[str] | None = None,
                     *, thresholds: Sequence[float] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> list[FrontierPoint]:
    """Cost and quality of each tier alone and of two-tier cascades at several thresholds.

    One run of every tier on the same questions is enough: a cascade at threshold t costs the cheap
    tier on every question plus the expensive one where the cheap answer was not confident or failed
    its checks, and is right where the answer it serves is right.

    Args:
        results: tier name -> one :class:`TierResult` per question (same order for every tier).
        correct: tier name -> whether that tier's answer to each question is right.
        order: tiers cheapest first (the order of ``results`` by default).
        thresholds: confidence thresholds to try.

    Returns:
        Points, with ``on_frontier`` set for those no other point beats on both cost and quality.
    """
    names = list(order or results)
    if not names:
        raise ValueError("no tiers")
    n = {len(results[t]) for t in names} | {len(correct[t]) for t in names}
    if len(n) != 1 or 0 in n:
        raise ValueError(f"every tier needs one result and one correctness flag per question, got sizes {sorted(n)}")
    points = []
    for t in names:
        points.append(FrontierPoint(t, float(np.mean([r.cost_usd for r in results[t]])),
                                    float(np.mean([r.latency_s for r in results[t]])),
                                    float(np.mean(correct[t]))))
    for cheap, dear in zip(names, names[1:], strict=False):
        for th in thresholds:
            escalate = [not r.checks_passed or r.confidence < th for r in results[cheap]]
            cost = [a.cost_usd + (b.cost_usd if e else 0.0)
                    for a, b, e in zip(results[cheap], results[dear], escalate, strict=True)]
            lat = [a.latency_s + (b.latency_s if e else 0.0)
                   for a, b, e in zip(results[cheap], results[dear], escalate, strict=True)]
            ok = [cb if e else ca for ca, cb, e in zip(correct[cheap], correct[dear], escalate, strict=True)]
            points.append(FrontierPoint(f"{cheap}->{dear}@{th:.2f}", float(np.mean(cost)), float(np.mean(lat)),
                                        float(np.mean(ok)), float(np.mean(escalate)), th))
    return _mark_frontier(points)


def _mark_frontier(points: list[FrontierPoint]) -> list[FrontierPoint]:
    out = []
    for p in points:
        dominated = any((q.cost_per_query_usd <= p.cost_per_query_usd and q.quality >= p.quality)
                        and (q.cost_per_query_usd < p.cost_per_query_usd or q.quality > p.quality) for q in points)
        out.append(replace(p, on_frontier=not dominated))
    return out
