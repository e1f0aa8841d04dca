"""Tiers: one way each to answer a question (a chat model over retrieved sources, or a base model
prompted completion-style), returning the answer with its cost, latency, confidence and checks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labkit import llm
from labkit.rag import Hit, RagApp, is_abstention, parse_citations
from labkit.rag.prompts import messages, prompt, trim_context
from labkit.routing.estimate import CostModel, Estimate


@dataclass
class TierResult:
    """One tier's answer with what it cost, how long it took, and how sure it was."""

    tier: str
    model: str
    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float
    confidence: float
    checks_passed: bool
    check_reason: str = ""
    estimate: Estimate | None = None
    citations: list[str] = field(default_factory=list)
    retrieved_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "estimate"}


def confidence_from_logprobs(logprobs: Sequence[float]) -> float:
    """Geometric-mean probability of the generated tokens, in [0, 1] (0 for no tokens).

    A model that hesitates between continuations spreads probability and scores low; it is a
    cheap signal that the answer deserves a second opinion, not a measure of truth.
    """
    vals = [float(x) for x in logprobs if x is not None and math.isfinite(float(x))]
    return math.exp(sum(vals) / len(vals)) if vals else 0.0


def _token_logprobs(choice: Any) -> list[float]:
    lp = getattr(choice, "logprobs", None)
    if lp is None:
        return []
    content = getattr(lp, "content", None)
    if content:
        return [float(t["logprob"] if isinstance(t, dict) else t.logprob) for t in content]
    token_lps = getattr(lp, "token_logprobs", None)
    return [float(x) for x in token_lps or [] if x is not None]


Check = Callable[[str, Sequence[Any]], tuple[bool, str]]


def rag_checks(text: str, hits: Sequence[Any], require_citation: bool = False) -> tuple[bool, str]:
    """Default checks for a grounded answer: not empty, no citation of a source that does not exist,
    and (with ``require_citation``) at least one citation unless it abstains.

    A 135M model rarely cites, so requiring a citation would escalate nearly everything locally;
    with a capable model, pass ``checks=strict_rag_checks``.
    """
    if not text.strip():
        return False, "empty answer"
    if is_abstention(text):
        return True, "abstained"
    cited, invalid = parse_citations(text, list(hits))
    if invalid:
        return False, f"cites sources that do not exist: {invalid}"
    if require_citation and not cited:
        return False, "no citation"
    return True, ""


def strict_rag_checks(text: str, hits: Sequence[Any]) -> tuple[bool, str]:
    """:func:`rag_checks` that also requires a citation."""
    return rag_checks(text, hits, require_citation=True)


class ChatTier:
    """Answer with a chat model over the RAG app's retrieved sources.

    Args:
        name: the tier's label ("small", "large", ...).
        app: the RAG app (retrieval and prompt templates).
        model: model name; ``app.config.model`` or ``llm.model_for("chat")`` when None.
        k: sources in the prompt (the app's ``k`` when None).
        max_words_per_hit: trim each source to this many words with :func:`trim_context` (None: keep all).
        max_tokens: answer cap.
        client: an OpenAI-compatible client; ``llm.client()`` when None.
        cost_model: predicts cost and latency before the call; from the registry when None.
        checks: ``(text, hits) -> (ok, reason)``; :func:`rag_checks` by default.
    """

    def __init__(self, name: str, app: RagApp, model: str | None = None, *, k: int | None = None,
                 max_words_per_hit: int | None = None, max_tokens: int = 64, client: Any = None,
                 cost_model: CostModel | None = None, checks: Check | None = rag_checks) -> None:
        if not name:
            raise ValueError("a tier needs a name")
        if k is not None and k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.name, self.app, self._model, self.k = name, app, model, k
        self.max_words_per_hit, self.max_tokens, self._client = max_words_per_hit, max_tokens, client
        self._cost_model, self.checks = cost_model, checks

    @property
    def model(self) -> str:
        if self._model is None:
            self._model = self.app.config.model or llm.model_for("chat")
        return self._model

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = llm.client()
        return self._client

    @property
    def cost_model(self) -> CostModel:
        if self._cost_model is None:
            self._cost_model = CostModel.from_registry(self.model)
        return self._cost_model

    def prepare(self, question: str, tenant: str | None = None) -> tuple[list[dict[str, str]], list[Hit], Estimate]:
        """Retrieve and build the prompt; predict the call's cost and latency before making it."""
        hits = self.app.index.search(question, k=self.k or self.app.config.k, mode=self.app.config.mode,
                                     tenant=tenant)
        if self.max_words_per_hit:
            hits = trim_context(hits, question, self.max_words_per_hit)
        msgs = messages(prompt(self.app.config.prompt_version), question, hits)
        return msgs, hits, self.cost_model.estimate(msgs, self.max_tokens)

    def run(self, question: str, tenant: str | None = None) -> TierResult:
        """Answer one question (a real model call) and score the answer's confidence and checks."""
        msgs, hits, est = self.prepare(question, tenant)
        return self._call(msgs, hits, est)

    def _call(self, msgs: list[dict[str, str]], hits: Sequence[Hit], est: Estimate) -> TierResult:
        t0 = time.perf_counter()
        r = self.client.chat.completions.create(model=self.model, messages=msgs, max_tokens=self.max_tokens,
                                                temperature=0, logprobs=True)
        latency = time.perf_counter() - t0
        choice = r.choices[0]
        text = (choice.message.content or "").strip()
        n_in = r.usage.prompt_tokens if r.usage else 0
        n_out = r.usage.completion_tokens if r.usage else 0
        ok, reason = self.checks(text, hits) if self.checks else (True, "")
        cited, _ = parse_citations(text, list(hits))
        return TierResult(self.name, self.model, text, n_in, n_out, llm.cost(self.model, n_in, n_out) or 0.0,
                          latency, confidence_from_logprobs(_token_logprobs(choice)), ok, reason, est, cited,
                          list(dict.fromkeys(h.document_id for h in hits)))


FEW_SHOT = (
    "Answer the question from the source. Reply with the answer only.\n\n"
    "Source: The Starter plan includes 10 GB of storage per user.\n"
    "Question: How much storage does each Starter user get?\nAnswer: 10 GB per user.\n\n"
    "Source: Support replies within one business day on weekdays.\n"
    "Question: Does support answer at weekends?\nAnswer: I don't know.\n\n"
)


class CompletionTier(ChatTier):
    """A base (not instruction-tuned) model prompted completion-style with a few-shot example.

    Serve it on its own :class:`~labkit.llm.EmbeddedServer` and pass that server's client, e.g. the
    Gemma 3 270M base model from the registry (``registry.local_model_path("gemma3-270m-base")``).
    Its answers carry no citation, so the default checks only require a non-empty answer.
    """

    def __init__(self, name: str, app: RagApp, model: str, *, client: Any, k: int = 1,
                 max_words_per_hit: int | None = 60, max_tokens: int = 32, cost_model: CostModel | None = None,
                 checks: Check | None = None) -> None:
        super().__init__(name, app, model, k=k, max_words_per_hit=max_words_per_hit, max_tokens=max_tokens,
                         client=client, cost_model=cost_model, checks=checks or (lambda text, hits: (bool(text.strip()), "" if text.strip() else "empty answer")))

    def prepare(self, question: str, tenant: str | None = None) -> tuple[Any, list[Hit], Estimate]:
        hits = self.app.index.search(question, k=self.k or 1, mode=self.app.config.mode, tenant=tenant)
        if self.max_words_per_hit:
            hits = trim_context(hits, question, self.max_words_per_hit)
        source = " ".join(" ".join(h.text.split()) for h in hits)
        text = f"{FEW_SHOT}Source: {source}\nQuestion: {question}\nAnswer:"
        return text, hits, self.cost_model.estimate(text, self.max_tokens)

    def _call(self, msgs: Any, hits: Sequence[Hit], est: Estimate) -> TierResult:
        t0 = time.perf_counter()
        r = self.client.completions.create(model=self.model, prompt=msgs, max_tokens=self.max_tokens,
                                           temperature=0, logprobs=1, stop=["\n"])
        latency = time.perf_counter() - t0
        choice = r.choices[0]
        text = (choice.text or "").strip()
        n_in = r.usage.prompt_tokens if r.usage else 0
        n_out = r.usage.completion_tokens if r.usage else 0
        ok, reason = self.checks(text, hits) if self.checks else (True, "")
        return TierResult(self.name, self.model, text, n_in, n_out, llm.cost(self.model, n_in, n_out) or 0.0,
                          latency, confidence_from_logprobs(_token_logprobs(choice)), ok, reason, est, [],
                          list(dict.fromkeys(h.document_id for h in hits)))
