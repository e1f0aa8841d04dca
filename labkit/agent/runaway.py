"""A failing endpoint for the guard's lesson: an OpenAI-compatible server on 127.0.0.1 that answers every
chat call with another tool call, so an agent without a guard would never stop.

    >>> with RunawayEndpoint() as url:
    ...     a = Agent(tools, client=tracing.traced_client(url), model=..., protocol="tools")
    ...     a.run(a.session(), "Which plan is ACC-1001 on?").stopped   # Stop(reason='step_limit', ...)

It is a stand-in only for a model that loops; the tools it names are real and really run.
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _handler(model: str, same_arguments: bool) -> type[BaseHTTPRequestHandler]:
    counter = itertools.count()

    class AlwaysToolCall(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            n = next(counter)
            account = "ACC-1001" if same_arguments else f"ACC-{1001 + n % 12}"
            call = {"id": f"call_{n}", "type": "function",
                    "function": {"name": "lookup_account", "arguments": json.dumps({"account_id": account})}}
            body = {"id": f"chatcmpl-{n}", "object": "chat.completion", "created": 0, "model": model,
                    "choices": [{"index": 0, "finish_reason": "tool_calls",
                                 "message": {"role": "assistant", "content": None, "tool_calls": [call]}}],
                    "usage": {"prompt_tokens": 200, "completion_tokens": 20, "total_tokens": 220}}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return AlwaysToolCall


class RunawayEndpoint:
    """The always-call-a-tool server, as a context manager yielding its base URL (``.../v1``).

    Args:
        model: the model name its replies carry.
        same_arguments: every call looks up the same account (a loop :func:`~labkit.agent.guard.repeated_call`
            catches); otherwise each call names another account (only the step or cost limit stops it).
    """

    def __init__(self, model: str = "smollm2-135m-instruct", *, same_arguments: bool = False) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model, same_arguments))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
