"""Words in text: the tokeniser search uses, the stopword lists, and whether an answer abstains.

One base stopword list (:data:`STOPWORDS`, the words BM25 search drops) and two named variants for
modules that compare text for another purpose; each says why it differs. They are kept exactly as the
modules' tests and the course's numbers were measured with.
"""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how i in is it its my of on or our the this to was "
    "what when where which who why will with you your we us me if than then there their they them so not no".split()
)

# Claim checking (labkit.grounding.claims) compares a claim's content words with its context's, so it
# drops many more function words; it keeps "no"/"not", which flip a claim's meaning and are counted
# as negations instead.
CLAIM_STOPWORDS = (STOPWORDS - {"no", "not"}) | frozenset(
    "been being but could did had into itself ours these those too were would yours he she his her him whom "
    "while also any each all both either per via about up out just only very such other another same own more "
    "most some should shall may might must here that".split()
)

# The semantic cache's near-miss guard (labkit.cache.guard) compares two questions: it drops the
# phrasing of a request ("what's the process", "tell me the steps") so only the subject is compared,
# and keeps "no"/"not" (negations are checked separately) and a few words the base list drops
# (as, if, so, than, their, them, then, they, was) that its threshold was tuned with.
QUESTION_STOPWORDS = (STOPWORDS - {"as", "if", "no", "not", "so", "than", "their", "them", "then", "they",
                                   "was"}) | frozenset(
    "am been did could would should any some that these those get go way steps process possible able please "
    "tell know what's there's i'm it's".split()
)

TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords; keeps numbers and versions like ``4.2`` whole.

    Args:
        text: any text.

    Returns:
        The tokens, in order (the terms BM25 search indexes and queries).
    """
    return [t for t in TOKEN.findall(text.lower()) if t not in STOPWORDS]


# What an answer says when the sources do not hold the answer (matched lower-cased, straight quotes).
ABSTENTION_PHRASES = ("i don't know", "i do not know", "don't have that information", "not in the sources",
                      "sources do not", "no information")


def is_abstention(text: str) -> bool:
    """Whether an answer says the sources do not contain the answer.

    Args:
        text: the model's answer.

    Returns:
        True when it contains one of :data:`ABSTENTION_PHRASES`.
    """
    t = text.lower().replace("\u2019", "'")
    return any(p in t for p in ABSTENTION_PHRASES)
