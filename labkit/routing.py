"""Routing and cascades: answer cheaply when that is good enough, escalate when it is not.

The pieces:

* :class:`CostModel` predicts a call's tokens, cost and latency *before* the call, from
  throughput and token ratios fitted on the ledger (:meth:`CostModel.fit`); :func:`check_estimate`
  compares a prediction with the measured call.
* A *tier* is one way to answer: :class:`ChatTier` (a chat model over the RAG app's retrieved
  sources) or :class:`CompletionTier` (a base model with a few-shot completion prompt). Each
  returns a :class:`TierResult` with the answer, its measured cost and latency, a confidence
  from the token logprobs, and whether its checks passed.
* :class:`Cascade` tries the semantic cache, then each tier in order, escalating when the
  confidence is below the threshold or a check fails; an optional :class:`~labkit.budget.Budget`
  is charged per call, and a tier the budget cannot pay for is skipped (the answer degrades to
  the best one already in hand) instead of failing.
* :func:`cascade_frontier` computes the cost–quality frontier of every tier and every cascade
  threshold from one run of each tier, without calling the model again.
* :func:`trim_context` keeps the sentences of each retrieved chunk that share words with the
  question, so prompts shrink where it costs the least quality.

With the embedded backend only SmolLM2-135M chats, so the local cascade is "cache -> SmolLM2 with
one short source -> SmolLM2 with more sources" (or the Gemma 3 270M *base* model on a second
embedded server, prompted completion-style); with ``OPENAI_API_KEY`` set, the same code cascades
``model_for("small")`` -> ``model_for("large")``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from labkit.budget import Budget, BudgetExceeded

if TYPE_CHECKING:
    from labkit.cache import SemanticCache
    from labkit.llm.ledger import CallRecord
    from labkit.rag import Hit, RagApp


# --------------------------------------------------------------------------------------------
# Predicting cost and latency before the call
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Estimate:
    """A prediction for one call, made before it.

    Attributes:
        input_tokens: predicted prompt tokens.
        output_tokens: predicted completion tokens (the expected length, not the cap).
        max_tokens: the call's output cap.
        cost_usd: predicted cost at the expected length.
        cost_upper_usd: the most it can cost (prompt plus ``max_tokens``): reserve this in a budget.
        latency_s: predicted end-to-end latency.
        ttft_s: predicted time to first token (prompt processing plus overhead).
    """

    input_tokens: int
    output_tokens: int
    max_tokens: int
    cost_usd: float
    cost_upper_usd: float
    latency_s: float
    ttft_s: float


def _message_chars(messages: Sequence[Mapping[str, Any]] | str) -> tuple[int, int]:
    if isinstance(messages, str):
        return len(messages), 0
    return sum(len(str(m.get("content") or "")) for m in messages), len(messages)


@dataclass(frozen=True)
class CostModel:
    """Predicts tokens, cost and latency of a call from its prompt, before sending it.

    latency = overhead_s + input_tokens / prefill_tps + output_tokens / decode_tps, and
    input_tokens = chars / chars_per_token + tokens_per_message * messages.

    Attributes:
        model: the model the predictions are for (prices come from the registry).
        prefill_tps: prompt tokens processed per second.
        decode_tps: tokens generated per second.
        overhead_s: fixed time per call (HTTP, scheduling).
        chars_per_token: characters per prompt token (about 4 for English).
        tokens_per_message: chat-template tokens added per message.
        expected_output_tokens: typical answer length; None predicts ``max_tokens``.
        input_margin: the upper bound counts ``input_margin`` x the predicted prompt tokens (+8), since
            a character ratio can undercount; with an exact token count, 1.0 makes it a hard bound.
    """

    model: str
    prefill_tps: float = 280.0
    decode_tps: float = 90.0
    overhead_s: float = 0.05
    chars_per_token: float = 4.0
    tokens_per_message: float = 4.0
    expected_output_tokens: float | None = None
    input_margin: float = 1.25

    def __post_init__(self) -> None:
        for name in ("prefill_tps", "decode_tps", "chars_per_token"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.input_margin < 1:
            raise ValueError(f"input_margin must be >= 1 (it pads the upper bound), got {self.input_margin}")
        if self.overhead_s < 0 or self.tokens_per_message < 0:
            raise ValueError("overhead_s and tokens_per_message must be >= 0")

    @classmethod
    def from_registry(cls, model: str) -> CostModel:
        """Throughputs from the registry's measured numbers (local models) or generic defaults."""
        from labkit.llm import registry

        info = registry.find(model)
        raw = registry._raw().get("models", {}).get(info.id, {}) if info else {}
        return cls(model=model, prefill_tps=float(raw.get("measured_prefill_tps", 280.0)),
                   decode_tps=float(raw.get("measured_decode_tps", 90.0)))

    @classmethod
    def fit(cls, records: Sequence[CallRecord], model: str | None = None) -> CostModel:
        """Fit the model's constants on measured calls (non-streamed or streamed chat calls from the ledger).

        Args:
            records: ledger records with ``request_body`` (the prompt) and measured tokens and latency.
            model: only use calls to this model; the most common model by default.

        Returns:
            A fitted :class:`CostModel`.

        Raises:
            ValueError: fewer than 4 usable calls.
        """
        usable = [r for r in records if r.status == 200 and r.input_tokens > 0 and r.output_tokens > 0
                  and r.operation in ("chat", "completion") and not r.error]
        if model is None and usable:
            names = [r.model for r in usable]
            model = max(set(names), key=names.count)
        usable = [r for r in usable if r.model == model]
        if len(usable) < 4 or model is None:
            raise ValueError(f"need at least 4 successful calls to fit a cost model, got {len(usable)}")
        chars = np.array([_message_chars(r.request_body.get("messages") or r.request_body.get("prompt") or "")
                          for r in usable], dtype=float)
        tokens_in = np.array([r.input_tokens for r in usable], dtype=float)
        # input tokens ~ chars / cpt + per_message * n_messages  (least squares, non-negative)
        coef, *_ = np.linalg.lstsq(chars, tokens_in, rcond=None)
        per_char, per_msg = max(float(coef[0]), 1e-3), max(float(coef[1]), 0.0)
        tokens_out = np.array([r.output_tokens for r in usable], dtype=float)
        latency = np.array([r.latency_s for r in usable], dtype=float)
        design = np.column_stack([np.ones(len(usable)), tokens_in, tokens_out])
        lat_coef, *_ = np.linalg.lstsq(design, latency, rcond=None)
        overhead = max(float(lat_coef[0]), 0.0)
        # a per-token time at or below zero means the data cannot separate the two phases; fall back
        # to the registry's throughput for that phase
        prior = cls.from_registry(model)
        prefill = 1.0 / lat_coef[1] if lat_coef[1] > 1e-5 else prior.prefill_tps
        decode = 1.0 / lat_coef[2] if lat_coef[2] > 1e-4 else prior.decode_tps
        return cls(model=model, prefill_tps=float(prefill), decode_tps=float(decode), overhead_s=overhead,
                   chars_per_token=1.0 / per_char, tokens_per_message=per_msg,
                   expected_output_tokens=float(tokens_out.mean()))

    def count_input_tokens(self, messages: Sequence[Mapping[str, Any]] | str) -> int:
        """Predicted prompt tokens of a chat message list (or a completion prompt string)."""
        chars, n = _message_chars(messages)
        return max(1, round(chars / self.chars_per_token + self.tokens_per_message * n))

    def estimate(self, messages: Sequence[Mapping[str, Any]] | str, max_tokens: int) -> Estimate:
        """Predict one call.

        Args:
            messages: the chat messages (or a completion prompt).
            max_tokens: the call's output cap.

        Returns:
            An :class:`Estimate`.
        """
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ValueError(f"max_tokens must be an integer >= 1, got {max_tokens!r}")
        from labkit.llm import registry

        n_in = self.count_input_tokens(messages)
        n_out = max_tokens if self.expected_output_tokens is None else min(max_tokens,
                                                                           round(self.expected_output_tokens))
        info = registry.find(self.model)
        cost = info.cost(n_in, n_out) if info else 0.0
        upper = info.cost(math.ceil(n_in * self.input_margin) + 8, max_tokens) if info else 0.0
        ttft = self.overhead_s + n_in / self.prefill_tps
        return Estimate(n_in, n_out, max_tokens, cost, upper, ttft + n_out / self.decode_tps, ttft)


@dataclass(frozen=True)
class EstimateCheck:
    """A prediction next to the measured call, with relative errors (measured / predicted - 1)."""

    predicted: Estimate
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float
    input_error: float
    cost_error: float
    latency_error: float
    within_upper_bound: bool


def check_estimate(estimate: Estimate, record: CallRecord) -> EstimateCheck:
    """Compare a prediction with the ledger record of the call it predicted."""
    cost = record.cost_usd or 0.0

    def rel(measured: float, predicted: float) -> float:
        return measured / predicted - 1 if predicted else math.inf

    return EstimateCheck(estimate, record.input_tokens, record.output_tokens, cost, record.latency_s,
                         rel(record.input_tokens, estimate.input_tokens), rel(cost, estimate.cost_usd),
                         rel(record.latency_s, estimate.latency_s), cost <= estimate.cost_upper_usd + 1e-12)


def trim_context(hits: Sequence[Hit], question: str, max_words_per_hit: int) -> list[Hit]:
    """Keep the sentences of each chunk that share words with the question: the prompt-trimming lever.

    The same function the RAG app uses for ``RagConfig.max_words_per_chunk``; see
    :func:`labkit.rag.prompts.trim_context` for the rule and the arguments.
    """
    from labkit.rag.prompts import trim_context as trim

    return trim(hits, question, max_words_per_hit)


# --------------------------------------------------------------------------------------------
# Tiers
# --------------------------------------------------------------------------------------------

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
    from labkit.rag import is_abstention, parse_citations

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

    def __init__(self, name: str, app: RagApp, model: str | None = None, k: int | None = None,
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
            from labkit import llm

            self._model = self.app.config.model or llm.model_for("chat")
        return self._model

    @property
    def client(self) -> Any:
        if self._client is None:
            from labkit import llm

            self._client = llm.client()
        return self._client

    @property
    def cost_model(self) -> CostModel:
        if self._cost_model is None:
            self._cost_model = CostModel.from_registry(self.model)
        return self._cost_model

    def prepare(self, question: str, tenant: str | None = None) -> tuple[list[dict[str, str]], list[Hit], Estimate]:
        """Retrieve and build the prompt; predict the call's cost and latency before making it."""
        from labkit.rag.prompts import messages, prompt

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
        from labkit import llm
        from labkit.rag import parse_citations

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

    def __init__(self, name: str, app: RagApp, model: str, client: Any, k: int = 1,
                 max_words_per_hit: int | None = 60, max_tokens: int = 32, cost_model: CostModel | None = None,
                 checks: Check | None = None) -> None:
        super().__init__(name, app, model, k, max_words_per_hit, max_tokens, client, cost_model,
                         checks or (lambda text, hits: (bool(text.strip()), "" if text.strip() else "empty answer")))

    def prepare(self, question: str, tenant: str | None = None) -> tuple[Any, list[Hit], Estimate]:
        hits = self.app.index.search(question, k=self.k or 1, mode=self.app.config.mode, tenant=tenant)
        if self.max_words_per_hit:
            hits = trim_context(hits, question, self.max_words_per_hit)
        source = " ".join(" ".join(h.text.split()) for h in hits)
        text = f"{FEW_SHOT}Source: {source}\nQuestion: {question}\nAnswer:"
        return text, hits, self.cost_model.estimate(text, self.max_tokens)

    def _call(self, msgs: Any, hits: Sequence[Hit], est: Estimate) -> TierResult:
        from labkit import llm

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


# --------------------------------------------------------------------------------------------
# The cascade
# --------------------------------------------------------------------------------------------

@dataclass
class Routed:
    """What the cascade answered and what it took.

    Attributes:
        text: the answer served.
        route: "cache" or the name of the tier whose answer was served.
        steps: every tier that was called, in order.
        cost_usd / latency_s: totals over the steps (and the cache lookup).
        escalated: more than one tier was called.
        degraded: a tier was skipped because the budget could not pay for it.
        cache_similarity: similarity of the cache's best candidate (0 when no cache).
    """

    question: str
    text: str
    route: str
    steps: list[TierResult]
    cost_usd: float
    latency_s: float
    escalated: bool
    degraded: bool = False
    cache_similarity: float = 0.0
    notes: list[str] = field(default_factory=list)


class Cascade:
    """cache -> tier 1 -> tier 2 -> ...: escalate on low confidence or a failed check.

    Args:
        tiers: cheapest first.
        threshold: escalate when a tier's confidence is below this (0 disables confidence escalation).
        cache: a :class:`~labkit.cache.SemanticCache` tried first; final answers that passed their
            checks are stored in it (per tenant namespace).
        budget: charged for each call (the estimate's upper bound reserved, the measured cost settled).
    """

    def __init__(self, tiers: Sequence[ChatTier], threshold: float = 0.5, cache: SemanticCache | None = None,
                 budget: Budget | None = None) -> None:
        if not tiers:
            raise ValueError("a cascade needs at least one tier")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold is a probability in [0, 1], got {threshold}")
        self.tiers, self.threshold, self.cache, self.budget = list(tiers), threshold, cache, budget

    def answer(self, question: str, tenant: str = "shared", user: str = "anonymous") -> Routed:
        """Answer one question through the cascade.

        Args:
            question: the user's question.
            tenant: retrieval scope and cache namespace.
            user: who pays (the budget's per-user cap).

        Returns:
            A :class:`Routed`.

        Raises:
            BudgetExceeded: the budget cannot pay even for the first tier and the cache had nothing.
        """
        t0 = time.perf_counter()
        sim = 0.0
        if self.cache is not None:
            hit = self.cache.lookup(question, namespace=tenant)
            sim = hit.similarity
            if hit.hit and hit.answer is not None:
                return Routed(question, hit.answer, "cache", [], 0.0, time.perf_counter() - t0, False,
                              cache_similarity=sim)
        steps: list[TierResult] = []
        notes: list[str] = []
        degraded = False
        for i, tier in enumerate(self.tiers):
            msgs, hits, est = tier.prepare(question, None if tenant == "shared" else tenant)
            reservation = None
            if self.budget is not None:
                try:
                    reservation = self.budget.reserve(user, est.cost_upper_usd, note=f"{tier.name}:{tier.model}")
                except BudgetExceeded as exc:
                    if not steps:
                        raise
                    degraded = True
                    notes.append(f"skipped {tier.name}: {exc}")
                    break
            try:
                result = tier._call(msgs, hits, est)
            except BaseException:
                if reservation is not None:
                    self.budget.release(reservation)  # type: ignore[union-attr]
                raise
            if reservation is not None:
                self.budget.settle(reservation, result.cost_usd)  # type: ignore[union-attr]
            steps.append(result)
            confident = result.confidence >= self.threshold
            if result.checks_passed and confident:
                break
            if i < len(self.tiers) - 1:
                notes.append(f"{tier.name}: " + (result.check_reason if not result.checks_passed
                                                   else f"confidence {result.confidence:.2f} < {self.threshold}"))
        final = _best(steps)
        if self.cache is not None and final.checks_passed:
            self.cache.put(question, final.text, namespace=tenant,
                           metadata={"tier": final.tier, "model": final.model, "cost_usd": final.cost_usd})
        return Routed(question, final.text, final.tier, steps, sum(s.cost_usd for s in steps),
                      time.perf_counter() - t0, len(steps) > 1, degraded, sim, notes)


def _best(steps: Sequence[TierResult]) -> TierResult:
    # The last tier that passed its checks; if none did, the last one called.
    passed = [s for s in steps if s.checks_passed]
    return passed[-1] if passed else steps[-1]


# --------------------------------------------------------------------------------------------
# The cost-quality frontier
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FrontierPoint:
    """One way of answering a question set: its mean cost, mean latency and quality."""

    label: str
    cost_per_query_usd: float
    latency_s: float
    quality: float
    escalation_rate: float = 0.0
    threshold: float | None = None
    on_frontier: bool = False


def golden_correct(row: Mapping[str, Any], text: str) -> bool:
    """Whether an answer is right for a golden row: the answer or an alias (or the number) appears in
    it; for an unanswerable question, the answer abstains."""
    from labkit.evals import metrics
    from labkit.rag import is_abstention

    if row.get("kind") == "unanswerable":
        return is_abstention(text)
    if metrics.contains(text, row.get("answer"), row.get("aliases") or []):
        return True
    return bool(metrics.numeric_match(text, row.get("numeric_value")))


def cascade_frontier(results: Mapping[str, Sequence[TierResult]], correct: Mapping[str, Sequence[bool]],
                     order: Sequence[str] | None = None,
                     thresholds: Sequence[float] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> list[FrontierPoint]:
    """Cost and quality of each tier alone and of two-tier cascades at several thresholds.

    One run of every tier on the same questions is enough: a cascade at threshold t costs the cheap
    tier on every question plus the expensive one where the cheap answer was not confident or failed
    its checks, and is right where the answer it serves is right.

    Args:
        results: tier name -> one :class:`TierResult` per question (same order for every tier).
        correct: tier name -> whether that tier's answer to each question is right.
        order: tiers cheapest first (the order of ``results`` by default).
        thresholds: confidence thresholds to try.

    Returns:
        Points, with ``on_frontier`` set for those no other point beats on both cost and quality.
    """
    names = list(order or results)
    if not names:
        raise ValueError("no tiers")
    n = {len(results[t]) for t in names} | {len(correct[t]) for t in names}
    if len(n) != 1 or 0 in n:
        raise ValueError(f"every tier needs one result and one correctness flag per question, got sizes {sorted(n)}")
    points = []
    for t in names:
        points.append(FrontierPoint(t, float(np.mean([r.cost_usd for r in results[t]])),
                                    float(np.mean([r.latency_s for r in results[t]])),
                                    float(np.mean(correct[t]))))
    for cheap, dear in zip(names, names[1:], strict=False):
        for th in thresholds:
            escalate = [not r.checks_passed or r.confidence < th for r in results[cheap]]
            cost = [a.cost_usd + (b.cost_usd if e else 0.0)
                    for a, b, e in zip(results[cheap], results[dear], escalate, strict=True)]
            lat = [a.latency_s + (b.latency_s if e else 0.0)
                   for a, b, e in zip(results[cheap], results[dear], escalate, strict=True)]
            ok = [cb if e else ca for ca, cb, e in zip(correct[cheap], correct[dear], escalate, strict=True)]
            points.append(FrontierPoint(f"{cheap}->{dear}@{th:.2f}", float(np.mean(cost)), float(np.mean(lat)),
                                        float(np.mean(ok)), float(np.mean(escalate)), th))
    return _mark_frontier(points)


def _mark_frontier(points: list[FrontierPoint]) -> list[FrontierPoint]:
    out = []
    for p in points:
        dominated = any((q.cost_per_query_usd <= p.cost_per_query_usd and q.quality >= p.quality)
                        and (q.cost_per_query_usd < p.cost_per_query_usd or q.quality > p.quality) for q in points)
        out.append(replace(p, on_frontier=not dominated))
    return out
