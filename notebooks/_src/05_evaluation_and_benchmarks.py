# %% [markdown]
# # 05 · Evaluation & benchmarks: is the app good, and did this change make it worse?
#
# **What you will measure:** retrieval recall@k and MRR of the reference RAG app on the golden
# questions; answer correctness, abstention and citation validity end to end on a stated subset, each
# with a bootstrap confidence interval; a regression that the gate catches; how far an LLM judge agrees
# with human labels (its true-positive and true-negative rates, and the pass rate corrected for them),
# and its position and verbosity bias; three app variants scored on
# seven measured criteria, and the rubric weights at which the winner changes; an A/B test on a
# simulated week of traffic.
#
# **Time to run:** about 3–4 minutes on 2 CPU cores (most of it is 60 answers and the rubric's judge
# calls; the binary judge's verdicts on 190 labelled items come from `bench/bench_judge.py`). **Needs:** nothing — no API key, no network.
#
# Every number below is measured in this run. The app is `labkit.rag.RagApp` (hybrid BM25 + dense
# retrieval, a grounded prompt that cites sources) over the fictional Quaywise knowledge base; the
# questions are the course's golden set; the model is whatever `llm.client()` points at — by default
# the 135M-parameter SmolLM2, which is weak on purpose: evals exist to catch exactly that.

# %%
import json
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from IPython.display import Markdown, display

from labkit import agent, data, embed, evals, llm, tracing, traffic
from labkit.cli import main as labkit_cli
from labkit.evals import (
    criteria_judge,
    export,
    failures,
    interop,
    judge_validation,
    metrics,
    online,
    plots,
    stats,
    variants,
)
from labkit.exercises import get as exercise
from labkit.rag import RagApp

# %% [markdown]
# ## 1. Why a public benchmark does not tell you if *your app* is good
# A leaderboard score (MMLU, GSM8K, Arena) measures a **model** on **someone else's questions**. Your
# users ask about **your** product, through **your** retrieval and prompt, under **your** rules: answer
# only from the knowledge base, say "I don't know" when it has no answer, prefer the current page over a
# superseded one, never show one customer another customer's contract. None of that is in a public
# benchmark, so a model that gains five points on MMLU can lose ten on your app.
#
# What you need instead is a **golden set**: real-looking questions with reference answers and the
# documents that support them, tagged by the kind of failure they probe. Ours:

# %%
golden = data.records("golden")
dev = [r for r in golden if r["split"] == "dev"]
mix = pd.crosstab(pd.Series([r["kind"] for r in golden], name="kind"),
                  pd.Series([r["split"] for r in golden], name="split"))
print(mix)
special = {"unanswerable": sum(r["kind"] == "unanswerable" for r in golden),
           "superseded page exists": sum(r["kind"] == "outdated" for r in golden),
           "asked by a customer tenant": sum(r["tenant"] != "shared" for r in golden)}
print({k: f"{v} ({v / len(golden):.0%})" for k, v in special.items()})
assert set(mix.index) == {"single_fact", "numeric", "multi_hop", "unanswerable", "ambiguous", "outdated"}
assert special["unanswerable"] > 0 and special["asked by a customer tenant"] > 0

# %% [markdown]
# We **tune on `dev` and report on `test`**. Every choice in this notebook is made on the 77 dev
# questions; the test split is touched only by the benchmark (`bench/bench_rag.py`).
#
# ## 2. Evaluate retrieval first: it is cheap and it bounds everything else
# If the right page is not retrieved, the model cannot answer from it. Retrieval metrics need no
# model call, so we run the **whole** dev split. `evals.run(app, rows, generate=False)` pushes every
# question through the app's retriever (in parallel) and scores it:
#
# * **recall@k** — share of the gold documents among the first *k* distinct documents retrieved;
# * **MRR** — 1 / rank of the first gold document (1.0 = always first);
# * **context recall** — share of gold documents inside the *k=3* chunks the prompt actually holds.
#
# Each number comes with a 95% **bootstrap interval**: resample the questions with replacement
# 2,000 times and keep the middle 95% of the recomputed means. With 66 answerable questions it is wide.

# %%
workdir = Path(tempfile.mkdtemp(prefix="nb05-"))
store = evals.RunStore(workdir / "runs.sqlite")
app = RagApp()
retrieval = evals.run(app, dev, generate=False, name="baseline-retrieval", store=store)
retrieval.table()

# %%
r5 = retrieval.metrics()["recall@5"]
print(f"recall@5 on answerable dev questions: {r5}   (course target: >= 0.85)")
assert r5.estimate >= 0.80, "retrieval recall fell well below its target; check the index and tokeniser"
assert r5.width > 0.03, "an interval from ~66 questions cannot be that narrow"
plots.plot_by_kind(retrieval, ["recall@5", "context_recall"], title="Retrieval on dev, by question kind");

# %% [markdown]
# Single facts and numbers are found almost always; **multi-hop** and **ambiguous** questions need
# several pages and lose recall. Notice too that *context recall* (what the model sees, 3 chunks) is
# lower than recall@5: the cheapest lever on answer quality may be *k*, which is also the biggest lever
# on prompt cost. Hold that thought for section 4.
#
# ## 3. End to end on a stated subset
# A full answer costs a model call (~400 prompt tokens each on CPU), so here we evaluate **24 dev
# questions, 4 of each kind** (the benchmark runs all 251). `evals.run` sends 4 requests at a time; the
# server batches them. Every row — question, answer, retrieved ids, latency, tokens, cost, scores — is
# stored in SQLite so any two runs can be compared later, from Python or the command line.

# %%
# NBVAL_IGNORE_OUTPUT
subset = [r for kind in mix.index for r in [x for x in dev if x["kind"] == kind][:4]]
baseline = evals.run(app, subset, name="baseline", store=store, workers=4, progress=True)
print(baseline.summary())
baseline.frame()[["kind", "question", "output", "contains", "abstention_correct", "citation_valid"]].head(8)

# %%
table = baseline.table(["contains", "token_f1", "exact_match", "numeric_match", "abstention_correct",
                        "citation_valid", "stale_answer", "recall@5"])
print(table.round(3).to_string(index=False))
m = baseline.metrics()
assert len(baseline) == 24 and not baseline.errors
right = baseline.frame().query("contains == 1")  # answers that contain the reference (or an alias)
print(f"{len(right)} answers contain the reference; exact match credits {int(right['exact_match'].sum())} of them")
assert len(right) and (right["exact_match"] == 0).mean() > 0.5, "exact match misses most right answers"
assert max(i.width for i in m.values()) > 0.15, "24 questions cannot pin every metric down"
# the next claim is about the course's 135M model, wherever it is served (here or behind any endpoint)
COURSE_MODEL = llm.model_for("chat") == llm.registry.role_model("embedded", "chat")
if COURSE_MODEL:
    unanswerable = baseline.metrics(["abstention_correct"], kind="unanswerable")["abstention_correct"]
    assert unanswerable.estimate <= 0.5, "the 135M model rarely says it does not know"

# %% [markdown]
# Read the table slowly:
#
# * **Exact match** is near zero even when the answer is right, because a generative model writes a
#   sentence around the value. *contains* (the reference or an alias appears in the answer), *token F1*
#   and *numeric match* (any number in the answer within 1% of the reference) are the usable readings.
# * **abstention_correct** counts "I don't know" on unanswerable questions *and* a real answer on
#   answerable ones; the 135M model almost never abstains, so it scores on the answerable ones only.
# * The intervals are tens of points wide. **A 24-question eval can tell "broken" from "working", not
#   "62%" from "66%".** How many questions would you need?

# %%
for half in (0.10, 0.05, 0.02):
    print(f"±{half:.0%} on a 50% pass rate needs {stats.samples_needed(0.5, half):>5} questions")
plots.plot_by_kind(baseline, ["contains", "abstention_correct", "citation_valid"],
                   title="End to end on 24 dev questions, by kind (95% intervals)");

# %% [markdown]
# ## 4. A regression caught by the gate
# A teammate wants to cut the context in the prompt to a third: **k=1** chunk instead of 3. It is a
# one-line config change; does it hurt? Compare the two variants **on the same questions**. A paired
# test looks at per-question differences, which removes the question-to-question variation (easy vs hard)
# and detects much smaller changes than two overlapping intervals would suggest.
#
# The **regression gate** fails when a metric's interval of change lies entirely below zero: the drop is
# bigger than noise. A drop within noise is reported as WARN, not FAIL.

# %%
k1 = evals.run(app.with_config(k=1), dev, generate=False, name="k1-retrieval", store=store)
k4 = evals.run(app.with_config(k=4), dev, generate=False, name="k4-retrieval", store=store)
gate_k1 = evals.compare(retrieval, k1, metrics=["context_recall", "recall@5"])
print(gate_k1.report())
gate_k4 = evals.compare(retrieval, k4, metrics=["context_recall", "recall@5"])
print(gate_k4.report())
assert not gate_k1.passed and gate_k1.failed == ["context_recall"]
assert gate_k4.passed

# %% [markdown]
# The same gate runs in CI from the command line: `labkit eval run` stores a run, `labkit eval compare
# BASELINE CANDIDATE` prints this table and **exits with status 1 when the gate fails**, which fails the
# pipeline. (Here we call the CLI's entry point in-process on this notebook's run store.)

# %%
# NBVAL_IGNORE_OUTPUT
status = labkit_cli(["eval", "compare", "baseline-retrieval", "k1-retrieval", "--db", str(store.path),
                     "--metric", "context_recall"])
print("exit status:", status)

# %%
assert status == 1

# %% [markdown]
# ## 5. LLM-as-judge, built and checked the way practitioners do it
# Reference metrics need a reference. For open-ended answers teams ask a model to grade, and the way
# that holds up is narrow: **one criterion per call, pass or fail**, each criterion with a **written
# definition** and a few labelled examples. `datasets/judge_labels` holds 240 real answers of three app
# variants (`produced_by`) to 80 golden questions, each labelled by a person against the same written
# definitions, and split by question into **train** (the judge's examples), **dev** and **test**
# (measuring only). Here are the criteria and the label balance:

# %%
labelled = criteria_judge.load_labelled()
for c in criteria_judge.CRITERIA.values():
    print(f"{c.name}: {c.description}\n")
balance = pd.crosstab([pd.Series([r["produced_by"] for r in labelled], name="produced_by")],
                      [pd.Series([r["split"] for r in labelled], name="split"),
                       pd.Series(["pass" if r["correct"] else "fail" for r in labelled], name="correct")])
balance

# %%
assert len(labelled) >= 200 and len({r["produced_by"] for r in labelled}) >= 3
assert {r["split"] for r in labelled} == {"train", "dev", "test"}

# %% [markdown]
# The judge reads the definition, two passing and two failing **train** examples as earlier turns of
# the chat, then the question, the reference answer and the answer to grade, and replies
# `{"verdict": "pass"}` or `{"verdict": "fail"}` (under a JSON schema where the endpoint accepts one).
# Judging all 190 dev and test items twice takes minutes on 2 cores, so `bench/bench_judge.py` does it
# and writes every verdict; here we judge **8 test items live** and check that they match the bench's.

# %%
# NBVAL_IGNORE_OUTPUT
bench_judge = Path(data.root()).parent / "bench" / "results" / "judge.json"
cached = json.loads(bench_judge.read_text()) if bench_judge.exists() else {}
use_cache = cached.get("judge_model") == llm.model_for("judge")  # the same judge: reuse its verdicts
shots = criteria_judge.few_shot("correct", labelled)
test_items = [r for r in labelled if r["split"] == "test"]
live = criteria_judge.judge_many(test_items[:8], "correct", examples=shots, workers=4)
for r, v in zip(test_items[:8], live, strict=True):
    print(f"{r['id']} human {'pass' if r['correct'] else 'fail'} judge {'pass' if v.passed else 'fail'}: "
          f"{r['answer'][:70]!r}")
if use_cache:
    same = sum(v.passed == cached["verdicts"]["correct"][v.item_id] for v in live)
    print(f"{same} of 8 live verdicts match the bench run's")

# %%
assert len(live) == 8 and all(v.criterion == "correct" for v in live)
assert not {s["id"] for s in shots} & {r["id"] for r in test_items}, "few-shot examples come from train only"

# %% [markdown]
# **How good is the judge?** On the labelled test items: the **true-positive rate** (TPR, the share of
# human passes it passes) and the **true-negative rate** (TNR, the share of human failures it fails),
# each with a Wilson interval. Kappa folds both into one number; practitioners keep them apart because
# they correct different errors. Then the point of measuring them: the judge's pass rate on the dev
# items, **corrected for its error** (Rogan–Gladen), `(p_obs + TNR − 1) / (TPR + TNR − 1)`, with a
# bootstrap interval that resamples the test labels too, so it carries the uncertainty of TPR and TNR.

# %%
# NBVAL_IGNORE_OUTPUT
def judged(criterion: str, items: list[dict]) -> list[bool]:
    if use_cache:
        return [cached["verdicts"][criterion][r["id"]] for r in items]
    return [v.passed for v in criteria_judge.judge_many(items, criterion, workers=4,
                                                        examples=criteria_judge.few_shot(criterion, labelled))]


dev_items = [r for r in labelled if r["split"] == "dev"]
accuracy, corrected = {}, {}
for c in criteria_judge.LABELS:
    on_test, on_dev = judged(c, test_items), judged(c, dev_items)
    accuracy[c] = judge_validation.judge_accuracy(on_test, [r[c] for r in test_items])
    corrected[c] = judge_validation.corrected_pass_rate(on_dev, judge_pass=on_test, human_pass=[r[c] for r in test_items])
    print(f"{c}: {accuracy[c]}\n  dev: {corrected[c]}; the person passed {np.mean([r[c] for r in dev_items]):.2f}")
shuffled = list(np.random.default_rng(0).permutation([r["correct"] for r in test_items]))
at_chance = judge_validation.corrected_pass_rate(judged("correct", dev_items), human_pass=shuffled,
                                                 judge_pass=judged("correct", test_items))
print(f"labels shuffled (a judge at chance by construction): [{at_chance.low:.2f}, {at_chance.high:.2f}]")

# %%
assert at_chance.width > 0.6, "with labels unlinked to verdicts the corrected rate must be uninformative"
if llm.model_for("judge") == llm.registry.role_model("embedded", "judge"):  # the 135M judge; a strong one may do well
    assert accuracy["correct"].youden < 0.3, "the 135M judge is close to chance on correctness"
    assert corrected["correct"].width > 0.5, "so its corrected pass rate says little"

# %% [markdown]
# How to read these lines. A judge with TPR + TNR close to 1 is at chance: whatever it says, it says
# about as often to good answers as to bad ones, and the correction divides by almost nothing, so its
# corrected interval spans most of [0, 1]. That is the honest result for the embedded 135M judge: it
# **cannot tell you the pass rate**, and its raw pass rate is not an estimate of anything. Shuffling the
# labels makes any judge look like that, which is the check that the interval would show it.
#
# Set `OPENAI_BASE_URL` (and `OPENAI_API_KEY`) at a stronger model and rerun: the bench's verdicts
# belong to another model, so they are ignored and the judge is asked live on all 195 items, and
# with TPR and TNR well above 0.5 the corrected interval narrows
# around the person's pass rate. The asserts about the tiny judge run only on the embedded backend.
#
# ### Position and verbosity bias, on items where the judge's accuracy is known
# From the same bench run, on the test items. **Verbosity:** each answer wrapped in two sentences of
# filler that add nothing, judged again on `correct`; a fair judge's pass rate does not move.
# **Position:** pairs of a labelled-correct and a labelled-wrong answer to the same question, asked in
# both orders; a fair judge picks the first-shown answer half the time and the correct one most of it.

# %%
# NBVAL_IGNORE_OUTPUT
if cached:
    vb, pb = cached["bias"]["verbosity_correct"], cached["bias"]["position_correct"]
    print(f"verbosity ({vb['items']} test items, judge {cached['judge_model']}): pass rate "
          f"{vb['pass_rate_original']:.2f} -> {vb['pass_rate_padded']:.2f} padded, difference {vb['diff']:+.2f} "
          f"[{vb['ci95'][0]:+.2f}, {vb['ci95'][1]:+.2f}]: the interval "
          f"{'excludes' if vb['excludes_zero'] else 'does not exclude'} zero")
    print(f"position ({pb['pairs']} pairs): picked the first-shown answer {pb['first_rate'][0]:.2f} "
          f"[{pb['first_rate'][1]:.2f}, {pb['first_rate'][2]:.2f}]; picked the labelled-correct answer "
          f"{pb['picks_labelled_correct'][0]:.2f} [{pb['picks_labelled_correct'][1]:.2f}, "
          f"{pb['picks_labelled_correct'][2]:.2f}]; same verdict after swapping {pb['consistency']:.2f}")

# %%
if cached:
    assert vb["items"] >= 40 and pb["pairs"] >= 10, "bias needs enough items with known labels for an interval"
    assert vb["ci95"][0] <= vb["diff"] <= vb["ci95"][1]
if use_cache:  # the bench's embedded judge: filler turned its "fail" into "pass" on most labelled-wrong answers
    assert vb["excludes_zero"] and vb["diff"] > 0, "the tiny judge is swayed by padding"

# %% [markdown]
# Read the intervals, not the point estimates: a bias "measured" on a handful of items whose interval
# includes zero is not yet a finding. With the verdicts' accuracy known, a bias also has a price: a
# judge that passes padded wrong answers inflates the pass rate, which is one more error the TPR/TNR
# correction has to carry. Measure both on your own judge before you trust its numbers.
#
# ### The rubric decides the winner — on measured scores
# "Which variant is better?" has no answer until you say what *better* weighs. Three real variants of
# the app answer the same 12 dev questions (`variants.golden_sample(12)`: a fixed order, every kind in
# it): the **default**; **trimmed35**, each source cut to ~35 words; **prompt-v2**, a terse prompt. Every
# answer is scored per criterion by a **measured** scorer — nobody writes a score by hand:
# correctness (token F1), groundedness (the grounding detectors of notebook 07), citation validity,
# correct refusal, cost (tokens), latency, and the binary judge above on "correct" (its TPR and TNR
# from the bench are printed next to it). A variant's total is the weighted mean per answer, with a 95% bootstrap interval.

# %%
# NBVAL_IGNORE_OUTPUT
rubric_sample = variants.golden_sample(12)
variant_runs = [variants.run_variant(v, rubric_sample, store=store, base_app=app, workers=4)
                for v in ("default", "trimmed35", "prompt-v2")]
per_criterion = pd.DataFrame({r.name: {c: f"{ci.estimate:.2f} [{ci.low:.2f}, {ci.high:.2f}]"
                                       for c, ci in evals.rubric.criterion_means(r).items()} for r in variant_runs})
print(f"the judge column, measured on labelled test answers (bench): {evals.rubric.judge_rates()}")
per_criterion

# %% [markdown]
# Four weightings a team might defend: **answer quality** (correctness ×3, refusal ×1),
# **groundedness first** (only groundedness counts), **trust** (groundedness ×2, citations, refusal) and
# **cost first** (only tokens count). `rubric.flip_weights` walks the straight line from the first
# weighting whose winner differs from cost first's to cost first, and finds the weights where the
# winner changes; `Ranking.decisive` says whether the winner's paired margin over the runner-up
# excludes zero.

# %%
only = dict.fromkeys(evals.rubric.CRITERIA, 0.0)
weightings = {"answer quality": {**only, "correctness": 3.0, "refusal": 1.0},
              "groundedness first": {**only, "groundedness": 1.0},
              "trust": {**only, "groundedness": 2.0, "citations": 1.0, "refusal": 1.0}, "cost first": {**only, "cost": 1.0}}
ranks = {name: evals.rubric.weighted_totals(variant_runs, w) for name, w in weightings.items()}
for name, ranking in ranks.items():
    print(f"--- {name}\n{ranking.report()}\n")
start = next((n for n in ranks if ranks[n].winner != ranks["cost first"].winner), "groundedness first")
weight_flips = evals.rubric.flip_weights(variant_runs, weightings[start], weightings["cost first"])
for f in weight_flips:
    print(f"t = {f.t:.3f}: {f.before} -> {f.after} at {({c: round(w, 2) for c, w in f.weights.items() if w})}")

# %%
# NBVAL_IGNORE_OUTPUT
display(Markdown("\n".join(
    f"* **{name}**: {r.winner} wins by {r.margin.estimate:+.3f} [{r.margin.low:+.3f}, {r.margin.high:+.3f}] over "
    f"{r.runner_up} — " + ("ahead outside its interval." if r.decisive else
                            "**not** ahead outside its interval: these 12 questions cannot separate them.")
    for name, r in ranks.items()) + f"\n\nFrom {start} to cost first the winner changes "
    f"{len(weight_flips)} time(s)" + (f", first at t = {weight_flips[0].t:.2f}." if weight_flips else ".")))

# %%
assert ranks["cost first"].winner == "trimmed35" and ranks["cost first"].decisive, "trimming cuts tokens on every question"
assert ranks[start].winner != ranks["cost first"].winner and weight_flips, "the weights, not the answers, pick the winner"

# %% [markdown]
# Same answers, same scores, different winner: the rubric decided. Trimming wins whenever tokens weigh
# enough; which variant leads on groundedness or on correctness, and whether by more than the noise,
# is in the list above (on correctness trimming tends to lose words the answer could quote — a loss the benchmark
# measures on the whole dev split (`bench/results/rag.json`, `trim_lever_dev`). Read the intervals (the
# list above says which leads this run can tell from noise): on 12 questions expect only the token saving
# to be surely real; on 20 (`bench/results/rubric.json`) the terse prompt's lead under a trust weighting (groundedness 2,
# citations 1, refusal 1) was too. Latency is measured as well, but runs made minutes apart on a shared
# machine see different loads, so its column says as much about the machine as about the variant.
# Weights are a product decision — "a wrong number is worse than a costly answer" — so write them down,
# version them with the rubric, and keep them fixed while you compare variants. The demo
# `demos/llm_as_judge.ipynb` puts a slider on each weight; `labkit eval rubric RUN_A RUN_B --weight
# correctness=3` does the same from the command line.
#
# ### Exercises
# 1. Recall@k is the metric the retrieval target is stated in. Write it.

# %%
ex = exercise("nb05.recall")


def recall_at_k(retrieved: list[str], relevant: list[str], k: int) -> float:
    raise NotImplementedError  # your code here


ex.check(recall_at_k)

# %% [markdown]
# 2. Cohen's kappa for two pass/fail raters. Check your function against the judge's verdicts above.

# %%
ex2 = exercise("nb05.kappa")


def kappa(human: list[bool], judge_calls: list[bool]) -> float:
    raise NotImplementedError  # your code here


ex2.check(kappa)

# %% [markdown]
# ## 6. Online evaluation: sampled live traffic, feedback, A/B
# Offline evals gate a release; **online** evals watch it afterwards. Three habits:
#
# * **Sample, then judge.** A judge call costs about as much as the request, so judge a fixed share,
#   chosen by a stable hash of the request id (`online.sample`) so every service replica agrees.
# * **Feedback** (thumbs up/down) is free but sparse and skewed — unhappy users click more — so track it
#   as its own signal, never as "accuracy".
# * **A/B tests** split *users* (not requests) between variants and compare with an **unpaired** test:
#   different people ask different questions, so the pairing trick of section 4 is gone.
#
# Below, a **simulated** week of traffic (`labkit.traffic`: requests generated from the golden
# questions, with a daily cycle and popular vs rare questions — its parameters are printed). Half the
# users get hybrid retrieval (A), half dense-only (B); we score a 10% sample. Because the simulated
# requests come from golden questions we can score retrieval against the gold documents; in production
# the score would come from the judge or feedback.

# %%
week = traffic.simulate(days=7, seed=5)
print({k: week.params[k] for k in ("simulation", "days", "seed")}, "| requests:", len(week))
arm = {"A hybrid": "hybrid", "B dense-only": "dense"}  # retrieval mode per arm
gold = {r["id"]: r for r in golden}
picked = [r for r in online.sample(week, 0.1, key=lambda r: r.id)
          if r.golden_id and gold[r.golden_id]["doc_ids"]]
vectors = embed.encode([r.question for r in picked])  # one batch: much faster than one query at a time
scores: dict[str, list[tuple[float, float]]] = {name: [] for name in arm}
for r, vec in zip(picked, vectors, strict=True):
    name = "A hybrid" if online.in_sample(r.user, 0.5, salt="ab") else "B dense-only"
    hits = app.index.search(r.question, k=20, mode=arm[name], tenant=r.tenant, query_vector=vec)
    ranked = list(dict.fromkeys(h.document_id for h in hits))
    scores[name].append((r.ts, metrics.recall_at_k(ranked, gold[r.golden_id]["doc_ids"], 5) or 0.0))
print({name: len(v) for name, v in scores.items()}, "sampled requests per arm, asking",
      len({r.golden_id for r in picked}), "distinct questions")

# %%
start = pd.Timestamp(week.params["start"])
daily = {name: online.daily_scores([start + pd.Timedelta(seconds=t) for t, _ in v], [s for _, s in v], min_n=5)
         for name, v in scores.items()}
plots.plot_daily(daily, title="Simulated week: daily recall@5 of sampled requests (95% intervals)",
                 ylabel="recall@5")
ab = stats.unpaired_test([s for _, s in scores["A hybrid"]], [s for _, s in scores["B dense-only"]])
offline = evals.compare(retrieval, evals.run(app.with_config(mode="dense"), dev, generate=False, name="dense"),
                        metrics=["recall@5"]).checks[0]
print(f"online A/B, B - A:            {ab}")
print(f"offline, dev, paired, B - A:  {offline.diff:+.3f} [{offline.low:+.3f}, {offline.high:+.3f}] (n={offline.n})")
widest = max(d.score.width for days in daily.values() for d in days)
print(f"widest daily interval: {widest:.2f}")
assert widest > 0.1, "a day's sample per arm is small: its interval must be wide"

# %% [markdown]
# Three lessons. **One day's score moves by more than the difference you care about**: alert on several
# days or on the interval, never on a single dip. **Online and offline answer different questions**:
# live traffic repeats popular questions (a few hundred requests cover far fewer distinct questions),
# so the A/B weights each question by how often users ask it, while the golden set counts each question
# once — the two estimates of B − A need not agree, and when they differ, both can be right. And an A/B
# test separates a few points only with **many** users per arm; the paired offline test gets a comparable
# interval from 66 questions because every question is answered by both variants. Use offline evals to
# gate releases, online evals to see what users get. The capstone wires these pieces to the live service.

# %% [markdown]
# ## 7. Evaluating an agent: the trajectory, not only the answer
#
# An agent's answer can be right by luck and wrong for a good reason, so an agent eval scores the path:
# the right tools in order, with the right arguments, in how many steps against the fewest possible,
# and the expected fact in the final answer. `datasets/agent_tasks` labels 46 such tasks over Quaywise
# (prices, accounts, KB searches, two-tool tasks and two-turn conversations whose follow-up says "that
# plan"). First, what the score rewards, on trajectories written by hand:

# %%
price_task = next(t for t in agent.load_tasks() if t["id"] == "at-001")
by_the_book = agent.Trajectory((agent.Call("get_plan_price", {"plan": "team", "billing": "monthly"}),),
                               ("Team is $19 per user per month.",), steps=2)
lucky_guess = agent.Trajectory((), ("I think it is $19.",), steps=1)
for label, path in (("by the book", by_the_book), ("lucky guess", lucky_guess)):
    print(f"{label:12s} {agent.trajectory_score(price_task, path)}")
assert agent.trajectory_score(price_task, lucky_guess).score < agent.trajectory_score(price_task, by_the_book).score

# %% [markdown]
# Now the embedded model on six tasks, one session each (`bench/bench_agent.py` runs all 46):

# %%
sample_ids = ["at-001", "at-011", "at-021", "at-026", "at-035", "at-041"]
agent_sample = [t for t in agent.load_tasks() if t["id"] in sample_ids]
support = agent.Agent(agent.quaywise_tools(), limits=agent.Limits(max_steps=4))
agent_eval = agent.evaluate(support, agent_sample)
display(pd.DataFrame([{"task": s.task_id, "kind": s.kind, "tools": s.right_tools, "arguments": s.right_arguments,
                       "answer": s.answer_has_facts, "steps": s.steps, "min steps": s.min_steps,
                       "stopped": s.stopped, "score": round(s.score, 2)} for s in agent_eval.scores]))
print(f"protocol {support.protocol}; score {agent_eval.summary.score}; success {agent_eval.summary.success}; "
      f"conversation check {agent_eval.summary.conversation}")
assert len(agent_eval.scores) == len(agent_sample) and agent_eval.summary.conversation is not None
assert all(not s.success for s in agent_eval.scores if s.stopped), "a task the guard stopped is never a success"

# %% [markdown]
# The 135M model fills the constrained JSON shape but rarely picks the right tool, and it tends to call
# the same tool again and again until the guard stops it (`bench/results/agent.json` has the full run).
# Six tasks give an interval as wide as the scale; an interval of zero width around 0 says only that no
# resample found a success, not that the agent never succeeds.

# %% [markdown]
# ## 8. Error analysis: read the failures, name them, check for them
# Aggregate metrics say *how much* fails, not *how*. Practitioners read failed requests, code each one
# into a small taxonomy, and turn the most frequent modes into cheap checks that run on every eval.
# Here: trace a small run of the default app, find its failed requests with SQL over the span store,
# read a few, then use the coded set in `datasets/failure_codes` (all 71 failures of a 77-question dev
# run, coded by hand) for the counts, the checks and a fix. Failure rule: `token_f1 < 0.5` or
# `abstention_correct == 0`.

# %%
# NBVAL_IGNORE_OUTPUT
t_err = tracing.setup(workdir / "error_traces.sqlite", sample_rate=1.0, service_name="nb05-errors")
ea_rows = variants.golden_sample(16)
traced_app = failures.TracedScores(tracing.instrument_rag(RagApp()), ea_rows)
ea_base = evals.run(traced_app, ea_rows, name="ea-default", store=store, workers=4)
t_err.flush()
failed = t_err.store.sql("""
    SELECT json_extract(attributes, '$."eval.item_id"') AS item, json_extract(attributes, '$."eval.kind"') AS kind,
           round(json_extract(attributes, '$."eval.token_f1"'), 2) AS token_f1,
           json_extract(attributes, '$."eval.abstention_correct"') AS abstention_ok,
           json_extract(attributes, '$."eval.output"') AS output
    FROM spans WHERE name = 'eval.request'
      AND (json_extract(attributes, '$."eval.token_f1"') < 0.5
           OR json_extract(attributes, '$."eval.abstention_correct"') = 0)""")
print(f"{len(failed)} of {len(ea_rows)} traced requests failed")
failed.head(6)

# %%
n_traced = int(t_err.store.sql("SELECT count(*) AS n FROM spans WHERE name = 'eval.request'")["n"][0])
assert n_traced == len(ea_rows) and not ea_base.errors
assert len(failed) == sum(failures.is_failure(r.scores) for r in ea_base.rows), "SQL and the run agree"
coded = failures.load_codes()
counts = pd.Series(failures.code_counts(coded), name="rows")
ax = counts.sort_values().plot.barh(title=f"Failure codes of {len(coded)} failed dev requests (hand-coded)")
ax.set_xlabel("failed requests with this code (a request may have several)")
pd.DataFrame({"rows": counts, "definition": [failures.TAXONOMY[c] for c in counts.index]})

# %% [markdown]
# The two most frequent modes become binary checks (`labkit.evals.failures`), scored on every eval row
# by `score_item` once the run passes the sources: **`invented_number`** (a figure in the answer that
# neither the sources nor the question contain) for `wrong_number`, and **`degenerate`** (loops, lists
# of `[n]` markers, digit runs, a pasted source). A check is only useful once measured against the
# hand codes: its true-positive and true-negative rates on the coded rows, with the sources the model
# actually saw (retrieved again: retrieval is deterministic).

# %%
top_two = list(counts.index[:2])
assert top_two == list(failures.CHECKS.values()), "the checks target the two most frequent codes"
tenant_of = {g["id"]: g.get("tenant") for g in data.records("golden")}
seen = {r["item_id"]: "\n".join(h.text for h in app.retrieve(r["question"], tenant_of[r["item_id"]])) for r in coded}
check_agreement = failures.agreement_on_codes(coded, seen)
for a in check_agreement:
    print(a)
inv, degen = check_agreement
assert degen.kappa > inv.kappa, "looping is easy to detect; a wrong-but-plausible figure is not"
assert inv.tpr < 0.6, "most wrong figures are real numbers from the wrong passage, which the check cannot see"

# %% [markdown]
# Measured, not assumed: `degenerate` reproduces its hand code well, while `invented_number` catches
# only the figures that appear nowhere in the sources; most `wrong_number` failures quote a real number
# from the wrong plan or passage. It is a narrow check, and its rates say how narrow.
#
# **The fix.** For `wrong_number`, change the app: `failures.NumberGuard` replaces an answer whose
# figure is not in its sources by "I don't know". Same 16 questions, paired test per metric
# (the guard's run minus the default's).

# %%
# NBVAL_IGNORE_OUTPUT
ea_fix = evals.run(failures.NumberGuard(RagApp()), ea_rows, name="ea-number-guard", store=store, workers=4)

def per_item(result, metric):
    """Item -> value, higher is better: for the check, 1 = no unsupported figure shown (an abstention shows none)."""
    if metric == "invented_number":
        return {r.item_id: 1.0 - (r.scores.get(metric) or 0.0) for r in result.rows}
    return {r.item_id: r.scores[metric] for r in result.rows if r.scores.get(metric) is not None}


paired = {}
for metric in ("invented_number", "token_f1", "abstention_correct"):
    a_v, b_v = per_item(ea_base, metric), per_item(ea_fix, metric)
    ids = [i for i in a_v if i in b_v]
    paired[metric] = stats.paired_test([a_v[i] for i in ids], [b_v[i] for i in ids])
    print(f"{'no ' * (metric == 'invented_number') + metric:>18}: {paired[metric]}")

# %%
inv_t, abst, tf1 = paired["invented_number"], paired["abstention_correct"], paired["token_f1"]
flagged = sum(r.scores.get("invented_number") == 1.0 for r in ea_base.rows)
guarded = sum(bool(r.abstained) for r in ea_fix.rows) - sum(bool(r.abstained) for r in ea_base.rows)
verdict = ("raises" if abst.significant and abst.diff > 0 else "lowers" if abst.significant
           else "does not measurably change")
sig = {m: "significant" if t.significant else "not significant at this size" for m, t in paired.items()}
display(Markdown(f"The default app stated an unsupported figure in **{flagged} of {len(ea_rows)}** answers; "
                 f"the guard turned {guarded} answers into \"I don't know\". It **{verdict}** "
                 f"`abstention_correct` ({abst}). Token F1: {tf1}, {sig['token_f1']}. Answers showing an unsupported "
                 f"figure (as the share without one): {inv_t}, {sig['invented_number']}."))
assert inv_t.diff >= 0, "the guard never shows more unsupported figures than the app it wraps"
assert not any(r.scores.get("invented_number") == 1.0 for r in ea_fix.rows), "the guard lets no such figure out"

# %% [markdown]
# Read the verdict with the checks' rates in mind: the guard can only remove figures that appear
# nowhere in the sources, which is a minority of the `wrong_number` failures, and every answer it
# withholds on an answerable question costs `abstention_correct` there, while a withheld answer on
# an unanswerable one gains it. On 16 questions only a large change is distinguishable from noise.

# %% [markdown]
# ## 9. The same run in the tools you will meet at work: inspect_ai, promptfoo, MLflow
# labkit's runs live in its own SQLite store. `labkit eval export RUN --to jsonl|inspect|promptfoo`
# writes a stored run in the formats other tools read: every row with its scores (JSON Lines), an
# **inspect_ai** dataset, and a **promptfoo** config. For the last two each answerable question keeps the
# *exact* prompt the app sent — rebuilt from the run's config and checked against the sources the run
# recorded — so the tool replays the run on the same endpoint instead of evaluating something else.
# inspect_ai and MLflow live in their own environment (`.venv-evals`, its own lock: their dependencies
# clash with the course's), promptfoo in `evals_interop/node_modules` (`make promptfoo`: ~270 MB, under a
# minute, without its optional provider SDKs); labkit drives them as subprocesses, offline. Here the
# **default** variant's run from §5 is replayed by inspect_ai, which scores it with its own `includes`
# scorer and with labkit's token F1 (`evals_interop/inspect_golden.py`). promptfoo runs the checked-in
# `evals_interop/promptfooconfig.yaml`: the first golden questions as this app asks them, scored by
# labkit's own `contains` (pass/fail) and token F1. It is written by the same code as the export
# (`make promptfoo-config`), and a test fails when the two drift. One catch worth knowing at work:
# with `PROMPTFOO_DISABLE_TELEMETRY=1` promptfoo 0.121 still posts one "telemetry disabled" event, so
# labkit also points its proxy at a closed local port when the endpoint is on this machine.

# %%
# NBVAL_IGNORE_OUTPUT
default_run = variant_runs[0]
default_app = variants.variant("default").app(app)
written = {fmt: export.export(default_run, fmt, workdir / f"default{export.SUFFIX[fmt]}", app=default_app)
           for fmt in export.FORMATS}
for done in written.values():
    print(f"{done.format:<10} {done.rows:>3} records -> {done.path.name}   left out: {done.skipped or 'none'}")
print(json.dumps(json.loads(written["inspect"].path.read_text().splitlines()[0])["metadata"], indent=1)[:400])

# %%
# NBVAL_IGNORE_OUTPUT
tools_ready = interop.TOOLS_PYTHON.exists()  # `make evals-env` makes it; Colab has no such step
replays = [interop.run_inspect(written["inspect"].path, base_url=llm.base_url(), model=llm.model_for("chat"),
                               max_tokens=default_run.config["max_tokens"])] if tools_ready else []
if not tools_ready:
    print("skipped: inspect_ai and MLflow are not installed here (`make evals-env` makes .venv-evals)")
promptfoo_ready = interop.PROMPTFOO_BIN.exists()  # `make promptfoo`; Colab has no such step
if promptfoo_ready:  # the checked-in config (the exported one above, written["promptfoo"], runs the same way)
    replays.append(interop.run_promptfoo(export.GOLDEN_PROMPTFOO, base_url=llm.base_url()))
else:
    print("skipped: promptfoo is not installed here (`make promptfoo`); it would run", export.GOLDEN_PROMPTFOO.name)
sides = [interop.side_by_side(default_run, t, "token_f1") for t in replays]
contains_like = {"inspect": "includes", "promptfoo": "contains"}  # inspect's own substring scorer; labkit's in promptfoo
sides += [interop.side_by_side(default_run, t, "contains", tool_metric=contains_like[t.tool]) for t in replays]
for side in sides:
    print(side.line(), "-> inside labkit's interval" if side.inside else "-> OUTSIDE labkit's interval")

# %%
if tools_ready:  # inspect_ai's replay beside labkit's run
    inspect_scores = replays[0]
    exported_ids = {json.loads(line)["id"] for line in written["inspect"].path.read_text().splitlines()}
    assert set(inspect_scores.scores["token_f1"]) == exported_ids, "inspect scored exactly the exported questions"
    stored_answers = {r.item_id: (r.output or "").strip() for r in default_run.rows}
    same = [k for k in exported_ids if inspect_scores.outputs[k].strip() == stored_answers[k]]
    ours = default_run.by_item("token_f1")
    assert all(abs(inspect_scores.scores["token_f1"][k] - ours[k]) < 1e-9 for k in same), "same answer, same F1"
    assert abs(sides[0].tool_mean - sides[0].labkit.estimate) <= (len(exported_ids) - len(same)) / len(exported_ids) + 1e-9
    display(Markdown(f"inspect_ai's replay gave the **same answer** as labkit's run on **{len(same)} of "
                     f"{len(exported_ids)}** questions at temperature 0; where the answer was the same, the token F1 "
                     f"was the same. Its mean token F1 **{sides[0].tool_mean:.3f}** is "
                     f"{'inside' if sides[0].inside else 'outside'} labkit's interval "
                     f"[{sides[0].labkit.low:.3f}, {sides[0].labkit.high:.3f}]."))

# %%
if promptfoo_ready:  # promptfoo's run of the checked-in config beside labkit's run on the same questions
    pf_scores, pf_side = replays[-1], sides[len(replays) - 1]
    checked_in = yaml.safe_load(export.GOLDEN_PROMPTFOO.read_text(encoding="utf-8"))
    pf_refs = {t["description"]: json.loads(t["vars"]["references"]) for t in checked_in["tests"]}
    labkit_verdict = {k: metrics.contains(pf_scores.outputs[k], v[0], v[1:]) == 1.0 for k, v in pf_refs.items()}
    assert pf_scores.passed == labkit_verdict, "promptfoo's pass/fail is labkit's contains on promptfoo's own answers"
    display(Markdown(f"promptfoo ran the checked-in config's **{len(pf_refs)}** golden questions and passed "
                     f"**{sum(pf_scores.passed.values())}**, each verdict labkit's `contains` on its own answer. "
                     f"Its mean token F1 **{pf_side.tool_mean:.3f}** is "
                     f"{'inside' if pf_side.inside else 'outside'} labkit's interval "
                     f"[{pf_side.labkit.low:.3f}, {pf_side.labkit.high:.3f}] on those questions "
                     f"({pf_side.same_output} of {pf_side.labkit.n} answers identical to the run's)."))

# %% [markdown]
# Why are some answers different at temperature 0? Greedy decoding is deterministic for one request
# alone, but the server batches concurrent requests, and a batch changes the floating-point order of the
# sums; on a 135M model a near-tie between two tokens then flips, and the rest of the answer follows. A
# replay is a second *sample* of the same system, which is why labkit reports intervals and not single
# numbers: on ~10 questions the tool's mean can move by a tenth without anything being wrong.
#
# Where a team wants a run registry, `labkit eval log-mlflow RUN --tracking-uri sqlite:///mlflow.db`
# logs the run's config as params and every metric with its interval (`token_f1`, `token_f1/low`,
# `token_f1/high`, `token_f1/n`) to MLflow's SQLite store; `mlflow ui --backend-store-uri` opens it.

# %%
# NBVAL_IGNORE_OUTPUT
if tools_ready:  # MLflow lives in .venv-evals too
    mlflow_db = workdir / "mlflow.db"
    mlflow_id = interop.log_mlflow(default_run, f"sqlite:///{mlflow_db}")
    with sqlite3.connect(mlflow_db) as conn:
        logged = dict(conn.execute("SELECT key, value FROM metrics WHERE run_uuid = ?", (mlflow_id,)).fetchall())
    print({k: round(v, 3) for k, v in logged.items() if k.startswith("token_f1")})
    assert abs(logged["token_f1"] - default_run.metrics()["token_f1"].estimate) < 1e-12, "MLflow holds the run's mean"

# %% [markdown]
# ## The ledger of this notebook

# %%
# NBVAL_IGNORE_OUTPUT
totals = llm.ledger.totals()
print(f"{totals['calls']} calls, {totals['input_tokens']} input + {totals['output_tokens']} output tokens, "
      f"${totals['cost_usd']:.6f}, {totals['latency_s']:.1f} s in model calls")
llm.ledger.plot()
llm.ledger.summary()

# %% [markdown]
# ## On a stronger endpoint
# Retrieval (§2), the regression gate (§4) and the online A/B (§6) do not depend on the backend.
# The end-to-end metrics and the judge do: a larger model answers and abstains better, and a larger
# judge has TPR and TNR further from chance, so the asserts about the 135M model's weaknesses (rare
# abstention, a judge near chance with an uninformative corrected pass rate) run only on the embedded
# backend, as the cells say; on another backend the judge is asked live on every dev and test item. The
# binary judge sends a JSON schema only where `llm.capabilities()` says the endpoint accepts one; the
# interval-width asserts hold on any backend.
