"""How the agent asks the model for a tool call, chosen by what the endpoint can do.

Two protocols:

* ``"tools"``: the OpenAI ``tools`` API. Tool schemas go in ``tools=[...]``; the reply's
  ``message.tool_calls`` name the tool and its JSON arguments; results go back as ``role="tool"``
  messages. Used where the endpoint both accepts ``tools`` and really answers with tool calls.
* ``"json_schema"``: the fallback. The reply is constrained (``response_format`` of type
  ``json_schema``; llama.cpp turns the schema into a grammar) to one JSON object
  ``{"tool": NAME, "arguments": {...}}`` where NAME is a tool or ``final_answer``; results go back as
  user messages. Used where ``tools`` is refused, or accepted and ignored.

Accepted is not honoured: ``llm.capabilities().tools`` says an endpoint did not refuse the field.
The embedded llama.cpp server with SmolLM2's chat template accepts ``tools`` and leaves them out of
the prompt, so :func:`tools_honoured` asks once more with ``tool_choice="required"`` and looks for a
tool call in the answer.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from typing import Any

import openai

from labkit import tracing
from labkit.agent.tools import Tool

FINAL = "final_answer"
_NOOP = {"type": "function", "function": {"name": "noop", "description": "Call this.",
                                          "parameters": {"type": "object", "properties": {}}}}
_honoured: dict[tuple[str, str], bool] = {}
_honoured_lock = threading.Lock()


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asked for: its id, the tool's name and the decoded arguments."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ModelTurn:
    """What one model call asked for: tool calls, or (none) a final answer in ``text``."""

    tool_calls: tuple[ToolCall, ...]
    text: str
    raw: str


def tools_honoured(client: Any, model: str, base_url: str) -> bool:
    """Whether the endpoint answers a ``tool_choice="required"`` request with a tool call (cached per URL, model).

    Args:
        client: an ``openai.OpenAI`` for the endpoint.
        model: the model to ask.
        base_url: the endpoint's URL (the cache key).
    """
    key = (base_url, model)
    with _honoured_lock:
        if key in _honoured:
            return _honoured[key]
    active = tracing.current()
    try:
        with active.paused() if active is not None else contextlib.nullcontext():  # a probe, not the lesson's call
            r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Call noop."}],
                                               tools=[_NOOP], tool_choice="required", max_tokens=24,
                                               temperature=0)
        answered = bool(r.choices and r.choices[0].message.tool_calls)
    except openai.BadRequestError:
        answered = False
    with _honoured_lock:
        _honoured[key] = answered
    return answered


def choose_protocol(*, tools_accepted: bool, tools_answered: bool, json_schema: bool) -> str:
    """``"tools"`` when the endpoint accepts and answers tool calls, else ``"json_schema"``.

    Raises:
        RuntimeError: the endpoint supports neither; the message says what to use instead.
    """
    if tools_accepted and tools_answered:
        return "tools"
    if json_schema:
        return "json_schema"
    raise RuntimeError("this endpoint neither answers OpenAI tool calls nor accepts response_format json_schema, "
                       "so the agent cannot constrain its tool calls; use llama.cpp, vLLM or OpenAI")


def step_schema(tools: list[Tool]) -> dict[str, Any]:
    """The fallback's JSON schema: one of ``{"tool": NAME, "arguments": ARGS}`` per tool, or a final answer."""
    options = [{"type": "object", "additionalProperties": False, "required": ["tool", "arguments"],
                "properties": {"tool": {"const": t.name},
                               "arguments": {**t.parameters, "additionalProperties": False}}}
               for t in tools]
    options.append({"type": "object", "additionalProperties": False, "required": ["tool", "arguments"],
                    "properties": {"tool": {"const": FINAL},
                                   "arguments": {"type": "object", "additionalProperties": False,
                                                 "required": ["answer"],
                                                 "properties": {"answer": {"type": "string", "maxLength": 400}}}}})
    return {"anyOf": options}


def request_fields(protocol: str, tools: list[Tool]) -> dict[str, Any]:
    """The ``chat.completions.create`` keyword arguments that offer ``tools`` under ``protocol``."""
    if protocol == "tools":
        return {"tools": [t.spec() for t in tools], "tool_choice": "auto"}
    if protocol == "json_schema":
        return {"response_format": {"type": "json_schema",
                                    "json_schema": {"name": "agent_step", "schema": step_schema(tools)}}}
    raise ValueError(f"protocol must be 'tools' or 'json_schema', got {protocol!r}")


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        decoded = json.loads(raw or "{}")
    except ValueError:
        return {"_unparsed": str(raw)}
    return decoded if isinstance(decoded, dict) else {"_unparsed": str(raw)}


def parse_reply(protocol: str, message: Any, step: int) -> ModelTurn:
    """The tool calls (or final answer) in one reply message.

    Args:
        protocol: ``"tools"`` or ``"json_schema"``.
        message: the reply's ``choices[0].message``.
        step: the step number, to give fallback calls an id (``call_{step}``).
    """
    content = message.content or ""
    if protocol == "tools":
        calls = tuple(ToolCall(c.id, c.function.name, _arguments(c.function.arguments))
                      for c in (message.tool_calls or []))
        return ModelTurn(calls, content.strip(), content)
    try:
        decoded = json.loads(content)
    except ValueError:
        return ModelTurn((), content.strip(), content)  # not JSON: treat the text as the answer
    if not isinstance(decoded, dict) or decoded.get("tool") in (None, FINAL):
        args = decoded.get("arguments") if isinstance(decoded, dict) else None
        answer = args.get("answer") if isinstance(args, dict) else None
        return ModelTurn((), str(answer if answer is not None else content).strip(), content)
    return ModelTurn((ToolCall(f"call_{step}", str(decoded["tool"]), _arguments(decoded.get("arguments"))),), "",
                     content)


def assistant_message(protocol: str, turn: ModelTurn) -> dict[str, Any]:
    """The assistant message that records ``turn`` in the conversation."""
    if protocol == "tools" and turn.tool_calls:
        return {"role": "assistant", "content": turn.text or None, "tool_calls": [
            {"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": json.dumps(c.arguments)}} for c in turn.tool_calls]}
    return {"role": "assistant", "content": turn.raw}


def result_message(protocol: str, call: ToolCall, result: Any) -> dict[str, Any]:
    """The message that gives a tool's result back to the model."""
    text = json.dumps(result, ensure_ascii=False, default=str)
    if protocol == "tools":
        return {"role": "tool", "tool_call_id": call.id, "content": text}
    return {"role": "user", "content": f"Result of {call.name}: {text}\nAnswer with final_answer, or call a tool."}
