"""labkit.routing: cost/latency prediction, prompt trimming, confidence, the cascade (escalation, cache,
budget degradation) and the cost-quality frontier; one real cascade against the embedded server."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from labkit import routing
from labkit.budget import Budget, BudgetExceeded, Caps
from labkit.llm.ledger import CallRecord
from labkit.rag import Hit, Index, RagApp, RagConfig
from labkit.routing import Cascade, CostModel, TierResult

DOCS = [
    {"id": "d1", "doc_id": "plans", "title": "Plans and prices", "tenant": "shared", "status": "current",
     "text": "Quaywise has four paid plans. The Team plan costs $19 per user per month. The Business plan "
             "costs $34 per user per month. Annual billing saves about 16%."},
    {"id": "d2", "doc_id": "limits", "title": "Upload limits", "tenant": "shared", "status": "current",
     "text": "Attachments can be up to 100 MB each on Team. Business allows 1 GB per file."},
]


def _hit(text: str) -> Hit:
    return Hit("c1", "d1", "plans", "Plans and prices", "shared", "public", "current", text, 1.0, 1, 1)


# -- prediction -------------------------------------------------------------------------------

def test_cost_model_estimate_scales_with_prompt_and_cap() -> None:
    cm = CostModel("gpt-4o-mini", prefill_tps=1000, decode_tps=50, overhead_s=0.1, chars_per_token=4,
                   tokens_per_message=4)
    short = cm.estimate([{"role": "user", "content": "x" * 400}], max_tokens=100)
    long = cm.estimate([{"role": "user", "content": "x" * 4000}], max_tokens=100)
    assert short.input_tokens == 104 and long.input_tokens == 1004
    assert long.cost_usd > short.cost_usd and long.ttft_s > short.ttft_s
    assert short.latency_s == pytest.approx(0.1 + 104 / 1000 + 100 / 50)
    assert short.cost_upper_usd >= short.cost_usd
    with pytest.raises(ValueError, match="max_tokens"):
        cm.estimate("hi", 0)
    with pytest.raises(ValueError, match="decode_tps"):
        CostModel("m", decode_tps=0)


def test_cost_model_fit_recovers_constants_from_records() -> None:
    # records built from known constants: 3 chars/token, 5 tokens/message, 200 prefill tps, 40 decode tps
    recs = []
    for i, (chars, out) in enumerate([(300, 10), (900, 40), (1500, 20), (600, 60), (2400, 30), (1200, 50)]):
        n_in = chars / 3 + 5 * 2
        recs.append(CallRecord("chat", "smollm2-135m-instruct", "embedded", False, status=200,
                               input_tokens=round(n_in), output_tokens=out,
                               latency_s=0.2 + n_in / 200 + out / 40, request_body={"messages": [
                                   {"role": "system", "content": "s" * 100}, {"role": "user", "content": "u" * (chars - 100)}]},
                               tags={"i": str(i)}))
    cm = CostModel.fit(recs)
    assert cm.chars_per_token == pytest.approx(3, rel=0.05)
    assert cm.prefill_tps == pytest.approx(200, rel=0.1) and cm.decode_tps == pytest.approx(40, rel=0.1)
    assert cm.expected_output_tokens == pytest.approx(35)
    check = routing.check_estimate(cm.estimate(recs[0].request_body["messages"], 64), recs[0])
    assert abs(check.input_error) < 0.05 and check.within_upper_bound
    with pytest.raises(ValueError, match="at least 4"):
        CostModel.fit(recs[:2])


# -- trimming and confidence ------------------------------------------------------------------

def test_trim_context_keeps_the_sentence_the_question_needs() -> None:
    filler = " ".join(f"Sentence {i} talks about nothing relevant at all." for i in range(8))
    h = _hit(f"Plans and prices\n{filler} The Team plan costs $19 per user per month. {filler}")
    head_cut = " ".join(h.text.split()[:30])
    trimmed = routing.trim_context([h], "What does the Team plan cost?", max_words_per_hit=30)[0]
    assert "$19" in trimmed.text and "$19" not in head_cut
    assert trimmed.text.startswith("Plans and prices\n") and len(trimmed.text.split()) <= 30
    assert trimmed.document_id == h.document_id
    with pytest.raises(ValueError, match="max_words_per_hit"):
        routing.trim_context([h], "q", 2)


def test_confidence_from_logprobs() -> None:
    assert routing.confidence_from_logprobs([0.0, 0.0]) == 1.0
    assert routing.confidence_from_logprobs([math.log(0.5)] * 3) == pytest.approx(0.5)
    assert routing.confidence_from_logprobs([]) == 0.0


# -- the cascade's control logic (scripted tiers; the model-backed path is tested below) ------

class ScriptedTier(routing.ChatTier):
    """A tier whose answers are given in advance: tests the cascade's decisions, not a model."""

    model = "gpt-4o-mini"  # type: ignore[assignment]

    def __init__(self, name: str, confidence: float, ok: bool = True, cost: float = 0.01) -> None:
        self.name, self.calls = name, 0
        self._confidence, self._ok, self._cost = confidence, ok, cost
        self.max_tokens = 10

    def prepare(self, question: str, tenant: str | None = None) -> tuple[Any, list[Hit], routing.Estimate]:
        return [], [], routing.Estimate(10, 5, 10, self._cost / 2, self._cost, 0.1, 0.05)

    def _call(self, msgs: Any, hits: Any, est: routing.Estimate) -> TierResult:
        self.calls += 1
        return TierResult(self.name, self.model, f"answer from {self.name} [1]", 10, 5, self._cost, 0.1,
                          self._confidence, self._ok, "" if self._ok else "no citation", est)


def test_cascade_escalates_on_low_confidence_or_failed_check() -> None:
    sure, unsure = ScriptedTier("small", 0.9), ScriptedTier("large", 0.9)
    r = Cascade([sure, unsure], threshold=0.5).answer("q")
    assert r.route == "small" and not r.escalated and unsure.calls == 0
    r = Cascade([ScriptedTier("small", 0.2), ScriptedTier("large", 0.9)], threshold=0.5).answer("q")
    assert r.route == "large" and r.escalated and "confidence" in r.notes[0]
    assert r.cost_usd == pytest.approx(0.02)
    r = Cascade([ScriptedTier("small", 0.9, ok=False), ScriptedTier("large", 0.9)], threshold=0.5).answer("q")
    assert r.route == "large" and "no citation" in r.notes[0]


def test_cascade_degrades_when_the_budget_cannot_pay_for_escalation() -> None:
    budget = Budget(":memory:", Caps(per_user_usd=0.015))
    r = Cascade([ScriptedTier("small", 0.1, cost=0.01), ScriptedTier("large", 0.9, cost=0.01)], threshold=0.5,
                budget=budget).answer("q", user="alice")
    assert r.degraded and r.route == "small" and "skipped large" in r.notes[-1]
    assert budget.spend("alice").settled_usd == pytest.approx(0.01)
    with pytest.raises(BudgetExceeded):
        Cascade([ScriptedTier("small", 0.9, cost=0.01)], budget=budget).answer("q", user="alice")


def test_cascade_serves_repeats_from_the_semantic_cache() -> None:
    import numpy as np

    from labkit.cache import SemanticCache

    def words(texts: list[str]) -> np.ndarray:  # a toy embedder: hashed word counts
        out = np.zeros((len(texts), 32), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().replace("?", "").split():
                out[i, sum(map(ord, w)) % 32] += 1
        return out

    cache = SemanticCache(threshold=0.9, embedder=words)
    tier = ScriptedTier("small", 0.9)
    c = Cascade([tier], cache=cache)
    first = c.answer("how much is the team plan", tenant="acme")
    again = c.answer("How much is the Team plan?", tenant="acme")
    other = c.answer("How much is the Team plan?", tenant="globex")
    assert first.route == "small" and again.route == "cache" and again.cost_usd == 0 and other.route == "small"
    assert tier.calls == 2


# -- frontier ---------------------------------------------------------------------------------

def test_cascade_frontier_from_one_run_per_tier() -> None:
    def res(name: str, conf: list[float], cost: float) -> list[TierResult]:
        return [TierResult(name, "m", "", 0, 0, cost, 1.0, c, True) for c in conf]

    results = {"small": res("small", [0.9, 0.2, 0.8, 0.1], 0.001), "large": res("large", [0.9] * 4, 0.01)}
    correct = {"small": [True, False, True, False], "large": [True, True, True, False]}
    pts = {p.label: p for p in routing.cascade_frontier(results, correct, thresholds=[0.5])}
    c = pts["small->large@0.50"]
    assert c.escalation_rate == 0.5 and c.quality == 0.75
    assert c.cost_per_query_usd == pytest.approx(0.001 + 0.5 * 0.01)
    assert c.on_frontier and pts["small"].on_frontier and not pts["large"].on_frontier  # same quality, dearer
    with pytest.raises(ValueError, match="one result"):
        routing.cascade_frontier({"a": results["small"]}, {"a": [True]})


# -- against the real embedded server ---------------------------------------------------------

@pytest.mark.server
def test_real_tiers_and_cascade_on_the_embedded_model(embedded: Any, tmp_path: Path) -> None:
    from labkit import llm

    index = Index.build(DOCS, tmp_path / "i.sqlite", chunk_words=40, overlap_words=5)
    app = RagApp(DOCS, RagConfig(), index_path=index.path)
    small = routing.ChatTier("small", app, k=1, max_words_per_hit=20, max_tokens=24)
    large = routing.ChatTier("large", app, k=2, max_tokens=32)
    mark = llm.ledger.mark()
    r = small.run("How much does the Team plan cost?")
    assert r.text and 0 < r.confidence <= 1 and r.input_tokens > 0 and r.estimate is not None
    rec = llm.ledger.records[mark]
    check = routing.check_estimate(r.estimate, rec)
    assert check.input_tokens == r.input_tokens and abs(check.input_error) < 0.6  # a rough but real prediction
    assert check.within_upper_bound
    budget = Budget(":memory:", Caps(per_user_usd=1.0))
    routed = Cascade([small, large], threshold=0.99, budget=budget).answer("How big can an attachment be on Team?")
    assert routed.escalated and [s.tier for s in routed.steps] == ["small", "large"]
    assert budget.spend("anonymous").settled_usd == pytest.approx(routed.cost_usd)
