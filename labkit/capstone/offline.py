"""The offline regression gate for an assembled capstone service: the golden set, before the week.

The same dev questions go through the bare prototype and through the service with its layers, in a
clean environment (nothing planted, no provider faults, its own budget ledger), and
``labkit.evals.stats.gate`` compares token F1 question by question: the layers may block or degrade, but
they must not make ordinary answers worse beyond the interval.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit import data, llm
from labkit.capstone.env import Env, EnvConfig
from labkit.capstone.layers import Request, Service
from labkit.capstone.world import START
from labkit.clock import RunningClock
from labkit.evals import stats
from labkit.evals.metrics import token_f1
from labkit.rag import RagApp, RagConfig


@dataclass
class GoldenGate:
    """The gate's verdict, the questions it used and both services' answers and scores."""

    result: stats.GateResult
    questions: list[str]
    baseline: list[tuple[str, str, float]]  # (status, answer, token F1) per question
    candidate: list[tuple[str, str, float]]

    @property
    def passed(self) -> bool:
        return self.result.passed


def _answers(service: Service, rows: list[dict[str, Any]], rag: RagApp, workdir: Path) -> list[tuple[str, str, float]]:
    clock = RunningClock(START)
    env = Env(plan=[], config=EnvConfig(), rag=rag, client=llm.client(max_retries=2, timeout=60.0), clock=clock,
              workdir=workdir, salt="offline-gate", t0_ns=int(START.timestamp() * 1e9))
    out = []
    for n, row in enumerate(rows):
        req = Request(id=f"golden-{row['id']}", text=row["question"], user=f"u-gate-{n}", tenant=row.get("tenant")
                      or "shared", route="/v1/chat", day=1, call=env.call, env=env)
        response = service(req)
        out.append((response.status, response.text, token_f1(response.text, row["answer"])))
    return out


def golden_gate(service: Service, *, baseline: Service, n: int = 8, max_drop: float = 0.02) -> GoldenGate:
    """Run ``n`` answerable dev questions through ``baseline`` and ``service``; gate on token F1.

    Args:
        service: the assembled service (the candidate).
        baseline: the prototype it was built from.
        n: dev questions (the first ``n`` answerable ones, in file order: never the test split).
        max_drop: the drop in mean token F1 tolerated even when it is certain.

    Returns:
        A :class:`GoldenGate`; ``result.report()`` is the gate's table.
    """
    rows = [r for r in data.records("golden") if r.get("split") == "dev" and r["kind"] != "unanswerable"][:n]
    rag = RagApp(config=RagConfig(k=3, max_tokens=48))
    with tempfile.TemporaryDirectory() as tmp:
        base = _answers(baseline, rows, rag, Path(tmp) / "baseline")
        cand = _answers(service, rows, rag, Path(tmp) / "candidate")
    result = stats.gate({"token_f1": [s for _, _, s in base]}, {"token_f1": [s for _, _, s in cand]},
                        max_drop=max_drop)
    return GoldenGate(result, [r["question"] for r in rows], base, cand)
