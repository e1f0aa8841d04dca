"""The capstone's layer exercises: each reference layer passes its probe check, a layer that does nothing
(or the wrong layer) fails with what is missing, and ``add_layer`` applies the learner's, the reference or
nothing."""

from __future__ import annotations

import pytest

from labkit.capstone import layers
from labkit.exercises import capstone as cx

LAYER_IDS = sorted(cx.EXERCISES)


@pytest.mark.parametrize("exercise_id", LAYER_IDS)
def test_the_reference_layer_passes_and_doing_nothing_fails(exercise_id: str) -> None:
    ex = cx.EXERCISES[exercise_id]
    assert ex.check(ex.solution)
    with pytest.raises(AssertionError, match="Hint"):
        ex.check(lambda service: service)


def test_the_wrong_layer_fails_naming_what_is_missing() -> None:
    with pytest.raises(AssertionError, match="attack probe reached the model"):
        cx.EXERCISES["capstone.input_guard"].check(layers.with_output_guard)
    with pytest.raises(AssertionError, match="evaluation score"):
        cx.EXERCISES["capstone.online_eval"].check(lambda s: layers.with_online_eval(s, rate=0.0))
    with pytest.raises(AssertionError, match="not every request"):
        cx.EXERCISES["capstone.online_eval"].check(lambda s: layers.with_online_eval(s, rate=1.0))


def test_add_layer_applies_the_learners_the_reference_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def stub(service):
        raise NotImplementedError

    mine = cx.add_layer("capstone.tracing", layers.with_tracing, cx.probe_prototype)
    assert mine is not cx.probe_prototype
    monkeypatch.delenv("LABKIT_SOLUTIONS", raising=False)
    assert cx.add_layer("capstone.tracing", stub, cx.probe_prototype) is cx.probe_prototype
    monkeypatch.setenv("LABKIT_SOLUTIONS", "1")
    assert cx.add_layer("capstone.tracing", stub, cx.probe_prototype) is not cx.probe_prototype
