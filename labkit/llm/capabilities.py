"""What the current backend can do, learned by asking it once.

The embedded llama.cpp server accepts request fields the OpenAI API rejects (``ignore_eos``,
``cache_prompt``, ``id_slot``, ``n_probs``) and serves ``/metrics`` and ``/slots``; a hosted API may
not. :func:`capabilities` probes an endpoint with tiny real requests (``max_tokens=1``) and caches the
answer per base URL. A request the endpoint refuses (HTTP 400, 404, 405, 422 or 501) means "not
supported"; any other failure is raised, because then nothing was learned.

The probes go over plain HTTP, not through ``llm.client()``: they are not model calls of the lesson,
so they stay out of the ledger and the traces.

Example:
    >>> caps = llm.capabilities()
    >>> client.chat.completions.create(..., extra_body=caps.extra_body(ignore_eos=True))
    >>> print(caps.explain("ignore_eos", "answers may stop before max_tokens"))
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from labkit import llm
from labkit.errors import EndpointUnreachable

LLAMACPP_EXTRAS: dict[str, Any] = {"cache_prompt": True, "id_slot": 0, "ignore_eos": True, "n_probs": 1}
_REFUSED = {400, 404, 405, 422, 501}
_TOOL = {"type": "function", "function": {"name": "noop", "description": "Does nothing.",
                                          "parameters": {"type": "object", "properties": {}}}}
_SCHEMA = {"type": "json_schema", "json_schema": {"name": "probe", "schema": {
    "type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}}}


@dataclass(frozen=True)
class Capabilities:
    """What one endpoint accepted when probed.

    Attributes:
        base_url: the endpoint probed (ends in ``/v1``).
        model: the model the probes named.
        llamacpp_extras: llama.cpp request field -> accepted (``cache_prompt``, ``id_slot``, ``ignore_eos``,
            ``n_probs``). Accepted means not refused; a server may accept a field and ignore it.
        metrics: ``GET /metrics`` (at the server root) answers Prometheus text.
        slots: ``GET /slots`` (llama.cpp's per-slot state) answers.
        logprobs: a chat call with ``logprobs`` returns token log-probabilities.
        json_schema: ``response_format`` of type ``json_schema`` is accepted.
        tools: the ``tools`` parameter (function calling) is accepted.
    """

    base_url: str
    model: str
    llamacpp_extras: dict[str, bool]
    metrics: bool
    slots: bool
    logprobs: bool
    json_schema: bool
    tools: bool

    @property
    def root_url(self) -> str:
        """The server root (``base_url`` without ``/v1``), where ``/metrics`` and ``/slots`` live."""
        return self.base_url.removesuffix("/v1")

    def accepts(self, field: str) -> bool:
        """Whether the endpoint accepted the llama.cpp request field ``field``."""
        if field not in self.llamacpp_extras:
            raise ValueError(f"unknown llama.cpp field {field!r}; probed: {sorted(self.llamacpp_extras)}")
        return self.llamacpp_extras[field]

    def supports(self, name: str) -> bool:
        """A llama.cpp field (``"ignore_eos"``) or a capability attribute (``"metrics"``, ``"logprobs"``)."""
        if name in self.llamacpp_extras:
            return self.llamacpp_extras[name]
        value = getattr(self, name, None)
        if not isinstance(value, bool):
            raise ValueError(f"unknown capability {name!r}; use a llama.cpp field {sorted(self.llamacpp_extras)} "
                             f"or one of metrics, slots, logprobs, json_schema, tools")
        return value

    def extra_body(self, **fields: Any) -> dict[str, Any]:
        """``fields`` restricted to the ones this endpoint accepts: pass it as ``extra_body=``.

        Example:
            ``extra_body=caps.extra_body(ignore_eos=True, cache_prompt=False)`` sends both to llama.cpp
            and nothing to an endpoint that rejects them.
        """
        return {k: v for k, v in fields.items() if self.accepts(k)}

    def explain(self, name: str, without: str) -> str:
        """One line for a notebook: whether ``name`` (see :meth:`supports`) is used here, and what is lost if not.

        Args:
            name: the field or capability.
            without: what the notebook skips or cannot force when the endpoint lacks it.
        """
        if self.supports(name):
            return f"{name}: used ({self.base_url} supports it)"
        return f"{name}: skipped, {self.base_url} does not support it - {without}"


_cache: dict[tuple[str, str], Capabilities] = {}
_cache_lock = threading.Lock()


def _request(url: str, api_key: str | None, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    """(HTTP status, body) of a GET (no ``body``) or JSON POST; a refusal is an answer, not an error."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    req.add_header("Content-Type", "application/json")
    if api_key:
        req.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise EndpointUnreachable(f"could not probe {url} ({exc}); is the server running and the URL right?") from None


def _accepted(status: int, answer: bytes, url: str) -> bool:
    if status == 200:
        return True
    if status in _REFUSED:
        return False
    raise EndpointUnreachable(f"probing {url} got HTTP {status}: {answer[:200]!r}; retry when the endpoint is healthy")


def probe(base_url: str, model: str, api_key: str | None = None) -> Capabilities:
    """Probe an endpoint now (uncached): one tiny request per capability. Prefer :func:`capabilities`.

    Args:
        base_url: the OpenAI-compatible base URL, ending in ``/v1``.
        model: the model to name in the probes.
        api_key: sent as a bearer token when given.

    Returns:
        The :class:`Capabilities`.
    """
    base = base_url.rstrip("/")
    chat = f"{base}/chat/completions"
    ask = {"model": model, "messages": [{"role": "user", "content": "Say ok."}], "max_tokens": 1, "temperature": 0}

    def post(**extra: Any) -> tuple[int, bytes]:
        return _request(chat, api_key, {**ask, **extra})

    def accepted(**extra: Any) -> bool:
        return _accepted(*post(**extra), chat)

    def get(path: str) -> tuple[int, bytes]:
        return _request(f"{base.removesuffix('/v1')}{path}", api_key)

    if not accepted():
        raise EndpointUnreachable(f"a plain chat call to {chat} with model {model!r} was refused; check the model name")
    extras = {k: accepted(**{k: v}) for k, v in LLAMACPP_EXTRAS.items()}
    status, answer = post(logprobs=True, top_logprobs=1)
    logprobs = _accepted(status, answer, chat) and bool(
        ((json.loads(answer).get("choices") or [{}])[0].get("logprobs") or {}).get("content"))
    m_status, m_body = get("/metrics")
    return Capabilities(
        base_url=base, model=model, llamacpp_extras=extras,
        metrics=m_status == 200 and b"# TYPE" in m_body,
        slots=get("/slots")[0] == 200,
        logprobs=logprobs,
        json_schema=accepted(response_format=_SCHEMA),
        tools=accepted(tools=[_TOOL]),
    )


def capabilities(base_url: str | None = None, model: str | None = None) -> Capabilities:
    """What an endpoint can do, probed on first use and cached per (base URL, model).

    Args:
        base_url: the endpoint; the current backend's (``llm.base_url()``) by default.
        model: the model to name; ``llm.model_for("chat")`` for the current backend, else the first
            model the endpoint lists.

    Returns:
        The :class:`Capabilities`.
    """
    current = llm.base_url()
    base = (base_url or current).rstrip("/")
    api_key = os.environ.get("OPENAI_API_KEY") if base == current and llm.backend() != "embedded" else None
    if model is None:
        model = llm.model_for("chat") if base == current else _first_model(base, api_key)
    key = (base, model)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = probe(base, model, api_key)
        return _cache[key]


def _first_model(base: str, api_key: str | None) -> str:
    status, answer = _request(f"{base}/models", api_key)
    listed = json.loads(answer).get("data") if status == 200 else None
    if not listed:
        raise EndpointUnreachable(f"{base}/models lists no model (HTTP {status}); pass model= to capabilities()")
    return str(listed[0]["id"])
