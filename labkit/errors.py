"""Errors a learner will meet, each with a message that says how to fix it.

They derive from ``openai.OpenAIError`` where they can be raised inside an
``openai`` client call, so the client re-raises them unchanged instead of
wrapping them in a generic connection error.
"""

from __future__ import annotations

import openai


class LabkitError(openai.OpenAIError):
    """Base class for every error labkit raises on purpose."""


class ModelFileMissing(LabkitError):
    """The GGUF file the embedded server should load does not exist."""


class ServerStartError(LabkitError):
    """The embedded model server did not come up; the message carries its log tail."""


class PortInUse(LabkitError):
    """The requested port for the embedded server is taken by another process."""


class EndpointUnreachable(LabkitError):
    """A configured OpenAI-compatible endpoint did not answer."""


class UnknownModel(LabkitError):
    """A model name that the current backend cannot serve (e.g. a hosted name sent to the local server)."""


class DatasetNotFound(LabkitError):
    """``labkit.data.load`` was asked for a dataset that is not shipped."""
