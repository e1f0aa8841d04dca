"""Fast grounding detectors: each reads (context, question, answer) and returns a score in [0, 1] that the
answer is supported by the context, the claims it could not support, and why.

They are deterministic string checks (well under a millisecond per answer), so the output guard and the
daily grounding score can run them on every answer. What each catches, and what it cannot:

* ``numeric``: a number in the answer that the context does not state (a wrong price, limit, date), or a
  comparison the context's number does not satisfy ("more than 50" when the source says 40). Blind to
  answers without numbers.
* ``entity``: a name, acronym, address, identifier or quoted string the context never mentions (a
  made-up plan name, a wrong region). Blind to wrong *relations* between entities the context does name.
* ``negation``: a claim that copies a context sentence but flips its polarity ("is not included" vs
  "is included"), or swaps one word for its opposite (before/after, enabled/disabled). Blind to
  contradictions that use other words.
* ``citation``: a claim with no ``[n]`` citation, a citation to a source that does not exist, or one whose
  cited source does not contain the claim's numbers and names. Needs a numbered context (RAG style).

None of them understands paraphrase or reasoning: an answer can pass all four and still be wrong. The
LLM judge and self-consistency (``labkit.grounding.judge``) look at meaning, slowly.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labkit.grounding import claims as C
from labkit.text import is_abstention

# Opposites a sentence-copying answer may swap in; each pair is checked both ways.
ANTONYMS: tuple[tuple[str, str], ...] = (
    ("before", "after"), ("earlier", "later"), ("enabled", "disabled"), ("enable", "disable"),
    ("included", "excluded"), ("include", "exclude"), ("allowed", "blocked"), ("allow", "block"),
    ("required", "optional"), ("increase", "decrease"), ("increased", "decreased"), ("more", "less"),
    ("more", "fewer"), ("higher", "lower"), ("maximum", "minimum"), ("minimum", "maximum"), ("first", "last"),
    ("free", "paid"), ("supported", "unsupported"), ("available", "unavailable"), ("public", "private"),
    ("above", "below"), ("over", "under"), ("win", "lose"), ("won", "lost"), ("born", "died"),
    ("larger", "smaller"), ("largest", "smallest"), ("highest", "lowest"), ("most", "least"),
    ("accept", "reject"), ("accepted", "rejected"), ("on", "off"), ("male", "female"), ("north", "south"),
    ("east", "west"), ("inside", "outside"), ("start", "end"), ("opened", "closed"), ("open", "closed"),
    ("always", "never"), ("all", "none"), ("can", "cannot"), ("does", "doesn't"),
)


@dataclass
class ClaimCheck:
    """One claim as a detector saw it.

    Attributes:
        claim: the sentence (without citation markers).
        supported: the detector's verdict; None when it had nothing to check in this claim.
        reason: why, in words a person can check against the context.
        strength: graded support in [0, 1] when the detector measures one (e.g. how strongly the
            passage that states a number is about what the claim and question are about).
    """

    claim: str
    supported: bool | None
    reason: str = ""
    strength: float | None = None

    def support(self) -> float:
        """Graded support in [0, 1]: ``strength`` when the detector measured one, else 1 or 0."""
        if self.strength is not None:
            return self.strength
        return 1.0 if self.supported else 0.0


@dataclass
class DetectorResult:
    """What one detector concluded about one answer.

    Attributes:
        name: the detector.
        score: in [0, 1], higher = better supported. A detector with nothing to check returns 1.0 and
            ``applicable=False``: no evidence of a problem, which is not evidence of support.
        applicable: whether the answer contained anything this detector can check.
        unsupported_claims: the claims it flagged.
        checks: one entry per claim.
        ms: wall time.
        details: detector-specific extras (e.g. the LLM's raw verdicts).
    """

    name: str
    score: float
    applicable: bool
    unsupported_claims: list[str] = field(default_factory=list)
    checks: list[ClaimCheck] = field(default_factory=list)
    ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def reasons(self) -> list[str]:
        """The reasons of the flagged claims, one line each."""
        return [f"{c.claim} -> {c.reason}" for c in self.checks if c.supported is False]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": round(self.score, 4), "applicable": self.applicable,
                "unsupported_claims": self.unsupported_claims, "reasons": self.reasons(), "ms": round(self.ms, 3)}


Detector = Callable[[str, str, str], DetectorResult]

# Words that say nothing about *what* a question or claim is about.
FILLER = frozenset("answer question many much long often big large small get use need want kind type "
                   "way thing something reason current currently".split())
BINDING_FLOOR = 0.25


def _validate(context: Any, question: Any, answer: Any) -> None:
    for name, value in (("context", context), ("question", question), ("answer", answer)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}; join a list of sources "
                            f"with labkit.grounding.format_sources(...) first")


def _finish(name: str, checks: list[ClaimCheck], t0: float, details: dict[str, Any] | None = None) -> DetectorResult:
    judged = [c for c in checks if c.supported is not None]
    bad = [c.claim for c in judged if not c.supported]
    per_claim: dict[str, float] = {}
    for c in judged:  # a claim is as supported as its weakest checked part
        per_claim[c.claim] = min(per_claim.get(c.claim, 1.0), c.support())
    score = sum(per_claim.values()) / len(per_claim) if per_claim else 1.0
    return DetectorResult(name, score, bool(judged), list(dict.fromkeys(bad)), checks,
                          (time.perf_counter() - t0) * 1000, details or {})


def _comparable(q: C.Quantity, c: C.Quantity) -> bool:
    if q.is_date or c.is_date:
        return q.is_year and c.is_year  # dates compare with dates and with plain years
    return C.units_compatible(q.unit, c.unit)


def _values(q: C.Quantity, c: C.Quantity) -> tuple[float, float]:
    """(claim value, context value) on a common scale: dates and years at their shared precision."""
    if q.is_date or c.is_date:
        p = min(q.precision or 1, c.precision or 1)
        return q.date_at(p), c.date_at(p)
    return q.value, c.value


def _same(q: C.Quantity, c: C.Quantity) -> bool:
    if not _comparable(q, c):
        return False
    if q.is_date and c.is_date and c.precision < q.precision:
        return False  # "27 May" is not stated by a source that only says "May"
    qv, cv = _values(q, c)
    return C.same_value(qv, cv)


def _relation_holds(op: str, context_value: float, claim_value: float) -> bool:
    if op == "gt":
        return context_value > claim_value
    if op == "ge":
        return context_value >= claim_value
    if op == "lt":
        return context_value < claim_value
    if op == "le":
        return context_value <= claim_value
    return abs(context_value - claim_value) <= 0.1 * max(abs(claim_value), 1e-9)  # approx


def _affinity(q: C.Quantity, c: C.Quantity, about: frozenset[str]) -> float:
    """How strongly a context number ``c`` talks about what the claim's number ``q`` talks about: shared
    words in the whole sentence/row (``about`` also holds the question's words), shared words right next
    to the numbers, the same unit, and, as the tie-breaker, a close value."""
    shared = _shared_words(q, c, about)
    qv, cv = _values(q, c)
    if q.is_year and c.is_year:
        qv, cv = q.date_at(1) / 10000, c.date_at(1) / 10000  # years: closeness in years, not in days
    return shared + 2 * math.exp(-3 * abs(math.log((abs(cv) + 1) / (abs(qv) + 1))))


def _shared_words(q: C.Quantity, c: C.Quantity, about: frozenset[str]) -> int:
    return len(about & c.segment_words) + len(q.context_words & c.context_words) + int(bool(q.unit) and q.unit == c.unit)


def _align(q: C.Quantity, pool: list[C.Quantity], about: frozenset[str]) -> C.Quantity | None:
    """The context number that talks about the same thing as ``q`` (None when nothing is comparable)."""
    best, best_key = None, -1.0
    for c in pool:
        if not _comparable(q, c):
            continue
        key = _affinity(q, c, about)
        if key > best_key:
            best, best_key = c, key
    if best is None or (best_key < 0.5 and not (q.is_year and best.is_year)):
        return None
    return best


def _binding(about: frozenset[str], segment: frozenset[str], idf: dict[str, float], default_idf: float) -> float:
    """IDF-weighted share of what the claim and question are about that the passage stating the number
    also mentions. Rare words ("Slack", "tablets") count more than words every passage shares."""
    total = sum(idf.get(w, default_idf) for w in about)
    if not total:
        return 1.0
    return sum(idf.get(w, default_idf) for w in about & segment) / total


def _name_words(text: str, idf: dict[str, float]) -> frozenset[str]:
    """Content words of the names in a text that the sources use somewhere."""
    return frozenset(w for e in C.entities(text) for w in C.content_words(e)
                     if w in idf and w not in FILLER and not any(ch.isdigit() for ch in w))


def _name_cover(names: frozenset[str], passage: frozenset[str]) -> float:
    return len(names & passage) / len(names) if names else 1.0


def _idf(context: str) -> tuple[dict[str, float], float]:
    spans = C.segments(context)
    df: dict[str, int] = {}
    for s, e in spans:
        for w in C.content_words(context[s:e]):
            df[w] = df.get(w, 0) + 1
    n = max(len(spans), 1)
    return {w: math.log((n + 1) / (d + 0.5)) + 1 for w, d in df.items()}, math.log((n + 1) / 0.5) + 1


def numeric(context: str, question: str, answer: str, min_binding: float = BINDING_FLOOR) -> DetectorResult:
    """Numbers in the answer must be stated in the context (same value, compatible unit), and comparisons
    ("over 90 %", "before 1923") must hold for the context number they talk about.

    A number that is stated, but only in a passage about something else, is graded by how much of what
    the claim and the question are about that passage mentions (rare words weigh more): "The answer is
    14" to a question about reception tablets, where 14 only occurs as the general session timeout,
    scores low; below ``min_binding`` it is flagged. When the passage that does match the claim states a
    different number, the claim is flagged as contradicted.

    Numbers that the question itself contains are not checked: repeating the question is not a claim.

    Args:
        context: the sources the answer should rest on.
        question: the user's question.
        answer: the answer to check.
        min_binding: flag a stated number whose best passage covers less than this share of the
            claim's and question's (IDF-weighted) words.

    Returns:
        A :class:`DetectorResult` named ``"numeric"``.
    """
    _validate(context, question, answer)
    t0 = time.perf_counter()
    pool = C.quantities(context)
    asked = C.quantities(question)
    question_words = frozenset(C.content_words(question)) - FILLER
    idf, default_idf = _idf(context)
    checks: list[ClaimCheck] = []
    question_names = _name_words(question, idf)
    for claim in C.split_claims(answer):
        # Names the claim ties its numbers to ("Team", "Severity 1", "Business"): a passage that states the
        # number must mention them, or the number belongs to something else.
        names = _name_words(claim.clean, idf) | question_names
        for q in C.quantities(claim.clean):
            if any(_same(q, a) for a in asked) and not q.comparator:
                continue
            # What the number is about: its own sentence, plus the question the sentence answers.
            about = (q.segment_words | frozenset(w for w in question_words if not w.isdigit())) - FILLER
            target = _align(q, pool, about)
            if q.comparator:
                if target is None:
                    checks.append(ClaimCheck(claim.clean, False, f"'{q.text}' ({q.comparator}): the sources give "
                                                                 f"no comparable number"))
                elif _relation_holds(q.comparator, _values(q, target)[1], _values(q, target)[0]):
                    checks.append(ClaimCheck(claim.clean, True, f"'{q.text}' ({q.comparator}) holds for "
                                                                f"'{target.text}' in the sources"))
                else:
                    checks.append(ClaimCheck(claim.clean, False, f"'{q.text}' ({q.comparator}) but the sources "
                                                                 f"say '{target.text}'"))
                continue
            exact = [c for c in pool if _same(q, c)]
            if not exact:
                hint = f"; the sources say '{target.text}' there" if target is not None else ""
                checks.append(ClaimCheck(claim.clean, False, f"'{q.text}' is not in the sources{hint}"))
                continue
            best_exact = max(_shared_words(q, c, about) for c in exact)
            # A rival must sit in another passage: one sentence stating both numbers contradicts nothing.
            exact_passages = {c.segment_words for c in exact}
            rival = _align(q, [c for c in pool if not _same(q, c) and c.segment_words not in exact_passages], about)
            if rival is not None and _shared_words(q, rival, about) >= best_exact + 1:
                # The number is in the sources, but about something else: the passage that matches this
                # claim (and its question) states a different number. The classic RAG slip.
                checks.append(ClaimCheck(claim.clean, False, f"'{q.text}' is in the sources but about something "
                                                             f"else; where they discuss this they say '{rival.text}'"))
            else:
                known = frozenset(w for w in about if w in idf)  # words the sources never use cannot locate a passage
                bind = max(_binding(known, c.segment_words | c.context_words, idf, default_idf)
                           * (0.5 + 0.5 * _name_cover(names, c.segment_words | c.context_words)) for c in exact)
                if bind < min_binding:
                    checks.append(ClaimCheck(claim.clean, False, f"'{q.text}' is in the sources, but only where "
                                                                 f"they discuss something else ({bind:.0%} of the "
                                                                 f"claim's words)", bind))
                else:
                    checks.append(ClaimCheck(claim.clean, True, f"'{q.text}' is in the sources ({bind:.0%} of the "
                                                                f"claim's words around it)", 0.5 + 0.5 * bind))
    return _finish("numeric", checks, t0)


def _entity_supported(entity: str, norm_context: str, context_words: set[str]) -> bool:
    e = C.normalise(entity)
    if not e or e in norm_context:
        return True
    squashed = re.sub(r"[^a-z0-9]", "", e)
    if any(ch.isdigit() for ch in squashed) and len(squashed) >= 4 and squashed in re.sub(r"[^a-z0-9]", "", norm_context):
        return True  # code-like names written differently: "SHA-256" vs "HMAC-SHA256", "eu1 cell 07"
    parts = [C._fold(w) for w in C.words(entity) if w not in ("of", "and", "de", "for", "the")]
    return bool(parts) and all(p in context_words for p in parts)


def entity(context: str, question: str, answer: str) -> DetectorResult:
    """Names, acronyms, e-mail addresses, URLs, paths, identifiers and quoted strings in the answer must
    appear in the context (case-insensitive; a multi-word name passes when each of its words does).

    Entities the question mentions are not checked.

    Args:
        context: the sources.
        question: the user's question.
        answer: the answer to check.

    Returns:
        A :class:`DetectorResult` named ``"entity"``.
    """
    _validate(context, question, answer)
    t0 = time.perf_counter()
    norm_context = C.normalise(context)
    context_words = {C._fold(w) for w in C.words(context)}
    norm_question = C.normalise(question)
    question_words = {C._fold(w) for w in C.words(question)}
    checks: list[ClaimCheck] = []
    for claim in C.split_claims(answer):
        for ent in C.entities(claim.clean):
            if _entity_supported(ent, norm_question, question_words):
                continue
            ok = _entity_supported(ent, norm_context, context_words)
            checks.append(ClaimCheck(claim.clean, ok, f"'{ent}' {'is' if ok else 'is not'} in the sources"))
    return _finish("entity", checks, t0)


def _polarity_conflict(claim_words: list[str], source_words: list[str]) -> str | None:
    cw, sw = set(claim_words), set(source_words)
    c_neg, s_neg = bool(cw & C.NEGATIONS), bool(sw & C.NEGATIONS)
    if c_neg != s_neg:
        word = sorted((cw if c_neg else sw) & C.NEGATIONS)[0]
        return f"the {'claim' if c_neg else 'source'} says '{word}', the {'source' if c_neg else 'claim'} does not"
    for a, b in ANTONYMS:
        for x, y in ((a, b), (b, a)):
            if x in cw and x not in sw and y in sw and y not in cw:
                return f"the claim says '{x}' where the source says '{y}'"
    return None


def negation(context: str, question: str, answer: str, min_overlap: float = 0.8) -> DetectorResult:
    """A claim that closely copies a context sentence must keep its polarity: flags a negation present on
    one side only, or a word swapped for its opposite (before/after, enabled/disabled, more/less).

    Args:
        context: the sources.
        question: the user's question (unused; kept for the common signature).
        answer: the answer to check.
        min_overlap: the share of the claim's content words a context sentence must contain before the
            two are compared (below it the claim is about something else, and this detector abstains).

    Returns:
        A :class:`DetectorResult` named ``"negation"``.
    """
    _validate(context, question, answer)
    if not 0 < min_overlap <= 1:
        raise ValueError(f"min_overlap must be in (0, 1], got {min_overlap}")
    t0 = time.perf_counter()
    # Passages: sentences, table rows and list items (a "no limit" in one row says nothing about the next).
    sentences = [block[a:b] for block in _blocks(context) for a, b in C.segments(block)]
    checks: list[ClaimCheck] = []
    for claim in C.split_claims(answer):
        idx, cov = C.best_sentence(claim.clean, sentences)
        if idx < 0 or cov < min_overlap:
            continue
        conflict = _polarity_conflict(C.words(claim.clean), C.words(sentences[idx]))
        checks.append(ClaimCheck(claim.clean, conflict is None,
                                 conflict or f"same polarity as '{sentences[idx][:80]}'"))
    return _finish("negation", checks, t0)


def _blocks(context: str) -> list[str]:
    sources = C.split_sources(context)
    return list(sources.values()) if sources else [context]


def citation(context: str, question: str, answer: str) -> DetectorResult:
    """Every claim must cite a numbered source that exists and that contains the claim's numbers and names.

    Not applicable when the context has no ``[n]`` source blocks or the answer is an abstention.

    Args:
        context: numbered sources as ``labkit.rag`` formats them (``[1] ...``).
        question: the user's question.
        answer: the answer to check.

    Returns:
        A :class:`DetectorResult` named ``"citation"``.
    """
    _validate(context, question, answer)
    t0 = time.perf_counter()
    sources = C.split_sources(context)
    checks: list[ClaimCheck] = []
    if not sources or is_abstention(answer):
        return _finish("citation", checks, t0)
    for claim in C.split_claims(answer):
        if not claim.citations:
            checks.append(ClaimCheck(claim.clean, False, "cites no source"))
            continue
        invalid = [n for n in claim.citations if n not in sources]
        if invalid:
            checks.append(ClaimCheck(claim.clean, False, f"cites [{invalid[0]}], which is not among the "
                                                         f"{len(sources)} sources"))
            continue
        cited = "\n\n".join(sources[n] for n in claim.citations)
        missing = [r.reason for r in numeric(cited, question, claim.clean).checks if r.supported is False]
        missing += [r.reason for r in entity(cited, question, claim.clean).checks if r.supported is False]
        cites = "".join(f"[{n}]" for n in claim.citations)
        if missing:
            checks.append(ClaimCheck(claim.clean, False, f"cited {cites} but {missing[0]}"))
        else:
            checks.append(ClaimCheck(claim.clean, True, f"cited {cites}, which states its numbers and names"))
    return _finish("citation", checks, t0)


def lexical(context: str, question: str, answer: str, min_share: float = 0.5) -> DetectorResult:
    """What a claim adds to the question must be made of the context's words: the share of a claim's
    content words that are neither in the question nor in the context flags invented detail ("a web
    server that handles security issues"). Graded: the score is the share of such new words found.

    A paraphrase uses other words, so this is the weakest and noisiest check; it abstains on claims that
    only repeat the question ("No.", "The answer is 3").

    Args:
        context: the sources.
        question: the user's question.
        answer: the answer to check.
        min_share: flag a claim when less than this share of its new words occur in the context.

    Returns:
        A :class:`DetectorResult` named ``"lexical"``.
    """
    _validate(context, question, answer)
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    t0 = time.perf_counter()
    vocab = C.content_words(context)
    asked = C.content_words(question) | FILLER
    checks: list[ClaimCheck] = []
    for claim in C.split_claims(answer):
        new = {w for w in C.content_words(claim.clean) - asked if not any(ch.isdigit() for ch in w)}
        if len(new) < 2:
            continue
        share = len(new & vocab) / len(new)
        missing = sorted(new - vocab)[:4]
        checks.append(ClaimCheck(claim.clean, share >= min_share,
                                 f"{share:.0%} of its new words are in the sources"
                                 + (f"; not: {', '.join(missing)}" if missing else ""), share))
    return _finish("lexical", checks, t0)


FAST_DETECTORS: dict[str, Detector] = {
    "numeric": numeric, "entity": entity, "negation": negation, "lexical": lexical, "citation": citation,
}
