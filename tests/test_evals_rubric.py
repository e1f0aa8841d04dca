"""The rubric on measured scores (labkit.evals.rubric), the variant registry and fixed sample
(labkit.evals.variants), and `labkit eval variants|rubric`. No model calls: runs are built from rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.cli import main
from labkit.evals import RunStore, rubric, variants
from labkit.evals.runs import Run, RunRow


def _row(item: str, *, f1: float, cite: float, tokens: int, latency: float = 3.0, judge: float | None = 0.5,
         error: str | None = None) -> RunRow:
    return RunRow(item_id=item, question=f"question {item}?", kind="single_fact", tenant=None, reference="x",
                  output=None if error else "an answer [1]", abstained=False, latency_s=latency, input_tokens=tokens,
                  output_tokens=0, error=error,
                  scores={"token_f1": f1, "citation_valid": cite, "abstention_correct": 1.0, "groundedness": 0.5,
                          "judge": judge})


def _run(name: str, rows: list[RunRow]) -> Run:
    return Run(id=f"id-{name}", name=name, created="2026-01-01T00:00:00", dataset="golden/test", config={},
               wall_s=1.0, workers=1, generate=True, rows=rows)


N = 20
# "full" is more correct; "trimmed" cites better and costs less: a real trade-off, in numbers.
FULL = _run("full", [_row(f"q{i}", f1=0.6 + 0.01 * (i % 3), cite=0.0, tokens=800) for i in range(N)])
TRIMMED = _run("trimmed", [_row(f"q{i}", f1=0.3 + 0.01 * (i % 2), cite=1.0, tokens=400) for i in range(N)])


def test_criterion_scores_come_from_the_measured_metrics_and_skip_failed_requests() -> None:
    run = _run("r", [_row("a", f1=0.25, cite=1.0, tokens=250, latency=15.0), _row("b", f1=0.0, cite=0.0, tokens=1,
                                                                                 error="TimeoutError: slow")])
    s = rubric.criterion_scores(run)
    assert s["correctness"] == {"a": 0.25} and s["citations"] == {"a": 1.0} and s["refusal"] == {"a": 1.0}
    assert s["cost"]["a"] == pytest.approx(1 - 250 / rubric.TOKEN_BUDGET)
    assert s["latency"]["a"] == pytest.approx(1 - 15.0 / rubric.LATENCY_BUDGET_S)
    assert "b" not in s["cost"]  # a failed request is no answer: not scored, not free
    means = rubric.criterion_means(run)
    assert means["correctness"].estimate == pytest.approx(0.25) and means["correctness"].n == 1


def test_weights_decide_the_winner_and_the_margin_has_a_paired_interval() -> None:
    quality = rubric.weighted_totals([FULL, TRIMMED], {"citations": 0, "cost": 0, "latency": 0, "judge": 0})
    assert quality.winner == "full" and quality.decisive
    # every item scores f1, groundedness and refusal: (0.6.. + 0.5 + 1) / 3 against (0.3.. + 0.5 + 1) / 3
    f1_full = rubric.criterion_means(FULL)["correctness"].estimate
    assert quality.totals["full"].estimate == pytest.approx((f1_full + 1.5) / 3)
    thrifty = rubric.weighted_totals([FULL, TRIMMED], {"correctness": 1, "citations": 2, "cost": 2})
    assert thrifty.winner == "trimmed" and thrifty.decisive
    assert thrifty.margin.low > 0 and list(thrifty.totals) == ["trimmed", "full"]
    assert "winner: trimmed" in thrifty.report() and "ahead outside the interval" in thrifty.report()


def test_a_noisy_difference_is_reported_as_not_decisive() -> None:
    a = _run("a", [_row(f"q{i}", f1=float(i % 2), cite=0.0, tokens=500) for i in range(8)])
    b = _run("b", [_row(f"q{i}", f1=float((i + 1) % 2) if i < 7 else 1.0, cite=0.0, tokens=500) for i in range(8)])
    r = rubric.weighted_totals([a, b], {"correctness": 1, "groundedness": 0, "refusal": 0, "cost": 0,
                                        "latency": 0, "judge": 0, "citations": 0})
    assert not r.decisive and "NOT decisive" in r.report()


def test_flip_weights_finds_where_the_winner_changes() -> None:
    flips = rubric.flip_weights([FULL, TRIMMED], {"correctness": 1}, {"citations": 1})
    assert len(flips) == 1 and (flips[0].before, flips[0].after) == ("full", "trimmed")
    # weights (1-t) on correctness and t on citations: full scores (1-t)*f1, trimmed (1-t)*f1' + t*1
    t = flips[0].t
    f1_full, f1_trim = (rubric.criterion_means(r)["correctness"].estimate for r in (FULL, TRIMMED))
    full, trimmed = (1 - t) * f1_full, (1 - t) * f1_trim + t
    assert full == pytest.approx(trimmed, abs=1e-3)
    assert rubric.flip_weights([FULL, TRIMMED], {"correctness": 1}, {"correctness": 1, "groundedness": 1}) == []


def test_bad_weights_and_runs_are_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="unknown criterion 'tone'"):
        rubric.check_weights({"tone": 1})
    with pytest.raises(ValueError, match=">= 0"):
        rubric.check_weights({"cost": -1})
    with pytest.raises(ValueError, match="every weight is 0"):
        rubric.check_weights(dict.fromkeys(rubric.CRITERIA, 0))
    with pytest.raises(ValueError, match="CRITERION=NUMBER"):
        rubric.parse_weights(["cost"])
    assert rubric.parse_weights(["cost=2", "judge=0"]) == {"cost": 2.0, "judge": 0.0}
    with pytest.raises(ValueError, match="at least two runs"):
        rubric.weighted_totals([FULL])
    no_judge = _run("nj", [_row(f"q{i}", f1=0.5, cite=1.0, tokens=100, judge=None) for i in range(N)])
    with pytest.raises(ValueError, match="no 'judge' scores.*--weight judge=0"):
        rubric.weighted_totals([FULL, no_judge])
    other = _run("other", [_row(f"z{i}", f1=0.5, cite=1.0, tokens=100) for i in range(N)])
    with pytest.raises(ValueError, match="share fewer than 2"):
        rubric.weighted_totals([FULL, other])


def test_golden_sample_is_fixed_and_holds_every_kind() -> None:
    a, b = variants.golden_sample(12), variants.golden_sample(12)
    assert [r["id"] for r in a] == [r["id"] for r in b] and len(a) == 12
    assert {r["split"] for r in a} == {"dev"}
    assert {r["kind"] for r in a[:6]} == {r["kind"] for r in variants.golden_sample()}  # every kind in the first turn
    assert [r["id"] for r in variants.golden_sample(20)][:12] == [r["id"] for r in a]  # a prefix, not a new draw
    with pytest.raises(ValueError, match="sample size"):
        variants.golden_sample(0)
    with pytest.raises(ValueError, match="unknown variant 'k9'"):
        variants.variant("k9")


def test_variants_make_a_real_trade_off_and_build_apps() -> None:
    assert len([v for v in variants.VARIANTS.values() if not v.broken]) >= 3
    assert variants.VARIANTS["default"].changes == {}
    assert [v.name for v in variants.VARIANTS.values() if v.broken] == ["one-token"]
    from labkit.rag import RagConfig

    for v in variants.VARIANTS.values():
        RagConfig().variant(**v.changes)  # every variant is a valid config


def test_rubric_scores_groundedness_per_answer_without_the_judge() -> None:
    rows = [RunRow("a", "How much is the Team plan?", "numeric", None, "$24", output="It costs $24 per user [1].",
                   abstained=False),
            RunRow("b", "Who is the CEO of Mars?", "unanswerable", None, None, output="I don't know.", abstained=True)]
    run = _run("g", rows)
    contexts = {("How much is the Team plan?", None): "[1] Pricing\nThe Team plan costs $24 per user per month.",
                ("Who is the CEO of Mars?", None): "[1] Pricing\nThe Team plan costs $24 per user per month."}
    variants.add_rubric_scores(run, contexts, judge=False)
    assert run.rows[0].scores["groundedness"] is not None and run.rows[0].scores["judge"] is None
    assert run.rows[1].scores["groundedness"] is None  # an abstention makes no claim to check
    wrong = _run("w", [RunRow("a", "How much is the Team plan?", "numeric", None, "$24",
                              output="It costs $99 per user [1].", abstained=False)])
    variants.add_rubric_scores(wrong, contexts, judge=False)
    assert wrong.rows[0].scores["groundedness"] < run.rows[0].scores["groundedness"]


def test_the_judge_column_is_the_validated_binary_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    from labkit.evals import criteria_judge

    asked: dict = {}

    def fake_judge_many(items, name, *, examples, workers):  # the model call is the server tests' business
        asked.update(items=items, name=name, examples=examples)
        return [criteria_judge.Verdict(it["id"], name, it["id"] == "b", "") for it in items]

    monkeypatch.setattr(criteria_judge, "judge_many", fake_judge_many)
    rows = [RunRow("a", "How much is the Team plan?", "numeric", None, "$24", output="It costs $99 [1].",
                   abstained=False),
            RunRow("b", "Who is the CEO of Mars?", "unanswerable", None, "I don't know", output="I don't know.",
                   abstained=True),
            RunRow("c", "What is SSO?", "single_fact", None, "x", output=None, error="timeout")]
    run = _run("j", rows)
    contexts = {(r.question, None): "[1] Pricing\nThe Team plan costs $24 per user per month." for r in rows}
    variants.add_rubric_scores(run, contexts)
    assert asked["name"] == rubric.JUDGE_CRITERION
    assert [it["id"] for it in asked["items"]] == ["a", "b"]  # abstentions are judged, failed requests are not
    assert asked["items"][0]["reference"] == "$24"
    assert {e["split"] for e in asked["examples"]} == {"train"}
    assert [r.scores["judge"] for r in run.rows] == [0.0, 1.0, None]


def test_judge_rates_come_from_the_judge_bench(tmp_path: Path) -> None:
    rates = rubric.judge_rates()
    assert rates is not None and rates.criterion == "correct"
    tpr, tnr = rates.accuracy.tpr, rates.accuracy.tnr
    assert tpr.low <= tpr.estimate <= tpr.high and tnr.n > 0
    assert f"TPR {tpr}" in str(rates) and rates.model in str(rates)
    assert rates.youden == pytest.approx(tpr.estimate + tnr.estimate - 1)
    assert rubric.judge_rates(tmp_path / "absent.json") is None
    (tmp_path / "old.json").write_text('{"criteria": {}}')
    assert rubric.judge_rates(tmp_path / "old.json") is None


def test_cli_variants_and_rubric(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "variants"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in variants.VARIANTS) and "deliberately worse" in out
    db = str(tmp_path / "runs.sqlite")
    store = RunStore(db)
    store.save(FULL)
    store.save(TRIMMED)
    assert main(["eval", "rubric", "full", "trimmed", "--db", db, "--weight", "citations=0", "--weight", "cost=0",
                 "--weight", "latency=0", "--weight", "judge=0"]) == 0
    out = capsys.readouterr().out
    assert "winner: full" in out and "judge" in out
    assert main(["eval", "rubric", "full", "trimmed", "--db", db, "--weight", "citations=3", "--weight", "cost=3"]) == 0
    assert "winner: trimmed" in capsys.readouterr().out
    for bad, message in ((["--weight", "tone=1"], "unknown criterion 'tone'"),
                         (["--weight", "cost=lots"], "CRITERION=NUMBER")):
        assert main(["eval", "rubric", "full", "trimmed", "--db", db, *bad]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert main(["eval", "rubric", "full", "--db", db]) == 2
    assert main(["eval", "rubric", "full", "nope", "--db", db]) == 2
    assert "no run 'nope'" in capsys.readouterr().err
    assert main(["eval", "run", "--variant", "default", "--k", "5", "--db", db]) == 2
    assert "--variant sets the app's config itself" in capsys.readouterr().err
