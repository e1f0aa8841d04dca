# %% [markdown]
# # Demo · LLM-as-judge: the rubric picks the winner
#
# **What you will measure:** the local judge model's 1–5 scores, on four named criteria, for two
# candidate answers to each of three samples (a factual question, an ambiguous one, a creative task) and
# for a padded copy of one answer; then which answer wins as you move the rubric's weight sliders, next
# to the scores a person gave the same answers.
#
# **Time to run:** about 30–40 seconds on 2 CPU cores (nine judge calls). **Needs:** nothing — no API
# key, no network.
#
# **Predict before you click** — write your guesses down first:
# 1. *Factual sample.* Answer A is curt and correct; B is warm and helpful but quotes the annual price.
#    Put all the weight on **factuality**, then on **helpfulness**: does the winner flip?
# 2. *Equal weights.* When the two aggregates are close, is the winner a real preference or a coin flip?
#    (Switch the scores to "expected, from log-probs" to see the judge's own uncertainty.)
# 3. *Verbosity.* Tick "add the padded answer": A wrapped in two sentences of filler. Does the judge
#    score it above the original A? Should it?
# 4. *Creative sample.* Weight **tone** against **factuality**: which welcome line wins each time?

# %%
from IPython.display import Markdown, display

from labkit import data, evals, llm
from labkit.evals import DEMO_RUBRIC, judge

# %% [markdown]
# ## Judge every answer once
# The judge is whatever `llm.client()` points at (`llm.model_for("judge")`): by default the 135M
# SmolLM2, a weak judge on purpose. Each answer is scored once on the four criteria under a JSON schema;
# the sliders only reweight those stored scores, so moving them costs nothing.

# %%
samples = data.records("judge_labels", "demo")
jobs = [(s["id"], key, text) for s in samples for key, text in
        [(k, a["text"]) for k, a in s["answers"].items()] + [("A+padding", judge.pad(s["answers"]["A"]["text"]))]]
by_id = {s["id"]: s for s in samples}
scores = judge.map_parallel(lambda job: judge.score(by_id[job[0]]["question"], by_id[job[0]]["context"], job[2],
                                                    rubric=DEMO_RUBRIC), jobs, workers=4)
judged = {(sid, key): s for (sid, key, _), s in zip(jobs, scores, strict=True)}
for (sid, key), s in judged.items():
    print(f"{sid:<10} {key:<10} {s.scores}  aggregate {s.aggregate:.2f}")
distinct = len({tuple(s.scores.values()) for s in judged.values()})
print(f"{distinct} distinct score vectors among {len(judged)} answers")

# %%
assert len(judged) == 9 and all(1 <= v <= 5 for s in judged.values() for v in s.scores.values())

# %% [markdown]
# ## The playground
# Pick a sample, choose whose scores to aggregate (the judge's integers, the judge's probability-weighted
# scores, or a person's), and move the weights. Each cell shows *judge / human* integer scores; the
# winning row is green. With the probability-weighted scores each aggregate carries the judge's own
# uncertainty (±), and a win by less than that is flagged as a near-tie.

# %%
play = evals.JudgeDemo(samples, judged, DEMO_RUBRIC)
display(play.widget)
first = play.update()

# %% [markdown]
# ## Check your predictions
# The same playground driven from code, one question per line.

# %%
facts_first = {"factuality": 5, "helpfulness": 0, "tone": 0, "concision": 0}
help_first = {"factuality": 0, "helpfulness": 4, "tone": 1, "concision": 0}
rows = []
for source in ("human", "judge"):
    a = play.update(sample="factual", source=source, weights=facts_first)
    b = play.update(sample="factual", source=source, weights=help_first)
    rows.append((source, a.winner, b.winner))
    print(f"1. factual, {source:>5} scores: factuality-first -> {a.winner}, helpfulness-first -> {b.winner}")
equal = play.update(sample="factual", source="judge (expected, from log-probs)",
                    weights={c: 1 for c in DEMO_RUBRIC.names})
print(f"2. equal weights, judge's expected scores: {equal.aggregates} margin {equal.margin:.2f}, "
      f"judge's own spread {equal.spreads} -> near-tie: {equal.near_tie}")

# %%
padded = play.update(sample="factual", source="judge", weights={c: 1 for c in DEMO_RUBRIC.names}, include_extra=True)
gain = padded.aggregates["A+padding"] - padded.aggregates["A"]
print(f"3. padding A changed the judge's aggregate by {gain:+.2f} "
      f"(concision {judged['factual', 'A'].scores['concision']} -> {judged['factual', 'A+padding'].scores['concision']})")
tone = play.update(sample="creative", source="human", include_extra=False,
                   weights={"factuality": 0, "helpfulness": 0, "tone": 5, "concision": 0})
fact = play.update(sample="creative", source="human", weights={"factuality": 5, "helpfulness": 0, "tone": 0, "concision": 0})
tone_j = play.update(sample="creative", source="judge", weights={"factuality": 0, "helpfulness": 0, "tone": 5, "concision": 0})
print(f"4. creative, human scores: tone-first -> {tone.winner}, factuality-first -> {fact.winner}; "
      f"judge, tone-first -> {tone_j.winner}")

# %%
# With a person's scores the weights decide the winner, by construction of the samples:
assert rows[0][1:] == ("A", "B") and (tone.winner, fact.winner) == ("A", "B")
# Whatever the judge says, the verdict is its weighted aggregate, recomputed without new calls:
w = {"factuality": 0, "helpfulness": 4, "tone": 1, "concision": 0}
assert abs(judged["factual", "B"].reweight(w) - play.verdict("factual", w).aggregates["B"]) < 1e-9
assert first.sample == "factual" and "A+padding" in padded.aggregates

# %%
# NBVAL_IGNORE_OUTPUT
all_scores = [v for sc in judged.values() for v in sc.scores.values()]
floor = sum(v == 1 for v in all_scores) / len(all_scores)
display(Markdown(
    f"**This run's judge** (`{llm.model_for('judge')}`): {distinct} distinct integer score vector(s) among "
    f"{len(judged)} answers, {floor:.0%} of its integer scores at the floor (1). With equal weights its expected "
    f"scores separate the factual sample's answers by {equal.margin:.2f}, "
    + ("less than its own spread: a near-tie" if equal.near_tie else "more than its own spread")
    + f". Padding answer A moved its aggregate by {gain:+.2f}."))

# %% [markdown]
# **What to take away.** With a person's scores, the weights are the decision: the curt correct answer
# wins when facts matter most, the warm wrong one when friendliness does, the lively welcome line when
# tone does — so write the weights down and keep them fixed while comparing variants.
#
# Now look at the judge's column, summarised from this run just above. When its integer scores are the
# same for every answer, no choice of weights can pick a winner: every comparison is a tie. When its
# probability-weighted scores differ by less than its own uncertainty, a verdict is a coin flip
# dressed up as a decision. Padding that adds nothing should never raise a score; check line 3. A judge
# is only as useful as its agreement with people, which notebook 05 measures with Cohen's kappa. Point
# `OPENAI_BASE_URL` at a larger model and run this again to see how much of this is the judge's size.
#
# ## The ledger of this demo

# %%
# NBVAL_IGNORE_OUTPUT
llm.ledger.summary()
