"""Evidently and alibi-detect beside labkit.drift: alert days agree within the stated tolerance."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_tool

from labkit import drift, lineage, traffic
from labkit.drift import tools_side
from labkit.drift.windows import Trace
from labkit.rag import RagApp


def trace_alerting_at(hours: list[float]) -> Trace:
    times = np.arange(54.0, 168.0, 1.0)
    alert = np.isin(times, hours)
    nan = np.full(times.size, np.nan)
    return Trace("MMD(embedding)", "p < 0.001", times, nan, nan, alert, np.zeros(times.size, int), (0.0, 48.0), 6.0)


def test_alert_days_put_a_window_ending_at_midnight_in_the_day_before() -> None:
    assert tools_side.alert_days(trace_alerting_at([72.0, 73.0, 121.0])) == {2, 3, 5}
    assert tools_side.alert_days(trace_alerting_at([])) == set()


def test_agreement_counts_days_that_differ() -> None:
    rows = [{"tool": "alibi-detect MMD p < 0.001", "day": d, "drift": d >= 3} for d in range(2, 7)]
    rows += [{"tool": "Evidently KS p < 0.0001", "day": d, "drift": d == 6} for d in range(2, 7)]
    rows += [{"tool": "Evidently KS p < 0.05", "day": d, "drift": True} for d in range(2, 7)]
    tools = tools_side.ToolDays(rows, {}, 0.0)
    traces = {"MMD(embedding)": trace_alerting_at([90.0, 100.0, 130.0, 160.0]),
              "KS(length)": trace_alerting_at([]), "KS(kb_similarity)": trace_alerting_at([])}
    ks, mmd = tools_side.agreement(tools, traces)  # in the order of tools_side.PAIRS
    assert (mmd["differ_by"], mmd["agree"]) == (0, True)
    assert (ks["tool_days"], ks["labkit_days"], ks["agree"]) == ([6], [], True)
    assert tools.flagged("Evidently KS p < 0.05") == {2, 3, 4, 5, 6}
    with pytest.raises(ValueError, match="choose one of"):
        tools.flagged("Evidently")  # two thresholds ran: the name must say which


def test_run_tools_names_the_make_target_when_the_environment_is_missing(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(tools_side, "ENV_PYTHON", tmp_path / "no-python")
    with pytest.raises(FileNotFoundError, match="make drift-tools"):
        tools_side.run_tools({})


@pytest.mark.slow
def test_tools_flag_the_days_labkit_alerts_on_within_one_day() -> None:
    require_tool(tools_side.ENV_PYTHON.exists(), "envs/drift_tools is not built: run `make drift-tools`")
    # The KB's chunk vectors come from the RAG app's index (all-MiniLM-L6-v2, the same chunking as a
    # LineageStore), built once per cache and shared by the suite instead of re-embedded here. The two
    # weeks repeat their questions (about 1,150 distinct texts in 8,676 requests): the in-memory
    # EmbeddingCache embeds each once. Only the detectors the tools are compared with run (PAIRS).
    _, kb_vectors = RagApp().index.vectors()
    embed = drift.EmbeddingCache(lineage.minilm())
    weeks = {"no drift": [], "launch": [traffic.Launch(day=3.5)]}
    feats = {name: drift.featurize(traffic.simulate(days=7, seed=0, events=ev), embed, kb_vectors)
             for name, ev in weeks.items()}
    paired = {n for names in tools_side.PAIRS.values() for n in names}
    specs = [s for s in drift.default_specs() if s.name in paired]
    assert len(specs) == len(paired), "a detector named in tools_side.PAIRS is not among drift.default_specs()"
    traces = {name: drift.run_all(f, specs) for name, f in feats.items()}
    tools = tools_side.run_tools(feats)
    for name in feats:
        rows = tools_side.agreement(tools[name], traces[name])
        assert all(r["agree"] for r in rows), (name, rows)
    launch = {r["tool"]: r for r in tools_side.agreement(tools["launch"], traces["launch"])}
    assert len(launch["alibi-detect MMD"]["tool_days"]) >= 3, "alibi-detect sees the launch on most later days"
