"""The learned grounding score: one logistic regression over what every detector saw.

The string checks (:mod:`labkit.grounding.detectors`) catch the app's failure mode (wrong numbers and
names) and miss swapped or flipped sentences; token support (:mod:`labkit.grounding.lm_support`) reads
the evidence with the model and misses a wrong number it finds plausible. Multiplying the two (the
"layered" score) lets the weaker one drag the stronger down. Here a logistic regression weighs them
instead, together with the two baseline features every detector is measured against (word overlap and
answer length), so it can never do worse than a baseline on the data it was fitted on.

How it is fitted (:func:`fit_and_select`, run by ``python -m labkit.grounding.learned``):

* rows: the *train* files only (:func:`labkit.grounding.samples.train_sets`): the app's labelled answers,
  VitaminC claims, and help-page summaries and QA answers; never a test file;
* within a source both classes weigh the same;
* its settings (which features, whether each source weighs the same or by its rows, the regularisation
  ``C``) are picked by grouped 5-fold cross-validation
  on those train rows (a help topic, Wikipedia page or question never straddles folds): the setting
  whose *worst* out-of-fold AUROC across the four sources is highest, because the target is to hold up
  on every set;
* then refitted on all train rows and shipped as ``learned_combiner.json`` (coefficients on standardised
  features, the means and scales, and the record of how it was fitted).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labkit.grounding import combine, evaluate, lm_support
from labkit.grounding.detectors import DetectorResult

PATH = Path(__file__).with_name("learned_combiner.json")
STRING_FEATURES = tuple(f"{n}.{k}" for n in combine.DEFAULT_DETECTORS for k in ("score", "applicable"))
LM_FEATURES = ("token_support.share", "token_support.stretch", "token_support.mean", "token_support.min")
BASELINE_FEATURES = ("word_overlap", "log_answer_words")
DETECTOR_FEATURES = ("string_checks.logit",) + LM_FEATURES
FEATURE_SETS = {
    "token support": LM_FEATURES,
    "detector scores": DETECTOR_FEATURES,
    "detector scores + baselines": DETECTOR_FEATURES + BASELINE_FEATURES,
    "every check + token support": STRING_FEATURES + LM_FEATURES,
    "every check + token support + baselines": STRING_FEATURES + LM_FEATURES + BASELINE_FEATURES,
}
"""Candidate inputs. ``string_checks.logit`` is the string checks' own combined score
(:data:`labkit.grounding.combine.DEFAULT_COMBINER`, fitted on the labelled train split) as a log-odds."""
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
FOLDS = 5
CLIP_NATS = 5.0


def feature_row(context: str, question: str, answer: str, *, per_detector: Mapping[str, DetectorResult],
                support: lm_support.TokenSupport) -> dict[str, float]:
    """Every feature of one answer, by name.

    Args:
        context / question / answer: the texts (for the two baseline features).
        per_detector: the fast detectors' results (``run_detectors``).
        support: the answer's token support.

    Returns:
        ``{feature name: value}`` for every name in :data:`FEATURE_SETS`.
    """
    row = dict(zip(STRING_FEATURES, combine.features(per_detector, combine.DEFAULT_DETECTORS), strict=True))
    s = support.support
    clip = lambda v: float(np.clip(v, -CLIP_NATS, CLIP_NATS))  # noqa: E731
    row["token_support.share"] = support.score()
    row["token_support.stretch"] = clip(support.weakest_stretch())
    row["token_support.mean"] = clip(s.mean()) if len(s) else 0.0
    row["token_support.min"] = clip(s.min()) if len(s) else 0.0
    p = float(np.clip(combine.DEFAULT_COMBINER.predict(per_detector), 1e-4, 1 - 1e-4))
    row["string_checks.logit"] = math.log(p / (1 - p))
    row["word_overlap"] = evaluate.word_overlap(context, question, answer)
    row["log_answer_words"] = math.log1p(evaluate.answer_length(context, question, answer))
    return row


@dataclass
class LearnedCombiner:
    """A logistic regression on standardised features.

    Attributes:
        features: feature names, in the order of ``coef``.
        mean / scale: standardisation fitted on the train rows.
        coef / intercept: the weights.
        fitted: how it was fitted (rows, settings, cross-validated AUROC), as stored in the JSON.
    """

    features: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    fitted: dict[str, Any] = field(default_factory=dict)

    def predict(self, row: Mapping[str, float]) -> float:
        """Support probability of one answer from its :func:`feature_row`."""
        missing = [f for f in self.features if f not in row]
        if missing:
            raise ValueError(f"feature row lacks {missing}; build it with learned.feature_row(...)")
        x = (np.array([row[f] for f in self.features]) - self.mean) / self.scale
        return float(1 / (1 + np.exp(-(self.intercept + float(np.dot(self.coef, x))))))

    def to_json(self) -> dict[str, Any]:
        r = lambda v: [round(float(x), 6) for x in v]  # noqa: E731
        return {"features": list(self.features), "mean": r(self.mean), "scale": r(self.scale),
                "coef": r(self.coef), "intercept": round(self.intercept, 6), "fitted": self.fitted}


def load(path: Path = PATH) -> LearnedCombiner:
    """Read a combiner written by :func:`fit_and_select`."""
    try:
        d = json.loads(Path(path).read_text())
        return LearnedCombiner(tuple(d["features"]), d["mean"], d["scale"], d["coef"], d["intercept"], d["fitted"])
    except (OSError, KeyError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read the learned combiner {path} ({e}); refit it with "
                         f"`python -m labkit.grounding.learned`") from e


@functools.lru_cache(maxsize=1)
def default() -> LearnedCombiner:
    """The shipped combiner (``learned_combiner.json``)."""
    return load()


# --- fitting ----------------------------------------------------------------------------------------

def _weights(sources: Sequence[str], labels: np.ndarray, *, equal_sources: bool = True) -> np.ndarray:
    """Within a source, each class weighs the same; with ``equal_sources`` each source weighs the same too
    (else a source weighs by its number of rows). Weights average 1."""
    src = np.asarray(sources)
    w = np.zeros(len(labels))
    names = sorted(set(src.tolist()))
    for s in names:
        share = 1 / len(names) if equal_sources else float(np.mean(src == s))
        for cls in (True, False):
            m = (src == s) & (labels == cls)
            if m.any():
                w[m] = share / (2 * m.sum()) if ((src == s) & (labels != cls)).any() else share / m.sum()
    return w * len(labels)


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray, Any]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y, sample_weight=w)
    return mean, scale, model


def _folds(groups: Sequence[str], k: int = FOLDS, seed: int = 0) -> np.ndarray:
    """A fold number per row; every row of a group lands in the same fold."""
    uniq = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(uniq))
    fold_of = {g: int(order[i]) % k for i, g in enumerate(uniq)}
    return np.array([fold_of[g] for g in groups])


def cross_validated(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], *, sources: Sequence[str],
                    groups: Sequence[str], names: Sequence[str], c: float,
                    equal_sources: bool = True) -> dict[str, float]:
    """Out-of-fold AUROC per source of one setting (grouped ``FOLDS``-fold cross-validation).

    Returns:
        ``{source: AUROC}``.
    """
    x = np.array([[r[f] for f in names] for r in rows], dtype=float)
    y, src = np.asarray(labels, dtype=bool), np.asarray(sources)
    fold = _folds([f"{s}/{g}" for s, g in zip(sources, groups, strict=True)])
    pred = np.zeros(len(y))
    for k in range(FOLDS):
        tr = fold != k
        mean, scale, model = _fit(x[tr], y[tr], _weights(src[tr], y[tr], equal_sources=equal_sources), c)
        pred[~tr] = model.decision_function((x[~tr] - mean) / scale)
    return {s: round(evaluate.auroc(pred[src == s], y[src == s]), 4) for s in sorted(set(src.tolist()))}


def fit_and_select(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], *, sources: Sequence[str],
                   groups: Sequence[str]) -> LearnedCombiner:
    """Pick the feature set and ``C`` by cross-validation on train rows, then refit on all of them.

    Args:
        rows: :func:`feature_row` of each train answer.
        labels: True for supported answers.
        sources: which set each row came from (each weighs the same).
        groups: the unit that must not straddle folds (help topic, page, question).

    Returns:
        The refitted :class:`LearnedCombiner`, with the grid and its cross-validated AUROC in ``fitted``.
    """
    if not len(rows) == len(labels) == len(sources) == len(groups):
        raise ValueError("rows, labels, sources and groups must have the same length")
    grid: list[dict[str, Any]] = []
    for set_name, names in FEATURE_SETS.items():
        for equal in (True, False):
            for c in C_GRID:
                per = cross_validated(rows, labels, sources=sources, groups=groups, names=names, c=c, equal_sources=equal)
                grid.append({"features": set_name, "sources weigh the same": equal, "C": c, "cv_auroc": per,
                             "worst": min(per.values()), "mean": round(float(np.mean(list(per.values()))), 4)})
    best = max(grid, key=lambda g: (g["worst"], g["mean"], -g["C"]))
    names = FEATURE_SETS[best["features"]]
    x = np.array([[r[f] for f in names] for r in rows], dtype=float)
    y = np.asarray(labels, dtype=bool)
    mean, scale, model = _fit(x, y, _weights(sources, y, equal_sources=best["sources weigh the same"]), best["C"])
    fitted = {"rows": {s: int(np.sum(np.asarray(sources) == s)) for s in sorted(set(sources))},
              "model": "scikit-learn LogisticRegression, L2, standardised features; the classes weigh the same "
                       "within each source; sources weigh the same or by their rows (a setting)",
              "selection": f"grouped {FOLDS}-fold cross-validation on the train rows; the setting with the highest "
                           "worst-source out-of-fold AUROC (ties: higher mean, then smaller C)",
              "chosen": {k: best[k] for k in ("features", "sources weigh the same", "C", "cv_auroc")},
              "grid": [{k: g[k] for k in ("features", "sources weigh the same", "C", "worst", "mean")} for g in grid]}
    return LearnedCombiner(tuple(names), mean.tolist(), scale.tolist(), model.coef_[0].tolist(),
                           float(model.intercept_[0]), fitted)


def train_features(cache_dir: Path) -> tuple[list[dict[str, float]], list[bool], list[str], list[str]]:
    """Feature rows, labels, sources and groups of every train row (token support memoised in ``cache_dir``)."""
    from labkit.grounding import samples
    from labkit.grounding.score import run_detectors

    out: tuple[list[dict[str, float]], list[bool], list[str], list[str]] = ([], [], [], [])
    for source, rows in samples.train_sets().items():
        sup = lm_support.cached_support_scores([r["context"] for r in rows], [r["question"] for r in rows],
                                               [r["answer"] for r in rows], cache_dir=cache_dir)
        for r, t in zip(rows, sup, strict=True):
            det = run_detectors(r["context"], r["question"], r["answer"])
            out[0].append(feature_row(r["context"], r["question"], r["answer"], per_detector=det, support=t))
            out[1].append(bool(r["supported"]))
            out[2].append(source)
            out[3].append(str(r["group"]))
    return out


def main() -> None:
    """Refit from the train files and write ``learned_combiner.json`` (token support cached under ``.labkit/``)."""
    from labkit import data

    cache = Path(data.root()).parent / ".labkit" / "token_support"
    rows, labels, sources, groups = train_features(cache)
    model = fit_and_select(rows, labels, sources=sources, groups=groups)
    PATH.write_text(json.dumps(model.to_json(), indent=1) + "\n")
    print(f"wrote {PATH}: {model.fitted['chosen']}")


if __name__ == "__main__":
    main()
