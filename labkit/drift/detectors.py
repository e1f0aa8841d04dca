"""Drift detectors: each compares a *window* of recent traffic with a *reference* window.

* scalar features (question length, the best similarity to the knowledge base):
  :class:`PSI` (population stability index on the reference's quantile bins) and :class:`KSTest`
  (two-sample Kolmogorov-Smirnov, ``scipy.stats.ks_2samp``);
* text, through its embeddings: :class:`MMD` (maximum mean discrepancy, RBF kernel, permutation test)
  and :class:`DomainClassifier` (can a linear classifier tell window from reference? its cross-validated
  AUC; 0.5 means no).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


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


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10, *, eps: float = 1e-4) -> float:
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


def mmd_permutation_test(x: np.ndarray, y: np.ndarray, permutations: int = 500, *, bandwidth: float | None = None,
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
            stat, p, _ = mmd_permutation_test(ref, win, self.permutations, bandwidth=bandwidth, seed=self.seed,
                                        stop_above=self.alpha)
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


def domain_classifier_auc(reference: np.ndarray, window: np.ndarray, folds: int = 3, *, ridge: float = 1.0,
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
            auc = domain_classifier_auc(ref_p, (win - mu) @ basis, self.folds, ridge=self.ridge, seed=self.seed)
            return Score(auc, None, auc > self.threshold)

        return score

    def score(self, reference: np.ndarray, window: np.ndarray) -> Score:
        return self.bind(reference)(window)

    def rule(self) -> str:
        return f"AUC > {self.threshold:g}"
