"""Detect and redact personal data and secrets in text, before it leaves the machine or is logged.

Rules, not a model: each entity type has a pattern, and where the format carries a checksum the
checksum must hold, which is what keeps order numbers and look-alikes out. The rules run on the text
with every character in its NFKC form (full-width ``ｊｏｅ＠ｅｘａｍｐｌｅ．ｃｏｍ`` reads as
``joe@example.com``) and invisible characters removed (a zero-width space inside a phone number does not
split it); the entities found carry offsets and text of the *original* string, so redaction removes
all of them, invisible characters included.

=============  ==========================================================================================
type           what is detected (``Entity.subtype`` in brackets)
=============  ==========================================================================================
email          ``local@domain.tld`` addresses, in any script (``müller@beispiel.de``) and in full-width forms
phone          international numbers written with ``+`` or ``00`` and a country code (``intl``); North American
               numbers ``(415) 555-0132`` / ``415-555-0132`` / ``415.555.0132`` with valid area and exchange
               codes (``nanp``); domestic numbers that start with a trunk ``0`` and are written in groups,
               9–11 digits, e.g. UK ``020 7946 0958`` or French ``01 23 45 67 89`` (``domestic``); any
               7–15 digit run right after a word such as "phone", "tel", "call", "mobile", also after
               "number is" (``my phone number is 4155550132``) (``context``)
card           13–19 digits, optionally grouped by spaces or dashes (or by dots in groups of four, Amex
               4-6-5), that pass the Luhn check **and** start with a known issuer prefix (Visa,
               Mastercard, Amex, Discover, JCB, Diners)
iban           an IBAN (compact, or in groups of four separated by spaces or dashes) with the right
               length for its country and a valid ISO 7064 mod-97 check
national_id    US Social Security numbers written ``123-45-6789`` or ``123 45 6789``, excluding numbers
               the SSA never issues (area 000, 666, 900–999; group 00; serial 0000) (``us_ssn``); a bare
               nine-digit SSN only right after "SSN" or "social security"; UK National Insurance
               numbers ``AB 12 34 56 C`` or ``AB123456C`` with the HMRC prefix rules, plus HMRC's
               specimen ``QQ 12 34 56 C`` (never issued, but what forms show and people copy) (``uk_nino``)
secret         API keys with a known shape: ``sk-…`` (OpenAI/Anthropic style), ``AKIA…``/``ASIA…``
               (AWS access key ids), ``ghp_…``/``gho_…``/``ghs_…``/``github_pat_…`` (GitHub),
               ``sk_live_…``/``rk_test_…`` (Stripe secret keys), ``xox[abprs]-…`` (Slack), ``AIza…`` (Google), JSON Web Tokens, PEM private-key blocks;
               and the *value* after ``api_key=``, ``secret:``, ``token=``, ``password=``, ``Bearer`` …
               when it is long and random enough (Shannon entropy; any value for passwords) (``assigned``)
ip_address     IPv4 and IPv6 addresses (``ipv4``/``ipv6``); a dotted quad after "version"/"build" is a version
address        street addresses with a house number, US/UK, German/Dutch and French/Spanish/Italian forms
person         names after a title or a cue ("my name is", "holder", "Thanks,") (``titled``/``cued``), and
               with ``names="gazetteer"`` (the default) capitalised runs that the 1990 US Census given-name
               or surname lists know (``gazetteer``); no NER model
=============  ==========================================================================================

The last three are in :mod:`labkit.enterprise.pii_person`. Not covered (say so when you rely on this):
names with no title or cue that the Census lists do not know, addresses without a house number, dates of birth, passport and
driving-licence numbers, national ids of other countries, phone numbers written without grouping or
context, and secrets with no recognisable shape or key name (e.g. ``curl -u user:secret``). Known false
positive: a ZIP+4 code that starts with 0 (``09126-8743``) reads as a domestic phone number. Those two
are the errors on the held-out split of ``datasets/pii_labelled`` (left in place: it is a test set).

    >>> r = redact("Card 4111 1111 1111 1111, call +44 20 7946 0958")
    >>> r.redacted
    'Card [CARD], call [PHONE]'
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labkit.enterprise import pii_person

__all__ = ["NAMES_PATHS", "TYPES", "Entity", "PiiScores", "RedactResult", "TypeScore", "detect", "evaluate", "iban_valid",
           "luhn_valid", "redact", "shannon_entropy"]

TYPES = ("email", "phone", "card", "iban", "national_id", "secret", "ip_address", "address", "person")

# When two candidates overlap, the higher priority wins (then the longer span): a key containing
# digits is a secret, not a phone number; an IBAN's digit groups are not a card.
_PRIORITY = {"secret": 6, "email": 5, "iban": 4, "card": 3, "national_id": 2, "ip_address": 2, "address": 1.5,
             "phone": 1, "person": 0}


@dataclass(frozen=True)
class Entity:
    """One detected span.

    Attributes:
        type: one of :data:`TYPES`.
        start: offset of the first character in the text.
        end: offset one past the last character (``text[start:end] == entity.text``).
        text: the matched characters.
        subtype: which rule matched, e.g. ``"us_ssn"``, ``"uk_nino"``, ``"aws_access_key"``, ``"nanp"``.
    """

    type: str
    start: int
    end: int
    text: str
    subtype: str = ""


@dataclass(frozen=True)
class RedactResult:
    """What :func:`redact` returns.

    Attributes:
        redacted: the text with every entity replaced by its placeholder.
        entities: the entities found, in order, with offsets into the *original* text.
    """

    redacted: str
    entities: list[Entity]

    def counts(self) -> dict[str, int]:
        """Entities found per type."""
        return dict(Counter(e.type for e in self.entities))


# ---------------------------------------------------------------- checksums and measures

def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check used by payment card numbers.

    Args:
        digits: only the digits, e.g. ``"4111111111111111"``.

    Returns:
        True when the check digit is right.
    """
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# IBAN length per country (ISO 13616 registry). A country not listed is not accepted.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21,
    "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}


def iban_valid(iban: str) -> bool:
    """Whether a compact IBAN (no spaces) has its country's length and a valid mod-97 check.

    Args:
        iban: e.g. ``"GB82WEST12345698765432"`` (case-insensitive).

    Returns:
        True when the length and the ISO 7064 MOD 97-10 check both hold.
    """
    s = iban.upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s) or IBAN_LENGTHS.get(s[:2]) != len(s):
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def shannon_entropy(s: str) -> float:
    """Shannon entropy of a string's characters in bits per character (0 for an empty string)."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


# ---------------------------------------------------------------- patterns

# Letters and digits of any script ([^\W_]): internationalised addresses such as müller@beispiel.de.
_EMAIL = re.compile(r"(?<![\w.+-])[^\W_][\w.%+-]*@[^\W_](?:[\w-]*[^\W_])?"
                    r"(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.[^\W\d_]{2,24}(?![\w-])")

# Digits in groups separated by one space, dash or dot; the lookarounds keep us out of longer tokens
# such as "ORD-2024-5588" or "v4.1.2".
_CARD = re.compile(r"(?<![\w.\-/])\d(?:[ .\-]?\d){12,18}(?![\w\-/]|\.\d)")
# Dots also separate version and build numbers, so dotted cards must be grouped as cards are printed.
_DOTTED_CARD_GROUPS = {(4, 4, 4, 4), (4, 6, 5), (4, 4, 4, 4, 3), (4, 4, 4, 2)}
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|6011|65|64[4-9]|35|3(?:0[0-5]|[68]))")

_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){11,34}")

_SSN = re.compile(r"(?<![\w\-/.])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w\-/]|\.\d)")
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\s*(?:#|number|no\.?|is|:)?\s*[:#]?\s*"
                          r"(\d{9})(?!\w)")
_NINO = re.compile(r"(?<![\w])(QQ|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])[ ]?(\d{2})[ ]?(\d{2})[ ]?(\d{2})[ ]?([A-D])(?!\w)",
                   re.IGNORECASE)
_NINO_BAD_PREFIX = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}

_SSN_SHAPE = re.compile(r"\d{3}([- ])\d{2}\1\d{4}")
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){1,6}(?![\w]|[.\-]\d)")
# The same written with the international call prefix 00 instead of "+" (0049 30 1234567, 00 33 1 23 45 67 89):
# the country code must be followed by a space, so that a bare run of digits starting 00 is not taken.
_PHONE_00 = re.compile(r"(?<![\w+.\-/])00 ?[1-9]\d{0,2} (?:\(?\d{1,5}\)?[ .\-]?){1,6}(?<![ .\-])(?![\w]|[.\-/]\d)")
_PHONE_NANP = re.compile(r"(?<![\w\-./+])(?:1[ .\-])?(?:\(([2-9]\d\d)\) ?|([2-9]\d\d)([ .\-]))([2-9]\d\d)[ .\-](\d{4})"
                         r"(?![\w]|[.\-/]\d)")
_PHONE_SLASHED = re.compile(r"(?<![\w\-./+])0[1-9]\d{1,4} ?/ ?\d{3,9}(?:[ \-]\d{2,5})?(?![\w]|[.\-/]\d)")  # 030/1234567
_PHONE_DOMESTIC = re.compile(r"(?<![\w\-./+])0[1-9]\d{0,3}(?:[ \-]\d{2,8}){1,4}(?![\w]|[.\-/]\d)")
_PHONE_CONTEXT = re.compile(r"(?i)\b(?:phone|tel|telephone|mobile|cell|call(?: me)?(?: on| at)?|ring(?: me)?(?: on| at)?|whatsapp|sms|text me(?: on| at)?)"
                            r"\b[\s:.#]*(?:(?:number|no|is|on|at)\b[\s:.#]*){0,3}(\+?\d[\d \-]{5,18}\d)(?![\w]|[.\-]\d)")

_SECRET_SHAPES: list[tuple[str, re.Pattern[str]]] = [
    ("private_key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("openai_style_key", re.compile(r"(?<![\w-])sk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_\-]{20,}(?![\w-])")),
    ("aws_access_key", re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])")),
    ("github_token", re.compile(r"(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})(?![\w])")),
    ("stripe_secret_key", re.compile(r"(?<![\w])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}(?![\w])")),
    ("slack_token", re.compile(r"(?<![\w])xox[abprs]-[A-Za-z0-9-]{10,}(?![\w-])")),
    ("google_api_key", re.compile(r"(?<![\w])AIza[0-9A-Za-z_\-]{35}(?![\w-])")),
    ("jwt", re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?![\w-])")),
]
_ASSIGNED = re.compile(
    r"(?i)(?<![\w])(?P<key>(?:[a-z]+[_-])*(?:api[ _-]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|"
    r"access[_-]?token|auth[_-]?token|refresh[_-]?token|token|password|passwd|pwd|passphrase|private[_-]?key|"
    r"credentials?)(?:[_-][a-z]+)*)\b[\"']?\s*(?::|=|=>| is )\s*[\"']?(?P<value>[^\s\"',;<>()\[\]{}]+)"
)
_BEARER = re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9._~+/\-]{16,}=*)")


def _assigned_is_secret(key: str, value: str) -> bool:
    """Whether the value after ``key=`` is a real secret rather than a word like "expired" or "true"."""
    if key.lower().rstrip("s").endswith(("password", "passwd", "pwd", "passphrase")):
        return len(value) >= 4 and value.lower() not in {"none", "null", "****", "redacted", "hidden"}
    if len(value) < 16:
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    # Random base62 keys of 16+ characters sit well above 3.5 bits/char; English words and
    # placeholders such as "your-api-key-here" sit below it or use a single character class.
    return shannon_entropy(value) >= 3.5 and classes >= 2


# ---------------------------------------------------------------- candidate finders

def _emails(text: str) -> Iterable[Entity]:
    for m in _EMAIL.finditer(text):
        if "_" not in m.group().partition("@")[2]:  # an underscore is allowed before the @, never after it
            yield Entity("email", m.start(), m.end(), m.group())


def _cards(text: str) -> Iterable[Entity]:
    for m in _CARD.finditer(text):
        raw = m.group()
        seps = set(re.sub(r"\d", "", raw))
        if len(seps) > 1:  # mixed separators: not how anyone writes a card number
            continue
        if seps == {"."} and tuple(len(g) for g in raw.split(".")) not in _DOTTED_CARD_GROUPS:
            continue
        digits = re.sub(r"\D", "", raw)
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and _CARD_PREFIX.match(digits):
            yield Entity("card", m.start(), m.end(), raw, "payment_card")


def _ibans(text: str) -> Iterable[Entity]:
    for m in _IBAN.finditer(text):
        raw = m.group()
        want = IBAN_LENGTHS.get(raw[:2].upper())
        if want is None:
            continue
        # Take exactly the country's length in alphanumerics (the pattern may run into following words).
        count, end = 0, 0
        for i, ch in enumerate(raw):
            if ch not in " -":
                count += 1
                if count == want:
                    end = i + 1
                    break
        if not end:
            continue
        candidate = raw[:end]
        nxt = text[m.start() + end: m.start() + end + 1]
        if nxt.isalnum():  # the IBAN would continue: wrong length, not an IBAN
            continue
        if iban_valid(candidate.replace(" ", "").replace("-", "")):
            yield Entity("iban", m.start(), m.start() + end, candidate, candidate[:2].upper())


def _ssn_ok(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def _national_ids(text: str) -> Iterable[Entity]:
    for m in _SSN.finditer(text):
        if _ssn_ok(m.group(1), m.group(3), m.group(4)):
            yield Entity("national_id", m.start(), m.end(), m.group(), "us_ssn")
    for m in _SSN_CONTEXT.finditer(text):
        d = m.group(1)
        if _ssn_ok(d[:3], d[3:5], d[5:]):
            yield Entity("national_id", m.start(1), m.end(1), d, "us_ssn")
    for m in _NINO.finditer(text):
        prefix = m.group(1).upper()
        raw = m.group()
        # Lower-case ninos are rare and lower-case matches are mostly words; require upper case.
        if prefix in _NINO_BAD_PREFIX or raw != raw.upper():
            continue
        yield Entity("national_id", m.start(), m.end(), raw, "uk_nino")


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def _phones(text: str) -> Iterable[Entity]:
    for m in _PHONE_INTL.finditer(text):
        raw = m.group().rstrip(" .-(")
        if 8 <= _digits(raw) <= 15:
            yield Entity("phone", m.start(), m.start() + len(raw), raw, "intl")
    for m in _PHONE_00.finditer(text):
        if 10 <= _digits(m.group()) <= 17:
            yield Entity("phone", m.start(), m.end(), m.group(), "intl")
    for m in _PHONE_NANP.finditer(text):
        yield Entity("phone", m.start(), m.end(), m.group(), "nanp")
    for m in _PHONE_DOMESTIC.finditer(text):
        # 3-2-4 groups are how SSNs are written, never phone numbers.
        if 9 <= _digits(m.group()) <= 11 and not _SSN_SHAPE.fullmatch(m.group()):
            yield Entity("phone", m.start(), m.end(), m.group(), "domestic")
    for m in _PHONE_SLASHED.finditer(text):
        if 9 <= _digits(m.group()) <= 12:
            yield Entity("phone", m.start(), m.end(), m.group(), "domestic")
    for m in _PHONE_CONTEXT.finditer(text):
        raw = m.group(1)
        if 7 <= _digits(raw) <= 15:
            yield Entity("phone", m.start(1), m.end(1), raw, "context")


def _secrets(text: str) -> Iterable[Entity]:
    for name, pattern in _SECRET_SHAPES:
        for m in pattern.finditer(text):
            yield Entity("secret", m.start(), m.end(), m.group(), name)
    for m in _ASSIGNED.finditer(text):
        value = m.group("value").rstrip(".")
        if _assigned_is_secret(m.group("key"), value):
            yield Entity("secret", m.start("value"), m.start("value") + len(value), value, "assigned")
    for m in _BEARER.finditer(text):
        value = m.group("value")
        if _assigned_is_secret("token", value) or value.startswith("eyJ"):
            yield Entity("secret", m.start("value"), m.end("value"), value, "bearer")


def _spans(etype: str, finder: Callable[[str], Iterable[tuple[int, int, str]]]) -> Callable[[str], Iterable[Entity]]:
    def find(text: str) -> Iterable[Entity]:
        return (Entity(etype, a, b, text[a:b], sub) for a, b, sub in finder(text))
    return find


_FINDERS = {"email": _emails, "phone": _phones, "card": _cards, "iban": _ibans, "national_id": _national_ids,
            "secret": _secrets, "ip_address": _spans("ip_address", pii_person.ip_addresses),
            "address": _spans("address", pii_person.street_addresses),
            "person": _spans("person", pii_person.person_names)}
_RULE_FINDERS = {**_FINDERS, "person": _spans("person", lambda text: pii_person.person_names(text, gazetteer=False))}
NAMES_PATHS = ("gazetteer", "rules")


def _check_types(types: Iterable[str] | None) -> tuple[str, ...]:
    if types is None:
        return TYPES
    if isinstance(types, str):
        raise TypeError(f"types must be a list of entity types such as ['email', 'card'], got the string {types!r}")
    wanted = tuple(types)
    unknown = [t for t in wanted if t not in TYPES]
    if unknown:
        raise ValueError(f"unknown entity type(s) {unknown}; choose from {list(TYPES)}")
    return wanted


# Characters that render as nothing: pasted from chat apps and PDFs, or typed to slip past a filter.
_INVISIBLE = frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff")


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text with each character in NFKC form and invisible ones dropped, and for each character of
    the result the offset of the original character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        n = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
        chars.append(n)
        origin.extend([i] * len(n))
    return "".join(chars), origin


def _resolve(text: str, wanted: tuple[str, ...], names: str) -> list[Entity]:
    """Every rule's candidates in ``text``, overlaps resolved by priority then length, sorted by start."""
    finders = _FINDERS if names == "gazetteer" else _RULE_FINDERS
    candidates = [e for t in wanted for e in finders[t](text) if e.end > e.start]
    candidates.sort(key=lambda e: (-_PRIORITY[e.type], -(e.end - e.start), e.start))
    kept: list[Entity] = []
    for e in candidates:
        if all(e.end <= k.start or e.start >= k.end for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: e.start)


def detect(text: str, types: Iterable[str] | None = None, *, names: str = "gazetteer") -> list[Entity]:
    """Find personal data and secrets in ``text``.

    Args:
        text: any string.
        types: entity types to look for (see :data:`TYPES`); all of them by default.
        names: how person names are found: ``"gazetteer"`` (titles, cues and the Census name lists,
            see :mod:`labkit.enterprise.pii_person`) or ``"rules"`` (titles and cues only).

    Returns:
        Non-overlapping entities sorted by start offset, with offsets and text of ``text`` itself (a
        full-width or zero-width-split value is found on its normalised form, reported as written).
        Where two candidate spans overlap, the more specific type wins (secret > email > iban > card
        > national_id > phone), then the longer.

    Raises:
        TypeError: ``text`` is not a string.
        ValueError: an unknown entity type or names path was asked for.
    """
    if not isinstance(text, str):
        raise TypeError(f"detect() needs a str, got {type(text).__name__}; decode bytes first")
    if names not in NAMES_PATHS:
        raise ValueError(f"names must be one of {list(NAMES_PATHS)}, got {names!r}")
    wanted = _check_types(types)
    if not text:
        return []
    if text.isascii() or (unicodedata.is_normalized("NFKC", text) and _INVISIBLE.isdisjoint(text)):
        return _resolve(text, wanted, names)
    norm, origin = _normalised(text)
    found: list[Entity] = []
    for e in _resolve(norm, wanted, names):
        start, end = origin[e.start], origin[e.end - 1] + 1
        if not found or start >= found[-1].end:  # two values made from one character: keep the first
            found.append(Entity(e.type, start, end, text[start:end], e.subtype))
    return found


def redact(text: str, types: Iterable[str] | None = None, placeholder: str = "[{TYPE}]", *,
           names: str = "gazetteer") -> RedactResult:
    """Replace personal data and secrets in ``text`` with placeholders.

    Args:
        text: any string.
        types: entity types to redact; all of :data:`TYPES` by default.
        placeholder: format string for the replacement; ``{TYPE}`` is the upper-case type, ``{type}``
            the lower-case one and ``{n}`` a per-type counter (``"<{type}_{n}>"`` gives ``<email_1>``).
        names: ``"gazetteer"`` or ``"rules"``, as in :func:`detect`.

    Returns:
        A :class:`RedactResult` with the redacted text and the entities (offsets into ``text``).

    Example:
        >>> redact("key=sk-abcDEF1234567890ghijKLMN").redacted
        'key=[SECRET]'
    """
    if not isinstance(placeholder, str):
        raise TypeError("placeholder must be a format string such as '[{TYPE}]'")
    entities = detect(text, types, names=names)
    counters: Counter[str] = Counter()
    out: list[str] = []
    pos = 0
    for e in entities:
        counters[e.type] += 1
        out.append(text[pos:e.start])
        try:
            out.append(placeholder.format(TYPE=e.type.upper(), type=e.type, n=counters[e.type]))
        except (KeyError, IndexError) as exc:
            raise ValueError(f"placeholder {placeholder!r} may only use {{TYPE}}, {{type}} and {{n}} ({exc})") from None
        pos = e.end
    out.append(text[pos:])
    return RedactResult("".join(out), entities)


# ---------------------------------------------------------------- measuring a detector

@dataclass(frozen=True)
class TypeScore:
    """Precision and recall of one entity type (or of all of them, type ``"all"``)."""

    type: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """Share of predicted spans that match a labelled one (1.0 when nothing was predicted)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of labelled spans that were found (1.0 when nothing was labelled)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class PiiScores:
    """A detector measured on labelled messages.

    Attributes:
        per_type: one :class:`TypeScore` per entity type in the labels or predictions.
        overall: micro-averaged over all types (a span must have the right type to count).
        covered: share of labelled spans whose every character was redacted by *some* prediction,
            whatever its type — what matters for leakage.
        messages: how many messages were scored.
        errors: missed and spurious spans, ``{"id", "kind": "missed"|"spurious", "type", "text"}``.
    """

    per_type: dict[str, TypeScore]
    overall: TypeScore
    covered: float
    messages: int
    errors: list[dict[str, Any]] = field(default_factory=list)

    def table(self) -> list[dict[str, Any]]:
        """Rows (type, labelled, predicted, precision, recall, f1) for a DataFrame; the last row is "all"."""
        rows = []
        for s in [*self.per_type.values(), self.overall]:
            rows.append({"type": s.type, "labelled": s.tp + s.fn, "predicted": s.tp + s.fp,
                         "precision": round(s.precision, 3), "recall": round(s.recall, 3), "f1": round(s.f1, 3)})
        return rows


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def evaluate(rows: Sequence[dict[str, Any]], detector: Callable[[str], list[Entity]] = detect,
             min_iou: float = 0.5) -> PiiScores:
    """Precision and recall of a detector on labelled messages.

    A predicted span matches a labelled span of the same type when their intersection over union is at
    least ``min_iou`` (each labelled span matches at most one prediction).

    Args:
        rows: dicts with ``text`` and ``entities`` (``[{"type", "start", "end"}]``), e.g.
            ``data.records("pii_labelled", "test")``.
        detector: text -> entities; :func:`detect` by default.
        min_iou: overlap needed for a match, in (0, 1].

    Returns:
        :class:`PiiScores`.
    """
    if not 0 < min_iou <= 1:
        raise ValueError(f"min_iou must be in (0, 1], got {min_iou}")
    if not rows:
        raise ValueError("no labelled rows to evaluate")
    counts: dict[str, list[int]] = {}
    errors: list[dict[str, Any]] = []
    covered = labelled = 0
    for n, row in enumerate(rows):
        if not isinstance(row, dict) or "text" not in row or "entities" not in row:
            raise ValueError(f"row {n} needs 'text' and 'entities' keys, got {sorted(row) if isinstance(row, dict) else row!r}")
        text = row["text"]
        gold = [(str(g["type"]), int(g["start"]), int(g["end"])) for g in row["entities"]]
        pred = [(e.type, e.start, e.end) for e in detector(text)]
        used: set[int] = set()
        for g in gold:
            labelled += 1
            chars = set(range(g[1], g[2]))
            for p in pred:
                chars -= set(range(p[1], p[2]))
            covered += not chars
            best, best_iou = None, 0.0
            for i, p in enumerate(pred):
                if i in used or p[0] != g[0]:
                    continue
                inter = _overlap(g[1:], p[1:])
                iou = inter / ((g[2] - g[1]) + (p[2] - p[1]) - inter)
                if iou >= min_iou and iou > best_iou:
                    best, best_iou = i, iou
            c = counts.setdefault(g[0], [0, 0, 0])
            if best is None:
                c[2] += 1
                errors.append({"id": row.get("id", n), "kind": "missed", "type": g[0], "text": text[g[1]:g[2]]})
            else:
                used.add(best)
                c[0] += 1
        for i, p in enumerate(pred):
            if i not in used:
                counts.setdefault(p[0], [0, 0, 0])[1] += 1
                errors.append({"id": row.get("id", n), "kind": "spurious", "type": p[0], "text": text[p[1]:p[2]]})
    per_type = {t: TypeScore(t, *counts[t]) for t in sorted(counts, key=lambda t: TYPES.index(t) if t in TYPES else 99)}
    overall = TypeScore("all", *(sum(c[i] for c in counts.values()) for i in range(3)))
    return PiiScores(per_type, overall, covered / labelled if labelled else 1.0, len(rows), errors)
