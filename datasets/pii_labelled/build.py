#!/usr/bin/env python3
"""Build the labelled PII set: support messages to Quaywise (the course's fictional product) with every
email, phone number, card number, IBAN, national id and secret marked by character offsets.

Usage::

    python datasets/pii_labelled/build.py        # writes dev.jsonl and test.jsonl beside this file

The messages are hand-written templates; the personal values are drawn with a fixed seed from
generators that produce realistic, *fictional* values (cards and IBANs with valid checksums, US
phone numbers in the 555-01xx range, UK numbers in Ofcom's drama ranges). Hard negatives — order and
ticket numbers, version strings, dates, IP addresses, request ids, commit hashes, card-like numbers
that fail the Luhn check, IBANs with a wrong check digit, placeholder keys — sit in the same messages
and are *not* labelled. Dev and test use disjoint templates and different seeds, so the test split
measures how the detector does on sentences it was not developed against.

Template syntax: ``{slot}`` is filled by the generator of that name (labelled when the slot is one of
the entity types, not labelled otherwise); ``[[type|literal]]`` marks a hand-written labelled span.
Standard library only; two runs give byte-identical files.
"""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path

HERE = Path(__file__).resolve().parent

FIRST = ["ana", "ben", "chloe", "dmitri", "elif", "farah", "goran", "hana", "ivan", "jude", "kofi", "lena",
         "mateo", "nadia", "oskar", "priya", "quinn", "rosa", "sami", "tove", "umar", "vera", "wen", "yusuf"]
LAST = ["lopez", "okafor", "schmidt", "nakamura", "dubois", "haddad", "kowalski", "oconnor", "silva", "berg",
        "patel", "moreau", "novak", "reyes", "fischer", "tanaka", "walsh", "costa", "ahmed", "larsen"]
# Person names in the test split come from their own lists (same lengths, so every other value drawn
# is unchanged): names the rules and the gazetteer path were never developed against (issue 20).
TEST_FIRST = ["amara", "bjorn", "carmen", "declan", "esther", "felipe", "grace", "hamid", "ines", "jonas", "keiko",
              "liam", "marta", "nikolai", "olga", "pedro", "rania", "stefan", "thabo", "ursula", "viktor",
              "wanjiru", "xavier", "yara"]
TEST_LAST = ["adeyemi", "bauer", "castillo", "dimitrov", "eriksson", "ferreira", "gallagher", "hoffmann", "ibrahim",
             "jensen", "kim", "lindqvist", "mensah", "nguyen", "ortiz", "petrov", "quispe", "rossi", "sato", "vasquez"]
DOMAINS = ["gmail.com", "outlook.com", "halyard.example", "verbena.example", "foxglove.example",
           "mail.acme-corp.co.uk", "yahoo.fr", "proton.me", "web.de", "northwind-traders.com"]


class Gen:
    """Seeded generators for labelled values (entity types) and unlabelled look-alikes."""

    def __init__(self, seed: int, people: tuple[list[str], list[str]] = (FIRST, LAST)) -> None:
        self.r = random.Random(seed)
        self.people = people  # first and last names for name(); emails always use FIRST and LAST

    def _digits(self, n: int) -> str:
        return "".join(self.r.choice(string.digits) for _ in range(n))

    def _alnum(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # ------------------------------------------------------------------ labelled
    def email(self) -> str:
        f, la, d = self.r.choice(FIRST), self.r.choice(LAST), self.r.choice(DOMAINS)
        local = self.r.choice([f"{f}.{la}", f"{f[0]}.{la}", f"{f}{la}{self.r.randint(1, 99)}", f"{f}_{la}",
                               f"{f}+quaywise", f"{la}.{f}", f"{f.capitalize()}.{la.capitalize()}"])
        return f"{local}@{d}"

    def phone(self) -> str:
        n2, n3, n4 = self._digits(2), self._digits(3), self._digits(4)
        area = self.r.choice(["415", "503", "902", "212", "617", "720"])
        return self.r.choice([
            f"({area}) 555-01{n2}", f"{area}-555-01{n2}", f"{area}.555.01{n2}", f"+1 {area} 555 01{n2}",
            f"+1 ({area}) 555-01{n2}", f"1-800-555-01{n2}", f"+1-{area}-555-01{n2}",
            f"+44 20 7946 0{n3}", f"020 7946 0{n3}", f"07700 900{n3}", f"+44 7700 900{n3}",
            f"+44 (0)20 7946 0{n3}", f"+33 1 {n2} {self._digits(2)} {self._digits(2)} {self._digits(2)}",
            f"01 {n2} {self._digits(2)} {self._digits(2)} {self._digits(2)}", f"+49 30 {n4} {self._digits(4)}",
            f"030 {n4} {self._digits(4)}", f"+49 40 5550 {n4}", f"+91 98{n3} {self._digits(5)}",
            f"+61 2 {n4} {self._digits(4)}", f"+353 1 555 {n4}",
        ])

    def _luhn_complete(self, body: str) -> str:
        total = 0
        for i, ch in enumerate(reversed(body + "0")):
            d = int(ch)
            if i % 2 == 1:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        return body + str((10 - total % 10) % 10)

    def _card_digits(self) -> tuple[str, str]:
        brand = self.r.choice(["visa", "visa", "mc", "mc", "amex", "discover"])
        if brand == "visa":
            return brand, self._luhn_complete("4" + self._digits(14))
        if brand == "mc":
            return brand, self._luhn_complete("5" + self.r.choice("12345") + self._digits(13))
        if brand == "amex":
            return brand, self._luhn_complete("3" + self.r.choice("47") + self._digits(12))
        return brand, self._luhn_complete("6011" + self._digits(11))

    def _group_card(self, brand: str, d: str) -> str:
        style = self.r.choice(["space", "space", "dash", "none"])
        if brand == "amex":
            parts = [d[:4], d[4:10], d[10:]]
        else:
            parts = [d[i:i + 4] for i in range(0, len(d), 4)]
        return {"space": " ".join(parts), "dash": "-".join(parts), "none": d}[style]

    def card(self) -> str:
        return self._group_card(*self._card_digits())

    _IBAN_SHAPES = {"GB": "LLLL" + "D" * 14, "DE": "D" * 18, "FR": "D" * 10 + "A" * 11 + "DD",
                    "NL": "LLLL" + "D" * 10, "ES": "D" * 20, "IE": "LLLL" + "D" * 14, "IT": "L" + "D" * 10 + "A" * 12,
                    "BE": "D" * 12, "CH": "D" * 5 + "A" * 12}

    def _bban(self, country: str) -> str:
        out = []
        for c in self._IBAN_SHAPES[country]:
            out.append(self.r.choice(string.ascii_uppercase) if c == "L" else
                       self.r.choice(string.digits) if c == "D" else
                       self.r.choice(string.ascii_uppercase + string.digits))
        return "".join(out)

    @staticmethod
    def _iban_check(country: str, bban: str) -> str:
        number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
        return f"{98 - number % 97:02d}"

    def _format_iban(self, compact: str) -> str:
        if self.r.random() < 0.5:
            return compact
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))

    def iban(self) -> str:
        country = self.r.choice(list(self._IBAN_SHAPES))
        bban = self._bban(country)
        return self._format_iban(country + self._iban_check(country, bban) + bban)

    def ssn(self) -> str:
        area = self.r.choice([a for a in range(1, 900) if a != 666])
        sep = "-" if self.r.random() < 0.85 else " "
        return f"{area:03d}{sep}{self.r.randint(1, 99):02d}{sep}{self.r.randint(1, 9999):04d}"

    def nino(self) -> str:
        first = self.r.choice("ABCEGHJKLMNOPRSTWXYZ")
        second = self.r.choice("ABCEGHJKLMNPRSTWXYZ")
        while first + second in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
            second = self.r.choice("ABCEGHJKLMNPRSTWXYZ")
        d = self._digits(6)
        suffix = self.r.choice("ABCD")
        if self.r.random() < 0.5:
            return f"{first}{second} {d[:2]} {d[2:4]} {d[4:]} {suffix}"
        return f"{first}{second}{d}{suffix}"

    def national_id(self) -> str:
        return self.ssn() if self.r.random() < 0.6 else self.nino()

    def secret(self) -> str:
        b62 = string.ascii_letters + string.digits
        kind = self.r.choice(["openai", "openai_proj", "anthropic", "aws", "github", "slack", "google", "stripe",
                              "jwt"])
        if kind == "openai":
            return "sk-" + self._alnum(48, b62)
        if kind == "openai_proj":
            return "sk-proj-" + self._alnum(40, b62 + "_-")
        if kind == "anthropic":
            return "sk-ant-api03-" + self._alnum(40, b62 + "_-")
        if kind == "aws":
            return "AKIA" + self._alnum(16, string.ascii_uppercase + string.digits)
        if kind == "github":
            return "ghp_" + self._alnum(36, b62)
        if kind == "slack":
            return f"xoxb-{self._digits(11)}-{self._digits(12)}-{self._alnum(24, b62)}"
        if kind == "google":
            return "AIza" + self._alnum(35, b62 + "_-")
        if kind == "stripe":
            return self.r.choice(["sk_live_", "sk_test_", "rk_live_"]) + self._alnum(24, b62)
        seg = self._alnum
        return f"eyJ{seg(18, b62)}.eyJ{seg(30, b62)}.{seg(43, b62 + '_-')}"

    def key_value(self) -> str:
        """A random token pasted after a key name (the key name itself is not labelled)."""
        return self.r.choice(["qw_live_", "qw_test_", "", ""]) + self._alnum(self.r.randint(24, 40))

    def password(self) -> str:
        word = self.r.choice(["Summer", "Harbour", "Quay", "Lighthouse", "Tidal", "Maple", "Falcon"])
        return f"{word}{self.r.randint(1, 2025)}{self.r.choice(['!', '#', '$', '', '?'])}"

    # ------------------------------------------------------------------ labelled, in harder forms
    def bare_phone(self) -> str:
        """A US number typed as ten digits with no grouping (found only after words like "phone number is")."""
        return f"{self.r.choice(['415', '503', '902', '212', '617', '720'])}55501{self._digits(2)}"

    def fullwidth_email(self) -> str:
        """An address typed on a full-width (CJK) keyboard: ｊｏｅ＠ｅｘａｍｐｌｅ．ｃｏｍ."""
        return "".join(chr(ord(c) + 0xFEE0) for c in self.email())

    def intl_email(self) -> str:
        """An internationalised address: letters outside ASCII in the local part or the domain."""
        local = self.r.choice(["müller", "jürgen.weiß", "søren", "łukasz.nowak", "zoë", "françois", "josé.garcía",
                               "ana.beltrán"])
        domain = self.r.choice(["beispiel.de", "exemple.fr", "bücher.example", "posta.example", "gmail.com"])
        return f"{local}@{domain}"

    def _invisible_inside(self, value: str) -> str:
        """``value`` with one or two zero-width characters between its digits (pasted from a chat app)."""
        cuts = sorted(self.r.sample([i for i in range(1, len(value)) if value[i - 1].isdigit() and value[i].isdigit()],
                                    self.r.choice([1, 2])))
        zw = self.r.choice(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
        return "".join(value[a:b] + (zw if b < len(value) else "") for a, b in zip([0, *cuts], [*cuts, len(value)], strict=True))

    def zw_phone(self) -> str:
        return self._invisible_inside(self.phone())

    def zw_card(self) -> str:
        return self._invisible_inside(self.card())

    def dotted_card(self) -> str:
        brand, d = self._card_digits()
        parts = [d[:4], d[4:10], d[10:]] if brand == "amex" else [d[i:i + 4] for i in range(0, len(d), 4)]
        return ".".join(parts)

    def dashed_iban(self) -> str:
        country = self.r.choice(list(self._IBAN_SHAPES))
        bban = self._bban(country)
        compact = country + self._iban_check(country, bban) + bban
        return "-".join(compact[i:i + 4] for i in range(0, len(compact), 4))

    # ------------------------------------------------------------------ unlabelled look-alikes
    def name(self) -> str:
        first, last = self.people
        return f"{self.r.choice(first).capitalize()} {self.r.choice(last).capitalize()}"

    def order(self) -> str:
        return self.r.choice([f"ORD-{self.r.randint(2023, 2025)}-{self._digits(6)}", f"#{self._digits(5)}",
                              f"{self.r.randint(100_000_000, 999_999_999)}", f"QW-{self._digits(8)}"])

    def ticket(self) -> str:
        return self.r.choice([f"#{self._digits(5)}", f"TCK-{self._digits(6)}", f"SUP-{self._digits(4)}"])

    def invoice(self) -> str:
        return self.r.choice([f"INV-{self._digits(6)}", f"INV-{self.r.randint(2023, 2025)}-{self._digits(5)}",
                              f"{self._digits(10)}"])

    def contract(self) -> str:
        return f"QW-{self.r.choice(['ENT', 'BUS'])}-{self.r.randint(2023, 2025)}-{self._digits(4)}"

    def version(self) -> str:
        a, b, c = self.r.randint(1, 9), self.r.randint(0, 30), self.r.randint(0, 20)
        return self.r.choice([f"v{a}.{b}.{c}", f"{a}.{b}.{c}", f"{a}.{b}", f"{a}.{b}.{c}-rc{self.r.randint(1, 4)}",
                              f"build {self.r.randint(2023, 2025)}.{self._digits(2)}.{self._digits(5)}"])

    def date(self) -> str:
        y, m, d = self.r.randint(2023, 2025), self.r.randint(1, 12), self.r.randint(1, 28)
        months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"]
        return self.r.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{m:02d}/{d:02d}/{y}",
                              f"{d}.{m}.{y}", f"{months[m - 1]} {d}, {y}", f"{d} {months[m - 1]} {y}",
                              f"{y}-{m:02d}-{d:02d}T{self.r.randint(0, 23):02d}:{self._digits(1)}5:00Z"])

    def time(self) -> str:
        return f"{self.r.randint(0, 23):02d}:{self.r.randint(0, 59):02d}"

    def amount(self) -> str:
        return self.r.choice([f"${self.r.randint(1, 9)},{self._digits(3)}.{self._digits(2)}",
                              f"EUR {self.r.randint(10, 999)},{self._digits(2)}", f"${self.r.randint(5, 500)}",
                              f"{self.r.randint(1, 90)},{self._digits(3)} submissions"])

    def bad_card(self) -> str:
        """A card-shaped number whose Luhn check fails (e.g. a mistyped card or a reference number)."""
        brand, d = self._card_digits()
        wrong = d[:-1] + str((int(d[-1]) + self.r.randint(1, 9)) % 10)
        return self._group_card(brand, wrong)

    def bad_iban(self) -> str:
        """An IBAN-shaped string with a wrong check digit."""
        country = self.r.choice(list(self._IBAN_SHAPES))
        bban = self._bban(country)
        good = int(self._iban_check(country, bban))
        bad = f"{(good + self.r.randint(1, 9)) % 97 or 1:02d}"
        return self._format_iban(country + bad + bban)

    def tracking(self) -> str:
        return self.r.choice([f"1Z{self._alnum(6, string.ascii_uppercase + string.digits)}{self._digits(10)}",
                              f"{self._digits(12)}", f"JD{self._digits(16)}"])

    def last4(self) -> str:
        return self._digits(4)

    def uuid(self) -> str:
        h = "0123456789abcdef"
        return "-".join(self._alnum(n, h) for n in (8, 4, 4, 4, 12))

    def sha(self) -> str:
        return self._alnum(self.r.choice([7, 40]), "0123456789abcdef")

    def ip(self) -> str:
        return ".".join(str(self.r.randint(1, 254)) for _ in range(4))

    def port(self) -> str:
        return str(self.r.choice([443, 8080, 5432, 6379, 3000, 8443]))

    def placeholder(self) -> str:
        return self.r.choice(["YOUR_API_KEY", "<your-token>", "sk-...", "xxxx-xxxx", "${QUAYWISE_TOKEN}",
                              "your-api-key-here", "REDACTED", "********"])

    def zip(self) -> str:
        return self.r.choice([f"{self._digits(5)}", f"{self._digits(5)}-{self._digits(4)}"])

    # ------------------------------------------------------------------ issue 20: places and people
    def ipv6(self) -> str:
        groups = [f"{self.r.randint(0, 0xffff):x}" for _ in range(8)]
        if self.r.random() < 0.5:
            return "2001:db8::" + ":".join(groups[:self.r.randint(1, 3)])  # documentation prefix, shortened
        return "2001:db8:" + ":".join(groups[:6])

    def de_phone(self) -> str:
        n = self._digits(7)
        return self.r.choice([f"+49 (0)30 {n}", f"030/{n}", f"0171 {n}", f"089/{self._digits(8)}",
                              f"+49 (0)89 {self._digits(8)}", f"0151 {self._digits(8)}", f"040 {n}"])

    def address(self) -> str:
        no = self.r.randint(1, 240)
        return self.r.choice([
            f"{no} {self.r.choice(['Baker', 'Elm', 'Maple', 'Harbour', 'King'])} {self.r.choice(['Street', 'Road', 'Avenue', 'Lane'])}",
            f"{no}{self.r.choice(['', 'B'])} {self.r.choice(['Oak', 'Mill', 'Station'])} Road, {self.r.choice(['Leeds', 'Bristol'])}",
            f"{self.r.randint(100, 9999)} {self.r.choice(['Amphitheatre Parkway', 'Mission Street', 'Pine Avenue'])}, "
            f"{self.r.choice(['Mountain View, CA', 'Austin, TX', 'Portland, OR'])} {self._digits(5)}",
            f"{self.r.choice(['Hauptstraße', 'Bahnhofstraße', 'Lindenweg', 'Gartenstr.'])} {no}, "
            f"{self._digits(5)} {self.r.choice(['Berlin', 'München', 'Köln'])}",
            f"Rue {self.r.choice(['de Rivoli', 'Victor Hugo', 'des Lilas'])} {no}, 750{self.r.randint(10, 20)} Paris",
            f"{no} rue {self.r.choice(['de la Paix', 'Oberkampf', 'du Bac'])}, 750{self.r.randint(10, 20)} Paris",
            f"Calle {self.r.choice(['Mayor', 'de Alcalá', 'Serrano'])} {no}, 280{self.r.randint(10, 50)} Madrid",
            f"Via {self.r.choice(['Roma', 'Garibaldi', 'Dante'])} {no}, 00{self.r.randint(100, 199)} Roma",
        ])

    def version_quad(self) -> str:
        return f"version {'.'.join(str(self.r.randint(0, 20)) for _ in range(4))}"

    def intl_phone(self) -> str:
        """A number written for callers abroad: ``+`` or ``00`` and a country code, in that country's grouping."""
        d = self._digits
        return self.r.choice([
            f"+81 3-{d(4)}-{d(4)}", f"+81 90-{d(4)}-{d(4)}", f"+86 10 {d(4)} {d(4)}", f"+86 138 {d(4)} {d(4)}",
            f"+55 11 9{d(4)}-{d(4)}", f"+55 (21) {d(4)}-{d(4)}", f"+7 495 {d(3)}-{d(2)}-{d(2)}",
            f"+7 (812) {d(3)}-{d(2)}-{d(2)}", f"+34 91{d(1)} {d(3)} {d(3)}", f"+34 6{d(2)} {d(2)} {d(2)} {d(2)}",
            f"+31 20 {d(3)} {d(4)}", f"+31 6 {d(8)}", f"+39 06 {d(4)} {d(4)}", f"+39 347 {d(3)} {d(4)}",
            f"+46 8 {d(3)} {d(3)} {d(2)}", f"+48 22 {d(3)} {d(2)} {d(2)}", f"+52 55 {d(4)} {d(4)}",
            f"+65 6{d(3)} {d(4)}", f"+27 21 {d(3)} {d(4)}", f"+971 4 {d(3)} {d(4)}", f"+82 2-{d(3)}-{d(4)}",
            f"+41 44 {d(3)} {d(2)} {d(2)}", f"+43 1 {d(6)}", f"+358 9 {d(7)}", f"+353 (0)1 {d(3)} {d(4)}",
            f"+49 (0) 89 {d(7)}", f"0049 30 {d(7)}", f"0044 20 7946 0{d(3)}", f"00 33 1 {d(2)} {d(2)} {d(2)} {d(2)}",
            f"0031 20 {d(3)} {d(4)}", f"+1-416-555-01{d(2)}", f"+61 4{d(2)} {d(3)} {d(3)}",
        ])

    def form(self) -> str:
        return f"frm_{self.r.choice(['loanapp', 'intake', 'expense', 'onboard', 'visit'])}_{self.r.randint(2023, 2025)}"


LABELLED = {"email", "phone", "card", "iban", "ssn", "nino", "national_id", "secret", "key_value", "password",
            "bare_phone", "fullwidth_email", "intl_email", "zw_phone", "zw_card", "dotted_card", "dashed_iban",
            "ip", "ipv6", "name", "address", "de_phone", "intl_phone"}
SLOT_TYPE = {"ssn": "national_id", "nino": "national_id", "key_value": "secret", "password": "secret",
             "bare_phone": "phone", "fullwidth_email": "email", "intl_email": "email", "zw_phone": "phone",
             "zw_card": "card", "dotted_card": "card", "dashed_iban": "iban",
             "ip": "ip_address", "ipv6": "ip_address", "name": "person", "address": "address", "de_phone": "phone",
             "intl_phone": "phone"}
TOKEN = re.compile(r"\{(\w+)\}|\[\[(\w+)\|(.*?)\]\]")


def render(template: str, gen: Gen) -> dict:
    """Fill a template; returns {"text", "entities": [{"type", "start", "end"}]}."""
    out: list[str] = []
    entities = []
    pos, length = 0, 0
    for m in TOKEN.finditer(template):
        lit = template[pos:m.start()]
        out.append(lit)
        length += len(lit)
        if m.group(1):
            slot = m.group(1)
            value = getattr(gen, slot)()
            etype = SLOT_TYPE.get(slot, slot) if slot in LABELLED else None
        else:
            etype, value = m.group(2), m.group(3)
        if etype:
            entities.append({"type": etype, "start": length, "end": length + len(value)})
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    return {"text": "".join(out), "entities": entities}


# Hand-written support messages. Development templates: the detector was developed against these.
DEV_TEMPLATES = [
    "Hi, I was charged twice for invoice {invoice}. The card was {card}. Can someone call me on {phone}?",
    "Please update the billing email on our workspace to {email}. Our contract is {contract}.",
    "We upgraded to {version} on {date} and since then exports fail with error 500. Request id {uuid}.",
    "Hello, my name is {name}. I can't log in. My email is {email} and my mobile is {phone}.",
    "Refund request for order {order}: please send it to IBAN {iban} (account holder {name}).",
    "Our webhook at {ip}:{port} stopped receiving events on {date} at {time}. Ticket {ticket}.",
    "I accidentally pasted our API key in a form field: {secret}. Please revoke it ASAP!",
    "The integration config looks like this:\napi_key={key_value}\nregion=eu-central\nretries=3",
    "For the HR onboarding form we need to collect SSNs like {ssn}. Is the field encrypted at rest?",
    "Employee record: {name}, NI number {nino}, start date {date}.",
    "Tried to pay with {bad_card} but it was rejected as invalid. Order {order}, amount {amount}.",
    "Can you confirm you received the transfer from {iban}? Reference {invoice}.",
    "Why does release {version} show a {amount} charge on the {date} invoice?",
    "Our admin is {name} ({email}). Please add {email} as a billing contact too.",
    "Call me back at {phone} between {time} and {time} please, re ticket {ticket}.",
    "Our IT lead says the token {secret} was committed to git in commit {sha}. What should we do?",
    "export QUAYWISE_TOKEN={key_value}\ncurl -H 'Authorization: Bearer {key_value}' https://api.quaywise.example/v2/forms",
    "password: {password} — this is what our intern used for the shared admin account, please force a reset.",
    "The card ending in {last4} expired. New card: {card}, expiry 09/27.",
    "The IBAN {bad_iban} is rejected by your form, but our bank says it is right. Can you check?",
    "Form {form} keeps timing out for users in ZIP {zip}. Build {version}.",
    "Hi! Order {order} was shipped on {date}. Tracking is {tracking}. Thanks, {name}",
    "Per our DPA, please delete the data of the applicant with SSN {ssn} and email {email}.",
    "The docs say to set api_key={placeholder}, but that gives 401. Using version {version}.",
    "[[phone|+44 7700 900461]] is my direct line; the office is {phone}. Ticket {ticket}.",
    "We use a service account; its client_secret: {key_value} and the tenant id is {uuid}.",
    "Quick question about pricing: is {amount} per seat for the Team plan still correct as of {date}?",
    "Can't reach [[email|support@quaywise.example]] — bounced. Reply to {email} or text me on {phone}.",
    "Loan applicant {name}, SSN {ssn}, phone {phone}, requested {amount}.",
    "Our server at {ip} logs 'invalid token' since {version}; token prefix is qw_live_ (rest redacted).",
    "Direct debit mandate: {name}, IBAN {iban}, mandate ref {invoice}.",
    "Incident INC-2024-0522: search lagged by 96 minutes on {date}. Is this related to {ticket}?",
    "my ssn is [[national_id|078051120]] and they asked me to send it here, is that safe?",
    "Please charge {card} for the {amount} upgrade, billing contact {email}.",
    "AWS creds for the S3 export: {secret} / aws_secret_access_key = {key_value}",
    "Our contract {contract} renews {date}; notice period is 90 days. Ping {email}.",
    "Slack bot token in the integration page is {secret}. Please confirm it is stored encrypted.",
    "Hi, we moved offices. New phone {phone}, new billing address unchanged. Invoice {invoice}.",
    "We see 429 errors at 60 requests/min on plan {contract}, version {version}, request id {uuid}.",
    "Nothing sensitive here, just feedback: the new editor in {version} is great. Thanks! — {name}",
]

# Test templates: disjoint from the development ones; written before the detector was measured on them.
TEST_TEMPLATES = [
    "Hello support, the payment for order {order} failed. I used {card}; my phone is {phone}.",
    "Please send the receipt to {email} instead of my work address.",
    "After the {version} update on {date}, the approvals page shows a blank screen. Request {uuid}.",
    "Re: ticket {ticket}. You can reach {name} at {email} or {phone}.",
    "Salary payments go to {iban}. Please update the supplier record for invoice {invoice}.",
    "The dashboard at {ip} is unreachable since {time}. Port {port} is open.",
    "Oops, here is the debug log with my key: Authorization: Bearer {secret}",
    "settings.yaml:\n  endpoint: https://api.quaywise.example\n  token: {key_value}\n  timeout: 30",
    "Our benefits form collects the SSN ({ssn}) of each dependant. Is that allowed on the Business plan?",
    "New starter {name}, National Insurance {nino}, please create the payroll record.",
    "Card {bad_card} keeps getting declined. Invoice {invoice}, amount {amount}.",
    "Wire from {iban} sent on {date}, ref {order}. Please confirm receipt.",
    "We are on build {version}. The invoice dated {date} shows {amount}, expected less.",
    "Add {email} and {email} to the security notifications list, thanks.",
    "Please phone me at {phone}, I'm free after {time}.",
    "Found a leaked key {secret} in our public repo (commit {sha}). Rotate it please.",
    "curl -u admin:{key_value} https://api.quaywise.example/v2/submissions",
    "The shared inbox login is pwd={password} — yes, I know. Can we get SSO instead?",
    "Card ending {last4} was replaced. Use {card} going forward for {contract}.",
    "Your form rejects {bad_iban} even though it's our correct account.",
    "Users in ZIP {zip} see form {form} load slowly on {version}.",
    "Order {order} delivered {date}. Can I get a copy of invoice {invoice}?",
    "GDPR erasure request: the data subject is {name}, {email}, {phone}.",
    "The sample code has key='{placeholder}'; what should go there exactly? On {version}.",
    "Mobile [[phone|07700 900 872]] (personal); desk {phone}.",
    "For the SSO app, client_secret={key_value}. Tenant {uuid}.",
    "Is the Enterprise price still {amount} per seat? Asking for our {date} budget.",
    "Email to {email} bounced, so please use {email}. Tel: {phone}.",
    "Applicant: {name}\nSSN: {ssn}\nPhone: {phone}\nEmail: {email}",
    "We get 401s since {version} at {time}; our token starts with qw_live_ — rest withheld.",
    "Please refund to {iban} (holder: {name}).",
    "Is the {date} outage (INC-2025-0211) the reason webhooks failed for {ticket}?",
    "social security no. [[national_id|219099999]] — do you need it for the tax form?",
    "Upgrade us to Business and bill {card}. Questions to {email}.",
    "Our GitHub token {secret} appears in your error page HTML. Please scrub it.",
    "Contract {contract} ends {date}; send the renewal quote to {email}.",
    "The Google Maps key {secret} in the form builder is ours — please remove it from the template.",
    "New office number {phone}. Invoice {invoice} should show it.",
    "Rate limit hit: 120 requests/min on {contract}, version {version}, id {uuid}.",
    "Just wanted to say the {version} release fixed our export bug. Cheers, {name}",
]


# Harder forms of the same entities (issue 17): a bare number after "phone number is", full-width and
# non-ASCII emails, zero-width characters inside numbers, cards with dots, IBANs with dashes, HMRC's
# specimen NI number. Appended after the templates above (numbered from 40, own seeds), so the rows
# above are unchanged. The dev forms were used to develop the rules; the test forms were written at the
# same time by the same author, so they check the forms are covered rather than estimate unseen quality.
DEV_FORM_TEMPLATES = [
    "Hi, my phone number is {bare_phone}, please call me about order {order}.",
    "My work email is {fullwidth_email} (typed on a full-width keyboard). Ticket {ticket}.",
    "Bitte antworten Sie an {intl_email}, nicht an die alte Adresse. Rechnung {invoice} vom {date}.",
    "Copied from our CRM: mobile {zw_phone}, card {zw_card}. Build {version}.",
    "Card number {dotted_card}, valid until 09/27; we run release {version} on server {ip}.",
    "Refund to {dashed_iban} please, reference {order}. Our contract is {contract}.",
    "I typed the example from your help page, [[national_id|QQ 12 34 56 C]], but my real NI number is {nino}.",
    "Contact {intl_email} or phone {zw_phone}; tracking {tracking}.",
    "Paid with {dotted_card} on {date}, charged {amount}; refund IBAN {dashed_iban}.",
    "Text me at {bare_phone} or write to {fullwidth_email}. Version {version}, invoice {invoice}.",
]
TEST_FORM_TEMPLATES = [
    "You can reach me quickly, my cell number is {bare_phone}.",
    "Send the signed contract to {intl_email} and cc {fullwidth_email}.",
    "Mobile: {zw_phone} / card on file {dotted_card} (build {version}).",
    "Our supplier's IBAN is {dashed_iban}; invoice {invoice} dated {date}.",
    "NI number as in your form's example: [[national_id|QQ123456C]]; mine is {nino}.",
]

# Added for issue 20 (IP addresses, street addresses, German phone formats, names after cues), appended
# after the forms above with their own seeds. Dev templates were used to write the rules; the test
# templates were written at the same time, before the rules were run on them.
DEV_PLACE_TEMPLATES = [
    "Please ship the replacement to {address}. My name is {name}, phone {de_phone}.",
    "Login attempts from {ip} and {ipv6} were blocked on {date}; our firewall runs {version_quad}.",
    "Rückruf bitte unter {de_phone}. Rechnungsadresse: {address}. Mit freundlichen Grüßen, {name}",
    "Our office moved to {address}; the VPN gateway is now {ip}.",
    "Hi, this is {name} from accounts. Reach me on {de_phone} or at {email}.",
    "The webhook source address changed to {ipv6}; build {version}, release notes say {version_quad}.",
    "Invoice address: {name}, {address}. VAT number on file.",
    "Can Dr. [[person|Miriam Okonkwo]] get access? She works from {ip} at {address}.",
]
TEST_PLACE_TEMPLATES = [
    "Deliver the hardware token to {address}, attention {name}.",
    "Blocked IPs since {date}: {ip}, {ip} and {ipv6}. Agent {version_quad}.",
    "Telefon {de_phone}, Büro: {address}. Viele Grüße, {name}",
    "Our data centre egress is {ipv6}; fallback {ip}:{port}.",
    "Please contact {name} ({de_phone}) about the contract for {address}.",
    "Mr [[person|Tomasz Wiśniewski]] asked us to update the billing address to {address}.",
]

# Also issue 20: names with no title or cue around them (found, if at all, by the names gazetteer) and
# phone numbers in international formats of many countries, with capitalised look-alikes that are not
# people (products, places, plans). Appended with their own seeds; the test templates were written with
# the dev ones, before any rule was run on them, and the test names come from TEST_FIRST/TEST_LAST.
DEV_PEOPLE_TEMPLATES = [
    "{name} called yesterday about invoice {invoice}; please call back on {intl_phone}.",
    "I spoke with {name} and {name} from finance, they confirmed the refund for order {order}.",
    "Forwarding a note from {name}: the Tokyo office number is {intl_phone}.",
    "{name} will join the Google Meet from our New York office, or dial {intl_phone}.",
    "Per {name}'s request, the Madrid team now uses {intl_phone}. Team plan, version {version}.",
    "Our new admin, {name}, starts Monday. Her number is {intl_phone}.",
    "Can you add {name} to the Halyard workspace? Backup contact {name}, {intl_phone}.",
    "Ticket {ticket} was opened by {name} on {date}. Microsoft Teams alerts stopped after {version}.",
]
TEST_PEOPLE_TEMPLATES = [
    "Yesterday {name} from our Singapore branch rang from {intl_phone} about the Business plan.",
    "{name} and {name} both lost access after the {version} update.",
    "Escalate to {name}; she is on {intl_phone} until {time} Central European Time.",
    "The Slack integration was set up by {name}. Reach the Berlin office at {intl_phone}.",
    "Hello, {name} here. The Warsaw number {intl_phone} is out of date, use {intl_phone}.",
    "Please remove {name}'s seat and move her forms to {name}. Request {uuid}.",
]


def build(templates: list[str], seed: int, reps: int, prefix: str, first_template: int = 0) -> list[dict]:
    gen = Gen(seed, (TEST_FIRST, TEST_LAST) if prefix == "test" else (FIRST, LAST))
    rows = []
    for rep in range(reps):
        for t_no, template in enumerate(templates, start=first_template):
            row = render(template, gen)
            rows.append({"id": f"{prefix}-{t_no:02d}-{rep}", "template": t_no, **row})
    for row in rows:  # every span must cut the text exactly where the label says
        for e in row["entities"]:
            assert 0 <= e["start"] < e["end"] <= len(row["text"]), row
    return rows


def split_rows(split: str) -> list[dict]:
    """Every row of one split ("dev" or "test"), in file order."""
    if split == "dev":
        return (build(DEV_TEMPLATES, 13, 6, "dev") + build(DEV_FORM_TEMPLATES, 113, 3, "dev", len(DEV_TEMPLATES))
                + build(DEV_PLACE_TEMPLATES, 213, 5, "dev", len(DEV_TEMPLATES) + len(DEV_FORM_TEMPLATES))
                + build(DEV_PEOPLE_TEMPLATES, 313, 5, "dev",
                        len(DEV_TEMPLATES) + len(DEV_FORM_TEMPLATES) + len(DEV_PLACE_TEMPLATES)))
    if split == "test":
        return (build(TEST_TEMPLATES, 1313, 6, "test") + build(TEST_FORM_TEMPLATES, 13113, 2, "test", len(TEST_TEMPLATES))
                + build(TEST_PLACE_TEMPLATES, 21313, 6, "test", len(TEST_TEMPLATES) + len(TEST_FORM_TEMPLATES))
                + build(TEST_PEOPLE_TEMPLATES, 31313, 6, "test",
                        len(TEST_TEMPLATES) + len(TEST_FORM_TEMPLATES) + len(TEST_PLACE_TEMPLATES)))
    raise ValueError(f"split must be 'dev' or 'test', got {split!r}")


def main() -> None:
    splits = {name: split_rows(name) for name in ("dev", "test")}
    for name, rows in splits.items():
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        counts: dict[str, int] = {}
        for row in rows:
            for e in row["entities"]:
                counts[e["type"]] = counts.get(e["type"], 0) + 1
        empty = sum(not r["entities"] for r in rows)
        print(f"{name}: {len(rows)} messages, {empty} without PII, entities {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
