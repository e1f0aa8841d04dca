# %% [markdown]
# # Demo · Drift monitor
#
# **What you will measure:** on a simulated week of user questions, how soon each of four drift
# detectors (PSI and a KS test on question length; MMD and a domain classifier on question embeddings)
# notices a drift you choose — a product launch, longer questions, other languages — at the strength
# and onset you set, and whether any raises a false alarm.
#
# **Time to run:** about 30 seconds (embedding a week of questions; later runs reuse the vectors).
# **Needs:** nothing — no API key, no network, no model server.
#
# The traffic is a **simulation** (`labkit.traffic`): the golden questions asked with a daily rhythm,
# paraphrased and repeated; the drift starts at the onset and ramps up over six hours. Each detector
# compares the last 150 requests with the first two days, every hour, and alarms after two windows in
# a row. In the picture: grey bands are nights, the dashed line is the onset, red dots are alarms.
#
# **Predict before you click.** Choose a drift and pick the detector you expect to alarm first, then
# press **Run the week**. Things to try:
# * *Launch at strength 0.1.* Does the classifier ever alarm? (If only 10% of a window is new, even a
#   perfect classifier's AUC is about 0.55.)
# * *Onset at day 3.0 (midnight) instead of 3.5 (noon).* Why does detection take longer?
# * *Longer questions.* Which detectors see it, and which does the launch leave cold?
# * *Strength 0 (no drift).* Does anything alarm?

# %%
from labkit import drift, llm

# %%
demo = drift.DriftDemo()
demo.widget

# %% [markdown]
# ## Run headless
# The same run the button makes, called directly (this is what the automated test does): the default
# launch at noon on day 3.5, 30% of questions.

# %%
# NBVAL_IGNORE_OUTPUT
demo.prediction.value = "MMD(embedding)"
launch = demo.update()
launch["summary"]

# %%
delays = launch["summary"].set_index("detector")["delay_h"]
assert launch["summary"]["false_alarms"].sum() == 0
assert delays["MMD(embedding)"] <= 12, "MMD sees the launch within 12 simulated hours"
assert delays.isna()["KS(length)"], "launch questions are not longer: a length test cannot see them"
assert demo.image.value and "First to alarm" in demo.status.value

# %% [markdown]
# Now the week without drift: the same traffic up to the onset, nothing after it.

# %%
# NBVAL_IGNORE_OUTPUT
demo.kind.value = "no drift"
quiet = demo.update()
quiet["summary"]

# %%
assert quiet["first"] == "none" and quiet["summary"]["false_alarms"].sum() == 0

# %% [markdown]
# ## The ledger
# Drift detection needs embeddings, not generation: no model calls.

# %%
# NBVAL_IGNORE_OUTPUT
llm.ledger.summary()
