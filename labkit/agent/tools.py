"""The agent's tools over the Quaywise product: search the knowledge base, a plan's price, an account.

A :class:`Tool` is a name, a description, a JSON schema of its arguments and a Python function. The
same declaration goes to the model as an OpenAI ``tools`` entry (:meth:`Tool.spec`) and checks the
arguments the model sends back (:meth:`Tool.check`) before the function runs.

    >>> tools = quaywise_tools()
    >>> tools["get_plan_price"].run({"plan": "team", "billing": "monthly"})
    {'plan': 'team', 'billing': 'monthly', 'usd_per_user_per_month': 19, ...}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PLANS = ("free", "starter", "team", "business", "enterprise")
BILLING = ("monthly", "annual")
ACCOUNT_ID = r"^ACC-[0-9]{4}$"
_PRICE_ROW = re.compile(r"^\|\s*(Free|Starter|Team|Business|Enterprise)\s*\|([^|]*)\|([^|]*)\|", re.MULTILINE)
_DOLLARS = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class Tool:
    """One tool the agent may call.

    Attributes:
        name: what the model calls it (``get_plan_price``).
        description: what it does, for the model.
        parameters: JSON schema of its arguments (an object schema).
        fn: the function, called with the checked arguments as keywords; returns JSON-serialisable data.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    fn: Callable[..., Any]

    def spec(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry for this tool."""
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.parameters}}

    def check(self, arguments: dict[str, Any]) -> str | None:
        """What is wrong with ``arguments`` for this tool, or None when they fit the schema."""
        props = self.parameters.get("properties", {})
        missing = [k for k in self.parameters.get("required", []) if k not in arguments]
        if missing:
            return f"{self.name} needs {missing}"
        unknown = sorted(set(arguments) - set(props))
        if unknown:
            return f"{self.name} takes no argument {unknown}; it takes {sorted(props)}"
        for key, value in arguments.items():
            schema = props[key]
            if "enum" in schema and value not in schema["enum"]:
                return f"{self.name}: {key} must be one of {schema['enum']}, got {value!r}"
            if schema.get("type") == "string" and not isinstance(value, str):
                return f"{self.name}: {key} must be a string, got {value!r}"
        return None

    def run(self, arguments: dict[str, Any]) -> Any:
        """Check the arguments, then call the function; a bad call returns ``{"error": ...}`` for the model."""
        problem = self.check(arguments)
        if problem:
            return {"error": problem}
        return self.fn(**arguments)


def plan_prices(pricing_page: str) -> dict[str, dict[str, int | None]]:
    """Per-user monthly prices read from the KB's pricing page table.

    Args:
        pricing_page: the Markdown text of the current ``pricing-plans`` page.

    Returns:
        plan -> {"monthly": USD or None (not sold monthly), "annual": USD}.
    """
    prices: dict[str, dict[str, int | None]] = {}
    for name, monthly, annual in _PRICE_ROW.findall(pricing_page):
        cells = {"monthly": _DOLLARS.search(monthly), "annual": _DOLLARS.search(annual)}
        prices[name.lower()] = {k: int(m.group(1)) if m else None for k, m in cells.items()}
    if set(prices) != set(PLANS):
        raise ValueError(f"the pricing page's table names {sorted(prices)}, expected {list(PLANS)}; "
                         f"has its table layout changed?")
    return prices


def _current_page(documents: list[dict[str, Any]], doc_id: str) -> dict[str, Any]:
    for doc in documents:
        if doc["doc_id"] == doc_id and doc["status"] == "current":
            return doc
    raise ValueError(f"the knowledge base has no current {doc_id!r} page")


def price_tool(documents: list[dict[str, Any]]) -> Tool:
    """``get_plan_price(plan, billing)``: a plan's price per user per month, from the KB's pricing page."""
    page = _current_page(documents, "pricing-plans")
    prices = plan_prices(page["text"])

    def get_plan_price(plan: str, billing: str = "monthly") -> dict[str, Any]:
        usd = prices[plan][billing]
        if usd is None:
            return {"plan": plan, "billing": billing, "error": f"{plan} is not sold on {billing} billing",
                    "annual_usd_per_user_per_month": prices[plan]["annual"], "source": page["id"]}
        return {"plan": plan, "billing": billing, "usd_per_user_per_month": usd, "price": f"${usd}",
                "source": page["id"]}

    return Tool("get_plan_price", "Price of a Quaywise plan per user per month, for monthly or annual billing.",
                {"type": "object", "properties": {"plan": {"type": "string", "enum": list(PLANS)},
                                                  "billing": {"type": "string", "enum": list(BILLING)}},
                 "required": ["plan", "billing"]}, get_plan_price)


def account_tool(accounts: list[dict[str, Any]]) -> Tool:
    """``lookup_account(account_id)``: a customer account's plan, billing, seats, status and renewal."""
    by_id = {a["account_id"]: a for a in accounts}

    def lookup_account(account_id: str) -> dict[str, Any]:
        row = by_id.get(account_id.strip().upper())
        return dict(row) if row else {"error": f"no account {account_id!r}; ids look like ACC-1001"}

    return Tool("lookup_account", "A customer account's plan, billing cycle, seats, status, region and renewal date.",
                {"type": "object", "properties": {"account_id": {"type": "string", "pattern": ACCOUNT_ID}},
                 "required": ["account_id"]}, lookup_account)


def search_tool(index: Any, *, k: int = 3, mode: str = "hybrid", words: int = 60) -> Tool:
    """``search_kb(query)``: the best passages of the shared knowledge base (``labkit.rag`` retrieval).

    Args:
        index: a ``labkit.rag.Index`` (e.g. ``RagApp().index``).
        k: passages returned.
        mode: retrieval mode ("hybrid", "bm25", "dense").
        words: each passage is trimmed to about this many words, keeping the sentences that share the
            most words with the query (``labkit.rag.prompts.trim_context``), to keep the prompt small.
    """
    from labkit.rag.prompts import trim_context

    def search_kb(query: str) -> dict[str, Any]:
        if not query.strip():
            return {"error": "query is empty; say what to look for"}
        hits = trim_context(index.search(query, k=k, mode=mode), query, words)
        return {"results": [{"id": h.document_id, "title": h.title, "text": h.text} for h in hits]}

    return Tool("search_kb", "Search the Quaywise help centre; returns the best matching passages.",
                {"type": "object", "properties": {"query": {"type": "string", "maxLength": 200}},
                 "required": ["query"]}, search_kb)


def quaywise_tools(*, index: Any = None, documents: list[dict[str, Any]] | None = None,
                   accounts: list[dict[str, Any]] | None = None, search_mode: str = "hybrid") -> dict[str, Tool]:
    """The three Quaywise tools, by name.

    Args:
        index: the retrieval index; the reference RAG app's (``RagApp().index``) by default.
        documents: KB rows for the pricing page; the shipped KB by default.
        accounts: account rows; ``datasets/accounts`` by default.
        search_mode: retrieval mode of ``search_kb``.

    Returns:
        name -> :class:`Tool`: ``search_kb``, ``get_plan_price``, ``lookup_account``.
    """
    from labkit import data

    documents = documents if documents is not None else data.records("kb")
    accounts = accounts if accounts is not None else data.records("accounts")
    if index is None:
        from labkit.rag import RagApp

        index = RagApp(documents).index
    tools = [search_tool(index, mode=search_mode), price_tool(documents), account_tool(accounts)]
    return {t.name: t for t in tools}
