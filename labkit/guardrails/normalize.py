"""Undo the tricks that hide an attack from a filter, before any detector looks at the text.

``normalize(text)`` returns the canonical text (Unicode NFKC, invisible characters removed, look-alike
letters from other scripts mapped to Latin, accents stripped) and a list of *views*: readings that
decoders found inside it (base64, hex, binary, URL and HTML escapes, ``\\uXXXX`` escapes, ROT13,
reversed text, leetspeak, spaced-out letters, and ASCII smuggled in Unicode tag characters).
Detectors then check every view, so ``aWdub3JlIGFsbA==`` is read as ``ignore all``.

A decoded view is kept only when it reads like text (mostly printable, mostly letters), and ROT13,
reversal, leetspeak and de-spacing only when they make the text read *more* like English than
before, so ordinary prompts rarely grow extra views.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field

from labkit.guardrails.core import View

__all__ = ["CONFUSABLES", "INVISIBLE", "Normalized", "englishness", "normalize"]

# Characters that render as nothing (or only steer layout) and are used to split trigger words.
INVISIBLE = frozenset(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010)) + list(range(0x202A, 0x202F)) + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))
)
_TAGS = range(0xE0000, 0xE0080)  # Unicode tag characters: invisible, map 1:1 onto ASCII

# Letters from Cyrillic, Greek and elsewhere that look like Latin ones (NFKC already folds full-width
# and mathematical alphanumerics).
CONFUSABLES = {
    **dict(zip("аеёкморсухѕіїјӏԁԛԝһ", "aeekmopcyxsiijldqwh", strict=True)),
    **dict(zip("АВЕЁКМНОРСТХУЅІЈ", "ABEEKMHOPCTXYSIJ", strict=True)),
    **dict(zip("αεικνορτυχωɑɡɩ", "aeikvoptuxwagi", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
    "ı": "i", "ȷ": "j", "ℓ": "l", "℮": "e",
}
_LEET = {"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s", "$": "s", "7": "t", "+": "t", "8": "b"}

# A few hundred of the commonest English words: enough to tell text from gibberish.
_COMMON = frozenset("""
a about above after again all also am an and any are as at be because been before being below between both but by
can could did do does doing don down during each few for from further get give had has have having he her here hers
him his how i if in into is it its just know like make me more most my no nor not now of off on once only or other
our out over own please same say she should show so some such tell than that the their them then there these they
this those through to too under until up use very want was we were what when where which while who whom why will
with would write you your yours now new instructions instruction answer question help tell next task following
""".split())
_WORD = re.compile(r"[A-Za-z]+")

_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{12,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"(?<![0-9A-Za-z])(?:0x)?((?:[0-9a-fA-F]{2}){6,})(?![0-9A-Za-z])")
_HEX_SPACED = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{2}[ :,-]){5,}[0-9a-fA-F]{2}(?![0-9A-Za-z])")
_HEX_ESCAPED = re.compile(r"(?:\\x[0-9a-fA-F]{2}){4,}")
_BINARY = re.compile(r"(?<![01])(?:[01]{8}[ ]?){4,}")
_URLENC = re.compile(r"(?:%[0-9A-Fa-f]{2}){3,}")
_HTMLENT = re.compile(r"&#(?:\d{2,7}|[xX][0-9a-fA-F]{2,6});")
_UESC = re.compile(r"\\u([0-9a-fA-F]{4})")
_SPACED = re.compile(r"(?:(?<!\S)\S {1,3}){6,}\S(?!\S)")


@dataclass(frozen=True)
class Normalized:
    """The canonical text and every decoded reading of it.

    Attributes:
        original: the text as received.
        text: the canonical text (what detectors read first).
        views: the canonical view first, then each decoded view.
        findings: what was undone, in words ("removed 12 invisible characters", "decoded base64", ...).
        smuggling: the findings no ordinary writer produces: invisible characters threaded through the
            words, text hidden in Unicode tag characters, Latin words with letters from other scripts.
    """

    original: str
    text: str
    views: list[View]
    findings: list[str] = field(default_factory=list)
    smuggling: list[str] = field(default_factory=list)

    @property
    def obfuscated(self) -> bool:
        """Whether anything had to be removed, mapped or decoded."""
        return bool(self.findings)

    @property
    def decoded(self) -> list[View]:
        """The views a decoder produced (everything but the canonical one)."""
        return self.views[1:]


def englishness(text: str) -> float:
    """Share of the words in ``text`` that are common English words (0 for no words)."""
    words = _WORD.findall(text.lower())
    if not words:
        return 0.0
    return sum(w in _COMMON for w in words) / len(words)


def _textual(s: str) -> bool:
    """Whether decoded bytes look like text someone wrote, rather than binary noise."""
    if len(s) < 4:
        return False
    printable = sum(ch.isprintable() or ch in "\n\t" for ch in s) / len(s)
    letters = sum(ch.isalpha() or ch == " " for ch in s) / len(s)
    return printable >= 0.95 and letters >= 0.6


def _map_confusables(text: str) -> tuple[str, int]:
    latin = sum("a" <= ch.lower() <= "z" for ch in text)
    conf = sum(ch in CONFUSABLES for ch in text)
    if not conf:
        return text, 0
    letters = sum(ch.isalpha() for ch in text)
    if latin + conf >= 0.6 * letters and latin >= conf * 0.5:
        return "".join(CONFUSABLES.get(ch, ch) for ch in text), conf
    # Mostly another script (genuine Russian or Greek): only fix words that mix scripts.
    changed = 0

    def fix(m: re.Match[str]) -> str:
        nonlocal changed
        w = m.group()
        if any("a" <= ch.lower() <= "z" for ch in w) and any(ch in CONFUSABLES for ch in w):
            changed += sum(ch in CONFUSABLES for ch in w)
            return "".join(CONFUSABLES.get(ch, ch) for ch in w)
        return w

    return re.sub(r"\w+", fix, text), changed


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def _mixed_script_letters(text: str) -> int:
    """Look-alike letters inside words that also have Latin letters ("раypal", "іgnore")."""
    n = 0
    for w in re.findall(r"\w+", text):
        if any("a" <= ch.lower() <= "z" for ch in w):
            n += sum(ch in CONFUSABLES for ch in w)
    return n


def _canonical(text: str, findings: list[str], smuggling: list[str] | None = None) -> tuple[str, str]:
    """Canonical text, plus any ASCII hidden in tag characters."""
    smuggling = smuggling if smuggling is not None else []
    hidden = "".join(chr(ord(ch) - 0xE0000) for ch in text if ord(ch) in _TAGS)
    if hidden.strip():
        findings.append(f"decoded {len(hidden)} hidden Unicode tag characters")
        if len(hidden.strip()) >= 3:
            smuggling.append("text hidden in invisible Unicode tag characters")
    cleaned = "".join(ch for ch in text if ord(ch) not in INVISIBLE and ord(ch) not in _TAGS)
    removed = len(text) - len(cleaned) - len(hidden)
    if removed:
        findings.append(f"removed {removed} invisible characters")
        letters = sum(ch.isalpha() for ch in cleaned)
        # A soft hyphen or two in pasted text is normal; one between every few letters is not.
        if removed >= 5 and removed >= 0.2 * max(1, letters):
            smuggling.append(f"{removed} invisible characters threaded through the words")
    nfkc = unicodedata.normalize("NFKC", cleaned)
    mixed = _mixed_script_letters(nfkc)
    if mixed >= 3:
        smuggling.append(f"{mixed} look-alike letters from other scripts inside Latin words")
    if nfkc != cleaned and sum(a != b for a, b in zip(nfkc, cleaned, strict=False)) >= 3:
        findings.append("folded compatibility characters (full-width, styled letters)")
    mapped, n = _map_confusables(nfkc)
    if n:
        findings.append(f"mapped {n} look-alike letters from other scripts")
    stripped = _strip_marks(mapped)
    return stripped, hidden


def _decode_b64(token: str) -> str | None:
    s = token.rstrip("=")
    if len(s) % 4 == 1:
        return None
    padded = s + "=" * (-len(s) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            out = decoder(padded).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if _textual(out):
            return out
    return None


def _decode_hex(digits: str) -> str | None:
    try:
        out = bytes.fromhex(digits).decode("utf-8")
    except ValueError:
        return None
    return out if _textual(out) else None


def _segments(text: str) -> list[View]:
    """Decoded segments found inside ``text`` (no recursion)."""
    views: list[View] = []
    for m in _B64.finditer(text):
        token = m.group()
        if token.isalpha() and (token.islower() or token.isupper()):
            continue  # one long word, not base64
        out = _decode_b64(token)
        if out:
            views.append(View("base64", out))
    for m in _HEX.finditer(text):
        out = _decode_hex(m.group(1))
        if out:
            views.append(View("hex", out))
    for m in _HEX_SPACED.finditer(text):
        out = _decode_hex(re.sub(r"[ :,-]", "", m.group()))
        if out:
            views.append(View("hex", out))
    for m in _HEX_ESCAPED.finditer(text):
        out = _decode_hex(m.group().replace("\\x", ""))
        if out:
            views.append(View("hex", out))
    for m in _BINARY.finditer(text):
        bits = m.group().replace(" ", "")
        try:
            out = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits) - len(bits) % 8, 8)).decode("utf-8")
        except ValueError:
            continue
        if _textual(out):
            views.append(View("binary", out))
    if _URLENC.search(text):
        out = urllib.parse.unquote(text)
        if out != text:
            views.append(View("url", out))
    if len(_HTMLENT.findall(text)) >= 3:
        views.append(View("html", html.unescape(text)))
    if len(_UESC.findall(text)) >= 3:
        views.append(View("unicode_escape", _UESC.sub(lambda m: chr(int(m.group(1), 16)), text)))
    return views


def _rewrites(text: str) -> list[View]:
    """Whole-text rewrites (ROT13, reversal, leetspeak, de-spacing) kept when they read more like English."""
    base = englishness(text)
    out: list[View] = []
    candidates = [("rot13", codecs.encode(text, "rot13")), ("reversed", text[::-1])]
    mixed = [w for w in text.split() if len(w) < 16 and re.search(r"[A-Za-z]", w) and re.search(r"[4@3105$7]", w)]
    if len(mixed) >= 2:
        candidates.append(("leet", "".join(_LEET.get(ch, ch) for ch in text)))
    spaced = list(_SPACED.finditer(text))
    if spaced and sum(len(m.group()) for m in spaced) >= 0.5 * len(text.strip()):
        joined = _SPACED.sub(lambda m: " ".join(w.replace(" ", "") for w in re.split(r" {2,}", m.group())), text)
        candidates.append(("spaced", joined))
    for kind, candidate in candidates:
        score = englishness(candidate)
        if score >= 0.25 and score >= base + 0.15:
            out.append(View(kind, candidate))
    return out


def normalize(text: str, max_chars: int = 20_000, max_views: int = 8) -> Normalized:
    """Canonicalise ``text`` and decode what is hidden in it.

    Args:
        text: the raw prompt.
        max_chars: decoders read at most this many characters (bounds the cost of huge inputs;
            the size guard should already have refused those).
        max_views: stop after this many decoded views (a decoded view is decoded once more, for
            base64 inside base64 and the like).

    Returns:
        A :class:`Normalized` with the canonical text, its views and the findings.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() needs a str, got {type(text).__name__}")
    if max_chars < 1 or max_views < 0:
        raise ValueError("max_chars must be >= 1 and max_views >= 0")
    findings: list[str] = []
    smuggling: list[str] = []
    canonical, hidden = _canonical(text, findings, smuggling)
    views = [View("canonical", canonical)]
    if hidden.strip():
        views.append(View("tags", hidden))
    head = canonical[:max_chars]
    found = _segments(head) + _rewrites(head)
    # Decode once more inside what was decoded (base64 of hex, ROT13 of base64, ...).
    for v in list(found):
        inner_findings: list[str] = []
        inner, _ = _canonical(v.text, inner_findings)
        found.extend(View(f"{v.kind}+{w.kind}", w.text) for w in _segments(inner[:max_chars]) + _rewrites(inner))
    seen = {canonical}
    for v in found:
        if len(views) > max_views:
            findings.append(f"stopped after {max_views} decoded views")
            break
        t = _canonical(v.text, [])[0]
        if t.strip() and t not in seen:
            seen.add(t)
            views.append(View(v.kind, t))
    kinds = sorted({v.kind for v in views[1:]} - {"tags"})
    if kinds:
        findings.append("decoded " + ", ".join(kinds))
    return Normalized(original=text, text=canonical, views=views, findings=findings, smuggling=smuggling)
