"""Score one answer against its sources: run the detectors, combine their results, list the unsupported claims."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labkit.grounding import claims, combine
from labkit.grounding.detectors import FAST_DETECTORS, DetectorResult
from labkit.text import is_abstention

DEFAULT_THRESHOLD = 0.5


@dataclass
class GroundingResult:
    """How well one answer is supported by its context.

    Attributes:
        score: combined support in [0, 1] (higher = better supported).
        supported: ``score >= threshold``.
        unsupported_claims: the claims a content detector flagged (numbers, names, polarity, LLM ones), in
            answer order, without repeats. A claim flagged only for its citation is listed in
            ``per_detector["citation"]``, not here.
        per_detector: each detector's :class:`DetectorResult` by name.
        threshold: the cut used for ``supported``.
        abstained: the answer was an "I don't know" (no claims, so nothing can be unsupported).
        ms: total wall time.
    """

    score: float
    supported: bool
    unsupported_claims: list[str]
    per_detector: dict[str, DetectorResult]
    threshold: float = DEFAULT_THRESHOLD
    abstained: bool = False
    ms: float = 0.0

    def reasons(self) -> list[str]:
        """One line per flagged claim and detector: ``detector: claim -> why``."""
        return [f"{name}: {line}" for name, r in self.per_detector.items() for line in r.reasons()]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (what ``labkit ground`` writes, plus per-detector scores)."""
        return {"score": round(self.score, 4), "supported": self.supported,
                "unsupported_claims": self.unsupported_claims,
                "per_detector": {n: round(r.score, 4) for n, r in self.per_detector.items()},
                "abstained": self.abstained, "ms": round(self.ms, 3)}


def format_sources(sources: str | Iterable[Any]) -> str:
    """Turn sources into the numbered context the detectors read.

    Args:
        sources: a context string (returned unchanged), or a list of strings / objects with a ``text``
            attribute (``labkit.rag`` hits), numbered ``[1]``, ``[2]``, ... in order.

    Returns:
        The context string.
    """
    if isinstance(sources, str):
        return sources
    blocks = []
    for n, s in enumerate(sources, 1):
        text = s if isinstance(s, str) else getattr(s, "text", None)
        if not isinstance(text, str):
            raise TypeError(f"source {n} is a {type(s).__name__}; give strings or objects with a .text string")
        blocks.append(f"[{n}] {text}")
    return "\n\n".join(blocks)


def run_detectors(context: str, question: str, answer: str,
                  *, detectors: Mapping[str, Callable[..., DetectorResult]] | Sequence[str] | None = None
                  ) -> dict[str, DetectorResult]:
    """Run detectors by name (or given as a mapping) and return their results by name.

    Args:
        context / question / answer: as in :func:`support_score`.
        detectors: names from :data:`FAST_DETECTORS`, or a ``{name: function}`` mapping; all fast ones
            by default.
    """
    if detectors is None:
        chosen: Mapping[str, Callable[..., DetectorResult]] = FAST_DETECTORS
    elif isinstance(detectors, Mapping):
        chosen = detectors
    else:
        unknown = [d for d in detectors if d not in FAST_DETECTORS]
        if unknown:
            raise ValueError(f"unknown detector(s) {unknown}; fast detectors are {sorted(FAST_DETECTORS)} "
                             f"(the LLM ones are switched on with use_llm=True / self_consistency=True)")
        chosen = {d: FAST_DETECTORS[d] for d in detectors}
    return {name: fn(context, question, answer) for name, fn in chosen.items()}


def support_score(context: str | Iterable[Any], question: str, answer: str, *,
                  threshold: float = DEFAULT_THRESHOLD, detectors: Sequence[str] | None = None,
                  use_llm: bool = False, self_consistency: bool = False, token_support: bool = False,
                  combiner: Callable[[Mapping[str, DetectorResult]], float] | None = None,
                  llm_options: Mapping[str, Any] | None = None) -> GroundingResult:
    """Score how well ``answer`` is supported by ``context``.

    Args:
        context: the sources the answer should rest on: a string (``[n]``-numbered blocks enable the
            citation check) or a list of strings / RAG hits.
        question: the user's question (numbers and names it mentions are not held against the answer).
        answer: the answer to check.
        threshold: ``supported`` is ``score >= threshold``.
        detectors: fast detectors to run (names); all of them by default.
        use_llm: also run the LLM judge (one model call per claim; slow on CPU).
        self_consistency: also sample answers and check agreement (several model calls).
        token_support: also read the evidence with SmolLM2 (:mod:`labkit.grounding.lm_support`, two
            forward passes, about a second on a CPU) and score with the learned combiner
            (:mod:`labkit.grounding.learned`: string checks, token support and the baseline features,
            fitted on train splits of three sets); its result is ``per_detector["token_support"]``.
        combiner: maps per-detector results to one score; by default the learned combiner when
            ``token_support`` ran with every fast detector, else :func:`combine.default_combiner` (the
            logistic regression fitted on the labelled train split when exactly the fast detectors ran,
            else :func:`combine.fixed_rule`); pass ``combine.fixed_rule`` for the rule.
        llm_options: keyword arguments for the LLM detectors (``model``, ``samples``, ...).

    Returns:
        A :class:`GroundingResult`.

    Raises:
        ValueError: an empty answer or a threshold outside [0, 1].
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    if not isinstance(question, str):
        raise TypeError(f"question must be a string, got {type(question).__name__}")
    if not isinstance(answer, str) or not answer.strip():
        raise ValueError("answer must be a non-empty string")
    t0 = time.perf_counter()
    ctx = format_sources(context)
    if is_abstention(answer) and len(claims.split_claims(answer)) <= 1:
        return GroundingResult(1.0, True, [], {}, threshold, True, (time.perf_counter() - t0) * 1000)
    results = run_detectors(ctx, question, answer, detectors=detectors)
    opts = dict(llm_options or {})
    if use_llm:
        from labkit.grounding.judge import llm_judge

        results["llm_judge"] = llm_judge(ctx, question, answer, **{k: v for k, v in opts.items()
                                                                     if k in ("model", "max_claims", "client")})
    if self_consistency:
        from labkit.grounding.judge import self_consistency as sc

        results["self_consistency"] = sc(ctx, question, answer, **{k: v for k, v in opts.items()
                                                                    if k in ("model", "samples", "temperature",
                                                                             "client")})
    learned_row = None
    if token_support:
        from labkit.grounding import learned, lm_support

        t = lm_support.token_support(ctx, question, answer)
        if set(combine.DEFAULT_DETECTORS) <= set(results):
            learned_row = learned.feature_row(ctx, question, answer, per_detector=results, support=t)
        results["token_support"] = DetectorResult("token_support", t.score(), bool(t.tokens), ms=t.ms,
                                                  details={"weakest_tokens": t.weakest_tokens()})
    if combiner is None and learned_row is not None and not (use_llm or self_consistency):
        from labkit.grounding import learned

        score = learned.default().predict(learned_row)
    else:
        score = (combiner or combine.default_combiner)(results)
    # Citation flags lower the score but are not hallucinations: they stay in per_detector["citation"].
    flagged = list(dict.fromkeys(c for n, r in results.items() if n != "citation" for c in r.unsupported_claims))
    order = {c.clean: i for i, c in enumerate(claims.split_claims(answer))}
    flagged.sort(key=lambda c: order.get(c, len(order)))
    return GroundingResult(score, score >= threshold, flagged, results, threshold, False,
                           (time.perf_counter() - t0) * 1000)
