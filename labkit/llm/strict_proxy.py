"""A proxy that accepts only what the OpenAI API accepts, in front of any local OpenAI-compatible server.

llama.cpp, vLLM and Ollama accept many fields and paths the OpenAI API rejects (``ignore_eos``,
``cache_prompt``, ``/metrics``, ``/slots`` ...). Code tested only against them can break on the first
call to a hosted API. :class:`StrictOpenAIProxy` forwards a request only when OpenAI would accept its
path and every top-level request parameter; anything else gets OpenAI's own error shape::

    400 {"error": {"message": "Unrecognized request argument supplied: ignore_eos",
                   "type": "invalid_request_error", "param": null, "code": null}}
    404 {"error": {"message": "Invalid URL (GET /metrics)", ...}}

Accepted requests, streams included, pass through chunk by chunk, so time to first token measured
behind the proxy is the server's. ``make test-portable`` runs every notebook through it.

It lives in ``labkit`` rather than ``tools/`` because tests, the portable runner and learners import
it (``with StrictOpenAIProxy(llm.base_url()) as p: ...`` checks your own code against the API's rules
without a key), and it builds on the course's local proxy base, :class:`labkit.tracing.faults.LocalProxy`.
Only top-level parameters are checked; the values and nested fields are the server's to judge.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from labkit.tracing.faults import LocalProxy, QuietHandler

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}

# The documented request bodies of the OpenAI API (platform.openai.com/docs/api-reference).
CHAT_PARAMS = frozenset({
    "model", "messages", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
    "max_completion_tokens", "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls", "prediction",
    "presence_penalty", "prompt_cache_key", "reasoning_effort", "response_format", "safety_identifier", "seed",
    "service_tier", "stop", "store", "stream", "stream_options", "temperature", "tool_choice", "tools",
    "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
})
COMPLETION_PARAMS = frozenset({
    "model", "prompt", "best_of", "echo", "frequency_penalty", "logit_bias", "logprobs", "max_tokens", "n",
    "presence_penalty", "seed", "stop", "stream", "stream_options", "suffix", "temperature", "top_p", "user",
})
EMBEDDING_PARAMS = frozenset({"model", "input", "dimensions", "encoding_format", "user"})
POST_PATHS: dict[str, frozenset[str]] = {
    "/v1/chat/completions": CHAT_PARAMS,
    "/v1/completions": COMPLETION_PARAMS,
    "/v1/embeddings": EMBEDDING_PARAMS,
}


@dataclass(frozen=True)
class Rejection:
    """A request the proxy refused, as OpenAI would have: HTTP status and error message."""

    status: int
    message: str


def openai_error(message: str) -> bytes:
    """The JSON body of an OpenAI API error (``invalid_request_error``) carrying ``message``."""
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                 "code": None}}).encode()


def check_request(method: str, path: str, body: bytes) -> Rejection | None:
    """Whether the OpenAI API would refuse this request before looking at the values.

    Args:
        method: HTTP method ("GET", "POST").
        path: the request path, query string allowed (``/v1/chat/completions``).
        body: the raw request body.

    Returns:
        None when OpenAI accepts the path and every top-level parameter; else the :class:`Rejection`.
    """
    route = urlsplit(path).path.rstrip("/")
    if method == "GET" and (route == "/v1/models" or route.startswith("/v1/models/")):
        return None
    allowed = POST_PATHS.get(route) if method == "POST" else None
    if allowed is None:
        return Rejection(404, f"Invalid URL ({method} {route or '/'})")
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return Rejection(400, "We could not parse the JSON body of your request: the API expects a JSON object.")
    unknown = sorted(set(payload) - allowed)
    if not unknown:
        return None
    noun = "argument" if len(unknown) == 1 else "arguments"
    return Rejection(400, f"Unrecognized request {noun} supplied: {', '.join(unknown)}")


class StrictOpenAIProxy(LocalProxy):
    """A local proxy that forwards only requests the OpenAI API accepts; see the module docstring.

    Args:
        upstream: base URL of the local server, e.g. ``llm.server().url`` (``http://127.0.0.1:PORT/v1``).

    Attributes:
        rejections: every refused request, in order (for tests and for a run's report).

    Example:
        >>> with StrictOpenAIProxy(llm.server().url) as proxy:
        ...     c = llm.client(base_url=proxy.url)   # c now behaves like a client of the OpenAI API
    """

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, name="strict-openai-proxy")
        self.rejections: list[Rejection] = []
        self._lock = threading.Lock()

    def _refuse(self, rejection: Rejection) -> None:
        with self._lock:
            self.rejections.append(rejection)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(QuietHandler):

            def _send_error(self, rejection: Rejection) -> None:
                data = openai_error(rejection.message)
                self.send_response(rejection.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _relay(self, resp: http.client.HTTPResponse) -> None:
                """Send the upstream response on, chunk by chunk as it arrives (streams stay streams)."""
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in _HOP_HEADERS:
                        self.send_header(k, v)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                while chunk := resp.read1(65536):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                rejection = check_request(self.command, self.path, body)
                if rejection is not None:
                    proxy._refuse(rejection)
                    self._send_error(rejection)
                    return
                path = self.path
                if proxy._prefix:
                    path = proxy._prefix + path[len("/v1"):]
                conn = http.client.HTTPConnection(proxy._host, proxy._port, timeout=600)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                    conn.request(self.command, path, body=body, headers=headers)
                    self._relay(conn.getresponse())
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client went away mid-stream
                finally:
                    conn.close()

            do_GET = _handle
            do_POST = _handle
            do_PUT = _handle
            do_DELETE = _handle

        return Handler
