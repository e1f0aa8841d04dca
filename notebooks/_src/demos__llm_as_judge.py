# %% [markdown]
# # Demo · LLM-as-judge and the rubric: the weights pick the winner
#
# **What you will measure:** three variants of the course's RAG app — the **default**, **trimmed35**
# (each source cut to ~35 words) and **prompt-v2** (a terse prompt) — answer the same 10 golden
# questions. Every answer is scored on seven criteria by **measured** scorers: correctness (token F1
# against the reference), groundedness (the grounding detectors), citation validity, correct refusal,
# cost (tokens), latency, and a binary LLM judge ("is this answer correct?"), shown with its true-positive and
# true-negative rates measured on labelled answers. Then you
# move one slider per criterion and watch which variant wins, each total with a 95% bootstrap interval.
#
# **Time to run:** about 1.5–2 minutes on 2 CPU cores (30 answers and about 30 judge calls).
# **Needs:** nothing — no API key, no network.
#
# **Predict before you click** — write your guesses down first:
# 1. *Groundedness only, then cost only.* Trimming the sources saves prompt tokens; the terse prompt
#    writes shorter answers with fewer claims to check. Does the winner flip? And on correctness only?
# 2. *Every weight 1.* Is the winner ahead outside its interval, or could 10 questions not tell?
# 3. *The judge.* Its TPR and TNR on labelled answers are printed next to its weight. What weight does a
#    judge with TPR + TNR near 1 (a coin) deserve — and what happens to the ranking when you give it 5?

# %%
from IPython.display import Markdown, display

from labkit import evals, llm
from labkit.evals import rubric, variants
from labkit.rag import RagApp

# %% [markdown]
# ## Run and score every variant once
# The sample is fixed (`variants.golden_sample(10)`: the dev split in a fixed shuffled order, the kinds
# taking turns, so it holds unanswerable questions too). Each run keeps its answers, tokens and latency;
# `run_variant` adds the groundedness score and the judge's pass/fail verdict to every answer. The sliders only
# reweight these stored scores, so moving them costs nothing.

# %%
# NBVAL_IGNORE_OUTPUT
sample = variants.golden_sample(10)
app = RagApp()
runs = [variants.run_variant(name, sample, base_app=app, workers=4) for name in ("default", "trimmed35", "prompt-v2")]
for r in runs:
    s = r.summary()
    print(f"{r.name:<10} {s['questions']} answers, {s['input_tokens']} prompt tokens, mean latency {s['mean_latency_s']} s")

# %%
assert [len(r) for r in runs] == [10, 10, 10] and not any(r.errors for r in runs)

# %% [markdown]
# ## The playground
# One slider per criterion. The table shows each variant's mean score per criterion with its interval,
# the weighted total with its interval (the winner's cell is green), and whether the winner's margin over
# the runner-up — paired, question by question — excludes zero.

# %%
play = evals.RubricDemo(runs, judge_rates=rubric.judge_rates())
display(play.widget)
first = play.update()

# %% [markdown]
# ## Check your predictions
# The same playground driven from code.

# %%
only = dict.fromkeys(rubric.CRITERIA, 0.0)
by_grounding = play.update({**only, "groundedness": 1.0})
by_cost = play.update({**only, "cost": 1.0})
by_correctness = play.update({**only, "correctness": 1.0})
equal = play.update(rubric.DEFAULT_WEIGHTS)
loud_judge = play.update({**rubric.DEFAULT_WEIGHTS, "judge": 5.0})
for label, r in (("1. groundedness only", by_grounding), ("   cost only", by_cost), ("   correctness only", by_correctness),
                 ("2. every weight 1", equal), ("3. judge weighted 5", loud_judge)):
    print(f"{label:<22} winner {r.winner:<10} by {r.margin.estimate:+.3f} [{r.margin.low:+.3f}, {r.margin.high:+.3f}]"
          f"{'' if r.decisive else '  (not decisive)'}")
flips = rubric.flip_weights(runs, {"groundedness": 1.0}, {"cost": 1.0})
print("winner changes on the way from groundedness-only to cost-only:",
      [(f.t, f.before, f.after) for f in flips])

# %%
# The sliders only reweight stored, measured scores: the widget's ranking is the library's.
assert by_cost == play.verdict({**only, "cost": 1.0})
assert by_cost.winner == "trimmed35" and by_cost.decisive, "trimming cuts prompt tokens on every question"
assert by_grounding.winner != by_cost.winner and flips, "the weights, not the answers, pick the winner"

# %%
# NBVAL_IGNORE_OUTPUT
rates = rubric.judge_rates()
same_judge = rates is not None and rates.model == llm.model_for("judge")
display(Markdown(
    f"**This run** (`{llm.model_for('chat')}` answering, `{llm.model_for('judge')}` judging): groundedness alone "
    f"crowns **{by_grounding.winner}** ("
    + ("ahead outside its interval" if by_grounding.decisive else "not ahead outside its interval")
    + f"), cost alone **{by_cost.winner}** (ahead outside its interval), correctness alone "
    f"**{by_correctness.winner}** ("
    + ("ahead outside its interval" if by_correctness.decisive else "not ahead outside its interval: 10 questions "
       "cannot separate the variants on correctness")
    + f"). With every weight 1 the winner is **{equal.winner}**" + ("" if equal.decisive else ", inside the noise")
    + ". " + ("The judge has no measured rates here (`bench/run.py judge` writes them): do not weight it yet."
              if rates is None else
              f"The judge's rates were measured for {rates.model}, not for this run's judge: run `bench/run.py "
              f"judge` against this endpoint before you weight it." if not same_judge else
              f"The judge's rates on labelled answers are {rates}; TPR + TNR − 1 = {rates.youden:.2f}: "
              + ("as good as a coin — weighting it moves the ranking without information."
                 if rates.youden < 0.2 else "better than a coin; its column still carries its error rates."))))

# %% [markdown]
# **What to take away.** The answers did not change between those lines; only the weights did. That is
# the rubric's power and its danger: pick the weights **before** you look at the results, write them
# down, version them with the rubric, and keep them fixed while comparing variants. Read every winner
# with its interval — a lead inside the noise is not a decision. A criterion is only worth weight if its
# scorer is measured: the judge's column moves the totals as much as any other, whatever its error rates.
# Point `OPENAI_BASE_URL` at a larger model and run this again to see how a stronger model and judge
# change the columns.
#
# ## The ledger of this demo

# %%
# NBVAL_IGNORE_OUTPUT
llm.ledger.summary()
