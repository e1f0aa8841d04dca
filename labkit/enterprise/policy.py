"""Data classes and an egress policy, enforced in the client path before a request leaves the machine.

Every document and every request carries a data class — public < internal < confidential < restricted.
An :class:`EgressPolicy` says, per class, which providers may receive it, whether it may be cached,
how much of it may be logged, and how long it may be kept. An :class:`EgressGuard` installs the
policy as a ``labkit.llm.hooks.preflight`` check, so *every* call made through ``llm.client()``
(or a chain of clients from :mod:`labkit.deploy`) is classified and refused with
:class:`EgressDenied` before any byte is sent when its class may not go where it is going.

A request's class is the highest of:

* the class declared by the caller, ``with policy.data_class("confidential"): ...`` (e.g. the highest
  class among the retrieved documents, see :func:`class_of`);
* the class implied by personal data found in the prompt (:mod:`labkit.enterprise.pii`), e.g. a card
  number makes the request *restricted* under the default policy.

The destination is the provider the request goes to: a name set with ``with policy.destination("x")``
(the fallback chain does this for each attempt) or else derived from ``llm.base_url()``: the host and
port are looked up in the policy's ``destinations`` table (``127.0.0.1`` and ``localhost`` are
"local"; ``api.openai.com`` is "openai"; anything else is "external").

    >>> guard = EgressGuard(default_policy()).install()
    >>> with data_class("confidential"):
    ...     client.chat.completions.create(...)   # raises EgressDenied if the endpoint is hosted
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from labkit import llm
from labkit.enterprise import pii
from labkit.errors import LabkitError

__all__ = ["ClassRule", "DataClass", "Decision", "EgressDenied", "EgressGuard", "EgressPolicy", "class_of",
           "current_class", "data_class", "default_policy", "destination", "request_text"]


class EgressDenied(LabkitError):
    """The egress policy refused to send a request to its destination (nothing was sent)."""


class DataClass(IntEnum):
    """How sensitive a piece of data is; higher is more sensitive."""

    PUBLIC = 0
    INTERNAL = 1
    CONFIDENTIAL = 2
    RESTRICTED = 3

    @classmethod
    def parse(cls, value: DataClass | str) -> DataClass:
        """A data class from its name (case-insensitive) or itself.

        Raises:
            ValueError: not one of public, internal, confidential, restricted.
        """
        if isinstance(value, DataClass):
            return value
        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        raise ValueError(f"data class must be one of {[m.lower() for m in cls.__members__]}, got {value!r}")

    @property
    def label(self) -> str:
        return self.name.lower()


LOG_LEVELS = ("full", "redacted", "metadata", "none")


@dataclass(frozen=True)
class ClassRule:
    """What may happen to data of one class.

    Attributes:
        providers: provider names that may receive it (see ``EgressPolicy.destinations``).
        cache: whether prompts/answers of this class may be stored in a (tenant-partitioned) cache.
        log: how much of it may be written to logs and traces: "full", "redacted" (PII replaced),
            "metadata" (sizes, ids and timings only) or "none".
        retain_days: how long stored copies (caches, traces, logs) may be kept; 0 means not at all.
    """

    providers: frozenset[str]
    cache: bool
    log: str
    retain_days: int

    def __post_init__(self) -> None:
        if self.log not in LOG_LEVELS:
            raise ValueError(f"log must be one of {LOG_LEVELS}, got {self.log!r}")
        if self.retain_days < 0:
            raise ValueError(f"retain_days must be >= 0, got {self.retain_days}")
        if isinstance(self.providers, str):
            raise TypeError("providers must be a set of provider names, not a single string")


@dataclass(frozen=True)
class Decision:
    """The guard's verdict on one request."""

    data_class: DataClass
    declared: DataClass
    provider: str
    allowed: bool
    pii_types: tuple[str, ...]
    reason: str


DEFAULT_DESTINATIONS = {"127.0.0.1": "local", "localhost": "local", "::1": "local", "api.openai.com": "openai"}
# Which data class personal data implies: contact details are confidential; anything that moves
# money or unlocks a system is restricted.
DEFAULT_PII_CLASSES = {"email": DataClass.CONFIDENTIAL, "phone": DataClass.CONFIDENTIAL,
                       "card": DataClass.RESTRICTED, "iban": DataClass.RESTRICTED,
                       "national_id": DataClass.RESTRICTED, "secret": DataClass.RESTRICTED}


@dataclass(frozen=True)
class EgressPolicy:
    """Per data class: who may receive it, whether it may be cached, logged, and for how long kept.

    Attributes:
        rules: one :class:`ClassRule` per :class:`DataClass` (all four are required).
        destinations: ``"host"`` or ``"host:port"`` -> provider name; unknown hosts are "external".
        pii_classes: entity type -> the class a request containing it gets at least.
    """

    rules: dict[DataClass, ClassRule]
    destinations: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DESTINATIONS))
    pii_classes: dict[str, DataClass] = field(default_factory=lambda: dict(DEFAULT_PII_CLASSES))

    def __post_init__(self) -> None:
        missing = [c.label for c in DataClass if c not in self.rules]
        if missing:
            raise ValueError(f"the policy needs a rule for every data class; missing {missing}")
        unknown = [t for t in self.pii_classes if t not in pii.TYPES]
        if unknown:
            raise ValueError(f"pii_classes names unknown entity types {unknown}; use {list(pii.TYPES)}")

    def rule(self, cls: DataClass | str) -> ClassRule:
        """The rule for a data class."""
        return self.rules[DataClass.parse(cls)]

    def provider_of(self, url: str) -> str:
        """Provider name of an endpoint URL (``host:port`` entries win over ``host`` entries)."""
        parts = urllib.parse.urlsplit(url if "//" in url else f"//{url}")
        host = (parts.hostname or "").lower()
        if parts.port is not None and f"{host}:{parts.port}" in self.destinations:
            return self.destinations[f"{host}:{parts.port}"]
        return self.destinations.get(host, "external")

    def allows(self, cls: DataClass | str, provider: str) -> bool:
        """Whether data of this class may be sent to this provider."""
        return provider in self.rule(cls).providers

    def classify(self, text: str, declared: DataClass | str = DataClass.PUBLIC) -> tuple[DataClass, tuple[str, ...]]:
        """The class of a request: the declared class raised by any personal data in ``text``.

        Returns:
            (class, entity types found).
        """
        cls = DataClass.parse(declared)
        found = tuple(sorted({e.type for e in pii.detect(text, self.pii_classes)})) if text else ()
        for t in found:
            cls = max(cls, self.pii_classes[t])
        return cls, found

    def loggable(self, text: str, cls: DataClass | str) -> str | None:
        """What of ``text`` may be written to a log or trace under the class's log rule (None: nothing)."""
        level = self.rule(cls).log
        if level == "full":
            return text
        if level == "redacted":
            return pii.redact(text).redacted
        if level == "metadata":
            return f"<{DataClass.parse(cls).label}: {len(text)} chars withheld>"
        return None

    def may_cache(self, cls: DataClass | str) -> bool:
        return self.rule(cls).cache

    def retain_days(self, cls: DataClass | str) -> int:
        return self.rule(cls).retain_days

    def table(self) -> list[dict[str, Any]]:
        """The policy as rows (class, providers, cache, log, retain_days) for a DataFrame."""
        return [{"class": c.label, "may go to": ", ".join(sorted(r.providers)) or "nowhere", "cache": r.cache,
                 "log": r.log, "retain_days": r.retain_days} for c, r in sorted(self.rules.items())]


def default_policy(self_hosted: Iterable[str] = (), hosted_with_dpa: Iterable[str] = ("openai",)) -> EgressPolicy:
    """A sensible starting policy.

    * public: anywhere; cached; logged in full; kept a year.
    * internal: this machine, your self-hosted servers, and hosted providers under a data-processing
      agreement with zero retention (``hosted_with_dpa``); cached; logged in full; 180 days.
    * confidential: this machine and self-hosted servers only; cached (per tenant); logs redacted; 30 days.
    * restricted: this machine only; never cached; only metadata logged; not retained.

    Args:
        self_hosted: provider names of your own servers (vLLM, TGI, … inside your network); map their
            hosts to these names in ``destinations``.
        hosted_with_dpa: hosted providers allowed to receive internal data.
    """
    local = {"local"} | set(self_hosted)
    return EgressPolicy(rules={
        DataClass.PUBLIC: ClassRule(frozenset(local | set(hosted_with_dpa) | {"external"}), True, "full", 365),
        DataClass.INTERNAL: ClassRule(frozenset(local | set(hosted_with_dpa)), True, "full", 180),
        DataClass.CONFIDENTIAL: ClassRule(frozenset(local), True, "redacted", 30),
        DataClass.RESTRICTED: ClassRule(frozenset({"local"}), False, "metadata", 0),
    })


# ---------------------------------------------------------------- request context

_declared: contextvars.ContextVar[DataClass] = contextvars.ContextVar("labkit_data_class", default=DataClass.PUBLIC)
_destination: contextvars.ContextVar[str | None] = contextvars.ContextVar("labkit_destination", default=None)


@contextlib.contextmanager
def data_class(cls: DataClass | str) -> Iterator[DataClass]:
    """Declare the class of the requests made inside the block (nested blocks may only raise it)."""
    new = max(DataClass.parse(cls), _declared.get())
    token = _declared.set(new)
    try:
        yield new
    finally:
        _declared.reset(token)


def current_class() -> DataClass:
    """The class declared for requests made now (public when nothing was declared)."""
    return _declared.get()


@contextlib.contextmanager
def destination(provider: str) -> Iterator[str]:
    """Name where requests made inside the block go (the fallback chain does this for each attempt).

    Args:
        provider: a provider name known to the policy ("local", "openai", ...) or an endpoint URL, which
            the guard maps to a provider through the policy's ``destinations``.
    """
    if not isinstance(provider, str) or not provider:
        raise ValueError("provider must be a non-empty name such as 'local', or a URL")
    token = _destination.set(provider)
    try:
        yield provider
    finally:
        _destination.reset(token)


def class_of(items: Iterable[Any]) -> DataClass:
    """The highest data class among documents or retrieval hits (dicts or objects with ``data_class``).

    Items without a class count as *restricted*: unlabelled data is treated as the most sensitive.
    """
    cls = DataClass.PUBLIC
    for item in items:
        value = item.get("data_class") if isinstance(item, dict) else getattr(item, "data_class", None)
        cls = max(cls, DataClass.parse(value) if value else DataClass.RESTRICTED)
    return cls


def request_text(body: dict[str, Any]) -> str:
    """All the text a chat, completion or embeddings request would send (messages, prompt, input)."""
    parts: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            for v in value:
                add(v)
        elif isinstance(value, dict):
            for key in ("content", "text", "arguments"):
                if key in value:
                    add(value[key])

    for key in ("messages", "prompt", "input", "instructions", "system"):
        if key in body:
            add(body[key])
    return "\n".join(parts)


class EgressGuard:
    """Enforces an :class:`EgressPolicy` on every labkit client call, and redacts what is logged.

    Args:
        policy: the policy to enforce.
        redact_ledger: also rewrite the prompt and answer stored in ``llm.ledger`` records according to
            the log rule of the request's class (the ledger keeps request bodies for inspection).

    Use ``install()`` / ``uninstall()`` or ``with EgressGuard(policy):``. ``decisions`` keeps every verdict.
    """

    def __init__(self, policy: EgressPolicy, redact_ledger: bool = True) -> None:
        if not isinstance(policy, EgressPolicy):
            raise TypeError(f"EgressGuard needs an EgressPolicy, got {type(policy).__name__}")
        self.policy = policy
        self.redact_ledger = redact_ledger
        self.decisions: list[Decision] = []
        self._lock = threading.Lock()

    def current_provider(self) -> str:
        """Where a request made now would go: the declared destination, else ``llm.base_url()``'s provider."""
        named = _destination.get()
        if named is not None:
            return self.policy.provider_of(named) if "://" in named else named

        return self.policy.provider_of(llm.base_url())

    def decide(self, body: dict[str, Any], provider: str | None = None) -> Decision:
        """The verdict for a request body going to ``provider`` (the current one when omitted)."""
        provider = provider or self.current_provider()
        declared = current_class()
        cls, found = self.policy.classify(request_text(body), declared)
        allowed = self.policy.allows(cls, provider)
        if allowed:
            reason = f"{cls.label} data may go to {provider}"
        else:
            why = f" (it contains {', '.join(found)})" if found and cls > declared else ""
            reason = (f"{cls.label} data{why} may not be sent to {provider!r}; allowed: "
                      f"{sorted(self.policy.rule(cls).providers)}. Send it to an allowed endpoint, or redact it "
                      f"first with labkit.enterprise.pii.redact()")
        return Decision(cls, declared, provider, allowed, found, reason)

    def preflight(self, body: dict[str, Any], operation: str) -> None:
        """The ``llm.hooks.preflight`` hook: raises :class:`EgressDenied` for a disallowed request."""
        if operation not in ("chat", "completion", "embeddings"):
            return
        decision = self.decide(body)
        with self._lock:
            self.decisions.append(decision)
        if not decision.allowed:
            raise EgressDenied(decision.reason)

    def observe(self, record: Any) -> None:
        """The ``llm.hooks.observers`` hook: applies the log rule to the prompt and answer kept in the ledger."""
        if not self.redact_ledger:
            return
        cls, _ = self.policy.classify(request_text(record.request_body), DataClass.PUBLIC)
        cls = max(cls, current_class())
        if self.policy.rule(cls).log == "full":
            return
        _rewrite(record.request_body, lambda s: self.policy.loggable(s, cls) or "")
        _rewrite(record.response_body, lambda s: self.policy.loggable(s, cls) or "")

    def install(self) -> EgressGuard:
        """Add the hooks to ``labkit.llm.hooks`` (once)."""
        if self.preflight not in llm.hooks.preflight:
            llm.hooks.preflight.append(self.preflight)
        if self.observe not in llm.hooks.observers:
            llm.hooks.observers.append(self.observe)
        return self

    def uninstall(self) -> None:
        """Remove the hooks again."""
        while self.preflight in llm.hooks.preflight:
            llm.hooks.preflight.remove(self.preflight)
        while self.observe in llm.hooks.observers:
            llm.hooks.observers.remove(self.observe)

    def __enter__(self) -> EgressGuard:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    def summary(self) -> dict[str, int]:
        """Counts of allowed and denied requests so far."""
        with self._lock:
            denied = sum(not d.allowed for d in self.decisions)
            return {"requests": len(self.decisions), "allowed": len(self.decisions) - denied, "denied": denied}


def _rewrite(obj: Any, fn: Any) -> None:
    """Apply ``fn`` to every message content / prompt string inside a request or response body, in place."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("content", "text", "prompt", "input", "arguments") and isinstance(value, str):
                obj[key] = fn(value)
            elif key in ("prompt", "input") and isinstance(value, list) and all(isinstance(v, str) for v in value):
                obj[key] = [fn(v) for v in value]
            else:
                _rewrite(value, fn)
    elif isinstance(obj, list):
        for value in obj:
            _rewrite(value, fn)
