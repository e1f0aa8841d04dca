"""The errors that can be raised inside an ``openai`` client call.

They derive from both :class:`labkit.errors.LabkitError` and ``openai.OpenAIError``: the client
re-raises an ``OpenAIError`` unchanged instead of wrapping it in a generic connection error, so the
learner sees the message that says how to fix the problem.
"""

from __future__ import annotations

import openai

from labkit import errors


class LabkitClientError(errors.LabkitError, openai.OpenAIError):
    """Base class for labkit errors raised from inside an ``openai`` client call."""


class ModelFileMissing(LabkitClientError, errors.ModelFileMissing):
    """The GGUF file the embedded server should load does not exist."""


class ServerStartError(LabkitClientError):
    """The embedded model server did not come up; the message carries its log tail."""


class PortInUse(LabkitClientError):
    """The requested port for the embedded server is taken by another process."""


class EndpointUnreachable(LabkitClientError):
    """A configured OpenAI-compatible endpoint did not answer."""


class UnknownModel(LabkitClientError):
    """A model name that the current backend cannot serve (e.g. a hosted name sent to the local server)."""
