"""Hallucination detection and mitigation for grounded (RAG) answers.

The one call most code needs::

    from labkit import grounding
    r = grounding.support_score(context, question, answer)
    r.score, r.supported, r.unsupported_claims, r.per_detector["numeric"].reasons()

``support_score`` runs the fast detectors (numbers, names, polarity, lexical novelty, citations; a few
milliseconds, no model) and combines them with a logistic regression fitted on the labelled train split
(:data:`labkit.grounding.combine.DEFAULT_COMBINER`). Pass ``token_support=True`` to read the evidence
with SmolLM2 too and score with the learned combiner (:mod:`labkit.grounding.learned`, fitted on train
files of three sets; about a second an answer on a CPU), ``use_llm=True`` to add the LLM judge (one
model call per claim) and ``self_consistency=True`` to add sampled-answer agreement.
Mitigations (grounded prompting with abstention, answer-then-verify, refusing) are in
:mod:`labkit.grounding.mitigate`; measurement helpers in :mod:`labkit.grounding.evaluate`.
"""

from labkit.grounding import claims, combine, detectors, evaluate, learned, lm_support, samples
from labkit.grounding.demo import PREDICT_CASES, GroundingDemo
from labkit.grounding.detectors import FAST_DETECTORS, ClaimCheck, DetectorResult
from labkit.grounding.score import DEFAULT_THRESHOLD, GroundingResult, format_sources, run_detectors, support_score

__all__ = [
    "DEFAULT_THRESHOLD", "FAST_DETECTORS", "PREDICT_CASES", "ClaimCheck", "DetectorResult", "GroundingDemo",
    "GroundingResult", "claims", "combine", "detectors", "evaluate", "format_sources", "learned", "lm_support",
    "run_detectors", "samples", "support_score",
]
