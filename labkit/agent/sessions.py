"""What an agent run leaves behind: each tool call with its result, each turn, and the session.

A :class:`Session` keeps the conversation (every message, in order) across turns, so a follow-up
("and what does that plan cost?") is answered with the earlier turns in the prompt. Its ``id`` is
the ``session.id`` on every span of its turns.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from labkit.agent.guard import Stop
from labkit.agent.protocol import ToolCall


@dataclass(frozen=True)
class ToolStep:
    """One executed tool call: the call, what the tool returned, and whether it failed."""

    call: ToolCall
    result: Any
    error: str | None = None


@dataclass
class AgentRun:
    """One turn: the user's message, the tools called, the answer, and why it ended.

    Attributes:
        session_id: the session the turn belongs to.
        question: the user's message.
        answer: the final answer ("" when the guard stopped the turn first).
        tool_steps: executed tool calls, in order.
        model_calls: model calls this turn made (its steps).
        cost_usd: measured cost of those calls.
        stopped: the guard's :class:`~labkit.agent.guard.Stop` when it ended the turn, else None.
        protocol: ``"tools"`` or ``"json_schema"`` (see :mod:`labkit.agent.protocol`).
        trace_id: the turn's trace ("" when tracing is off).
    """

    session_id: str
    question: str
    answer: str = ""
    tool_steps: list[ToolStep] = field(default_factory=list)
    model_calls: int = 0
    cost_usd: float = 0.0
    stopped: Stop | None = None
    protocol: str = ""
    trace_id: str = ""

    @property
    def tools_called(self) -> list[str]:
        """Names of the tools called, in order."""
        return [s.call.name for s in self.tool_steps]


@dataclass
class Session:
    """A multi-turn conversation with one agent.

    Attributes:
        id: the ``session.id`` on its spans (a random UUID unless given).
        messages: the conversation as sent to the model (system prompt first).
        runs: one :class:`AgentRun` per turn.
    """

    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    messages: list[dict[str, Any]] = field(default_factory=list)
    runs: list[AgentRun] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        """Whether the guard stopped any turn of this session."""
        return any(r.stopped is not None for r in self.runs)
