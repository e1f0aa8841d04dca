"""Production layers as small wrappers around a service ``answer(request) -> response``.

A *service* is any function from :class:`Request` to :class:`Response`. A *layer* takes a service and
returns a service that does a little more, so a notebook assembles production in a few readable lines::

    service = bare_rag()
    service = with_input_guard(service)         # guard.input span before every model call
    service = with_output_guard(service)        # guard.output span after every model call
    service = with_cost_cap(service, daily_cap_usd=0.002)   # a budget.reserve span per model call
    service = with_online_eval(service, rate=0.3)           # an evaluation span on sampled requests
    service = with_tracing(service)             # one root span per request (outermost)

Layers that act on model calls (guards, the cost cap) wrap ``request.call``, the function the service
uses to reach the model, so they run around *every* call, an agent's included. Each layer reuses the
piece its topic notebook taught: ``labkit.guardrails`` pipelines, ``labkit.budget.Budget``,
``labkit.evals.online`` sampling and ``attach_score``, ``labkit.tracing`` spans.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labkit import budget as budget_mod
from labkit import tracing
from labkit.evals import online
from labkit.grounding.claims import content_words
from labkit.guardrails import GuardContext

IDK = "I don't know"


@dataclass(frozen=True)
class Request:
    """One user request, as the week hands it to a service.

    Attributes:
        id, text, user, tenant, route, day: who asked what, where and when (day 1 is the first day).
        call: ``call(messages, **kwargs) -> ChatCompletion``: the way to the model; layers wrap it.
        env: the week's environment (knowledge base, prompt templates, tools, prices, clock).
    """

    id: str
    text: str
    user: str
    tenant: str
    route: str
    day: int
    call: Callable[..., Any]
    env: Any


@dataclass
class Response:
    """What a service answers. ``status``: answered, blocked_input, blocked_output, degraded, error."""

    text: str
    status: str = "answered"
    context: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


Service = Callable[[Request], Response]


class Blocked(Exception):
    """Raised by a guard around a model call; the layer turns it into a blocked response."""

    def __init__(self, layer: str, blocked_by: str | None) -> None:
        super().__init__(f"{layer} guard blocked ({blocked_by})")
        self.layer, self.blocked_by = layer, blocked_by


def _wrap_call(request: Request, wrapper: Callable[[Callable[..., Any], list[dict[str, Any]], dict[str, Any]], Any]
               ) -> Request:
    inner = request.call
    return dataclasses.replace(request, call=lambda messages, **kw: wrapper(inner, messages, kw))


def _guard_span(layer: str, verdict: Any) -> None:
    with tracing.span(f"guard.{layer}", category="guard", attributes={"guard.layer": layer}) as s:
        s.set_attribute("guard.allowed", verdict.allowed)
        s.set_attribute("guard.action", verdict.action)
        if verdict.blocked_by:
            s.set_attribute("guard.blocked_by", verdict.blocked_by)


def _guarded_service(service: Service, guarded: Callable[..., Any], layer: str, refusal: str) -> Service:
    """``service`` with ``guarded`` around each model call; this layer's :class:`Blocked` becomes a
    ``blocked_<layer>`` response saying ``refusal`` (another layer's block passes through)."""

    def answer(request: Request) -> Response:
        try:
            return service(_wrap_call(request, guarded))
        except Blocked as exc:
            if exc.layer != layer:
                raise
            return Response(refusal, f"blocked_{layer}", detail={"by": exc.blocked_by})

    return answer


def with_input_guard(service: Service, pipeline: Any = None) -> Service:
    """Check what goes to the model before every call: the user's text, and tool results on later calls.

    Args:
        service: the service to protect.
        pipeline: a ``labkit.guardrails`` input pipeline; ``guardrails.input_pipeline()`` by default.

    Returns:
        A service that answers ``blocked_input`` when the guard blocks; redacted text replaces the original.
    """
    from labkit import guardrails

    layer = pipeline or guardrails.input_pipeline()

    def guarded(inner: Callable[..., Any], messages: list[dict[str, Any]], kw: dict[str, Any]) -> Any:
        last = next((m for m in reversed(messages) if m.get("role") in ("user", "tool")), None)
        text = str(last.get("content") or "") if last else ""
        verdict = layer.run(text, GuardContext())
        _guard_span("input", verdict)
        if not verdict.allowed:
            raise Blocked("input", verdict.blocked_by)
        if last is not None and verdict.text != text:
            messages = [dict(m, content=verdict.text) if m is last else m for m in messages]
        return inner(messages, **kw)

    return _guarded_service(service, guarded, "input", "Sorry, I can't help with that request.")


def with_output_guard(service: Service, pipeline: Any = None) -> Service:
    """Check every model answer before anyone sees it (personal data, leaked secrets, format).

    Args:
        service: the service to protect.
        pipeline: a ``labkit.guardrails`` output pipeline; ``guardrails.output_pipeline()`` by default.

    Returns:
        A service that answers ``blocked_output`` when the guard blocks.
    """
    from labkit import guardrails

    layer = pipeline or guardrails.output_pipeline(grounding=False)

    def guarded(inner: Callable[..., Any], messages: list[dict[str, Any]], kw: dict[str, Any]) -> Any:
        reply = inner(messages, **kw)
        message = reply.choices[0].message
        text = message.content or ""
        verdict = layer.run(text, GuardContext())
        _guard_span("output", verdict)
        if not verdict.allowed:
            raise Blocked("output", verdict.blocked_by)
        if verdict.text != text:
            message.content = verdict.text
        return reply

    return _guarded_service(service, guarded, "output", "Sorry, I can't share that answer.")


def with_cost_cap(service: Service, *, daily_cap_usd: float, per_user_usd: float | None = None,
                  max_tokens: int = 128) -> Service:
    """Reserve each model call's worst-case cost before it runs; over the cap, degrade instead of failing.

    Args:
        service: the service to cap.
        daily_cap_usd: spend cap per virtual day, over all users.
        per_user_usd: spend cap per user per day (None: no per-user cap).
        max_tokens: the answer cap assumed when a call does not set ``max_tokens``.

    Returns:
        A service that answers ``degraded`` (the closest help article, no model call) when a cap is reached.
    """
    ledgers: dict[str, budget_mod.Budget] = {}

    def ledger(env: Any) -> budget_mod.Budget:
        key = str(env.workdir)
        if key not in ledgers:
            ledgers[key] = budget_mod.Budget(env.workdir / "budget.sqlite",
                                             budget_mod.Caps(per_user_usd=per_user_usd, global_usd=daily_cap_usd),
                                             window_s=86_400.0, clock=env.now_s)
        return ledgers[key]

    def answer(request: Request) -> Response:
        books = ledger(request.env)

        def capped(inner: Callable[..., Any], messages: list[dict[str, Any]], kw: dict[str, Any]) -> Any:
            estimate = request.env.quote(messages, kw.get("max_tokens") or max_tokens)
            with tracing.span("budget.reserve", category="internal", attributes={
                    "budget.estimate_usd": estimate, "budget.daily_cap_usd": daily_cap_usd}) as s:
                held = books.reserve(request.user, estimate, note=request.id)
                try:
                    reply = inner(messages, **kw)
                except BaseException:
                    books.release(held)
                    raise
                cost = request.env.bill(reply)
                books.settle(held, cost)
                s.set_attribute("budget.cost_usd", cost)
                if reply.usage is not None:
                    s.set_attribute("gen_ai.usage.input_tokens", reply.usage.prompt_tokens)
                    s.set_attribute("gen_ai.usage.output_tokens", reply.usage.completion_tokens)
            return reply

        try:
            return service(_wrap_call(request, capped))
        except budget_mod.BudgetExceeded as exc:
            hits = request.env.retrieve(request.text, tenant=request.tenant)
            text = f"We're at capacity; the closest help article is '{hits[0].title}'." if hits else IDK + "."
            return Response(text, "degraded", detail={"scope": exc.scope})

    return answer


def support_score(request: Request, response: Response) -> float:
    """A cheap online eval: the share of the answer's content words found in the sources it was given
    (0 for an abstention or an answer with no sources). Scored in-process, no judge model."""
    words = content_words(response.text)
    if not words or IDK.lower() in response.text.lower() or not response.context:
        return 0.0
    return len(words & content_words(response.context)) / len(words)


def with_online_eval(service: Service, *, rate: float = 0.3,
                     scorer: Callable[[Request, Response], float] = support_score, name: str = "support") -> Service:
    """Score a stable ``rate`` sample of answered requests and put the score into the request's trace.

    Args:
        service: the service to watch.
        rate: the share of requests judged (``labkit.evals.online.in_sample`` on the request id).
        scorer: ``(request, response) -> score``; :func:`support_score` by default.
        name: the eval's name (``gen_ai.evaluation.name``).

    Returns:
        The same service, with an ``evaluation <name>`` span under sampled requests' root spans.
    """
    from opentelemetry import trace

    def answer(request: Request) -> Response:
        response = service(request)
        if response.status == "answered" and online.in_sample(request.id, rate):
            parent = trace.get_current_span()
            if parent.get_span_context().is_valid:
                online.attach_score(parent, name, scorer(request, response))
        return response

    return answer


def with_tracing(service: Service) -> Service:
    """One root span per request (OpenTelemetry, ``http`` category) carrying who asked, where and when.

    Put it outermost, so every other layer's spans and the model calls' GenAI spans join the request's trace.
    """

    def answer(request: Request) -> Response:
        with tracing.span("request", category="http", attributes={
                "http.route": request.route, "labkit.request_id": request.id, "labkit.tenant": request.tenant,
                "user.id": request.user, "labkit.day": request.day}) as root:
            try:
                response = service(request)
            except Exception as exc:
                from opentelemetry.trace import Status, StatusCode

                root.record_exception(exc)
                root.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                root.set_attribute("labkit.status", "error")
                raise
            root.set_attribute("labkit.status", response.status)
            return response

    return answer
