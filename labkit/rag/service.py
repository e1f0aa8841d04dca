"""The RAG app as an HTTP service: an OpenAI-compatible ``/v1/chat/completions`` plus ``/health``.

Any OpenAI client can call it (``base_url=http://127.0.0.1:PORT/v1``); the tenant comes from the
``X-Tenant`` header or the request's ``user`` field. Responses carry the usual fields plus a
``rag`` object with citations and retrieved document ids.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

from labkit.rag.app import RagApp


class Message(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    model: str | None = None
    messages: list[Message] = Field(min_length=1)
    user: str | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stream: bool = False


def create_app(rag: RagApp, name: str = "labkit-rag") -> FastAPI:
    """A FastAPI app serving ``rag``.

    Args:
        rag: the RAG app to serve.
        name: the model name the service reports.
    """
    api = FastAPI(title="labkit reference RAG service", version="1")
    api.state.rag = rag

    @api.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "chunks": len(rag.index), "config": rag.config.__dict__, "model": name}

    @api.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "labkit"}]}

    @api.post("/v1/chat/completions")
    def chat(req: ChatRequest, x_tenant: str | None = Header(default=None)) -> dict[str, Any]:
        if req.stream:
            raise HTTPException(400, "streaming is not supported by the RAG service; send stream=false")
        questions = [m.content for m in req.messages if m.role == "user" and m.content.strip()]
        if not questions:
            raise HTTPException(400, "messages must contain a non-empty user message (the question)")
        app = rag
        changes = {k: v for k, v in (("max_tokens", req.max_tokens), ("temperature", req.temperature)) if v is not None}
        if changes:
            app = rag.with_config(**changes)
        a = app.answer(questions[-1], tenant=x_tenant or req.user)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": name,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": a.text}}],
            "usage": {"prompt_tokens": a.input_tokens, "completion_tokens": a.output_tokens,
                      "total_tokens": a.input_tokens + a.output_tokens},
            "rag": {"citations": a.citations, "retrieved_ids": a.retrieved_ids, "abstained": a.abstained,
                    "invalid_citations": a.invalid_citations, "model": a.model,
                    "prompt_version": a.prompt_version, "latency_s": round(a.latency_s, 4)},
        }

    return api


class ServiceThread:
    """Run the service with uvicorn in a background thread (for notebooks and tests).

    Example:
        >>> with ServiceThread(create_app(RagApp())) as svc:
        ...     openai.OpenAI(base_url=svc.url, api_key="x")
    """

    def __init__(self, api: FastAPI, port: int = 0) -> None:
        import threading

        import uvicorn

        from labkit.llm.server import free_port

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> ServiceThread:
        import urllib.request

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
