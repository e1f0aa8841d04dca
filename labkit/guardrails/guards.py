"""The rule-based and packaged-model guards of both layers.

Input layer: :class:`SizeGuard`, :class:`NormalizeGuard`, :class:`PIIGuard` (plus the detectors in
:mod:`labkit.guardrails.heuristics` and :mod:`labkit.guardrails.detectors`).
Output layer: :class:`SchemaGuard` (with :func:`structured_call`, the bounded repair loop),
:class:`PIIGuard`, :class:`ToxicityGuard`, :class:`GroundednessGuard`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pydantic

from labkit.enterprise import pii
from labkit.guardrails.core import Guard, GuardContext, Verdict
from labkit.guardrails.normalize import normalize
from labkit.rag.app import is_abstention

__all__ = ["GroundednessGuard", "NormalizeGuard", "PIIGuard", "SchemaGuard", "SizeGuard", "StructuredResult",
           "ToxicityGuard", "structured_call"]


class SizeGuard(Guard):
    """Refuse prompts too long for the application (and too long to scan cheaply).

    Args:
        max_chars: the most characters allowed. The default, 4,000 (about 1,000 tokens), leaves
            room for the sources in a 4k-token context; set it from your own context budget.
        max_lines: the most lines allowed (walls of text hide instructions in the middle).
    """

    name = "size"

    def __init__(self, max_chars: int = 4000, max_lines: int = 200) -> None:
        if max_chars < 1 or max_lines < 1:
            raise ValueError(f"max_chars and max_lines must be >= 1, got {max_chars}, {max_lines}")
        self.max_chars, self.max_lines = max_chars, max_lines

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        n, lines = len(text), text.count("\n") + 1
        if n > self.max_chars:
            return self.block(f"{n} characters > limit {self.max_chars}", 1.0, chars=n)
        if lines > self.max_lines:
            return self.block(f"{lines} lines > limit {self.max_lines}", 1.0, lines=lines)
        if not text.strip():
            return self.block("empty prompt", 1.0, chars=n)
        return self.allow(f"{n} characters", 0.0, chars=n)


class NormalizeGuard(Guard):
    """Canonicalise the prompt and decode what is hidden in it, for the detectors after it.

    It puts the decoded views in ``ctx.views`` and passes the text on unchanged. Decoding alone is not
    an attack (people paste base64), so decoded prompts are only flagged. *Smuggling* is different:
    invisible characters threaded through the words, text hidden in Unicode tag characters, or Latin
    words spelled with Cyrillic or Greek letters exist to get past filters, and are blocked.

    Args:
        block_smuggling: block prompts whose only purpose-built disguises are found (see above).
    """

    name = "normalize"

    def __init__(self, block_smuggling: bool = True) -> None:
        self.block_smuggling = block_smuggling

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        n = normalize(text)
        ctx.views = list(n.views)
        kinds = [v.kind for v in n.decoded]
        if self.block_smuggling and n.smuggling:
            return self.block("smuggling: " + "; ".join(n.smuggling), 1.0, views=kinds, smuggling=n.smuggling)
        if not n.findings:
            return self.allow("nothing hidden", 0.0)
        return self.flag("; ".join(n.findings), 0.8 if kinds else 0.5, views=kinds)


class PIIGuard(Guard):
    """Personal data and secrets, via :mod:`labkit.enterprise.pii` (emails, phones, cards, IBANs, ids, keys).

    Args:
        action: what to do when something is found: "redact" (rewrite the text with placeholders;
            the default), "flag" or "block".
        types: entity types to look for (all of ``pii.TYPES`` by default).
        name: the guard's name (use different names for the input and output copies).
    """

    def __init__(self, action: str = "redact", types: list[str] | None = None, name: str = "pii") -> None:
        if action not in ("redact", "flag", "block"):
            raise ValueError(f"action must be 'redact', 'flag' or 'block', got {action!r}")
        self.action, self.types, self.name = action, types, name

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        result = pii.redact(text, self.types)
        if not result.entities:
            return self.allow("no personal data found", 0.0)
        counts = result.counts()
        what = ", ".join(f"{n} {t}" for t, n in sorted(counts.items()))
        spans = [(e.type, e.start, e.end) for e in result.entities]
        if self.action == "block":
            return self.block(f"personal data: {what}", 1.0, entities=spans)
        if self.action == "flag":
            return self.flag(f"personal data: {what}", 1.0, entities=spans)
        return self.redact(result.redacted, f"redacted {what}", 1.0, entities=spans)


class ToxicityGuard(Guard):
    """Offensive language, scored by ``alt-profanity-check`` (a linear SVM over words, MIT).

    Args:
        block_at: block when P(offensive) reaches this.
        flag_at: flag when it reaches this.
    """

    name = "toxicity"

    def __init__(self, block_at: float = 0.85, flag_at: float = 0.5) -> None:
        if not 0 < flag_at <= block_at <= 1:
            raise ValueError(f"need 0 < flag_at <= block_at <= 1, got {flag_at}, {block_at}")
        self.block_at, self.flag_at = block_at, flag_at
        self._predict: Callable[[list[str]], Any] | None = None

    def warm_up(self) -> None:
        if self._predict is None:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the package's pickles predate some scikit-learn notices
                from profanity_check import predict_prob  # type: ignore[import-untyped]
            self._predict = predict_prob

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        self.warm_up()
        assert self._predict is not None
        sentences = [s for s in _sentences(text) if s.strip()] or [text]
        probs = [float(p) for p in self._predict(sentences)]
        i = max(range(len(probs)), key=probs.__getitem__)
        score = probs[i]
        if score >= self.block_at:
            return self.block(f"offensive language P={score:.2f}: {sentences[i][:80]!r}", score)
        if score >= self.flag_at:
            return self.flag(f"possibly offensive P={score:.2f}", score)
        return self.allow(f"P(offensive)={score:.2f}", score)


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+|\n+", text)


class SchemaGuard(Guard):
    """The answer must be JSON that validates against a pydantic model.

    Args:
        model: a ``pydantic.BaseModel`` subclass.
    """

    name = "schema"

    def __init__(self, model: type[Any]) -> None:
        if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
            raise TypeError(f"SchemaGuard needs a pydantic.BaseModel subclass, got {model!r}")
        self.model = model

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        try:
            self.model.model_validate_json(_strip_fences(text))
        except pydantic.ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors()[:5])
            return self.block(f"not a valid {self.model.__name__}: {problems}", 1.0, errors=exc.errors()[:5])
        return self.allow(f"valid {self.model.__name__}", 0.0)


def _strip_fences(text: str) -> str:
    t = text.strip()
    if t.startswith("```"):
        t = t.split("\n", 1)[1] if "\n" in t else ""
        t = t.rsplit("```", 1)[0]
    return t.strip()


@dataclass
class StructuredResult:
    """What :func:`structured_call` returns.

    Attributes:
        value: the validated pydantic object, or None when every attempt failed.
        attempts: how many model calls were made.
        verdicts: the schema guard's verdict on each attempt.
        raw: the model's text on each attempt.
        schema_mode: whether the endpoint's JSON-schema mode (constrained decoding) was used.
        latency_s: wall time of all attempts.
    """

    value: Any
    attempts: int
    verdicts: list[Verdict]
    raw: list[str]
    schema_mode: bool
    latency_s: float
    usage: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None


def structured_call(client: Any, model: str, messages: list[dict[str, str]], *, schema: type[Any],
                    max_attempts: int = 3, schema_mode: bool = True, **create_kwargs: Any) -> StructuredResult:
    """Ask for JSON matching ``schema``; validate, and on failure ask again with the error, a bounded number of times.

    With ``schema_mode`` the endpoint constrains decoding to the schema (``response_format`` json_schema),
    so the JSON parses; values can still break constraints the grammar does not carry (ranges, formats),
    which is what the validator and the repair turn catch.

    Args:
        client: an ``openai.OpenAI`` (``labkit.llm.client()``).
        model: model name (``llm.model_for("chat")``).
        messages: the chat messages.
        schema: a pydantic model class.
        max_attempts: total model calls allowed (1 = no repair).
        schema_mode: send ``response_format`` with the JSON schema.
        **create_kwargs: passed to ``chat.completions.create`` (max_tokens, temperature, ...).

    Returns:
        A :class:`StructuredResult`.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    if not messages:
        raise ValueError("messages must not be empty")
    guard = SchemaGuard(schema)
    convo = list(messages)
    verdicts: list[Verdict] = []
    raw: list[str] = []
    usage: list[tuple[int, int]] = []
    extra: dict[str, Any] = dict(create_kwargs)
    if schema_mode:
        extra["response_format"] = {"type": "json_schema", "json_schema": {
            "name": schema.__name__, "schema": schema.model_json_schema()}}
    t0 = time.perf_counter()
    for _ in range(max_attempts):
        r = client.chat.completions.create(model=model, messages=convo, **extra)
        text = r.choices[0].message.content or ""
        raw.append(text)
        if r.usage:
            usage.append((r.usage.prompt_tokens, r.usage.completion_tokens))
        v = guard(text)
        verdicts.append(v)
        if v.allowed:
            value = schema.model_validate_json(_strip_fences(text))
            return StructuredResult(value, len(raw), verdicts, raw, schema_mode, time.perf_counter() - t0, usage)
        convo = convo + [{"role": "assistant", "content": text},
                         {"role": "user", "content": f"That JSON is invalid ({v.reason}). Reply with corrected JSON "
                                                     f"only, matching this schema: "
                                                     f"{json.dumps(schema.model_json_schema())}"}]
    return StructuredResult(None, len(raw), verdicts, raw, schema_mode, time.perf_counter() - t0, usage)


Scorer = Callable[[str, str, str], Any]


def _default_grounding_scorer() -> Scorer:
    """Adapter to :func:`labkit.grounding.support_score` (fast detectors, no model call), imported lazily."""
    try:
        from labkit import grounding
    except ImportError:
        raise ImportError("labkit.grounding is not available; pass scorer=(context, question, answer) -> "
                          "support in [0, 1] to GroundednessGuard") from None

    def call(context: str, question: str, answer: str) -> Any:
        return grounding.support_score(context, question, answer)

    return call


class GroundednessGuard(Guard):
    """The answer must be supported by the sources it was given (a thin adapter to :mod:`labkit.grounding`).

    Args:
        scorer: ``(context, question, answer) -> support in [0, 1]`` (or an object with ``score`` and,
            optionally, ``unsupported_claims``); :func:`labkit.grounding.support_score` by default.
        block_at: block when support is below this.
        flag_at: flag when support is below this.
    """

    name = "grounded"

    def __init__(self, scorer: Scorer | None = None, block_at: float = 0.3, flag_at: float = 0.5) -> None:
        if not 0 <= block_at <= flag_at <= 1:
            raise ValueError(f"need 0 <= block_at <= flag_at <= 1, got {block_at}, {flag_at}")
        self._scorer = scorer
        self.block_at, self.flag_at = block_at, flag_at

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            self._scorer = _default_grounding_scorer()
        return self._scorer

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        if not ctx.context:
            return self.allow("no sources to check against", 0.0)

        if is_abstention(text):
            return self.allow("the answer abstains", 0.0)
        out: Any = self.scorer(ctx.context, ctx.question or "", text)
        support = float(getattr(out, "score", out))
        claims = [str(c) for c in getattr(out, "unsupported_claims", [])]
        risk = 1.0 - min(1.0, max(0.0, support))
        which = f"; unsupported: {'; '.join(c[:60] for c in claims[:3])}" if claims else ""
        if support < self.block_at:
            return self.block(f"support {support:.2f} < {self.block_at:.2f}: not grounded in the sources{which}", risk,
                              unsupported_claims=claims)
        if support < self.flag_at:
            return self.flag(f"weak support {support:.2f}{which}", risk, unsupported_claims=claims)
        return self.allow(f"support {support:.2f}", risk)
