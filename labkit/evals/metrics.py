"""Metrics for one RAG answer against one golden question: retrieval, correctness, abstention, citations.

Every function scores a single item and returns a float in [0, 1] (or ``None`` where the metric does
not apply, e.g. numeric match on a question with no number). Aggregation, intervals and comparisons
live in :mod:`labkit.evals.stats`; :func:`score_item` computes every metric that applies to a golden row.

Metric names used across labkit.evals (``METRICS`` documents each one):

* retrieval: ``recall@1``, ``recall@3``, ``recall@5``, ``mrr`` (ranked distinct documents) and
  ``context_recall`` (gold documents among the chunks the model actually saw);
* correctness: ``exact_match``, ``contains``, ``token_f1``, ``numeric_match``;
* behaviour: ``abstention_correct``, ``abstained``, ``stale_answer`` (outdated questions);
* citations: ``citation_valid``, ``citation_precision``;
* scored after a run by :mod:`labkit.evals.variants`: ``groundedness``, ``judge``.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ANSWERABLE_KINDS = frozenset({"single_fact", "numeric", "multi_hop", "ambiguous", "outdated"})
UNANSWERABLE = "unanswerable"

METRICS: dict[str, str] = {
    "recall@1": "share of the gold documents that are the top retrieved document",
    "recall@3": "share of the gold documents among the top 3 distinct retrieved documents",
    "recall@5": "share of the gold documents among the top 5 distinct retrieved documents",
    "mrr": "1 / rank of the first gold document among retrieved documents (0 if absent from the ranking)",
    "context_recall": "share of the gold documents present in the chunks put in the prompt",
    "exact_match": "normalised output equals the reference answer or one of its aliases",
    "contains": "the normalised reference answer or an alias appears inside the normalised output",
    "token_f1": "best token-overlap F1 between the output and the reference or an alias",
    "numeric_match": "a number in the output equals the reference number (1 % tolerance)",
    "abstention_correct": "abstained on an unanswerable question, or answered an answerable one",
    "abstained": "the answer says it does not know (a rate, neither good nor bad by itself)",
    "stale_answer": "an outdated question answered with the old value instead of the current one",
    "citation_valid": "the answer cites at least one source and every [n] points to a real source",
    "citation_precision": "share of the cited documents that are gold documents",
    "invented_number": "the answer states a number found in neither its sources nor the question (answers only)",
    "degenerate": "the answer loops, lists [n] markers or digits, or pastes a source (answers only)",
    "groundedness": "the grounding detectors' support score of the answer against its sources (answers only)",
    "judge": "the binary LLM judge's verdict on 'correct' (labkit.evals.criteria_judge), 1 pass, 0 fail",
}
LOWER_IS_BETTER = frozenset({"invented_number", "degenerate", "stale_answer", "abstained", "latency_s", "cost_usd", "input_tokens", "output_tokens"})

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation.replace("%", "").replace("$", "")})
_NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s?(%|k\b|m\b|million\b|thousand\b)?",
                     re.IGNORECASE)


def normalise(text: str) -> str:
    """Lower-case, drop articles and punctuation (keeping ``$`` and ``%``), join thousands, squeeze spaces.

    ``"The Team plan costs $1,200."`` becomes ``"team plan costs $1200"``.

    Args:
        text: any string.

    Returns:
        The normalised string.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalise() needs a string, got {type(text).__name__}")
    t = text.lower().replace("’", "'")
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)  # 1,200 -> 1200 before commas become spaces
    t = re.sub(r"(?<=\d)\.(?=\d)", "\u2024", t)  # keep decimals and versions (99.9, 4.2) past the punctuation strip
    t = t.translate(_PUNCT).replace("\u2024", ".")
    t = t.replace("$ ", "$")
    t = _ARTICLES.sub(" ", t)
    return " ".join(t.split())


def _references(reference: str | None, aliases: Iterable[str] | None) -> list[str]:
    refs = [r for r in [reference, *(aliases or [])] if isinstance(r, str) and r.strip()]
    if not refs:
        raise ValueError("need a non-empty reference answer or at least one alias")
    return refs


def exact_match(output: str, reference: str | None, aliases: Iterable[str] | None = None) -> float:
    """1.0 when the normalised output equals the normalised reference or any alias, else 0.0.

    Strict by design: a correct sentence around a correct value scores 0, which is why generative
    answers also need :func:`contains` and :func:`token_f1`.
    """
    out = normalise(output)
    return float(any(out == normalise(r) for r in _references(reference, aliases)))


def contains(output: str, reference: str | None, aliases: Iterable[str] | None = None) -> float:
    """1.0 when the normalised reference or an alias appears as a whole-word span in the normalised output."""
    out = f" {normalise(output)} "
    return float(any(f" {normalise(r)} " in out for r in _references(reference, aliases) if normalise(r)))


def _tokens(text: str) -> list[str]:
    return normalise(text).split()


def token_f1(output: str, reference: str | None, aliases: Iterable[str] | None = None) -> float:
    """Best token-overlap F1 (SQuAD style) of the output against the reference and each alias.

    Args:
        output: the model's answer.
        reference: the reference answer.
        aliases: other acceptable answers.

    Returns:
        F1 in [0, 1].
    """
    pred = _tokens(output)
    best = 0.0
    for ref in _references(reference, aliases):
        gold = _tokens(ref)
        if not pred or not gold:
            best = max(best, float(pred == gold))
            continue
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


def numbers(text: str) -> list[float]:
    """Every number written in a text: ``"$1,200"`` -> 1200, ``"99.95%"`` -> 99.95, ``"2.5k"`` -> 2500.

    Version strings such as ``4.2.1`` yield their parts; callers compare with a tolerance, so that is harmless.
    """
    found = []
    for m in _NUMBER.finditer(text):
        value = float(m.group(1).replace(",", "") + (m.group(2) or ""))
        unit = (m.group(3) or "").lower()
        if unit in ("k", "thousand"):
            value *= 1_000
        elif unit in ("m", "million"):
            value *= 1_000_000
        found.append(value)
    return found


def numeric_match(output: str, value: float | int | None, rel_tol: float = 0.01) -> float | None:
    """1.0 when some number in the output is within ``rel_tol`` of ``value``; None when there is no value.

    Args:
        output: the model's answer.
        value: the reference number (None: the metric does not apply).
        rel_tol: relative tolerance (0.01 = 1 %).

    Returns:
        1.0, 0.0 or None.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError(f"value must be a number or None, got {value!r}")
    if rel_tol < 0:
        raise ValueError(f"rel_tol must be >= 0, got {rel_tol}")
    return float(any(math.isclose(n, value, rel_tol=rel_tol, abs_tol=1e-9) for n in numbers(output)))


def recall_at_k(retrieved: Sequence[str], relevant: Iterable[str], k: int) -> float | None:
    """Share of the relevant ids found among the first ``k`` retrieved ids (None when nothing is relevant).

    Args:
        retrieved: ids, best first, without repeats (repeats are removed, keeping the first).
        relevant: the gold ids.
        k: cut-off (>= 1).
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    gold = set(relevant)
    if not gold:
        return None
    top = list(dict.fromkeys(retrieved))[:k]
    return len(gold.intersection(top)) / len(gold)


def reciprocal_rank(retrieved: Sequence[str], relevant: Iterable[str]) -> float | None:
    """1 / rank of the first relevant id (ranks from 1); 0.0 if none is retrieved; None when nothing is relevant."""
    gold = set(relevant)
    if not gold:
        return None
    for rank, rid in enumerate(dict.fromkeys(retrieved), 1):
        if rid in gold:
            return 1.0 / rank
    return 0.0


def abstention_correct(abstained: bool, kind: str) -> float:
    """1.0 when the app abstained on an unanswerable question or answered an answerable one."""
    if kind != UNANSWERABLE and kind not in ANSWERABLE_KINDS:
        raise ValueError(f"unknown question kind {kind!r}; expected one of {sorted(ANSWERABLE_KINDS | {UNANSWERABLE})}")
    return float(abstained == (kind == UNANSWERABLE))


def stale_answer(output: str, outdated: str | None, current_correct: bool) -> float | None:
    """1.0 when the output states the outdated value and not the current answer; None without an outdated value.

    Args:
        output: the model's answer.
        outdated: what an older document version said.
        current_correct: whether the output already matches the current answer (then it is not stale,
            even if it also mentions the old value, e.g. "it went from $20 to $24").
    """
    if not outdated:
        return None
    return float(not current_correct and contains(output, outdated) == 1.0)


def citation_valid(n_citations: int, n_invalid: int) -> float:
    """1.0 when the answer cites at least one real source and no marker points past the sources.

    Args:
        n_citations: markers that resolved to a retrieved source.
        n_invalid: markers whose number has no source (e.g. ``[7]`` with 3 sources).
    """
    if n_citations < 0 or n_invalid < 0:
        raise ValueError("citation counts must be >= 0")
    return float(n_citations > 0 and n_invalid == 0)


def citation_precision(cited: Sequence[str], relevant: Iterable[str]) -> float | None:
    """Share of cited documents that are gold documents; None when nothing is cited or nothing is gold."""
    gold = set(relevant)
    cited = list(dict.fromkeys(cited))
    if not cited or not gold:
        return None
    return sum(c in gold for c in cited) / len(cited)


def score_item(item: Mapping[str, Any], output: str | None, *, ranked_ids: Sequence[str] = (),
               context_ids: Sequence[str] = (), citations: Sequence[str] = (), n_invalid_citations: int = 0,
               abstained: bool | None = None, context_text: str | None = None) -> dict[str, float | None]:
    """Every metric that applies to one golden row and one answer.

    Args:
        item: a golden row (``question``, ``answer``, ``aliases``, ``kind``, ``doc_ids``, ``numeric_value``,
            ``outdated_answer``).
        output: the answer text; None for a retrieval-only run (then only retrieval metrics are computed).
        ranked_ids: retrieved document ids, best first, distinct (for recall@k and MRR).
        context_ids: ids of the documents whose chunks went into the prompt.
        citations: document ids the answer cites.
        n_invalid_citations: citation markers that point to no source.
        abstained: whether the answer abstained (required with an output).
        context_text: the sources as the model saw them; with it, the targeted checks of
            :mod:`labkit.evals.failures` (``invented_number``, ``degenerate``) are scored too.

    Returns:
        Metric name -> value; ``None`` marks a metric that does not apply to this item.
    """
    kind = item.get("kind")
    if not isinstance(kind, str):
        raise ValueError(f"golden row {item.get('id')!r} has no 'kind'")
    gold = list(item.get("doc_ids") or [])
    answerable = kind != UNANSWERABLE
    s: dict[str, float | None] = {}
    for k in (1, 3, 5):
        s[f"recall@{k}"] = recall_at_k(ranked_ids, gold, k) if answerable else None
    s["mrr"] = reciprocal_rank(ranked_ids, gold) if answerable else None
    s["context_recall"] = recall_at_k(context_ids, gold, max(len(context_ids), 1)) if answerable else None
    if output is None:
        return s
    if abstained is None:
        raise ValueError("pass abstained= together with output")
    ref, aliases = item.get("answer"), item.get("aliases") or []
    if answerable:
        s["exact_match"] = exact_match(output, ref, aliases)
        s["contains"] = contains(output, ref, aliases)
        s["token_f1"] = token_f1(output, ref, aliases)
        s["numeric_match"] = numeric_match(output, item.get("numeric_value"))
    else:
        s.update(exact_match=None, contains=None, token_f1=None, numeric_match=None)
    s["abstention_correct"] = abstention_correct(abstained, kind)
    s["abstained"] = float(abstained)
    current_ok = bool(s.get("contains")) or bool(s.get("numeric_match"))
    s["stale_answer"] = stale_answer(output, item.get("outdated_answer"), current_ok) if kind == "outdated" else None
    s["citation_valid"] = None if abstained else citation_valid(len(citations), n_invalid_citations)
    s["citation_precision"] = None if abstained or not answerable else citation_precision(citations, gold)
    if context_text is not None:
        from labkit.evals import failures

        flags = failures.check_row({"output": output, "question": item.get("question")}, context_text)
        s.update({k: None if abstained else float(v) for k, v in flags.items()})
    return s
