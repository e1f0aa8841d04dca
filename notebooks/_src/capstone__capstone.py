# %% [markdown]
# # Capstone · Take a prototype to production, run it for a week, find the bug
#
# **The brief:** *take a RAG app (or an agent); add end-to-end evals, production observability, two
# layers of guardrails and a cost cap; run it for a week of simulated traffic; read the traces; find
# the bugs; fix one and prove the fix.*
#
# **What you will measure:** you start from a bare prototype with no guard, no cap, no eval
# and no tracing, and add each layer yourself in a short cell; an offline regression gate on the golden
# set; a simulated week served by *your* service, checked from its traces; your findings, judged on
# their trace evidence; a fix, re-run over the affected days and checked again.
#
# **Time to run:** about 3–6 minutes on 2 CPU cores (a 3-day week at 40 % of the default traffic;
# make it longer once it works). **Needs:** nothing — no API key, no network.
#
# **What is simulated** (and recorded in the run's `run.json`): the users and their questions
# (`labkit.traffic`, with a product launch mid-week), attacks and personal data mixed in, users' thumbs
# up or down (simulated from how close an answer is to the golden answer, independently of your online
# eval), and the provider's faults (an outage, rate limits, malformed output, timeouts) injected by a
# real HTTP proxy. **What is real:** every model call (the embedded SmolLM2), the guards, the budget
# ledger, the traces, the SQLite stores.
#
# **The bugs.** Two or three things go wrong during the week, in places where you wrote no code: the
# environment your service runs in, and changes your teammates or the provider make. Which ones, and
# when, is hidden: without a seed the plan is drawn from fresh randomness and sealed with a key kept
# outside the run directory. `labkit capstone kinds` lists what *can* go wrong; the traces say what did.

# %%
import json
from pathlib import Path

from labkit import config, llm, tracing
from labkit.capstone import check, env, layers, offline, prototypes, week  # noqa: F401  (layers: for yours)
from labkit.capstone.plan import KINDS
from labkit.exercises import get as exercise  # noqa: F401  (exercise("capstone.tracing").hint())
from labkit.exercises.capstone import DAILY_CAP_USD, EVAL_RATE, add_layer  # noqa: F401  (for your layers)

# %% [markdown]
# ## Step 1 · Pick a prototype
# `bare_rag()` retrieves from the knowledge base, fills the deployed prompt template and calls the
# model. `bare_agent()` is a tool-using agent over the same product (search the knowledge base, look up
# a plan's price, look up an account; tool calls through the OpenAI `tools` API, a step limit). Both are
# a *service*: a function `answer(request) -> response`. The request carries `request.call`, the way
# to the model; a layer is a function that takes a service and returns a service that does a bit more
# (see `labkit/capstone/layers.py`, about 250 lines, one layer per function).

# %%
AGENT = False  # True: start from the agent instead
prototype = prototypes.bare_agent() if AGENT else prototypes.bare_rag()
service = prototype

# %% [markdown]
# ## Step 2 · Add the layers, one cell each
# Each cell asks for a function `add_...(service) -> service`. The check runs your layer on a few
# probe requests (a fake model, fixed prices, spans in a scratch store) and tests what the layer must
# do. Reveal a hint with `exercise("capstone.input_guard").hint()`. A layer you have not written yet is
# left out, and the week will show it missing.
#
# **Input guard** — before *every* model call (an agent makes several): attacks blocked, personal
# data redacted before the model sees it (notebook 06).

# %%
def add_input_guard(service):
    raise NotImplementedError  # your code here


service = add_layer("capstone.input_guard", add_input_guard, service)

# %% [markdown]
# **Output guard** — after every model call: personal data and toxic text never reach the user.

# %%
def add_output_guard(service):
    raise NotImplementedError  # your code here


service = add_layer("capstone.output_guard", add_output_guard, service)

# %% [markdown]
# **Cost cap** — reserve each call's worst case before it runs, settle the real cost after, and over
# the day's cap answer without the model (notebook 01). The week's cap is `DAILY_CAP_USD`.

# %%
def add_cost_cap(service):
    raise NotImplementedError  # your code here


service = add_layer("capstone.cost_cap", add_cost_cap, service)
print(f"daily cap: ${DAILY_CAP_USD}")

# %% [markdown]
# **Online eval** — score a stable sample of answers in-process and put the score into the request's
# trace (notebook 05), so a quality drop shows up per day and per trace.

# %%
def add_online_eval(service):
    raise NotImplementedError  # your code here


service = add_layer("capstone.online_eval", add_online_eval, service)

# %% [markdown]
# **Tracing** — one root span per request (OpenTelemetry, GenAI conventions; notebook 08). Added last,
# so it is the outermost layer and every other span joins the request's trace.

# %%
def add_tracing(service):
    raise NotImplementedError  # your code here


service = add_layer("capstone.tracing", add_tracing, service)

# %% [markdown]
# ## Step 3 · The offline regression gate
# Before shipping, the golden set: the same dev questions through the bare prototype and through your
# assembled service, in a clean environment, compared question by question (notebook 05's gate). The
# layers may block or degrade some requests; they must not make ordinary answers worse.

# %%
gate = offline.golden_gate(service, baseline=prototype, n=8)
print(gate.result.report())
for q, (_, _, fb), (st, _, fc) in zip(gate.questions, gate.baseline, gate.candidate, strict=True):
    print(f"- {q[:60]!r}: F1 {fb:.2f} -> {fc:.2f} ({st})")

# %%
assert gate.passed, f"the layers made ordinary answers worse on the golden set:\n{gate.result.report()}"

# %% [markdown]
# ## Step 4 · Run the week
# `run_week` serves every simulated request, in time order on a virtual clock, with *your* service.
# With `seed=None` the week's traffic and its bugs are drawn fresh (CI fixes a seed so the run is
# reproducible). Everything lands in the run directory: `traces.sqlite` (every span),
# `results.jsonl`, `feedback.jsonl` (the users' thumbs), `run.json`.

# %%
# NBVAL_IGNORE_OUTPUT
SEED = 4 if config.solutions_enabled() else None
run = week.run_week(service, seed=SEED, days=3, scale=0.4, out="runs/capstone-mine", agent=AGENT)
print(f"{run.requests} requests in {run.wall_s:.0f} s; statuses {run.statuses}; run dir {run.dir}")

# %% [markdown]
# **Did every layer run?** The checker reads the traces alone: one root span per request and none lost,
# a `guard.input` span before and a `guard.output` span after every model call, every call inside a
# `budget.reserve` span and each day's spend under the cap, scores on the sampled traces.

# %%
problems = check.layer_problems(check.load_week(run.dir))
print("\n".join(problems) or "every layer is in the traces")
added = {"input guard", "output guard", "cost cap", "online eval", "tracing"} - {p.split(":")[0] for p in problems}
print(f"layers the traces show: {sorted(added)}")

# %%
if config.solutions_enabled():
    assert problems == [], problems

# %% [markdown]
# ## Step 5 · Read the traces
# `store.sql(...)` runs SQL over two tables: `spans` (one row per span: `trace_id`, `parent_id`,
# `name`, `start_ns`, `end_ns`, `operation`, `error`, and `attributes` as JSON — read one with
# `json_extract(attributes, '$."budget.cost_usd"')`) and `traces` (one row per trace). The week starts
# at `week_start_ns`; a span's day is `(start_ns - week_start_ns) / 86400e9 + 1`, rounded down. Start with the day
# by day view below, then follow whatever moves.

# %%
store = tracing.SpanStore(run.traces_path)
week_start_ns = check.load_week(run.dir).t0_ns
per_trace = store.sql(f"""
SELECT r.trace_id, CAST((r.start_ns - {week_start_ns}) / 86400e9 AS INTEGER) + 1 AS day,
       json_extract(r.attributes, '$."labkit.status"') AS status, (r.end_ns - r.start_ns) / 1e9 AS seconds,
       (SELECT max(json_extract(e.attributes, '$."gen_ai.evaluation.score.value"')) FROM spans e
        WHERE e.trace_id = r.trace_id) AS online_eval,
       (SELECT count(*) FROM spans c WHERE c.trace_id = r.trace_id AND c.operation = 'chat') AS model_calls
FROM spans r WHERE r.parent_id IS NULL""")
daily = per_trace.groupby("day").agg(
    requests=("trace_id", "size"), answered=("status", lambda s: (s == "answered").mean()),
    p95_s=("seconds", lambda s: s.quantile(0.95)), model_calls=("model_calls", "sum"),
    online_eval=("online_eval", "mean"), scored=("online_eval", "count"))
daily

# %% [markdown]
# The users' thumbs are in `feedback.jsonl` (not in the traces: they arrive later, from another
# system). One trace, drawn as a waterfall: `tracing.waterfall(store, trace_id)`.

# %%
# NBVAL_IGNORE_OUTPUT
thumbs = [json.loads(line) for line in (run.dir / "feedback.jsonl").read_text().splitlines() if line]
by_day: dict[int, list[int]] = {}
for t in thumbs:
    by_day.setdefault(t["day"], []).append(t["thumbs_up"])
print({d: f"{sum(v) / len(v):.0%} up of {len(v)}" for d, v in sorted(by_day.items())})
first = store.sql("SELECT trace_id FROM spans WHERE parent_id IS NULL ORDER BY start_ns LIMIT 1").trace_id[0]
tracing.waterfall(store, first);

# %% [markdown]
# **Hints**, to reveal one at a time (`print(HINTS[0])`, ...). They point at where to look, never at
# what went wrong.

# %%
HINTS = [
    "Day 1 is clean in every run. Compare each later day's online eval and thumbs with day 1's.",
    "For each span name, list the distinct values of each attribute by day: a value that appears only "
    "later is a change someone made.",
    "Inside one trace, look at the model-call spans in order: their errors and the time between them.",
    "The budget.reserve spans carry what each call cost and how many tokens it used.",
    "An agent's trace has one execute_tool span per tool call: count them, and read their attributes.",
]
print("what can go wrong (the planted ones are for you to find):")
for kind, where in KINDS.items():
    print(f"- {kind}: {where}")

# %% [markdown]
# ## Step 6 · Your findings
# One finding per bug: its kind (from the list above), trace ids that show it (the first 8+ characters
# are enough), and the day it first shows. The checker judges the evidence first, in terms of spans and
# attributes; a claim whose traces do not show the kind gets the same reply whether or not it was
# planted, and the day is judged only once the evidence holds. The same check from a terminal:
# `labkit capstone check findings.json --run runs/capstone-mine`.

# %%
findings: list[dict] = [  # your findings here, e.g. {"bug": "...", "trace_ids": ["4bf92f35", ...], "day": 2}
]
if findings:
    Path("findings.json").write_text(json.dumps({"findings": findings}, indent=2))
    print(check.check(check.read_findings("findings.json"), run.dir).text())
else:
    print("capstone.findings: not attempted yet (the solution notebook shows one way).")

# %% [markdown]
# ## Step 7 · Fix one, and prove it
# A bug lives where you wrote no code, so the fix is a change to your service or to the configuration
# the bug lives in (`env.EnvConfig`: pin a prompt version, re-run the ingest, set the retry policy,
# refresh a tool's data). Replay the affected days of the *same* week (same traffic, same planted bugs)
# with the fix, add `"fix_run"` to the finding, and check again: the bug's trace signature must be gone
# from the re-run, and its online eval must not sit below day 1's.

# %%
FIX = None  # e.g. env.EnvConfig(...)
FIX_DAYS: list[int] = []  # the days your finding covers
if FIX is not None and findings:
    fixed = week.run_week(service, out="runs/capstone-mine-fix", replay=run.dir, config=FIX, only_days=FIX_DAYS,
                          agent=AGENT)
    findings[0]["fix_run"] = str(fixed.dir)
    Path("findings.json").write_text(json.dumps({"findings": findings}, indent=2))
    result = check.check(check.read_findings("findings.json"), run.dir)
    print(result.text())
    assert result.passed, "every layer, every planted bug with its evidence and day, and one fix proven"
else:
    print(f"no fix yet: set FIX (an {env.EnvConfig.__name__}) and FIX_DAYS once you have a finding")

# %%
# NBVAL_IGNORE_OUTPUT
llm.ledger.summary()
