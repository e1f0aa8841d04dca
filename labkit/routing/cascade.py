"""The cascade: the semantic cache, then each tier in order, escalating on low confidence or a failed
check, with an optional budget charged per call."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labkit.budget import Budget, BudgetExceeded
from labkit.routing.tiers import ChatTier, TierResult

if TYPE_CHECKING:
    from labkit.cache import SemanticCache


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
                 *, budget: Budget | None = None) -> None:
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
