"""labkit.evals.online: stable request sampling and daily scores with intervals."""

from __future__ import annotations

import datetime as dt

import pytest

from labkit.evals import online


def test_sampling_is_stable_and_close_to_the_rate() -> None:
    items = [{"id": f"req-{i}"} for i in range(4000)]
    picked = online.sample(items, 0.1)
    assert 0.08 < len(picked) / len(items) < 0.12
    assert picked == online.sample(list(reversed(items)), 0.1)[::-1]  # membership does not depend on order
    assert online.sample(items, 0.1, salt="other") != picked
    bigger = online.sample(items, 0.2)
    assert {p["id"] for p in picked} <= {p["id"] for p in bigger}  # raising the rate only adds requests
    assert online.sample(items, 0.0) == [] and len(online.sample(items, 1.0)) == len(items)
    with pytest.raises(ValueError, match="rate"):
        online.sample(items, 1.5)


def test_daily_scores_group_by_day_and_skip_thin_days() -> None:
    day1, day2 = dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 2, 9)
    times = [day1] * 20 + [day2] * 20 + ["2026-03-03T10:00:00"]
    scores = [1.0] * 18 + [0.0] * 2 + [1.0] * 10 + [0.0] * 10 + [1.0]
    days = online.daily_scores(times, scores, min_n=5)
    assert [d.day for d in days] == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    assert days[0].score.estimate == pytest.approx(0.9) and days[1].score.estimate == pytest.approx(0.5)
    assert days[1].n == 20 and days[1].score.high < days[0].score.high
    epoch = online.daily_scores([day1.replace(tzinfo=dt.UTC).timestamp()], [1.0])
    assert epoch[0].day == dt.date(2026, 3, 1)
    with pytest.raises(ValueError, match="differ in length"):
        online.daily_scores([day1], [1.0, 0.0])
    with pytest.raises(TypeError, match="timestamps"):
        online.daily_scores([object()], [1.0])
