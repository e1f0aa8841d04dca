# %% [markdown]
# # 08 · Observability and tracing: see every request, then find a regression from traces alone
#
# **What you will measure:** the spans of real requests to the RAG service — HTTP, retrieval and the
# model call, with tokens and cost on every LLM span; how retries and a slow tool look in a waterfall;
# cost per request computed from spans; what tail sampling keeps (every error, 10% of the rest) and
# how far a dashboard is off if it forgets that; then a regression is deployed and you name it from
# the traces.
#
# **Time to run:** about 2 minutes on 2 CPU cores (18 short model calls, 2 of them failing on purpose).
# **Needs:** nothing — no API key, no network.
#
# A *trace* is the record of one request: a tree of *spans*, each a named piece of work with a start,
# an end, a status and attributes. `labkit.tracing` builds them with the real OpenTelemetry SDK, names
# LLM attributes after the OpenTelemetry **GenAI semantic conventions** (so Phoenix, Jaeger, Langfuse or
# any collector understand them), keeps them in a local SQLite store you can query, and draws them.

# %%
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import openai
import pandas as pd
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from labkit import agent, data, llm, release, tracing
from labkit.cli import main as labkit_cli
from labkit.exercises import get as exercise
from labkit.exercises import nb08
from labkit.rag import RagApp, RagConfig
from labkit.rag.service import ServiceThread, create_app

# %% [markdown]
# ## 1. What to log on every request, and why
#
# Logs answer "what happened?"; a trace answers "where did the time, the tokens and the money go, in
# *this* request?". For an LLM feature these fields pay for themselves the first time something breaks:
#
# | field | why | where it lives here |
# |---|---|---|
# | trace id | joins the client, the service, the model call and the user's bug report | every span; `x-trace-id` response header |
# | route, tenant, prompt version, model | slice every number by what changed (a release is a prompt version and a model version) | `http.route`, `labkit.tenant`, `labkit.prompt.version` and `labkit.model.version` on every span of the app (`tracing.versions`), `gen_ai.request.model` |
# | user, session | one person's requests, one conversation | `user.id`, `session.id` (`tracing.span(..., user=, session=)`) |
# | what kind of step | a trace UI types each span: model call, retrieval, tool, guard, eval | `openinference.span.kind` |
# | tokens in / out, cost | the bill, per request and per feature | `gen_ai.usage.input_tokens` / `output_tokens`, `labkit.cost_usd` |
# | latency per stage, time to first token | which stage is slow | span start/end; `gen_ai.response.time_to_first_chunk` |
# | retrieved documents, citations | why an answer was wrong | `rag.document_ids`, `rag.citations` |
# | errors, status codes, retries | failures and the retry storms they cause | span status, `error.type`, `http.request.resend_count` |
# | sampling decision | turning kept traces back into totals | `labkit.sampling.reason` / `weight` |
# | prompts and answers | debugging content — **but** they hold personal data | only with `capture_content=True`, through a `redact=` hook |
#
# One call sets it all up. While learning we keep every trace (`sample_rate=1.0`); section 6 is about
# what to keep in production. Beside the traces, `GenAIMetrics` records the two OpenTelemetry GenAI
# client metrics for every model call (`gen_ai.client.token.usage`, `gen_ai.client.operation.duration`);
# here into an in-memory reader, in production into your metrics backend. Section 9 reads them.

# %%
WORK = Path(tempfile.mkdtemp(prefix="nb08-"))
t = tracing.setup(WORK / "traces.sqlite", sample_rate=1.0, service_name="nb08")
metrics_reader = InMemoryMetricReader()
genai_metrics = tracing.GenAIMetrics(MeterProvider(metric_readers=[metrics_reader]))
MODEL = llm.model_for("chat")
client = llm.client()
ledger_start = llm.ledger.mark()

with tracing.span("first-call", route="/demo") as root:
    reply = client.chat.completions.create(model=MODEL, max_tokens=16, temperature=0,
                                           messages=[{"role": "user", "content": "Name one thing to monitor."}])
t.flush()
llm_span = t.store.spans(trace_id=tracing.trace_id_of(root), category="llm")[0]
attrs = pd.Series(llm_span.attributes, name="value").to_frame()
attrs[attrs.index.str.startswith(("gen_ai", "labkit", "error", "http"))]

# %% [markdown]
# Every call made through `llm.client()` became a CLIENT span named `chat <model>`, nested under the
# span that was current when it was made — nothing in the call site changed. The cost comes from the
# model registry's prices, the same number the ledger has. The prompt and the answer are *not* there:
# content capture is opt-in.

# %%
record = llm.ledger.records[-1]
print(f"span: {llm_span.input_tokens} in / {llm_span.output_tokens} out tokens, ${llm_span.cost_usd:.3e}; "
      f"ledger: ${record.cost_usd:.3e}")
assert llm_span.input_tokens == reply.usage.prompt_tokens and llm_span.output_tokens == reply.usage.completion_tokens
assert abs(llm_span.cost_usd - record.cost_usd) < 1e-15
assert {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
        "gen_ai.response.finish_reasons"} <= set(llm_span.attributes)
assert "gen_ai.input.messages" not in llm_span.attributes

# %% [markdown]
# ## 2. Instrumenting the RAG service
#
# Three lines instrument the reference RAG service without touching its code:
# `instrument_rag` wraps the app's `retrieve` and `answer` in spans, `instrument_fastapi` opens a
# SERVER span per HTTP request, and the client sends a W3C `traceparent` header
# (`tracing.headers()`) so the service's spans join the caller's trace. In a real deployment the
# client and the service are different processes, even different companies' code; the header is the
# only thing they share.

# %%
rag = tracing.instrument_rag(RagApp(config=RagConfig(k=3, max_tokens=32)))
with t.paused():  # load the embedding model now, untraced: a cold start would be a long first retrieval span
    rag.retrieve("warm-up")
service = ServiceThread(tracing.instrument_fastapi(create_app(rag, guards=False))).start()  # guards: notebook 06
rag_client = openai.OpenAI(base_url=service.url, api_key="unused", max_retries=0)
golden = [q for q in data.records("golden") if q["split"] == "dev" and q["tenant"] == "shared"
          and q["kind"] in ("single_fact", "numeric")]
QUESTIONS = [q["question"] for q in golden[:14]]
print(f"{len(QUESTIONS)} questions from the golden set's dev split; the service is at {service.url}")


def ask(question: str) -> str:
    """One request to the RAG service, traced from the client's side; returns the trace id."""
    with tracing.span("client.ask", category="client", route="/ask"):
        raw = rag_client.chat.completions.with_raw_response.create(
            model="labkit-rag", messages=[{"role": "user", "content": question}], extra_headers=tracing.headers())
    return raw.headers["x-trace-id"]


# %%
# NBVAL_IGNORE_OUTPUT
trace_ids = [ask(q) for q in QUESTIONS[:4]]
t.flush()
tracing.trace_table(t.store, route="/ask")

# %%
first = t.store.trace(trace_ids[0])
names = [s.name for s in first]
print(names)
assert all(len({s.trace_id for s in t.store.trace(tid)}) == 1 for tid in trace_ids)
assert {"client.ask", "POST /v1/chat/completions", "rag.answer", "rag.retrieve"} <= set(names)
assert sum(s.category == "llm" for s in first) == 1, "one model call per request"
app_spans = [s for s in first if s.name.startswith("rag.") or s.category == "llm"]
assert {s.attributes.get("labkit.prompt.version") for s in app_spans} == {rag.config.prompt_version}

# %% [markdown]
# ## 3. Reading a trace
#
# **Predict before you look:** in a RAG request, which span takes longest — the HTTP hop, retrieval
# (an embedding plus two searches) or the model call? Then read the waterfall: a bar per span from its
# start to its end, children under their parent. The gap between a parent's start and its first
# child's start is time spent in the parent's own code.

# %%
tracing.waterfall(t.store, trace_ids[0]);

# %%
# NBVAL_IGNORE_OUTPUT
tracing.span_table(t.store, trace_ids[0])

# %%
shares = []
for tid in trace_ids:
    spans = {s.category or s.name: s for s in t.store.trace(tid)}
    shares.append(spans["llm"].duration_ms / spans["client"].duration_ms)
    assert spans["llm"].duration_ms > 5 * spans["retrieval"].duration_ms
print("model call's share of each request:", [f"{x:.0%}" for x in shares])
assert min(shares) > 0.5, "the model call is most of every request"

# %% [markdown]
# The model call dominates: on this CPU, prompt tokens are processed at ~280 tokens/s, so the
# retrieved context *is* the latency. Retrieval is a thin bar. That is the usual shape — and the reason
# a trace that looks different is worth a second look.
#
# ## 4. Retries and slow tools, as they look in a waterfall
#
# Two failure shapes, made on purpose and stated here: a **real local proxy** in front of the model
# that fails the first 2 attempts of every request with HTTP 503 (the `openai` client retries, waiting
# the 50 ms the proxy asks for), and a lookup tool that takes 300 ms (simulated with a sleep).

# %%
SLOW_TOOL_S = 0.3
with tracing.FlakyProxy(fail_attempts=2, status=503, retry_after_ms=50) as proxy:
    flaky_client = tracing.traced_client(proxy.url, max_retries=3)
    with tracing.span("agent.step", route="/agent") as step:
        with tracing.tool_span("order_lookup", order="A-1042"):
            time.sleep(SLOW_TOOL_S)
        flaky_client.chat.completions.create(model=MODEL, max_tokens=12, temperature=0,
                                             messages=[{"role": "user", "content": "Say: order found."}])
t.flush()
retry_trace = tracing.trace_id_of(step)
tracing.waterfall(t.store, retry_trace);

# %%
attempts = t.store.spans(trace_id=retry_trace, category="llm")
tool = t.store.spans(trace_id=retry_trace, category="tool")[0]
print([(a.status, a.attributes.get("http.request.resend_count", 0), round(a.duration_ms)) for a in attempts])
assert [a.error for a in attempts] == [True, True, False], "two failed attempts, then success"
assert proxy.counts.failed == 2 and tool.duration_ms >= SLOW_TOOL_S * 1000
assert t.store.traces(errors=True)[-1].trace_id == retry_trace

# %% [markdown]
# Retries show as **repeated sibling spans** of the same call, the failed ones in red, with the back-off
# as gaps between them; each retry carries `http.request.resend_count`. In a retry *storm* every request
# looks like this and the upstream gets three times the traffic. The slow tool is simply a long bar
# before the model call: nothing else can start until it ends.
#
# ## 5. Cost per request, from spans
#
# A span with `gen_ai.usage.*` and `gen_ai.request.model` is enough to price a request: tokens × the
# registry's prices. Because the tokens are on the spans, cost can be sliced like latency — by route,
# tenant, model or prompt version — without a separate billing pipeline.
#
# ### Exercise: price each request from its spans
# Write `cost_per_request(spans)`: given a spans DataFrame (as `store.spans_frame()` returns, without
# the cost column), return `{trace_id: USD}` summed over each trace's LLM spans. `ex.hint()` helps.

# %%
ex_cost = exercise("nb08.cost")


def cost_per_request(spans: pd.DataFrame) -> dict[str, float]:
    raise NotImplementedError  # your code here


ex_cost.check(cost_per_request)

# %%
spans_now = t.store.spans_frame().drop(columns=["cost_usd"])
try:
    costs = cost_per_request(spans_now)
except NotImplementedError:
    costs = ex_cost.solution(spans_now)  # the reference, until yours is written
ledger_cost = sum(r.cost_usd or 0 for r in llm.ledger.records[ledger_start:])
print(f"{len(costs)} requests priced from spans: ${sum(costs.values()):.4e}; ledger: ${ledger_cost:.4e}")
print(f"mean cost per RAG request: ${sum(costs[tid] for tid in trace_ids) / len(trace_ids):.3e}")
assert abs(sum(costs.values()) - ledger_cost) <= 1e-9 * max(ledger_cost, 1e-12) + 1e-15

# %% [markdown]
# ## 6. Sampling and retention
#
# At a thousand requests a minute, keeping every span costs more than it tells you. **Head** sampling
# decides when a request starts (before anyone knows it will fail) and so throws most errors away.
# **Tail** sampling waits for the whole trace: `labkit.tracing` buffers a trace's spans until its root
# ends, then keeps **every** trace with an error and `sample_rate` of the rest, chosen from the trace
# id so every service makes the same choice. Each kept normal trace stands for `1/sample_rate`
# requests (`labkit.sampling.weight`), and dashboards weight by it.
#
# To see that at scale without thousands of model calls, this section uses a **labelled simulation**
# (`nb08.simulate_traffic`, parameters in `nb08.SIM`): 5,000 RAG requests over a virtual day and a
# half — a `VirtualClock` we advance — with latencies from the prompt sizes and this CPU's measured
# speeds, and 3% of requests failing as 4-second upstream timeouts. The spans are real OpenTelemetry
# spans through the real sampler into a real store; only the traffic is made up.

# %%
SIM_REQUESTS, SIM_ERROR_RATE, SIM_RATE = 5000, 0.03, 0.10
sim_clock = tracing.VirtualClock(datetime(2026, 3, 2, tzinfo=UTC))
sim = tracing.Tracing(WORK / "sampled.sqlite", sample_rate=SIM_RATE, instrument_llm=False, clock=sim_clock,
                      service_name="simulated")
truth = nb08.simulate_traffic(sim, sim_clock, n=SIM_REQUESTS, error_rate=SIM_ERROR_RATE, seed=8)
sim.flush()
st = sim.stats()
kept_errors = st.kept_by_reason.get("error", 0)
normal_share = st.kept_by_reason.get("sampled", 0) / (SIM_REQUESTS - truth["errors"])
print(f"kept {st.traces_kept} of {SIM_REQUESTS} traces: {kept_errors}/{truth['errors']} error traces, "
      f"{normal_share:.1%} of normal traces (configured {SIM_RATE:.0%}); {sim.store.size_bytes() / 1e6:.1f} MB")
assert kept_errors == truth["errors"] and abs(normal_share - SIM_RATE) < 0.02

# %%
board = tracing.dashboard(sim.store)
compare = pd.DataFrame({
    "truth": [SIM_REQUESTS, truth["errors"] / SIM_REQUESTS, truth["p95_ms"]],
    "read naively from kept traces": [board.traces_stored, board.naive_error_rate,
                                      sim.store.traces_frame()["duration_ms"].quantile(0.95)],
    "weighted by 1/sample rate": [board.requests, board.error_rate, board.p95_ms],
}, index=["requests", "error rate", "p95 latency (ms)"])
compare

# %%
assert board.naive_error_rate > 3 * compare.loc["error rate", "truth"], "naively, errors look far more common"
assert abs(board.error_rate - compare.loc["error rate", "truth"]) < 0.01
assert abs(board.requests - SIM_REQUESTS) < 0.15 * SIM_REQUESTS

# %% [markdown]
# Read naively, the kept traces say the service fails in about a quarter of requests, because every
# error was kept and only a tenth of the rest. Weighted, the estimates come back to the truth. The
# same goes for p95 latency (errors are often slow) and for cost.
#
# **Retention** is the other half: traces age out. Keep everything for a day or two, then only what you
# will still need — errors, which are few. `store.prune(before, keep_errors=True)` does that:

# %%
day_two = datetime(2026, 3, 3, tzinfo=UTC)
before_prune = sim.store.count()[0]
deleted = sim.store.prune(day_two, keep_errors=True)
old_left = sim.store.traces(end=day_two)
print(f"pruned {deleted} of {before_prune} traces; of day one, {len(old_left)} traces are left "
      f"({sum(x.error for x in old_left)} errors)")
assert deleted > 0 and old_left and all(x.error for x in old_left)
sim.shutdown()

# %% [markdown]
# ## 7. A dashboard over a window
#
# The same dashboard over this notebook's real traces: requests, error rate, p50/p95/p99 latency, and
# tokens and cost by route and model. `dashboard(store, start, end)` takes any window, so "the last
# hour" and "the hour before the deploy" are one argument apart.

# %%
# NBVAL_IGNORE_OUTPUT
real_board = tracing.dashboard(t.store)
print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in real_board.summary().items()})
real_board.plot()
real_board.by_route_model

# %%
ask_row = real_board.by_route_model.set_index("route").loc["/ask"]
assert ask_row["requests"] == len(trace_ids) and ask_row["cost_usd"] > 0
assert real_board.error_rate > 0, "the retry trace had failed attempts"

# %% [markdown]
# ## 8. A guided incident
#
# A release goes out: *"retrieval and client settings updated"*. Something regressed. Below, the same
# kind of traffic runs before and after the deploy; you get the spans of both windows and nothing
# else — no diff, no release details. Change `INCIDENT_SEED` to get another incident.

# %%
INCIDENT_SEED = 8
t_before = t.now()
for q in QUESTIONS[4:9]:
    ask(q)
t_deploy = t.now()
incident = nb08.introduce(rag, seed=INCIDENT_SEED)
print(incident)
for q in QUESTIONS[9:14]:
    ask(q)
t_after = t.now()
incident.revert()
t.flush()
before = t.store.spans_frame(start=t_before, end=t_deploy)
after = t.store.spans_frame(start=t_deploy, end=t_after)

# %% [markdown]
# First the symptom, as an on-call engineer would see it on the dashboard of each window:

# %%
windows = {"before": tracing.dashboard(t.store, t_before, t_deploy), "after": tracing.dashboard(t.store, t_deploy, t_after)}
symptoms = pd.DataFrame({name: {"requests": d.requests, "p50 ms": d.p50_ms, "p95 ms": d.p95_ms,
                                "error rate": d.error_rate, "cost per request $": d.cost_usd / d.requests}
                         for name, d in windows.items()})
symptoms

# %%
assert symptoms.loc["requests"].tolist() == [5, 5]
worse = [row for row in ("p95 ms", "error rate", "cost per request $")
         if symptoms.loc[row, "after"] > symptoms.loc[row, "before"]]
print("worse after the deploy:", worse)
assert worse, "the deploy changed something a dashboard shows"

# %% [markdown]
# Something got worse — but a dashboard only shows *that*. Latency alone cannot tell a bigger prompt
# from a slow retriever from a retrying client, and the error rate counts a request with a failed
# attempt even when the user got an answer. The spans can tell them apart.
#
# ### Exercise: name the regression from the traces
# Write `find_regression(before, after)`: given the spans of the two windows (DataFrames as
# `store.spans_frame()` returns them), return `"tokens"`, `"slow_retrieval"` or `"retries"`. The check
# runs it on simulated incidents of each kind; then it is applied to the real one above.

# %%
ex_incident = exercise("nb08.incident")


def find_regression(before: pd.DataFrame, after: pd.DataFrame) -> str:
    raise NotImplementedError  # your code here


ex_incident.check(find_regression)

# %%
try:
    verdict = find_regression(before, after)
except NotImplementedError:
    verdict = ex_incident.solution(before, after)  # the reference, until yours is written
print(f"diagnosis from the traces: {verdict!r}; what was deployed: {incident.reveal()!r}")
assert verdict == incident.reveal()

# %% [markdown]
# What the traces showed, per request, in each window. The request time moves with every regression
# (and with how busy this machine is); only the suspects' own spans point at one cause:

# %%
signals = nb08.signals_table(before, after)
signals

# %%
suspects = signals[signals["suspect"] != ""]
biggest = suspects["after / before"].idxmax()
print(f"largest change among the suspects: {biggest} (x{suspects.loc[biggest, 'after / before']:.1f})")
assert suspects.loc[biggest, "suspect"] == incident.reveal() and suspects.loc[biggest, "after / before"] > 1.5

# %% [markdown]
# ## 9. From a terminal, and into a trace UI
#
# The store is a file; `labkit traces list|show|stats` reads it from a terminal (here called in-process):

# %%
# NBVAL_IGNORE_OUTPUT
labkit_cli(["traces", "list", "--store", str(t.store.path), "--errors"])
labkit_cli(["traces", "show", retry_trace[:12], "--store", str(t.store.path)])

# %% [markdown]
# A trace UI adds up what the spans say, so what each span says matters. Every span carries an
# `openinference.span.kind` (LLM, RETRIEVER, TOOL, GUARDRAIL, EVALUATOR, or CHAIN for requests and
# wrappers), and token usage (`gen_ai.usage.*`) sits **only** on model-call spans: `rag.answer` reports
# its answer's tokens as `rag.input_tokens`, so a UI that sums a trace's tokens counts each call once.

# %%
# NBVAL_IGNORE_OUTPUT
kinds = pd.DataFrame([{"span": s.name, "openinference.span.kind": s.attributes.get("openinference.span.kind"),
                       "gen_ai.usage.input_tokens": s.attributes.get("gen_ai.usage.input_tokens")} for s in first])
print(kinds.to_string(index=False))
first_summary = next(x for x in t.store.traces() if x.trace_id == trace_ids[0])
assert kinds["gen_ai.usage.input_tokens"].fillna(0).sum() == first_summary.input_tokens, "each token counted once"

# %% [markdown]
# The metrics saw the same calls as the ledger, without keeping a span per call: a histogram of tokens per
# call (input and output) and of call durations, by operation and model.

# %%
# NBVAL_IGNORE_OUTPUT
genai_metrics.close()
points = [(m.name, p) for rm in metrics_reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics
          for m in sm.metrics for p in m.data.data_points]
metrics_table = pd.DataFrame([
    {"metric": name, "type": p.attributes.get("gen_ai.token.type", ""), "model": p.attributes["gen_ai.request.model"],
     "error": p.attributes.get("error.type", ""), "calls": p.count, "sum": round(p.sum, 3)} for name, p in points])
metrics_table

# %%
model_calls = [r for r in llm.ledger.records[ledger_start:] if r.operation in ("chat", "completion", "embeddings")]
metric_input = metrics_table.query("type == 'input'")["sum"].sum()
assert metric_input == sum(r.input_tokens for r in model_calls), "the metrics count the ledger's tokens"

# %% [markdown]
# The same spans can go to any OpenTelemetry backend over OTLP: set `OTEL_EXPORTER_OTLP_ENDPOINT`
# before `tracing.setup()` (or pass `otlp_endpoint=`). Optional, nothing here needs it:
#
# * **Jaeger**: `docker run --rm -p 16686:16686 -p 4318:4318 jaegertracing/all-in-one`, then
#   `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318` and open http://localhost:16686;
# * **Phoenix**: below;
# * **Langfuse** or a collector: its OTLP/HTTP endpoint, with credentials in `OTEL_EXPORTER_OTLP_HEADERS`.
#
# **Opening these traces in Phoenix.** Phoenix, Arize's open-source trace UI, reads the GenAI attributes
# and the OpenInference kinds these spans carry. It has its own pinned environment, kept apart from the
# course's lock (`envs/phoenix/requirements.lock`, about 140 packages), and runs offline on this machine
# with its SQLite storage in a temporary folder (pass `--dir` to keep it):
#
# ```bash
# make phoenix-env                              # once: builds .venv-phoenix (a few minutes)
# .venv/bin/python -m labkit.tracing.phoenix    # prints the UI address, http://127.0.0.1:6006; Ctrl-C stops it
# ```
#
# Then export to it: `tracing.setup(..., otlp_endpoint="http://127.0.0.1:6006/v1/traces")` (or set
# `OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:6006` before `setup()`), re-run this notebook and open
# project *default*: one row per request, each span typed as in the kinds table above, and the root's token
# count is the sum of its model calls. In Python, `labkit.tracing.phoenix.local_phoenix()` starts and
# stops it around a block. This notebook does not start it (it would add a minute to every run);
# `tests/test_phoenix.py` does, in CI: it exports a traced RAG request and an agent run, reads them back
# through Phoenix's REST and GraphQL APIs, and checks that Phoenix gives every span the kind labkit set
# (none UNKNOWN) and that each root's cumulative tokens equal the ledger's.
#
# Content capture stays off unless you turn it on, and with `redact=` (for example
# `labkit.enterprise.pii.redact`) every string is scrubbed before it reaches the store or a collector.
#
# **Tail sampling across services.** `labkit.tracing` samples *in this process*: it decides when the
# trace's root ends **here**. A service in another process decides on its own part of the trace when
# its local root (its SERVER span) ends, seeing only its own spans. The "10% of normal traces" share
# agrees everywhere (it is read from the trace id), but "keep every error" and "keep every slow
# trace" do not: an error in the downstream service keeps the service's spans while the caller, which
# saw a success, may drop its own, and the stored trace has a hole. Past one process, send every span
# (`sample_rate=1.0`) to an OpenTelemetry Collector that tail-samples whole traces:
# `deploy/otel-collector.yaml` holds one with this notebook's rules (errors, slow, 10% of the rest).
# The price: every span crosses the network, the collector holds each trace in memory for its decision
# wait, and with several collectors a first tier must route each trace id to one of them.

# %%
service.stop()
t.shutdown()
stats = t.stats()
print(f"{stats.spans_started} spans created, {stats.spans_exported} stored, {stats.spans_lost} lost")
assert stats.spans_started == stats.spans_exported and stats.spans_lost == 0

# %% [markdown]
# ## 10. An agent, step by step
#
# An agent is a loop: the model asks for a tool, the tool runs, its result goes back, until the model
# answers. Each turn is one trace: an `invoke_agent` root span, a `chat` span per model call and an
# `execute_tool` span per tool call (`gen_ai.tool.name`, `gen_ai.tool.call.id`), all with `session.id`.
# `labkit.agent` has three tools over Quaywise (search the KB, a plan's price, an account) and a guard
# that stops a session at its step or cost limit, or when it repeats the same call.

# %%
ta = tracing.setup(WORK / "agent.sqlite", sample_rate=1.0, service_name="nb08-agent")
support = agent.Agent(agent.quaywise_tools(search_mode="bm25"), limits=agent.Limits(max_steps=4))
turn = support.run(support.session("nb08-demo"), "Which plan is account ACC-1009 on?")
ta.flush()
agent_spans = ta.store.spans(trace_id=turn.trace_id)
print(f"protocol {support.protocol}; tools called {turn.tools_called}; answer {turn.answer[:80]!r}; "
      f"stopped: {turn.stopped.reason if turn.stopped else 'no'}")
print(tracing.text_waterfall(agent_spans))
tool_spans = [s for s in agent_spans if s.attributes.get("gen_ai.operation.name") == "execute_tool"]
assert sorted(s.attributes["gen_ai.tool.call.id"] for s in tool_spans) == sorted(st.call.id for st in turn.tool_steps)
assert len([s for s in agent_spans if s.attributes.get("gen_ai.operation.name") == "chat"]) == turn.model_calls

# %% [markdown]
# A model that never stops asking for tools would spend until someone noticed. Here a stand-in endpoint
# that always asks for another call (`agent.RunawayEndpoint`) meets the guard; the trace keeps the reason.

# %%
with agent.RunawayEndpoint(MODEL) as runaway_url:
    looping = agent.Agent(agent.quaywise_tools(search_mode="bm25"), model=MODEL, protocol="tools",
                          client=tracing.traced_client(runaway_url, max_retries=0), limits=agent.Limits(max_steps=5))
    runaway = looping.run(looping.session("nb08-runaway"), "Which plan is ACC-1001 on?")
ta.flush()
runaway_root = next(s for s in ta.store.spans(trace_id=runaway.trace_id) if s.parent_id is None)
print(runaway.stopped.message)
assert runaway.stopped.reason == "step_limit" and runaway_root.attributes["labkit.agent.stopped_by"] == "step_limit"
ta.shutdown()

# %% [markdown]
# ## 11. Shipping a change safely: shadow, canary, burn-rate alerts
#
# Every span of the app names its release (`labkit.prompt.version`, `labkit.model.version`, §2), so any
# number splits by release. Shipping a new one then goes in stages: **shadow** (it answers real requests,
# is scored, nobody sees its answers), **canary** (it serves a few users, sticky per user), **full**.
# Three SLOs watch the candidate: availability, p95 latency (95 % of requests under 3 s) and groundedness
# (judged answers). An SLO pages on its **burn rate**, the bad share divided by the error budget, over a
# long *and* a short window (the SRE workbook's rules: 14.4 over 1 h and 5 min, 6 over 6 h and 30 min): the
# long one says the problem is big, the short one that it is still happening. During shadow and canary
# an online eval also compares the candidate's judged groundedness with the stable release's over the
# same hours. Any breach rolls the candidate back automatically.
#
# **This is a simulation** (`labkit.release`): request times and users come from the simulated week of
# notebook 02; what each release does with a request is drawn from its parameters, printed below. The
# planted regression: prompt `v3-helpful`, released Thursday 06:00, answers launch questions (from noon,
# the onset) without sources where `v1-grounded` abstains. The same week ships it twice: through shadow
# and a 5 % canary, and to everyone at once with the same alerts and the same automatic rollback.

# %%
print(pd.DataFrame([{"SLO": s.name, "objective": s.objective, "good event": s.good} for s in release.SLOS]))
print("page rules:", "; ".join(rule.label for rule in release.PAGE_RULES))
week = release.release_week(seed=0)
p = week.canary.params
print(f"SIMULATION: {week.traffic_params['days']} days, scale "
      f"{week.traffic_params['scale']}, {week.canary.users_active} active users, events {week.traffic_params['events']}")
print("plan:", p["plan"], "\ncandidate:", p["candidate"], "\nonset (hours):", p["onset_hours"])
comparison = week.table()
comparison

# %%
canary_run, at_once_run = week.canary, week.at_once
assert canary_run.alert is not None and canary_run.stage_at_alert == "canary"
assert canary_run.hours_to_alert is not None and canary_run.hours_to_alert <= 6, "alert within 6 simulated hours"
assert canary_run.exposed_share < 0.10, "under 10 % of users saw the regressed release"
assert at_once_run.alert is not None and at_once_run.exposed_share > 3 * canary_run.exposed_share
assert (canary_run.trigger, at_once_run.trigger) == ("online_eval", "slo")
ratio = at_once_run.ungrounded_served / max(canary_run.ungrounded_served, 1)
print(f"with the canary: alert {canary_run.hours_to_alert:.1f} h after the onset ({canary_run.trigger}), "
      f"{canary_run.exposed_share:.1%} of users exposed, {canary_run.ungrounded_served} made-up answers served")
print(f"without: alert {at_once_run.hours_to_alert:.1f} h ({at_once_run.trigger}), {at_once_run.exposed_share:.1%} "
      f"of users exposed, {at_once_run.ungrounded_served} made-up answers ({ratio:.0f}x as many)")

# %% [markdown]
# Compare the two rows. The largest difference is who met the regression before the rollback: with the
# canary, only the canary's users. In the canary arm the online eval paged first, because it compares the
# candidate with the stable release on the *same* hours; shipped to everyone, no control is left to
# compare with, and only the absolute SLO can page (its 6-hour window must fill with bad answers first).
# Shadow saw nothing: the regression needs the launch's questions, which came after shadow ended. A 5 %
# slice also has few judged answers per window, which is why the canary judges all of its answers.
#
# **Is the alert about the regression?** The control: the same week, a candidate that behaves like the
# stable release (`v2-reworded`). The launch still happens; nothing should page.

# %%
control = release.release_week(seed=0, candidate=release.Variant("v2-reworded"))
print({arm: run.alert for arm, run in (("canary", control.canary), ("no canary", control.at_once))})
assert control.canary.alert is None and control.at_once.alert is None, "no regression: no alert"

# %% [markdown]
# ## The ledger of this notebook

# %%
# NBVAL_IGNORE_OUTPUT
totals = llm.ledger.totals()
print(f"{totals['calls']} calls ({totals['errors']} failed on purpose), {totals['input_tokens']} input + "
      f"{totals['output_tokens']} output tokens, ${totals['cost_usd']:.6f}, {totals['latency_s']:.1f} s in model calls")
llm.ledger.summary()

# %% [markdown]
# ## On a stronger endpoint
# A span records the token counts the backend reported and the same cost as the ledger's record of
# that call, so the token and cost asserts compare two views of one call, on any backend. Retries
# (§4) come from a local flaky proxy and the incident (§8) from a simulation, so their asserts do not
# depend on the endpoint; "the model call is most of every request" (§3) holds while the model is
# slower than retrieval, which a fast hosted model with a slow network may not be.
