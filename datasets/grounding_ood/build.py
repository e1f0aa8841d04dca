"""Build the out-of-domain grounding set from the prose of Python's own documentation.

Source: ``pydoc_data.topics`` (the help texts ``help("topics")`` shows), part of the Python standard
library, under the Python Software Foundation License. Nothing is downloaded. The text depends on the
Python version, so the built files are committed and the build records the version it used.

    python datasets/grounding_ood/build.py

Steps (seeded, deterministic for one Python version):

1. Cut each topic into *passages*: runs of consecutive prose paragraphs (grammar blocks, code examples
   and headings dropped) of 50-170 words with at least three sentences of 7-40 words; a paragraph that does not end a sentence (it led into a
   code example) is dropped.
2. Split topics (not passages) into train and test, so no help page is in both.
3. Make two pairs from every passage, one for each task:
   * ``summary``: the answer is two of the passage's sentences (the first and one other), lightly
     compressed (bracketed asides and leading "Note that"/"Also," removed);
   * ``qa``: the question asks what the reference says about the passage's section, the answer is one
     sentence of the passage, compressed the same way.
4. Each passage gives one supported row and one unsupported row built from the *same* answer with one
   sentence altered, cycling through three kinds of unsupported content:
   * ``foreign``: the sentence is replaced by a sentence of similar length (within 25 % of its words)
     from another topic: invented content in the same vocabulary;
   * ``swap``: two content words of the sentence change places (a wrong relation between the right terms);
   * ``negation``: the sentence's polarity flips (is -> is not, can -> cannot, ... or a "not" removed).
   Supported and unsupported rows of a pair share the context, so they are length-matched by
   construction (the foreign sentence within 25 %).
"""

from __future__ import annotations

import json
import pydoc_data.topics
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20
TEST_FRACTION = 0.55
KINDS = ("foreign", "swap", "negation")
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"*])")
NEGATIONS = ((" cannot ", " can "), (" is not ", " is "), (" are not ", " are "), (" does not ", " does "),
             (" is ", " is not "), (" are ", " are not "), (" can ", " cannot "), (" must ", " must not "),
             (" will ", " will not "), (" may ", " may not "))
STOP = {"this", "that", "with", "from", "which", "when", "then", "than", "there", "their", "these", "those",
        "have", "been", "were", "will", "also", "into", "only", "such", "same", "each", "other", "must", "does"}


def sections(text: str) -> list[tuple[str, list[str]]]:
    """(heading, prose paragraphs) for each section of one help topic."""
    lines = text.splitlines()
    out: list[tuple[str, list[str]]] = []
    heading, paras, cur = lines[0].strip() if lines else "", [], []
    for i, line in enumerate(lines + [""]):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt and set(nxt.strip()) <= set("*=-~") and len(nxt.strip()) >= 3 and line.strip():
            if cur:
                paras.append(" ".join(cur))
            out.append((heading, paras))
            heading, paras, cur = line.strip(), [], []
            continue
        if not line.strip() or line.startswith(" ") or set(line.strip()) <= set("*=-~"):
            if cur:
                paras.append(" ".join(cur))
            cur = []
            continue
        cur.append(line.strip())
    if cur:
        paras.append(" ".join(cur))
    out.append((heading, paras))
    return [(h, [p for p in ps if p.endswith((".", "!", "?", ".)", '."'))]) for h, ps in out if ps]


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph, split after . ! ? before a capital or quote."""
    return [s.strip() for s in SENT_SPLIT.split(text) if s.strip()]


def good(sentence: str) -> bool:
    """A prose sentence of 7-40 words with no grammar notation."""
    n = len(sentence.split())
    return 7 <= n <= 40 and "::=" not in sentence and sentence.endswith(".")


def passages(topic: str, text: str) -> list[dict[str, object]]:
    """Runs of consecutive prose paragraphs of 50-170 words with at least three good sentences."""
    out = []
    for heading, paras in sections(text):
        run: list[str] = []
        for p in paras + [""]:
            words = sum(len(x.split()) for x in run)
            if p and words + len(p.split()) <= 170:
                run.append(p)
                continue
            sents = [s for x in run for s in sentences(x)]
            if words >= 50 and sum(good(s) for s in sents) >= 3:
                out.append({"topic": topic, "section": heading, "context": " ".join(run),
                            "sentences": [s for s in sents if good(s)]})
            run = [p] if p and len(p.split()) <= 170 else []
    return out


def compress(sentence: str) -> str:
    """Light compression: drop bracketed asides and a leading "Note that" / "Also," / "However,"."""
    s = re.sub(r"\s*\([^()]*\)", "", sentence)
    s = re.sub(r"^(Note that|Also,|However,|In addition,)\s+", "", s)
    return s[0].upper() + s[1:] if s else s


def swap(sentence: str, rng: random.Random) -> str | None:
    """Swap two different content words (4+ letters, at least two words apart)."""
    toks = sentence.split()
    idx = [i for i, t in enumerate(toks) if re.fullmatch(r"[a-z]{4,}", t) and t not in STOP]
    pairs = [(i, j) for i in idx for j in idx if j - i >= 2 and toks[i] != toks[j]]
    if not pairs:
        return None
    i, j = rng.choice(pairs)
    toks[i], toks[j] = toks[j], toks[i]
    return " ".join(toks)


def negate(sentence: str) -> str | None:
    """Flip the first polarity cue found (see NEGATIONS)."""
    padded = f" {sentence} "
    for old, new in NEGATIONS:
        if old in padded:
            return padded.replace(old, new, 1).strip()
    return None


def foreign(sentence: str, pool: list[str], rng: random.Random) -> str | None:
    """A sentence from another topic within 25 % of ``sentence``'s word count."""
    n = len(sentence.split())
    fits = [c for c in map(compress, pool) if abs(len(c.split()) - n) <= 0.25 * n]
    return rng.choice(fits) if fits else None


def pair(p: dict[str, object], task: str, kind: str, pool: list[str], rng: random.Random
         ) -> tuple[dict[str, object], dict[str, object]] | None:
    """One supported and one unsupported row from passage ``p``, or None when ``kind`` does not apply."""
    sents = [compress(s) for s in p["sentences"]]  # type: ignore[attr-defined]
    chosen = [sents[0], rng.choice(sents[1:])] if task == "summary" else [rng.choice(sents)]
    k = rng.randrange(len(chosen))
    altered = {"foreign": lambda s: foreign(s, pool, rng), "swap": lambda s: swap(s, rng), "negation": negate}[kind](
        chosen[k])
    if altered is None or altered == chosen[k]:
        return None
    bad = list(chosen)
    bad[k] = altered
    question = "" if task == "summary" else f"What does the Python reference say about {p['section']}?"
    base = {"task": task, "topic": p["topic"], "section": p["section"], "context": p["context"],
            "question": question}
    return ({**base, "answer": " ".join(chosen), "supported": True, "kind": "supported"},
            {**base, "answer": " ".join(bad), "supported": False, "kind": kind, "altered_sentence": altered})


def build() -> dict[str, list[dict[str, object]]]:
    """Rows of both splits (see the module docstring)."""
    rng = random.Random(SEED)
    topics = sorted(pydoc_data.topics.topics)
    rng.shuffle(topics)
    n_test = round(TEST_FRACTION * len(topics))
    split_of = {t: ("test" if i < n_test else "train") for i, t in enumerate(topics)}
    all_passages = [p for t in sorted(topics) for p in passages(t, pydoc_data.topics.topics[t])]
    out: dict[str, list[dict[str, object]]] = {"train": [], "test": []}
    counter = 0
    for p in all_passages:
        pool = [s for q in all_passages if q["topic"] != p["topic"] and split_of[q["topic"]] == split_of[p["topic"]]
                for s in q["sentences"]]  # type: ignore[attr-defined]
        for task in ("summary", "qa"):
            made = pair(p, task, KINDS[counter % 3], pool, rng)
            if made is None:
                continue
            counter += 1
            for row in made:
                row["id"] = f"ood-{counter:04d}-{'s' if row['supported'] else 'u'}"
                row["pair"] = f"ood-{counter:04d}"
                out[split_of[p["topic"]]].append(row)  # type: ignore[index]
    return out


def main() -> int:
    rows = build()
    for split, rs in rows.items():
        with open(HERE / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for r in rs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        kinds = {k: sum(r["kind"] == k and r["task"] == t for r in rs) for t in ("summary", "qa")
                 for k in ("supported", *KINDS)}
        print(split, len(rs), {t: sum(r["task"] == t for r in rs) for t in ("summary", "qa")}, kinds)
    print("python", sys.version.split()[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
