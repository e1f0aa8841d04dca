# %% [markdown]
# # Demo · Trace explorer: click through real traces
#
# **What you will measure:** four traces made in this run — a RAG request through the traced HTTP
# service, the same question with twice the retrieved context, a model call that is retried twice, and
# an agent step with a slow tool and a failing guard — and, for each, which span takes longest and what
# it cost (Σ tokens × price, from the spans' own attributes).
#
# **Time to run:** about 30 seconds on 2 CPU cores (4 short model calls). **Needs:** nothing — no API
# key, no network.
#
# **Predict before you click:** in each trace, which leaf span is longest? How many model-call spans
# does a retried request have? Then pick a trace, click its spans (each bar is a button), and read
# their attributes.

# %%
import tempfile
import time
from pathlib import Path

import openai
from IPython.display import display

from labkit import llm, tracing
from labkit.rag import RagApp, RagConfig
from labkit.rag.service import ServiceThread, create_app

# %% [markdown]
# ## Make the example traces
# Real requests, traced the way notebook 08 does it. The retries come from a real local proxy in front
# of the model that fails the first two attempts with 503; the slow tool is a 300 ms sleep and the
# guard failure an exception — both simulated on purpose.

# %%
t = tracing.setup(Path(tempfile.mkdtemp(prefix="trace-explorer-")) / "traces.sqlite", sample_rate=1.0)
rag = tracing.instrument_rag(RagApp(config=RagConfig(k=3, max_tokens=16)))
with t.paused():  # load the embedding model untraced (a cold start would dominate the first trace)
    rag.retrieve("warm-up")
service = ServiceThread(tracing.instrument_fastapi(create_app(rag, guards=False))).start()  # guards: notebook 06
rag_client = openai.OpenAI(base_url=service.url, api_key="unused", max_retries=0)
QUESTION = "What algorithm do you use to sign webhook payloads?"


def ask(question: str) -> str:
    with tracing.span("client.ask", category="client", route="/ask") as root:
        rag_client.chat.completions.create(model="labkit-rag", messages=[{"role": "user", "content": question}],
                                           extra_headers=tracing.headers())
    return tracing.trace_id_of(root)


examples = {"RAG request (k=3)": ask(QUESTION)}
rag.config = rag.config.variant(k=6)
examples["same question, k=6"] = ask(QUESTION)
service.stop()

# %%
with tracing.FlakyProxy(fail_attempts=2, status=503, retry_after_ms=50) as proxy:
    with tracing.span("summarise", route="/summarise") as root:
        tracing.traced_client(proxy.url, max_retries=3).chat.completions.create(
            model=llm.model_for("chat"), max_tokens=12, messages=[{"role": "user", "content": "Say: done."}])
examples["retried model call"] = tracing.trace_id_of(root)

try:
    with tracing.span("agent.step", route="/agent") as root:
        with tracing.cache_span("semantic", hit=False):
            pass
        with tracing.tool_span("order_lookup", order="A-1042"):
            time.sleep(0.3)
        with tracing.guard_span("refund_policy"):
            raise PermissionError("refund above the limit needs a human")
except PermissionError:
    pass
examples["slow tool, failed guard"] = tracing.trace_id_of(root)
t.flush()
print({label: tid[:12] for label, tid in examples.items()})

# %% [markdown]
# ## Explore
# Pick a trace, answer the prediction, click **Check my prediction**, then click spans. Colours:
# purple = model call, green = retrieval, blue = HTTP, orange = tool, red = error.

# %%
explorer = tracing.TraceDemo(t.store, examples)
display(explorer.widget)

# %% [markdown]
# ## The same, without clicking
# The cell below drives the widget the way clicks would (and checks the lessons hold in this run):
# the model call is the longest span of a RAG request; doubling the retrieved context makes it longer;
# a retried call shows as three model-call spans, two of them failed; the cost line equals
# Σ tokens × price.

# %%
results = {}
for label in examples:
    spans = explorer.select(label)
    results[label] = {"spans": len(spans), "longest leaf": explorer.longest_leaf().name,
                      "llm spans": sum(s.category == "llm" for s in spans),
                      "failed": sum(s.error for s in spans), "ms": round(explorer._total_ms())}
results

# %%
explorer.select("RAG request (k=3)")
assert explorer.check_prediction("the model call"), "the model call is the longest span of a RAG request"
small = next(s for s in explorer.spans if s.category == "llm")
explorer.select("same question, k=6")
big = next(s for s in explorer.spans if s.category == "llm")
attributes = explorer.click(big.span_id)
print(f"prompt tokens: k=3 -> {small.input_tokens}, k=6 -> {big.input_tokens}")
assert big.input_tokens > 1.3 * small.input_tokens and "gen_ai.usage.input_tokens" in attributes

# %%
spans = explorer.select("retried model call")
attempts = [s for s in spans if s.category == "llm"]
assert [s.error for s in attempts] == [True, True, False], "retries show as repeated spans"
cost = explorer.cost.value
print(cost)
assert "Σ tokens × price" in cost
explorer.select("slow tool, failed guard")
assert explorer.longest_leaf().category == "tool" and not explorer.check_prediction("the model call")
print(explorer.feedback.value)

# %% [markdown]
# ## The ledger of this demo

# %%
# NBVAL_IGNORE_OUTPUT
t.shutdown()
llm.ledger.summary()
