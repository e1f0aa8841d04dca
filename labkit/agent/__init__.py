"""A small tool-calling agent over the Quaywise product, traced, guarded and evaluated.

    >>> from labkit import agent
    >>> a = agent.Agent(agent.quaywise_tools(), limits=agent.Limits(max_steps=6))
    >>> s = a.session()
    >>> a.run(s, "Which plan is account ACC-1009 on?").answer
    >>> result = agent.evaluate(a, agent.load_tasks()[:8])

* :mod:`~labkit.agent.tools`: ``search_kb``, ``get_plan_price``, ``lookup_account``, declared with JSON schemas.
* :mod:`~labkit.agent.protocol`: the OpenAI ``tools`` API, or JSON-schema constrained output where
  the endpoint does not answer tool calls.
* :mod:`~labkit.agent.loop`: the loop, traced (``invoke_agent`` > ``chat`` / ``execute_tool``).
* :mod:`~labkit.agent.guard`: step and cost limits per session.
* :mod:`~labkit.agent.sessions`: multi-turn sessions and what each turn did.
* :mod:`~labkit.agent.trajectory` and :mod:`~labkit.agent.evaluate`: the trajectory eval.
"""

from labkit.agent.evaluate import EvalResult, evaluate, load_tasks, run_task, trajectory_of
from labkit.agent.guard import (
    CONTEXT_LIMIT,
    COST_LIMIT,
    REPEATED_CALL,
    STEP_LIMIT,
    Limits,
    SessionGuard,
    Stop,
    repeated_call,
)
from labkit.agent.loop import SYSTEM, Agent
from labkit.agent.protocol import ModelTurn, ToolCall, choose_protocol, parse_reply, step_schema, tools_honoured
from labkit.agent.runaway import RunawayEndpoint
from labkit.agent.sessions import AgentRun, Session, ToolStep
from labkit.agent.tools import Tool, account_tool, plan_prices, price_tool, quaywise_tools, search_tool
from labkit.agent.trajectory import (
    Call,
    Trajectory,
    TrajectoryScore,
    TrajectorySummary,
    conversation_check,
    summarise,
    trajectory_score,
)

__all__ = [
    "CONTEXT_LIMIT", "COST_LIMIT", "REPEATED_CALL", "STEP_LIMIT", "SYSTEM", "Agent", "AgentRun", "Call", "EvalResult", "Limits", "ModelTurn", "RunawayEndpoint", "Session",
    "SessionGuard", "Stop", "Tool", "ToolCall", "ToolStep", "Trajectory", "TrajectoryScore", "TrajectorySummary",
    "account_tool", "choose_protocol", "conversation_check", "evaluate", "load_tasks", "parse_reply", "plan_prices",
    "price_tool", "quaywise_tools", "repeated_call", "run_task", "search_tool", "step_schema", "summarise", "tools_honoured",
    "trajectory_of", "trajectory_score",
]
