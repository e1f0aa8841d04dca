"""Running the agent on labelled tasks: one fresh session per task, every turn in it, then the score.

    >>> tasks = load_tasks()
    >>> result = evaluate(agent, tasks[:8])
    >>> result.summary.success, result.summary.conversation
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labkit.agent.loop import Agent
from labkit.agent.sessions import Session
from labkit.agent.trajectory import (
    Call,
    Trajectory,
    TrajectoryScore,
    TrajectorySummary,
    conversation_check,
    summarise,
    trajectory_score,
)


def load_tasks() -> list[dict[str, Any]]:
    """The labelled tasks of ``datasets/agent_tasks`` (see its datasheet)."""
    from labkit import data

    return data.records("agent_tasks")


def trajectory_of(session: Session) -> Trajectory:
    """A session's runs as one :class:`~labkit.agent.trajectory.Trajectory`."""
    calls = tuple(Call(s.call.name, s.call.arguments) for r in session.runs for s in r.tool_steps)
    return Trajectory(calls=calls, answers=tuple(r.answer for r in session.runs),
                      steps=sum(r.model_calls for r in session.runs), stopped=session.stopped)


def run_task(agent: Agent, task: dict[str, Any]) -> Session:
    """Play one task's turns in a new session (``session.id`` = ``agent-eval-<task id>``); stop at a guard stop."""
    session = agent.session(f"agent-eval-{task['id']}")
    for turn in task["turns"]:
        if agent.run(session, turn).stopped is not None:
            break
    return session


@dataclass
class EvalResult:
    """Scored trajectories of an eval run, with their summary and sessions (for their traces)."""

    scores: list[TrajectoryScore]
    conversation: list[bool]
    summary: TrajectorySummary
    sessions: list[Session]


def evaluate(agent: Agent, tasks: Sequence[dict[str, Any]], *, seed: int = 0) -> EvalResult:
    """Run and score the agent on every task.

    Args:
        agent: the agent under test.
        tasks: ``datasets/agent_tasks`` rows.
        seed: bootstrap seed of the summary.
    """
    sessions = [run_task(agent, t) for t in tasks]
    trajectories = [trajectory_of(s) for s in sessions]
    scores = [trajectory_score(t, tr) for t, tr in zip(tasks, trajectories, strict=True)]
    checks = [conversation_check(t, tr) for t, tr in zip(tasks, trajectories, strict=True)]
    conversation = [c for c in checks if c is not None]
    return EvalResult(scores, conversation, summarise(scores, conversation, seed=seed), sessions)
