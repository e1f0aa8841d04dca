"""Combine detector scores into one support score.

Two ways, both measured in notebook 07 and ``bench/bench_grounding.py``:

* :class:`LogisticCombiner` (the default, :data:`DEFAULT_COMBINER`): a logistic regression on each
  detector's score and applicability flag, fitted with scikit-learn's default regularisation (C = 1,
  balanced classes) on the *train* split of ``datasets/grounding_labels`` only, and shipped as
  constants so scoring needs no data and no fitting. :func:`fit_default` refits it from the data; a
  test checks that the constants match, so they cannot drift from the detectors.
* :func:`fixed_rule`: no fitting at all. The hard string checks (numbers, names, polarity) veto: the
  answer is only as supported as its weakest of them; soft checks (citations, lexical novelty) lower the
  score but never veto, because a right answer without a citation is a process problem, not a
  hallucination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labkit import data
from labkit.grounding.detectors import DetectorResult
from labkit.grounding.score import run_detectors

HARD = ("numeric", "entity", "negation")
CITATION_WEIGHT = 0.3
# Soft checks: noisy (lexical) or about process rather than truth (citation); they lower, never veto.
SOFT_WEIGHTS = {"citation": CITATION_WEIGHT, "lexical": 0.5}


def fixed_rule(per_detector: Mapping[str, DetectorResult]) -> float:
    """The default combination: ``min(hard detectors) * prod(1 - w + w * soft)``.

    Hard detectors are numeric, entity and negation (those present); the LLM judge and self-consistency,
    when run, join the minimum too. Soft detectors (citation, lexical) multiply by ``1 - w + w * score``
    with the weights in :data:`SOFT_WEIGHTS`, when applicable.

    Args:
        per_detector: results by detector name.

    Returns:
        The support score in [0, 1]; 1.0 when no detector found anything to check.
    """
    if not per_detector:
        raise ValueError("per_detector is empty; run at least one detector")
    vetoes = [r.score for n, r in per_detector.items() if n not in SOFT_WEIGHTS and r.applicable]
    score = min(vetoes) if vetoes else 1.0
    for name, weight in SOFT_WEIGHTS.items():
        r = per_detector.get(name)
        if r is not None and r.applicable:
            score *= 1 - weight + weight * r.score
    return float(min(1.0, max(0.0, score)))


def features(per_detector: Mapping[str, DetectorResult], names: Sequence[str]) -> list[float]:
    """The feature vector of one answer: for each detector, its score and whether it applied."""
    row: list[float] = []
    for n in names:
        r = per_detector.get(n)
        row += [r.score if r is not None else 1.0, 1.0 if r is not None and r.applicable else 0.0]
    return row


@dataclass
class LogisticCombiner:
    """A logistic regression over detector features, fitted on labelled answers.

    Attributes:
        names: the detectors it reads, in order.
        coef / intercept: the fitted weights (features: score and applicable flag per detector).
        n_train: how many answers it was fitted on.
    """

    names: tuple[str, ...]
    coef: list[float] = field(default_factory=list)
    intercept: float = 0.0
    n_train: int = 0

    @classmethod
    def fit(cls, results: Sequence[Mapping[str, DetectorResult]], labels: Sequence[bool],
            names: Sequence[str] | None = None, *, c: float = 1.0) -> LogisticCombiner:
        """Fit on a train split.

        Args:
            results: per-detector results of each training answer.
            labels: True for supported answers.
            names: detectors to use; by default those present in the first result.
            c: inverse regularisation strength (scikit-learn's ``C``).

        Returns:
            The fitted combiner.
        """
        if len(results) != len(labels):
            raise ValueError(f"need one label per result, got {len(results)} and {len(labels)}")
        y = np.asarray(labels, dtype=bool)
        if len(y) < 4 or y.all() or (~y).all():
            raise ValueError("need at least 4 training answers with both supported and unsupported ones")
        use = tuple(names) if names is not None else tuple(results[0])
        x = np.asarray([features(r, use) for r in results], dtype=float)
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=c, max_iter=1000, class_weight="balanced").fit(x, y)
        return cls(use, [float(v) for v in model.coef_[0]], float(model.intercept_[0]), len(y))

    def predict(self, per_detector: Mapping[str, DetectorResult]) -> float:
        """The support probability of one answer."""
        if not self.coef:
            raise ValueError("this combiner is not fitted; call LogisticCombiner.fit(...) first")
        z = self.intercept + float(np.dot(self.coef, features(per_detector, self.names)))
        return float(1 / (1 + np.exp(-z)))

    def weights(self) -> dict[str, Any]:
        """The fitted weights by feature name (for display)."""
        keys = [f"{n}{suffix}" for n in self.names for suffix in (".score", ".applicable")]
        return {"intercept": round(self.intercept, 3), **{k: round(v, 3) for k, v in zip(keys, self.coef, strict=True)}}


DEFAULT_DETECTORS = ("numeric", "entity", "negation", "lexical", "citation")
# Fitted by fit_default() on datasets/grounding_labels/train.jsonl (66 answers); test_grounding checks it.
DEFAULT_COMBINER = LogisticCombiner(
    names=DEFAULT_DETECTORS,
    coef=[1.441, 0.2564, 0.9312, 0.6996, 0.0011, 0.8114, 0.457, -0.4495, -0.3258, 0.0011],
    intercept=-2.5402,
    n_train=66,
)


def fit_default(c: float = 1.0) -> LogisticCombiner:
    """Refit :data:`DEFAULT_COMBINER` from the train split of ``datasets/grounding_labels``.

    Args:
        c: inverse regularisation strength (the default 1.0 is scikit-learn's).

    Returns:
        The fitted combiner (its weights rounded to 4 places, as shipped).
    """
    rows = data.records("grounding_labels", "train")
    results = [run_detectors(r["context"], r["question"], r["answer"], detectors=list(DEFAULT_DETECTORS)) for r in rows]
    model = LogisticCombiner.fit(results, [bool(r["supported"]) for r in rows], DEFAULT_DETECTORS, c=c)
    return LogisticCombiner(model.names, [round(v, 4) for v in model.coef], round(model.intercept, 4), model.n_train)


def default_combiner(per_detector: Mapping[str, DetectorResult]) -> float:
    """The default combination: :data:`DEFAULT_COMBINER` when every detector it was fitted on ran, else
    :func:`fixed_rule` (a model cannot score inputs it never saw; the LLM detectors join the rule).

    Know its blind spot: a regression learns only the mistakes its training answers contain. The train
    split has almost no flipped-polarity answers, so it gives ``negation.score`` almost no weight and
    passes "X is included" when the source says "X is not included"; :func:`fixed_rule` blocks it.
    (Multiplying in a negation/entity veto was tried: +0.02 AUROC on train, -0.05 on test.)
    """
    if set(DEFAULT_COMBINER.names) == set(per_detector):
        return DEFAULT_COMBINER.predict(per_detector)
    return fixed_rule(per_detector)
