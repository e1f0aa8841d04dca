"""Finding and removing a person's identifiers in stored text, in the forms stores actually hold them.

Erasure fails quietly when it searches for one spelling: a trace keeps ``TOVE.LARSEN@…`` where the
request said ``tove.larsen@…``, a log keeps ``+494055501312`` where the ticket said ``+49 40 5550 1312``.
:class:`PersonMatcher` compiles a person's identifiers once into a pattern that matches

* names and emails case-folded, with any run of whitespace inside a name;
* phone numbers (an identifier of digits and ``+ - . ( ) /`` and spaces, at least 7 digits) by their
  digits, with or without separators between them;
* whole identifiers only: the user id ``tove`` does not match inside ``stove``.

Every store's erasure and search API takes the identifiers as strings and uses this one matcher, so
"erased" and "searched for" mean the same thing everywhere. :class:`Erased` is what an erasure
returns per store.

    >>> m = PersonMatcher(["Tove Larsen", "tove.larsen@halyard.example", "+49 40 5550 1312"])
    >>> m.count("Call TOVE  LARSEN on 494055501312")
    2
    >>> m.redact("mail Tove.Larsen@Halyard.example")
    'mail [ERASED]'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["ERASED", "Erased", "PersonMatcher", "is_phone", "matcher"]

ERASED = "[ERASED]"
_PHONE = re.compile(r"\+?[\d\s().\-/]+")
_PHONE_SEPARATORS = r"[\s().\-/]*"
_MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Erased:
    """What one store's erasure did: records deleted, and records kept with the identifiers replaced."""

    removed: int = 0
    redacted: int = 0

    def __add__(self, other: Erased) -> Erased:
        return Erased(self.removed + other.removed, self.redacted + other.redacted)

    @property
    def total(self) -> int:
        return self.removed + self.redacted


def is_phone(identifier: str) -> bool:
    """True for an identifier written like a phone number (``+49 40 5550 1312``, ``415-555-0132``)."""
    return bool(_PHONE.fullmatch(identifier)) and sum(c.isdigit() for c in identifier) >= _MIN_PHONE_DIGITS


def _pattern(identifier: str) -> str:
    if is_phone(identifier):
        digits = [c for c in identifier if c.isdigit()]
        return r"(?<!\d)\+?" + _PHONE_SEPARATORS.join(digits) + r"(?!\d)"
    body = r"\s+".join(re.escape(part) for part in identifier.split())
    start = r"(?<!\w)" if identifier[0].isalnum() or identifier[0] == "_" else ""
    end = r"(?!\w)" if identifier[-1].isalnum() or identifier[-1] == "_" else ""
    return start + body + end


class PersonMatcher:
    """One person's identifiers as a single case-insensitive pattern (see the module docstring).

    Args:
        identifiers: name, email, phone, user id, document ids, request ids...; empty strings are ignored.

    Raises:
        ValueError: when no identifier is given (an empty matcher would report "nothing left" for anyone).
    """

    def __init__(self, identifiers: Iterable[str]) -> None:
        terms = sorted({i.strip() for i in identifiers if isinstance(i, str) and i.strip()}, key=lambda t: (-len(t), t))
        if not terms:
            raise ValueError("give at least one identifier (name, email, phone or user id) to search for")
        self.identifiers = tuple(terms)
        self.regex = re.compile("|".join(f"(?:{_pattern(t)})" for t in terms), re.IGNORECASE)

    def __repr__(self) -> str:
        return f"PersonMatcher({list(self.identifiers)!r})"

    def count(self, value: Any) -> int:
        """How many times the identifiers occur in a string, or in every string (keys too) of a JSON value."""
        if isinstance(value, str):
            return sum(1 for _ in self.regex.finditer(value))
        if isinstance(value, dict):
            return sum(self.count(k) + self.count(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return sum(self.count(v) for v in value)
        return 0

    def redact(self, value: Any) -> Any:
        """The value with every occurrence replaced by ``[ERASED]`` (strings inside dicts and lists too)."""
        if isinstance(value, str):
            return self.regex.sub(ERASED, value)
        if isinstance(value, dict):
            return {self.redact(k): self.redact(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.redact(v) for v in value)
        return value


def matcher(identifiers: Iterable[str] | PersonMatcher) -> PersonMatcher:
    """A :class:`PersonMatcher` for the identifiers (a matcher is passed through)."""
    return identifiers if isinstance(identifiers, PersonMatcher) else PersonMatcher(identifiers)
