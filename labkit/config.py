"""Every ``LABKIT_*`` environment variable in one place: its name, default, meaning and check.

labkit reads its settings from the environment only through the functions here, so a learner can see
every knob in one table (:data:`SETTINGS`, or ``labkit doctor``) and a bad value fails with one line
that names the variable and the fix.

Example:
    >>> from labkit import config
    >>> config.cache_dir()                       # $LABKIT_CACHE, else ~/.cache/labkit
    >>> config.env_int("LABKIT_CTX", 16384)      # "lots" -> ValueError naming LABKIT_CTX
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One environment variable labkit reads."""

    name: str
    default: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("LABKIT_CACHE", "~/.cache/labkit", "working directory for indexes, fitted detectors, assembled "
                                               "models, traces and eval runs"),
    Setting("LABKIT_DATA", "datasets/ beside the package", "folder of the shipped datasets"),
    Setting("LABKIT_TRACES", "$LABKIT_CACHE/traces.sqlite", "the span store tracing writes and `labkit traces` reads"),
    Setting("LABKIT_EVALS_DB", "$LABKIT_CACHE/evals/runs.sqlite", "the eval run store of `labkit eval`"),
    Setting("LABKIT_CACHE_THRESHOLD", "labkit.cache.DEFAULT_THRESHOLD", "cosine threshold of `labkit cache eval`"),
    Setting("LABKIT_MODEL", "the first model the endpoint lists", "model name on a custom OpenAI-compatible endpoint"),
    Setting("LABKIT_MODEL_<ROLE>", "LABKIT_MODEL", "model for one role (CHAT, SMALL, LARGE, JUDGE, BASE) on a "
                                                    "custom endpoint"),
    Setting("LABKIT_MODEL_PATH", "the packaged SmolLM2", "GGUF file the embedded server loads"),
    Setting("LABKIT_MODEL_ALIAS", "the model's name", "name the embedded server reports"),
    Setting("LABKIT_CTX", "16384", "embedded server: context tokens shared by all slots"),
    Setting("LABKIT_PARALLEL", "8", "embedded server: parallel slots"),
    Setting("LABKIT_THREADS", "CPU count", "embedded server: CPU threads"),
    Setting("LABKIT_PORT", "0 (a free port)", "embedded server: TCP port on 127.0.0.1"),
    Setting("LABKIT_HTTP_THREADS", "128", "embedded server: HTTP worker threads (idle sockets must not starve it)"),
    Setting("LABKIT_READ_TIMEOUT", "10", "embedded server: seconds a connection may take to send its request"),
    Setting("LABKIT_SERVER_API_KEY", "unset", "embedded server: API key it requires; `llm.client()` sends it"),
    Setting("LABKIT_AUDIT_KEY", "a random key in the audit log's key store", "HMAC key of the audit chain"),
    Setting("LABKIT_APP_KEYS", "unset", "RAG service: `key:tenant,...` API keys mapped to tenants"),
    Setting("LABKIT_LEDGER_OUT", "unset", "file the usage ledger's totals are written to at exit (`make run`)"),
    Setting("LABKIT_SOLUTIONS", "unset", "1: exercises run their reference solutions (`make test`)"),
    Setting("LABKIT_PHOENIX_PYTHON", ".venv-phoenix's python", "python of the environment that has arize-phoenix "
                                                             "(`make phoenix-env`)"),
)


def env_str(name: str) -> str | None:
    """The variable's value, or None when it is unset or empty."""
    return os.environ.get(name) or None


def env_int(name: str, default: int) -> int:
    """A whole-number setting >= 0.

    Args:
        name: the variable, e.g. ``"LABKIT_CTX"``.
        default: the value when it is unset or empty.

    Raises:
        ValueError: not a whole number >= 0; the message names the variable and the fix.
    """
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not an integer; unset it or give a whole number") from None
    if number < 0:
        raise ValueError(f"{name}={value!r} must be >= 0")
    return number


def env_float(name: str, default: float, example: str = "0.5") -> float:
    """A number setting.

    Args:
        name: the variable.
        default: the value when it is unset or empty.
        example: a good value, for the error message.

    Raises:
        ValueError: not a number; the message names the variable and the fix.
    """
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number; unset it or give e.g. {example}") from None


def cache_dir() -> Path:
    """labkit's working directory: ``$LABKIT_CACHE``, else ``~/.cache/labkit``."""
    return Path(env_str("LABKIT_CACHE") or Path.home() / ".cache" / "labkit")


def data_dir() -> Path:
    """The ``datasets/`` folder: ``$LABKIT_DATA``, else the one beside the labkit package."""
    return Path(env_str("LABKIT_DATA") or Path(__file__).resolve().parent.parent / "datasets")


def traces_path() -> Path:
    """The default span store: ``$LABKIT_TRACES``, else ``<cache_dir>/traces.sqlite``."""
    return Path(env_str("LABKIT_TRACES") or cache_dir() / "traces.sqlite")


def evals_db() -> Path:
    """The default eval run store: ``$LABKIT_EVALS_DB``, else ``<cache_dir>/evals/runs.sqlite``."""
    return Path(env_str("LABKIT_EVALS_DB") or cache_dir() / "evals" / "runs.sqlite")


def model_name(role: str) -> str | None:
    """The model named for ``role`` on a custom endpoint: ``LABKIT_MODEL_<ROLE>``, else ``LABKIT_MODEL``."""
    return env_str(f"LABKIT_MODEL_{role.upper()}") or env_str("LABKIT_MODEL")


def solutions_enabled() -> bool:
    """Whether exercises run their reference solutions (``LABKIT_SOLUTIONS=1``)."""
    return os.environ.get("LABKIT_SOLUTIONS") == "1"
