"""Measure grounding detectors: AUROC with a bootstrap interval, precision/recall of blocking, the
threshold trade-off, and the trivial baselines every score must be compared with.

Conventions: a detector's *score* is the probability-like support for the answer (higher = supported);
labels are ``True`` for supported answers. AUROC is the chance that a random supported answer scores
above a random unsupported one (ties count half). A guard *blocks* answers whose score is below a
threshold; its precision is the share of blocked answers that really were unsupported, its recall the
share of unsupported answers it blocked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labkit import embed
from labkit.grounding import claims as C


def _arrays(scores: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D and the same length, got {s.shape} and {y.shape}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinity")
    if y.all() or (~y).all():
        raise ValueError("labels need both supported (True) and unsupported (False) examples to compute AUROC")
    return s, y


def auroc(scores: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` separating supported (True) from unsupported answers.

    Args:
        scores: higher = more supported.
        labels: True for supported.

    Returns:
        AUROC in [0, 1]; 0.5 is chance, ties count half (Mann-Whitney U).
    """
    s, y = _arrays(scores, labels)
    from scipy.stats import rankdata

    ranks = rankdata(s)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auroc_ci(scores: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray, n_boot: int = 1000, *,
             seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """AUROC with a percentile bootstrap interval (resampling answers with replacement).

    Returns:
        ``(auroc, low, high)``.
    """
    if n_boot < 10:
        raise ValueError(f"n_boot must be >= 10, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    s, y = _arrays(scores, labels)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(s), len(s))
        if y[idx].all() or (~y[idx]).all():
            continue
        values.append(auroc(s[idx], y[idx]))
    lo, hi = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return auroc(s, y), float(lo), float(hi)


def auroc_by_kind(scores: Sequence[float], kinds: Sequence[str], supported_kind: str = "supported"
                  ) -> dict[str, float]:
    """AUROC of each kind of unsupported row against all supported rows.

    Args:
        scores: support scores (higher = supported), one per row.
        kinds: each row's kind; ``supported_kind`` marks the supported rows.
        supported_kind: the kind of the supported rows.

    Returns:
        ``{kind: AUROC}`` for every other kind, sorted by kind.
    """
    s = np.asarray(scores, dtype=float)
    k = np.asarray(kinds)
    good = k == supported_kind
    return {kind: auroc(s[good | (k == kind)], good[good | (k == kind)])
            for kind in sorted(set(k.tolist()) - {supported_kind})}


@dataclass
class ThresholdPoint:
    """The guard's behaviour at one threshold (block when score < threshold).

    Attributes:
        threshold: the cut.
        precision: blocked answers that were unsupported / all blocked (1.0 when nothing is blocked).
        recall: unsupported answers blocked / all unsupported.
        blocked_good: share of supported answers wrongly blocked.
        passed_bad: share of unsupported answers let through (= 1 - recall).
    """

    threshold: float
    precision: float
    recall: float
    blocked_good: float
    passed_bad: float


def threshold_curve(scores: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray,
                    thresholds: Sequence[float] | np.ndarray | None = None) -> list[ThresholdPoint]:
    """Precision, recall and the two error rates of blocking at each threshold.

    Args:
        scores: support scores (higher = supported).
        labels: True for supported answers.
        thresholds: cuts to evaluate; by default every distinct score plus 0 and just above 1.

    Returns:
        One :class:`ThresholdPoint` per threshold, ascending.
    """
    s, y = _arrays(scores, labels)
    cuts = sorted(set(thresholds) if thresholds is not None else set(s.tolist()) | {0.0, 1.0 + 1e-9})
    bad, good = ~y, y
    out = []
    for t in cuts:
        blocked = s < t
        tp = int((blocked & bad).sum())
        n_blocked = int(blocked.sum())
        out.append(ThresholdPoint(
            threshold=float(t), precision=tp / n_blocked if n_blocked else 1.0, recall=tp / int(bad.sum()),
            blocked_good=int((blocked & good).sum()) / int(good.sum()), passed_bad=1 - tp / int(bad.sum()),
        ))
    return out


def average_precision(scores: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray) -> float:
    """Average precision of *detecting unsupported answers* (ranking by lowest support first)."""
    s, y = _arrays(scores, labels)
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(~y, -s))


# --- trivial features: what any score must beat on the same data ------------------------------------

def answer_length(context: str, question: str, answer: str) -> float:
    """Number of words in the answer (citations removed)."""
    return float(len(C.strip_citations(answer).split()))


def verbatim_in_context(context: str, question: str, answer: str) -> float:
    """1.0 when the whole answer (normalised) appears word for word in the context, else 0.0."""
    return 1.0 if C.normalise(answer) and C.normalise(answer) in C.normalise(context) else 0.0


def word_overlap(context: str, question: str, answer: str) -> float:
    """Share of the answer's content words that appear in the context."""
    want = C.content_words(answer)
    return len(want & C.content_words(context)) / len(want) if want else 1.0


TRIVIAL_FEATURES: dict[str, Callable[[str, str, str], float]] = {
    "answer length": answer_length, "verbatim in context": verbatim_in_context, "word overlap": word_overlap,
}


def embedding_similarity(contexts: Sequence[str], answers: Sequence[str], best_sentence: bool = True) -> np.ndarray:
    """MiniLM cosine between each answer and its context (or the context's most similar sentence).

    A teaching baseline: topical similarity, not support. A claim and its negation embed close together.

    Args:
        contexts: one context per answer.
        answers: the answers.
        best_sentence: compare with the best-matching context sentence instead of the whole context.

    Returns:
        One cosine per answer.
    """
    if len(contexts) != len(answers):
        raise ValueError(f"need one context per answer, got {len(contexts)} and {len(answers)}")

    clean = [C.strip_citations(a) or a for a in answers]
    a_vec = embed.encode(clean)
    if not best_sentence:
        c_vec = embed.encode(list(contexts))
        return np.sum(a_vec * c_vec, axis=1)
    sentence_lists = [[s for b in C.split_sources(c).values() or [c] for s in C.split_sentences(b)] or [c]
                      for c in contexts]
    flat = [s for ss in sentence_lists for s in ss]
    s_vec = embed.encode(flat)
    out, pos = [], 0
    for i, ss in enumerate(sentence_lists):
        block = s_vec[pos:pos + len(ss)]
        pos += len(ss)
        out.append(float(np.max(block @ a_vec[i])))
    return np.asarray(out)


@dataclass
class ScoreReport:
    """AUROC of one scorer on one labelled set, with its interval and what it costs.

    Attributes:
        name: the scorer.
        auroc: in the scorer's stated direction (higher = supported).
        low / high: 95 % bootstrap interval.
        best_direction_auroc: max(auroc, 1 - auroc): how well the feature separates the classes in
            *either* direction (generous to trivial features, whose direction nobody chose in advance).
        average_precision: of detecting unsupported answers.
        applicable: share of answers the scorer had anything to check in (1.0 for features).
    """

    name: str
    auroc: float
    low: float
    high: float
    best_direction_auroc: float
    average_precision: float
    applicable: float = 1.0

    def row(self) -> dict[str, Any]:
        return {"scorer": self.name, "AUROC": round(self.auroc, 3), "95% CI": f"{self.low:.2f}-{self.high:.2f}",
                "AUROC either direction": round(self.best_direction_auroc, 3),
                "AP (unsupported)": round(self.average_precision, 3), "applicable": round(self.applicable, 2)}


def report(name: str, scores: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray, *,
           applicable: float = 1.0, n_boot: int = 500, seed: int = 0) -> ScoreReport:
    """A :class:`ScoreReport` for one scorer."""
    a, lo, hi = auroc_ci(scores, labels, n_boot=n_boot, seed=seed)
    return ScoreReport(name, a, lo, hi, max(a, 1 - a), average_precision(scores, labels), applicable)
