"""Judge TPR/TNR and the Rogan–Gladen corrected pass rate, on numbers checkable by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labkit.evals import judge_validation as jv


def test_tpr_and_tnr_count_the_confusion_matrix() -> None:
    acc = jv.judge_accuracy(judge_pass=[1, 1, 0, 0], human_pass=[1, 0, 0, 0])
    assert (acc.tpr.k, acc.tpr.n, acc.tnr.k, acc.tnr.n) == (1, 1, 2, 3)
    assert acc.tnr.estimate == pytest.approx(2 / 3) and acc.youden == pytest.approx(2 / 3)
    assert acc.tnr.low < 2 / 3 < acc.tnr.high


def test_rogan_gladen_by_hand() -> None:
    assert jv.rogan_gladen(0.6, 0.9, 0.8) == pytest.approx(0.4 / 0.7)   # (0.6 + 0.8 - 1) / (0.9 + 0.8 - 1)
    assert jv.rogan_gladen(0.1, 0.9, 0.8) == 0.0                         # -0.1 / 0.7, clipped
    assert jv.rogan_gladen(0.95, 0.9, 0.8) == 1.0                        # 0.75 / 0.7, clipped
    assert jv.rogan_gladen(0.3, 1.0, 1.0) == pytest.approx(0.3)                        # a perfect judge needs no correction
    assert math.isnan(jv.rogan_gladen(0.5, 0.5, 0.5))                    # at chance: undefined


def test_bad_input_names_the_fix() -> None:
    with pytest.raises(ValueError, match="one of each per item"):
        jv.judge_accuracy([1, 0], [1])
    with pytest.raises(ValueError, match="proportion"):
        jv.rogan_gladen(1.5, 0.9, 0.9)
    with pytest.raises(ValueError, match="both passes and failures"):
        jv.corrected_pass_rate([1, 0], judge_pass=[1, 1], human_pass=[1, 1])


def _good_judge(n: int = 150, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Human labels (40% pass) and a judge that is right on 90% of passes and 90% of failures."""
    rng = np.random.default_rng(seed)
    human = rng.random(n) < 0.4
    right = rng.random(n) < 0.9
    return np.where(right, human, ~human), human


def test_a_good_judge_recovers_the_true_rate_with_a_narrow_interval() -> None:
    judge_test, human_test = _good_judge()
    truth = np.random.default_rng(2).random(400) < 0.1          # the judged set: 10% truly pass
    judged = np.where(np.random.default_rng(3).random(400) < 0.9, truth, ~truth)
    r = jv.corrected_pass_rate(judged, judge_pass=judge_test, human_pass=human_test)
    assert r.observed - truth.mean() > 0.05   # the raw judge rate is off: 0.1*0.9 + 0.9*0.1 = 0.18
    assert r.low <= truth.mean() <= r.high and r.width < 0.25


def test_falsification_shuffled_labels_make_the_judge_chance_and_the_interval_uninformative() -> None:
    judge_test, human_test = _good_judge()
    judged = judge_test
    good = jv.corrected_pass_rate(judged, judge_pass=judge_test, human_pass=human_test)
    shuffled = np.random.default_rng(7).permutation(human_test)   # same balance, no link to the judge
    bad = jv.corrected_pass_rate(judged, judge_pass=judge_test, human_pass=shuffled)
    assert good.accuracy.youden > 0.6 and good.width < 0.3
    assert abs(bad.accuracy.youden) < 0.2                         # TPR + TNR close to 1
    assert bad.low <= 0.05 and bad.high >= 0.95                   # covers nearly all of [0, 1]
