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
* ``person``: rules, not a model: two or three capitalised words after a title (Mr, Ms, Dr, Prof,
  Herr, Frau, Mme, ...) or after a cue that introduces a person ("my name is", "Name:", "holder",
  "applicant", "contact", "reach", "Thanks,", "Regards,", "Cheers,", "— ", ...). A name with no
  such cue ("Anna Schmidt called") is missed; an NER model would be needed for that (see the datasheet).
"""

from __future__ import annotations

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


def person_names(text: str) -> Iterable[tuple[int, int, str]]:
    """Person names in ``text`` that follow a title or a cue (see the module docstring)."""
    for m in _NAME_AFTER_TITLE.finditer(text):
        yield m.start("name"), m.end("name"), "titled"
    for m in _CAPITALISED_RUN.finditer(text):
        if m.group().split()[0].lower() in _NOT_NAMES:
            continue
        if _NAME_CUE.search(text[max(0, m.start() - 20):m.start()]):
            yield m.start(), m.end(), "cued"
