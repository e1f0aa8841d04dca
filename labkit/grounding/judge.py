"""Slow grounding detectors that ask a model: a claim-by-claim LLM judge under a JSON schema, and
self-consistency across sampled answers.

Both go through ``labkit.llm.client()``, so every call lands in the ledger and the same code runs against
any OpenAI-compatible endpoint. With the embedded SmolLM2-135M they are *weak* (a 135M model is a poor
judge of entailment); they are here because on a capable endpoint they catch what string checks cannot
(paraphrase, wrong relations between right names), and because measuring a weak judge honestly is
itself a lesson. They are off by default in :func:`labkit.grounding.support_score`.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from typing import Any, Literal

import pydantic

from labkit import llm
from labkit.grounding import claims as C
from labkit.grounding.detectors import ClaimCheck, DetectorResult, _finish, _validate

JUDGE_SYSTEM = (
    "You check whether a claim is supported by a source text. Answer 'supported' only if the source "
    "states the claim. Answer 'contradicted' if the source says something different (another number, "
    "name or date). Answer 'not_mentioned' if the source does not say."
)
JUDGE_USER = "Source:\n{source}\n\nClaim: {claim}\n\nIs the claim supported by the source?"
VERDICTS = ("supported", "contradicted", "not_mentioned")


class Verdict(pydantic.BaseModel):
    """The judge's structured answer for one claim (the JSON schema the endpoint must follow)."""

    verdict: Literal["supported", "contradicted", "not_mentioned"]


def _verdict_schema() -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "verdict", "schema": Verdict.model_json_schema(),
                                                    "strict": True}}


def _support_probability(choice: Any) -> float | None:
    """P(verdict = supported) from the logprobs of the token that picks the verdict, when the endpoint
    returns them; None otherwise. The schema fixes everything before the verdict's first letters, so
    the first token whose alternatives differ is the decision."""
    logprobs = getattr(choice, "logprobs", None)
    content = getattr(logprobs, "content", None) if logprobs is not None else None
    if not content:
        return None
    text = ""
    for tok in content:
        if re.search(r'"verdict"\s*:\s*"$', text):
            # top_logprobs come from the model before the grammar masks them: keep the verdict prefixes.
            tops = [(t.token.strip(), math.exp(t.logprob)) for t in (tok.top_logprobs or [])]
            valid = [(t, p) for t, p in tops if t and any(v.startswith(t) for v in VERDICTS)]
            total = sum(p for _, p in valid)
            if not total:
                return None
            return sum(p for t, p in valid if "supported".startswith(t)) / total
        text += tok.token
    return None


def llm_judge(context: str, question: str, answer: str, *, model: str | None = None, max_claims: int = 6,
              max_source_words: int = 350, client: Any = None) -> DetectorResult:
    """Ask the model, one claim at a time, whether the context supports the claim.

    The endpoint must follow a JSON schema (``response_format`` ``json_schema``) with one field,
    ``verdict`` in ``supported`` / ``contradicted`` / ``not_mentioned``, so the output always parses.
    The score is the mean over claims of P(supported) when the endpoint returns logprobs, else the share
    of claims judged supported.

    Args:
        context: the sources.
        question: the user's question (shown to no one; kept for the common signature).
        answer: the answer to check.
        model: model name; ``llm.model_for("judge")`` by default.
        max_claims: judge at most this many claims (each is one model call).
        max_source_words: trim the context to this many words (prompt tokens are the cost on CPU).
        client: an OpenAI client; ``llm.client()`` by default.

    Returns:
        A :class:`DetectorResult` named ``"llm_judge"``; ``details["verdicts"]`` holds the raw verdicts.
    """
    _validate(context, question, answer)
    if max_claims < 1 or max_source_words < 20:
        raise ValueError(f"need max_claims >= 1 and max_source_words >= 20, got {max_claims}, {max_source_words}")

    t0 = time.perf_counter()
    client = client or llm.client()
    model = model or llm.model_for("judge")
    source = " ".join(context.split()[:max_source_words])
    checks: list[ClaimCheck] = []
    verdicts, probs = [], []
    for claim in C.split_claims(answer)[:max_claims]:
        if C._WORD.search(claim.clean) is None:
            continue
        r = client.chat.completions.create(
            model=model, temperature=0, max_tokens=48, response_format=_verdict_schema(),
            logprobs=True, top_logprobs=5,
            messages=[{"role": "system", "content": JUDGE_SYSTEM},
                      {"role": "user", "content": JUDGE_USER.format(source=source, claim=claim.clean)}],
        )
        raw = r.choices[0].message.content or "{}"
        try:
            verdict = Verdict.model_validate_json(raw).verdict
        except pydantic.ValidationError:
            verdict = "not_mentioned"  # an endpoint that ignored the schema: count it as no support
        p = _support_probability(r.choices[0])
        verdicts.append(verdict)
        probs.append(p if p is not None else (1.0 if verdict == "supported" else 0.0))
        checks.append(ClaimCheck(claim.clean, verdict == "supported", f"judge: {verdict}"
                                 + (f" (P(supported)={p:.2f})" if p is not None else "")))
    result = _finish("llm_judge", checks, t0, {"verdicts": verdicts, "p_supported": probs})
    if probs:
        result.score = float(sum(probs) / len(probs))
    return result


SAMPLE_SYSTEM = ("Answer the question using only the sources. If they do not contain the answer, reply "
                 "exactly: I don't know.")


def self_consistency(context: str, question: str, answer: str, *, samples: int = 4, temperature: float = 0.9,
                     model: str | None = None, max_tokens: int = 64, max_source_words: int = 350,
                     client: Any = None) -> DetectorResult:
    """Sample fresh answers to the same question from the same sources; a claim the model does not repeat
    when asked again is more likely made up.

    Each claim of ``answer`` is checked against the samples: its numbers and names must appear in at
    least half of them (claims without numbers or names: half of their content words on average).

    Args:
        context: the sources.
        question: the question that was answered.
        answer: the answer to check.
        samples: how many answers to sample (one call with ``n`` when the endpoint supports it).
        temperature: sampling temperature (> 0, else every sample is the same).
        model: model name; ``llm.model_for("chat")`` by default.
        max_tokens: length cap of each sample.
        max_source_words: trim the context to this many words.
        client: an OpenAI client; ``llm.client()`` by default.

    Returns:
        A :class:`DetectorResult` named ``"self_consistency"``; ``details["samples"]`` holds the samples.
    """
    _validate(context, question, answer)
    if samples < 2:
        raise ValueError(f"samples must be >= 2 to measure agreement, got {samples}")
    if not 0 < temperature <= 2:
        raise ValueError(f"temperature must be in (0, 2], got {temperature}")

    t0 = time.perf_counter()
    client = client or llm.client()
    model = model or llm.model_for("chat")
    source = " ".join(context.split()[:max_source_words])
    messages = [{"role": "system", "content": SAMPLE_SYSTEM},
                {"role": "user", "content": f"Sources:\n{source}\n\nQuestion: {question}\nAnswer:"}]
    texts: list[str] = []
    for seed in range(samples):
        r = client.chat.completions.create(model=model, messages=messages, temperature=temperature,
                                           max_tokens=max_tokens, seed=seed)
        texts.append(r.choices[0].message.content or "")
    checks = [ClaimCheck(claim.clean, *_agreement(claim.clean, texts)) for claim in C.split_claims(answer)]
    return _finish("self_consistency", checks, t0, {"samples": texts})


def agreement(claim: str, samples: Sequence[str]) -> float:
    """Share of samples that repeat a claim's numbers and names (or, lacking those, its content words)."""
    if not samples:
        raise ValueError("need at least one sample")
    keys = [q.text for q in C.quantities(claim)] + C.entities(claim)
    hits = []
    for s in samples:
        if keys:
            norm = C.normalise(s)
            values = [q for q in C.quantities(s)]
            found = [any(C.same_value(q.value, v.value) for v in values) for q in C.quantities(claim)]
            found += [C.normalise(e) in norm for e in C.entities(claim)]
            hits.append(sum(found) / len(found))
        else:
            want = C.content_words(claim)
            hits.append(len(want & C.content_words(s)) / len(want) if want else 1.0)
    return sum(hits) / len(hits)


def _agreement(claim: str, samples: Sequence[str]) -> tuple[bool, str]:
    share = agreement(claim, samples)
    return share >= 0.5, f"repeated in {share:.0%} of {len(samples)} samples"


def verdicts_json(result: DetectorResult) -> str:
    """The judge's verdicts as JSON (for display)."""
    return json.dumps(result.details.get("verdicts", []))
