"""Seeded, simulated user traffic on a virtual clock: a week of requests in seconds.

**This is a simulation.** Requests are generated from the golden questions of the data spine
(``data.records("golden")``) plus templates written for this module; nobody asked them. Every
parameter that shaped a run is kept in ``Traffic.params`` so a plot can say what it shows.

What the base traffic has:

* load that follows the day (a cosine with its peak in the afternoon) and is lower at weekends;
* popular and rare questions (a Zipf law over the golden questions), tenant-aware (a customer's
  users also ask about their own contract);
* the same question asked verbatim by many users, paraphrased by template, and re-asked by the
  same user a few minutes later (a retry).

Events change it from a given day on. Each is a small dataclass; the simulation asks every event
how much load it adds, what share of requests it writes itself, and how it rewrites the others:

* :class:`Launch` - a product launch: questions about a new feature the knowledge base does not
  cover yet (topic drift);
* :class:`TopicShift` - any new kind of question, from your own list (the capstone adds jailbreak
  and injection attempts this way);
* :class:`LengthShift`, :class:`LanguageShift` - longer (or keyword-short) questions; questions in
  Spanish, German or French;
* :class:`Spike` - a burst of load, of the usual mix or of one question ("is it down?");
* :class:`Tag` - marks requests in a time window (e.g. ``fault:timeout``) for a service to act on.

Subclass :class:`Event` for anything else. Randomness is drawn per request from streams keyed by
(seed, arrival, event name), so adding an event leaves every request before its onset unchanged:
a drift week and its no-drift twin differ only where the drift acts.

    >>> from labkit import traffic
    >>> week = traffic.simulate(days=7, seed=0, events=[traffic.Launch(day=3.5)])
    >>> week[0].question, week.params["events"]
"""

from labkit.traffic.base import Context, Draft, TrafficConfig, User, keywords
from labkit.traffic.clock import DAY, DEFAULT_START, HOUR, VirtualClock
from labkit.traffic.events import Event, LanguageShift, Launch, LengthShift, Outage, Spike, Tag, TopicShift
from labkit.traffic.requests import Request, Traffic
from labkit.traffic.simulation import simulate
from labkit.traffic.templates import (
    CONTEXT_SENTENCES,
    LAUNCH_DOCUMENT,
    LAUNCH_QUESTIONS,
    OUTAGE_QUESTIONS,
    PARAPHRASE_PREFIXES,
    PARAPHRASE_SUFFIXES,
    PARAPHRASE_SWAPS,
    TRANSLATIONS,
)

__all__ = [
    "CONTEXT_SENTENCES", "DAY", "DEFAULT_START", "HOUR", "LAUNCH_DOCUMENT", "LAUNCH_QUESTIONS", "OUTAGE_QUESTIONS",
    "PARAPHRASE_PREFIXES", "PARAPHRASE_SUFFIXES", "PARAPHRASE_SWAPS", "TRANSLATIONS", "Context", "Draft", "Event",
    "LanguageShift", "Launch", "LengthShift", "Outage", "Request", "Spike", "Tag", "TopicShift", "Traffic",
    "TrafficConfig", "User", "VirtualClock", "keywords", "simulate",
]
