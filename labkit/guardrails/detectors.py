"""Learned detectors for prompt injection and jailbreaks, trained at first use on the shipped train split.

* :class:`ClassifierGuard` — TF-IDF over words and character n-grams into a logistic regression
  (scikit-learn), fitted on ``datasets/attacks`` and ``datasets/benign`` (train split only).
* :class:`SimilarityGuard` — nearest neighbours: is the prompt closer to a known attack than to any
  known benign prompt (banks from the same train split)? Two representations of a prompt:
  ``"words"`` (default; word 1–2-gram TF-IDF, cosine, under a millisecond) and ``"minilm"``
  (all-MiniLM-L6-v2 sentence embeddings via :mod:`labkit.embed`, tens of milliseconds on 2 cores).
  The default was chosen on the *train* split, out of fold (never on the test split): in the layer
  MiniLM catches at most two points more train attacks at the same false-positive rate (84.8 % vs
  86.1 % with the issue-20 benign rows), for many times the cost, so the cheap one wins.
* :class:`PromptGuardrailGuard` — the third-party ``prompt-guardrail`` TF-IDF model, as a baseline.
  Its training data are not published, so a good score on our test set may be memorised; it is
  not in the default pipeline.

Thresholds are chosen without the test split: the train split is cut into folds by *group* (a
jailbreak template and everything built from it stay in one fold), every train row is scored by
models that never saw its fold, and each guard's block threshold is the score that lets through
all but ``target_fpr`` of the benign train prompts. The fitted model is cached on disk (keyed by a
hash of the data and the settings), so only the first use pays for training (seconds) and for
embedding the bank.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labkit import config, data, embed
from labkit.guardrails.core import Guard, GuardContext, Verdict
from labkit.guardrails.evaluate import wilson
from labkit.guardrails.heuristics import heuristic_score
from labkit.guardrails.normalize import normalize

__all__ = ["ClassifierGuard", "DetectorModel", "MiniLM", "PromptGuardrailGuard", "SimilarityGuard", "default_model",
           "WordGrams", "fit", "representation", "training_rows", "windows"]

MODEL_VERSION = "g4-detectors-7"
REPRESENTATIONS = ("words", "minilm")
# The shipped detector's fit settings (``default_model``); they are part of its cache key.
DEFAULT_SETTINGS: dict[str, Any] = {"folds": 4, "layer_fpr": 0.03, "flag_fpr": 0.05, "escalate_share": 0.05,
                                    "window_words": 48}
_lock = threading.Lock()
_defaults: dict[str, DetectorModel] = {}  # fitted default detectors, by representation


def cache_dir() -> Path:
    """Where fitted detectors are cached: ``$LABKIT_CACHE/guardrails`` (default ``~/.cache/labkit``)."""
    return config.cache_dir() / "guardrails"


def training_rows() -> list[dict[str, Any]]:
    """The train split of the shipped attack and benign sets, plus the golden questions of the *dev* split
    as in-domain benign traffic (the golden *test* split is only ever evaluated on)."""
    rows = data.records("attacks", split="train") + data.records("benign", split="train")
    if "golden" in data.names():
        rows += [{"id": r["id"], "text": r["question"], "label": "benign", "kind": "golden"}
                 for r in data.records("golden") if r.get("split") == "dev"]
    return rows


def windows(text: str, words: int) -> list[str]:
    """The first ``words`` words of ``text``, and the last ``words`` too when the text is longer.

    The embedding model reads 256 word pieces at most and costs time per piece, so the guard embeds
    a head and a tail window: jailbreak set-ups sit at the start, injected orders often at the end.
    """
    parts = text.split()
    if len(parts) <= words:
        return [" ".join(parts)]
    return [" ".join(parts[:words]), " ".join(parts[-words:])]


def _group(row: dict[str, Any]) -> str:
    return str(row.get("group") or row.get("family") or row["text"]) if row["label"] == "attack" else row["text"]


def _fold(key: str, folds: int) -> int:
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % folds


class WordGrams:
    """Word 1–2-gram TF-IDF vectors (L2-normalised, sparse): a prompt representation that costs under a
    millisecond and needs no model. Fitted on texts (vocabulary and IDF); no labels are used. Every word
    seen once is kept (``min_df=1``): a rare word shared with a known attack template is the signal."""

    name = "words"

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                                          token_pattern=r"(?u)\b\w+\b", dtype=np.float32)

    def fit(self, texts: list[str]) -> WordGrams:
        self.vectorizer.fit(texts)
        return self

    def encode(self, texts: list[str]) -> Any:
        return self.vectorizer.transform(texts).tocsr()


class MiniLM:
    """all-MiniLM-L6-v2 sentence embeddings (384-d, normalised) from :mod:`labkit.embed`; nothing to fit."""

    name = "minilm"

    def fit(self, texts: list[str]) -> MiniLM:
        return self

    def encode(self, texts: list[str]) -> np.ndarray:
        return embed.encode(texts, batch_size=64)


def representation(name: str) -> WordGrams | MiniLM:
    """A new, unfitted prompt representation by name: "words" or "minilm"."""
    if name == "words":
        return WordGrams()
    if name == "minilm":
        return MiniLM()
    raise ValueError(f"unknown representation {name!r}; use one of {', '.join(REPRESENTATIONS)}")


def _cosines(a: Any, b: Any) -> np.ndarray:
    """Dot products of the rows of ``a`` and ``b`` (normalised rows, so cosines), dense or sparse."""
    out = a @ b.T
    return np.asarray(out.toarray() if hasattr(out, "toarray") else out, dtype=np.float32)


def _rows(x: Any, mask: np.ndarray) -> Any:
    return x[np.flatnonzero(mask)]


def _make_classifier() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True,
                                  token_pattern=r"(?u)\b\w+\b", max_features=40_000)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True,
                                  max_features=60_000)),
    ])
    return make_pipeline(features, LogisticRegression(C=16.0, class_weight="balanced", max_iter=3000))


def _threshold(benign_scores: np.ndarray, fpr: float, floor: float) -> float:
    """The lowest threshold at which at most ``fpr`` of the benign scores reach it."""
    s = np.sort(np.asarray(benign_scores, dtype=float))[::-1]
    allowed = int(np.floor(fpr * len(s)))
    t = float(s[allowed]) + 1e-6 if allowed < len(s) else float(s[-1])
    return max(t, floor)


@dataclass
class DetectorModel:
    """A fitted classifier, an attack bank and their thresholds.

    Attributes:
        classifier: the scikit-learn pipeline (text -> P(attack)).
        representation: the fitted prompt representation (:class:`WordGrams` or :class:`MiniLM`).
        bank: the train attacks' windows in that representation, one normalised row each (sparse for
            "words", a (n, 384) array for "minilm").
        bank_ids: the train row id of each bank vector.
        benign_bank / benign_ids: the same for the benign train prompts (the similarity score is a margin:
            nearest attack against nearest benign prompt).
        thresholds: per guard, the "block" and "flag" score thresholds.
        calibration: out-of-fold rates on the train split that fixed the thresholds.
        settings: window size, folds and target false-positive rates used.
        data_hash: hash of the training data and settings (the cache key).
    """

    classifier: Any
    representation: Any
    bank: Any
    bank_ids: list[str]
    benign_bank: Any
    benign_ids: list[str]
    thresholds: dict[str, dict[str, float]]
    calibration: dict[str, Any]
    settings: dict[str, Any]
    data_hash: str
    extra: dict[str, Any] = field(default_factory=dict)

    def classifier_scores(self, texts: list[str]) -> np.ndarray:
        """P(attack) for each text."""
        return np.asarray(self.classifier.predict_proba(texts)[:, 1], dtype=float)

    def similarity(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For each text: the margin score, the cosine to the nearest attack and to the nearest benign
        prompt, and the index of the nearest attack in the bank."""
        v = self.representation.encode(list(texts))
        att = _cosines(v, self.bank)
        nearest = att.argmax(axis=1)
        best_att = att[np.arange(len(nearest)), nearest]
        best_ben = _cosines(v, self.benign_bank).max(axis=1)
        return (best_att - best_ben + 1) / 2, best_att, best_ben, nearest


def _margin(query: Any, attacks: Any, benign: Any) -> np.ndarray:
    """How much closer each query is to the nearest attack than to the nearest benign prompt, in [0, 1].

    ``(cos(nearest attack) - cos(nearest benign) + 1) / 2``: 0.5 means equally close to both. A prompt
    that merely shares a topic with attacks ("kill the process") is usually closer still to a benign one.
    """
    return (_cosines(query, attacks).max(axis=1) - _cosines(query, benign).max(axis=1) + 1) / 2


def _hash(rows: list[dict[str, Any]], settings: dict[str, Any]) -> str:
    h = hashlib.sha1(MODEL_VERSION.encode())
    h.update(json.dumps(settings, sort_keys=True).encode())
    for r in rows:
        h.update(f"{r.get('id')}\x00{r['label']}\x00{r['text']}\x01".encode())
    return h.hexdigest()[:16]


def _fit_texts(rows: list[dict[str, Any]]) -> tuple[list[str], np.ndarray, list[str]]:
    # Encoded attacks are left to the normaliser: training on base64 noise would teach the
    # classifier that any base64 is an attack.
    kept = [r for r in rows if r.get("kind") != "encoded"]
    texts = [normalize(r["text"]).text for r in kept]
    labels = np.array([1 if r["label"] == "attack" else 0 for r in kept])
    groups = [_group(r) for r in kept]
    return texts, labels, groups


def _heuristics(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The pattern score of each text (best view) and whether that best match was in a decoded view."""
    best, decoded = np.zeros(len(texts)), np.zeros(len(texts), dtype=bool)
    for i, t in enumerate(texts):
        for v in normalize(t).views:
            score = heuristic_score(v.text)[0]
            if score > best[i]:
                best[i], decoded[i] = score, v.kind != "canonical"
    return best, decoded


def fit(rows: list[dict[str, Any]] | None = None, folds: int = 4, layer_fpr: float = 0.03, *, flag_fpr: float = 0.05,
        escalate_share: float = 0.05, window_words: int = 48, represent: str = "words",
        progress: bool = False) -> DetectorModel:
    """Fit the classifier and the attack bank, and choose thresholds out of fold.

    The block thresholds give the classifier and the similarity guard the same false-positive rate
    ``q`` on benign train prompts (out of fold), with ``q`` as large as it can be while the layer as a
    whole (these two, the similarity guard only when escalated, and the fixed pattern heuristics)
    stays within ``layer_fpr`` *with confidence*: the upper end of the 95 % Wilson interval of its
    out-of-fold false-positive rate must not exceed ``layer_fpr``. New traffic is never exactly the
    training traffic, so the point estimate alone would land on the target only half of the time.

    Args:
        rows: labelled rows (``text``, ``label`` "attack"/"benign", optional ``group``); the shipped
            train split by default. Never pass the test split here.
        folds: folds for out-of-fold scoring (grouped, so one template never straddles two folds).
        layer_fpr: the false-positive rate the layer must stay within (upper 95 % bound, out of fold).
        flag_fpr: each guard flags at most this share.
        escalate_share: the similarity guard runs only for prompts the classifier scores in the top
            ``escalate_share`` of benign train prompts (or that the normaliser or heuristics flag).
        window_words: words per window of a prompt compared with the banks (see :func:`windows`).
        represent: how the similarity guard represents a prompt: "words" or "minilm" (see
            :func:`representation`). A representation that learns from text (the TF-IDF vocabulary) is
            fitted inside each fold too, so out-of-fold scores never see the held-out fold.
        progress: print what is happening.

    Returns:
        A :class:`DetectorModel`.
    """
    if rows is None:
        rows = training_rows()
    if folds < 2:
        raise ValueError(f"folds must be >= 2, got {folds}")
    if not 0 < layer_fpr <= flag_fpr < 1:
        raise ValueError(f"need 0 < layer_fpr <= flag_fpr < 1, got {layer_fpr}, {flag_fpr}")
    if not 0 < escalate_share <= 1:
        raise ValueError(f"escalate_share must be in (0, 1], got {escalate_share}")
    labels_seen = {r.get("label") for r in rows}
    if labels_seen - {"attack", "benign"} or len(labels_seen) < 2:
        raise ValueError(f"rows need labels 'attack' and 'benign', got {sorted(map(str, labels_seen))}")
    if window_words < 1:
        raise ValueError(f"window_words must be >= 1, got {window_words}")
    representation(represent)  # validates the name before any work
    settings = {"folds": folds, "layer_fpr": layer_fpr, "flag_fpr": flag_fpr, "escalate_share": escalate_share,
                "window_words": window_words, "represent": represent}
    texts, y, groups = _fit_texts(rows)
    fold_of = np.array([_fold(g, folds) for g in groups])

    win: list[str] = []
    owner: list[int] = []
    for i, t in enumerate(texts):
        for w in windows(t, window_words):
            win.append(w)
            owner.append(i)
    owner_arr = np.array(owner)
    if progress:
        print(f"representing {len(win)} windows of {len(texts)} train texts ({represent}) ...", flush=True)
    fixed = representation(represent) if represent == "minilm" else None
    fixed_vecs = fixed.encode(win) if fixed is not None else None

    if progress:
        print("out-of-fold scoring ...", flush=True)
    oof_clf = np.zeros(len(texts))
    oof_sim = np.zeros(len(texts))  # margins live in [0, 1]; 0 is "no window scored yet"
    attack_win = y[owner_arr] == 1
    for f in range(folds):
        test_idx = np.where(fold_of == f)[0]
        train_idx = np.where(fold_of != f)[0]
        if len(set(y[train_idx])) < 2 or not len(test_idx):
            continue
        clf = _make_classifier().fit([texts[i] for i in train_idx], y[train_idx])
        oof_clf[test_idx] = clf.predict_proba([texts[i] for i in test_idx])[:, 1]
        others = fold_of[owner_arr] != f
        query = np.isin(owner_arr, test_idx)
        if fixed_vecs is not None:
            vecs = fixed_vecs
        else:
            vecs = representation(represent).fit([texts[i] for i in train_idx]).encode(win)
        margin = _margin(_rows(vecs, query), _rows(vecs, attack_win & others), _rows(vecs, ~attack_win & others))
        for row_i, s in zip(owner_arr[query], margin, strict=True):
            oof_sim[row_i] = max(oof_sim[row_i], s)

    benign = y == 0

    heur, heur_decoded = _heuristics(texts)
    escalate_at = float(np.quantile(oof_clf[benign], 1 - escalate_share))
    escalated = (oof_clf >= escalate_at) | (heur >= 0.4)
    # Second stage: a pattern match in plain text blocks only when the classifier is at least as unsure as
    # the prompts it escalates ("what is a jailbreak in iOS?" matches a pattern, but reads as benign).
    patterns = (heur >= 0.7) & ((oof_clf >= escalate_at) | heur_decoded)
    chosen = None
    for q in np.arange(0.0025, 0.0501, 0.0025):
        tc, ts = _threshold(oof_clf[benign], q, 0.5), _threshold(oof_sim[benign], q, 0.5)
        fired = (oof_clf >= tc) | ((oof_sim >= ts) & escalated) | patterns
        if wilson(int(fired[benign].sum()), int(benign.sum()))[1] > layer_fpr:
            break
        chosen = (float(q), tc, ts, fired)
    if chosen is None:
        raise ValueError(f"no threshold keeps the layer within layer_fpr={layer_fpr} on these rows; raise it")
    q, tc, ts, fired = chosen
    thresholds = {
        "classifier": {"block": tc, "flag": _threshold(oof_clf[benign], flag_fpr, 0.3)},
        "similarity": {"block": ts, "flag": _threshold(oof_sim[benign], flag_fpr, 0.5), "escalate_at": escalate_at},
        "heuristics": {"confirm_at": escalate_at},
    }
    calibration: dict[str, Any] = {
        name: {"oof_fpr": float((scores[benign] >= thresholds[name]["block"]).mean()),
               "oof_detection": float((scores[~benign] >= thresholds[name]["block"]).mean()),
               "n_benign": int(benign.sum()), "n_attack": int((~benign).sum())}
        for name, scores in (("classifier", oof_clf), ("similarity", oof_sim))
    }
    calibration["layer"] = {"per_guard_fpr": q, "oof_fpr": float(fired[benign].mean()),
                            "oof_fpr_ci95_high": wilson(int(fired[benign].sum()), int(benign.sum()))[1],
                            "oof_detection": float(fired[~benign].mean()),
                            "escalated_benign": float(escalated[benign].mean()),
                            "patterns_unconfirmed_benign": int(((heur >= 0.7) & ~patterns)[benign].sum()),
                            "patterns_unconfirmed_attack": int(((heur >= 0.7) & ~patterns)[~benign].sum())}
    final = _make_classifier().fit(texts, y)
    rep = representation(represent).fit(texts)
    vecs = fixed_vecs if fixed_vecs is not None else rep.encode(win)
    kept = [r for r in rows if r.get("kind") != "encoded"]
    ids = [str(r.get("id", i)) for i, r in enumerate(kept)]
    oof = {"id": ids, "kind": [str(r.get("kind", "")) for r in kept], "label": y.tolist(),
           "classifier": oof_clf.round(5).tolist(), "similarity": oof_sim.round(5).tolist()}
    return DetectorModel(
        classifier=final, representation=rep, bank=_rows(vecs, attack_win),
        bank_ids=[ids[i] for i in owner_arr[attack_win]],
        benign_bank=_rows(vecs, ~attack_win),
        benign_ids=[ids[i] for i in owner_arr[~attack_win]], thresholds=thresholds, calibration=calibration,
        settings=settings, data_hash=_hash(rows, settings), extra={"oof": oof},
    )


def default_model(represent: str = "words", progress: bool = False) -> DetectorModel:
    """The detector fitted on the shipped train split: loaded from the cache, or fitted and cached now.

    Args:
        represent: the similarity guard's prompt representation, "words" (default) or "minilm".
        progress: print progress while fitting (first use only).
    """
    representation(represent)
    with _lock:
        if represent in _defaults:
            return _defaults[represent]
        import joblib

        rows = training_rows()
        settings = {**DEFAULT_SETTINGS, "represent": represent}
        key = _hash(rows, settings)
        path = cache_dir() / f"detector-{key}.joblib"
        model: DetectorModel | None = None
        if path.exists():
            try:
                model = joblib.load(path)
            except Exception:  # a corrupt or incompatible cache file: refit
                model = None
        if model is None or model.data_hash != key:
            model = fit(rows, progress=progress, **settings)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            joblib.dump(model, tmp)
            os.replace(tmp, path)
        _defaults[represent] = model
        return model


def _readings(text: str, ctx: GuardContext) -> list[tuple[str, str]]:
    return [(v.kind, v.text) for v in ctx.views] if ctx.views else [("canonical", text)]


class ClassifierGuard(Guard):
    """A small offline classifier (TF-IDF + logistic regression) trained on the shipped train split.

    Args:
        model: a fitted :class:`DetectorModel`; the shared default (trained at first use) when None.
        block_at / flag_at: override the calibrated thresholds.
        max_chars: classify at most this many characters of each view.
    """

    name = "classifier"

    def __init__(self, model: DetectorModel | None = None, block_at: float | None = None,
                 flag_at: float | None = None, *, max_chars: int = 20_000) -> None:
        self._model = model
        self._block_at, self._flag_at, self.max_chars = block_at, flag_at, max_chars

    @property
    def model(self) -> DetectorModel:
        if self._model is None:
            self._model = default_model()
        return self._model

    def warm_up(self) -> None:
        self.model.classifier_scores(["warm up"])

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        readings = _readings(text, ctx)
        scores = self.model.classifier_scores([t[: self.max_chars] for _, t in readings])
        i = int(scores.argmax())
        score, kind = float(scores[i]), readings[i][0]
        th = self.model.thresholds["classifier"]
        block_at = self._block_at if self._block_at is not None else th["block"]
        flag_at = self._flag_at if self._flag_at is not None else th["flag"]
        where = "" if kind == "canonical" else f" in the {kind}-decoded text"
        if score >= block_at:
            return self.block(f"classifier P(attack)={score:.2f}{where} >= {block_at:.2f}", score, view=kind)
        if score >= flag_at:
            return self.flag(f"classifier P(attack)={score:.2f}{where}", score, view=kind)
        return self.allow(f"classifier P(attack)={score:.2f}", score, view=kind)


class SimilarityGuard(Guard):
    """Nearest-neighbour check: is the prompt closer to a known attack than to any known benign prompt?
    Banks come from the train split; the score is the margin (see ``_margin``); the prompt's
    representation (word n-grams by default, or MiniLM) is the model's.

    Args:
        model: a fitted :class:`DetectorModel`; the shared default when None.
        block_at / flag_at: override the calibrated thresholds.
        max_views: compare at most this many views (the canonical text first).
        cascade: run the comparison only when a cheaper guard is unsure: the classifier's
            score reached the model's ``escalate_at`` threshold, the heuristics flagged, or the
            normaliser decoded something. Otherwise allow at once with the reason "skipped". Without
            a classifier earlier in the pipeline, it always runs.
    """

    name = "similarity"

    def __init__(self, model: DetectorModel | None = None, block_at: float | None = None,
                 flag_at: float | None = None, *, max_views: int = 3, cascade: bool = True) -> None:
        if max_views < 1:
            raise ValueError(f"max_views must be >= 1, got {max_views}")
        self._model = model
        self._block_at, self._flag_at, self.max_views = block_at, flag_at, max_views
        self.cascade = cascade

    @property
    def model(self) -> DetectorModel:
        if self._model is None:
            self._model = default_model()
        return self._model

    def warm_up(self) -> None:
        self.model.similarity(["warm up the representation"])

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        if self.cascade and "classifier" in ctx.scores:
            esc = float(self.model.thresholds["similarity"].get("escalate_at", 0.0))
            decoded = any(v.kind != "canonical" for v in ctx.views)
            if ctx.scores["classifier"] < esc and ctx.scores.get("heuristics", 0.0) < 0.4 and not decoded:
                return self.allow(f"skipped: classifier sure enough (P(attack)={ctx.scores['classifier']:.2f} "
                                  f"< {esc:.2f})", 0.0, skipped=True)
        words = int(self.model.settings["window_words"])
        pieces: list[tuple[str, str]] = []
        for kind, t in _readings(text, ctx)[: self.max_views]:
            pieces.extend((kind, w) for w in windows(t, words) if w)
        if not pieces:
            return self.allow("nothing to compare", 0.0)
        margins, att, ben, nearest = self.model.similarity([w for _, w in pieces])
        i = int(margins.argmax())
        score, kind = float(margins[i]), pieces[i][0]
        near_id = self.model.bank_ids[int(nearest[i])]
        cos = f"cosine {att[i]:.2f} to attack {near_id} vs {ben[i]:.2f} to nearest benign"
        th = self.model.thresholds["similarity"]
        block_at = self._block_at if self._block_at is not None else th["block"]
        flag_at = self._flag_at if self._flag_at is not None else th["flag"]
        where = "" if kind == "canonical" else f" ({kind}-decoded)"
        if score >= block_at:
            return self.block(f"{cos}{where}: margin {score:.2f} >= {block_at:.2f}", score, nearest=near_id, view=kind)
        if score >= flag_at:
            return self.flag(f"{cos}{where}: margin {score:.2f}", score, nearest=near_id, view=kind)
        return self.allow(f"{cos}: margin {score:.2f}", score, nearest=near_id)


class PromptGuardrailGuard(Guard):
    """The ``prompt-guardrail`` package's TF-IDF + logistic-regression model (Apache-2.0), as a baseline.

    Args:
        block_at: block when P(injection) reaches this.
    """

    name = "prompt_guardrail"

    def __init__(self, block_at: float = 0.5) -> None:
        if not 0 < block_at <= 1:
            raise ValueError(f"block_at must be in (0, 1], got {block_at}")
        self.block_at = block_at
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is None:
            try:
                from guardify.guardrails.logistic_regression import LogisticRegressionGuardrail
            except ImportError:
                raise ImportError("prompt-guardrail is not installed; run `make setup` "
                                  "(it is pinned in requirements.lock)") from None
            self._model = LogisticRegressionGuardrail()

    def check(self, text: str, ctx: GuardContext) -> Verdict:
        self.warm_up()
        best, kind = 0.0, "canonical"
        for k, t in _readings(text, ctx):
            r = self._model.predict(t)
            p = float(r["score"]) if r["label"] == "injection" else 1.0 - float(r["score"])
            if p > best:
                best, kind = p, k
        if best >= self.block_at:
            return self.block(f"prompt-guardrail P(injection)={best:.2f}", best, view=kind)
        return self.allow(f"prompt-guardrail P(injection)={best:.2f}", best)
