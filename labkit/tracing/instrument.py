"""Instrumentation for the reference RAG app and any FastAPI service, without editing them.

* :func:`instrument_rag` wraps one ``labkit.rag.RagApp``'s ``retrieve`` and ``answer`` in spans
  (and the apps ``with_config`` derives from it).
* :func:`instrument_fastapi` adds an ASGI middleware that opens a SERVER span per request,
  joined to the caller's trace through the W3C ``traceparent`` header, and returns the trace id
  in an ``x-trace-id`` response header.
* :func:`traced_client` is an ``openai.OpenAI`` for any base URL whose calls go through labkit's
  recording transport (ledger, LLM spans, trace headers), e.g. a proxy in front of the model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx2
import openai
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from labkit import llm
from labkit.llm.transport import RecordingTransport
from labkit.tracing import core, spans

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MARK = "_labkit_traced"


def _tracer(bound: core.Tracing | None) -> core.Tracing | None:
    return bound if bound is not None else core.current()


def _model_version(cfg: Any) -> str | None:
    """The model a RAG config asks for (its own, or the backend's chat model); None when unknown."""
    if getattr(cfg, "model", None):
        return str(cfg.model)
    try:
        return llm.model_for("chat")
    except Exception:  # noqa: BLE001 - no endpoint reachable: the spans just go without a model version
        return None


def instrument_rag(app: Any, tracing: core.Tracing | None = None) -> Any:
    """Trace a RAG app's retrieval and answers: spans ``rag.answer`` > ``rag.retrieve`` and the LLM call.

    Every one of these spans carries ``labkit.prompt.version`` and ``labkit.model.version`` (see
    :func:`labkit.tracing.versions`), so latency, errors and eval scores split by release.

    ``rag.answer`` is a CHAIN span with the answer's own ``rag.*`` attributes (model, tokens, citations);
    token usage in ``gen_ai.usage.*`` lives only on the model-call span under it.

    Args:
        app: a ``labkit.rag.RagApp`` (anything with ``retrieve``, ``answer``, ``with_config``, ``config``).
        tracing: the tracer to use; default the active one at call time (none: the app runs untraced).

    Returns:
        The same app, instrumented (instrumenting twice is a no-op).
    """
    for attr in ("retrieve", "answer", "with_config", "config"):
        if not hasattr(app, attr):
            raise TypeError(f"instrument_rag needs a labkit.rag.RagApp-like object; {type(app).__name__} has no "
                            f"{attr!r}")
    if getattr(app, _MARK, False):
        return app
    retrieve, answer, with_config = app.retrieve, app.answer, app.with_config

    def traced_retrieve(question: str, tenant: str | None = None) -> Any:
        t = _tracer(tracing)
        if t is None:
            return retrieve(question, tenant)
        cfg = app.config
        index = getattr(app, "index", None)
        release = spans.versions(prompt=cfg.prompt_version, model=_model_version(cfg))
        with release, t.span("rag.retrieve", category="retrieval", attributes={
            "gen_ai.data_source.id": getattr(index, "fingerprint", None), "rag.k": cfg.k, "rag.mode": cfg.mode,
            "rag.tenant": tenant, "gen_ai.retrieval.query.text": question if t.capture_content else None,
        }) as s:
            hits = retrieve(question, tenant)
            s.set_attribute("rag.hits", len(hits))
            if hits:
                s.set_attribute("rag.top_score", float(hits[0].score))
                s.set_attribute("rag.document_ids", tuple(dict.fromkeys(h.document_id for h in hits)))
            return hits

    def traced_answer(question: str, tenant: str | None = None, **create_kwargs: Any) -> Any:
        t = _tracer(tracing)
        if t is None:
            return answer(question, tenant, **create_kwargs)
        cfg = app.config
        release = spans.versions(prompt=cfg.prompt_version, model=_model_version(cfg))
        with release, t.span("rag.answer", category="internal", attributes={
            "rag.prompt_version": cfg.prompt_version, "rag.k": cfg.k, "rag.max_tokens": cfg.max_tokens,
            "rag.tenant": tenant, "rag.question_chars": len(question) if isinstance(question, str) else None,
        }) as s:
            a = answer(question, tenant, **create_kwargs)
            # rag.* names, not gen_ai.*: trace UIs add up gen_ai.usage over a trace's spans (and type a span
            # with gen_ai.request.model as a model call), so a copy here would count the model call twice.
            s.set_attributes(core.clean_attributes({
                "rag.abstained": a.abstained, "rag.citations": tuple(a.citations),
                "rag.invalid_citations": len(a.invalid_citations), "rag.model": a.model,
                "rag.input_tokens": a.input_tokens, "rag.output_tokens": a.output_tokens,
            }))
            return a

    def traced_with_config(**changes: Any) -> Any:
        return instrument_rag(with_config(**changes), tracing)

    app.retrieve, app.answer, app.with_config = traced_retrieve, traced_answer, traced_with_config
    setattr(app, _MARK, True)
    return app


class TraceMiddleware:
    """ASGI middleware: one SERVER span per HTTP request, continuing the caller's W3C trace.

    Args:
        app: the ASGI app to wrap.
        tracing: the tracer; default the active one at request time (none: requests pass untraced).
        exclude_paths: paths never traced (health checks would flood the store).
    """

    def __init__(self, app: ASGIApp, tracing: core.Tracing | None = None,
                 exclude_paths: tuple[str, ...] = ("/health",)) -> None:
        self.app = app
        self.tracing = tracing
        self.exclude_paths = tuple(exclude_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        t = _tracer(self.tracing)
        if t is None or scope.get("type") != "http" or scope.get("path") in self.exclude_paths:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        parent = core.extract(headers)
        method = scope.get("method", "GET")
        path = scope.get("path", "/")
        span = t.start_span(f"{method} {path}", parent=parent, category="http", kind=SpanKind.SERVER, attributes={
            "http.request.method": method, "url.path": path, "url.scheme": scope.get("scheme", "http"),
            "user_agent.original": headers.get("user-agent"), "labkit.tenant": headers.get("x-tenant"),
        })
        trace_id = format(span.get_span_context().trace_id, "032x")
        status_code = 500

        async def send_with_trace_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-trace-id", trace_id.encode())]
            await send(message)

        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            await self.app(scope, receive, send_with_trace_id)
        except BaseException as exc:
            span.record_exception(exc, timestamp=t.now(), escaped=True)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            span.set_attribute("error.type", type(exc).__qualname__)
            raise
        finally:
            otel_context.detach(token)
            route = getattr(scope.get("route"), "path", None)
            if route:
                span.set_attribute("http.route", route)
                span.update_name(f"{method} {route}")
            span.set_attribute("http.response.status_code", status_code)
            if status_code >= 500:
                span.set_status(Status(StatusCode.ERROR, f"HTTP {status_code}"))
                span.set_attribute("error.type", str(status_code))
            span.end(end_time=t.now())


def instrument_fastapi(api: Any, tracing: core.Tracing | None = None,
                       exclude_paths: tuple[str, ...] = ("/health",)) -> Any:
    """Trace every request of a FastAPI (or Starlette) app, joining the caller's trace.

    Call it before the app starts serving.

    Args:
        api: the FastAPI app, e.g. ``labkit.rag.service.create_app(rag)``.
        tracing: the tracer; default the active one at request time.
        exclude_paths: paths that get no span.

    Returns:
        The same app.
    """
    if not hasattr(api, "add_middleware"):
        raise TypeError(f"instrument_fastapi needs a FastAPI/Starlette app, got {type(api).__name__}")
    if getattr(api, _MARK, False):
        return api
    api.add_middleware(TraceMiddleware, tracing=tracing, exclude_paths=tuple(exclude_paths))
    setattr(api, _MARK, True)
    return api


def traced_client(base_url: str, api_key: str = "not-needed", **kwargs: Any) -> Any:
    """An ``openai.OpenAI`` for ``base_url`` whose calls are recorded like ``labkit.llm.client()``'s.

    Calls land in ``llm.ledger``, become LLM spans, and carry trace headers. Use it for an endpoint
    ``llm.client()`` does not point at (a proxy, a second server).

    Args:
        base_url: the OpenAI-compatible base URL, ending in ``/v1``.
        api_key: the key to send (local servers ignore it).
        **kwargs: passed to ``openai.OpenAI`` (``max_retries``, ``timeout``, ...).
    """
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http(s) URL ending in /v1, got {base_url!r}")
    if "http_client" in kwargs:
        raise TypeError("traced_client builds its own http_client; pass timeout/max_retries instead")
    transport = RecordingTransport(httpx2.HTTPTransport(), "custom", llm.hooks, llm.cost)
    return openai.OpenAI(base_url=base_url, api_key=api_key,
                         http_client=openai.DefaultHttpxClient(transport=transport), **kwargs)
