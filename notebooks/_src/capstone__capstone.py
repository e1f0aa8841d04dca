# %% [markdown]
# # Capstone · A week in production: find the bug
#
# **What you will measure:** a simulated week of traffic served by the course's RAG service behind two
# guard layers, a semantic cache and a cost cap, with every request traced — requests, cost per day
# against the cap, p50/p95 latency, cache hit rate, guard blocks by layer, online grounding scores with
# intervals, drift alerts and errors by cause. Then you read the traces and find the planted bugs.
#
# **Time to run:** about 4 minutes on 2 CPU cores at the default scale (the week runs once; the
# solution notebook reuses it). **Needs:** nothing — no API key, no network.
#
# The brief: *take the RAG app, add end-to-end evals, production observability, two layers of
# guardrails and a cost cap; run it for a week; read the traces; find the bugs.* `labkit.capstone`
# has the service already assembled from the pieces of the course — read `labkit/capstone/world.py`
# (`CapstoneService._serve`) to see each layer in order. Three defects were planted in it for your
# seed; they are **not** announced. Each one is visible in the traces and the metrics.
#
# What is simulated, and said so in the run's `params`: the users and their questions
# (`labkit.traffic`, with a product launch mid-week), attacks and personal data mixed in, user
# feedback, and the provider's faults (an outage, rate limiting, malformed output, timeouts) injected
# by a real HTTP proxy. What is real: every model call (the embedded SmolLM2), the guards, the cache,
# the budget, the traces, the SQLite stores.

# %%
import json
from pathlib import Path

import numpy as np  # noqa: F401  (for your p95_by_day)

from labkit import llm, tracing  # noqa: F401  (tracing.waterfall: for your find_bugs)
from labkit.capstone import bugs, report, world
from labkit.exercises import get as exercise
from labkit.exercises.capstone import check_findings

# %% [markdown]
# ## Step 1 · Run the week
# `world.run` serves every simulated request in time order on a virtual clock and writes a run
# directory: `traces.sqlite` (every span), `results.jsonl` (one outcome per request), the cache and
# budget stores, and `params.json`. Change `seed` to get other bugs; raise `scale` for a busier week.

# %%
# NBVAL_IGNORE_OUTPUT
cfg = world.CapstoneConfig(days=7, seed=0)
week = world.run(cfg)
frame = week.frame()
print(f"{len(frame)} requests, {int(frame['attempts'].sum())} model calls, run dir {week.dir}")
frame["status"].value_counts()

# %% [markdown]
# **Check 1 — nothing lost.** Every simulated request ends in an answer or a clean, logged error, and
# has exactly one trace.

# %%
store = week.store()
roots = store.sql("SELECT trace_id FROM spans WHERE parent_id IS NULL")
assert len(frame) == week.params["requests"] and frame["request_id"].is_unique
assert len(roots) == len(frame) and set(roots["trace_id"]) == set(frame["trace_id"])
assert not frame["error_cause"].fillna("").str.startswith("internal").any()
print(f"check 1 passed: {len(frame)} requests, {len(roots)} traces, none lost or duplicated")

# %% [markdown]
# ## Step 2 · End-to-end evals, online
# Offline evals (notebook 05) tell you a variant is good before it ships; online evals tell you it
# *stays* good. A deterministic 30% sample of model-answered requests is scored by the fast grounding
# detectors (notebook 07), and simulated users leave thumbs up or down. Daily means get bootstrap
# intervals, so a dip can be told from noise.

# %%
# NBVAL_IGNORE_OUTPUT
rep = report.week_report(week)
report.plot(rep)
rep.eval_daily

# %%
judged, answered = int(rep.eval_daily["n"].sum()), int((frame["status"] == "answered").sum())
assert len(rep.eval_daily) >= 5, "online evals ran on most days of the week"
assert 0.2 < judged / answered <= 0.4, f"the online sample should be ~30 % of answered requests, got {judged}/{answered}"
print(f"check 2 passed: grounding scored on {int(rep.eval_daily['n'].sum())} sampled answers over "
      f"{len(rep.eval_daily)} days")

# %% [markdown]
# ## Step 3 · Observability: read the week from the traces
# The same numbers come out of the span store. Write the latency query yourself.

# %%
ex = exercise("capstone.p95")


def p95_by_day(frame) -> dict[int, float]:
    raise NotImplementedError  # your code here


ex.check(p95_by_day)

# %%
# NBVAL_IGNORE_OUTPUT
print(json.dumps(rep.totals, indent=2, default=str))
rep.daily

# %% [markdown]
# ## Step 4 · The two guard layers and the cost cap
# Input guards block attacks before they cost anything; output guards catch what the model says. The
# budget reserves an estimate before each call and settles the real cost after; when the day's cap is
# reached, requests degrade to a cheap retrieval-only answer instead of failing.

# %%
cap = cfg.daily_cap_usd
print("guard blocks by layer:", rep.blocks_by_layer, "| errors by cause:", rep.errors_by_cause)
print(f"highest daily spend ${rep.daily['charged_usd'].max():.5f} against a cap of ${cap:.5f}")
assert (rep.daily["charged_usd"] <= cap + 1e-12).all(), "the cost cap must hold every day"
assert rep.blocks_by_layer["input"] > 0

# %% [markdown]
# ## Step 5 · Find the bugs
# The defect kinds that *could* be planted are listed below; three of them are, each switched on at
# some point in the week. For each one you find, give the kind, two trace ids that prove it, and the
# day (1–7) it first shows. Useful tools: `store.sql(...)` over the `spans` table (attributes are JSON:
# `json_extract(attributes, '$."cache.hit"')`), `store.trace(trace_id)`, `tracing.waterfall(store, id)`,
# and `bugs.SIGNATURES` — the test each kind's evidence must pass.
#
# Hints, to reveal one at a time: compare `charged_usd` with `cost_usd`; count model calls per trace;
# look at `rag.prompt_version` by day; which spans does each route's trace contain; on a cache hit,
# whose answer was served?

# %%
for kind, what in bugs.KINDS.items():
    print(f"- {kind}: {what}")


def find_bugs(run_dir: Path) -> list[dict]:
    raise NotImplementedError  # your code here: return [{"bug": ..., "trace_ids": [...], "day": N}, ...]


graded = check_findings(find_bugs, week.dir)

# %%
if graded is not None:
    assert graded.passed, graded.summary()

# %% [markdown]
# From a terminal the same check is `labkit capstone check findings.json --seed 0`. The full report
# is also written as HTML:

# %%
# NBVAL_IGNORE_OUTPUT
html = report.to_html(rep, week.dir / "report.html")
print("report:", html)
llm.ledger.summary()
