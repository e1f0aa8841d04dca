"""The agent loop: ask the model, run the tools it names, give it the results, until it answers.

Every turn is one trace: an ``invoke_agent`` root span, a ``chat`` span per model call (made by
``labkit.tracing``'s model-client hooks) and an ``execute_tool`` span per tool call, following the
OpenTelemetry GenAI conventions. The guard (:mod:`labkit.agent.guard`) is asked before every model
call and stops a runaway session with its reason.

    >>> agent = Agent(quaywise_tools())
    >>> s = agent.session()
    >>> agent.run(s, "Which plan is account ACC-1009 on?").answer
    >>> agent.run(s, "And what does that plan cost per user, billed annually?").answer
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Span, Status, StatusCode

from labkit import tracing
from labkit.agent import protocol as proto
from labkit.agent.guard import Limits, SessionGuard, Stop, estimate_tokens, repeated_call
from labkit.agent.sessions import AgentRun, Session, ToolStep
from labkit.agent.tools import Tool

SYSTEM = """You are the support agent of Quaywise, a forms and approvals product. Use a tool to find facts; never guess.
Tools:
- get_plan_price(plan, billing): a plan's price per user per month. plan: free, starter, team, business, enterprise. billing: monthly or annual.
- lookup_account(account_id): an account's plan, billing, seats, status, region, renewal date. Ids look like ACC-1001.
- search_kb(query): search the help centre for anything else.
When a tool has given you the fact, answer the user in one sentence that states it."""

AGENT_NAME = "quaywise-support"


def _mark_error(span: Span, error_type: str, message: str) -> None:
    """Mark a span failed (a no-op on the non-recording span of untraced code)."""
    span.set_status(Status(StatusCode.ERROR, message))
    span.set_attribute("error.type", error_type)


class Agent:
    """A tool-calling agent over an OpenAI-compatible endpoint.

    Args:
        tools: the tools it may call (a list, or a dict name -> tool).
        client: an ``openai.OpenAI``; ``labkit.llm.client()`` by default (its calls get ``chat`` spans).
        model: the model; ``llm.model_for("chat")`` by default.
        limits: step and cost limits per session.
        protocol: ``"tools"`` or ``"json_schema"``; by default chosen from ``llm.capabilities()``
            (see :mod:`labkit.agent.protocol`).
        price: ``(model, input_tokens, output_tokens) -> USD or None``; ``labkit.llm.cost`` by default.
        system_prompt: the first message of every session.
        name: ``gen_ai.agent.name`` on the spans.
    """

    def __init__(self, tools: list[Tool] | dict[str, Tool], *, client: Any = None, model: str | None = None,
                 limits: Limits | None = None, protocol: str | None = None, price: Any = None,
                 system_prompt: str = SYSTEM, name: str = AGENT_NAME) -> None:
        self.tools = dict(tools) if isinstance(tools, dict) else {t.name: t for t in tools}
        if not self.tools:
            raise ValueError("an agent needs at least one tool")
        if protocol not in (None, "tools", "json_schema"):
            raise ValueError(f"protocol must be 'tools', 'json_schema' or None (chosen from the endpoint), "
                             f"got {protocol!r}")
        from labkit import llm

        self.client: Any = client if client is not None else llm.client()
        self.model = model or llm.model_for("chat")
        self.limits = limits or Limits()
        self.guard = SessionGuard(self.limits, price=price)
        self.system_prompt, self.name = system_prompt, name
        self._protocol = protocol

    @property
    def protocol(self) -> str:
        """How tool calls are requested on this endpoint (decided on first use)."""
        if self._protocol is None:
            from labkit import llm

            caps = llm.capabilities()
            answered = caps.tools and proto.tools_honoured(self.client, self.model, llm.base_url())
            self._protocol = proto.choose_protocol(tools_accepted=caps.tools, tools_answered=answered,
                                                   json_schema=caps.json_schema)
        return self._protocol

    def session(self, session_id: str | None = None) -> Session:
        """A new conversation, starting with the system prompt."""
        s = Session(id=session_id) if session_id else Session()
        s.messages.append({"role": "system", "content": self.system_prompt})
        return s

    def run(self, session: Session, message: str) -> AgentRun:
        """One turn: the user's ``message``, answered with as many tool calls as the guard allows.

        Args:
            session: the conversation (from :meth:`session`); the turn is appended to it.
            message: what the user says.

        Returns:
            The :class:`~labkit.agent.sessions.AgentRun`; ``stopped`` says why when the guard ended it.
        """
        if not isinstance(message, str) or not message.strip():
            raise ValueError("message must be a non-empty string")
        protocol = self.protocol
        run = AgentRun(session.id, message, protocol=protocol)
        session.messages.append({"role": "user", "content": message})
        # AGENT: the kind OpenInference UIs (Phoenix) give invoke_agent; it holds the model calls, carrying no usage.
        attrs = {"gen_ai.operation.name": "invoke_agent", "openinference.span.kind": "AGENT",
                 "gen_ai.agent.name": self.name, "gen_ai.request.model": self.model, "session.id": session.id,
                 "gen_ai.conversation.id": session.id, "labkit.agent.turn": len(session.runs) + 1,
                 "labkit.agent.protocol": protocol}
        with tracing.span(f"invoke_agent {self.name}", attributes=attrs) as root:
            run.trace_id = tracing.trace_id_of(root)
            self._loop(session, run, protocol)
            root.set_attribute("labkit.agent.model_calls", run.model_calls)
            root.set_attribute("labkit.agent.tool_calls", len(run.tool_steps))
            root.set_attribute("labkit.cost_usd", run.cost_usd)
            if run.stopped is not None:
                root.set_attribute("labkit.agent.stopped_by", run.stopped.reason)
                root.add_event("agent.stopped", {"reason": run.stopped.reason, "message": run.stopped.message})
                _mark_error(root, run.stopped.reason, run.stopped.message)
        session.runs.append(run)
        return run

    def _loop(self, session: Session, run: AgentRun, protocol: str) -> None:
        fields = proto.request_fields(protocol, list(self.tools.values()))
        while True:
            admitted = self.guard.admit(session.id, self.model,
                                        estimate_tokens(session.messages, fields.get("tools")))
            if isinstance(admitted, Stop):
                run.stopped = admitted
                return
            try:
                reply = self.client.chat.completions.create(
                    model=self.model, messages=session.messages, max_tokens=self.limits.max_tokens,
                    temperature=0, **fields)
            except Exception:
                self.guard.settle(admitted, None)
                raise
            usage = reply.usage
            usd = self.guard.cost(self.model, usage.prompt_tokens if usage else 0,
                                  usage.completion_tokens if usage else 0)
            self.guard.settle(admitted, usd)
            run.model_calls += 1
            run.cost_usd += usd
            turn = proto.parse_reply(protocol, reply.choices[0].message, self.guard.steps[session.id])
            session.messages.append(proto.assistant_message(protocol, turn))
            if not turn.tool_calls:
                run.answer = turn.text
                return
            for call in turn.tool_calls:
                looping = repeated_call([(s.call.name, s.call.arguments) for s in run.tool_steps]
                                        + [(call.name, call.arguments)], self.limits.max_repeats)
                if looping is not None:
                    run.stopped = looping
                    return
                step = self._execute(call, session.id)
                run.tool_steps.append(step)
                session.messages.append(proto.result_message(protocol, call, step.result))

    def _execute(self, call: proto.ToolCall, session_id: str) -> ToolStep:
        """Run one tool call inside its ``execute_tool`` span; a failure goes back to the model as an error."""
        attrs = {"gen_ai.tool.call.id": call.id, "gen_ai.tool.type": "function", "session.id": session_id}
        with tracing.tool_span(call.name, **attrs) as span:
            tool = self.tools.get(call.name)
            error: str | None
            if tool is None:
                error = f"no tool {call.name!r}; the tools are {sorted(self.tools)}"
                result: Any = {"error": error}
            else:
                try:
                    result = tool.run(call.arguments)
                except Exception as exc:  # noqa: BLE001 - a broken tool is reported to the model, not raised
                    result = {"error": f"{type(exc).__name__}: {exc}"}
                error = str(result["error"]) if isinstance(result, dict) and result.get("error") else None
            if error:
                _mark_error(span, "tool_error", error)
        return ToolStep(call, result, error)
