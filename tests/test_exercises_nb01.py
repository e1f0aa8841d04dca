"""The nb01 exercise: the reference passes its own check and a typical mistake is caught."""

from __future__ import annotations

import pytest

from labkit.exercises import get


def test_nb01_monthly_reference_and_a_wrong_answer() -> None:
    ex = get("nb01.monthly")
    assert ex.check(ex.solution)
    with pytest.raises(AssertionError, match="Hint"):
        ex.check(lambda model, rpd, i, o, h: ex.solution(model, rpd, i, o, 0.0))  # ignores the cache
