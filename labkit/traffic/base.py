"""The base traffic's settings (:class:`TrafficConfig`) and what events see: users, the request being
written (:class:`Draft`), the shared question pool (:class:`Context`), and helpers to write questions."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

from labkit.traffic.templates import PARAPHRASE_PREFIXES, PARAPHRASE_SUFFIXES, PARAPHRASE_SWAPS


@dataclass(frozen=True)
class TrafficConfig:
    """The base traffic. ``simulate(scale=...)`` multiplies ``rate_per_hour``.

    Attributes:
        rate_per_hour: mean requests per hour on a weekday (before ``scale``).
        diurnal_amplitude: 0 flat; 0.7 means the quietest hour has 30% and the busiest 170% of the mean.
        peak_hour: hour of day (UTC) of the busiest hour.
        weekend_factor: load on Saturday and Sunday relative to weekdays.
        users: number of simulated users.
        customer_share: fraction of users who belong to a customer tenant (the rest are ``shared``).
        tenant_question_share: chance that a customer user asks about their own tenant's documents.
        zipf: exponent of question popularity (0 uniform; 1 a few questions dominate).
        paraphrase: chance a question is paraphrased rather than asked verbatim.
        repeat: chance a user re-asks their own previous question (a retry), if it is recent.
        repeat_within_hours: how recent "recent" is.
    """

    rate_per_hour: float = 30.0
    diurnal_amplitude: float = 0.7
    peak_hour: float = 14.0
    weekend_factor: float = 0.5
    users: int = 400
    customer_share: float = 0.15
    tenant_question_share: float = 0.4
    zipf: float = 0.9
    paraphrase: float = 0.35
    repeat: float = 0.08
    repeat_within_hours: float = 2.0

    def __post_init__(self) -> None:
        checks = {"rate_per_hour": self.rate_per_hour > 0, "diurnal_amplitude": 0 <= self.diurnal_amplitude < 1,
                  "peak_hour": 0 <= self.peak_hour < 24, "weekend_factor": self.weekend_factor > 0,
                  "users": self.users >= 1, "customer_share": 0 <= self.customer_share <= 1,
                  "tenant_question_share": 0 <= self.tenant_question_share <= 1, "zipf": self.zipf >= 0,
                  "paraphrase": 0 <= self.paraphrase <= 1, "repeat": 0 <= self.repeat <= 1,
                  "repeat_within_hours": self.repeat_within_hours > 0}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"TrafficConfig: out-of-range values for {bad}; see the class docstring for ranges")

    def rate(self, hours: float, start_weekday: int = 0) -> float:
        """Base requests per hour at virtual hour ``hours`` (before ``scale``)."""
        hod = hours % 24.0
        weekday = (start_weekday + int(hours // 24)) % 7
        day_factor = self.weekend_factor if weekday >= 5 else 1.0
        return self.rate_per_hour * day_factor * (1 + self.diurnal_amplitude * math.cos(2 * math.pi * (hod - self.peak_hour) / 24))


@dataclass(frozen=True)
class User:
    id: str
    tenant: str


@dataclass
class Draft:
    """A request being written: what an event authors or rewrites."""

    question: str
    kind: str
    source: str
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """The simulation's shared material, handed to every event.

    Attributes:
        questions: the golden questions (dicts with id, question, tenant, ...).
        config: the base-traffic settings.
    """

    questions: list[dict[str, Any]]
    config: TrafficConfig

    def paraphrase(self, rng: random.Random, text: str) -> str:
        """A template paraphrase: a word swap, a greeting or sign-off, or lower case without '?'."""
        out = text
        swaps = [s for s in PARAPHRASE_SWAPS if out.startswith(s[0])]
        styles = ["prefix", "suffix", "lower"] + (["swap", "swap"] if swaps else [])
        style = rng.choice(styles)
        if style == "swap":
            a, b = rng.choice(swaps)
            out = b + out[len(a):]
        elif style == "prefix":
            out = rng.choice(PARAPHRASE_PREFIXES) + _lower_first(out)
        elif style == "suffix":
            out = out + rng.choice(PARAPHRASE_SUFFIXES)
        else:
            out = out.rstrip("?").lower()
        if out == text:  # every paraphrase differs from its original
            out = text + " Thanks."
        return out


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and text[1].islower() and not text.startswith(("I ", "Quaywise")):
        return text[0].lower() + text[1:]
    return text


def keywords(text: str) -> str:
    """A search-box version of a question: lower case, no stopwords, no punctuation."""
    stop = {"a", "an", "the", "do", "does", "i", "we", "my", "our", "is", "are", "can", "how", "what", "to", "of",
            "for", "in", "on", "it", "there", "much", "many", "with", "which", "be", "you", "your", "if", "me"}
    words = [w for w in re.findall(r"[a-z0-9$%.\-]+", text.lower()) if w not in stop]
    return " ".join(words) or text.lower()
