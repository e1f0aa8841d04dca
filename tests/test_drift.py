"""labkit.drift: detectors, sliding-window monitoring, features, and the training-serving skew check."""

from __future__ import annotations

import numpy as np
import pytest

from labkit import drift, lineage, traffic
from labkit.drift import MMD, PSI, DomainClassifier, KSTest, SkewError
from labkit.lineage import Embedder, LineageStore

RNG = np.random.default_rng(0)


def clusters(n: int, centre: int, d: int = 16, spread: float = 0.3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, spread, (n, d))
    x[:, centre] += 1.0
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# ---- detectors --------------------------------------------------------------------------------
def test_psi_is_near_zero_for_the_same_distribution_and_large_for_a_shift():
    ref = RNG.normal(0, 1, 5000)
    assert drift.psi(ref, RNG.normal(0, 1, 5000)) < 0.02
    assert drift.psi(ref, RNG.normal(1.0, 1, 5000)) > 0.5
    assert drift.psi(ref, RNG.normal(0.2, 1, 5000)) < drift.psi(ref, RNG.normal(0.6, 1, 5000))
    with pytest.raises(ValueError, match="non-empty"):
        drift.psi([], [1.0])
    assert PSI(threshold=0.25).score(ref, RNG.normal(1.0, 1, 500)).alert


def test_ks_test_alerts_on_a_shift_only():
    ref = RNG.normal(0, 1, 2000)
    same = KSTest(alpha=1e-3).score(ref, RNG.normal(0, 1, 300))
    moved = KSTest(alpha=1e-3).score(ref, RNG.normal(0.8, 1, 300))
    assert not same.alert and same.p_value > 1e-3
    assert moved.alert and moved.p_value < 1e-6 and moved.statistic > same.statistic


def test_mmd_permutation_test_separates_same_from_different():
    ref, same, other = clusters(150, 0, seed=1), clusters(100, 0, seed=2), clusters(100, 1, seed=3)
    mixed = np.vstack([clusters(70, 0, seed=4), clusters(30, 1, seed=5)])
    _, p_same, _ = drift.mmd_permutation_test(ref, same, 200)
    s_other, p_other, _ = drift.mmd_permutation_test(ref, other, 200)
    s_mixed, p_mixed, _ = drift.mmd_permutation_test(ref, mixed, 200)
    assert p_same > 0.05
    assert p_other == pytest.approx(1 / 201) and p_mixed < 0.01
    assert s_other > s_mixed > 0
    # sequential: a window without drift stops early, with a p-value above the cut
    _, p_early, _ = drift.mmd_permutation_test(ref, same, 1000, stop_above=0.001)
    assert p_early >= 0.001
    assert MMD(alpha=0.005, permutations=300).score(ref, other).alert


def test_domain_classifier_auc_is_half_without_drift_and_high_with_it():
    ref = clusters(200, 0, seed=1)
    auc_same = drift.domain_classifier_auc(ref, clusters(150, 0, seed=2))
    auc_other = drift.domain_classifier_auc(ref, clusters(150, 1, seed=3))
    assert 0.35 < auc_same < 0.65 and auc_other > 0.95
    det = DomainClassifier(threshold=0.7, components=8)
    assert det.score(ref, clusters(150, 1, seed=3)).alert and not det.score(ref, clusters(150, 0, seed=4)).alert


# ---- monitoring -------------------------------------------------------------------------------
def stream(drift_at: float | None, hours: float = 168.0, per_hour: int = 40, shift: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, hours, int(hours * per_hour)))
    x = rng.normal(0, 1, t.size)
    if drift_at is not None:
        x[t >= drift_at] += shift
    return t, x


def test_monitor_detects_a_shift_soon_after_onset_and_not_before():
    t, x = stream(drift_at=100.0)
    trace = drift.monitor(t, x, KSTest(alpha=1e-4), reference=(0, 48), window_hours=6)
    assert trace.false_alarms(onset=100.0) == 0
    assert trace.delay(100.0) is not None and trace.delay(100.0) <= 4
    assert trace.times[0] == 54 and np.all(np.diff(trace.times) == 1)
    assert np.all(trace.n[~np.isnan(trace.statistic)] >= 50)
    quiet = drift.monitor(*stream(drift_at=None), KSTest(alpha=1e-4))
    assert quiet.false_alarms() == 0 and quiet.first_alert() is None


def test_count_windows_patience_and_episodes():
    t, x = stream(drift_at=100.0, seed=1)
    by_count = drift.monitor(t, x, KSTest(alpha=1e-4), window_requests=120)
    assert set(by_count.n[~np.isnan(by_count.statistic)]) == {120}
    assert by_count.delay(100.0) is not None and by_count.delay(100.0) <= 4
    patient = drift.monitor(t, x, KSTest(alpha=1e-4), patience=3)
    eager = drift.monitor(t, x, KSTest(alpha=1e-4))
    assert patient.first_alert() >= eager.first_alert() + 2
    tr = drift.Trace("x", "r", np.arange(6.0), np.zeros(6), np.zeros(6), np.array([1, 1, 0, 1, 0, 1], bool),
                     np.ones(6, int), (0, 1), 1.0)
    assert tr.false_alarms() == 3 and tr.false_alarms(onset=2.5) == 1


def test_monitor_rejects_bad_input():
    t, x = stream(None)
    with pytest.raises(ValueError, match="embeddings"):
        drift.monitor(t, x, MMD())
    with pytest.raises(ValueError, match="one number"):
        drift.monitor(t, np.c_[x, x], KSTest())
    with pytest.raises(ValueError, match="reference window"):
        drift.monitor(t, x, KSTest(), reference=(0, 0.5))
    with pytest.raises(ValueError, match="same length"):
        drift.monitor(t[:-1], x, KSTest())


# ---- features ---------------------------------------------------------------------------------
QUESTIONS = [{"id": f"q-{i}", "question": q, "tenant": "shared"} for i, q in enumerate([
    "How do I reset my password?", "How much does the Team plan cost?", "Can I export submissions to CSV?",
    "Where is my data stored?", "How do I set up single sign-on?", "How many forms can I create?"])]


def test_featurize_and_the_embedding_cache(tmp_path):
    emb = lineage.bag_of_words(64)
    cache = drift.EmbeddingCache(emb, tmp_path / "vec.sqlite")
    week = traffic.simulate(days=2, seed=0, questions=QUESTIONS, events=[traffic.Launch(day=1)])
    kb = emb(["password reset help", "plans and prices", "csv export", "data regions"])
    before = emb.counter["texts"]
    feats = drift.featurize(week, cache, kb)
    assert len(feats) == len(week) and feats.embedding.shape == (len(week), 64)
    assert feats.length[0] == len(week[0].question.split())
    assert np.all((feats.kb_similarity > 0) & (feats.kb_similarity <= 1.0001))
    unique = len({r.question for r in week})
    assert emb.counter["texts"] - before == unique, "each distinct question is embedded once"
    again = drift.EmbeddingCache(lineage.bag_of_words(64), tmp_path / "vec.sqlite")
    again([r.question for r in week])
    assert again.embedder.counter["texts"] == 0, "the second run reads every vector from disk"
    with pytest.raises(ValueError, match="same model"):
        drift.featurize(week, cache, np.ones((2, 8)))
    with pytest.raises(ValueError, match="feature"):
        feats.get("colour")


def test_run_all_and_summary_on_a_launch_week():
    emb = drift.EmbeddingCache(lineage.bag_of_words(128))
    week = traffic.simulate(days=4, seed=1, questions=QUESTIONS, scale=2.0,
                            events=[traffic.Launch(day=3, share=0.5, ramp_hours=0)])
    feats = drift.featurize(week, emb)
    specs = [drift.Spec("length", KSTest()), drift.Spec("embedding", MMD(permutations=300, alpha=0.005))]
    traces = drift.run_all(feats, specs, reference=(0, 48), window_hours=6, step_hours=2)
    table = drift.summary(traces, onset=72.0)
    assert list(table["detector"]) == ["KS(length)", "MMD(embedding)"]
    mmd = traces["MMD(embedding)"]
    assert mmd.false_alarms(72.0) == 0 and mmd.delay(72.0) is not None and mmd.delay(72.0) <= 6


# ---- skew -------------------------------------------------------------------------------------
def kb_docs() -> list[dict]:
    topics = {"passwords": "reset password login sign in forgot credentials",
              "billing": "plan price cost invoice team seat monthly",
              "exports": "export csv download submissions spreadsheet",
              "regions": "data stored region europe residency location",
              "sso": "single sign-on saml identity provider okta",
              "forms": "forms create limit number builder fields"}
    return [{"id": f"kb-{i}", "doc_id": t, "title": t, "version": 1, "status": "current", "tenant": "shared",
             "text": (words + " ") * 8} for i, (t, words) in enumerate(topics.items())]


def golden() -> list[dict]:
    qs = [("How do I reset my password?", "kb-0"), ("How much does the Team plan cost?", "kb-1"),
          ("Can I export submissions to CSV?", "kb-2"), ("Where is my data stored?", "kb-3"),
          ("How do I set up SAML single sign-on?", "kb-4"), ("How many forms can I create?", "kb-5")]
    return [{"id": f"g{i}", "question": q, "doc_ids": [d], "tenant": "shared"} for i, (q, d) in enumerate(qs)]


def test_check_serving_passes_for_the_same_embedder_and_fails_loudly_otherwise(tmp_path):
    emb = lineage.bag_of_words(64)
    store = LineageStore(tmp_path / "kb.sqlite", embedder=emb)
    store.ingest(kb_docs())
    report = drift.check_serving(store, lineage.bag_of_words(64), chunker=store.chunker)
    assert report.probe_min_cosine > 0.999 and report.index_embedder == "bag-of-words-64"
    with pytest.raises(SkewError, match="rot1") as err:
        drift.check_serving(store, lineage.rotated(emb, seed=1))
    assert "rebuild the index" in str(err.value)
    silent = Embedder("bag-of-words-64", lineage.rotated(emb, seed=2, strength=0.5).fn)  # same name, new vectors
    with pytest.raises(SkewError, match="probe sentences"):
        drift.check_serving(store, silent)
    with pytest.raises(SkewError, match="chunker"):
        drift.check_serving(store, emb, chunker="another-chunker/2")
    with pytest.raises(SkewError, match="never ingested"):
        drift.check_serving(LineageStore(tmp_path / "empty.sqlite", embedder=emb), emb)


def test_skew_drops_dense_recall_on_the_golden_set(tmp_path):
    emb = lineage.bag_of_words(64)
    store = LineageStore(tmp_path / "kb.sqlite", embedder=emb)
    store.ingest(kb_docs())
    index = store.index()
    same = drift.retrieval_recall(index, golden(), emb, k=1)
    skewed = drift.retrieval_recall(index, golden(), lineage.rotated(emb, seed=4), k=1)
    assert same.recall >= 0.8 and same.n == 6
    assert skewed.recall <= same.recall - 0.3
    with pytest.raises(ValueError, match="doc_ids"):
        drift.retrieval_recall(index, [{"question": "x", "doc_ids": []}], emb)


@pytest.mark.slow
def test_real_model_rotation_skew_is_caught_by_recall_and_by_the_start_up_check(tmp_path):
    emb = lineage.minilm()
    store = LineageStore(tmp_path / "kb.sqlite", embedder=emb)
    store.ingest(kb_docs())
    index = store.index()
    same = drift.retrieval_recall(index, golden(), emb, k=1)
    skewed = drift.retrieval_recall(index, golden(), lineage.rotated(emb, seed=1), k=1)
    assert same.recall > skewed.recall
    drift.check_serving(store, emb)
    with pytest.raises(SkewError):
        drift.check_serving(store, lineage.truncated(emb, 3))


def test_the_psi_exercise_agrees_with_drift_psi():
    from labkit.exercises import get

    ex = get("nb02.psi")
    for args in ex.inputs():
        assert ex.solution(*args) == pytest.approx(drift.psi(*args), rel=1e-9)
    delay = get("nb02.delay")
    times, alerts = [float(t) for t in range(10)], [False, True, False, True, True, False, True, True, True, False]
    trace = drift.Trace("x", "r", np.array(times), np.zeros(10), np.zeros(10), np.array(alerts), np.ones(10, int),
                        (0, 1), 1.0)
    assert delay.solution(times, alerts, 2.0, 1) == trace.delay(2.0) == 1.0
