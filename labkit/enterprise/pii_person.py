"""Finders for who and where a person is, used by :mod:`labkit.enterprise.pii`: names, IP and street addresses.

Each finder yields ``(start, end, subtype)`` spans; :mod:`labkit.enterprise.pii` turns them into entities.

* ``ip_address``: IPv4 dotted quads whose four parts are 0–255 written without leading zeros
  (``ipv4``), and IPv6 addresses that Python's :mod:`ipaddress` accepts, written in full (eight groups)
  or shortened with ``::`` (``ipv6``). Decision for look-alikes: a dotted quad right after "version",
  "release", "build", "v" or "firmware" is a version number, not an address ("version 1.2.3.4"); any
  other valid dotted quad counts, because a log line does not say which it is and leaking an address
  costs more than redacting a version.
* ``address``: a street address in the common US/UK form (house number, capitalised street name, a
  street word such as Street/Ave/Parkway, optionally ", City, ST 94043"), the German/Dutch form
  (``Hauptstraße 5``, ``Keizersgracht 12``, optionally ``, 10115 Berlin``) and the French/Spanish/Italian
  forms (``Rue de Rivoli 10``, ``10 rue de Rivoli``, ``Calle Mayor 3``, ``Via Roma 12``, optionally with a
  postcode and city). Addresses with no house number ("Baker Street") are not matched.
* ``person``, by rules: two or three capitalised words after a title (Mr, Ms, Dr, Prof, Herr, Frau,
  Mme, ...) or after a cue that introduces a person ("my name is", "Name:", "holder", "applicant",
  "contact", "reach", "Thanks,", "Regards,", "Cheers,", "— ", ...) (``titled``/``cued``).
* ``person``, by the names gazetteer (``gazetteer=True``, the default in :func:`labkit.enterprise.pii.detect`):
  a run of two or three capitalised words with no cue ("Anna Schmidt called") whose first word is a
  given name or whose last word is a surname in the 1990 US Census name lists (public domain, shipped
  in ``datasets/census_names``: 5,163 given names, 88,799 surnames), after words that are never
  names ("Yesterday", "Hello", "Team", "Street", months, weekdays ...) are trimmed from its ends
  (``gazetteer``). Not an NER model: no English NER pipeline is published on PyPI by its authors (see
  the datasheet). Census lists are US-centred; a name with neither part in them is missed, and a
  capitalised pair such as "Mountain View" can be a false hit (its words are also surnames).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable

_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
                   r"(?![\w]|\.\d)")
_VERSION_CUE = re.compile(r"(?i)(?:version|release|build|firmware|\bv)\s*[:#]?\s*$")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")

_CAP = r"[A-ZÀ-Ý][\w'’.-]*"
_US_STREET = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Parkway|Pkwy|Way|Court|Ct|"
              r"Place|Pl|Terrace|Square|Sq|Highway|Hwy|Crescent|Close|Gardens|Row|Mews)\.?")
_US_TAIL = r"(?:,\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2}(?:,\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?|\s+[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})?)?"
_EU_TAIL = r"(?:,?\s+(?:[A-Z]-)?\d{4,5}\s+[A-ZÀ-Ý][\wäöüéèà-]+(?:\s[A-ZÀ-Ý][\wäöüéèà-]+)?)?"
_GERMANIC = (r"[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee|"
             r"straat|laan|gracht|plein|kade|vej|gatan|gata)")
_ROMANCE = (r"(?:Rue|Avenue|Boulevard|Bd|Place|Chemin|Allée|Quai|Impasse|Calle|Avenida|Plaza|Paseo|Via|Viale|"
            r"Piazza|Corso|Largo|Rua)")
_LINK = r"(?:\s(?:de|du|des|de\sla|del|della|di|do|da|dos|d'|l'))?"
_ADDRESS = re.compile("|".join([
    rf"(?<![\w-])\d{{1,6}}[A-Za-z]?\s(?:{_CAP}\s){{1,4}}{_US_STREET}(?!\w){_US_TAIL}",
    rf"(?<![\w-]){_GERMANIC}\s\d{{1,4}}[a-z]?(?!\w){_EU_TAIL}",
    rf"(?<![\w-]){_ROMANCE}{_LINK}\s?(?:{_CAP}\s?){{1,3}},?\s\d{{1,4}}(?:\s?(?:bis|ter|[a-z]))?(?!\w){_EU_TAIL}",
    rf"(?<![\w-])\d{{1,4}}(?:\s(?:bis|ter))?,?\s(?i:{_ROMANCE}){_LINK}\s?(?:{_CAP}\s?){{1,3}}(?<!\s){_EU_TAIL}",
]))


def ip_addresses(text: str) -> Iterable[tuple[int, int, str]]:
    """IPv4 and IPv6 addresses in ``text`` (see the module docstring for what counts)."""
    for m in _IPV4.finditer(text):
        if not _VERSION_CUE.search(text[max(0, m.start() - 12):m.start()]):
            yield m.start(), m.end(), "ipv4"
    if "::" not in text and text.count(":") < 7:  # cheap exit: no IPv6 address can be here
        return
    for m in _IPV6.finditer(text):
        raw = m.group()
        if ("::" in raw or raw.count(":") == 7) and any(c.isdigit() or c.lower() in "abcdef" for c in raw):
            try:
                ipaddress.IPv6Address(raw)
            except ValueError:
                continue
            yield m.start(), m.end(), "ipv6"


def street_addresses(text: str) -> Iterable[tuple[int, int, str]]:
    """Street addresses in ``text`` with a house number (US/UK, German/Dutch and Romance forms)."""
    for m in _ADDRESS.finditer(text):
        raw = m.group().rstrip(" ,.")
        if raw.endswith((" St", " Ave", " Rd", " Dr", " Ln", " Blvd", " Pl", " Ct", " Sq", " Hwy", " Pkwy", "str")):
            raw = m.group().rstrip(" ,")  # keep the abbreviation's dot
        yield m.start(), m.start() + len(raw), "street"


_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra)\.?\s"
_NAME_CUE = re.compile(
    r"(?i:my name is|name is|name:|i am|i'm|this is|holder:?|applicant:?|employee|starter|subject is|"
    r"admin is|manager is|contact|reach|ask|cc|signed|from|by|record:|mandate:|address:|regards,|thanks,|"
    r"thank you,|cheers,|best,|grüßen,)"
    r"\s+$|(?:—|--)\s*$")
_NAME_AFTER_TITLE = re.compile(rf"(?<![\w]){_TITLE}(?P<name>[A-ZÀ-Ý][a-zà-ÿ'’-]+(?:\s[A-ZÀ-Ý][a-zà-ÿ'’-]+){{0,2}})")
_CAPITALISED_RUN = re.compile(r"(?<![\w])[A-ZÀ-Ý][a-zà-ÿ'’-]+(?:\s[A-ZÀ-Ý][a-zà-ÿ'’-]+){1,2}(?![\w])")
# Capitalised pairs that follow a cue but are not people.
_NOT_NAMES = frozenset({"quaywise", "team", "business", "enterprise", "starter", "support", "billing", "sales",
                        "the", "our", "my", "your", "customer", "google", "microsoft", "slack", "api"})


@functools.cache
def census_names() -> tuple[frozenset[str], frozenset[str]]:
    """The given names and surnames of the 1990 US Census lists (``datasets/census_names``), lower case.

    Returns:
        ``(given_names, surnames)``; read once, then cached.
    """
    from labkit import data

    folder = data.root() / "census_names"
    if not folder.is_dir():
        raise FileNotFoundError(f"no {folder}: the PII names gazetteer reads datasets/census_names from the "
                                "course repository (or pass names='rules' to labkit.enterprise.pii.detect)")

    def read(file: str) -> frozenset[str]:
        return frozenset(line.strip() for line in (folder / file).read_text(encoding="ascii").splitlines()
                         if line.strip())
    return read("given_names.txt"), read("surnames.txt")


# A capitalised word: letters of any script, inner apostrophes or hyphens before two or more letters
# (O'Connor, Jean-Luc), so that a possessive "'s" stays outside the name.
_NAME_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]+(?:['’-][^\W\d_]{2,})*(?!\w|['’-][^\W\d_]{2}|\.\w)")
# Capitalised words that are not names even where the Census lists them (many English words are also
# surnames): function words, greetings, calendar words, and words that name places, firms and products.
_NEVER_NAMES = frozenset("""
a an and the of in on at to for from by with via per or but not no yes if so as is are was be been it its
this that these those we our us you your he she her his him they their them i me my mine here there
hi hello hey dear thanks thank cheers regards best kind please sorry ok okay yesterday today tomorrow
tonight morning afternoon evening night now then also just still again after before since until when while
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december new old north south east west central european time zone standard
street st road rd avenue ave lane drive way place square park parkway court boulevard close row hill
mountain view city town county state states united kingdom republic office branch team teams group plan
plans business enterprise starter pro free trial support sales billing finance legal accounts account
customer customers service services company corp inc ltd llc gmbh bank university school hospital hotel
airport station centre center data api app apps cloud web mail email meet maps drive docs sheets forms form
google microsoft apple amazon slack zoom quaywise github gitlab linux windows android iphone
san santa santo los las la le el fort port lake mount saint cape bay bridge gate island river valley beach
christmas easter eve day year holiday visual studio code notebook server
""".split())


def _is_name_word(word: str) -> bool:
    """Capitalised, not all capitals ("GDPR", "SSO" are acronyms), not a word listed as never a name."""
    return word[0].isupper() and not word.isupper() and word.lower() not in _NEVER_NAMES


def _capitalised_runs(text: str) -> Iterable[list[tuple[int, int, str]]]:
    """Runs of capitalised words separated by one space each, as ``(start, end, word)`` lists."""
    run: list[tuple[int, int, str]] = []
    for m in _NAME_WORD.finditer(text):
        if not m.group()[0].isupper():
            continue
        if run and text[run[-1][1]:m.start()] != " ":
            yield run
            run = []
        run.append((m.start(), m.end(), m.group()))
    if run:
        yield run


def _gazetteer_names(text: str) -> Iterable[tuple[int, int, str]]:
    given, surnames = census_names()
    for words in _capitalised_runs(text):
        while words and not _is_name_word(words[0][2]):
            words = words[1:]
        while words and not _is_name_word(words[-1][2]):
            words = words[:-1]
        if not 2 <= len(words) <= 3 or not all(_is_name_word(w[2]) for w in words):
            continue
        if words[0][2].lower() in given or re.sub("['’]", "", words[-1][2]).lower() in surnames:
            yield words[0][0], words[-1][1], "gazetteer"


def person_names(text: str, gazetteer: bool = True) -> Iterable[tuple[int, int, str]]:
    """Person names in ``text``: after a title or a cue, and with ``gazetteer`` also runs of capitalised
    words that the Census name lists know (see the module docstring).

    Args:
        text: any string.
        gazetteer: also look names up in the Census lists (no cue needed); False: titles and cues only.

    Returns:
        ``(start, end, subtype)`` spans, possibly overlapping (the caller resolves overlaps).
    """
    if gazetteer:
        yield from _gazetteer_names(text)
    for m in _NAME_AFTER_TITLE.finditer(text):
        yield m.start("name"), m.end("name"), "titled"
    for m in _CAPITALISED_RUN.finditer(text):
        if m.group().split()[0].lower() in _NOT_NAMES:
            continue
        if _NAME_CUE.search(text[max(0, m.start() - 20):m.start()]):
            yield m.start(), m.end(), "cued"
