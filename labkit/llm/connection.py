"""Which endpoint this process talks to, the one embedded server it may start, and the clients that record calls.

The state lives here, once per process: ``ledger`` and ``hooks`` (shared by every client),
the embedded server (started on first use, reused, stopped at exit) and the model lists of custom
endpoints. :mod:`labkit.llm` re-exports the public names; patch state here, not there.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import urllib.error
import urllib.request
from typing import Any

import httpx2
import openai

from labkit import config
from labkit.llm import registry
from labkit.llm.errors import EndpointUnreachable, UnknownModel
from labkit.llm.ledger import Ledger
from labkit.llm.registry import ModelInfo
from labkit.llm.server import EmbeddedServer, ServerSettings
from labkit.llm.transport import AsyncRecordingTransport, Hooks, RecordingTransport, current_url

ledger = Ledger()
hooks = Hooks(ledger)


def _write_ledger_totals() -> None:
    # `make run` sets LABKIT_LEDGER_OUT so each notebook's kernel leaves its totals behind.
    path = config.env_str("LABKIT_LEDGER_OUT")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(ledger.totals(), f)


atexit.register(_write_ledger_totals)

_server: EmbeddedServer | None = None
_server_lock = threading.Lock()
_custom_models: dict[str, list[str]] = {}


def backend() -> str:
    """Which backend ``client()`` uses now: "custom", "openai" or "embedded"."""
    if os.environ.get("OPENAI_BASE_URL"):
        return "custom"
    if os.environ.get("OPENAI_API_KEY"):
        return "openai"
    return "embedded"


def server() -> EmbeddedServer:
    """The process's embedded server, started on first call and reused afterwards."""
    global _server
    with _server_lock:
        if _server is None or not _server.running():
            _server = EmbeddedServer(ServerSettings.from_env()).start()
        return _server


def shutdown() -> None:
    """Stop the embedded server if this process started one (it also stops at exit)."""
    global _server
    with _server_lock:
        if _server is not None:
            _server.stop()
            _server = None


def base_url() -> str:
    """Base URL (ending in /v1) of the endpoint ``client()`` talks to."""
    kind = backend()
    if kind == "custom":
        return os.environ["OPENAI_BASE_URL"].rstrip("/")
    if kind == "openai":
        return "https://api.openai.com/v1"
    return server().url


def cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """Cost in USD of a call, from the registry; None when the registry has no price for ``model``."""
    info = _served_info(model)
    return None if info is None else info.cost(input_tokens, output_tokens)


def _served_info(model: str) -> ModelInfo | None:
    info = registry.find(model)
    if info is None and backend() == "embedded" and _server is not None and model == _server.settings.model_alias:
        # A GGUF the learner pointed LABKIT_MODEL_PATH at: price it like the default local model.
        default = registry.role_model("embedded", "chat")
        info = registry.find(default) if default else None
    return info


def _check_model(body: dict[str, Any], operation: str) -> None:
    if backend() != "embedded" or operation not in ("chat", "completion") or _server is None:
        return
    if not current_url.get().startswith(_server.root_url):
        return  # addressed to another endpoint (a provider in a fallback chain): not ours to judge
    model = body.get("model")
    served = {_server.settings.model_alias}
    info = registry.find(str(model)) if model else None
    if model in served or (info is not None and info.is_local and info.id == _server.settings.model_alias):
        return
    if info is not None and not info.is_local:
        raise UnknownModel(
            f"{model!r} is a hosted {info.provider} model, but no endpoint is configured, so this call would "
            f"go to the embedded local server, which serves {_server.settings.model_alias!r}. Use "
            f"llm.model_for('chat'), or set OPENAI_API_KEY (or OPENAI_BASE_URL) before starting the kernel."
        )
    raise UnknownModel(
        f"the embedded server serves {_server.settings.model_alias!r}, not {model!r}. Use llm.model_for('chat'); "
        f"to serve another GGUF file set LABKIT_MODEL_PATH and restart the kernel."
    )


hooks.preflight.append(_check_model)


def _price(model: str, input_tokens: int, output_tokens: int) -> float | None:
    return cost(model, input_tokens, output_tokens)


def _custom_endpoint_key() -> str | None:
    # A `labkit serve --api-key` endpoint: LABKIT_SERVER_API_KEY is its key unless OPENAI_API_KEY names one.
    return os.environ.get("OPENAI_API_KEY") or config.env_str("LABKIT_SERVER_API_KEY")


def _client_args() -> dict[str, Any]:
    kind = backend()
    if kind == "embedded":
        embedded = server()
        return {"base_url": embedded.url, "api_key": embedded.settings.api_key or "labkit-local"}
    if kind == "custom":
        return {"base_url": base_url(), "api_key": _custom_endpoint_key() or "not-needed"}
    return {"api_key": os.environ["OPENAI_API_KEY"]}


def client(**kwargs: Any) -> openai.OpenAI:
    """An ``openai.OpenAI`` for the current backend whose calls are recorded in ``ledger``.

    Args:
        **kwargs: passed to ``openai.OpenAI`` (e.g. ``timeout=30``, ``max_retries=0``, or ``base_url=`` to
            reach the same backend through a proxy or gateway).

    Returns:
        The client. Each call builds a new one; they share the server, ledger and hooks.
    """
    if "http_client" in kwargs:
        raise TypeError("client() builds its own http_client (it records usage); pass timeout/max_retries instead")
    transport = RecordingTransport(openai_transport(), backend(), hooks, _price)
    args = {**_client_args(), **kwargs}
    return openai.OpenAI(**args, http_client=openai.DefaultHttpxClient(transport=transport))


def async_client(**kwargs: Any) -> openai.AsyncOpenAI:
    """Async twin of :func:`client`: an ``openai.AsyncOpenAI`` recorded in the same ledger."""
    if "http_client" in kwargs:
        raise TypeError("async_client() builds its own http_client; pass timeout/max_retries instead")
    transport = AsyncRecordingTransport(httpx2.AsyncHTTPTransport(), backend(), hooks, _price)
    args = {**_client_args(), **kwargs}
    return openai.AsyncOpenAI(**args, http_client=openai.DefaultAsyncHttpxClient(transport=transport))


def openai_transport() -> Any:
    """A plain httpx transport of the kind ``client()`` wraps (for clients built elsewhere, e.g. a fallback chain)."""
    return httpx2.HTTPTransport()


def _custom_endpoint_models() -> list[str]:
    url = base_url()
    if url not in _custom_models:
        req = urllib.request.Request(f"{url}/models")
        key = _custom_endpoint_key()
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                data = json.load(r)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise EndpointUnreachable(
                f"could not list models at {url}/models ({exc}). Is the server running and OPENAI_BASE_URL "
                f"right? Or set LABKIT_MODEL to the model name to skip the lookup."
            ) from None
        _custom_models[url] = [m["id"] for m in data.get("data", []) if isinstance(m, dict) and "id" in m]
    return _custom_models[url]


def model_for(role: str = "chat") -> str:
    """The model name to send for a role ("chat", "small", "large", "judge", "base") on this backend.

    On a custom endpoint, ``LABKIT_MODEL`` (or ``LABKIT_MODEL_<ROLE>``) names the model; otherwise
    the first model the endpoint lists is used for every role.
    """
    if role not in registry.ROLES:
        raise ValueError(f"role must be one of {registry.ROLES}, got {role!r}")
    kind = backend()
    if kind == "custom":
        named = config.model_name(role)
        if named:
            return named
        listed = _custom_endpoint_models()
        if not listed:
            raise EndpointUnreachable(f"{base_url()}/models lists no model; set LABKIT_MODEL to the model name")
        return listed[0]
    if kind == "embedded":
        if role == "base":
            raise UnknownModel(
                "the embedded server serves one chat model; the base model is served separately: "
                "use EmbeddedServer(ServerSettings(model_path=str(registry.local_model_path('gemma3-270m-base')), ...))"
            )
        if config.env_str("LABKIT_MODEL_PATH"):
            return server().settings.model_alias
    model = registry.role_model(kind, role)
    if model is None:
        raise UnknownModel(f"no model has the role {role!r} on the {kind} backend; see {registry.REGISTRY_FILE}")
    return registry.get(model).api_name


def chat_model() -> str:
    """Shorthand for ``model_for("chat")``."""
    return model_for("chat")
