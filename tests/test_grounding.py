"""labkit.grounding: claim splitting, the fast detectors, combination, evaluation and mitigations
(code tests, no model), plus the LLM detectors against the real embedded server (``server`` marker)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labkit import grounding
from labkit.grounding import claims as C
from labkit.grounding import combine, detectors, evaluate, mitigate

CONTEXT = (
    "[1] Team plan: $19 per user per month on monthly billing, or $16 per user per month billed annually. "
    "Files up to 100 MB each. Support replies within 4 hours.\n\n"
    "[2] Single sign-on (SAML) is not included in the Starter plan. It is included in Business.\n\n"
    "[3] Quaywise 5.6 was released on 27 May 2025 and added the EU West region in Dublin."
)


# --- claims -----------------------------------------------------------------------------------------

def test_split_claims_keeps_citations_with_their_sentence() -> None:
    out = C.split_claims("Team costs $19 per user [1]. Files up to 100 MB. [1] SSO is in Business [2].")
    assert [c.clean for c in out] == ["Team costs $19 per user.", "Files up to 100 MB.", "SSO is in Business."]
    assert [c.citations for c in out] == [(1,), (1,), (2,)]


def test_split_sentences_does_not_break_decimals_or_abbreviations() -> None:
    assert C.split_sentences("It costs $1.10, e.g. for v4.2 users. Next one.") == [
        "It costs $1.10, e.g. for v4.2 users.", "Next one."]


def test_quantities_parse_currency_scale_percent_and_comparators() -> None:
    qs = {q.text: q for q in C.quantities("It grossed $ 2.6 million, over 90 % of reviews, at least 5 seats.")}
    assert qs["$ 2.6 million"].value == pytest.approx(2.6e6) and qs["$ 2.6 million"].unit == "usd"
    assert qs["90 %"].unit == "percent" and qs["90 %"].comparator == "gt"
    assert qs["5"].comparator == "ge" and qs["5"].unit == "seat"


def test_quantities_parse_dates_and_skip_identifiers() -> None:
    qs = C.quantities("Released on May 27, 2025 (see kb-0001), before June 2024, in 1985-2007.")
    dates = [q for q in qs if q.is_date]
    assert [d.value for d in dates] == [20250527.0, 20240600.0]
    assert dates[1].comparator == "lt"
    assert 1.0 not in [q.value for q in qs], "kb-0001 is an identifier, not a number"
    assert {1985.0, 2007.0} <= {q.value for q in qs}


def test_entities_skip_sentence_openers_but_keep_names_and_identifiers() -> None:
    ents = C.entities("The plan is hosted in Dublin. Contact security@quaywise.example or call `ca1`. "
                      "It returns payload_too_large.")
    assert "Dublin" in ents and "security@quaywise.example" in ents and "payload_too_large" in ents
    assert "The" not in ents and "It" not in ents


def test_split_sources_reads_numbered_blocks() -> None:
    assert sorted(C.split_sources(CONTEXT)) == [1, 2, 3]
    assert C.split_sources("no numbers here") == {}


# --- detectors --------------------------------------------------------------------------------------

def test_numeric_accepts_stated_numbers_and_flags_a_wrong_one() -> None:
    good = detectors.numeric(CONTEXT, "How much is Team?", "Team is $19 per user per month [1].")
    bad = detectors.numeric(CONTEXT, "How much is Team?", "Team is $24 per user per month [1].")
    assert good.applicable and good.score == 1.0 and not good.unsupported_claims
    assert bad.score == 0.0 and bad.unsupported_claims == ["Team is $24 per user per month."]
    assert "$19" in bad.reasons()[0], "the reason should point at the number the sources give"


def test_numeric_checks_comparisons_and_dates() -> None:
    ctx = "The film has 223 reviews and was released on 9 November 1920."
    assert detectors.numeric(ctx, "", "It has less than 224 reviews.").score == 1.0
    assert detectors.numeric(ctx, "", "It has more than 224 reviews.").score == 0.0
    assert detectors.numeric(ctx, "", "It was released before May 1923.").score == 1.0
    assert detectors.numeric(ctx, "", "It was released after May 1923.").score == 0.0
    assert detectors.numeric(ctx, "", "It was released on 10 November 1920.").score == 0.0


def test_numeric_ignores_numbers_from_the_question_and_is_inapplicable_without_numbers() -> None:
    r = detectors.numeric(CONTEXT, "Can I upload a 300 MB file?", "A 300 MB file is too big; the limit is 100 MB.")
    assert r.score == 1.0
    r = detectors.numeric(CONTEXT, "Is SSO in Starter?", "No, SSO is not in Starter.")
    assert not r.applicable and r.score == 1.0


def test_entity_flags_names_the_context_never_mentions() -> None:
    assert detectors.entity(CONTEXT, "Where is EU West?", "EU West is in Dublin [3].").score == 1.0
    r = detectors.entity(CONTEXT, "Where is EU West?", "EU West is in Frankfurt [3].")
    assert r.score == 0.0 and "Frankfurt" in r.reasons()[0]


def test_negation_flags_a_copied_sentence_with_flipped_polarity() -> None:
    r = detectors.negation(CONTEXT, "", "Single sign-on (SAML) is included in the Starter plan.")
    assert r.applicable and r.score == 0.0
    ok = detectors.negation(CONTEXT, "", "Single sign-on (SAML) is not included in the Starter plan.")
    assert ok.score == 1.0


def test_citation_flags_missing_invalid_and_wrong_citations() -> None:
    assert detectors.citation(CONTEXT, "", "Team is $19 per user per month [1].").score == 1.0
    assert detectors.citation(CONTEXT, "", "Team is $19 per user per month.").reasons()[0].endswith("cites no source")
    assert "not among the 3 sources" in detectors.citation(CONTEXT, "", "Team is $19 [7].").reasons()[0]
    assert detectors.citation(CONTEXT, "", "Team is $19 per user per month [3].").score == 0.0
    assert not detectors.citation("plain text, no numbered sources", "", "Anything [1].").applicable


def test_detectors_validate_their_inputs() -> None:
    with pytest.raises(TypeError, match="context must be a string"):
        detectors.numeric(["a list"], "", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_overlap"):
        detectors.negation("a", "", "b", min_overlap=0)


# --- support_score ----------------------------------------------------------------------------------

def test_support_score_separates_a_grounded_answer_from_a_hallucinated_one() -> None:
    good = grounding.support_score(CONTEXT, "How much is Team?", "Team costs $19 per user per month [1].")
    bad = grounding.support_score(CONTEXT, "How much is Team?",
                                  "Team costs $24 per user per month [1]. SSO is included in Starter [2].")
    assert good.supported and good.score > bad.score and not bad.supported
    assert bad.unsupported_claims == ["Team costs $24 per user per month.", "SSO is included in Starter."]
    assert set(bad.per_detector) == set(grounding.FAST_DETECTORS)
    assert json.loads(json.dumps(bad.to_dict()))["supported"] is False


def test_missing_citation_is_reported_but_is_not_a_hallucination() -> None:
    r = grounding.support_score(CONTEXT, "How much is Team?", "Team costs $19 per user per month.")
    assert r.supported and r.unsupported_claims == []
    ruled = grounding.support_score(CONTEXT, "How much is Team?", "Team costs $19 per user per month.",
                                    combiner=combine.fixed_rule)
    assert ruled.supported and ruled.score <= 1 - combine.CITATION_WEIGHT + 1e-9, "the rule discounts it"
    assert r.per_detector["citation"].score == 0.0
    assert r.per_detector["citation"].unsupported_claims == ["Team costs $19 per user per month."]


def test_support_score_accepts_source_lists_and_passes_abstentions() -> None:
    r = grounding.support_score(["Team costs $19.", "SSO is in Business."], "q", "Team costs $19 [1].")
    assert r.supported and r.per_detector["citation"].score == 1.0, "a list of sources is numbered [1], [2], ..."
    idk = grounding.support_score(CONTEXT, "Who is the CEO?", "I don't know.")
    assert idk.abstained and idk.supported and idk.per_detector == {}


def test_support_score_validates_arguments() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        grounding.support_score(CONTEXT, "q", "  ")
    with pytest.raises(ValueError, match="threshold"):
        grounding.support_score(CONTEXT, "q", "a", threshold=2)
    with pytest.raises(ValueError, match="unknown detector"):
        grounding.support_score(CONTEXT, "q", "a", detectors=["nli"])
    with pytest.raises(TypeError, match="source 1"):
        grounding.format_sources([3])


def test_fast_detectors_are_fast() -> None:
    answer = "Team costs $19 per user per month [1]. Files up to 100 MB. EU West is in Dublin [3]."
    grounding.support_score(CONTEXT, "q", answer)
    r = grounding.support_score(CONTEXT, "q", answer)
    assert r.ms < 250, f"the output guard runs this on every answer; took {r.ms:.0f} ms"


# --- combination ------------------------------------------------------------------------------------

def _result(name: str, score: float, applicable: bool = True) -> detectors.DetectorResult:
    return detectors.DetectorResult(name, score, applicable)


def test_default_combiner_matches_a_refit_on_the_train_split() -> None:
    # The shipped weights must be what fitting on the labelled train split gives with today's detectors.
    refit = combine.fit_default()
    assert refit.n_train == combine.DEFAULT_COMBINER.n_train
    assert refit.coef == pytest.approx(combine.DEFAULT_COMBINER.coef, abs=2e-3)
    assert refit.intercept == pytest.approx(combine.DEFAULT_COMBINER.intercept, abs=2e-3)


def test_default_combiner_falls_back_to_the_rule_for_other_detector_sets() -> None:
    only = {"numeric": _result("numeric", 0.0)}
    assert combine.default_combiner(only) == combine.fixed_rule(only) == 0.0


def test_lexical_flags_invented_detail_and_abstains_on_bare_answers() -> None:
    r = detectors.lexical(CONTEXT, "Where is EU West?", "EU West is in Dublin, a famous rainy seaside capital.")
    assert r.applicable and r.score < 0.5 and r.unsupported_claims
    assert not detectors.lexical(CONTEXT, "Is SSO in Starter?", "No.").applicable


def test_fixed_rule_vetoes_on_hard_detectors_and_discounts_citations() -> None:
    assert combine.fixed_rule({"numeric": _result("numeric", 0.0), "entity": _result("entity", 1.0)}) == 0.0
    assert combine.fixed_rule({"numeric": _result("numeric", 1.0, False)}) == 1.0
    r = combine.fixed_rule({"numeric": _result("numeric", 1.0), "citation": _result("citation", 0.0)})
    assert r == pytest.approx(1 - combine.CITATION_WEIGHT)
    with pytest.raises(ValueError):
        combine.fixed_rule({})


def test_logistic_combiner_learns_which_detector_matters() -> None:
    rng = np.random.default_rng(0)
    results, labels = [], []
    for _ in range(80):
        y = bool(rng.random() < 0.5)
        results.append({"numeric": _result("numeric", 1.0 if y else 0.0),
                        "entity": _result("entity", float(rng.random()))})
        labels.append(y)
    model = combine.LogisticCombiner.fit(results, labels)
    assert model.predict({"numeric": _result("numeric", 1.0), "entity": _result("entity", 0.5)}) > 0.8
    assert model.predict({"numeric": _result("numeric", 0.0), "entity": _result("entity", 0.5)}) < 0.2
    assert abs(model.weights()["numeric.score"]) > abs(model.weights()["entity.score"])
    with pytest.raises(ValueError, match="both"):
        combine.LogisticCombiner.fit(results[:5], [True] * 5)


# --- evaluation -------------------------------------------------------------------------------------

def test_auroc_matches_scikit_learn_and_handles_ties() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    labels = rng.random(200) < 0.4
    scores = np.round(rng.random(200) + labels * 0.3, 1)  # rounding makes ties
    assert evaluate.auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))
    assert evaluate.auroc([0.5, 0.5], [True, False]) == 0.5
    with pytest.raises(ValueError, match="both"):
        evaluate.auroc([0.1, 0.2], [True, True])
    a, lo, hi = evaluate.auroc_ci(scores, labels, n_boot=200)
    assert lo <= a <= hi


def test_threshold_curve_trades_blocked_good_for_recall() -> None:
    scores = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    labels = [False, False, True, False, True, True]
    pts = evaluate.threshold_curve(scores, labels)
    recalls = [p.recall for p in pts]
    blocked = [p.blocked_good for p in pts]
    assert recalls == sorted(recalls) and blocked == sorted(blocked)
    assert pts[0].recall == 0 and pts[-1].recall == 1 and pts[-1].blocked_good == 1
    at_half = evaluate.threshold_curve(scores, labels, [0.5])[0]
    assert at_half.precision == pytest.approx(2 / 3) and at_half.recall == pytest.approx(2 / 3)


def test_trivial_features() -> None:
    assert evaluate.verbatim_in_context(CONTEXT, "", "Files up to 100 MB each [1].") == 1.0
    assert evaluate.verbatim_in_context(CONTEXT, "", "Files up to 200 MB each.") == 0.0
    assert evaluate.word_overlap(CONTEXT, "", "Team plan billing") == 1.0
    assert evaluate.answer_length(CONTEXT, "", "one two three [1].") == 3.0


# --- mitigations ------------------------------------------------------------------------------------

def test_answer_then_verify_regenerates_then_refuses() -> None:
    replies = iter(["Team costs $19 per user per month [1]."])
    out = mitigate.answer_then_verify("How much is Team?", CONTEXT, first_answer="Team costs $24 [1].",
                                      generate=lambda messages: next(replies))
    assert out.action == "regenerated" and out.text.startswith("Team costs $19")
    assert len(out.attempts) == 2 and not out.attempts[0][1].supported

    def stubborn(messages: list[dict[str, str]]) -> str:
        assert "$24" in messages[-1]["content"], "the retry prompt should name the unsupported claim"
        return "Team costs $24 [1]."

    out = mitigate.answer_then_verify("How much is Team?", CONTEXT, first_answer="Team costs $24 [1].",
                                      generate=stubborn, max_attempts=2)
    assert out.action == "refused" and out.text == mitigate.REFUSAL


def test_refuse_if_unsupported_and_grounded_messages() -> None:
    bad = grounding.support_score(CONTEXT, "q", "Team costs $24 [1].")
    assert mitigate.refuse_if_unsupported("Team costs $24 [1].", bad) == mitigate.REFUSAL
    msgs = mitigate.grounded_messages("How much?", ["Team costs $19."])
    assert "I don't know" in msgs[0]["content"] and "[1] Team costs $19." in msgs[1]["content"]
    with pytest.raises(ValueError):
        mitigate.answer_then_verify("q", CONTEXT, max_attempts=0)


# --- the LLM detectors, against the real model ------------------------------------------------------

@pytest.mark.server
def test_llm_judge_returns_schema_valid_verdicts(embedded) -> None:
    from labkit.grounding import judge

    r = judge.llm_judge(CONTEXT, "How much is Team?", "Team costs $19 per user per month. EU West is in Dublin.")
    assert r.name == "llm_judge" and len(r.details["verdicts"]) == 2
    assert set(r.details["verdicts"]) <= set(judge.VERDICTS)
    assert 0.0 <= r.score <= 1.0 and all(0.0 <= p <= 1.0 for p in r.details["p_supported"])


@pytest.mark.server
def test_self_consistency_samples_and_scores(embedded) -> None:
    from labkit.grounding import judge

    r = judge.self_consistency(CONTEXT, "How much is the Team plan?", "Team costs $19 per user per month.",
                               samples=2, max_tokens=24)
    assert len(r.details["samples"]) == 2 and 0.0 <= r.score <= 1.0
    assert judge.agreement("Team costs $19.", ["It is $19 per user.", "$24."]) == 0.5


def test_demo_widget_runs_headless_and_shows_each_puzzle() -> None:
    from labkit.grounding.demo import PREDICT_CASES, GroundingDemo

    labelled = [{"context": CONTEXT, "question": "q", "answer": a, "supported": ok}
                for a, ok in (("Team is $19 per user per month [1].", True), ("Team is $24 [1].", False))]
    demo = GroundingDemo(PREDICT_CASES, labelled)
    views = {c["id"]: demo.view(c["id"], 0.5) for c in PREDICT_CASES}
    assert "numeric" in views[PREDICT_CASES[0]["id"]].flags
    assert list(views[PREDICT_CASES[1]["id"]].flags) == ["citation"]
    assert views[PREDICT_CASES[2]["id"]].rule_verdict == "block"
    demo.reveal.value = True  # triggers update() through the observer
    shown = demo.update()
    assert shown.case_id == PREDICT_CASES[0]["id"] and 0 <= shown.recall <= 1
    with pytest.raises(ValueError):
        GroundingDemo([], labelled)
