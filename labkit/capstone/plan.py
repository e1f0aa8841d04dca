"""What can go wrong in the capstone's week, and how each kind shows in the traces.

The bugs live in the environment, where the learner wrote no code: a teammate's prompt deploy, a
knowledge-base re-ingest, the gateway's retry setting, a teammate's search cache, the provider's price
list and model snapshots, the agent's tool data.
Each run plants at least two kinds, at least one a silent quality regression. The plan is sealed: it is
encrypted with a per-run key kept under ``labkit.config.cache_dir()``, outside the run directory, and
no public function returns it.

Each kind has a *signature*: a test on one trace (its spans, plus the run's baseline from its first day)
that is true only when the trace shows the kind. The checker judges findings with these signatures.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labkit import config

DAY_S = 86_400.0

# Described by where they live, not by what a trace shows (that is the learner's work).
KINDS: dict[str, str] = {
    "prompt-template": "a teammate deploys a new prompt template mid-week under the same version name",
    "reingest-drop": "a knowledge-base re-ingest silently leaves documents out",
    "retry-setting": "a gateway configuration change alters how failed model calls are retried",
    "price-change": "the provider changes its price per token",
    "stale-tool-data": "a tool starts answering from an old data export (agent)",
    "runaway-loop": "a tool starts failing in a way that makes the agent call it again and again (agent)",
    "cache-tenant": "a teammate changes how the knowledge-base search cache builds its key",
    "model-swap": "the provider moves the model name the service calls to a new snapshot",
}
# No error, no crash: only the online evals or the traces show these.
QUALITY = ("prompt-template", "reingest-drop", "stale-tool-data", "model-swap")
RAG_KINDS = ("prompt-template", "reingest-drop", "retry-setting", "price-change", "cache-tenant", "model-swap")
AGENT_KINDS = ("stale-tool-data", "runaway-loop", "reingest-drop", "retry-setting", "price-change", "model-swap")


@dataclass(frozen=True)
class Planted:
    kind: str
    start_s: float


def _draw(rng: random.Random, *, agent: bool, days: float) -> list[Planted]:
    """Two or three kinds, at least one silent quality regression, each switched on after day 1."""
    pool = AGENT_KINDS if agent else RAG_KINDS
    quality = rng.choice([k for k in pool if k in QUALITY])
    rest = rng.sample([k for k in pool if k != quality], rng.choice((1, 2)))
    last = max(1.05, days - 1.0)
    return [Planted(k, DAY_S * rng.uniform(1.0, last)) for k in [quality, *rest]]


def _key_path(run_id: str) -> Path:
    return config.cache_dir() / "capstone-keys" / f"{run_id}.key"


def _stream(key: bytes, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(key + counter.to_bytes(8, "big")).digest()
        counter += 1
    return out[:n]


def _seal(plan: list[Planted], run_id: str) -> str:
    """Encrypt the plan with a fresh key stored outside the run directory; returns hex ciphertext."""
    key = secrets.token_bytes(32)
    path = _key_path(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key)
    plain = json.dumps([[p.kind, p.start_s] for p in plan]).encode()
    return bytes(a ^ b for a, b in zip(plain, _stream(key, len(plain)), strict=True)).hex()


def _unseal(sealed: str, run_id: str) -> list[Planted]:
    path = _key_path(run_id)
    if not path.exists():
        raise FileNotFoundError(f"this run's key is not on this machine ({path}); check a run made here")
    data = bytes.fromhex(sealed)
    plain = bytes(a ^ b for a, b in zip(data, _stream(path.read_bytes(), len(data)), strict=True))
    return [Planted(k, float(s)) for k, s in json.loads(plain)]


# ------------------------------------------------------------------ signatures over one trace
Span = dict[str, Any]


def attr(span: Span, key: str, default: Any = None) -> Any:
    return (span.get("attributes") or {}).get(key, default)


def model_calls(spans: list[Span]) -> list[Span]:
    return sorted((s for s in spans if attr(s, "gen_ai.operation.name") == "chat"), key=lambda s: s["start_ns"])


@dataclass(frozen=True)
class Baseline:
    """What day 1 looked like, measured from the run's own traces (before any plant switches on)."""

    prompt_shas: frozenset[str]
    index_documents: int
    usd_per_token: float
    account_as_of: frozenset[str]
    response_models: frozenset[str] = frozenset()


def _prompt_template(spans: list[Span], base: Baseline) -> bool:
    return any(attr(s, "rag.prompt.sha") not in (None, *base.prompt_shas) for s in spans)


def _reingest_drop(spans: list[Span], base: Baseline) -> bool:
    return any(attr(s, "rag.index.documents") is not None and attr(s, "rag.index.documents") < base.index_documents
               for s in spans)


STORM_GAP_NS = 200_000_000  # the gateway's shortest backoff is 0.5 s


def _retry_setting(spans: list[Span], base: Baseline) -> bool:
    calls = model_calls(spans)
    return any(b["start_ns"] - a["end_ns"] < STORM_GAP_NS for a, b in zip(calls, calls[1:], strict=False)
               if attr(a, "error.type"))


def _price_change(spans: list[Span], base: Baseline) -> bool:
    for s in spans:
        tokens = (attr(s, "gen_ai.usage.input_tokens") or 0) + (attr(s, "gen_ai.usage.output_tokens") or 0)
        cost = attr(s, "budget.cost_usd")
        if cost and tokens and base.usd_per_token and cost / tokens > 1.5 * base.usd_per_token:
            return True
    return False


def _stale_tool_data(spans: list[Span], base: Baseline) -> bool:
    return any(attr(s, "tool.data_as_of") not in (None, *base.account_as_of) for s in spans)


def _runaway_loop(spans: list[Span], base: Baseline) -> bool:
    tools = [attr(s, "gen_ai.tool.name") for s in spans if attr(s, "gen_ai.operation.name") == "execute_tool"]
    return any(tools.count(t) >= 3 for t in set(tools) if t)


def _cache_tenant(spans: list[Span], base: Baseline) -> bool:
    for s in spans:
        own = attr(s, "rag.tenant")
        if own is not None and any(t not in ("shared", own) for t in attr(s, "rag.retrieved_tenants") or ()):
            return True
    return False


def _model_swap(spans: list[Span], base: Baseline) -> bool:
    return any(attr(s, "gen_ai.response.model") not in (None, *base.response_models) for s in model_calls(spans))


SIGNATURES: dict[str, Callable[[list[Span], Baseline], bool]] = {
    "prompt-template": _prompt_template,
    "reingest-drop": _reingest_drop,
    "retry-setting": _retry_setting,
    "price-change": _price_change,
    "stale-tool-data": _stale_tool_data,
    "runaway-loop": _runaway_loop,
    "cache-tenant": _cache_tenant,
    "model-swap": _model_swap,
}
