"""Statistics for evals: bootstrap confidence intervals, paired and unpaired tests, and a regression gate.

A golden set of a few dozen questions gives a metric with an interval of plus or minus ten points or
more; these functions make that visible and keep a release from being blocked (or waved through) by
noise.

    >>> from labkit.evals import stats
    >>> stats.bootstrap_ci([1, 0, 1, 1, 0, 1])            # Interval(estimate=0.667, low=..., high=...)
    >>> stats.paired_test(baseline_scores, candidate_scores)  # same items, two variants
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Statistic = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap confidence interval.

    Attributes:
        estimate: the statistic on the full sample.
        low / high: the interval's ends (percentile bootstrap).
        n: sample size.
        confidence: e.g. 0.95.
    """

    estimate: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside the interval (ends included)."""
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}] (n={self.n})"


def _as_array(values: Iterable[float | int | bool], name: str = "values") -> np.ndarray:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of numbers, not a string")
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to estimate")
    if np.isnan(arr).any():
        raise ValueError(f"{name} holds {int(np.isnan(arr).sum())} NaN/None values; drop the items the metric "
                         f"does not apply to before calling (Run.values(metric) does this)")
    return arr


def _check_conf(confidence: float, n_resamples: int) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), e.g. 0.95; got {confidence}")
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be >= 100 for a usable interval, got {n_resamples}")


def _statistic(stat: str | Statistic) -> Statistic:
    if callable(stat):
        return stat
    table: dict[str, Statistic] = {"mean": lambda a: float(np.mean(a)), "median": lambda a: float(np.median(a)),
                                   "p95": lambda a: float(np.quantile(a, 0.95))}
    if stat not in table:
        raise ValueError(f"statistic must be one of {sorted(table)} or a function, got {stat!r}")
    return table[stat]


def bootstrap_ci(values: Iterable[float | int | bool], statistic: str | Statistic = "mean", confidence: float = 0.95,
                 *, n_resamples: int = 2000, seed: int = 0) -> Interval:
    """Percentile bootstrap confidence interval of a statistic.

    Args:
        values: one number per item (e.g. 0/1 correctness); no NaN or None.
        statistic: "mean", "median", "p95" or a function array -> float.
        confidence: interval coverage, e.g. 0.95.
        n_resamples: bootstrap resamples.
        seed: random seed, so a notebook shows the same interval every run.

    Returns:
        An :class:`Interval`.
    """
    arr = _as_array(values)
    _check_conf(confidence, n_resamples)
    fn = _statistic(statistic)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(n_resamples, arr.size))
    if statistic == "mean":
        boots = arr[idx].mean(axis=1)
    else:
        boots = np.array([fn(arr[i]) for i in idx])
    low, high = _quantiles(boots, confidence)
    return Interval(float(fn(arr)), low, high, int(arr.size), confidence)


def _quantiles(boots: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` interval of bootstrap statistics."""
    alpha = (1 - confidence) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha])
    return float(low), float(high)


def _permutation_p(null: np.ndarray, observed: float) -> float:
    """Two-sided permutation p-value: the share of |statistic| under "no difference" at least as large as
    the observed one, counting the observed arrangement itself (so never 0)."""
    return min((int(np.sum(null >= observed - 1e-12)) + 1) / (null.size + 1), 1.0)


@dataclass(frozen=True)
class _Difference:
    """What both two-variant tests report: the means, their difference b - a, its interval, a p-value."""

    mean_a: float
    mean_b: float
    diff: float
    low: float
    high: float
    p_value: float

    @property
    def significant(self) -> bool:
        """Whether both the interval excludes zero and the p-value is below 1 - confidence.

        On a few items the percentile bootstrap interval runs narrow and can exclude zero while the
        permutation test gives p = 0.1; a difference is called significant only when both agree.
        """
        alpha = 1 - getattr(self, "confidence", 0.95)
        return (self.low > 0 or self.high < 0) and self.p_value < alpha

    def _head(self) -> str:
        return f"b - a = {self.diff:+.3f} [{self.low:+.3f}, {self.high:+.3f}], p = {self.p_value:.3g}"


@dataclass(frozen=True)
class PairedTest(_Difference):
    """Two variants scored on the same items.

    Attributes:
        mean_a / mean_b: the two means.
        diff: mean of (b - a) per item.
        low / high: bootstrap interval of ``diff``.
        p_value: two-sided sign-flip permutation test of "no difference".
        n: paired items; wins / losses / ties count items where b beat, lost to or tied a.
    """

    n: int
    wins: int
    losses: int
    ties: int
    confidence: float = 0.95

    def __str__(self) -> str:
        return (f"{self._head()} (n={self.n}; b better on {self.wins}, worse on {self.losses}, "
                f"tied on {self.ties})")


def paired_test(a: Sequence[float], b: Sequence[float], confidence: float = 0.95, *, n_resamples: int = 10000,
                seed: int = 0) -> PairedTest:
    """Compare variant B with variant A on the same items (same order).

    The interval is a bootstrap over items of the mean difference; the p-value comes from a sign-flip
    permutation test (under "no difference" each item's difference is as likely positive as negative).
    Pairing removes the item-to-item variation (easy vs hard questions), so it detects smaller changes
    than comparing two separate intervals.

    Args:
        a: scores of the baseline, one per item.
        b: scores of the candidate, same items in the same order.
        confidence: interval coverage.
        n_resamples: bootstrap resamples and permutations.
        seed: random seed.

    Returns:
        A :class:`PairedTest`.
    """
    xa, xb = _as_array(a, "a"), _as_array(b, "b")
    if xa.size != xb.size:
        raise ValueError(f"paired_test needs the same items in a and b; got {xa.size} and {xb.size} scores "
                         f"(use unpaired_test for different items)")
    _check_conf(confidence, n_resamples)
    d = xb - xa
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, d.size, size=(n_resamples, d.size))
    low, high = _quantiles(d[idx].mean(axis=1), confidence)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n_resamples, d.size))
    p = _permutation_p(np.abs((signs * d).mean(axis=1)), abs(float(d.mean())))
    return PairedTest(float(xa.mean()), float(xb.mean()), float(d.mean()), low, high, p,
                      int(d.size), int((d > 0).sum()), int((d < 0).sum()), int((d == 0).sum()), confidence)


@dataclass(frozen=True)
class UnpairedTest(_Difference):
    """Two variants scored on different items (e.g. an A/B test on live traffic); n_a / n_b items each."""

    n_a: int
    n_b: int
    confidence: float = 0.95

    def __str__(self) -> str:
        return f"{self._head()} (n_a={self.n_a}, n_b={self.n_b})"


def unpaired_test(a: Sequence[float], b: Sequence[float], confidence: float = 0.95, *, n_resamples: int = 10000,
                  seed: int = 0) -> UnpairedTest:
    """Compare the means of two independent samples: bootstrap interval of the difference, permutation p-value.

    Args:
        a: scores of group A.
        b: scores of group B.
        confidence: interval coverage.
        n_resamples: resamples and permutations.
        seed: random seed.
    """
    xa, xb = _as_array(a, "a"), _as_array(b, "b")
    _check_conf(confidence, n_resamples)
    rng = np.random.default_rng(seed)
    ba = xa[rng.integers(0, xa.size, size=(n_resamples, xa.size))].mean(axis=1)
    bb = xb[rng.integers(0, xb.size, size=(n_resamples, xb.size))].mean(axis=1)
    low, high = _quantiles(bb - ba, confidence)
    pooled = np.concatenate([xa, xb])
    shuffled = pooled[np.argsort(rng.random((n_resamples, pooled.size)), axis=1)]
    null = np.abs(shuffled[:, xa.size:].mean(axis=1) - shuffled[:, :xa.size].mean(axis=1))
    p = _permutation_p(null, abs(float(xb.mean() - xa.mean())))
    return UnpairedTest(float(xa.mean()), float(xb.mean()), float(xb.mean() - xa.mean()), low, high, p,
                        int(xa.size), int(xb.size), confidence)


def samples_needed(p: float, half_width: float, confidence: float = 0.95) -> int:
    """Items needed so that a proportion near ``p`` has an interval of about ``± half_width`` (normal approximation).

    Args:
        p: the expected proportion (0.5 is the worst case).
        half_width: wanted half-width, e.g. 0.05 for ±5 points.
        confidence: interval coverage.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if not 0 < half_width < 1:
        raise ValueError(f"half_width must be in (0, 1), got {half_width}")
    from scipy.stats import norm

    z = float(norm.ppf(1 - (1 - confidence) / 2))
    return max(1, math.ceil(z * z * max(p * (1 - p), 1e-6) / half_width**2))


@dataclass(frozen=True)
class GateCheck:
    """One metric checked by the regression gate.

    Attributes:
        metric: metric name.
        baseline / candidate: the two means on the compared items.
        diff: candidate - baseline, signed so that a positive value is an improvement.
        low / high: interval of ``diff`` (same sign convention).
        max_drop: the tolerated drop.
        status: "pass", "warn" (worse on average but within noise) or "fail" (the whole interval is worse
            than ``-max_drop``).
        n: items compared; paired says whether the same items were compared one to one.
    """

    metric: str
    baseline: float
    candidate: float
    diff: float
    low: float
    high: float
    max_drop: float
    status: str
    n: int
    paired: bool

    @property
    def passed(self) -> bool:
        return self.status != "fail"


@dataclass
class GateResult:
    """The regression gate's verdict over several metrics."""

    checks: list[GateCheck] = field(default_factory=list)
    confidence: float = 0.95

    @property
    def passed(self) -> bool:
        """True unless some metric dropped beyond its interval."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[str]:
        return [c.metric for c in self.checks if not c.passed]

    def report(self) -> str:
        """A plain-text table, one line per metric, and the verdict."""
        lines = [f"{'metric':<20} {'baseline':>9} {'candidate':>9} {'change':>8}  {int(self.confidence * 100)}% interval"
                 f"        status"]
        for c in self.checks:
            lines.append(f"{c.metric:<20} {c.baseline:>9.3f} {c.candidate:>9.3f} {c.diff:>+8.3f}  "
                         f"[{c.low:+.3f}, {c.high:+.3f}]  {c.status.upper()}"
                         f"{'' if c.paired else ' (unpaired)'}")
        lines.append("GATE PASSED" if self.passed else f"GATE FAILED: {', '.join(self.failed)} dropped beyond the interval")
        return "\n".join(lines)

    def frame(self) -> Any:
        """The checks as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([c.__dict__ for c in self.checks])


def gate_check(metric: str, baseline: Sequence[float], candidate: Sequence[float], *, paired: bool = True,
               max_drop: float = 0.0, lower_is_better: bool = False, confidence: float = 0.95,
               n_resamples: int = 10000, seed: int = 0) -> GateCheck:
    """Check one metric: fail when the interval of (candidate - baseline) lies entirely below ``-max_drop``.

    Args:
        metric: the metric's name (for the report).
        baseline / candidate: per-item scores (same items in the same order when ``paired``).
        paired: compare item by item (recommended when both runs used the same questions).
        max_drop: drop tolerated even when it is certain (e.g. 0.02 = two points).
        lower_is_better: for latency, cost or error rates; the sign is flipped so a rise is a drop.
        confidence: interval coverage.
        n_resamples: resamples.
        seed: random seed.

    Returns:
        A :class:`GateCheck`.
    """
    if max_drop < 0:
        raise ValueError(f"max_drop must be >= 0, got {max_drop}")
    sign = -1.0 if lower_is_better else 1.0
    test: PairedTest | UnpairedTest
    if paired:
        test = paired_test(baseline, candidate, confidence, n_resamples=n_resamples, seed=seed)
        n = test.n
    else:
        test = unpaired_test(baseline, candidate, confidence, n_resamples=n_resamples, seed=seed)
        n = min(test.n_a, test.n_b)
    diff, ends = sign * test.diff, sorted((sign * test.low, sign * test.high))
    if ends[1] < -max_drop:
        status = "fail"
    elif diff < 0:
        status = "warn"
    else:
        status = "pass"
    return GateCheck(metric, test.mean_a, test.mean_b, diff, ends[0], ends[1], max_drop, status, n, paired)


def gate(baseline: Mapping[str, Sequence[float]], candidate: Mapping[str, Sequence[float]], *,
         paired: bool = True, max_drop: float | Mapping[str, float] = 0.0,
         lower_is_better: Iterable[str] = (), confidence: float = 0.95, seed: int = 0) -> GateResult:
    """The regression gate over several metrics given as ``{metric: per-item scores}``.

    Most callers use :func:`labkit.evals.compare` with two runs, which pairs the items for you.

    Args:
        baseline / candidate: metric -> per-item scores (aligned by item when ``paired``).
        paired: whether the scores are aligned item by item.
        max_drop: tolerated drop, one number or a per-metric mapping.
        lower_is_better: metrics where smaller is better.
        confidence: interval coverage.
        seed: random seed.
    """
    missing = [m for m in baseline if m not in candidate]
    if missing:
        raise ValueError(f"candidate has no scores for {missing}")
    lower = set(lower_is_better)
    result = GateResult(confidence=confidence)
    for metric, base in baseline.items():
        drop = max_drop.get(metric, 0.0) if isinstance(max_drop, Mapping) else max_drop
        result.checks.append(gate_check(metric, base, candidate[metric], paired=paired, max_drop=drop,
                                        lower_is_better=metric in lower, confidence=confidence, seed=seed))
    return result


def cohen_kappa(a: Sequence[Any], b: Sequence[Any], weights: str | None = None,
                *, labels: Sequence[Any] | None = None) -> float:
    """Cohen's kappa: agreement between two raters beyond what chance would give.

    ``kappa = (p_observed - p_chance) / (1 - p_chance)``: 1 is perfect agreement, 0 is what two raters
    guessing with the same label frequencies would reach, below 0 is worse than chance.

    Args:
        a / b: the two raters' labels for the same items.
        weights: None (every disagreement counts fully), "linear" or "quadratic" (ordinal labels such as
            1-5 scores: near misses count less).
        labels: the label set, in order (needed for weighted kappa when not every label occurs).

    Returns:
        Kappa; 0.0 in the degenerate case where both raters give every item the same single label
        (chance already explains all agreement, so there is nothing beyond it to measure).
    """
    if len(a) != len(b):
        raise ValueError(f"the raters labelled different numbers of items: {len(a)} vs {len(b)}")
    if not len(a):
        raise ValueError("no items to compare")
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    cats = list(labels) if labels is not None else sorted(set(a) | set(b), key=lambda x: (str(type(x)), x))
    unknown = (set(a) | set(b)) - set(cats)
    if unknown:
        raise ValueError(f"labels {sorted(map(str, unknown))} are not in labels={cats}")
    pos = {c: i for i, c in enumerate(cats)}
    k = len(cats)
    table = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        table[pos[x], pos[y]] += 1
    table /= table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    i, j = np.indices((k, k))
    if weights is None:
        w = (i != j).astype(float)
    elif weights == "linear":
        w = np.abs(i - j) / max(k - 1, 1)
    else:
        w = ((i - j) / max(k - 1, 1)) ** 2
    observed_dis, expected_dis = float((w * table).sum()), float((w * expected).sum())
    if expected_dis == 0:
        return 0.0
    return 1.0 - observed_dis / expected_dis
