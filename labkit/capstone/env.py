"""The world a capstone service runs in: knowledge base, prompt templates, the model gateway, prices, tools.

Services never build these themselves; each request carries the week's :class:`Env` (``request.env``) and
the way to the model (``request.call``, the gateway). Planted bugs act here, where a teammate or a
provider would change something. :class:`EnvConfig` is the configuration a learner may change to fix
one (roll a prompt back, re-run the ingest, set the retry policy, key the search cache by tenant, pin the
model snapshot, refresh a tool's data export).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
from opentelemetry import trace

from labkit import data, llm, tracing
from labkit.agent import tools as agent_tools
from labkit.capstone.faults import snapshots
from labkit.capstone.plan import Planted
from labkit.llm import registry
from labkit.rag import prompts
from labkit.rag.prompts import PromptTemplate

# Written for this project: what a teammate's "friendlier" template looks like; it keeps the version name.
DEPLOYED = PromptTemplate(
    version="v1-grounded",
    system="You are Quaywise's friendly support assistant. Help the customer as fully as you can.",
    user="{context}\n\nCustomer: {question}",
    grounded=False,
)
KB_CACHE_TTL_S = 86_400.0  # the teammate's search cache keeps an entry one (virtual) day
INGESTED_AT = "2025-10-20"
REINGESTED_AT = "2025-10-22"


@dataclass(frozen=True)
class EnvConfig:
    """Settings of the environment a learner may change (the fix for a bug that lives there).

    Attributes:
        prompt_version: pin this template from ``labkit.rag.prompts.PROMPTS`` instead of the latest deployed.
        reingest: run the knowledge-base ingest again (every document back in the index).
        max_retries, retry_backoff_s: the gateway's retry policy (None: the team's current setting).
        refresh_tool_data: reload the account export the agent's ``lookup_account`` reads.
        cache_key_tenant: always put the tenant into the knowledge-base search cache's key.
        model_snapshot: call this dated snapshot of the model (a ``gen_ai.response.model`` value) instead
            of the name the provider may move.
    """

    prompt_version: str | None = None
    reingest: bool = False
    max_retries: int | None = None
    retry_backoff_s: float | None = None
    refresh_tool_data: bool = False
    cache_key_tenant: bool = False
    model_snapshot: str | None = None

    def __post_init__(self) -> None:
        if self.prompt_version is not None:
            prompts.prompt(self.prompt_version)  # unknown versions fail here, with the alternatives
        if self.max_retries is not None and not 0 <= self.max_retries <= 6:
            raise ValueError(f"max_retries must be in 0..6, got {self.max_retries}")
        if self.retry_backoff_s is not None and self.retry_backoff_s < 0:
            raise ValueError(f"retry_backoff_s must be >= 0, got {self.retry_backoff_s}")
        if self.model_snapshot is not None and self.model_snapshot not in snapshots(llm.model_for("chat")):
            raise ValueError(f"model_snapshot must be a snapshot the provider serves (a gen_ai.response.model "
                             f"value in your traces), got {self.model_snapshot!r}")


def _dropped(documents: list[dict[str, Any]], salt: str) -> frozenset[str]:
    """About a third of the documents, chosen by a hash the run's key decides."""
    return frozenset(d["doc_id"] for d in documents
                     if hashlib.sha256(f"{salt}:{d['doc_id']}".encode()).digest()[0] < 86)


def _stale_accounts(accounts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Last quarter's export: plans one step down, fewer seats (what the account looked like before)."""
    down = {"enterprise": "business", "business": "team", "team": "starter", "starter": "free", "free": "free"}
    return [dict(a, plan=down.get(a["plan"], a["plan"]), seats=max(1, int(a["seats"] * 0.6)))
            for a in accounts]


class Env:
    """One week's environment. Built by :func:`labkit.capstone.week.run_week`; read through ``request.env``.

    Args:
        plan: the planted bugs (sealed; a service cannot see it).
        config: the learner's environment settings.
        rag: the reference RAG app (its index is the knowledge base).
        client: an ``openai.OpenAI`` pointed at the provider (through the fault proxy).
        clock: the run's serving clock (virtual ns; ``advance`` for backoff).
        workdir: the run directory (budget ledgers live here).
        salt: the run's secret salt (decides which documents a re-ingest drops).
    """

    def __init__(self, *, plan: list[Planted], config: EnvConfig, rag: Any, client: Any, clock: Any,
                 workdir: Path, salt: str, t0_ns: int) -> None:
        self._plan, self.config, self.rag, self.client, self.clock = plan, config, rag, client, clock
        self.workdir, self.t0_ns = workdir, t0_ns
        self.model = llm.model_for("chat")
        self._dropped = _dropped(rag.documents, salt)
        self._accounts = data.records("accounts")
        self._stale = _stale_accounts(self._accounts)
        self._kb_cache: dict[tuple[Any, ...], tuple[float, list[Any]]] = {}

    def now_s(self) -> float:
        """Virtual seconds since the week started."""
        return float((self.clock() - self.t0_ns) / 1e9)

    def _on(self, kind: str) -> bool:
        return any(p.kind == kind and self.now_s() >= p.start_s for p in self._plan)

    # ---------------------------------------------------------------- knowledge base and prompts
    def prompt_template(self) -> PromptTemplate:
        """The prompt template currently deployed."""
        if self.config.prompt_version:
            return prompts.prompt(self.config.prompt_version)
        return DEPLOYED if self._on("prompt-template") else prompts.prompt("v1-grounded")

    def retrieve(self, question: str, tenant: str | None = None, k: int = 3) -> list[Any]:
        """Search the knowledge base through the team's search cache (a ``rag.retrieve`` span with the
        index's size and ingest date, the cache hit, the tenant asked for and each hit's tenant)."""
        dropped = self._on("reingest-drop") and not self.config.reingest
        keyless = self._on("cache-tenant") and not self.config.cache_key_tenant  # the teammate's new key
        key = (" ".join(question.lower().split()), k, dropped, None if keyless else tenant)
        docs = len({d["doc_id"] for d in self.rag.documents})
        with tracing.span("rag.retrieve", category="retrieval", attributes={
                "rag.k": k, "rag.index.documents": docs - len(self._dropped) if dropped else docs,
                "rag.index.ingested_at": REINGESTED_AT if dropped else INGESTED_AT,
                "rag.tenant": tenant or "shared"}) as s:
            stored = self._kb_cache.get(key)
            hit = stored is not None and self.now_s() - stored[0] < KB_CACHE_TTL_S
            if stored is not None and hit:
                hits = stored[1]
            else:
                hits = self.rag.index.search(question, k=k + (8 if dropped else 0), mode=self.rag.config.mode,
                                             tenant=tenant)
                if dropped:
                    hits = [h for h in hits if h.document_id not in self._dropped][:k]
                self._kb_cache[key] = (self.now_s(), hits)
            s.set_attribute("rag.cache.hit", hit)
            s.set_attribute("rag.retrieved_ids", [h.document_id for h in hits])
            s.set_attribute("rag.retrieved_tenants", [h.tenant for h in hits])
        return list(hits)

    # ---------------------------------------------------------------- the model gateway and prices
    def _retry_policy(self) -> tuple[int, float]:
        storm = self._on("retry-setting")
        retries = self.config.max_retries if self.config.max_retries is not None else (5 if storm else 2)
        backoff = self.config.retry_backoff_s if self.config.retry_backoff_s is not None else (0.0 if storm else 0.5)
        return retries, backoff

    def call(self, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        """One model call through the team's gateway (its retry policy); raises the last error."""
        retries, backoff = self._retry_policy()
        last: Exception | None = None
        for attempt in range(retries + 1):
            try:
                return self.client.chat.completions.create(
                    model=self.config.model_snapshot or self.model, messages=messages, temperature=0,
                    extra_headers={"X-Sim-Time": f"{self.now_s():.3f}"}, **kwargs)
            except (openai.APIError, json.JSONDecodeError) as exc:
                last = exc
                self.clock.advance(backoff * 2 ** attempt)  # a virtual sleep
        assert last is not None
        raise last

    def _price_factor(self) -> float:
        return 3.0 if self._on("price-change") else 1.0

    def quote(self, messages: list[dict[str, Any]], max_tokens: int) -> float:
        """The most a call can cost at today's prices (a byte-level tokenizer never beats the byte count)."""
        prompt_bound = sum(len(str(m.get("content") or "").encode()) + 8 for m in messages) + 16
        return registry.get(self.model).cost(prompt_bound, max_tokens) * self._price_factor()

    def bill(self, reply: Any) -> float:
        """What the provider charges for a reply, at today's prices."""
        usage = getattr(reply, "usage", None)
        if usage is None:
            return 0.0
        return registry.get(self.model).cost(usage.prompt_tokens, usage.completion_tokens) * self._price_factor()

    # ---------------------------------------------------------------- the agent's tools
    def tools(self) -> dict[str, agent_tools.Tool]:
        """The agent's three tools over this week's data: ``search_kb``, ``get_plan_price``, ``lookup_account``."""
        stale = self._on("stale-tool-data") and not self.config.refresh_tool_data
        base = agent_tools.quaywise_tools(index=self.rag.index, documents=self.rag.documents,
                                          accounts=self._stale if stale else self._accounts)
        account = base["lookup_account"]
        as_of = "2025-07-01" if stale else INGESTED_AT
        failing = self._on("runaway-loop")

        def lookup_account(account_id: str) -> Any:
            trace.get_current_span().set_attribute("tool.data_as_of", as_of)
            if failing:
                return {"error": "account service busy, call lookup_account again"}
            return account.fn(account_id=account_id)

        base["lookup_account"] = agent_tools.Tool(account.name, account.description, account.parameters,
                                                  lookup_account)
        return base
