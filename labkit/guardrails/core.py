"""Verdicts, guards and the pipeline that runs them in order.

A guard has one job and returns a :class:`Verdict`: allowed or not, which action it takes (allow,
block, redact, flag), its name, a reason a person can read, a score and the milliseconds it took.
A :class:`Pipeline` runs guards in order: a block stops it (unless asked to run every guard, which
is how each layer is measured), a redaction rewrites the text the next guards and the model see,
and a flag is recorded and passed on.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

ACTIONS = ("allow", "flag", "redact", "block")
_SEVERITY = {a: i for i, a in enumerate(ACTIONS)}


@dataclass(frozen=True)
class View:
    """One way of reading a text: the canonical form, or what a decoder found inside it.

    Attributes:
        kind: "canonical", or the decoder that produced it ("base64", "hex", "rot13", "tags", ...).
        text: the text of this view.
    """

    kind: str
    text: str


@dataclass
class GuardContext:
    """What a guard may look at besides the text it checks.

    Attributes:
        question: the user's question (output guards compare the answer with it).
        context: the sources the answer should be grounded in (retrieved chunks, joined).
        views: decoded readings of the text, filled by the normaliser; detectors check each one.
        scores: the score of each guard that already ran, by name (filled by the pipeline), so an
            expensive guard can run only when a cheap one is unsure (a cascade).
        meta: anything else a caller wants guards to see (tenant, request id, ...).
    """

    question: str | None = None
    context: str | None = None
    views: list[View] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """What one guard decided about one text.

    Attributes:
        allowed: False only when the guard blocks.
        action: "allow", "flag" (let through, but record it), "redact" (let through rewritten) or "block".
        guard: the guard's name.
        reason: why, in words a person can act on.
        score: the guard's risk score in [0, 1] (1 = surely bad); 0 when it has none.
        ms: milliseconds the guard took (filled in by the pipeline or ``Guard.__call__``).
        text: the rewritten text when ``action == "redact"``, else None.
        details: extra machine-readable facts (matched patterns, entities, the view that fired, ...).
    """

    allowed: bool
    action: str
    guard: str
    reason: str
    score: float = 0.0
    ms: float = 0.0
    text: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {self.action!r}")
        if self.allowed == (self.action == "block"):
            raise ValueError(f"allowed={self.allowed} contradicts action={self.action!r}: only 'block' disallows")
        if self.action == "redact" and self.text is None:
            raise ValueError("a 'redact' verdict must carry the rewritten text")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be in [0, 1], got {self.score}")

    def to_dict(self) -> dict[str, Any]:
        """The verdict as the JSON the CLI writes: allowed, action, guard, reason, score, ms."""
        return {"allowed": self.allowed, "action": self.action, "guard": self.guard, "reason": self.reason,
                "score": round(self.score, 4), "ms": round(self.ms, 3)}


class Guard(ABC):
    """A check with one job. Subclasses set ``name`` and implement :meth:`check`.

    Call a guard like a function, ``guard(text)``, to get a timed :class:`Verdict`.
    """

    name: str = "guard"

    @abstractmethod
    def check(self, text: str, ctx: GuardContext) -> Verdict:
        """Decide about ``text``.

        Args:
            text: what to check (a prompt for input guards, an answer for output guards).
            ctx: the shared context: question, sources, decoded views.

        Returns:
            A verdict; its ``ms`` is filled in by the caller.
        """

    def warm_up(self) -> None:  # noqa: B027 - optional hook, deliberately not abstract
        """Load models now rather than on the first request (a no-op for rule-based guards)."""

    def __call__(self, text: str, ctx: GuardContext | None = None) -> Verdict:
        if not isinstance(text, str):
            raise TypeError(f"{self.name} checks strings, got {type(text).__name__}; decode bytes first")
        t0 = time.perf_counter()
        verdict = self.check(text, ctx if ctx is not None else GuardContext())
        return replace(verdict, ms=(time.perf_counter() - t0) * 1000)

    # Small helpers so guards read as sentences.
    def allow(self, reason: str, score: float = 0.0, **details: Any) -> Verdict:
        return Verdict(True, "allow", self.name, reason, _clip(score), details=details)

    def flag(self, reason: str, score: float = 0.0, **details: Any) -> Verdict:
        return Verdict(True, "flag", self.name, reason, _clip(score), details=details)

    def block(self, reason: str, score: float = 1.0, **details: Any) -> Verdict:
        return Verdict(False, "block", self.name, reason, _clip(score), details=details)

    def redact(self, new_text: str, reason: str, score: float = 1.0, **details: Any) -> Verdict:
        return Verdict(True, "redact", self.name, reason, _clip(score), text=new_text, details=details)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


@dataclass
class PipelineResult:
    """What a pipeline decided about one text.

    Attributes:
        allowed: False when any guard that ran blocked.
        action: the most severe action taken (block > redact > flag > allow).
        text: the text after redactions (what the model, or the user, should see); the input if none.
        verdicts: every verdict, in the order the guards ran.
        ms: total milliseconds spent in guards.
        blocked_by: the first guard that blocked, or None.
        layer: the pipeline's name ("input", "output", ...).
    """

    allowed: bool
    action: str
    text: str
    verdicts: list[Verdict]
    ms: float
    blocked_by: str | None
    layer: str

    @property
    def deciding(self) -> Verdict | None:
        """The verdict that decided the outcome: the first block, else the first redact, else the first flag."""
        for action in ("block", "redact", "flag"):
            for v in self.verdicts:
                if v.action == action:
                    return v
        return None

    def verdict(self, guard: str) -> Verdict | None:
        """The verdict of the guard named ``guard`` (None if it did not run)."""
        return next((v for v in self.verdicts if v.guard == guard), None)

    def to_dict(self) -> dict[str, Any]:
        """One JSON-able line: allowed, action, guard, reason, score, ms (the deciding guard's, or the layer's)."""
        d = self.deciding
        if d is None:
            top = max((v.score for v in self.verdicts), default=0.0)
            return {"allowed": True, "action": "allow", "guard": f"{self.layer}:all",
                    "reason": f"passed {len(self.verdicts)} guards", "score": round(top, 4), "ms": round(self.ms, 3)}
        return {**d.to_dict(), "allowed": self.allowed, "ms": round(self.ms, 3)}

    def summary(self) -> str:
        """One line per verdict, for printing."""
        lines = [f"{self.layer}: {'ALLOWED' if self.allowed else 'BLOCKED'} ({self.action}, {self.ms:.1f} ms)"]
        for v in self.verdicts:
            lines.append(f"  {v.guard:<14} {v.action:<6} score={v.score:.2f} {v.ms:7.2f} ms  {v.reason}")
        return "\n".join(lines)


class Pipeline:
    """Guards run in order, one layer of defence.

    Args:
        guards: the guards, in the order they run (cheap ones first).
        name: the layer's name, e.g. "input" or "output".

    Example:
        >>> p = Pipeline([SizeGuard(max_chars=100)], name="input")
        >>> p.run("hello").allowed
        True
    """

    def __init__(self, guards: Sequence[Guard], name: str = "pipeline") -> None:
        guards = list(guards)
        bad = [g for g in guards if not isinstance(g, Guard)]
        if bad:
            raise TypeError(f"Pipeline takes Guard objects, got {[type(b).__name__ for b in bad]}")
        names = [g.name for g in guards]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"guard names must be unique within a pipeline; repeated: {dupes} (pass name=...)")
        self.guards = guards
        self.name = name

    def __iter__(self) -> Iterator[Guard]:
        return iter(self.guards)

    def __len__(self) -> int:
        return len(self.guards)

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, [{', '.join(g.name for g in self.guards)}])"

    @property
    def names(self) -> list[str]:
        """Guard names in running order."""
        return [g.name for g in self.guards]

    def warm_up(self) -> Pipeline:
        """Load every guard's model now, so the first request is not the slow one. Returns self."""
        for g in self.guards:
            g.warm_up()
        return self

    def run(self, text: str, ctx: GuardContext | None = None, *, run_all: bool = False) -> PipelineResult:
        """Run the guards on ``text``.

        Args:
            text: the prompt (input layer) or the answer (output layer).
            ctx: question, sources and other context; a fresh one when omitted.
            run_all: keep going after a block, so every guard's verdict is measured (for evaluation).
                The outcome is the same: blocked if any guard blocked.

        Returns:
            A :class:`PipelineResult`.
        """
        if not isinstance(text, str):
            raise TypeError(f"Pipeline.run needs a str, got {type(text).__name__}")
        ctx = ctx if ctx is not None else GuardContext()
        current = text
        verdicts: list[Verdict] = []
        blocked_by: str | None = None
        for guard in self.guards:
            v = guard(current, ctx)
            verdicts.append(v)
            ctx.scores[v.guard] = v.score
            if v.action == "redact" and v.text is not None:
                current = v.text
            if v.action == "block" and blocked_by is None:
                blocked_by = v.guard
                if not run_all:
                    break
        action = max((v.action for v in verdicts), key=_SEVERITY.__getitem__, default="allow")
        return PipelineResult(allowed=blocked_by is None, action=action, text=current, verdicts=verdicts,
                              ms=sum(v.ms for v in verdicts), blocked_by=blocked_by, layer=self.name)
