# %% [markdown]
# # Capstone · Solution: the layers, the bugs from the traces alone, a proven fix, and a debrief
#
# **What you will measure:** the reference service assembled from the same layers as in
# `capstone.ipynb`; a seeded week; every planted bug found with SQL over the span store (never from the
# plan, which stays sealed); one fix replayed over the affected day and proven by the checker and by a
# paired test on the online eval; then, from the week's traces, what each layer caught, what it cost in
# latency and money, and which bug each layer alone would have missed.
#
# **Time to run:** about 3–5 minutes on 2 CPU cores (the 3-day week at 40 % of the default traffic,
# then one replayed day). **Needs:** nothing — no API key, no network.
#
# The method: a bug is a claim about behaviour, so turn each suspicion into a query over spans, compare
# with day 1 (nothing is planted before day 2: day 1 is each run's own baseline), and take the first
# day a trace matches.

# %%
import json
from pathlib import Path

import pandas as pd

from labkit import llm, tracing
from labkit.capstone import check, env, prototypes, week
from labkit.capstone.layers import with_cost_cap, with_input_guard, with_online_eval, with_output_guard, with_tracing
from labkit.capstone.plan import KINDS, QUALITY
from labkit.evals import stats

# %% [markdown]
# ## 1 · Assemble and run
# The same five layers as the exercise, around the bare RAG prototype; tracing outermost.

# %%
service = prototypes.bare_rag()
service = with_input_guard(service)
service = with_output_guard(service)
service = with_cost_cap(service, daily_cap_usd=0.003)
service = with_online_eval(service, rate=0.4)
service = with_tracing(service)

# %%
# NBVAL_IGNORE_OUTPUT
run = week.run_week(service, seed=4, days=3, scale=0.4, out="runs/capstone-solution")
print(f"{run.requests} requests in {run.wall_s:.0f} s; statuses {run.statuses}")
store = tracing.SpanStore(run.traces_path)
T0 = check.load_week(run.dir).t0_ns
DAY = f"CAST((t.start_ns - {T0}) / 86400e9 AS INTEGER) + 1"  # the day of the trace t a span belongs to
A = "json_extract(s.attributes, '$.\"{}\"')".format

# %%
layer_problems = check.layer_problems(check.load_week(run.dir))
assert layer_problems == [], layer_problems
print("every layer is in the traces")

# %% [markdown]
# ## 2 · What changed after day 1?
# A first sweep, not tied to any kind: for every span name and attribute, the values seen on later days
# that never occur on day 1. Ids, texts and measurements change all the time; versions, sizes, dates and
# model names should not.

# %%
values = store.sql(f"""
SELECT s.name, j.key AS attribute, CAST(j.value AS TEXT) AS value, min({DAY}) AS first_day, count(*) AS spans
FROM spans s JOIN traces t USING (trace_id), json_each(s.attributes) j
WHERE j.key IN ('rag.prompt.sha', 'rag.index.documents', 'rag.index.ingested_at', 'tool.data_as_of',
                'gen_ai.response.model', 'gen_ai.request.model')
GROUP BY s.name, j.key, value""")
values[values.first_day > 1]

# %% [markdown]
# ## 3 · One query per suspicion
# Each returns `(trace_id, day)` of the traces that show it, judged against day 1's values of the same
# run. **The prompt:** a `rag.generate` span whose template hash never occurred on day 1.

# %%
def rows(sql: str) -> pd.DataFrame:
    return store.sql(f"SELECT DISTINCT trace_id, day FROM ({sql}) ORDER BY day, trace_id")


evidence = {}
evidence["prompt-template"] = rows(f"""
SELECT s.trace_id, {DAY} AS day FROM spans s JOIN traces t USING (trace_id)
WHERE s.name = 'rag.generate' AND {A('rag.prompt.sha')} NOT IN (
  SELECT {A('rag.prompt.sha')} FROM spans s JOIN traces t USING (trace_id) WHERE s.name = 'rag.generate' AND {DAY} = 1)""")
evidence["reingest-drop"] = rows(f"""
SELECT s.trace_id, {DAY} AS day FROM spans s JOIN traces t USING (trace_id)
WHERE s.name = 'rag.retrieve' AND {A('rag.index.documents')} < (
  SELECT max({A('rag.index.documents')}) FROM spans s JOIN traces t USING (trace_id)
  WHERE s.name = 'rag.retrieve' AND {DAY} = 1)""")

# %% [markdown]
# **Retries:** a model call that failed, followed in the same trace by another call less than 0.2 s
# later (the team's gateway backs off 0.5 s, then 1 s: a quicker retry hammers a provider that is
# already failing). **Prices:** what a call cost per token, against day 1's.

# %%
evidence["retry-setting"] = rows(f"""
SELECT a.trace_id, {DAY} AS day FROM spans a JOIN spans b ON a.trace_id = b.trace_id AND b.start_ns > a.end_ns
JOIN traces t ON t.trace_id = a.trace_id
WHERE a.operation = 'chat' AND b.operation = 'chat' AND b.start_ns - a.end_ns < 200000000
  AND json_extract(a.attributes, '$."error.type"') IS NOT NULL""")
evidence["price-change"] = rows(f"""
WITH rate AS (SELECT s.trace_id, {DAY} AS day, {A('budget.cost_usd')} * 1.0 /
  ({A('gen_ai.usage.input_tokens')} + {A('gen_ai.usage.output_tokens')}) AS r
  FROM spans s JOIN traces t USING (trace_id) WHERE s.name = 'budget.reserve' AND {A('budget.cost_usd')} > 0)
SELECT trace_id, day FROM rate WHERE r > 1.5 * (SELECT min(r) FROM rate WHERE day = 1)""")

# %% [markdown]
# **The model behind the name:** a model call answered by a model snapshot never seen on day 1.
# **Whose documents:** a retrieval that returned another tenant's documents (`rag.retrieved_tenants`
# against the request's `rag.tenant`). Both come back empty when the week's spans do not carry them.

# %%
evidence["model-swap"] = rows(f"""
SELECT s.trace_id, {DAY} AS day FROM spans s JOIN traces t USING (trace_id)
WHERE s.operation = 'chat' AND {A('gen_ai.response.model')} NOT IN (
  SELECT {A('gen_ai.response.model')} FROM spans s JOIN traces t USING (trace_id)
  WHERE s.operation = 'chat' AND {DAY} = 1 AND {A('gen_ai.response.model')} IS NOT NULL)""")
evidence["cache-tenant"] = rows(f"""
SELECT s.trace_id, {DAY} AS day FROM spans s JOIN traces t USING (trace_id), json_each({A('rag.retrieved_tenants')}) k
WHERE s.name = 'rag.retrieve' AND k.value NOT IN ('shared', {A('rag.tenant')})""")
pd.DataFrame({kind: [len(r), r.day.min() if len(r) else None] for kind, r in evidence.items()},
             index=["traces", "first day"]).T

# %% [markdown]
# ## 4 · From evidence to findings, and the checker's verdict
# A finding is the kind, two traces that show it, and the first day any trace does.

# %%
findings = [{"bug": kind, "trace_ids": list(r.trace_id[:2]), "day": int(r.day.min())}
            for kind, r in evidence.items() if len(r) and kind in KINDS]
FINDINGS = run.dir.parent / "solution-findings.json"
FINDINGS.write_text(json.dumps({"findings": findings}, indent=2))
first = check.check(check.read_findings(FINDINGS), run.dir)
print(first.text())

# %%
assert all(v.evidence and v.day_ok for v in first.verdicts), first.text()
assert any(f["bug"] in QUALITY for f in findings), "every run plants a silent quality regression; it must be found"

# %% [markdown]
# One of the traces, span by span:

# %%
# NBVAL_IGNORE_OUTPUT
tracing.waterfall(store, findings[0]["trace_ids"][0]);

# %% [markdown]
# ## 5 · Fix one and prove it
# Each kind found lives in one setting of the environment (`env.EnvConfig`); change every one of them,
# replay the first day the silent quality regression shows (same traffic, same plan), and prove that fix.

# %%
day1_model = values[(values.attribute == "gen_ai.response.model") & (values.first_day == 1)].value
SETTINGS = {"prompt-template": {"prompt_version": "v1-grounded"}, "reingest-drop": {"reingest": True},
            "stale-tool-data": {"refresh_tool_data": True},
            "model-swap": {"model_snapshot": day1_model.iloc[0] if len(day1_model) else None},
            "retry-setting": {"max_retries": 2, "retry_backoff_s": 0.5}}
target = next(f for f in findings if f["bug"] in SETTINGS and f["bug"] in QUALITY)
fix = env.EnvConfig(**{k: v for f in findings if f["bug"] in SETTINGS for k, v in SETTINGS[f["bug"]].items()})
print(f"fixing {target['bug']} with {fix}")

# %%
# NBVAL_IGNORE_OUTPUT
fixed = week.run_week(service, out=run.dir.parent / "capstone-solution-fix", replay=run.dir, config=fix, only_days=[target["day"]])
target["fix_run"] = str(fixed.dir)
FINDINGS.write_text(json.dumps({"findings": findings}, indent=2))
result = check.check(check.read_findings(FINDINGS), run.dir)
print(f"replayed day {target['day']} ({fixed.requests} requests)\n{result.text()}")

# %%
assert result.passed, result.text()

# %% [markdown]
# **The paired test.** The replay serves the same requests, and the online eval samples by request id,
# so the requests scored in both runs can be compared pair by pair. When the original run scored too few
# of them (a request that errored is not scored), the re-run is compared with day 1 instead, unpaired.

# %%
def scores(run_dir: Path) -> pd.DataFrame:
    return tracing.SpanStore(run_dir / "traces.sqlite").sql("""
        SELECT json_extract(r.attributes, '$."labkit.request_id"') AS rid, json_extract(r.attributes,
               '$."labkit.day"') AS day, json_extract(e.attributes, '$."gen_ai.evaluation.score.value"') AS score
        FROM spans e JOIN spans r ON r.trace_id = e.trace_id AND r.parent_id IS NULL
        WHERE e.name LIKE 'evaluation%'""").set_index("rid")


before, after = scores(run.dir), scores(fixed.dir)
common = sorted(set(before.index) & set(after.index))
clean = before[before.day < target["day"]].score  # the days before the bug showed
test = None
if len(common) >= 2:
    test = stats.paired_test(before.score[common].tolist(), after.score[common].tolist())
    how = f"paired, on the {len(common)} requests scored in both runs"
elif len(clean) >= 2 and len(after) >= 2:
    test = stats.unpaired_test(clean.tolist(), after.score.tolist())
    how = f"unpaired: {len(common)} replayed requests were scored in the original run; against days before"
if test is None:
    print(f"too few scored requests to compare: {len(common)} in both runs, {len(clean)} before the bug, "
          f"{len(after)} in the re-run (requests that error are not scored)")
else:
    verdict = "rose" if test.low > 0 else "did not move beyond its interval" if test.high >= 0 else "fell"
    print(f"online eval ({how}): {test.mean_a:.3f} -> {test.mean_b:.3f}, difference {test.diff:+.3f} "
          f"[{test.low:+.3f}, {test.high:+.3f}]: the score {verdict}")

# %%
assert test is None or test.high >= 0, "after the fix the online eval must not show the drop any more"

# %% [markdown]
# ## 6 · Debrief: what each layer did this week
# **Caught:** what each layer stopped or changed. **Latency:** the time spent in its spans (the cost
# cap's own time is its `budget.reserve` span before the first and after the last model call inside it:
# the reservation and the settlement, not the gateway's retries; a guard records its span once its verdict
# is in, so its time is the quiet gap just before that span). **Money:** model spend
# inside its spans (the guards and the eval make no model calls), and the spend a blocked request did
# not make (at the week's mean cost of an answered request).

# %%
spans = store.sql(f"""SELECT s.trace_id, s.span_id, s.parent_id, s.name, s.operation, s.cost_usd,
  (s.end_ns - s.start_ns) / 1e6 AS ms, {DAY} AS day, s.attributes,
  ((SELECT min(c.start_ns) FROM spans c WHERE c.parent_id = s.span_id) - s.start_ns
   + s.end_ns - (SELECT max(c.end_ns) FROM spans c WHERE c.parent_id = s.span_id)) / 1e6 AS own_ms,
  (s.start_ns - max(coalesce((SELECT max(o.end_ns) FROM spans o WHERE o.trace_id = s.trace_id
     AND o.end_ns <= s.start_ns), 0), (SELECT p.start_ns FROM spans p WHERE p.span_id = s.parent_id))) / 1e6 AS gap_ms
  FROM spans s JOIN traces t USING (trace_id)""")
spans["attr"] = spans.attributes.map(json.loads)
get = lambda key: spans["attr"].map(lambda a: a.get(key))  # noqa: E731
roots = spans[spans.parent_id.isna()].assign(status=get("labkit.status"))
reserve = spans[spans.name == "budget.reserve"]
billed = reserve["attr"].map(lambda a: a.get("budget.cost_usd") or 0.0)
cost_per_answer = billed.sum() / max(1, (roots.status == "answered").sum())
guard = lambda layer: spans[spans.name == f"guard.{layer}"].assign(allowed=get("guard.allowed"), action=get("guard.action"))  # noqa: E731
gi, go = guard("input"), guard("output")
debrief = pd.DataFrame({
    "caught": [f"{(~gi.allowed.astype(bool)).sum()} blocked, {(gi.action == 'redact').sum()} redacted",
               f"{(~go.allowed.astype(bool)).sum()} blocked, {(go.action == 'redact').sum()} redacted",
               f"{(roots.status == 'degraded').sum()} degraded",
               f"{spans.name.str.startswith('evaluation').sum()} answers scored", f"{len(roots)} requests traced"],
    "total_ms": [gi.gap_ms.sum(), go.gap_ms.sum(), reserve.own_ms.sum(),
                 spans[spans.name.str.startswith("evaluation")].gap_ms.sum(), float("nan")],
    "averted_usd": [(roots.status == "blocked_input").sum() * cost_per_answer, 0.0,
                    (roots.status == "degraded").sum() * cost_per_answer, 0.0, 0.0],
}, index=["input guard", "output guard", "cost cap", "online eval", "tracing"])
debrief["ms_per_request"] = debrief.total_ms / len(roots)
debrief

# %% [markdown]
# The root span *is* the tracing layer; its own overhead is not in the traces (notebook 08 measures it).
# **Which bug would each layer alone have missed?** Each layer has its own signal: the root span's
# status and duration (tracing), the guards' verdicts, the cost per token of `budget.reserve` (cost
# cap), the eval score (online eval). A layer *sees* a bug when its signal on the bug's traces differs
# from day 1: an error or block share at least 10 points higher, a p95 duration or cost per token at
# least 1.5× day 1's, or a mean eval score whose 95 % interval lies below day 1's mean.

# %%
def signal(frame: pd.DataFrame) -> dict[str, float]:
    r = roots[roots.trace_id.isin(frame.trace_id)]
    sub = spans[spans.trace_id.isin(frame.trace_id)]
    tok = sub[sub.name == "budget.reserve"]
    per_token = (tok["attr"].map(lambda a: a.get("budget.cost_usd") or 0) / tok["attr"].map(
        lambda a: (a.get("gen_ai.usage.input_tokens") or 0) + (a.get("gen_ai.usage.output_tokens") or 0) or None))
    evals = sub[sub.name.str.startswith("evaluation")]["attr"].map(lambda a: a["gen_ai.evaluation.score.value"])
    return {"error": (r.status == "error").mean(), "p95_ms": r.ms.quantile(0.95),
            "blocked_in": (r.status == "blocked_input").mean(), "blocked_out": (r.status == "blocked_output").mean(),
            "usd_per_token": per_token.dropna().mean(), "evals": list(evals)}


day1 = signal(roots[roots.day == 1])
sees = {}
for f in findings:
    bug = signal(evidence[f["bug"]])
    low = stats.bootstrap_ci(bug["evals"]).high < sum(day1["evals"]) / len(day1["evals"]) if len(bug["evals"]) >= 2 else False
    sees[f["bug"]] = {"tracing": bug["error"] >= day1["error"] + 0.1 or bug["p95_ms"] >= 1.5 * day1["p95_ms"],
                      "input guard": bug["blocked_in"] >= day1["blocked_in"] + 0.1,
                      "output guard": bug["blocked_out"] >= day1["blocked_out"] + 0.1,
                      "cost cap": bug["usd_per_token"] >= 1.5 * day1["usd_per_token"], "online eval": bool(low)}
seen = pd.DataFrame(sees).T
seen

# %%
missed = {layer: [bug for bug in seen.index if not seen.loc[bug, layer]] for layer in seen.columns}
for layer, m in missed.items():
    print(f"- {layer} alone would have missed: {', '.join(m) or 'nothing'}")
guards_blind = not seen[["input guard", "output guard"]].to_numpy().any()
same_day = len({f["day"] for f in findings}) == 1
print(("The guards alone would have missed every planted bug: they judge what users type and what the model "
       "says, and no bug here changed either." if guards_blind else "A guard's verdicts moved on some bug's traces.")
      + (f" Every bug switched on on day {findings[0]['day']}, so a signal that moved on one bug's traces moved on "
         "all of them: it says that day changed, not what; the attributes of section 3 tell the bugs apart."
         if same_day else ""))

# %%
assert guards_blind, "the debrief says the guards alone would have missed every planted bug"

# %%
# NBVAL_IGNORE_OUTPUT
llm.ledger.summary()
