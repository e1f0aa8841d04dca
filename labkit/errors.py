"""Errors a learner will meet, each with a message that says how to fix it.

``LabkitError`` is a plain exception, so importing this module (and ``labkit.data``) loads nothing
else. The errors that can be raised *inside* an ``openai`` client call (the embedded server not
starting, an unknown model, an unreachable endpoint) also derive from ``openai.OpenAIError``, so the
client re-raises them unchanged; they live in :mod:`labkit.llm.errors` and are importable from here
too (loaded on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.llm.errors import (
        EndpointUnreachable,
        LabkitClientError,
        PortInUse,
        ServerStartError,
        UnknownModel,
    )

__all__ = ["DatasetNotFound", "EndpointUnreachable", "LabkitClientError", "LabkitError", "ModelFileMissing",
           "PortInUse", "ServerStartError", "UnknownModel"]

_CLIENT_ERRORS = frozenset({"EndpointUnreachable", "LabkitClientError", "PortInUse", "ServerStartError",
                            "UnknownModel"})


class LabkitError(Exception):
    """Base class for every error labkit raises on purpose."""


class ModelFileMissing(LabkitError):
    """A model file labkit should load (a GGUF for the server, the embedding model) does not exist."""


class DatasetNotFound(LabkitError):
    """``labkit.data.load`` was asked for a dataset that is not shipped."""


def __getattr__(name: str) -> Any:
    # The openai-derived errors are imported only when asked for, so `import labkit.errors` stays light.
    if name in _CLIENT_ERRORS:
        from labkit.llm import errors as client_errors

        return getattr(client_errors, name)
    raise AttributeError(f"module 'labkit.errors' has no attribute {name!r}")
