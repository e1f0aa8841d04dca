"""The planted defects of the capstone, and how each one shows in the traces.

Five kinds of defect exist; each seed plants three, each switched on at its own virtual day. The
service code consults :class:`Defects` at the points where a real bug would live. Each kind has a
*signature*: a test on one trace's spans that is true only when that trace shows the defect. The
grader and the solution notebook use the signatures; nothing else in the run says which were planted.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

DAY_S = 86_400.0

KINDS: dict[str, str] = {
    "cache-tenant-leak": "the semantic-cache key ignores the tenant, so one tenant can be served an answer cached "
                         "for another",
    "retry-double-bill": "a retried model call charges the failed attempt's reservation too, so spend exceeds the "
                         "real cost",
    "prompt-regression": "a prompt-template change ships a template without the grounding instructions",
    "guard-bypass": "one route skips the input guard layer",
    "retry-storm": "failed calls are retried immediately, up to six times, instead of backing off",
}


@dataclass(frozen=True)
class Defect:
    """One planted defect: its kind and the virtual second it switches on."""

    kind: str
    start_s: float

    @property
    def start_day(self) -> int:
        """1-based day number of the switch-on (day 1 is the first simulated day)."""
        return int(self.start_s // DAY_S) + 1


class Defects:
    """The defects planted for one seed."""

    def __init__(self, planted: Sequence[Defect]) -> None:
        for d in planted:
            if d.kind not in KINDS:
                raise ValueError(f"unknown defect {d.kind!r}; kinds are {sorted(KINDS)}")
        self.planted = list(planted)

    @classmethod
    def for_seed(cls, seed: int, days: float, count: int = 3) -> Defects:
        """Choose ``count`` kinds and their switch-on times deterministically from the seed."""
        if not 1 <= count <= len(KINDS):
            raise ValueError(f"count must be in 1..{len(KINDS)}, got {count}")
        rng = random.Random(f"capstone-defects-{seed}")
        kinds = rng.sample(sorted(KINDS), count)
        last = max(1.0, days - 2.0)
        planted = [Defect(k, DAY_S * rng.uniform(1.0, last)) for k in kinds]
        return cls(planted)

    @classmethod
    def none(cls) -> Defects:
        return cls([])

    def active(self, kind: str, now_s: float) -> bool:
        """Whether defect ``kind`` is planted and switched on at virtual second ``now_s``."""
        return any(d.kind == kind and now_s >= d.start_s for d in self.planted)

    def sealed(self, salt: str) -> list[str]:
        """Salted hashes of the planted kinds: the grader can check a claim without a readable key."""
        return sorted(seal(salt, d.kind) for d in self.planted)


def seal(salt: str, kind: str) -> str:
    return hashlib.sha256(f"{salt}:{kind}".encode()).hexdigest()


# ------------------------------------------------------------------ signatures over one trace
Span = dict[str, Any]


def _root(spans: list[Span]) -> Span | None:
    return next((s for s in spans if not s.get("parent_id")), None)


def _attr(span: Span, key: str, default: Any = None) -> Any:
    return (span.get("attributes") or {}).get(key, default)


MODEL_OPERATIONS = ("chat", "text_completion")


def _model_calls(spans: list[Span]) -> list[Span]:
    """The trace's model-call spans (GenAI ``chat``/``text_completion``; retrieval spans are not calls)."""
    return [s for s in spans if _attr(s, "gen_ai.operation.name") in MODEL_OPERATIONS]


def sig_cache_tenant_leak(spans: list[Span]) -> bool:
    for s in spans:
        if s["name"] == "cache.lookup" and _attr(s, "cache.hit") and _attr(s, "cache.entry_tenant") not in (
                None, _attr(s, "labkit.tenant")):
            return True
    return False


def sig_retry_double_bill(spans: list[Span]) -> bool:
    root = _root(spans)
    if root is None:
        return False
    llm = _model_calls(spans)
    charged = float(_attr(root, "billing.charged_usd", 0.0) or 0.0)
    real = sum(float(_attr(s, "labkit.cost_usd", 0.0) or 0.0) for s in llm)
    return len(llm) >= 2 and charged > real * 1.5 + 1e-12


def sig_prompt_regression(spans: list[Span]) -> bool:
    return any(_attr(s, "rag.prompt_version") == "v0-ungrounded" for s in spans)


def sig_guard_bypass(spans: list[Span]) -> bool:
    root = _root(spans)
    if root is None or _attr(root, "http.route") != "/v1/api/ask":
        return False
    return not any(s["name"] == "guard.input" for s in spans)


def sig_retry_storm(spans: list[Span]) -> bool:
    """A model call started less than 0.2 s after the previous one failed: a retry without backoff."""
    calls = sorted(_model_calls(spans), key=lambda s: s["start_ns"])
    return any(b["start_ns"] - a["end_ns"] < STORM_GAP_NS for a, b in zip(calls, calls[1:], strict=False))


STORM_GAP_NS = 200_000_000  # the service's shortest backoff is 0.5 s


SIGNATURES: dict[str, Callable[[list[Span]], bool]] = {
    "cache-tenant-leak": sig_cache_tenant_leak,
    "retry-double-bill": sig_retry_double_bill,
    "prompt-regression": sig_prompt_regression,
    "guard-bypass": sig_guard_bypass,
    "retry-storm": sig_retry_storm,
}
