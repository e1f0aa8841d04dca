"""labkit.agent: trajectory eval of the tool-calling agent and the runaway-loop guard.

* The agent (embedded SmolLM2 unless an endpoint is configured) on every task of
  ``datasets/agent_tasks``: right tools, right arguments, steps against the minimum, the expected
  fact in the final answer, success, and the conversation-level check of the multi-turn tasks,
  each with a 95 % bootstrap interval; guard stops by reason.
* The guard against a runaway endpoint (``labkit.agent.RunawayEndpoint``, which always asks for
  another tool call): sessions stopped, and by which limit.
Targets: every runaway session is stopped by the guard; the eval covers at least 40 tasks. The
score itself has no target: it is reported as measured (the 135M model scores low).
"""

from __future__ import annotations

import collections
import os
import time
from dataclasses import asdict
from typing import Any

from labkit import agent, llm, tracing
from labkit.evals.stats import Interval

RUNAWAY_SESSIONS = 10


def _ci(i: Interval | None) -> dict[str, float] | None:
    return None if i is None else {k: round(float(v), 4) for k, v in asdict(i).items() if k != "confidence"}


def _eval(tools: dict[str, agent.Tool]) -> dict[str, Any]:
    a = agent.Agent(tools)
    tasks = agent.load_tasks()
    t0 = time.perf_counter()
    result = agent.evaluate(a, tasks)
    s = result.summary
    reasons = collections.Counter(r.stopped.reason for sess in result.sessions for r in sess.runs if r.stopped)
    return {
        "model": a.model, "backend": llm.backend(), "protocol": a.protocol, "tasks": s.n,
        "limits": asdict(a.limits), "seconds": round(time.perf_counter() - t0, 1),
        "score": _ci(s.score), "success": _ci(s.success), "right_tools": _ci(s.right_tools),
        "right_arguments": _ci(s.right_arguments), "answer_has_facts": _ci(s.answer_has_facts),
        "efficiency": _ci(s.efficiency), "conversation_check": _ci(s.conversation),
        "success_by_kind": {k: _ci(v) for k, v in s.by_kind.items()},
        "sessions_stopped_by_guard": s.stopped, "stops_by_reason": dict(reasons),
        "model_calls": sum(r.model_calls for sess in result.sessions for r in sess.runs),
        "per_task": [{"id": sc.task_id, "kind": sc.kind, "tools": sc.right_tools, "arguments": sc.right_arguments,
                      "answer": sc.answer_has_facts, "steps": sc.steps, "min_steps": sc.min_steps,
                      "stopped": sc.stopped} for sc in result.scores],
    }


def _runaway(tools: dict[str, agent.Tool], model: str) -> dict[str, Any]:
    reasons: collections.Counter[str] = collections.Counter()
    limits = [agent.Limits(max_steps=6), agent.Limits(max_steps=1000, max_cost_usd=0.0005)]
    with agent.RunawayEndpoint(model) as url:
        for i in range(RUNAWAY_SESSIONS):
            a = agent.Agent(tools, client=tracing.traced_client(url, max_retries=0), model=model, protocol="tools",
                            limits=limits[i % 2])
            run = a.run(a.session(f"runaway-{i}"), "Which plan is ACC-1001 on?")
            reasons[run.stopped.reason if run.stopped else "not stopped"] += 1
    return {"sessions": RUNAWAY_SESSIONS, "stopped": RUNAWAY_SESSIONS - reasons["not stopped"],
            "by_reason": dict(reasons)}


def run() -> dict:
    tools = agent.quaywise_tools()
    evaluation = _eval(tools)
    runaway = _runaway(tools, evaluation["model"])
    return {
        "method": __doc__.strip().splitlines()[0], "load_average_1m": round(os.getloadavg()[0], 2),
        "eval": evaluation, "runaway": runaway,
        "targets": [
            {"name": "runaway sessions stopped by the guard", "value": runaway["stopped"],
             "target": f"== {RUNAWAY_SESSIONS}", "met": runaway["stopped"] == RUNAWAY_SESSIONS},
            {"name": "labelled tasks in the trajectory eval", "value": evaluation["tasks"], "target": ">= 40",
             "met": evaluation["tasks"] >= 40},
        ],
    }
