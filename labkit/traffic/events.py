"""Events that change the traffic from a given day on: launches, topic, length and language shifts,
spikes and outages, and tags that mark a time window. Subclass :class:`Event` for anything else."""

from __future__ import annotations

import dataclasses
import math
import random
import re
from dataclasses import dataclass
from typing import Any

from labkit.traffic.base import Context, Draft, User, keywords
from labkit.traffic.templates import CONTEXT_SENTENCES, LAUNCH_QUESTIONS, OUTAGE_QUESTIONS, TRANSLATIONS


@dataclass(frozen=True)
class Event:
    """Something that changes the traffic from ``day`` on (for ``hours``, or to the end when None).

    Override any of :meth:`extra_rate`, :meth:`share_at` + :meth:`author`, :meth:`transform`.
    ``name`` keys the event's random streams and is added to the tags of requests it touches.
    """

    day: float
    hours: float | None = None
    name: str = "event"

    def __post_init__(self) -> None:
        if not isinstance(self.day, (int, float)) or self.day < 0:
            raise ValueError(f"{type(self).__name__}.day must be >= 0 (days since the start), got {self.day!r}")
        if self.hours is not None and self.hours <= 0:
            raise ValueError(f"{type(self).__name__}.hours must be > 0 or None (to the end), got {self.hours}")
        if not self.name or not re.fullmatch(r"[\w:\-.]+", self.name):
            raise ValueError(f"{type(self).__name__}.name must be a simple tag like 'launch', got {self.name!r}")

    @property
    def onset_hours(self) -> float:
        return self.day * 24.0

    def active(self, hours: float) -> bool:
        """Whether the event acts at this virtual hour."""
        end = math.inf if self.hours is None else self.onset_hours + self.hours
        return self.onset_hours <= hours < end

    def extra_rate(self, hours: float, base_rate: float) -> float:
        """Requests per hour this event adds on top of the base load (``base_rate``) at ``hours``."""
        return 0.0

    def share_at(self, hours: float) -> float:
        """Fraction of base requests at ``hours`` that this event writes itself (via :meth:`author`)."""
        return 0.0

    def author(self, rng: random.Random, hours: float, user: User, *, ctx: Context) -> Draft | None:
        """Write a request of this event's own kind; None keeps the request the base traffic wrote."""
        return None

    def transform(self, rng: random.Random, hours: float, draft: Draft, *, ctx: Context) -> Draft:
        """Rewrite a request written by the base traffic or another event (default: unchanged)."""
        return draft

    def params(self) -> dict[str, Any]:
        """The event's parameters, for the record."""
        d: dict[str, Any] = {"event": type(self).__name__}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            d[f.name] = list(v) if isinstance(v, tuple) else v
            if isinstance(v, tuple) and len(v) > 6:
                d[f.name] = f"{len(v)} items"
        return d


def _ramp(hours: float, onset: float, ramp_hours: float) -> float:
    if hours < onset:
        return 0.0
    return 1.0 if ramp_hours <= 0 else min(1.0, (hours - onset) / ramp_hours)


@dataclass(frozen=True)
class TopicShift(Event):
    """A new kind of question takes ``share`` of the traffic, ramping up over ``ramp_hours``.

    Attributes:
        questions: the question templates (``{product}`` is filled from ``product``).
        share: the fraction of requests it writes once ramped up (0..1).
        ramp_hours: hours from onset to full share.
        paraphrase: the probability that a question is paraphrased.
        product: fills ``{product}`` in templates.
    """

    questions: tuple[str, ...] = ()
    share: float = 0.3
    ramp_hours: float = 6.0
    paraphrase: float = 0.4
    product: str = ""
    name: str = "topic"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.questions:
            raise ValueError(f"{type(self).__name__} needs questions=(...) - the new questions users ask")
        if not 0 <= self.share <= 1:
            raise ValueError(f"share must be in [0, 1], got {self.share}")
        if self.ramp_hours < 0 or not 0 <= self.paraphrase <= 1:
            raise ValueError("ramp_hours must be >= 0 and paraphrase in [0, 1]")

    def share_at(self, hours: float) -> float:
        return self.share * _ramp(hours, self.onset_hours, self.ramp_hours) if self.active(hours) else 0.0

    def author(self, rng: random.Random, hours: float, user: User, *, ctx: Context) -> Draft | None:
        i = rng.randrange(len(self.questions))
        text = self.questions[i].format(product=self.product) if "{" in self.questions[i] else self.questions[i]
        kind = self.name
        if rng.random() < self.paraphrase:
            text = ctx.paraphrase(rng, text)
        return Draft(text, kind, f"{self.name}-{i:02d}", (self.name,), {"template": i})


@dataclass(frozen=True)
class Launch(TopicShift):
    """A product launch: from ``day`` on, ``share`` of questions are about a new feature the knowledge base
    does not cover yet (taking payments inside a form, "Quaywise Pay"). Topic drift.

    Attributes:
        day: onset (days since the start; 3.5 is noon of day 4).
        share: fraction of requests about the launch once ramped up.
        ramp_hours: hours from the onset to the full share.
        product: the product name in the questions.
        hours: how long the interest lasts (None: to the end).
    """

    day: float = 3.5
    questions: tuple[str, ...] = LAUNCH_QUESTIONS
    product: str = "Quaywise Pay"
    name: str = "launch"


@dataclass(frozen=True)
class LengthShift(Event):
    """From ``day`` on, ``share`` of questions get longer (1-3 sentences of context before them) or, with
    ``mode="shorter"``, become search-box keywords."""

    share: float = 0.5
    mode: str = "longer"
    ramp_hours: float = 6.0
    name: str = "length"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in ("longer", "shorter"):
            raise ValueError(f"mode must be 'longer' or 'shorter', got {self.mode!r}")
        if not 0 <= self.share <= 1:
            raise ValueError(f"share must be in [0, 1], got {self.share}")

    def transform(self, rng: random.Random, hours: float, draft: Draft, *, ctx: Context) -> Draft:
        if not self.active(hours) or rng.random() >= self.share * _ramp(hours, self.onset_hours, self.ramp_hours):
            return draft
        if self.mode == "shorter":
            text = keywords(draft.question)
        else:
            text = " ".join(rng.sample(CONTEXT_SENTENCES, rng.randint(1, 3))) + " " + draft.question
        return dataclasses.replace(draft, question=text, tags=(*draft.tags, self.name, self.mode))


@dataclass(frozen=True)
class LanguageShift(Event):
    """From ``day`` on, ``share`` of users write in another language (a hand-translated set of twelve
    everyday questions in Spanish, German and French)."""

    share: float = 0.3
    languages: tuple[str, ...] = ("es", "de", "fr")
    ramp_hours: float = 6.0
    name: str = "language"

    def __post_init__(self) -> None:
        super().__post_init__()
        known = {lang for t in TRANSLATIONS.values() for lang in t}
        bad = [lang for lang in self.languages if lang not in known]
        if not self.languages or bad:
            raise ValueError(f"languages must be a non-empty subset of {sorted(known)}, got {self.languages}")
        if not 0 <= self.share <= 1:
            raise ValueError(f"share must be in [0, 1], got {self.share}")

    def share_at(self, hours: float) -> float:
        return self.share * _ramp(hours, self.onset_hours, self.ramp_hours) if self.active(hours) else 0.0

    def author(self, rng: random.Random, hours: float, user: User, *, ctx: Context) -> Draft | None:
        english = sorted(TRANSLATIONS)
        i = rng.randrange(len(english))
        lang = rng.choice(self.languages)
        return Draft(TRANSLATIONS[english[i]][lang], self.name, f"lang-{lang}-{i:02d}", (self.name, f"lang:{lang}"),
                     {"lang": lang, "english": english[i]})


@dataclass(frozen=True)
class Spike(Event):
    """A burst: ``multiplier`` times the usual load for ``hours`` (default 1). With ``questions`` the extra
    requests ask those (an outage: "is it down?"); without, they are the usual mix."""

    hours: float | None = 1.0
    multiplier: float = 5.0
    questions: tuple[str, ...] = ()
    name: str = "spike"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hours is None:
            raise ValueError("a Spike needs hours= (how long the burst lasts)")
        if self.multiplier < 1:
            raise ValueError(f"multiplier must be >= 1 (times the usual load), got {self.multiplier}")

    def extra_rate(self, hours: float, base_rate: float) -> float:
        return (self.multiplier - 1.0) * base_rate if self.active(hours) else 0.0

    def author(self, rng: random.Random, hours: float, user: User, *, ctx: Context) -> Draft | None:
        if not self.questions:
            return None
        i = rng.randrange(len(self.questions))
        text = self.questions[i] if rng.random() < 0.6 else ctx.paraphrase(rng, self.questions[i])
        return Draft(text, self.name, f"{self.name}-{i:02d}", (self.name,))


@dataclass(frozen=True)
class Outage(Spike):
    """A spike of "is it down?" questions (an outage elsewhere makes users ask)."""

    multiplier: float = 4.0
    questions: tuple[str, ...] = OUTAGE_QUESTIONS
    name: str = "outage"


@dataclass(frozen=True)
class Tag(Event):
    """Adds ``tag`` to ``share`` of the requests between ``day`` and ``day + hours/24`` (e.g. a fault window
    a service under test should simulate: ``Tag(day=2, hours=0.5, tag="fault:timeout")``)."""

    tag: str = "marked"
    share: float = 1.0
    name: str = "tag"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.tag:
            raise ValueError("Tag needs tag='...'")
        if not 0 <= self.share <= 1:
            raise ValueError(f"share must be in [0, 1], got {self.share}")

    def transform(self, rng: random.Random, hours: float, draft: Draft, *, ctx: Context) -> Draft:
        if self.active(hours) and rng.random() < self.share:
            return dataclasses.replace(draft, tags=(*draft.tags, self.tag))
        return draft
