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

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
import time as _time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

HOUR = 3600.0
DAY = 86400.0
DEFAULT_START = "2025-10-20T00:00:00+00:00"  # a Monday; the knowledge base is "as of" this day

# --------------------------------------------------------------------------------------------
# Templates (written for this module)
# --------------------------------------------------------------------------------------------
PARAPHRASE_PREFIXES = ("Quick question: ", "Hi! ", "Hello, ", "Hey team, ", "Question about Quaywise: ",
                       "I was wondering: ", "Sorry if this is obvious, but ", "pls help - ")
PARAPHRASE_SUFFIXES = (" Thanks.", " Thanks in advance!", " (asking for my manager)", " Any help appreciated.",
                       " Need this today.")
PARAPHRASE_SWAPS = (("What is ", "What's "), ("How do I ", "What's the way to "), ("Can I ", "Is it possible to "),
                    ("Can we ", "Are we able to "), ("How many ", "What number of "), ("Is there ", "Do you have "),
                    ("How much ", "What amount "), ("Do you ", "Does Quaywise "))

LAUNCH_QUESTIONS = (
    "How do I turn on {product} for my workspace?",
    "Which plans include {product}?",
    "What fee does {product} charge per transaction?",
    "Can I take card payments in a form with {product}?",
    "Which currencies does {product} support?",
    "How long do {product} payouts take to reach our bank account?",
    "How do I refund a payment made through {product}?",
    "Does {product} support Apple Pay and Google Pay?",
    "Can a form charge a different amount depending on the answers with {product}?",
    "Is {product} available in the EU and Canada data regions?",
    "Is {product} PCI compliant?",
    "Can I connect {product} to the payment processor we already use?",
    "Why was a {product} payment declined?",
    "Can approvers see whether someone has paid before they approve?",
    "How do I export {product} transactions for our accountants?",
    "Does {product} email a receipt to the person who paid?",
    "Can I collect a deposit now and the rest later with {product}?",
    "What happens to a submission if the {product} payment fails?",
    "Is there a minimum or maximum amount for a {product} payment?",
    "How do I add sales tax to a {product} payment field?",
    "Can guests pay through {product} without a Quaywise account?",
    "Where do I see the {product} payout schedule?",
)

OUTAGE_QUESTIONS = (
    "Is Quaywise down?",
    "Forms are not loading for us, is there an outage?",
    "Submissions fail with a 503 error, what is going on?",
    "Is everything OK with Quaywise right now? Nothing loads.",
)

# Twelve everyday questions, translated by hand; keys are the English originals.
TRANSLATIONS: dict[str, dict[str, str]] = {
    "How much does the Team plan cost per user?": {
        "es": "¿Cuánto cuesta el plan Team por usuario?",
        "de": "Was kostet der Team-Tarif pro Nutzer?",
        "fr": "Combien coûte le forfait Team par utilisateur ?"},
    "How do I reset my password?": {
        "es": "¿Cómo restablezco mi contraseña?",
        "de": "Wie setze ich mein Passwort zurück?",
        "fr": "Comment réinitialiser mon mot de passe ?"},
    "Can I export submissions to CSV?": {
        "es": "¿Puedo exportar los envíos a CSV?",
        "de": "Kann ich Einsendungen als CSV exportieren?",
        "fr": "Puis-je exporter les réponses au format CSV ?"},
    "How do I set up single sign-on?": {
        "es": "¿Cómo configuro el inicio de sesión único?",
        "de": "Wie richte ich Single Sign-On ein?",
        "fr": "Comment configurer l'authentification unique ?"},
    "Where is my data stored?": {
        "es": "¿Dónde se almacenan mis datos?",
        "de": "Wo werden meine Daten gespeichert?",
        "fr": "Où sont stockées mes données ?"},
    "How do I cancel my subscription?": {
        "es": "¿Cómo cancelo mi suscripción?",
        "de": "Wie kündige ich mein Abonnement?",
        "fr": "Comment résilier mon abonnement ?"},
    "How many forms can I create on the Free plan?": {
        "es": "¿Cuántos formularios puedo crear con el plan gratuito?",
        "de": "Wie viele Formulare kann ich im kostenlosen Tarif erstellen?",
        "fr": "Combien de formulaires puis-je créer avec le forfait gratuit ?"},
    "How do I invite a new user to my workspace?": {
        "es": "¿Cómo invito a un nuevo usuario a mi espacio de trabajo?",
        "de": "Wie lade ich einen neuen Nutzer in meinen Arbeitsbereich ein?",
        "fr": "Comment inviter un nouvel utilisateur dans mon espace de travail ?"},
    "Can I add an approval step to a form?": {
        "es": "¿Puedo añadir un paso de aprobación a un formulario?",
        "de": "Kann ich einem Formular einen Genehmigungsschritt hinzufügen?",
        "fr": "Puis-je ajouter une étape d'approbation à un formulaire ?"},
    "How do I delete my account and all my data?": {
        "es": "¿Cómo elimino mi cuenta y todos mis datos?",
        "de": "Wie lösche ich mein Konto und alle meine Daten?",
        "fr": "Comment supprimer mon compte et toutes mes données ?"},
    "Is there a limit on API requests per minute?": {
        "es": "¿Hay un límite de solicitudes a la API por minuto?",
        "de": "Gibt es ein Limit für API-Anfragen pro Minute?",
        "fr": "Y a-t-il une limite de requêtes API par minute ?"},
    "How do I change the billing email address?": {
        "es": "¿Cómo cambio la dirección de correo de facturación?",
        "de": "Wie ändere ich die E-Mail-Adresse für die Rechnungen?",
        "fr": "Comment modifier l'adresse e-mail de facturation ?"},
}

CONTEXT_SENTENCES = (
    "We're a 40-person accounting firm on the Business plan and our month-end close runs through Quaywise approvals.",
    "I've already read the help centre and searched the community forum but could not find a clear answer.",
    "My manager asked me to check this before our renewal meeting next week.",
    "We moved from paper forms last quarter and are still learning how everything fits together.",
    "This is for our HR onboarding workflow, which about 200 new hires go through every year.",
    "Our IT team is reviewing every tool we use this month, so I need a precise answer.",
    "I tried this yesterday afternoon and again this morning and got the same result both times.",
    "Some context: we have three workspaces, one per office, and a shared admin account.",
    "Our legal team is asking because of a customer audit that is due at the end of the month.",
    "I'm the only admin here and everyone in finance is waiting on me to sort this out.",
    "We are comparing Quaywise with two other vendors and this point could decide it.",
    "A colleague told me it used to work differently, which is why I'm double-checking.",
)

LAUNCH_DOCUMENT: dict[str, Any] = {
    "id": "kb-launch-pay", "doc_id": "help-quaywise-pay", "title": "Quaywise Pay: take payments in a form",
    "category": "help", "tenant": "shared", "data_class": "public", "version": 1, "status": "current",
    "updated": "2025-10-23",
    "text": ("# Quaywise Pay: take payments in a form\n\n"
             "Quaywise Pay (simulated launch, written for the traffic simulation) lets a form collect a card "
             "payment as part of a submission. Add a **Payment** field, set a fixed amount or a formula that "
             "depends on earlier answers, and choose the currency (USD, EUR, GBP, CAD or AUD).\n\n"
             "Quaywise Pay is included on Team, Business and Enterprise. Each successful payment costs 2.9% plus "
             "30 cents. Payouts reach your bank account three business days after the payment. Refunds are made "
             "from the submission page within 90 days; the fee is not returned.\n\n"
             "If a payment fails, the submission is saved as a draft and the person who pays gets an email with "
             "a link to try again. Approvers see a Paid or Unpaid badge on each request. Receipts are emailed "
             "automatically. Exports of transactions are in Settings > Payments > Export, as CSV."),
}


# --------------------------------------------------------------------------------------------
# Requests, the virtual clock, and the traffic container
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """One simulated user request.

    Attributes:
        id: ``r-000001``..., in time order.
        ts: virtual seconds since the start of the simulation.
        user: user id, e.g. ``u-0042``.
        tenant: the user's tenant (``shared`` or a customer of the knowledge base).
        question: what the user typed.
        kind: how it was made: ``golden`` (verbatim), ``paraphrase``, ``repeat`` (same user re-asks),
            or the name of the event that wrote it (``launch``, ``spike``, ...).
        source: the golden question id or template id it came from.
        tags: labels events attach (``launch``, ``lang:de``, ``long``, ``spike``, ``fault:timeout``...).
        meta: anything else (``golden_id``, ``lang``, ...).
    """

    id: str
    ts: float
    user: str
    tenant: str
    question: str
    kind: str
    source: str
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def hours(self) -> float:
        """Virtual hours since the start."""
        return self.ts / HOUR

    @property
    def day(self) -> float:
        """Virtual days since the start (3.5 is noon of the fourth day)."""
        return self.ts / DAY

    @property
    def golden_id(self) -> str | None:
        """The golden question this request asks (verbatim or paraphrased), if any."""
        gid = self.meta.get("golden_id")
        return str(gid) if gid else None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["tags"] = list(self.tags)
        return d


class VirtualClock:
    """Simulated time. Nothing waits: :meth:`advance` moves time forward instantly.

    Components that take a clock (TTL caches, budgets over a time window, rate limiters) can be
    given ``clock.time`` (or the clock itself, which is callable) instead of ``time.time``.

    Args:
        start: the wall-clock moment of virtual second 0 (ISO string or aware datetime).
        pace: if set, :meth:`replay` sleeps so that this many virtual seconds pass per real second
            (``pace=2016`` plays a week in five minutes); None plays as fast as possible.
    """

    def __init__(self, start: str | datetime = DEFAULT_START, pace: float | None = None) -> None:
        if isinstance(start, str):
            try:
                start = datetime.fromisoformat(start)
            except ValueError:
                raise ValueError(f"start must be an ISO date-time like {DEFAULT_START!r}, got {start!r}") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        if pace is not None and pace <= 0:
            raise ValueError(f"pace must be > 0 virtual seconds per real second (or None), got {pace}")
        self.start = start
        self.pace = pace
        self.now = 0.0

    def time(self) -> float:
        """Virtual now as a Unix timestamp (a drop-in for ``time.time``)."""
        return self.start.timestamp() + self.now

    __call__ = time

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0); returns the new ``now``."""
        if seconds < 0 or math.isnan(seconds):
            raise ValueError(f"time only moves forward; advance() got {seconds}")
        self.now += seconds
        return self.now

    sleep = advance

    def advance_to(self, ts: float) -> float:
        """Move time to virtual second ``ts`` (not earlier than now)."""
        if ts < self.now - 1e-9:
            raise ValueError(f"cannot go back in time from {self.now:.1f} s to {ts:.1f} s")
        self.now = max(self.now, ts)
        return self.now

    def datetime(self, ts: float | None = None) -> datetime:
        """The wall-clock moment of virtual second ``ts`` (default: now)."""
        return self.start + timedelta(seconds=self.now if ts is None else ts)

    def hours(self) -> float:
        return self.now / HOUR

    def days(self) -> float:
        return self.now / DAY

    def replay(self, requests: Iterable[Request]) -> Iterator[Request]:
        """Yield requests in time order, moving the clock to each request's time first."""
        t_real0, t_virt0 = _time.perf_counter(), self.now
        for r in requests:
            self.advance_to(r.ts)
            if self.pace:
                wait = (self.now - t_virt0) / self.pace - (_time.perf_counter() - t_real0)
                if wait > 0:
                    _time.sleep(wait)
            yield r

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now:.0f} s = {self.datetime().isoformat()})"


class Traffic(list[Request]):
    """A list of :class:`Request` (time order) plus the parameters that made it (``params``)."""

    def __init__(self, requests: Iterable[Request] = (), params: dict[str, Any] | None = None) -> None:
        super().__init__(requests)
        self.params: dict[str, Any] = params or {}

    @property
    def start(self) -> datetime:
        return datetime.fromisoformat(str(self.params.get("start", DEFAULT_START)))

    def hours(self) -> np.ndarray:
        """Each request's virtual hour since the start."""
        return np.array([r.ts / HOUR for r in self], dtype=np.float64)

    def between(self, start_hours: float, end_hours: float) -> Traffic:
        """Requests with start_hours <= hours < end_hours."""
        return Traffic((r for r in self if start_hours <= r.ts / HOUR < end_hours), self.params)

    def frame(self) -> pd.DataFrame:
        """One row per request, with wall-clock time and the tags joined by commas."""
        import pandas as pd

        start = self.start
        return pd.DataFrame([{**{k: v for k, v in r.to_dict().items() if k != "meta"},
                              "time": start + timedelta(seconds=r.ts), "tags": ",".join(r.tags),
                              "golden_id": r.golden_id} for r in self])

    def hourly_counts(self) -> np.ndarray:
        """Requests per virtual hour, from hour 0 to the end of the simulation."""
        n = int(math.ceil(float(self.params.get("days", 0)) * 24)) or (int(self.hours().max()) + 1 if self else 0)
        return np.bincount(np.minimum(self.hours().astype(int), max(n - 1, 0)), minlength=n)

    def describe(self) -> str:
        """A short, human-readable account of what was simulated and with which parameters."""
        p = self.params
        kinds: dict[str, int] = {}
        for r in self:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        lines = [f"SIMULATED traffic (labkit.traffic): {len(self)} requests over {p.get('days')} virtual days "
                 f"from {p.get('start')}, seed {p.get('seed')}, scale {p.get('scale')}",
                 "  base: " + ", ".join(f"{k}={v}" for k, v in p.get("config", {}).items()),
                 "  by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))]
        for ev in p.get("events", []):
            lines.append("  event: " + ", ".join(f"{k}={v}" for k, v in ev.items()))
        return "\n".join(lines)

    def save(self, path: str | Path) -> Path:
        """Write the parameters (first line) and the requests as JSON lines."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as f:
            f.write(json.dumps({"params": self.params}) + "\n")
            for r in self:
                f.write(json.dumps(r.to_dict()) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Traffic:
        """Read what :meth:`save` wrote."""
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        if not lines or "params" not in json.loads(lines[0]):
            raise ValueError(f"{path} is not a traffic file written by Traffic.save()")
        reqs = []
        for line in lines[1:]:
            d = json.loads(line)
            d["tags"] = tuple(d.get("tags", ()))
            reqs.append(Request(**d))
        return cls(reqs, json.loads(lines[0])["params"])


# --------------------------------------------------------------------------------------------
# What events see: users, the question pool, and helpers to write questions
# --------------------------------------------------------------------------------------------
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


def _stream(seed: int, *keys: object) -> random.Random:
    """An independent random stream for (seed, keys): the same keys always give the same draws."""
    return random.Random("|".join(str(k) for k in (seed, *keys)))


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------
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

    def author(self, rng: random.Random, hours: float, user: User, ctx: Context) -> Draft | None:
        """Write a request of this event's own kind; None keeps the request the base traffic wrote."""
        return None

    def transform(self, rng: random.Random, hours: float, draft: Draft, ctx: Context) -> Draft:
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

    def author(self, rng: random.Random, hours: float, user: User, ctx: Context) -> Draft | None:
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

    def transform(self, rng: random.Random, hours: float, draft: Draft, ctx: Context) -> Draft:
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

    def author(self, rng: random.Random, hours: float, user: User, ctx: Context) -> Draft | None:
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

    def author(self, rng: random.Random, hours: float, user: User, ctx: Context) -> Draft | None:
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

    def transform(self, rng: random.Random, hours: float, draft: Draft, ctx: Context) -> Draft:
        if self.active(hours) and rng.random() < self.share:
            return dataclasses.replace(draft, tags=(*draft.tags, self.tag))
        return draft


# --------------------------------------------------------------------------------------------
# The base traffic and the simulation
# --------------------------------------------------------------------------------------------
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


def _arrivals(rng: np.random.Generator, rate: Any, t_end: float, rate_max: float) -> np.ndarray:
    """Arrival hours of a Poisson process with intensity ``rate(h)`` <= ``rate_max`` on [0, t_end), by thinning."""
    if rate_max <= 0:
        return np.zeros(0)
    n = rng.poisson(rate_max * t_end)
    t = np.sort(rng.uniform(0.0, t_end, n))
    keep = rng.uniform(0.0, rate_max, n) < np.array([rate(h) for h in t])
    return t[keep]


def _users(seed: int, cfg: TrafficConfig, tenants: Sequence[str]) -> tuple[list[User], np.ndarray]:
    rng = _stream(seed, "users")
    customers = [t for t in tenants if t != "shared"]
    users = []
    for i in range(cfg.users):
        tenant = rng.choice(customers) if customers and rng.random() < cfg.customer_share else "shared"
        users.append(User(f"u-{i:04d}", tenant))
    activity = np.array([1.0 / (rank + 1) ** 0.7 for rank in range(cfg.users)])  # a few heavy users
    rng.shuffle(users)
    return users, activity / activity.sum()


def _question_weights(seed: int, questions: list[dict[str, Any]], zipf: float) -> np.ndarray:
    order = list(range(len(questions)))
    _stream(seed, "popularity").shuffle(order)
    w = np.empty(len(questions))
    for rank, i in enumerate(order):
        w[i] = 1.0 / (rank + 1) ** zipf
    return w


def simulate(days: float = 7.0, seed: int = 0, scale: float = 1.0, events: Sequence[Event] = (),
             questions: list[dict[str, Any]] | None = None, config: TrafficConfig | None = None,
             start: str = DEFAULT_START) -> Traffic:
    """Simulate ``days`` of user requests. Deterministic for a seed.

    Args:
        days: virtual days to simulate (> 0).
        seed: the random seed.
        scale: multiplies the load (0.1 gives a tenth of the requests; the mix is unchanged).
        events: :class:`Event` objects (launches, spikes, shifts, tags...) applied in order.
        questions: the golden questions (dicts with ``id``, ``question``, ``tenant``); the data spine's
            ``data.records("golden")`` by default.
        config: the base traffic (:class:`TrafficConfig`).
        start: the wall-clock moment of virtual second 0 (a Monday by default).

    Returns:
        A :class:`Traffic` (a list of :class:`Request` in time order) with ``.params``.
    """
    if not days > 0:
        raise ValueError(f"days must be > 0, got {days}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    cfg = config or TrafficConfig()
    events = list(events)
    for ev in events:
        if not isinstance(ev, Event):
            raise TypeError(f"events must be labkit.traffic.Event objects (Launch(...), Spike(...)), got {ev!r}")
    names = [ev.name for ev in events]
    if len(set(names)) != len(names):
        raise ValueError(f"event names key their random streams and must be unique; got {names} "
                         f"(pass name='...' to tell them apart)")
    if questions is None:
        from labkit import data

        questions = data.records("golden")
    questions = [q for q in questions if q.get("question")]
    if not questions:
        raise ValueError("no questions to simulate from; pass questions=[{'id', 'question', 'tenant'}, ...]")
    start_dt = VirtualClock(start).start
    weekday = start_dt.weekday()
    ctx = Context(questions, cfg)
    t_end = days * 24.0
    rate_max = cfg.rate_per_hour * scale * (1 + cfg.diurnal_amplitude) * max(1.0, cfg.weekend_factor)

    def base_rate(h: float) -> float:
        return cfg.rate(h, weekday) * scale

    # Arrivals: the base process, then each event's extra load on its own stream.
    arrivals: list[tuple[float, str, int]] = []
    base_t = _arrivals(np.random.default_rng([int(seed), 1]), base_rate, t_end, rate_max)
    arrivals += [(float(h), "base", j) for j, h in enumerate(base_t)]
    for ev in events:
        peak = max((ev.extra_rate(h, base_rate(h)) for h in np.arange(0, t_end, 0.25)), default=0.0)
        if peak > 0:
            ev_rng = np.random.default_rng([int(seed), 2, zlib.crc32(ev.name.encode())])
            ev_t = _arrivals(ev_rng, lambda h, ev=ev: ev.extra_rate(h, base_rate(h)), t_end, peak * 1.05)
            arrivals += [(float(h), ev.name, j) for j, h in enumerate(ev_t)]
    arrivals.sort()

    users, activity = _users(int(seed), cfg, sorted({str(q.get("tenant", "shared")) for q in questions}))
    qweights = _question_weights(int(seed), questions, cfg.zipf)
    tenant_of = np.array([str(q.get("tenant", "shared")) for q in questions])
    pools: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for tenant in set(tenant_of) | {"shared"}:
        idx = np.flatnonzero(tenant_of == tenant)
        pools[tenant] = (idx, np.cumsum(qweights[idx]) / qweights[idx].sum()) if idx.size else (idx, idx)
    user_cdf = np.cumsum(activity)
    last_asked: dict[str, tuple[float, Draft]] = {}
    by_name = {ev.name: ev for ev in events}
    out: list[Request] = []

    for h, origin, j in arrivals:
        rng = _stream(seed, origin, j)
        user = users[min(int(np.searchsorted(user_cdf, rng.random())), len(users) - 1)]
        draft = _base_draft(rng, user, ctx, pools, questions, cfg)
        previous = last_asked.get(user.id)
        if previous and h - previous[0] <= cfg.repeat_within_hours and rng.random() < cfg.repeat:
            draft = dataclasses.replace(previous[1], kind="repeat")
        if origin != "base":  # extra load: the event's own questions, or the usual mix tagged with its name
            ev = by_name[origin]
            draft = ev.author(_stream(seed, origin, "author", j), h, user, ctx) or draft
            if ev.name not in draft.tags:
                draft = dataclasses.replace(draft, tags=(*draft.tags, ev.name))
        else:
            for ev in events:  # an event may take this request over (topic shift, language...)
                s = ev.share_at(h)
                if s > 0 and _stream(seed, "share", ev.name, j).random() < s:
                    authored = ev.author(_stream(seed, ev.name, "author", j), h, user, ctx)
                    if authored is not None:
                        draft = authored
                        break
        for ev in events:
            draft = ev.transform(_stream(seed, ev.name, "transform", origin, j), h, draft, ctx)
        if draft.kind != "repeat":
            last_asked[user.id] = (h, draft)
        out.append(Request(id="", ts=h * HOUR, user=user.id, tenant=user.tenant, question=draft.question,
                           kind=draft.kind, source=draft.source, tags=draft.tags,
                           meta={**draft.meta, "arrival": f"{origin}:{j}"}))
    requests = [dataclasses.replace(r, id=f"r-{i:06d}") for i, r in enumerate(out, 1)]
    params = {"simulation": True, "generator": "labkit.traffic.simulate", "days": days, "seed": int(seed),
              "scale": scale, "start": start_dt.isoformat(), "questions": len(questions),
              "config": dataclasses.asdict(cfg), "events": [ev.params() for ev in events]}
    return Traffic(requests, params)


def _base_draft(rng: random.Random, user: User, ctx: Context, pools: dict[str, tuple[np.ndarray, np.ndarray]],
                questions: list[dict[str, Any]], cfg: TrafficConfig) -> Draft:
    tenant = user.tenant
    own = pools.get(tenant)
    use_own = tenant != "shared" and own is not None and own[0].size and rng.random() < cfg.tenant_question_share
    idx, cdf = own if use_own and own is not None else pools["shared"]
    if not idx.size:  # no shared questions at all: fall back to any question
        idx = np.arange(len(questions))
        cdf = np.cumsum(np.ones(len(idx))) / len(idx)
    q = questions[int(idx[min(int(np.searchsorted(cdf, rng.random())), len(idx) - 1)])]
    text, kind = q["question"], "golden"
    if rng.random() < cfg.paraphrase:
        text, kind = ctx.paraphrase(rng, text), "paraphrase"
    return Draft(text, kind, str(q.get("id", "")), (), {"golden_id": q.get("id"), "golden_kind": q.get("kind")})
