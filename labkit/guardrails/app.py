"""The two layers, assembled, and a RAG app wrapped in them.

    >>> from labkit.rag import RagApp
    >>> guarded = GuardedApp(RagApp())                     # default input and output layers
    >>> g = guarded.answer("How much does the Team plan cost?")
    >>> g.text, g.blocked, g.input.summary(), g.output.summary()
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from labkit.guardrails.core import GuardContext, Pipeline, PipelineResult
from labkit.guardrails.detectors import ClassifierGuard, DetectorModel, SimilarityGuard
from labkit.guardrails.guards import (
    GroundednessGuard,
    NormalizeGuard,
    PIIGuard,
    SchemaGuard,
    SizeGuard,
    ToxicityGuard,
)
from labkit.guardrails.heuristics import HeuristicGuard

__all__ = ["REFUSAL", "GuardedAnswer", "GuardedApp", "input_pipeline", "output_pipeline"]

REFUSAL = "Sorry, I can't help with that request."


def input_pipeline(model: DetectorModel | None = None, max_chars: int = 4000, pii: str = "redact",
                   *, similarity: bool = True, cascade: bool = True) -> Pipeline:
    """The input layer: size, normalisation, personal data, classifier, heuristics, similarity.

    Args:
        model: fitted detectors; the shared default (trained at first use on the train split) when None.
        max_chars: the size limit.
        pii: what to do with personal data in a prompt: "redact" (default), "flag" or "block".
        similarity: include the embedding-similarity guard (the most expensive one).
        cascade: run the similarity guard only when the cheaper guards are unsure (see ``SimilarityGuard``).

    Returns:
        A :class:`Pipeline` named "input", cheap guards first (the classifier, under a millisecond, before the
        patterns, which it confirms).
    """
    classifier = ClassifierGuard(model)
    # The classifier runs before the patterns so that a pattern match in plain text ("how do I jailbreak
    # a Kindle?") blocks only when the classifier agrees it looks like an attack (see HeuristicGuard).
    guards = [SizeGuard(max_chars=max_chars), NormalizeGuard(), PIIGuard(action=pii, name="pii"), classifier,
              HeuristicGuard(confirm_at=lambda: classifier.model.thresholds["heuristics"]["confirm_at"])]
    if similarity:
        guards.append(SimilarityGuard(model, cascade=cascade))
    return Pipeline(guards, name="input")


def output_pipeline(schema: type[Any] | None = None, grounding: bool | GroundednessGuard = False,
                    pii: str = "redact") -> Pipeline:
    """The output layer: schema (when given), personal data, toxicity, groundedness (when asked).

    Args:
        schema: a pydantic model the answer must validate against (for JSON-producing features).
        grounding: True for a :class:`GroundednessGuard` over :mod:`labkit.grounding`, or a configured guard.
        pii: what to do with personal data in an answer.

    Returns:
        A :class:`Pipeline` named "output".
    """
    guards: list[Any] = []
    if schema is not None:
        guards.append(SchemaGuard(schema))
    guards += [PIIGuard(action=pii, name="pii_out"), ToxicityGuard()]
    if isinstance(grounding, GroundednessGuard):
        guards.append(grounding)
    elif grounding:
        guards.append(GroundednessGuard())
    return Pipeline(guards, name="output")


@dataclass
class GuardedAnswer:
    """A RAG answer with the verdicts of both layers.

    Attributes:
        question: what the user asked.
        text: what the user sees: the (possibly redacted) answer, or the refusal.
        blocked: whether a layer blocked ("input" or "output" in ``stage``).
        stage: where it was blocked, else None.
        answer: the RAG app's :class:`labkit.rag.Answer` (None when the input layer blocked).
        input: the input layer's result.
        output: the output layer's result (None when the input layer blocked).
        timings: seconds spent in each part: "input", "app", "output", "total".
    """

    question: str
    text: str
    blocked: bool
    stage: str | None
    answer: Any
    input: PipelineResult
    output: PipelineResult | None
    timings: dict[str, float] = field(default_factory=dict)

    # The fields labkit.rag.service reads, so a GuardedApp can stand where a RagApp stands.
    @property
    def citations(self) -> list[str]:
        return list(self.answer.citations) if self.answer is not None and not self.blocked else []

    @property
    def retrieved_ids(self) -> list[str]:
        return list(self.answer.retrieved_ids) if self.answer is not None else []

    @property
    def abstained(self) -> bool:
        return bool(self.answer.abstained) if self.answer is not None and not self.blocked else False

    @property
    def invalid_citations(self) -> list[int]:
        return list(self.answer.invalid_citations) if self.answer is not None else []

    @property
    def model(self) -> str:
        return str(self.answer.model) if self.answer is not None else "guardrails"

    @property
    def prompt_version(self) -> str:
        return str(self.answer.prompt_version) if self.answer is not None else ""

    @property
    def input_tokens(self) -> int:
        return int(self.answer.input_tokens) if self.answer is not None else 0

    @property
    def output_tokens(self) -> int:
        return int(self.answer.output_tokens) if self.answer is not None else 0

    @property
    def latency_s(self) -> float:
        return self.timings.get("total", 0.0)

    @property
    def verdicts(self) -> list[dict[str, Any]]:
        """Every verdict of both layers as dicts, with the layer's name."""
        out = [{"layer": "input", **v.to_dict()} for v in self.input.verdicts]
        if self.output is not None:
            out += [{"layer": "output", **v.to_dict()} for v in self.output.verdicts]
        return out


class GuardedApp:
    """A RAG app (anything with ``answer(question, tenant=...)``) behind an input and an output layer.

    Args:
        app: a :class:`labkit.rag.RagApp` (or another object with the same ``answer`` method).
        input: the input layer; :func:`input_pipeline` by default.
        output: the output layer; :func:`output_pipeline` by default.
        refusal: what the user sees when a layer blocks.
    """

    def __init__(self, app: Any, input: Pipeline | None = None, output: Pipeline | None = None,  # noqa: A002
                 *, refusal: str = REFUSAL) -> None:
        if not callable(getattr(app, "answer", None)):
            raise TypeError(f"GuardedApp wraps an object with an answer(question, tenant=...) method, got {app!r}")
        self.app = app
        self.input = input if input is not None else input_pipeline()
        self.output = output if output is not None else output_pipeline()
        self.refusal = refusal

    # What labkit.rag.service.create_app reads from the app it serves.
    @property
    def index(self) -> Any:
        return self.app.index

    @property
    def config(self) -> Any:
        return self.app.config

    def with_config(self, **changes: Any) -> GuardedApp:
        """The same layers around ``app.with_config(**changes)``."""
        return GuardedApp(self.app.with_config(**changes), self.input, self.output, refusal=self.refusal)

    def warm_up(self) -> GuardedApp:
        """Load the guards' models now. Returns self."""
        self.input.warm_up()
        self.output.warm_up()
        return self

    def answer(self, question: str, tenant: str | None = None, **kwargs: Any) -> GuardedAnswer:
        """Check the question, answer it, check the answer.

        Args:
            question: the user's question.
            tenant: passed to the app.
            **kwargs: passed to the app's ``answer``.

        Returns:
            A :class:`GuardedAnswer` with both layers' verdicts and where the time went.
        """
        if not isinstance(question, str):
            raise TypeError(f"question must be a str, got {type(question).__name__}")
        t0 = time.perf_counter()
        pre = self.input.run(question, GuardContext(question=question, meta={"tenant": tenant}))
        t1 = time.perf_counter()
        if not pre.allowed:
            return GuardedAnswer(question, self.refusal, True, "input", None, pre, None,
                                 {"input": t1 - t0, "app": 0.0, "output": 0.0, "total": t1 - t0})
        answer = self.app.answer(pre.text, tenant=tenant, **kwargs)
        t2 = time.perf_counter()
        hits = list(getattr(answer, "hits", []) or [])
        # Number the sources as the model saw them, so a groundedness check can follow the [n] citations.
        sources = "\n\n".join(f"[{n}] {getattr(h, 'text', h)}" for n, h in enumerate(hits, 1))
        post = self.output.run(answer.text, GuardContext(question=pre.text, context=sources or None,
                                                         meta={"tenant": tenant}))
        t3 = time.perf_counter()
        blocked = not post.allowed
        return GuardedAnswer(question, self.refusal if blocked else post.text, blocked, "output" if blocked else None,
                             answer, pre, post, {"input": t1 - t0, "app": t2 - t1, "output": t3 - t2, "total": t3 - t0})
