"""What a hostile or careless client cannot do to the RAG service: send a huge body, dribble a request
forever, or get a 5xx for its own mistake. Errors use OpenAI's shape, so OpenAI clients raise the
usual exceptions (``openai.BadRequestError``, ``openai.RateLimitError``, ...)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 408: "timeout_error", 413: "invalid_request_error",
               429: "rate_limit_error", 502: "upstream_error", 504: "timeout_error"}


@dataclass(frozen=True)
class ServiceLimits:
    """The RAG service's limits.

    Attributes:
        max_body_bytes: largest request body (413 above it), checked before the body is read.
        max_question_chars: longest question (400, code ``context_length_exceeded``, above it).
        deadline_s: seconds a chat request may take (504 after it).
        max_in_flight: chat requests answered or waiting at once; more get 429 with ``Retry-After``.
        retry_after_s: the ``Retry-After`` a 429 carries.
        read_timeout_s: seconds a client has to send its headers, and then for each piece of its body
            (the connection is closed, or 408, after it).
    """

    max_body_bytes: int = 256 * 1024
    max_question_chars: int = 4000
    deadline_s: float = 60.0
    max_in_flight: int = 16
    retry_after_s: int = 2
    read_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_question_chars", "max_in_flight", "retry_after_s"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("deadline_s", "read_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 seconds, got {getattr(self, name)}")


class ServiceError(Exception):
    """An error the service answers with OpenAI's error shape.

    Args:
        status: the HTTP status.
        message: what was wrong and how to fix it.
        param: the request field at fault, if one is.
        code: a machine-readable code (OpenAI's where one exists, e.g. ``context_length_exceeded``).
        headers: extra response headers (``Retry-After``).
    """

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.headers = headers or {}


def error_body(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}`` as the OpenAI API sends it."""
    kind = ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


async def send_error(send: Send, status: int, message: str, code: str) -> None:
    """Answer a raw ASGI request with an error (for middleware, before any route runs)."""
    body = json.dumps(error_body(status, message, param=None, code=code)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: refuse a body over ``max_bytes`` (413) or one that arrives too slowly (408).

    A declared ``Content-Length`` over the limit is refused before a byte of the body is read; a body
    without one (chunked) is read up to the limit and refused as soon as it passes it. The body is held in
    memory, so at most ``max_bytes`` per request.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout_s: float) -> None:
        self.app, self.max_bytes, self.read_timeout_s = app, max_bytes, read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_big = f"the request body is larger than {self.max_bytes} bytes; send a shorter conversation"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await send_error(send, 413 if declared.isdigit() else 400,
                             too_big if declared.isdigit() else "Content-Length is not a number", "request_too_large")
            return
        chunks, size, more = [], 0, True
        while more:
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout_s)
            except TimeoutError:
                await send_error(send, 408, f"the request body did not arrive within {self.read_timeout_s:g} s",
                                 "request_timeout")
                return
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await send_error(send, 413, too_big, "request_too_large")
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection that has not sent a whole request head in time.

    uvicorn waits forever for the first request on a new connection; a few thousand sockets that connect
    and send half a request line would each hold a file descriptor for good.
    """

    read_timeout_s = 10.0

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.loop.call_later(self.read_timeout_s, self._close_without_request)

    def _close_without_request(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


def protocol_with_timeout(read_timeout_s: float) -> type[HeaderTimeoutProtocol]:
    """A :class:`HeaderTimeoutProtocol` with this timeout, for ``uvicorn.Config(http=...)``."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"read_timeout_s": read_timeout_s})
