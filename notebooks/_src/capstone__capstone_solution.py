# %% [markdown]
# # Capstone · Solution: finding the bugs from the traces alone
#
# **What you will measure:** for each kind of defect, how many traces of the week show it and the day
# it first appears, found with queries over the span store only — then the grader's verdict.
#
# **Time to run:** under 1 minute when the week from `capstone.ipynb` is on disk (it is reused),
# about 4 minutes otherwise. **Needs:** nothing — no API key, no network.
#
# The method: a defect is a claim about behaviour, so turn each suspicion into a query over spans,
# look at one trace that matches, and find the first day a trace matches.

# %%
from datetime import datetime

import pandas as pd

from labkit import llm, tracing
from labkit.capstone import bugs, grade, report, world

# %%
# NBVAL_IGNORE_OUTPUT
week = world.run(world.CapstoneConfig(days=7, seed=0))
store = week.store()
start_ns = int(datetime.fromisoformat(week.params["start"]).timestamp() * 1e9)
DAY_NS = int(bugs.DAY_S * 1e9)
print(f"{week.params['requests']} requests in {week.dir}")

# %% [markdown]
# ## 1 · Spend versus cost, per trace
# The root span carries what the budget charged (`billing.charged_usd`); the LLM spans carry what the
# calls really cost. A trace charged more than its calls cost is billing the failed attempts.

# %%
per_trace = store.sql(f"""
SELECT r.trace_id, (r.start_ns - {start_ns}) / {DAY_NS} + 1 AS day,
       json_extract(r.attributes, '$."billing.charged_usd"') AS charged,
       (SELECT coalesce(sum(cost_usd), 0) FROM spans s WHERE s.trace_id = r.trace_id) AS real_cost,
       (SELECT count(*) FROM spans s WHERE s.trace_id = r.trace_id AND s.operation = 'chat') AS llm_calls,
       json_extract(r.attributes, '$."http.route"') AS route
FROM spans r WHERE r.parent_id IS NULL""")
over = per_trace[(per_trace.llm_calls >= 2) & (per_trace.charged > 1.5 * per_trace.real_cost + 1e-12)]
over.head()

# %% [markdown]
# ## 2 · How soon after a failure is a call retried?
# The service backs off (0.5 s, then 1 s) before retrying. A model call that starts less than 0.2 s
# after the previous call in the same trace ended is a retry without backoff: under rate limiting, that
# is how a retry storm starts.

# %%
gaps = store.sql("""
WITH calls AS (
  SELECT trace_id, start_ns, LAG(end_ns) OVER (PARTITION BY trace_id ORDER BY start_ns) AS prev_end
  FROM spans WHERE operation IN ('chat', 'text_completion'))
SELECT trace_id, count(*) AS quick_retries, min(start_ns - prev_end) / 1e6 AS shortest_gap_ms
FROM calls WHERE prev_end IS NOT NULL AND start_ns - prev_end < 200000000 GROUP BY trace_id""")
storm = gaps.merge(per_trace[["trace_id", "day", "llm_calls"]], on="trace_id")
storm.head()

# %% [markdown]
# ## 3 · The prompt version, by day

# %%
versions = store.sql(f"""
SELECT (start_ns - {start_ns}) / {DAY_NS} + 1 AS day, json_extract(attributes, '$."rag.prompt_version"') AS version,
       count(*) AS n FROM spans WHERE name = 'rag.generate' GROUP BY day, version ORDER BY day""")
versions

# %% [markdown]
# ## 4 · Which layers each route's traces pass through

# %%
layers = store.sql("""
SELECT json_extract(r.attributes, '$."http.route"') AS route,
       sum(EXISTS (SELECT 1 FROM spans g WHERE g.trace_id = r.trace_id AND g.name = 'guard.input')) AS with_input_guard,
       count(*) AS traces
FROM spans r WHERE r.parent_id IS NULL GROUP BY route""")
layers

# %% [markdown]
# ## 5 · Whose answer did a cache hit serve?

# %%
hits = store.sql("""
SELECT trace_id, json_extract(attributes, '$."labkit.tenant"') AS tenant,
       json_extract(attributes, '$."cache.entry_tenant"') AS served_from
FROM spans WHERE name = 'cache.lookup' AND json_extract(attributes, '$."cache.hit"') = 1""")
hits[hits.tenant != hits.served_from]

# %% [markdown]
# ## 6 · From evidence to findings
# Each query above is a suspicion turned into rows of traces. A finding is the kind, two traces that
# prove it, and the first day any trace shows it. The prompt change is the version that was not in use
# on day 1; online evals say whether it hurt (grounding by prompt version, from the sampled answers).

# %%
first_version = versions[versions.day == versions.day.min()].version.iloc[0]
changed = store.sql(f"""
SELECT trace_id, (start_ns - {start_ns}) / {DAY_NS} + 1 AS day FROM spans
WHERE name = 'rag.generate' AND json_extract(attributes, '$."rag.prompt_version"') != ?""", (first_version,))
bypass = per_trace[(per_trace.route == "/v1/api/ask")
                   & ~per_trace.trace_id.isin(store.sql("SELECT trace_id FROM spans WHERE name = 'guard.input'")
                                              .trace_id)]
leaks = hits[hits.tenant != hits.served_from].merge(per_trace[["trace_id", "day"]], on="trace_id")
evidence = {"retry-double-bill": over, "retry-storm": storm, "prompt-regression": changed,
            "guard-bypass": bypass, "cache-tenant-leak": leaks}
findings = []
for kind, rows in evidence.items():
    if len(rows):
        rows = rows.sort_values("day", kind="stable")
        findings.append({"bug": kind, "trace_ids": list(rows.trace_id[:2]), "day": int(rows.day.min())})
pd.DataFrame(findings)

# %%
# NBVAL_IGNORE_OUTPUT
sampled = report.online_eval(week)
sampled.groupby("prompt_version")["grounding"].agg(["count", "mean"])

# %% [markdown]
# The grader's own test of each kind (`bugs.SIGNATURES`, run over every trace by `grade.find_bugs`)
# must agree with the queries: same kinds, same first days.

# %%
reference = {f["bug"]: f["day"] for f in grade.find_bugs(week.dir)}
assert {f["bug"]: f["day"] for f in findings} == reference, (findings, reference)

# %%
# NBVAL_IGNORE_OUTPUT
if findings:
    tracing.waterfall(store, findings[0]["trace_ids"][0]);

# %%
result = grade.grade(findings, week.dir)
print(result.summary())
assert result.passed, "the traces must reveal every planted bug"
assert len(findings) == result.planted_count, "no false alarms: only planted kinds show in the traces"

# %%
# NBVAL_IGNORE_OUTPUT
llm.ledger.summary()
