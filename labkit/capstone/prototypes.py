"""The two prototypes a learner starts from, and the reference assemblies built from them with the layers.

``bare_rag()`` retrieves, prompts and generates; ``bare_agent()`` is the ``labkit.agent`` tool agent (three
tools through the OpenAI ``tools`` API, a step limit). Neither has a guard, a cap, an eval or a root span:
adding those is the exercise (:mod:`labkit.capstone.layers`).
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labkit import tracing
from labkit.capstone.layers import (
    Request,
    Response,
    Service,
    with_cost_cap,
    with_input_guard,
    with_online_eval,
    with_output_guard,
    with_tracing,
)
from labkit.rag import prompts

# Whole chunks go into the prompt: trimming each to 35 words fails the regression gate on token F1
# (``bench/results/rag.json``, ``trim_lever_dev``; notebook 01 §4): fewer prompt tokens, worse answers.
TRIM_WORDS: int | None = None


def bare_rag(*, k: int = 3, max_tokens: int = 48, trim_words: int | None = TRIM_WORDS) -> Service:
    """Retrieve ``k`` chunks, fill the deployed prompt template, generate. Nothing else.

    Args:
        k: chunks in the prompt.
        max_tokens: the answer's cap.
        trim_words: cut each chunk to about this many words (``rag.prompts.trim_context``); None: whole chunks.

    Returns:
        A service ``answer(request) -> Response``.
    """

    def answer(request: Request) -> Response:
        hits = request.env.retrieve(request.text, tenant=request.tenant, k=k)
        if trim_words is not None:
            hits = prompts.trim_context(hits, request.text, trim_words)
        template = request.env.prompt_template()
        messages = prompts.messages(template, request.text, hits)
        sha = hashlib.sha256(f"{template.system}\n{template.user}".encode()).hexdigest()[:12]
        with tracing.span("rag.generate", category="internal", attributes={"rag.prompt.version": template.version,
                                                                  "rag.prompt.sha": sha}):
            reply = request.call(messages, max_tokens=max_tokens)
        return Response((reply.choices[0].message.content or "").strip(), context=prompts.format_context(hits))

    return answer


class _GatewayClient:
    """An ``openai.OpenAI`` look-alike whose ``chat.completions.create`` goes through ``request.call``,
    so every layer wraps every one of the agent's model calls."""

    def __init__(self, call: Any) -> None:
        self.chat = self
        self.completions = self
        self._call = call

    def create(self, *, messages: list[dict[str, Any]], model: str | None = None, **kwargs: Any) -> Any:
        kwargs.pop("temperature", None)
        return self._call(messages, **kwargs)


def bare_agent(*, max_steps: int = 5, max_tokens: int = 96) -> Service:
    """The Quaywise support agent over the week's tools, one session per request.

    Args:
        max_steps: model calls per request (the agent's step limit).
        max_tokens: each model call's output cap.

    Returns:
        A service ``answer(request) -> Response``.
    """
    from labkit.agent import Agent, Limits

    def answer(request: Request) -> Response:
        agent = Agent(request.env.tools(), client=_GatewayClient(request.call), model=request.env.model,
                      limits=Limits(max_steps=max_steps, max_tokens=max_tokens), protocol="tools")
        run = agent.run(agent.session(request.id), request.text)
        context = "\n".join(str(step.result) for step in run.tool_steps)
        return Response(run.answer or "", context=context)

    return answer


def reference(prototype: Service | None = None, *, daily_cap_usd: float = 0.003, eval_rate: float = 0.4) -> Service:
    """The reference assembly: every layer around a prototype (``bare_rag()`` by default)."""
    service = prototype or bare_rag()
    service = with_input_guard(service)
    service = with_output_guard(service)
    service = with_cost_cap(service, daily_cap_usd=daily_cap_usd)
    service = with_online_eval(service, rate=eval_rate)
    return with_tracing(service)


SERVICES: dict[str, Callable[[], Service]] = {"bare": bare_rag, "reference": reference, "agent-bare": bare_agent,
            "agent-reference": lambda: reference(bare_agent())}


def load_service(spec: str) -> tuple[Service, bool]:
    """A service from a name in ``SERVICES`` or ``FILE.py:build``; returns it and whether it is an agent."""
    if spec in SERVICES:
        return SERVICES[spec](), spec.startswith("agent")
    path, sep, name = spec.rpartition(":")
    if not sep or not path.endswith(".py"):
        raise ValueError(f"--service must be one of {sorted(SERVICES)} or FILE.py:build, got {spec!r}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no service file at {path}")
    mod_spec = importlib.util.spec_from_file_location("capstone_service", path)
    assert mod_spec is not None and mod_spec.loader is not None
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    build = getattr(module, name, None)
    if not callable(build):
        raise ValueError(f"{path} has no function {name!r}; define def {name}(): return <service>")
    service = build()
    return service, bool(getattr(service, "agent", False) or getattr(module, "AGENT", False))
