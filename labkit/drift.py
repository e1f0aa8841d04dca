"""Drift and training-serving skew: detectors on sliding windows of traffic, and a start-up check that
the query side embeds like the index side.

Drift detectors compare a *window* of recent traffic with a *reference* window:

* scalar features (question length, the best similarity to the knowledge base):
  :class:`PSI` (population stability index on the reference's quantile bins) and :class:`KSTest`
  (two-sample Kolmogorov-Smirnov, ``scipy.stats.ks_2samp``);
* text, through its embeddings: :class:`MMD` (maximum mean discrepancy, RBF kernel, permutation test)
  and :class:`DomainClassifier` (can a linear classifier tell window from reference? its cross-validated
  AUC; 0.5 means no).

:func:`monitor` slides a window over the traffic and applies a detector's alert rule; :class:`Trace`
says when it first alerted, with what delay after a known onset, and how many false alarms it raised.

Skew: :func:`check_serving` compares what the index was built with (a :class:`labkit.lineage.LineageStore`
manifest) with the embedder the service is about to use, and raises :class:`SkewError` at start-up when
they differ - by version string or, for a silent change, by the vectors of a few probe sentences.
:func:`retrieval_recall` measures what skew costs on the golden set.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from labkit.errors import LabkitError
from labkit.lineage import Embedder

if TYPE_CHECKING:
    import pandas as pd

    from labkit.lineage import LineageStore
    from labkit.traffic import Request


class SkewError(LabkitError):
    """The serving side would embed or preprocess queries differently from how the index was built."""


# --------------------------------------------------------------------------------------------
# Detectors
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Score:
    """One comparison of a window with the reference.

    Attributes:
        statistic: the detector's statistic (PSI, KS D, MMD², AUC).
        p_value: for tests (KS, MMD); None otherwise.
        alert: whether this window crosses the detector's threshold.
    """

    statistic: float
    p_value: float | None
    alert: bool


class Detector(Protocol):
    """What :func:`monitor` needs of a detector. A detector may also offer ``bind(reference)`` returning a
    function of the window, to prepare the reference once (MMD and the classifier do)."""

    name: str
    vector: bool  # True: takes embeddings (n, d); False: one number per request

    def score(self, reference: np.ndarray, window: np.ndarray) -> Score: ...

    def rule(self) -> str: ...


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10, eps: float = 1e-4) -> float:
    """Population stability index of ``current`` against ``reference``.

    Bins are the reference's quantiles (so each holds ~1/bins of the reference); values outside its range
    fall in the first or last bin. PSI = sum over bins of (c - r) * ln(c / r), with shares floored at ``eps``.

    Args:
        reference, current: 1-D samples.
        bins: number of quantile bins (>= 2).
        eps: floor for empty bins (keeps the log finite).

    Returns:
        PSI >= 0; a common reading is < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift.
    """
    ref = np.asarray(reference, dtype=np.float64).ravel()
    cur = np.asarray(current, dtype=np.float64).ravel()
    if ref.size == 0 or cur.size == 0:
        raise ValueError("psi() needs non-empty reference and current samples")
    if bins < 2:
        raise ValueError(f"bins must be >= 2, got {bins}")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1])
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1) / ref.size
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1) / cur.size
    r, c = np.maximum(r, eps), np.maximum(c, eps)
    return float(np.sum((c - r) * np.log(c / r)))


@dataclass(frozen=True)
class PSI:
    """Population stability index on one scalar feature; alerts when PSI > ``threshold``.

    Five bins, not the customary ten: with ~150 requests per window, sampling noise alone gives a PSI of
    about (bins - 1) / n on average, and ten bins pushed stable windows past 0.25 in calibration.
    """

    threshold: float = 0.25
    bins: int = 5
    name: str = "PSI"
    vector: bool = False

    def score(self, reference: np.ndarray, window: np.ndarray) -> Score:
        value = psi(reference, window, self.bins)
        return Score(value, None, value > self.threshold)

    def rule(self) -> str:
        return f"PSI > {self.threshold:g}"


@dataclass(frozen=True)
class KSTest:
    """Two-sample Kolmogorov-Smirnov test on one scalar feature; alerts when p < ``alpha``.

    ``alpha`` is small because a monitor runs the test on every window: at alpha = 0.05 a stable week of
    hourly windows would alarm several times by chance alone.
    """

    alpha: float = 1e-4
    name: str = "KS"
    vector: bool = False

    def score(self, reference: np.ndarray, window: np.ndarray) -> Score:
        from scipy import stats

        res = stats.ks_2samp(np.asarray(reference, dtype=np.float64), np.asarray(window, dtype=np.float64))
        p = float(res.pvalue)  # type: ignore[attr-defined]
        return Score(float(res.statistic), p, p < self.alpha)  # type: ignore[attr-defined]

    def rule(self) -> str:
        return f"p < {self.alpha:g}"


def _subsample(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return x if len(x) <= n else x[rng.choice(len(x), n, replace=False)]


def mmd_permutation_test(x: np.ndarray, y: np.ndarray, permutations: int = 500, bandwidth: float | None = None,
                         seed: int = 0, stop_above: float | None = None) -> tuple[float, float, float]:
    """Maximum mean discrepancy between samples ``x`` and ``y`` with an RBF kernel, and its permutation p-value.

    MMD² is the (biased) squared distance between the two samples' mean embeddings in the kernel's feature
    space: 0 when they come from one distribution. The p-value is the share of random relabellings of the
    pooled sample with an MMD² at least as large.

    Args:
        x, y: arrays (n, d) and (m, d).
        permutations: relabellings (the smallest p-value possible is 1 / (permutations + 1)).
        bandwidth: RBF sigma; the median pairwise distance of ``x`` when None.
        seed: for the permutations.
        stop_above: stop early once the p-value is sure to be >= this (a sequential test: windows
            without drift cost a fraction of the permutations); the p-value returned is then an estimate.

    Returns:
        (MMD², p-value, bandwidth used).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"need two 2-D arrays with the same width, got {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError("each sample needs at least 2 rows")
    if permutations < 1:
        raise ValueError(f"permutations must be >= 1, got {permutations}")
    z = np.vstack([x, y])
    sq = np.sum(z * z, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * z @ z.T, 0.0)
    if bandwidth is None:
        n = len(x)
        ref_d = d2[:n, :n][np.triu_indices(n, 1)]
        bandwidth = float(np.sqrt(np.median(ref_d))) or 1.0
    k = np.exp(-d2 / (2.0 * bandwidth ** 2))
    n, m = len(x), len(y)
    w = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
    observed = float(w @ k @ w)
    rng = np.random.default_rng(seed)
    exceed, done = 0, 0
    while done < permutations:
        batch = min(100, permutations - done)
        perms = np.stack([rng.permutation(w) for _ in range(batch)], axis=1)  # (n+m, batch)
        exceed += int(np.sum(np.einsum("ip,ip->p", perms, k @ perms) >= observed - 1e-12))
        done += batch
        if stop_above is not None and (1.0 + exceed) / (permutations + 1.0) >= stop_above:
            break  # the p-value can no longer fall below stop_above: no need to finish
    return observed, (1.0 + exceed) / (done + 1.0), bandwidth


@dataclass(frozen=True)
class MMD:
    """Maximum mean discrepancy on embeddings with a permutation test; alerts when p < ``alpha``.

    The reference is subsampled once to ``max_reference`` rows (its median distance sets the kernel
    width) and each window to ``max_window`` rows: a test costs O((n + m)² x permutations).
    """

    alpha: float = 0.001
    permutations: int = 1000
    max_reference: int = 250
    max_window: int = 200
    seed: int = 0
    name: str = "MMD"
    vector: bool = True

    def bind(self, reference: np.ndarray) -> Callable[[np.ndarray], Score]:
        """Prepare the reference once; returns window -> :class:`Score`."""
        ref = _subsample(np.asarray(reference, dtype=np.float64), self.max_reference, np.random.default_rng(self.seed))
        sq = np.sum(ref * ref, axis=1)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * ref @ ref.T, 0.0)
        bandwidth = float(np.sqrt(np.median(d2[np.triu_indices(len(ref), 1)]))) or 1.0

        def score(window: np.ndarray) -> Score:
            win = _subsample(np.asarray(window, dtype=np.float64), self.max_window, np.random.default_rng(self.seed))
            stat, p, _ = mmd_permutation_test(ref, win, self.permutations, bandwidth, self.seed, stop_above=self.alpha)
            return Score(stat, p, p < self.alpha)

        return score

    def score(self, reference: np.ndarray, window: np.ndarray) -> Score:
        return self.bind(reference)(window)

    def rule(self) -> str:
        return f"permutation p < {self.alpha:g} ({self.permutations} permutations)"


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula; ties count half."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    n1 = int(positive.sum())
    n0 = positive.size - n1
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def domain_classifier_auc(reference: np.ndarray, window: np.ndarray, folds: int = 3, ridge: float = 1.0,
                          seed: int = 0) -> float:
    """Cross-validated ROC AUC of a linear classifier that tells ``window`` rows from ``reference`` rows.

    The classifier is ridge regression on ±1 labels with both classes weighted equally (closed form, so a
    week of hourly windows takes seconds). Each row is scored by a model that did not see it in training:
    an AUC near 0.5 means the two cannot be told apart (no drift), near 1.0 that they can (drift).

    Args:
        reference, window: arrays (n, d) and (m, d).
        folds: cross-validation folds (stratified).
        ridge: L2 penalty (larger is smoother).
        seed: for the fold assignment.
    """
    reference = np.asarray(reference, dtype=np.float64)
    window = np.asarray(window, dtype=np.float64)
    if reference.ndim != 2 or window.ndim != 2 or reference.shape[1] != window.shape[1]:
        raise ValueError(f"need two 2-D arrays with the same width, got {reference.shape} and {window.shape}")
    if min(len(reference), len(window)) < folds or folds < 2:
        raise ValueError(f"need folds >= 2 and at least {folds} rows on each side")
    x = np.vstack([reference, window])
    positive = np.concatenate([np.zeros(len(reference), bool), np.ones(len(window), bool)])
    y = np.where(positive, 1.0, -1.0)
    weight = np.where(positive, 0.5 / len(window), 0.5 / len(reference))
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=int)
    for cls in (False, True):
        idx = np.flatnonzero(positive == cls)
        fold[rng.permutation(idx)] = np.arange(idx.size) % folds
    scores = np.empty(len(y))
    d = x.shape[1]
    for f in range(folds):
        train, test = fold != f, fold == f
        w = weight[train] / weight[train].sum()
        mu = w @ x[train]
        xc = x[train] - mu
        coef = np.linalg.solve(xc.T @ (xc * w[:, None]) + ridge / len(xc) * np.eye(d), xc.T @ (w * y[train]))
        scores[test] = (x[test] - mu) @ coef
    return _auc(scores, positive)


@dataclass(frozen=True)
class DomainClassifier:
    """Domain-classifier drift detector on embeddings; alerts when the cross-validated AUC > ``threshold``.

    Embeddings are first projected on the reference's top ``components`` principal directions (fewer
    dimensions: a faster and less over-fitted classifier). Note the ceiling: if only a share ``s`` of the
    window drifted, even a perfect classifier reaches an AUC of about 0.5 + s / 2 - set the threshold for
    the smallest share you need to catch.
    """

    threshold: float = 0.65
    components: int = 32
    folds: int = 3
    ridge: float = 1.0
    max_reference: int = 400
    max_window: int = 300
    seed: int = 0
    name: str = "Classifier AUC"
    vector: bool = True

    def bind(self, reference: np.ndarray) -> Callable[[np.ndarray], Score]:
        """Prepare the reference once (subsample, principal directions); returns window -> :class:`Score`."""
        ref = _subsample(np.asarray(reference, dtype=np.float64), self.max_reference, np.random.default_rng(self.seed))
        mu = ref.mean(axis=0)
        _, _, vt = np.linalg.svd(ref - mu, full_matrices=False)
        basis = vt[: self.components].T
        ref_p = (ref - mu) @ basis

        def score(window: np.ndarray) -> Score:
            win = _subsample(np.asarray(window, dtype=np.float64), self.max_window, np.random.default_rng(self.seed))
            auc = domain_classifier_auc(ref_p, (win - mu) @ basis, self.folds, self.ridge, self.seed)
            return Score(auc, None, auc > self.threshold)

        return score

    def score(self, reference: np.ndarray, window: np.ndarray) -> Score:
        return self.bind(reference)(window)

    def rule(self) -> str:
        return f"AUC > {self.threshold:g}"


# --------------------------------------------------------------------------------------------
# Sliding windows
# --------------------------------------------------------------------------------------------
@dataclass
class Trace:
    """A detector's statistic and alerts over sliding windows.

    Attributes:
        name: detector and feature, e.g. ``PSI(kb_similarity)``.
        rule: the alert rule in words.
        times: window end, virtual hours (a window covers ``[t - window_hours, t)``).
        statistic, p_value: per window (NaN where the window had too few requests).
        alert: per window, after the ``patience`` rule.
        n: requests per window.
    """

    name: str
    rule: str
    times: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    alert: np.ndarray
    n: np.ndarray
    reference: tuple[float, float]
    window_hours: float
    threshold: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def alert_times(self) -> np.ndarray:
        return self.times[self.alert]

    def first_alert(self, after: float = -math.inf) -> float | None:
        """Time (hours) of the first alert at or after ``after``."""
        t = self.times[self.alert & (self.times >= after)]
        return float(t[0]) if t.size else None

    def delay(self, onset: float) -> float | None:
        """Hours from ``onset`` to the first alert at or after it (None: never detected)."""
        first = self.first_alert(onset)
        return None if first is None else first - onset

    def false_alarms(self, onset: float | None = None) -> int:
        """Alarm episodes (runs of consecutive alerting windows) that start before ``onset``
        (all of them when there is no drift, ``onset=None``)."""
        a = self.alert & (self.times < onset) if onset is not None else self.alert
        return int(np.sum(a[1:] & ~a[:-1]) + (1 if a.size and a[0] else 0))


def _one_blas_thread() -> Any:
    """Small matrix work runs fastest on one BLAS thread; on a busy machine many threads slow it 10-50x."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _score_windows(detector: Detector, ref: np.ndarray, values: np.ndarray, order: np.ndarray, sorted_h: np.ndarray,
                   times: np.ndarray, window_hours: float, window_requests: int | None, not_before: float,
                   min_samples: int, stat: np.ndarray, pval: np.ndarray, raw: np.ndarray, n: np.ndarray) -> None:
    bind = getattr(detector, "bind", None)
    scorer: Callable[[np.ndarray], Score] = bind(ref) if callable(bind) else (lambda w: detector.score(ref, w))
    floor = int(np.searchsorted(sorted_h, not_before, side="left"))
    for i, t in enumerate(times):
        hi = int(np.searchsorted(sorted_h, t, side="left"))
        if window_requests is None:
            lo = max(floor, int(np.searchsorted(sorted_h, t - window_hours, side="left")))
        else:
            lo = max(floor, hi - window_requests)
        idx = order[lo:hi]
        n[i] = idx.size
        if idx.size < min_samples:
            continue
        s = scorer(values[idx])
        stat[i], raw[i] = s.statistic, s.alert
        pval[i] = np.nan if s.p_value is None else s.p_value


def monitor(hours: np.ndarray, values: np.ndarray, detector: Detector, reference: tuple[float, float] = (0.0, 48.0),
            window_hours: float = 6.0, step_hours: float = 1.0, start: float | None = None, end: float | None = None,
            min_samples: int = 50, patience: int = 1, feature: str = "", window_requests: int | None = None) -> Trace:
    """Compare sliding windows of traffic with a reference window.

    Args:
        hours: each request's time (virtual hours).
        values: one value per request (scalar detectors) or one row per request (embedding detectors).
        detector: a :class:`PSI`, :class:`KSTest`, :class:`MMD`, :class:`DomainClassifier` (or your own).
        reference: (start, end) hours of the reference window.
        window_hours: the width of each monitored window (when ``window_requests`` is None).
        step_hours: how far the window moves each step.
        start, end: first and last window end (default: the end of the reference plus ``window_hours``,
            to the last request). Windows never reach back into the reference.
        min_samples: windows with fewer requests are skipped (NaN, no alert).
        patience: alert only when this many consecutive windows cross the threshold.
        feature: a label for the trace name.
        window_requests: if set, each window is the last ``window_requests`` requests before its end time
            instead of a fixed number of hours: every test then sees the same sample size, so quiet
            nights are neither noisier nor skipped (the window just spans more hours).

    Returns:
        A :class:`Trace`.
    """
    hours = np.asarray(hours, dtype=np.float64)
    values = np.asarray(values)
    if hours.ndim != 1 or len(values) != len(hours):
        raise ValueError(f"hours (n,) and values (n, ...) must have the same length, got {hours.shape} and {values.shape}")
    if detector.vector and values.ndim != 2:
        raise ValueError(f"{detector.name} compares embeddings: pass values of shape (n, d), got {values.shape}")
    if not detector.vector and values.ndim != 1:
        raise ValueError(f"{detector.name} compares one number per request: pass values of shape (n,), got {values.shape}")
    if window_hours <= 0 or step_hours <= 0 or patience < 1 or min_samples < 2:
        raise ValueError("need window_hours > 0, step_hours > 0, patience >= 1, min_samples >= 2")
    if window_requests is not None and window_requests < min_samples:
        raise ValueError(f"window_requests ({window_requests}) must be >= min_samples ({min_samples})")
    r0, r1 = reference
    ref_mask = (hours >= r0) & (hours < r1)
    if ref_mask.sum() < min_samples:
        raise ValueError(f"the reference window {reference} holds {int(ref_mask.sum())} requests; need >= {min_samples}")
    ref = values[ref_mask]
    first = r1 + window_hours if start is None else start
    last = float(hours.max()) + 1e-9 if end is None else end
    times = np.arange(first, last + 1e-9, step_hours)
    stat = np.full(times.size, np.nan)
    pval = np.full(times.size, np.nan)
    raw = np.zeros(times.size, dtype=bool)
    n = np.zeros(times.size, dtype=int)
    order = np.argsort(hours, kind="stable")
    sorted_h = hours[order]
    with _one_blas_thread():
        _score_windows(detector, ref, values, order, sorted_h, times, window_hours, window_requests, r1, min_samples,
                       stat, pval, raw, n)
    alert = raw.copy()
    if patience > 1:
        run = 0
        for i in range(raw.size):
            run = run + 1 if raw[i] else 0
            alert[i] = run >= patience
    threshold = next((float(getattr(detector, a)) for a in ("threshold", "alpha") if hasattr(detector, a)), None)
    name = f"{detector.name}({feature})" if feature else detector.name
    return Trace(name, detector.rule() + (f", {patience} windows in a row" if patience > 1 else ""), times, stat, pval,
                 alert, n, (r0, r1), window_hours, threshold,
                 {"step_hours": step_hours, "min_samples": min_samples, "patience": patience,
                  "window_requests": window_requests})


# --------------------------------------------------------------------------------------------
# Features of traffic
# --------------------------------------------------------------------------------------------
class EmbeddingCache:
    """Embeds texts once: an in-memory memo, optionally persisted to a SQLite file, keyed by the embedder's
    version and the text.

    Args:
        embedder: a :class:`labkit.lineage.Embedder`.
        path: a SQLite file to keep vectors between runs (None: memory only).
    """

    def __init__(self, embedder: Embedder, path: str | Path | None = None) -> None:
        if not isinstance(embedder, Embedder):
            raise TypeError("EmbeddingCache takes a labkit.lineage.Embedder (e.g. lineage.minilm())")
        self.embedder = embedder
        self.version = embedder.version
        self._mem: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS vectors (version TEXT, key TEXT, vector BLOB, "
                                 "PRIMARY KEY (version, key))")

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, d) for ``texts``, embedding only those not seen before."""
        items = list(texts)
        with self._lock:
            todo = [t for t in dict.fromkeys(items) if t not in self._mem]
            if todo and self._db is not None:
                keys = {self._key(t): t for t in todo}
                klist = list(keys)
                for i in range(0, len(klist), 500):
                    part = klist[i:i + 500]
                    rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE version=? AND key IN "
                                            f"({','.join('?' * len(part))})", (self.version, *part)).fetchall()
                    for k, v in rows:
                        self._mem[keys[k]] = np.frombuffer(v, dtype=np.float32)
                todo = [t for t in todo if t not in self._mem]
            if todo:
                vecs = self.embedder(todo)
                for t, v in zip(todo, vecs, strict=True):
                    self._mem[t] = np.asarray(v, dtype=np.float32)
                if self._db is not None:
                    with self._db:
                        self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?,?,?)",
                                             [(self.version, self._key(t), self._mem[t].tobytes()) for t in todo])
            if not items:
                return np.zeros((0, 0), dtype=np.float32)
            return np.stack([self._mem[t] for t in items])

    def __len__(self) -> int:
        return len(self._mem)


@dataclass
class Features:
    """Per-request features of a stretch of traffic.

    Attributes:
        hours: request time, virtual hours.
        length: words in the question.
        kb_similarity: the best cosine similarity between the question and any knowledge-base chunk
            (low when users ask about something the knowledge base does not cover).
        embedding: the question's embedding (n, d).
        tags: each request's tags (to colour plots; never used by the detectors).
    """

    hours: np.ndarray
    length: np.ndarray
    kb_similarity: np.ndarray
    embedding: np.ndarray
    tags: list[tuple[str, ...]]

    def __len__(self) -> int:
        return int(self.hours.size)

    def get(self, feature: str) -> np.ndarray:
        if feature not in ("length", "kb_similarity", "embedding"):
            raise ValueError(f"feature must be 'length', 'kb_similarity' or 'embedding', got {feature!r}")
        return np.asarray(getattr(self, feature))


def featurize(requests: Sequence[Request], embed: Callable[[Sequence[str]], np.ndarray],
              kb_vectors: np.ndarray | None = None) -> Features:
    """Features of each request.

    Args:
        requests: :class:`labkit.traffic.Request` objects (or anything with ``ts``, ``question``, ``tags``).
        embed: texts -> normalised vectors; an :class:`EmbeddingCache` avoids embedding repeats twice.
        kb_vectors: the knowledge base's chunk vectors (from the same embedder), for ``kb_similarity``;
            NaN when omitted.

    Returns:
        :class:`Features`.
    """
    if not requests:
        raise ValueError("no requests to featurize")
    questions = [r.question for r in requests]
    vecs = np.asarray(embed(questions), dtype=np.float32)
    if kb_vectors is not None and kb_vectors.size:
        if kb_vectors.shape[1] != vecs.shape[1]:
            raise ValueError(f"kb_vectors have {kb_vectors.shape[1]} dims, questions {vecs.shape[1]}: embed both "
                             f"with the same model")
        sims = np.empty(len(vecs), dtype=np.float32)
        for i in range(0, len(vecs), 1024):
            sims[i:i + 1024] = (vecs[i:i + 1024] @ kb_vectors.T).max(axis=1)
    else:
        sims = np.full(len(vecs), np.nan, dtype=np.float32)
    return Features(hours=np.array([r.ts / 3600.0 for r in requests]),
                    length=np.array([len(q.split()) for q in questions], dtype=np.float64),
                    kb_similarity=sims.astype(np.float64), embedding=vecs, tags=[tuple(r.tags) for r in requests])


@dataclass(frozen=True)
class Spec:
    """A detector applied to one feature."""

    feature: str
    detector: Any

    @property
    def name(self) -> str:
        return f"{self.detector.name}({self.feature})"


# The monitoring rule the course uses: the first two days are the reference; each window is the last 150
# requests, tested every hour from hour 54; an alarm needs two windows in a row. Thresholds and this rule
# were chosen on no-drift and drift weeks of calibration seeds (100-102) that the evaluation never uses
# (bench/bench_drift.py prints both).
MONITOR: dict[str, Any] = {"reference": (0.0, 48.0), "window_requests": 150, "step_hours": 1.0, "start": 54.0,
                           "min_samples": 50, "patience": 2}


def default_specs() -> list[Spec]:
    """The detectors the course compares, each on the features it suits, at the chosen thresholds."""
    return [Spec("length", PSI()), Spec("length", KSTest()), Spec("kb_similarity", PSI()),
            Spec("kb_similarity", KSTest()), Spec("embedding", MMD()), Spec("embedding", DomainClassifier())]


def run_all(features: Features, specs: Sequence[Spec] | None = None, **monitor_kwargs: Any) -> dict[str, Trace]:
    """:func:`monitor` every spec over the same traffic with the :data:`MONITOR` rule (any of its keys can be
    overridden); returns traces by name."""
    kwargs = {**MONITOR, **monitor_kwargs}
    out = {}
    for spec in specs or default_specs():
        out[spec.name] = monitor(features.hours, features.get(spec.feature), spec.detector, feature=spec.feature,
                                 **kwargs)
    return out


def summary(traces: dict[str, Trace], onset: float | None) -> pd.DataFrame:
    """One row per detector: rule, first alert, delay after ``onset`` and false alarms before it."""
    import pandas as pd

    rows = []
    for name, tr in traces.items():
        delay = tr.delay(onset) if onset is not None else None
        rows.append({"detector": name, "rule": tr.rule, "windows": int(np.sum(~np.isnan(tr.statistic))),
                     "false_alarms": tr.false_alarms(onset), "first_alert_h": tr.first_alert(),
                     "delay_h": delay})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Training-serving skew
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SkewReport:
    """The result of a passing :func:`check_serving`."""

    index_embedder: str
    serving_embedder: str
    chunker: str | None
    probe_min_cosine: float


def check_serving(store: LineageStore | dict[str, Any], embedder: Embedder, chunker: str | None = None,
                  min_cosine: float = 0.999) -> SkewReport:
    """Fail loudly, at start-up, if queries would be embedded differently from the index.

    Checks (all of them, reporting every failure at once):

    1. the embedder version the index was built with equals the serving embedder's version;
    2. the chunker version matches, when ``chunker`` is given;
    3. the serving embedder reproduces the index's probe vectors (``PROBE_TEXTS``) to cosine >= ``min_cosine``
       - which catches a silent change under an unchanged name (new weights, a changed preprocessing).

    Args:
        store: a :class:`labkit.lineage.LineageStore` or its ``manifest()``.
        embedder: the :class:`labkit.lineage.Embedder` the service will embed queries with.
        chunker: the chunker version the service expects (optional).
        min_cosine: how close probe vectors must be.

    Returns:
        A :class:`SkewReport` when consistent.

    Raises:
        SkewError: with every mismatch and how to fix it.
    """
    manifest = store if isinstance(store, dict) else store.manifest()
    if not manifest.get("embedder"):
        raise SkewError(f"the index at {manifest.get('path')} records no embedder: it was never ingested; "
                        "run LineageStore.ingest() first")
    problems = []
    if manifest["embedder"] != embedder.version:
        problems.append(f"embedding model: index built with {manifest['embedder']!r}, serving with "
                        f"{embedder.version!r}")
    if chunker is not None and manifest.get("chunker") != chunker:
        problems.append(f"chunker: index built with {manifest.get('chunker')!r}, service expects {chunker!r}")
    min_cos = float("nan")
    probe = manifest.get("probe")
    if probe is not None:
        now = embedder(list(manifest.get("probe_texts") or []))
        if now.shape != np.asarray(probe).shape:
            problems.append(f"embedding shape: index {np.asarray(probe).shape[1:]} vs serving {now.shape[1:]}")
        else:
            a = now / np.maximum(np.linalg.norm(now, axis=1, keepdims=True), 1e-12)
            b = np.asarray(probe) / np.maximum(np.linalg.norm(probe, axis=1, keepdims=True), 1e-12)
            min_cos = float(np.min(np.sum(a * b, axis=1)))
            if min_cos < min_cosine:
                problems.append(f"probe sentences embed differently (min cosine {min_cos:.3f} < {min_cosine}): "
                                "same name, different vectors")
    if problems:
        raise SkewError("training-serving skew, refusing to serve:\n  - " + "\n  - ".join(problems)
                        + "\n  Fix: serve with the embedder the index was built with, or rebuild the index "
                        "(LineageStore(path, embedder=new).ingest(documents)) before switching.")
    return SkewReport(str(manifest["embedder"]), embedder.version, manifest.get("chunker"), min_cos)


@dataclass(frozen=True)
class RecallResult:
    """Retrieval recall@k on a question set."""

    recall: float
    k: int
    mode: str
    hits: list[bool]
    question_ids: list[str]

    @property
    def n(self) -> int:
        return len(self.hits)


def retrieval_recall(index: Any, questions: Sequence[dict[str, Any]], embedder: Embedder, k: int = 3,
                     mode: str = "dense") -> RecallResult:
    """Share of questions for which at least one expected document is among the top ``k`` retrieved.

    Args:
        index: a :class:`labkit.rag.Index` (e.g. ``store.index()``).
        questions: golden questions with ``question``, ``doc_ids`` and ``tenant``; those without
            ``doc_ids`` (unanswerable) are skipped.
        embedder: embeds the queries (the serving side).
        k: retrieval depth.
        mode: "dense", "hybrid" or "bm25".
    """
    qs = [q for q in questions if q.get("doc_ids")]
    if not qs:
        raise ValueError("no questions with doc_ids to measure recall on")
    vecs = embedder([q["question"] for q in qs])
    hits = []
    for q, v in zip(qs, vecs, strict=True):
        tenant = q.get("tenant")
        found = index.search(q["question"], k=k, mode=mode, tenant=tenant, query_vector=v)
        hits.append(bool(set(q["doc_ids"]) & {h.document_id for h in found}))
    return RecallResult(float(np.mean(hits)), k, mode, hits, [str(q.get("id")) for q in qs])


# --------------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------------
def plot_traces(traces: dict[str, Trace], onset: float | None = None, names: Sequence[str] | None = None,
                title: str = "") -> Any:
    """One small panel per detector: its statistic over the week, the alerts (red), the reference window
    (blue), nights (grey) and the drift onset (dashed). Detectors with a threshold on the statistic (PSI,
    AUC) show it as a dotted line; tests (KS, MMD) alert on their p-value, given in the panel title.

    Args:
        traces: from :func:`run_all` or :func:`monitor`.
        onset: drift onset in hours (None: no drift).
        names: which traces to draw (default: all).
        title: figure title.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    keys = list(names or traces)
    missing = [k for k in keys if k not in traces]
    if missing:
        raise KeyError(f"no traces {missing}; have {list(traces)}")
    fig, axes = plt.subplots(len(keys), 1, figsize=(9, 1.5 * len(keys) + 0.7), sharex=True, squeeze=False)
    for ax, key in zip(axes[:, 0], keys, strict=True):
        tr = traces[key]
        end = float(tr.times.max()) if tr.times.size else tr.reference[1]
        for d in range(0, int(end) + 24, 24):
            ax.axvspan(d, d + 6, color="0.92", lw=0)
        ax.axvspan(*tr.reference, color="tab:blue", alpha=0.08, lw=0)
        ax.plot(tr.times, tr.statistic, lw=1.2, color="tab:blue")
        uses_p = not np.all(np.isnan(tr.p_value))
        if tr.threshold is not None and not uses_p:
            ax.axhline(tr.threshold, color="grey", lw=0.8, ls=":")
        ax.scatter(tr.times[tr.alert], tr.statistic[tr.alert], color="tab:red", s=10, zorder=3)
        if onset is not None:
            ax.axvline(onset, color="black", ls="--", lw=0.8)
        ax.set_title(f"{key} - alarm when {tr.rule}", fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel("virtual hours since Monday 00:00 (blue: reference; grey: nights; dashed: onset; "
                           "red: alarm)", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# The drift-monitor demo (ipywidgets)
# --------------------------------------------------------------------------------------------
DEMO_KINDS = ("launch", "longer questions", "other languages", "no drift")


def demo_specs() -> list[Spec]:
    """The demo's detectors: two on question length, two on embeddings (no knowledge base needed)."""
    return [Spec("length", PSI()), Spec("length", KSTest()), Spec("embedding", MMD()),
            Spec("embedding", DomainClassifier())]


class DriftDemo:
    """Sliders for the kind, strength and onset of a drift; a simulated week; each detector's statistic and
    alerts. ``update()`` runs what the button runs (the automated test calls it directly).

    Args:
        embed: texts -> vectors; an :class:`EmbeddingCache` over all-MiniLM-L6-v2 (kept on disk) by default.
        specs: detectors to show (:func:`demo_specs` by default).
    """

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray] | None = None,
                 specs: Sequence[Spec] | None = None) -> None:
        import ipywidgets as w

        if embed is None:
            from labkit import lineage
            from labkit.rag.app import cache_dir

            embed = EmbeddingCache(lineage.minilm(), cache_dir() / "drift" / "question_vectors.sqlite")
        self.embed = embed
        self.specs = list(specs or demo_specs())
        style = {"description_width": "110px"}
        self.kind = w.Dropdown(options=list(DEMO_KINDS), value="launch", description="drift", style=style)
        self.strength = w.FloatSlider(value=0.3, min=0.0, max=0.6, step=0.05, description="strength (share)",
                                      style=style)
        self.onset = w.FloatSlider(value=3.5, min=2.5, max=6.5, step=0.25, description="onset (day)", style=style)
        self.seed = w.IntSlider(value=0, min=0, max=9, description="seed", style=style)
        self.prediction = w.Dropdown(options=[s.name for s in self.specs] + ["none"], value="none",
                                     description="first to alarm?", style=style)
        self.button = w.Button(description="Run the week", button_style="primary")
        self.status = w.HTML()
        self.image = w.Image(format="png")
        self.table = w.HTML()
        self.button.on_click(lambda _: self.update())
        self.widget = w.VBox([w.HBox([w.VBox([self.kind, self.strength, self.onset]),
                                      w.VBox([self.seed, self.prediction, self.button])]),
                              self.status, self.image, self.table])
        self.last: dict[str, Any] = {}

    def events(self) -> list[Any]:
        """The traffic events the sliders describe."""
        from labkit import traffic

        day, share = float(self.onset.value), float(self.strength.value)
        kind = self.kind.value
        if kind == "no drift" or share == 0:
            return []
        if kind == "launch":
            return [traffic.Launch(day=day, share=share)]
        if kind == "longer questions":
            return [traffic.LengthShift(day=day, share=share)]
        return [traffic.LanguageShift(day=day, share=share)]

    def update(self) -> dict[str, Any]:
        """Simulate the week the sliders describe, run the detectors, draw them; returns the results."""
        import io

        import matplotlib.pyplot as plt

        from labkit import traffic

        self.status.value = "<i>simulating and embedding a week of traffic…</i>"
        events = self.events()
        onset = float(self.onset.value) * 24 if events else None
        week = traffic.simulate(days=7, seed=int(self.seed.value), events=events)
        traces = run_all(featurize(week, self.embed), self.specs)
        table = summary(traces, onset)
        found = table.dropna(subset=["delay_h"]).sort_values("delay_h") if onset is not None else table.iloc[:0]
        first = str(found["detector"].iloc[0]) if len(found) else "none"
        fig = plot_traces(traces, onset, title=f"{self.kind.value}, strength {self.strength.value:.2f}, "
                                               f"onset day {self.onset.value:g} (SIMULATED traffic, seed {self.seed.value})")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        plt.close(fig)
        self.image.value = buf.getvalue()
        self.table.value = table.to_html(index=False, na_rep="—", float_format=lambda x: f"{x:g}")
        correct = self.prediction.value == first
        self.status.value = (f"{len(week)} requests. First to alarm: <b>{first}</b>. Your prediction "
                             f"({self.prediction.value}) was <b>{'right' if correct else 'wrong'}</b>.")
        self.last = {"summary": table, "first": first, "correct": correct, "traces": traces, "requests": len(week),
                     "params": week.params}
        return self.last
