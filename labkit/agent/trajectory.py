"""Scoring an agent's trajectory against a labelled task: tools, arguments, steps and the final answer.

Pure functions over plain data, so a trajectory built by hand scores exactly like one an agent made.
A task (a row of ``datasets/agent_tasks``) names the tools the agent should call in order, the
arguments they should get, and the facts the final answer should state. :func:`trajectory_score`
checks four things:

* **tools**: the expected tools were called in that order (other calls may come between);
* **arguments**: each of those calls had the expected arguments;
* **steps**: model calls against the fewest possible (one per expected tool call and one answer per
  turn), as an efficiency ``min_steps / steps`` capped at 1;
* **answer**: the last answer contains every expected fact.

A task is a **success** when tools, arguments and answer are all right and the guard did not stop it.
:func:`summarise` aggregates with bootstrap intervals (``labkit.evals.stats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labkit.evals.stats import Interval, bootstrap_ci


@dataclass(frozen=True)
class Call:
    """A tool call as the trajectory eval sees it: a name and its arguments."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Trajectory:
    """What an agent did on one task, over all its turns.

    Attributes:
        calls: tool calls in order.
        answers: the final answer of each turn.
        steps: model calls, over all turns.
        stopped: the guard stopped a turn.
    """

    calls: tuple[Call, ...]
    answers: tuple[str, ...]
    steps: int
    stopped: bool = False


@dataclass(frozen=True)
class TrajectoryScore:
    """One task's trajectory, scored. ``score`` is the mean of tools, arguments, answer and efficiency."""

    task_id: str
    kind: str
    right_tools: bool
    right_arguments: bool
    answer_has_facts: bool
    steps: int
    min_steps: int
    stopped: bool

    @property
    def efficiency(self) -> float:
        """``min_steps / steps``, at most 1; 0 when no step was taken or the guard stopped the task."""
        if self.stopped or not self.steps:
            return 0.0
        return min(1.0, self.min_steps / self.steps)

    @property
    def success(self) -> bool:
        return self.right_tools and self.right_arguments and self.answer_has_facts and not self.stopped

    @property
    def score(self) -> float:
        return (self.right_tools + self.right_arguments + self.answer_has_facts + self.efficiency) / 4


def min_steps(task: dict[str, Any]) -> int:
    """The fewest model calls a task needs: one per expected tool call and one answer per turn."""
    return len(task["expected_tools"]) + len(task["turns"])


def argument_matches(expected: str, actual: Any) -> bool:
    """Whether one argument fits its label: equal ignoring case, or (``~a|b``) contains one of the words."""
    if not isinstance(actual, str):
        return False
    value = actual.strip().lower()
    if expected.startswith("~"):
        return any(word.lower() in value for word in expected[1:].split("|") if word)
    return value == expected.strip().lower()


def _arguments_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    return all(argument_matches(str(v), actual.get(k)) for k, v in expected.items() if v is not None)


def match_calls(expected_tools: Sequence[str], calls: Sequence[Call]) -> list[Call] | None:
    """The calls that match the expected tools in order (the first of each), or None if one is missing."""
    matched, i = [], 0
    for name in expected_tools:
        while i < len(calls) and calls[i].name != name:
            i += 1
        if i == len(calls):
            return None
        matched.append(calls[i])
        i += 1
    return matched


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def has_facts(answer: str, facts: Sequence[str]) -> bool:
    """Whether every fact appears in the answer (case- and whitespace-insensitive)."""
    text = _normalise(answer)
    return all(_normalise(f) in text for f in facts)


def trajectory_score(task: dict[str, Any], trajectory: Trajectory) -> TrajectoryScore:
    """Score one trajectory against its task.

    Args:
        task: a ``datasets/agent_tasks`` row (``id``, ``kind``, ``turns``, ``expected_tools``,
            ``expected_arguments``, ``expected_facts``).
        trajectory: what the agent did.

    Returns:
        A :class:`TrajectoryScore`. Arguments are right only when the tools are (they are checked on
        the matched calls).
    """
    matched = match_calls(task["expected_tools"], trajectory.calls)
    right_arguments = matched is not None and all(
        _arguments_match(exp or {}, call.arguments)
        for exp, call in zip(task["expected_arguments"], matched, strict=True))
    final = trajectory.answers[-1] if trajectory.answers else ""
    return TrajectoryScore(task_id=task["id"], kind=task.get("kind", ""), right_tools=matched is not None,
                           right_arguments=right_arguments, answer_has_facts=has_facts(final, task["expected_facts"]),
                           steps=trajectory.steps, min_steps=min_steps(task), stopped=trajectory.stopped)


def conversation_check(task: dict[str, Any], trajectory: Trajectory) -> bool | None:
    """For a multi-turn task: did the follow-up use the earlier turn's context?

    The follow-up names no plan or account ("that plan"), so its tool call can only be right when the
    agent carried the first turn's result forward: the last expected call must have the expected
    arguments, and the last answer the expected facts.

    Returns:
        True or False for a task with several turns; None for a single-turn task.
    """
    if len(task["turns"]) < 2:
        return None
    last_tool, last_args = task["expected_tools"][-1], task["expected_arguments"][-1] or {}
    followups = [c for c in trajectory.calls if c.name == last_tool]
    carried = any(_arguments_match(last_args, c.arguments) for c in followups)
    return carried and has_facts(trajectory.answers[-1] if trajectory.answers else "", task["expected_facts"])


@dataclass(frozen=True)
class TrajectorySummary:
    """A set of scored trajectories, each rate with a bootstrap interval.

    Attributes:
        n: tasks.
        score / success / right_tools / right_arguments / answer_has_facts / efficiency: intervals of
            the per-task values.
        conversation: interval of :func:`conversation_check` over the multi-turn tasks (None without any).
        stopped: tasks the guard stopped.
        by_kind: kind -> interval of success.
    """

    n: int
    score: Interval
    success: Interval
    right_tools: Interval
    right_arguments: Interval
    answer_has_facts: Interval
    efficiency: Interval
    conversation: Interval | None
    stopped: int
    by_kind: dict[str, Interval]


def summarise(scores: Sequence[TrajectoryScore], conversation: Sequence[bool] = (), *,
              seed: int = 0) -> TrajectorySummary:
    """Aggregate scored trajectories with 95 % bootstrap intervals.

    Args:
        scores: one per task (at least one).
        conversation: :func:`conversation_check` results of the multi-turn tasks.
        seed: bootstrap seed.
    """
    if not scores:
        raise ValueError("no scores to summarise: run the eval on at least one task")

    def ci(values: Sequence[float]) -> Interval:
        return bootstrap_ci(values, seed=seed)

    kinds = sorted({s.kind for s in scores})
    return TrajectorySummary(
        n=len(scores), score=ci([s.score for s in scores]), success=ci([s.success for s in scores]),
        right_tools=ci([s.right_tools for s in scores]), right_arguments=ci([s.right_arguments for s in scores]),
        answer_has_facts=ci([s.answer_has_facts for s in scores]), efficiency=ci([s.efficiency for s in scores]),
        conversation=ci(list(conversation)) if conversation else None, stopped=sum(s.stopped for s in scores),
        by_kind={k: ci([s.success for s in scores if s.kind == k]) for k in kinds})
