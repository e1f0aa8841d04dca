"""The near-miss guard's vocabulary: the product's contrasts, named terms and objects.

The words live in ``vocabulary.toml`` next to this file (data, not code: a course for another product
edits that file or passes its own words to :class:`~labkit.cache.guard.NearMissGuard`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.toml")


@dataclass(frozen=True)
class Vocabulary:
    """What the guard knows about a product's words.

    Attributes:
        contrasts: groups of mutually exclusive word sets (monthly vs annual, upload vs download, ...).
        terms: named things by kind, each entry a "|"-separated list of synonyms ("=Name": case-sensitive).
        objects: nouns a question can be about.
    """

    contrasts: tuple[tuple[frozenset[str], ...], ...]
    terms: dict[str, tuple[str, ...]]
    objects: frozenset[str]


def load_vocabulary(path: str | Path = VOCABULARY_FILE) -> Vocabulary:
    """Read a vocabulary file (TOML with ``contrasts``, ``objects`` and a ``[terms]`` table).

    Args:
        path: the TOML file; the course's product vocabulary by default.

    Returns:
        A :class:`Vocabulary`.

    Raises:
        ValueError: a key is missing; the message names the file and the keys it needs.
    """
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    missing = [k for k in ("contrasts", "objects", "terms") if k not in raw]
    if missing:
        raise ValueError(f"{path}: missing {missing}; a vocabulary needs contrasts = [[...]], objects = \"...\" "
                         f"and a [terms] table")
    contrasts = tuple(tuple(frozenset(side.split("|")) for side in group) for group in raw["contrasts"])
    terms = {str(kind): tuple(entries) for kind, entries in raw["terms"].items()}
    return Vocabulary(contrasts, terms, frozenset(raw["objects"].split()))


_PRODUCT = load_vocabulary()
CONTRASTS = _PRODUCT.contrasts
DEFAULT_TERMS = _PRODUCT.terms
DEFAULT_OBJECTS = _PRODUCT.objects
