"""The near-miss guard: vetoes a semantic-cache hit when two questions differ in a way that changes
the answer. Embeddings put "What does the Team plan cost?" and "What does the Business plan cost?"
very close together; the guard compares their numbers, negations, named terms, contrast words and
objects. The product's words come from :mod:`labkit.cache.vocabulary`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from labkit.cache.vocabulary import CONTRASTS, DEFAULT_OBJECTS, DEFAULT_TERMS
from labkit.text import QUESTION_STOPWORDS

_NUMBER_WORDS = {
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "hundred": 100, "thousand": 1000, "dozen": 12,
}
# A number, with the letters glued to it: "10mb" counts as 10, but "2fa" or "v2" are names, not amounts.
_NUMBER = re.compile(r"(?<![a-z0-9.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?([a-z]*)")
_UNITS = frozenset({"", "k", "m", "mb", "gb", "tb", "kb", "h", "hr", "hrs", "s", "ms", "x", "st", "nd", "rd", "th",
                    "am", "pm", "d", "min", "mins", "usd", "eur", "gbp"})
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|can't|cant|won't|wont|don't|dont|"
    r"doesn't|doesnt|didn't|didnt|isn't|isnt|aren't|arent|wasn't|wasnt|shouldn't|shouldnt|mustn't|"
    r"unable|un(?:supported|available|paid|published|verified|encrypted))\b")



_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def _stem(word: str) -> str:
    # crude plural folding, enough to see "forms" and "form" as one word
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        return word[:-1]
    return word


def _content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower().replace("\u2019", "'")) if w not in QUESTION_STOPWORDS}


def _numbers(text: str) -> list[float]:
    low = text.lower()
    found = [float(whole.replace(",", "") + frac) for whole, frac, unit in _NUMBER.findall(low) if unit in _UNITS]
    found += [float(_NUMBER_WORDS[w]) for w in _WORD.findall(low) if w in _NUMBER_WORDS]
    return sorted(found)


def _negations(text: str) -> int:
    low = text.lower().replace("\u2019", "'")
    return len(_NEGATION.findall(low)) + len(re.findall(r"\w+n't\b", low)) - len(
        re.findall(r"\b(?:can't|won't|don't|doesn't|didn't|isn't|aren't|wasn't|shouldn't|mustn't)\b", low))


@dataclass(frozen=True)
class GuardVerdict:
    """Whether two questions may share an answer, and if not, why."""

    ok: bool
    reason: str = ""


class _TermKind:
    """One kind of named term: a case-insensitive and a case-sensitive pattern, each match -> canonical name."""

    def __init__(self, kind: str, entries: Iterable[str]) -> None:
        self.kind = kind
        self.canonical: dict[str, str] = {}
        folded, exact = [], []
        for entry in entries:
            alts = [a.strip() for a in str(entry).split("|")]
            if not all(a.strip("=") for a in alts):
                raise ValueError(f"terms[{kind!r}] has an empty alternative in {entry!r}")
            name = alts[0].lstrip("=").lower()
            for alt in alts:
                if alt.startswith("="):
                    exact.append(alt[1:])
                    self.canonical[alt[1:]] = name
                else:
                    folded.append(alt.lower())
                    self.canonical[alt.lower()] = name
        self._folded = _alternation(folded, re.IGNORECASE)
        self._exact = _alternation(exact)

    def strip(self, text: str) -> str:
        """The text with every term of this kind blanked out (case kept, for the case-sensitive kinds after it)."""
        for pattern in (self._exact, self._folded):
            if pattern is not None:
                text = pattern.sub(" ", text)
        return text

    def find(self, text: str) -> frozenset[str]:
        names: set[str] = set()
        if self._folded is not None:
            names.update(self.canonical[m.lower()] for m in self._folded.findall(text))
        if self._exact is not None:
            names.update(self.canonical[m] for m in self._exact.findall(text))
        return frozenset(names)


def _alternation(alts: Iterable[str], flags: int = 0) -> re.Pattern[str] | None:
    """One pattern matching any of ``alts`` as whole words, longest first ("team plan" before "team").

    An alternative may hold ``...`` for a gap of one to three words ("turn ... off" matches "turn the
    weekly digest off")."""
    ordered = sorted(set(alts), key=len, reverse=True)
    if not ordered:
        return None
    body = "|".join(r"\s+(?:[\w'-]+\s+){1,3}".join(re.escape(part.strip()) for part in a.split("..."))
                    for a in ordered)
    return re.compile(r"(?<![\w-])(?:" + body + r")(?![\w-])", flags)


class _Contrast:
    """One contrast group: which of its sides a question uses. The longest alternative wins where two
    overlap, so "stop sharing" counts as the stopping side, not as "sharing"."""

    def __init__(self, group: Sequence[frozenset[str]]) -> None:
        self.sides = tuple(group)
        self._any = _alternation([alt for side in self.sides for alt in side])
        self._side = [_alternation(side) for side in self.sides]

    def sides_used(self, text: str) -> set[int]:
        if self._any is None:
            return set()
        used: set[int] = set()
        for m in self._any.finditer(text.lower().replace("\u2019", "'")):
            used.update(i for i, p in enumerate(self._side) if p is not None and p.fullmatch(m.group()))
        return used

    def label(self, used: set[int]) -> str:
        return "/".join(min(self.sides[i], key=len) for i in sorted(used))


class NearMissGuard:
    """Vetoes a semantic-cache hit when two questions differ in a way that changes the answer.

    Checks, in order: the numbers they mention (digits and number words), the parity of negations
    ("not", "can't", "without", ...), named terms by kind (plans, regions, integrations, ...) and
    contrast words (monthly vs annual, upload vs download, ...).

    Args:
        terms: named things by kind, each entry a "|"-separated list of synonyms ("=Name" matches
            case-sensitively). ``DEFAULT_TERMS`` (the course's product) when omitted.
        contrasts: groups of mutually exclusive word sets; ``CONTRASTS`` when omitted.
        objects: nouns a question can be about; two questions identical but for one object swapped
            for another are different questions. ``DEFAULT_OBJECTS`` when omitted; empty to skip.
        check_numbers / check_negation: switch those checks off (for ablations).
    """

    def __init__(self, terms: Mapping[str, Iterable[str]] | None = None,
                 contrasts: Sequence[Sequence[frozenset[str]]] | None = None,
                 objects: Iterable[str] | None = None,
                 *, check_numbers: bool = True, check_negation: bool = True) -> None:
        raw = DEFAULT_TERMS if terms is None else terms
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Mapping):
            raise TypeError("terms must map a kind to a list of terms, e.g. {'plan': ['team plan|=Team']}")
        self.kinds = [_TermKind(str(kind), [entries] if isinstance(entries, str) else entries)
                      for kind, entries in raw.items()]
        self.contrasts = CONTRASTS if contrasts is None else tuple(tuple(g) for g in contrasts)
        self._contrasts = [_Contrast(group) for group in self.contrasts]
        self.objects = DEFAULT_OBJECTS if objects is None else frozenset(_stem(o.lower()) for o in objects)
        self.check_numbers, self.check_negation = check_numbers, check_negation

    def _strip_terms(self, text: str) -> str:
        for kind in self.kinds:
            text = kind.strip(text)
        return text

    def check(self, cached: str, incoming: str) -> GuardVerdict:
        """Whether an answer cached for ``cached`` may be served for ``incoming``.

        Args:
            cached: the question whose answer is in the cache.
            incoming: the question being asked now.

        Returns:
            ``GuardVerdict(ok=True)``, or ``ok=False`` with the reason.
        """
        if self.check_numbers:
            # numbers inside named terms ("SOC 2", "version 2") are compared as names below
            a, b = _numbers(self._strip_terms(cached)), _numbers(self._strip_terms(incoming))
            if a != b:
                return GuardVerdict(False, f"numbers differ: {_fmt(a)} vs {_fmt(b)}")
        if self.check_negation and _negations(cached) % 2 != _negations(incoming) % 2:
            return GuardVerdict(False, "one question is negated")
        ta, tb = cached, incoming
        for kind in self.kinds:
            na, nb = kind.find(ta), kind.find(tb)
            if na != nb:
                return GuardVerdict(False, f"different {kind.kind}: {sorted(na)} vs {sorted(nb)}")
            # a term belongs to the first kind that names it: "Azure AD" is an identity provider, not the cloud
            ta, tb = kind.strip(ta), kind.strip(tb)
        for contrast in self._contrasts:
            sa, sb = contrast.sides_used(cached), contrast.sides_used(incoming)
            if sa and sb and sa != sb:
                return GuardVerdict(False, f"contrast: {contrast.label(sa)} vs {contrast.label(sb)}")
        if self.objects:
            ca, cb = _content_words(cached), _content_words(incoming)
            only_a, only_b = ca - cb, cb - ca
            if (len(only_a) == 1 and len(only_b) == 1 and ca & cb
                    and only_a <= self.objects and only_b <= self.objects):
                return GuardVerdict(False, f"different object: {next(iter(only_a))} vs {next(iter(only_b))}")
        return GuardVerdict(True)

    __call__ = check


def _fmt(nums: list[float]) -> str:
    return "[" + ", ".join(f"{n:g}" for n in nums) + "]"
