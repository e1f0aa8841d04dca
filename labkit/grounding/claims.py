"""Text plumbing for grounding checks: split an answer into claims, pull out the quantities and named
things a claim asserts, and find the context sentence a claim is about.

Everything here is plain regular expressions: fast (well under a millisecond per answer), predictable,
and easy to read when a detector explains why it flagged a claim.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from labkit.text import CLAIM_STOPWORDS

CITATION = re.compile(r"\[(\d{1,2})\]")
_CITATION_RUN = re.compile(r"\s*(?:\[\d{1,2}\]\s*)+")
_SOURCE_BLOCK = re.compile(r"(?m)^\[(\d{1,2})\]\s?")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s*(?:\[\d{1,2}\])+)?\s+(?=[A-Z0-9\"'(\[])")
_ENUMERATION = re.compile(r"(?m)^\s*(?:\d{1,2}[.)]|[-*\u2022])\s+")
_WORD = re.compile(r"[A-Za-z0-9]+(?:[._'/-][A-Za-z0-9]+)*")

STOPWORDS = CLAIM_STOPWORDS
NEGATIONS = frozenset(
    "not no never none nor neither cannot cant can't won't don't doesn't didn't isn't aren't wasn't weren't "
    "hasn't haven't hadn't shouldn't wouldn't couldn't without unable nothing nobody".split()
)
# Sentence-initial words that are capitalised only because they start a sentence.
_COMMON_INITIAL = STOPWORDS | NEGATIONS | frozenset(
    "yes answer note please however therefore because although after before since until unless once "
    "there here first second third next finally then according based source sources yes okay sure each every "
    "all most many several some none one two three four five six seven eight nine ten go open click select use "
    "set see check contact ask send visit read in on at to for from with by".split()
)
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
}
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "mn": 1e6, "bn": 1e9, "billion": 1e9,
           "b": 1e9, "trillion": 1e12}
_CURRENCY = {"$": "usd", "€": "eur", "£": "gbp", "usd": "usd", "eur": "eur", "gbp": "gbp", "dollars": "usd",
             "dollar": "usd", "euros": "eur", "euro": "eur"}
# A number: digits with thousands separators or decimals, or a small number word.
_QUANTITY = re.compile(
    r"(?P<cur>[$€£])?\s?(?P<num>(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d])|(?<![\w.])\d+(?:\.\d+)?(?![\d.]\d)"
    r"|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b)"
    r"(?:\s?(?P<scale>k|K|bn|mn|[Mm]illion|[Bb]illion|[Tt]housand|[Tt]rillion)\b)?"
    r"(?P<pct>\s?(?:%|percent\b|per cent\b))?",
    re.IGNORECASE,
)
_COMPARATORS = (
    ("no more than", "le"), ("not more than", "le"), ("no less than", "ge"), ("not less than", "ge"),
    ("more than", "gt"), ("greater than", "gt"), ("higher than", "gt"), ("larger than", "gt"), ("over", "gt"),
    ("above", "gt"), ("exceeds", "gt"), ("exceeding", "gt"), ("beyond", "gt"), ("after", "gt"), ("later than", "gt"),
    ("at least", "ge"), ("minimum of", "ge"), ("or more", "ge"), ("since", "ge"),
    ("less than", "lt"), ("fewer than", "lt"), ("lower than", "lt"), ("smaller than", "lt"), ("under", "lt"),
    ("below", "lt"), ("before", "lt"), ("earlier than", "lt"), ("prior to", "lt"),
    ("at most", "le"), ("up to", "le"), ("maximum of", "le"), ("or less", "le"), ("or fewer", "le"),
    ("about", "approx"), ("around", "approx"), ("approximately", "approx"), ("roughly", "approx"),
    ("nearly", "approx"), ("almost", "approx"), ("close to", "approx"), ("some", "approx"),
)
_MONTHS = frozenset("january february march april may june july august september october november december".split())
_MONTH_NUM = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTH_NUM.update({m[:3]: i for m, i in list(_MONTH_NUM.items())})
_MON = r"(?P<mon>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?)"
_DATE_PATTERNS = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MON + r",?\s+(?P<y>\d{4})\b", re.IGNORECASE),
    re.compile(r"\b" + _MON + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*,?\s+(?P<y>\d{4})\b", re.IGNORECASE),
    re.compile(r"\b" + _MON + r",?\s+(?P<y>\d{4})\b", re.IGNORECASE),
)


def dates(text: str) -> list[tuple[int, int, float, int]]:
    """Calendar dates in a text: ``(start, end, yyyymmdd, precision)`` (precision 3 = day, 2 = month).

    Recognises ``2025-05-27``, ``27 May 2025``, ``May 27, 2025`` and ``May 2025``; a bare year is left to
    :func:`quantities` as a number.
    """
    found: list[tuple[int, int, float, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(s <= m.start() < e or s < m.end() <= e for s, e, _, _ in found):
                continue
            groups = m.groupdict()
            if groups.get("mon"):
                month = _MONTH_NUM.get(groups["mon"].lower().rstrip(".")[:3], 0)
            else:
                month = int(groups["m"])
            day = int(groups["d"]) if groups.get("d") else 0
            if not 1 <= month <= 12 or day > 31:
                continue
            found.append((m.start(), m.end(), float(int(groups["y"]) * 10000 + month * 100 + day), 3 if day else 2))
    return sorted(found)


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer, the unit every detector checks.

    Attributes:
        text: the sentence as written, citation markers included.
        clean: the sentence without citation markers.
        citations: the source numbers ``[n]`` the sentence cites, in order.
    """

    text: str
    clean: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class Quantity:
    """A number as a claim uses it.

    Attributes:
        value: the number, with scale words applied (``2.6 million`` -> 2600000).
        unit: ``"usd"``/``"eur"``/``"gbp"``, ``"percent"``, else the word right after the number
            (singular, lower case), or ``""`` when none follows directly.
        text: the matched text.
        start: character offset in the text it came from.
        comparator: ``"gt"``, ``"ge"``, ``"lt"``, ``"le"`` or ``"approx"`` when a phrase such as
            "more than" or "before" qualifies the number; else None.
        context_words: content words within a few words of the number (to align it with a context number).
        precision: for dates, how much was given (1 year, 2 month, 3 day); 0 for other numbers.
        segment_words: content words of the sentence, table row or list item the number sits in: what
            the number is *about*.
    """

    value: float
    unit: str
    text: str
    start: int
    comparator: str | None = None
    context_words: frozenset[str] = field(default_factory=frozenset)
    precision: int = 0
    segment_words: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_year(self) -> bool:
        """Whether the number looks like a calendar year (an integer from 1000 to 2199) or is a date."""
        return self.is_date or self.value.is_integer() and 1000 <= self.value < 2200 and self.unit in ("", "year")

    @property
    def is_date(self) -> bool:
        """Whether this is a calendar date: ``value`` is then ``yyyymmdd`` (``mm``/``dd`` 0 when not given)
        and ``precision`` says how much was given (1 year, 2 month, 3 day)."""
        return self.precision > 0

    def date_at(self, precision: int) -> float:
        """The date (or a plain year) truncated to ``precision`` (1 year, 2 month, 3 day), as ``yyyymmdd``."""
        value = self.value if self.is_date else self.value * 10000
        keep = {1: 10000, 2: 100, 3: 1}[precision]
        return float(int(value) // keep * keep)


def strip_citations(text: str) -> str:
    """The text without ``[n]`` citation markers, whitespace tidied."""
    out = _CITATION_RUN.sub(" ", text)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    return " ".join(out.split())


def split_sources(context: str) -> dict[int, str]:
    """The numbered sources of a RAG context (``[1] ...`` blocks, as ``labkit.rag`` formats them).

    Returns:
        ``{number: text}``; empty when the context has no numbered blocks.
    """
    marks = list(_SOURCE_BLOCK.finditer(context))
    out: dict[int, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(context)
        out[int(m.group(1))] = context[m.end():end].strip()
    return out


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences without breaking ``$1.10``, ``v4.2`` or ``e.g.``; newlines end sentences."""
    out = []
    for line in _ENUMERATION.sub("", text).splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0
        for m in _SENTENCE_END.finditer(line):
            before = line[start:m.start()]
            if re.search(r"\b(?:e\.g|i\.e|etc|vs|Inc|Ltd|Co|Dr|Mr|Ms|No)\.$", before):
                continue
            out.append(line[start:m.end()].strip())
            start = m.end()
        out.append(line[start:].strip())
    return [s for s in out if s]


def split_claims(answer: str) -> list[Claim]:
    """Split an answer into sentence claims, keeping each sentence's citations with it.

    A citation written after the full stop (``... month. [1]``) belongs to the sentence before it.
    Sentences with no word characters are dropped.
    """
    if not isinstance(answer, str):
        raise TypeError(f"answer must be a string, got {type(answer).__name__}")
    claims: list[Claim] = []
    for sentence in split_sentences(answer):
        clean = strip_citations(sentence)
        cites = tuple(int(n) for n in CITATION.findall(sentence))
        if not _WORD.search(clean):
            if cites and claims:  # a lone "[2]" line: attach to the sentence before
                prev = claims[-1]
                claims[-1] = Claim(prev.text + " " + sentence, prev.clean, prev.citations + cites)
            continue
        claims.append(Claim(sentence, clean, cites))
    return claims


def fold_accents(text: str) -> str:
    """``Pavón`` -> ``Pavon``: compare names the way people type them."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Lower-case word tokens, accents folded (numbers, versions and ``snake_case`` kept whole)."""
    return [w.lower().strip("'") for w in _WORD.findall(fold_accents(text))]


def content_words(text: str) -> set[str]:
    """Lower-case words minus stopwords and negations, with a crude plural fold (``users`` -> ``user``);
    hyphenated words also contribute their parts (``read-only`` -> ``read-only``, ``read``, ``only``)."""
    out = set()
    for w in words(text):
        if w in STOPWORDS or w in NEGATIONS:
            continue
        out.add(_fold(w))
        if "-" in w:
            out.update(_fold(p) for p in w.split("-") if p and p not in STOPWORDS)
    return out


_SEGMENT_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z*#\[(])|\n+|\|\s*\||\s[-\u2022]\s(?=[*A-Z])|\s#+\s")


def segments(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences, table rows and list items of a text (what a number in it is about)."""
    spans, start = [], 0
    for m in _SEGMENT_BREAK.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def passage_words(text: str) -> list[tuple[int, int, frozenset[str]]]:
    """Each segment of a text with the content words it is about (digits dropped). A markdown table row
    also gets its table's header words, since "| 1 | 4 hours | 1 hour |" means nothing without
    "| Severity | Business | Enterprise |"."""
    out: list[tuple[int, int, frozenset[str]]] = []
    header: frozenset[str] = frozenset()
    previous: frozenset[str] = frozenset()
    for s, e in segments(text):
        piece = text[s:e]
        words = _wordy(content_words(piece))
        if re.fullmatch(r"[\s|:-]+", piece):  # the |---|---| line: the row before it was the header
            header = previous
            continue
        if "|" not in piece:
            header = frozenset()
        out.append((s, e, words | header))
        previous = words
    return out


def _segment_words(text: str, spans: list[tuple[int, int, frozenset[str]]], pos: int) -> frozenset[str]:
    for s, e, words in spans:
        if s <= pos < e:
            return words
    return frozenset()


def _segment_span(spans: list[tuple[int, int, frozenset[str]]], pos: int, length: int) -> tuple[int, int]:
    for s, e, _ in spans:
        if s <= pos < e:
            return s, e
    return 0, length


def _wordy(ws: set[str]) -> frozenset[str]:
    """Drop tokens with digits: a number must not count as a word the claim and the context share."""
    return frozenset(w for w in ws if not any(ch.isdigit() for ch in w))


_SUFFIXES = (("ically", "ic"), ("ally", "al"), ("ations", "ate"), ("ation", "ate"), ("ature", ""),
             ("ments", ""), ("ment", ""), ("ingly", ""), ("ings", ""), ("ing", ""), ("edly", ""), ("ies", "y"),
             ("ied", "y"), ("ed", ""), ("es", ""), ("s", ""), ("ly", ""))


def _fold(word: str) -> str:
    """A crude stemmer, enough to match "signature"/"signs"/"signed" and "minutes"/"minute"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not (suffix == "s" and word.endswith("ss")):
            word = word[: -len(suffix)] + repl
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _number_value(raw: str) -> float | None:
    raw = raw.lower().replace(",", "")
    if raw in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[raw])
    try:
        return float(raw)
    except ValueError:
        return None


def _comparator_before(text: str, start: int) -> str | None:
    window = " ".join(text[max(0, start - 40):start].lower().split())
    # "before May 1923", "after 9 November": the comparator qualifies the date as a whole.
    window = re.sub(r"(?:\b\d{1,2}(?:st|nd|rd|th)?\s)?\b(?:" + "|".join(_MONTHS) + r")(?:\s\d{1,2}(?:st|nd|rd|th)?)?,?$",
                    "", window).rstrip()
    for phrase, op in _COMPARATORS:
        if op in ("ge", "le") and phrase.startswith("or "):
            continue
        if window.endswith(phrase) or window.endswith(phrase + " $") or re.search(
                rf"\b{re.escape(phrase)}(?: the| a| an| only| just)?\s*[$€£]?$", window):
            return op
    return None


def _comparator_after(text: str, end: int) -> str | None:
    window = " ".join(text[end:end + 20].lower().split())
    for phrase, op in (("or more", "ge"), ("or less", "le"), ("or fewer", "le"), ("or later", "ge"),
                       ("or earlier", "le"), ("plus", "ge")):
        if re.match(rf"(?:\w+\s)?{phrase}\b", window):
            return op
    return None


def quantities(text: str) -> list[Quantity]:
    """Every number a text states, with its unit, scale and any comparator ("more than 5").

    Citation markers, list enumerations (``1.`` at the start of a line) and the digits inside
    identifiers (``SOC 2`` is kept; ``kb-0001`` and ``v4.2.1`` are not numbers) are ignored.

    Args:
        text: any text.

    Returns:
        The quantities in order of appearance.
    """
    text = _CITATION_RUN.sub(" ", _ENUMERATION.sub("", text))
    out: list[Quantity] = []
    spans = dates(text)
    parts = passage_words(text)
    for start, end, value, precision in spans:
        comparator = _comparator_before(text, start) or _comparator_after(text, end)
        seg_s, seg_e = _segment_span(parts, start, len(text))
        near = _wordy(content_words(text[max(seg_s, start - 40):start]) | content_words(text[end:min(seg_e, end + 40)]))
        out.append(Quantity(value, "date", text[start:end], start, comparator, frozenset(near), precision,
                            _segment_words(text, parts, start)))
    for m in _QUANTITY.finditer(text):
        if any(s <= m.start("num") < e for s, e, _, _ in spans):
            continue
        raw = m.group("num")
        parsed = _number_value(raw)
        if parsed is None:
            continue
        value = parsed
        # Skip digits glued into identifiers (kb-0001, ISO-27001 stays a number) and version triples.
        before, after = text[max(0, m.start("num") - 1):m.start("num")], text[m.end("num"):m.end("num") + 2]
        year_range = before == "-" and text[max(0, m.start("num") - 5):m.start("num") - 1].isdigit()
        glued = before in ("-", "_", "/", "#", ":") and not m.group("cur") and not year_range
        if glued or re.match(r"[-_]\d|_\w|\.\d", after) and not re.match(r"-\d{4}\b", after + text[
                m.end("num") + 2:m.end("num") + 5]):
            continue
        if raw.lower() in _NUMBER_WORDS and raw.lower() in ("one",) and not m.group("scale"):
            # "one of the plans" is rarely a number worth checking.
            continue
        scale = (m.group("scale") or "").lower()
        value *= _SCALES.get(scale, 1.0)
        unit = ""
        if m.group("cur"):
            unit = _CURRENCY[m.group("cur")]
        elif m.group("pct"):
            unit = "percent"
        else:
            nxt = re.match(r"[ -]?([A-Za-z$€£]+)", text[m.end():m.end() + 24])
            if nxt:
                word = nxt.group(1).lower()
                unit = _CURRENCY.get(word, _fold(word) if word not in STOPWORDS else "")
        start = m.start("cur") if m.group("cur") else m.start("num")
        comparator = _comparator_before(text, start) or _comparator_after(text, m.end())
        seg_s, seg_e = _segment_span(parts, start, len(text))
        lo, hi = max(seg_s, start - 40), min(seg_e, m.end() + 40)
        near = _wordy(content_words(text[lo:start]) | content_words(text[m.end():hi]))
        out.append(Quantity(value, unit, m.group(0).strip(), start, comparator, frozenset(near), 0,
                            _segment_words(text, parts, start)))
    return sorted(out, key=lambda q: q.start)


def units_compatible(a: str, b: str) -> bool:
    """Whether two quantity units may describe the same thing (an empty unit matches anything)."""
    if a == b:
        return True
    if a == "date" or b == "date":
        return False  # dates are compared by date_at(), plain years included
    if not a or not b:
        return True
    money = {"usd", "eur", "gbp"}
    if a in money or b in money:
        return False
    if a == "percent" or b == "percent":
        return False
    if a in _MONTHS or b in _MONTHS:
        return a == b
    # "10 GB" vs "10 gigabytes", "30-day" vs "30 days": compare the first three letters.
    return a[:3] == b[:3]


def same_value(a: float, b: float) -> bool:
    """Numeric equality that ignores float noise (``52.9`` vs ``52.90``)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def entities(text: str) -> list[str]:
    """Named things a text asserts: capitalised names, acronyms, e-mail addresses, URLs, paths, code-like
    identifiers and quoted strings.

    A capitalised word that starts a sentence counts only if it is not a common sentence opener.

    Args:
        text: any text (citations are ignored).

    Returns:
        The entity strings, in order, without repeats.
    """
    text = strip_citations(text)
    for start, end, _, _ in reversed(dates(text)):  # dates are the numeric detector's job
        text = text[:start] + " , " + text[end:]
    found: list[str] = []
    for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+|(?<!\w)/[\w./{}-]+|\b\w+_\w+\b", text):
        found.append(m.group(0).rstrip(".,;:)"))
    for m in re.finditer(r"[\"“‘']([^\"”’']{2,40})[\"”’']", text):
        if not re.fullmatch(r"s\b.*", m.group(1)):
            found.append(m.group(1).strip())
    for sentence in split_sentences(text):
        tokens = list(re.finditer(r"[A-Za-z][\w&.+-]*[\w+]|[A-Za-z]", sentence))
        run: list[str] = []
        for i, t in enumerate(tokens):
            word = t.group(0)
            capital = word[0].isupper() or (any(c.isupper() for c in word[1:]) and word[0].isalpha())
            initial = i == 0 or sentence[:t.start()].rstrip().endswith((":", "\"", "“"))
            if capital and initial and not run:
                # A capital that only starts the sentence is no evidence of a name, unless the word is
                # an acronym or camel-cased, or the next word is capitalised too ("New England").
                nxt = tokens[i + 1].group(0) if i + 1 < len(tokens) else ""
                shaped = word.isupper() and len(word) > 1 or any(c.isupper() or c.isdigit() for c in word[1:])
                if word.lower() in _COMMON_INITIAL or not (shaped or nxt[:1].isupper()):
                    capital = False
            joiner = word in ("of", "and", "&", "de", "for") and run
            if capital or joiner:
                run.append(word)
                continue
            _flush(run, found)
            run = []
        _flush(run, found)
    seen: dict[str, None] = {}
    for e in found:
        key = e.strip()
        if key and key.lower() not in seen and key.lower() not in {s.lower() for s in seen}:
            seen[key] = None
    return list(seen)


def _flush(run: list[str], found: list[str]) -> None:
    while run and run[-1] in ("of", "and", "&", "de", "for"):
        run.pop()
    if run:
        found.append(" ".join(run))


def normalise(text: str) -> str:
    """Lower case, citations and punctuation removed, whitespace collapsed (for containment checks)."""
    text = fold_accents(strip_citations(text)).lower().replace("’", "'")
    text = re.sub(r"[^\w@./$%'-]+", " ", text)
    return " ".join(text.replace(" .", " ").split())


def best_sentence(claim: str, sentences: list[str]) -> tuple[int, float]:
    """The context sentence that shares most content words with a claim.

    Returns:
        ``(index, coverage)``: the index in ``sentences`` (-1 when there are none) and the fraction of the
        claim's content words that sentence contains.
    """
    want = content_words(claim)
    if not want or not sentences:
        return -1, 0.0
    best, best_cov = -1, 0.0
    for i, s in enumerate(sentences):
        cov = len(want & content_words(s)) / len(want)
        if cov > best_cov:
            best, best_cov = i, cov
    return best, best_cov
