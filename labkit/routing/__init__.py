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
* :func:`trim_context` (the RAG app's own, from :mod:`labkit.rag.prompts`) keeps the sentences of
  each retrieved chunk that share words with the question, so prompts shrink where it costs the
  least quality.

With the embedded backend only SmolLM2-135M chats, so the local cascade is "cache -> SmolLM2 with
one short source -> SmolLM2 with more sources" (or the Gemma 3 270M *base* model on a second
embedded server, prompted completion-style); with ``OPENAI_API_KEY`` set, the same code cascades
``model_for("small")`` -> ``model_for("large")``.
"""

from labkit.rag.prompts import trim_context
from labkit.routing.cascade import Cascade, Routed
from labkit.routing.estimate import CostModel, Estimate, EstimateCheck, check_estimate
from labkit.routing.frontier import FrontierPoint, cascade_frontier, golden_correct
from labkit.routing.tiers import (
    FEW_SHOT,
    ChatTier,
    Check,
    CompletionTier,
    TierResult,
    confidence_from_logprobs,
    rag_checks,
    strict_rag_checks,
)

__all__ = [
    "FEW_SHOT", "Cascade", "ChatTier", "Check", "CompletionTier", "CostModel", "Estimate", "EstimateCheck",
    "FrontierPoint", "Routed", "TierResult", "cascade_frontier", "check_estimate", "confidence_from_logprobs",
    "golden_correct", "rag_checks", "strict_rag_checks", "trim_context",
]
