"""labkit.evals.stats: bootstrap intervals, paired/unpaired tests, the regression gate, Cohen's kappa."""

from __future__ import annotations

import numpy as np
import pytest

from labkit.evals import stats


def test_bootstrap_ci_covers_the_true_mean_about_as_often_as_promised() -> None:
    rng = np.random.default_rng(7)
    p, trials = 0.7, 300
    covered = sum(stats.bootstrap_ci(rng.random(60) < p, n_resamples=1000, seed=t).contains(p) for t in range(trials))
    assert 0.88 <= covered / trials <= 0.99  # nominal 95 %; percentile bootstrap runs a little narrow at n=60


def test_bootstrap_ci_is_repeatable_shrinks_with_n_and_validates() -> None:
    a = stats.bootstrap_ci([1, 0, 1, 1, 0, 1, 1, 0], seed=3)
    assert a == stats.bootstrap_ci([1, 0, 1, 1, 0, 1, 1, 0], seed=3)
    assert a.low <= a.estimate <= a.high and a.n == 8
    big = stats.bootstrap_ci([1, 0, 1, 1, 0, 1, 1, 0] * 25, seed=3)
    assert big.width < a.width / 3
    assert stats.bootstrap_ci([1.0, 2.0, 10.0], statistic="median").estimate == 2.0
    with pytest.raises(ValueError, match="empty"):
        stats.bootstrap_ci([])
    with pytest.raises(ValueError, match="NaN"):
        stats.bootstrap_ci([1.0, float("nan")])
    with pytest.raises(ValueError, match="confidence"):
        stats.bootstrap_ci([1, 0], confidence=95)
    with pytest.raises(ValueError, match="statistic"):
        stats.bootstrap_ci([1, 0], statistic="mode")


def test_paired_test_finds_a_real_shift_and_not_a_null_one() -> None:
    rng = np.random.default_rng(1)
    base = rng.random(80)
    better = base + 0.05 + rng.normal(0, 0.02, 80)  # small, consistent gain on every item
    t = stats.paired_test(base, better)
    assert t.significant and t.diff > 0 and t.p_value < 0.01 and t.wins > 70
    # the same gain is invisible to an unpaired comparison: item difficulty swamps it
    assert not stats.unpaired_test(base, better).significant
    null = stats.paired_test(base, base + rng.normal(0, 0.02, 80))
    assert not null.significant and null.p_value > 0.05
    with pytest.raises(ValueError, match="same items"):
        stats.paired_test([1, 0], [1, 0, 1])
    # on five items the percentile interval excludes 0 while the sign-flip test gives p = 0.25: not significant
    few = stats.paired_test([0, 0, 0, 0, 0], [1, 1, 1, 0, 0])
    assert few.low > 0 and few.p_value > 0.2 and not few.significant


def test_gate_fails_only_when_the_drop_is_beyond_the_interval() -> None:
    rng = np.random.default_rng(2)
    base = (rng.random(100) < 0.8).astype(float)
    worse = base.copy()
    worse[np.flatnonzero(base)[:25]] = 0  # 25 questions that were right are now wrong
    noisy = base.copy()
    noisy[np.flatnonzero(base)[:1]] = 0  # one question flipped: within noise
    g = stats.gate({"acc": base, "latency_s": [1.0] * 100}, {"acc": worse, "latency_s": [1.0] * 100},
                   lower_is_better=["latency_s"])
    assert not g.passed and g.failed == ["acc"]
    assert "GATE FAILED" in g.report()
    check = stats.gate_check("acc", base, noisy)
    assert check.status == "warn" and check.passed
    assert stats.gate_check("acc", base, base).status == "pass"
    # a tolerated drop: 25 points lost but 30 allowed
    assert stats.gate_check("acc", base, worse, max_drop=0.30).passed
    # lower is better: latency going up is a drop
    slow = stats.gate_check("latency_s", [1.0] * 50, [2.0] * 50, lower_is_better=True)
    assert slow.status == "fail" and slow.diff < 0


def test_cohen_kappa_matches_the_textbook_and_sklearn() -> None:
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(4)
    a = rng.integers(1, 6, 200)
    b = np.where(rng.random(200) < 0.6, a, rng.integers(1, 6, 200))
    assert stats.cohen_kappa(list(a), list(b)) == pytest.approx(cohen_kappa_score(a, b))
    for w in ("linear", "quadratic"):
        assert stats.cohen_kappa(list(a), list(b), weights=w) == pytest.approx(cohen_kappa_score(a, b, weights=w))
    assert stats.cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == 1.0
    assert stats.cohen_kappa([1, 1, 1, 1], [1, 1, 1, 1]) == 0.0  # degenerate: chance explains everything
    with pytest.raises(ValueError, match="different numbers"):
        stats.cohen_kappa([1], [1, 0])
    with pytest.raises(ValueError, match="not in labels"):
        stats.cohen_kappa([1, 2], [1, 3], labels=[1, 2])


def test_samples_needed_is_the_normal_approximation() -> None:
    assert stats.samples_needed(0.5, 0.05) == 385
    assert stats.samples_needed(0.9, 0.05) < stats.samples_needed(0.5, 0.05)
    with pytest.raises(ValueError):
        stats.samples_needed(0.5, 0)


def test_exercise_nb05_kappa_reference_agrees_with_labkit() -> None:
    from labkit.exercises import get

    ex = get("nb05.kappa")
    for human, judge_calls in ex.inputs():
        assert ex.solution(human, judge_calls) == pytest.approx(stats.cohen_kappa(human, judge_calls, labels=[False, True]))
    with pytest.raises(AssertionError, match="Hint"):
        ex.check(lambda h, j: sum(a == b for a, b in zip(h, j, strict=True)) / len(h))  # raw agreement is not kappa
