"""How far to trust a pass/fail judge: its error rates on labelled items, and a pass rate corrected for them.

A judge that says "pass" to 70% of answers has not measured a 70% pass rate: it misses some passes
(true-positive rate, TPR < 1) and lets some failures through (true-negative rate, TNR < 1). Measured
on a labelled test split, the two rates undo the judge's error (Rogan–Gladen)::

    corrected = (p_obs + TNR - 1) / (TPR + TNR - 1)        clipped to [0, 1]

The denominator is Youden's J. A judge at chance has J near 0: the correction divides by almost
nothing, and the bootstrap interval, which resamples the labelled test items (so it carries the
uncertainty of TPR and TNR) and the judged items, spreads over most of [0, 1]. That interval is the
honest answer: such a judge cannot tell you the pass rate.

    >>> from labkit.evals import judge_validation as jv
    >>> acc = jv.judge_accuracy(judge_pass=[1, 1, 0, 0], human_pass=[1, 0, 0, 0])
    >>> acc.tpr.estimate, acc.tnr.estimate          # (1.0, 0.667)
    >>> jv.corrected_pass_rate([1, 0, 1, 1], judge_pass=[1, 1, 0, 0], human_pass=[1, 0, 0, 0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labkit.guardrails.evaluate import wilson

__all__ = ["CorrectedRate", "JudgeAccuracy", "Rate", "corrected_pass_rate", "judge_accuracy", "rogan_gladen"]


@dataclass(frozen=True)
class Rate:
    """A proportion ``k/n`` with its 95% Wilson interval."""

    k: int
    n: int
    low: float
    high: float

    @property
    def estimate(self) -> float:
        return self.k / self.n if self.n else float("nan")

    def __str__(self) -> str:
        return f"{self.estimate:.2f} [{self.low:.2f}, {self.high:.2f}] ({self.k}/{self.n})"


def _rate(k: int, n: int) -> Rate:
    low, high = wilson(k, n)
    return Rate(k, n, low, high)


@dataclass(frozen=True)
class JudgeAccuracy:
    """The judge's error rates against human labels.

    Attributes:
        tpr: share of human passes the judge passed (sensitivity).
        tnr: share of human failures the judge failed (specificity).
    """

    tpr: Rate
    tnr: Rate

    @property
    def youden(self) -> float:
        """TPR + TNR - 1: 0 for a judge at chance (or one that always says the same), 1 for a perfect one."""
        return self.tpr.estimate + self.tnr.estimate - 1

    def __str__(self) -> str:
        return f"TPR {self.tpr}, TNR {self.tnr}, TPR+TNR-1 = {self.youden:+.2f}"


def _bools(values: Sequence[object], name: str) -> np.ndarray:
    arr = np.asarray([bool(v) for v in values], dtype=bool)
    if arr.size == 0:
        raise ValueError(f"{name} is empty: pass at least one verdict")
    return arr


def _paired(judge_pass: Sequence[object], human_pass: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    j, h = _bools(judge_pass, "judge_pass"), _bools(human_pass, "human_pass")
    if j.size != h.size:
        raise ValueError(f"judge_pass has {j.size} verdicts but human_pass has {h.size}: give one of each per item")
    return j, h


def judge_accuracy(judge_pass: Sequence[object], human_pass: Sequence[object]) -> JudgeAccuracy:
    """TPR and TNR of a judge on labelled items, each with a Wilson interval.

    Args:
        judge_pass: the judge's verdict per item (truthy = pass).
        human_pass: the human label per item, same order.

    Returns:
        A :class:`JudgeAccuracy`.
    """
    j, h = _paired(judge_pass, human_pass)
    return JudgeAccuracy(tpr=_rate(int((j & h).sum()), int(h.sum())),
                         tnr=_rate(int((~j & ~h).sum()), int((~h).sum())))


def rogan_gladen(p_obs: float, tpr: float, tnr: float) -> float:
    """The pass rate corrected for judge error, ``(p_obs + tnr - 1) / (tpr + tnr - 1)`` clipped to [0, 1].

    Args:
        p_obs: the share of items the judge passed.
        tpr / tnr: the judge's true-positive and true-negative rates.

    Returns:
        The corrected rate; NaN when ``tpr + tnr <= 1`` (the judge is no better than chance: undefined).
    """
    for name, v in (("p_obs", p_obs), ("tpr", tpr), ("tnr", tnr)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must be a proportion in [0, 1], got {v}")
    j = tpr + tnr - 1
    if j <= 0:
        return float("nan")
    return float(min(1.0, max(0.0, (p_obs + tnr - 1) / j)))


@dataclass(frozen=True)
class CorrectedRate:
    """A judged pass rate, corrected for the judge's measured error, with a bootstrap interval.

    Attributes:
        observed: share of the judged items the judge passed.
        corrected: the Rogan–Gladen estimate (NaN when the judge is at or below chance on the test labels).
        low / high: the bootstrap interval; [0, 1] when more than ``(1 - confidence) / 2`` of the resamples
            have ``TPR + TNR <= 1`` (the correction is undefined there, so nothing is excluded).
        undefined_share: share of resamples with ``TPR + TNR <= 1``.
        accuracy: the judge's TPR and TNR on the test labels.
        n_judged: judged items.
    """

    observed: float
    corrected: float
    low: float
    high: float
    undefined_share: float
    accuracy: JudgeAccuracy
    n_judged: int

    @property
    def width(self) -> float:
        return self.high - self.low

    def __str__(self) -> str:
        return (f"judge passes {self.observed:.0%} of {self.n_judged}; corrected {self.corrected:.2f} "
                f"[{self.low:.2f}, {self.high:.2f}] ({self.accuracy})")


def corrected_pass_rate(judged: Sequence[object], *, judge_pass: Sequence[object], human_pass: Sequence[object],
                        confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> CorrectedRate:
    """Rogan–Gladen pass rate of a judged set, with a bootstrap interval that carries the judge's uncertainty.

    Each resample draws the labelled test items with replacement (so TPR and TNR vary as they would with
    another test set of the same size) and, independently, the judged items (so the observed pass rate
    varies too), then corrects. The interval is the percentile interval of the corrected values.

    Args:
        judged: the judge's verdicts on the items whose pass rate you want (no human labels needed).
        judge_pass: the judge's verdicts on the labelled test items.
        human_pass: the human labels of those test items, same order.
        confidence: e.g. 0.95.
        n_resamples: bootstrap resamples.
        seed: the resampling seed.

    Returns:
        A :class:`CorrectedRate`.
    """
    if not 0 < confidence < 1 or n_resamples < 100:
        raise ValueError(f"need 0 < confidence < 1 and n_resamples >= 100, got {confidence}, {n_resamples}")
    obs = _bools(judged, "judged")
    j, h = _paired(judge_pass, human_pass)
    if h.all() or not h.any():
        raise ValueError("the test labels need both passes and failures to measure TPR and TNR")
    acc = judge_accuracy(j.tolist(), h.tolist())
    p_obs = float(obs.mean())
    rng = np.random.default_rng(seed)
    draws = np.empty(n_resamples)
    for b in range(n_resamples):
        t = rng.integers(0, h.size, h.size)
        hb, jb = h[t], j[t]
        pos, neg = hb.sum(), (~hb).sum()
        if pos == 0 or neg == 0:
            draws[b] = np.nan
            continue
        tpr, tnr = (jb & hb).sum() / pos, (~jb & ~hb).sum() / neg
        draws[b] = rogan_gladen(float(obs[rng.integers(0, obs.size, obs.size)].mean()), float(tpr), float(tnr))
    undefined = float(np.isnan(draws).mean())
    alpha = (1 - confidence) / 2
    if undefined > alpha:
        low, high = 0.0, 1.0
    else:
        low, high = (float(x) for x in np.nanquantile(draws, [alpha, 1 - alpha]))
    return CorrectedRate(observed=p_obs, corrected=rogan_gladen(p_obs, acc.tpr.estimate, acc.tnr.estimate),
                         low=low, high=high, undefined_share=undefined, accuracy=acc, n_judged=int(obs.size))
