"""labkit.feedback: thumbs-down feedback into the regression set; the popularity loop, detected and broken."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from labkit import feedback, lineage
from labkit.feedback import Feedback, RegressionSet


def down(rid: str, q: str, tenant: str = "shared", answer: str = "wrong") -> Feedback:
    return Feedback(request_id=rid, question=q, rating=-1, answer=answer, tenant=tenant, sources=("kb-1",))


def test_thumbs_down_becomes_a_case_and_repeats_add_votes():
    reg = RegressionSet()
    assert reg.add(Feedback("r0", "How do I export to CSV?", 1)) is None and reg.ignored_positive == 1
    c1 = reg.add(down("r1", "How do I export to CSV?"))
    c2 = reg.add(down("r2", "how do i export to csv"))  # same question, typed differently
    assert c1 is c2 and c1.votes == 2 and c1.request_ids == ["r1", "r2"] and len(reg) == 1
    reg.add(down("r3", "How do I export to CSV?", tenant="acme"))  # another tenant is another case
    assert len(reg) == 2


def test_paraphrases_merge_with_an_embedder_and_unrelated_questions_do_not():
    reg = RegressionSet(embed=lineage.bag_of_words(256), merge_cosine=0.8)
    reg.add(down("r1", "How do I export submissions to CSV?"))
    reg.add(down("r2", "Hi! How do I export submissions to CSV? Thanks."))
    reg.add(down("r3", "Which currencies does Quaywise Pay support?"))
    assert len(reg) == 2
    assert reg.cases[0].votes == 2 and len(reg.cases[0].variants) == 2


def test_export_in_golden_format_with_labels_and_min_votes(tmp_path):
    reg = RegressionSet(min_votes=2)
    for i in range(3):
        reg.add(down(f"a{i}", "Is Quaywise Pay PCI compliant?"))
    reg.add(down("b0", "Where is my data stored?"))
    rows = reg.to_golden()
    assert [r["question"] for r in rows] == ["Is Quaywise Pay PCI compliant?"]
    row = rows[0]
    assert row["kind"] == "regression" and row["status"] == "needs_label" and row["answer"] is None
    assert row["votes"] == 3 and row["doc_ids"] == ["kb-1"] and row["bad_answers"]
    reg.label(row["id"], "Yes, it is.")
    assert reg.to_golden()[0]["status"] == "labelled"
    path = reg.save(tmp_path / "reg.jsonl")
    assert json.loads(path.read_text().splitlines()[0])["answer"] == "Yes, it is."
    with pytest.raises(KeyError):
        reg.label("reg-9999", "x")
    with pytest.raises(ValueError, match="rating"):
        Feedback("r", "q", 0)


def test_simulated_feedback_is_mostly_negative_for_bad_answers():
    reqs = [SimpleNamespace(id=f"r{i}", question=f"question {i}", tenant="shared", user="u", ts=float(i))
            for i in range(4000)]
    votes = feedback.simulate_feedback(reqs, good=lambda r: int(r.id[1:]) % 2 == 0, rate=0.5, seed=1)
    assert 0.45 < len(votes) / len(reqs) < 0.55
    bad_down = np.mean([v.rating < 0 for v in votes if int(v.request_id[1:]) % 2])
    good_down = np.mean([v.rating < 0 for v in votes if int(v.request_id[1:]) % 2 == 0])
    assert bad_down > 0.6 and good_down < 0.1
    assert votes == feedback.simulate_feedback(reqs, good=lambda r: int(r.id[1:]) % 2 == 0, rate=0.5, seed=1)


def test_gini():
    assert feedback.gini(np.ones(10)) == pytest.approx(0.0)
    assert feedback.gini(np.r_[np.zeros(9), 1.0]) == pytest.approx(0.9)
    assert feedback.gini(np.zeros(3)) == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_popularity_loop_is_detected_and_exploration_breaks_it(seed):
    pop = feedback.simulate_popularity_loop(policy="popularity", seed=seed, rounds=120)
    exp = feedback.simulate_popularity_loop(policy="explore", seed=seed, rounds=120)
    d_pop, d_exp = feedback.diagnose_loop(pop), feedback.diagnose_loop(exp)
    assert d_pop.loop_suspected and not d_exp.loop_suspected
    assert d_pop.never_shown > d_exp.never_shown
    (row_pop, row_exp) = feedback.loop_table([pop, exp])
    assert row_exp["best_items_shown_at_end"] > row_pop["best_items_shown_at_end"]
    assert row_exp["clicks_per_user_at_end"] > row_pop["clicks_per_user_at_end"]
    assert pop.params["simulation"] is True and pop.params["policy"] == "popularity"


def test_loop_simulation_is_seeded_and_validates():
    a = feedback.simulate_popularity_loop(seed=3, rounds=20)
    b = feedback.simulate_popularity_loop(seed=3, rounds=20)
    assert np.array_equal(a.clicks, b.clicks) and a.shown_top == b.shown_top
    assert feedback.to_dict(a)["policy"] == "popularity"
    with pytest.raises(ValueError, match="policy"):
        feedback.simulate_popularity_loop(policy="random")
    with pytest.raises(ValueError, match="slots"):
        feedback.simulate_popularity_loop(slots=9)
    with pytest.raises(ValueError, match="labels"):
        feedback.simulate_popularity_loop(labels=["a", "b"])
