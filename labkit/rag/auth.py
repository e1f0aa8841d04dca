"""Who is asking: API keys mapped to tenants, the way the RAG service authenticates a request.

The tenant of a request comes from its key, never from a header the client fills in freely. Keys live
outside the code: in ``LABKIT_APP_KEYS`` (``key1:halyard,key2:verbena``) or in a JSON or TOML file
mapping each key to its tenant::

    {"k-7f3a...": "halyard", "k-91bc...": "verbena"}        # keys.json
    [keys]                                                  # keys.toml
    "k-7f3a..." = "halyard"

A request without a key is anonymous and reads the shared knowledge base only (or gets 401 when the
service requires a key).
"""

from __future__ import annotations

import hmac
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ENV_KEYS = "LABKIT_APP_KEYS"
TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
KEY_TEXT = re.compile(r"[A-Za-z0-9._~+/=-]{8,256}")


class AuthError(Exception):
    """A request the service refuses: ``status`` is 401 (who are you?) or 403 (not allowed)."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


@dataclass(frozen=True)
class TenantKeys:
    """API keys and the tenant each one acts for.

    Attributes:
        keys: key -> tenant.
        require_key: refuse anonymous requests with 401 instead of serving shared documents only.
    """

    keys: dict[str, str] = field(default_factory=dict, repr=False)
    require_key: bool = False

    def __post_init__(self) -> None:
        for key, tenant in self.keys.items():
            if not isinstance(key, str) or not KEY_TEXT.fullmatch(key):
                raise ValueError("an API key must be 8-256 characters of letters, digits and ._~+/=- "
                                 f"(the key for tenant {tenant!r} is not); generate one with "
                                 "python -c 'import secrets; print(secrets.token_urlsafe(24))'")
            if not isinstance(tenant, str) or not TENANT_NAME.fullmatch(tenant) or tenant == "shared":
                raise ValueError(f"tenant {tenant!r} must be lower-case letters, digits, - or _ (not 'shared')")

    def tenant_for(self, key: str) -> str | None:
        """The tenant of ``key``, or None when no key matches (compared in constant time)."""
        found = None
        for known, tenant in self.keys.items():
            if hmac.compare_digest(known.encode(), key.encode()):
                found = tenant
        return found


def parse_key_list(text: str, source: str = ENV_KEYS) -> dict[str, str]:
    """``key1:tenant1,key2:tenant2`` -> {key: tenant}.

    Args:
        text: the list; whitespace around items is ignored.
        source: where it came from, for the error message.
    """
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, tenant = item.rpartition(":")
        if not sep or not key or not tenant:
            raise ValueError(f"{source}: each item must be KEY:TENANT, got an item without ':'")
        if key in keys:
            raise ValueError(f"{source}: a key is listed twice")
        keys[key] = tenant
    return keys


def load_key_file(path: str | Path) -> dict[str, str]:
    """Read a JSON (``{"key": "tenant"}``) or TOML (``[keys]`` table) file of API keys.

    Args:
        path: the file; ``.toml`` is read as TOML, anything else as JSON.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the API key file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text).get("keys", {}) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path} must map each key to a tenant name (a {{\"key\": \"tenant\"}} object"
                         " or a TOML [keys] table)")
    return dict(data)


def load_keys(path: str | Path | None = None, require_key: bool = False) -> TenantKeys:
    """The service's keys: from ``path`` when given, else from ``LABKIT_APP_KEYS`` (none when unset).

    Args:
        path: a JSON or TOML key file.
        require_key: refuse anonymous requests (401).
    """
    keys = load_key_file(path) if path is not None else parse_key_list(os.environ.get(ENV_KEYS, ""))
    return TenantKeys(keys, require_key)


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer KEY`` header; None when the header is absent."""
    if authorization is None:
        return None
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise AuthError(401, "send the API key as 'Authorization: Bearer KEY'", "invalid_api_key")
    return key.strip()


def request_tenant(keys: TenantKeys, authorization: str | None, claimed: list[str]) -> str | None:
    """The tenant a request acts for; None means anonymous (shared documents only).

    Args:
        keys: the service's keys.
        authorization: the ``Authorization`` header, if any.
        claimed: every ``X-Tenant`` header value sent. They never choose the tenant: each must equal the
            key's tenant exactly (no trimming, no case folding), else 403.

    Raises:
        AuthError: 401 for a missing key the service requires or a key it does not know; 403 for an
            ``X-Tenant`` that differs from the key's tenant.
    """
    key = bearer_key(authorization)
    tenant = None
    if keys.keys and key is not None:  # a service without keys ignores whatever key a client sends
        tenant = keys.tenant_for(key)
        if tenant is None:
            raise AuthError(401, "the API key is not valid for this service", "invalid_api_key")
    if tenant is None and keys.require_key:
        raise AuthError(401, "this service requires an API key: send 'Authorization: Bearer KEY'",
                        "invalid_api_key")
    if any(value != tenant for value in claimed):
        raise AuthError(403, "X-Tenant does not choose the tenant: the API key does. Drop the header, or send "
                        "exactly the key's tenant", "tenant_mismatch")
    return tenant
