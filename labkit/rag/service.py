"""The RAG app as an HTTP service: an OpenAI-compatible ``/v1/chat/completions`` plus ``/health``.

Any OpenAI client can call it (``base_url=http://127.0.0.1:PORT/v1``). Secure and robust by default:

* **Tenancy fails closed.** The tenant comes from the API key (``Authorization: Bearer KEY``, which is
  what ``openai.OpenAI(api_key=KEY)`` sends), mapped to a tenant by :mod:`labkit.rag.auth`. No key means
  the shared knowledge base only (or 401 with ``require_key``). ``X-Tenant`` never chooses a tenant: it
  is refused (403) unless it equals the key's tenant. The request's ``user`` field is an end-user id, as
  in the OpenAI API, and plays no part in tenancy.
* **Guard layers.** The question passes :mod:`labkit.guardrails`' input layer and the answer its output
  layer (``guards=False`` turns them off). A blocked prompt or answer gets a 200 whose message is the
  refusal, with ``finish_reason: "content_filter"`` and ``rag.blocked`` set, as OpenAI's API reports
  filtered content.
* **Limits** (:class:`labkit.rag.limits.ServiceLimits`): body size (413), question length (400,
  ``context_length_exceeded``), a per-request deadline (504), a bounded number of requests in flight
  (429 with ``Retry-After``), read timeouts against slow clients. Every error has OpenAI's shape
  ``{"error": {"message", "type", "param", "code"}}``; a client's mistake is never a 5xx.
* **Streaming** (``stream=true``): the answer is produced and guarded as for any request, then sent as
  OpenAI ``chat.completion.chunk`` events over SSE (:mod:`labkit.rag.stream`: the finished answer in
  chunks, not the model's tokens as they come, because the output guard must read the whole answer
  first). ``stream_options={"include_usage": true}`` adds the final usage chunk. Every error happens
  before the first chunk, so it keeps the status and shape above.

Responses carry the usual fields plus a ``rag`` object: citations, retrieved document ids and tenants
(on a stream, on its final chunk).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import openai
from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from labkit.guardrails import GuardedApp
from labkit.llm.server import free_port
from labkit.rag.app import RagApp
from labkit.rag.auth import AuthError, TenantKeys, load_keys, request_tenant
from labkit.rag.limits import BodyLimit, ServiceError, ServiceLimits, error_body, protocol_with_timeout
from labkit.rag.stream import completion_chunks, sse_events


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        """The content as one string (text parts joined by newlines)."""
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content)
        return self.content or ""


class StreamOptions(BaseModel):
    """OpenAI's ``stream_options``: ``include_usage`` asks for a final chunk with the usage."""

    include_usage: bool = False


class ChatRequest(BaseModel):
    model: str | None = None
    messages: list[Message] = Field(min_length=1, max_length=256)
    user: str | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stream: bool = False
    stream_options: StreamOptions | None = None


def question_of(req: ChatRequest, limits: ServiceLimits) -> str:
    """The question a request asks: its last non-empty user message.

    Raises:
        ServiceError: 400 when there is none or it is longer than ``limits.max_question_chars``.
    """
    questions = [m.text() for m in req.messages if m.role == "user" and m.text().strip()]
    if not questions:
        raise ServiceError(400, "messages must contain a non-empty user message (the question)", param="messages")
    if len(questions[-1]) > limits.max_question_chars:
        raise ServiceError(400, f"the question has {len(questions[-1])} characters; this service answers questions "
                           f"of up to {limits.max_question_chars}. Shorten it.", param="messages", code="context_length_exceeded")
    return questions[-1]


def upstream_error(exc: Exception) -> ServiceError:
    """The service's answer to a failed model call: 4xx where the request caused it, else 502/504."""
    if isinstance(exc, openai.APITimeoutError):
        return ServiceError(504, "the model did not answer in time; retry later", param=None, code="timeout")
    if isinstance(exc, openai.BadRequestError):
        overflow = "context" in str(exc).lower()
        return ServiceError(400, "the question and its sources do not fit the model's context; shorten the question"
                            if overflow else f"the model refused the request: {exc}", param="messages",
                            code="context_length_exceeded" if overflow else "invalid_request")
    if isinstance(exc, openai.RateLimitError):
        return ServiceError(429, "the model is busy; retry later", param=None, code="rate_limited", headers={"Retry-After": "2"})
    return ServiceError(502, "the model call failed; retry later or check the model server", param=None, code="upstream_error")


def hits_of(answer: Any) -> list[Any]:
    """The retrieved chunks behind an answer (a RAG answer's, or the one inside a guarded answer)."""
    hits = getattr(answer, "hits", None)
    if hits is None and getattr(answer, "answer", None) is not None:
        hits = getattr(answer.answer, "hits", None)
    return list(hits or [])


def completion(answer: Any, name: str, tenant: str | None) -> dict[str, Any]:
    """An OpenAI chat-completion body for an answer, plus the ``rag`` details."""
    blocked = bool(getattr(answer, "blocked", False))
    retrieved = {h.document_id: h.tenant for h in hits_of(answer)}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": name,
        "choices": [{"index": 0, "finish_reason": "content_filter" if blocked else "stop",
                     "message": {"role": "assistant", "content": answer.text}}],
        "usage": {"prompt_tokens": answer.input_tokens, "completion_tokens": answer.output_tokens,
                  "total_tokens": answer.input_tokens + answer.output_tokens},
        "rag": {"citations": answer.citations, "retrieved_ids": answer.retrieved_ids,
                "retrieved": [{"id": d, "tenant": t} for d, t in retrieved.items()], "tenant": tenant,
                "abstained": answer.abstained, "blocked": blocked, "invalid_citations": answer.invalid_citations,
                "model": answer.model, "prompt_version": answer.prompt_version,
                "latency_s": round(answer.latency_s, 4)},
    }


def _guarded(rag: Any) -> Any:
    return rag if isinstance(rag, GuardedApp) else GuardedApp(rag)


def _install_error_handlers(api: FastAPI) -> None:
    def shaped(status: int, message: str, param: str | None = None, code: str | None = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(error_body(status, message, param=param, code=code), status_code=status, headers=headers)

    @api.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return shaped(exc.status, exc.message, exc.param, exc.code, exc.headers)

    @api.exception_handler(AuthError)
    async def auth_error(_: Request, exc: AuthError) -> JSONResponse:
        return shaped(exc.status, exc.message, None, exc.code,
                      {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        param = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
        return shaped(400, f"{param or 'body'}: {first.get('msg', 'invalid value')}", param, "invalid_value")

    @api.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return shaped(exc.status_code, str(exc.detail), None, None, getattr(exc, "headers", None))

    @api.exception_handler(Exception)
    async def bug(_: Request, exc: Exception) -> JSONResponse:
        return shaped(500, f"internal error ({type(exc).__name__}); see the service log", None, "server_error")


def create_app(rag: RagApp, name: str = "labkit-rag", *, keys: TenantKeys | None = None,
               limits: ServiceLimits | None = None, guards: bool = True) -> FastAPI:
    """A FastAPI app serving ``rag``.

    Args:
        rag: the RAG app to serve (a :class:`RagApp`, a traced or guarded one).
        name: the model name the service reports; a request naming another model gets 404.
        keys: API keys and their tenants; ``load_keys()`` (``LABKIT_APP_KEYS``, none when unset) by default.
        limits: the service's limits; :class:`ServiceLimits` defaults when None.
        guards: put the guardrails' input and output layers around ``rag`` (unless it is a ``GuardedApp``).

    Returns:
        The app; serve it with :class:`ServiceThread` or :func:`uvicorn_config`.
    """
    keys = keys if keys is not None else load_keys()
    limits = limits or ServiceLimits()
    served = _guarded(rag) if guards else rag
    api = FastAPI(title="labkit reference RAG service", version="2")
    api.state.rag, api.state.limits = served, limits
    api.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes, read_timeout_s=limits.read_timeout_s)
    _install_error_handlers(api)
    pool = ThreadPoolExecutor(max_workers=limits.max_in_flight, thread_name_prefix="rag-answer")
    slots = threading.BoundedSemaphore(limits.max_in_flight)

    @api.get("/health")
    async def health() -> dict[str, Any]:  # on the event loop: no worker thread to wait for under load
        return {"status": "ok", "chunks": len(served.index), "config": served.config.__dict__, "model": name,
                "guards": guards, "tenant_keys": len(keys.keys), "require_key": keys.require_key}

    @api.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "labkit"}]}

    @api.post("/v1/chat/completions", response_model=None)
    async def chat(req: ChatRequest, request: Request,
                   authorization: str | None = Header(default=None)) -> dict[str, Any] | StreamingResponse:
        tenant = request_tenant(keys, authorization, request.headers.getlist("x-tenant"))
        if req.model is not None and req.model != name:
            raise ServiceError(404, f"this service serves the model {name!r}, not {req.model!r}", param="model",
                               code="model_not_found")
        if req.stream_options is not None and not req.stream:
            raise ServiceError(400, "stream_options is only allowed when stream is true; drop it or send "
                               "stream=true", param="stream_options")
        question = question_of(req, limits)
        changes = {k: v for k, v in (("max_tokens", req.max_tokens), ("temperature", req.temperature)) if v is not None}
        app = served.with_config(**changes) if changes else served
        if not slots.acquire(blocking=False):
            raise ServiceError(429, f"{limits.max_in_flight} requests are already in flight; retry after "
                               f"{limits.retry_after_s} s", param=None, code="rate_limited",
                               headers={"Retry-After": str(limits.retry_after_s)})

        def answer() -> Any:
            try:
                return app.answer(question, tenant=tenant, timeout=limits.deadline_s)
            finally:
                slots.release()  # only when the work is done, even after a 504: the bound stays true

        work = asyncio.get_running_loop().run_in_executor(pool, contextvars.copy_context().run, answer)
        try:
            result = await asyncio.wait_for(work, limits.deadline_s)
        except TimeoutError:
            raise ServiceError(504, f"no answer within the service's deadline of {limits.deadline_s:g} s; retry "
                               "later", param=None, code="timeout") from None
        except openai.OpenAIError as exc:
            raise upstream_error(exc) from None
        except ValueError as exc:
            raise ServiceError(400, str(exc), param="messages") from None
        body = completion(result, name, tenant)
        if not req.stream:
            return body
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        return StreamingResponse(iter(sse_events(completion_chunks(body, include_usage=include_usage))),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return api


def uvicorn_config(api: FastAPI, host: str = "127.0.0.1", port: int = 8800) -> Any:
    """A ``uvicorn.Config`` for the service, with its read timeout on request heads."""
    import uvicorn

    limits = getattr(api.state, "limits", None) or ServiceLimits()
    return uvicorn.Config(api, host=host, port=port, log_level="warning", timeout_keep_alive=5,
                          http=protocol_with_timeout(limits.read_timeout_s))


class ServiceThread:
    """Run the service with uvicorn in a background thread (for notebooks and tests).

    Example:
        >>> with ServiceThread(create_app(RagApp())) as svc:
        ...     openai.OpenAI(base_url=svc.url, api_key="x")
    """

    def __init__(self, api: FastAPI, port: int = 0) -> None:
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._server = uvicorn.Server(uvicorn_config(api, port=self.port))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> ServiceThread:
        self._thread.start()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url[:-3] + "/health", timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the RAG service did not come up on port {self.port}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ServiceThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
