"""One OpenAI client for every backend, the embedded server behind it, and the usage ledger.

Resolution order (the same in every notebook and service):

1. ``OPENAI_BASE_URL`` set -> that OpenAI-compatible endpoint (vLLM, llama.cpp, Ollama, ...);
2. else ``OPENAI_API_KEY`` set -> OpenAI;
3. else the embedded llama.cpp server with the packaged SmolLM2, started on first use on
   127.0.0.1 and reused for the life of the process.

Example:
    >>> from labkit import llm
    >>> c = llm.client()
    >>> r = c.chat.completions.create(model=llm.model_for("chat"),
    ...                               messages=[{"role": "user", "content": "Hi"}])
    >>> llm.ledger.summary()
"""

from labkit.llm import registry
from labkit.llm.capabilities import Capabilities, capabilities
from labkit.llm.connection import (
    async_client,
    backend,
    base_url,
    chat_model,
    client,
    cost,
    hooks,
    ledger,
    model_for,
    openai_transport,
    server,
    shutdown,
)
from labkit.llm.ledger import CallRecord, Ledger
from labkit.llm.registry import ModelInfo
from labkit.llm.server import EmbeddedServer, ServerSettings

__all__ = [
    "CallRecord", "Capabilities", "EmbeddedServer", "Ledger", "ModelInfo", "ServerSettings",
    "async_client", "backend", "base_url", "capabilities", "chat_model", "client", "cost", "hooks",
    "ledger", "model_for", "openai_transport", "registry", "server", "shutdown",
]
