# %% [markdown]
# # Demo · Guardrails playground
#
# **What you will measure:** which guard of the input layer stops (or lets through) a prompt you pick or
# type, with each guard's score and milliseconds — and how often your own prediction was right.
#
# **Time to run:** about 30 seconds (the first run ever also trains the detectors, ~30 s more).
# **Needs:** nothing — no API key, no network, no model server.
#
# **Predict before you click.** Pick a preset, decide *allowed* or *blocked*, then press **Check**.
# The presets include encoded attacks (base64, ROT13, invisible and look-alike characters, hidden tag
# characters) and tricky benign prompts ("kill the process", "act as a tutor", a harmless base64 string).

# %%
from labkit import guardrails, llm
from labkit.guardrails import PRESETS

# %%
pg = guardrails.GuardrailsDemo()
pg.widget

# %% [markdown]
# ## Run headless
# The same check the button runs, called directly (this is what the automated test does). Try a few
# presets and count how many you predicted right.

# %%
# NBVAL_IGNORE_OUTPUT
pg.picker.value = PRESETS[2].text          # the base64-encoded injection
pg.prediction.value = "blocked"
res = pg.update()
print(res["outcome"], "| prediction right:", res["correct"])
print(pg.last.summary())

# %%
assert res["outcome"] == "blocked" and res["correct"] is True and "BLOCKED" in pg.out.value
assert "base64" in pg.last.verdict("normalize").details["views"]

# %% [markdown]
# ## Every preset, with its lesson
# Which did you get wrong? The lesson line says why each one went the way it did.

# %%
# NBVAL_IGNORE_OUTPUT
outcomes = {}
for p in PRESETS:
    r = pg.check(p.text)
    outcomes[p.label] = r["outcome"]
    mark = "" if r["outcome"] == p.expect else "   <- differs from the preset's expectation"
    print(f"{r['outcome']:8} {r['result'].ms:7.1f} ms  {p.label}{mark}\n         {p.lesson}")

# %%
encoded = [p.label for p in PRESETS if p.expect == "blocked"]
benign = [p.label for p in PRESETS if p.expect == "allowed" and "often missed" not in p.label]
assert sum(outcomes[k] == "blocked" for k in encoded) >= len(encoded) - 1, outcomes
assert sum(outcomes[k] == "allowed" for k in benign) >= len(benign) - 1, outcomes

# %% [markdown]
# ## The ledger
# The playground makes no model calls: guardrails run before the model.

# %%
# NBVAL_IGNORE_OUTPUT
llm.ledger.summary()
