"""The "edge" deployment: the GGUF model loaded into this process, no server hop.

The self-hosted deployment is the embedded server (:class:`labkit.llm.EmbeddedServer`);
:class:`InProcessModel` is the same model without the HTTP layer, timed the same way.
"""

from __future__ import annotations

import os
import time
from typing import Any

from labkit.deploy.measure import StreamTiming, rss_mb
from labkit.errors import LabkitError
from labkit.llm import registry


class InProcessModel:
    """The model loaded into *this* process with llama.cpp (the "edge" deployment: no server hop).

    Args:
        model_path: the GGUF file; the registry's embedded chat model by default.
        n_ctx: context tokens; n_threads: CPU threads (the course's default server setting when omitted).

    ``load_s`` and ``rss_added_mb`` are measured when it loads. Call :meth:`chat` like the HTTP API.
    """

    def __init__(self, model_path: str | None = None, n_ctx: int = 2048, n_threads: int | None = None,
                 *, n_parallel: int = 1) -> None:
        import xllamacpp

        path = model_path or str(registry.local_model_path(registry.role_model("embedded", "chat")
                                                           or "smollm2-135m-instruct"))
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no GGUF file at {path}; pass model_path= or run `make setup`")
        params = xllamacpp.CommonParams()
        params.model.path = path
        params.n_ctx = n_ctx
        params.n_parallel = n_parallel
        params.verbosity = -1  # llama.cpp logs to this process's stderr, i.e. into the notebook; keep it quiet
        threads = n_threads or max(1, os.cpu_count() or 1)
        for cpu in (params.cpuparams, params.cpuparams_batch):
            cpu.n_threads = threads
            cpu.poll = 0  # no busy-waiting between batches (see labkit.llm.server)
        before = rss_mb()
        t0 = time.perf_counter()
        self._server = xllamacpp.Server(params)
        self.load_s = time.perf_counter() - t0
        self.rss_added_mb = rss_mb() - before
        self.path = path

    def chat(self, messages: list[dict[str, str]], max_tokens: int = 64, **kwargs: Any) -> dict[str, Any]:
        """A chat completion computed in this process; returns the OpenAI-shaped response dict."""
        body = {"messages": messages, "max_tokens": max_tokens, **kwargs}
        result = self._server.handle_chat_completions(body)
        if not isinstance(result, dict) or "choices" not in result:
            raise LabkitError(f"in-process model returned an error: {str(result)[:300]}")
        return result

    def time_stream(self, messages: list[dict[str, str]], max_tokens: int = 64, **kwargs: Any) -> StreamTiming:
        """Stream one completion in-process and time it like :func:`time_stream`."""
        t0 = time.perf_counter()
        state: dict[str, Any] = {"first": None, "chunks": 0, "usage": None}

        def on_chunk(chunk: Any) -> None:
            if not isinstance(chunk, dict):
                return
            for choice in chunk.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    state["chunks"] += 1
                    if state["first"] is None:
                        state["first"] = time.perf_counter() - t0
            if chunk.get("usage"):
                state["usage"] = chunk["usage"].get("completion_tokens")

        body = {"messages": messages, "max_tokens": max_tokens, "stream": True,
                "stream_options": {"include_usage": True}, **kwargs}
        self._server.handle_chat_completions(body, on_chunk)
        total = time.perf_counter() - t0
        first = state["first"] if state["first"] is not None else total
        return StreamTiming(first, total, int(state["usage"] or state["chunks"]))

    def close(self) -> None:
        """Free the model (its memory returns when Python drops the object)."""
        self._server = None
