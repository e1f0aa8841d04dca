"""The guard against runaway agents: a step limit and a cost limit per session.

An agent that keeps calling tools (a model that never decides it is done, a tool that always says
"call me again") costs money on every step and never answers. Before each model call the guard
checks the session's step count, then reserves the call's worst-case cost in a
:class:`labkit.budget.Budget` whose per-user cap is the session's cost limit (the session id is the
"user"). A refused reservation stops the session before the call is made; after the call the
reservation is settled with the measured cost.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from labkit.budget import Budget, BudgetExceeded, Caps, Reservation

STEP_LIMIT = "step_limit"
COST_LIMIT = "cost_limit"
CONTEXT_LIMIT = "context_limit"
REPEATED_CALL = "repeated_call"


@dataclass(frozen=True)
class Limits:
    """How far one session may go.

    Attributes:
        max_steps: model calls per session, over all its turns.
        max_cost_usd: spend per session (notional on a local model).
        max_tokens: output cap of each model call (also bounds the reserved cost).
        max_prompt_tokens: the conversation may grow to about this many tokens (the estimate of
            :func:`estimate_tokens`); keep it under the model's context (2,048 per slot on the embedded server).
        max_repeats: the same tool call (name and arguments) may be made this many times in one turn;
            one more is a loop (its result cannot change), and the turn stops.
    """

    max_steps: int = 6
    max_cost_usd: float = 0.01
    max_tokens: int = 128
    max_prompt_tokens: int = 1800
    max_repeats: int = 2

    def __post_init__(self) -> None:
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 1:
            raise ValueError(f"max_steps must be an int >= 1, got {self.max_steps!r}")
        if not isinstance(self.max_cost_usd, (int, float)) or not math.isfinite(self.max_cost_usd) \
                or self.max_cost_usd <= 0:
            raise ValueError(f"max_cost_usd must be a positive number of dollars, got {self.max_cost_usd!r}")
        if self.max_tokens < 1 or self.max_prompt_tokens < 1 or self.max_repeats < 1:
            raise ValueError(f"max_tokens, max_prompt_tokens and max_repeats must be >= 1, got {self.max_tokens}, "
                             f"{self.max_prompt_tokens}, {self.max_repeats}")


@dataclass(frozen=True)
class Stop:
    """Why a session was stopped: ``reason`` is ``step_limit``, ``cost_limit``, ``context_limit`` or ``repeated_call``;
    ``message`` says it in words."""

    reason: str
    message: str


def estimate_tokens(messages: list[dict[str, Any]], tools: Any = None) -> int:
    """A generous prompt-token estimate: one token per three characters of the request."""
    return (len(json.dumps(messages, default=str)) + len(json.dumps(tools, default=str) if tools else "")) // 3 + 16


def repeated_call(calls: list[tuple[str, dict[str, Any]]], max_repeats: int) -> Stop | None:
    """A :class:`Stop` when the last call (name, arguments) appears more than ``max_repeats`` times in ``calls``.

    Args:
        calls: this turn's tool calls so far, the newest last.
        max_repeats: how many identical calls are allowed.
    """
    if not calls:
        return None
    name, args = calls[-1]
    seen = sum(1 for c in calls if c == (name, args))
    if seen <= max_repeats:
        return None
    return Stop(REPEATED_CALL, f"stopped: {name}({json.dumps(args, sort_keys=True)}) was called {seen} times in this "
                               f"turn with the same arguments (Limits.max_repeats={max_repeats}); its result "
                               f"cannot change, so the agent is looping")


class SessionGuard:
    """Counts a session's steps and spend, and refuses the step that would pass a limit.

    Args:
        limits: the :class:`Limits`.
        price: ``(model, input_tokens, output_tokens) -> USD or None``; ``labkit.llm.cost`` by default.
            An unpriced model costs 0, so only the step limit binds.
        budget: where spend is reserved; a private in-memory :class:`Budget` by default.
    """

    def __init__(self, limits: Limits, *, price: Any = None, budget: Budget | None = None) -> None:
        if price is None:
            from labkit import llm

            price = llm.cost
        self.limits, self.price = limits, price
        self.budget = budget or Budget(":memory:", Caps(per_user_usd=limits.max_cost_usd), window_s=86_400 * 365)
        self.steps: dict[str, int] = {}

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """USD of a call (0 when the model has no price)."""
        usd = self.price(model, input_tokens, output_tokens)
        return float(usd) if usd is not None else 0.0

    def admit(self, session_id: str, model: str, prompt_tokens: int) -> Reservation | Stop:
        """Reserve the next step's worst-case cost, or say why the session must stop.

        Args:
            session_id: whose step.
            model: the model about to be called.
            prompt_tokens: an upper estimate of the call's prompt.

        Returns:
            A pending reservation (settle it with :meth:`settle`), or a :class:`Stop`.
        """
        taken = self.steps.get(session_id, 0)
        if taken >= self.limits.max_steps:
            return Stop(STEP_LIMIT, f"stopped: {taken} model calls is this session's step limit "
                                    f"(Limits.max_steps={self.limits.max_steps}) and no final answer came")
        if prompt_tokens > self.limits.max_prompt_tokens:
            return Stop(CONTEXT_LIMIT, f"stopped: the conversation is about {prompt_tokens} tokens, over "
                                       f"Limits.max_prompt_tokens={self.limits.max_prompt_tokens}; start a new session")
        worst = self.cost(model, prompt_tokens, self.limits.max_tokens)
        try:
            reservation = self.budget.reserve(session_id, worst, note=f"step {taken + 1}")
        except BudgetExceeded as exc:
            return Stop(COST_LIMIT, f"stopped: the next call could cost ${worst:.6f} and the session has spent or "
                                    f"reserved ${exc.spent_usd:.6f} of its ${self.limits.max_cost_usd:.6f} limit "
                                    f"(Limits.max_cost_usd)")
        self.steps[session_id] = taken + 1
        return reservation

    def settle(self, reservation: Reservation, usd: float | None) -> None:
        """Record a finished call's measured cost; ``None`` (the call failed) releases the reservation."""
        if usd is None:
            self.budget.release(reservation)
        else:
            self.budget.settle(reservation, usd)

    def spent(self, session_id: str) -> float:
        """USD this session has spent or reserved."""
        return self.budget.spend(session_id).total_usd
