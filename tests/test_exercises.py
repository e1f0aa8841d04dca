"""The exercise auto-check: pass, not attempted, wrong answer, and solutions mode."""

from __future__ import annotations

import pytest

from labkit.exercises import get


def test_reference_solution_passes(capsys: pytest.CaptureFixture[str]) -> None:
    ex = get("nb00.cost")
    assert ex.check(ex.solution)
    assert "passed 3 checks" in capsys.readouterr().out


def test_stub_is_not_attempted_unless_solutions_mode(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    def stub(*args):
        raise NotImplementedError

    ex = get("nb00.cost")
    monkeypatch.delenv("LABKIT_SOLUTIONS", raising=False)
    assert ex.check(stub) is False
    assert "not attempted" in capsys.readouterr().out
    monkeypatch.setenv("LABKIT_SOLUTIONS", "1")
    assert ex.check(stub) is True


def test_wrong_answer_fails_with_hint() -> None:
    ex = get("nb00.cost")
    with pytest.raises(AssertionError, match="Hint"):
        ex.check(lambda model, i, o: (i + o) * 1.0)  # forgot prices per million


def test_bad_ids() -> None:
    with pytest.raises(ValueError):
        get("nope")
    with pytest.raises(ValueError, match="has"):
        get("nb00.nothing")
