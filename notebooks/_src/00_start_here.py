# %% [markdown]
# # 00 · Start here: a real model, no API key
#
# **What you will measure:** that this machine can run the course offline; the latency of a first
# call, time to first token of a streamed call, and what each call costs — all from the small real
# model that runs inside this notebook's machine.
#
# **Time to run:** about 1 minute on 2 CPU cores. **Needs:** nothing — no API key, no network.
#
# The course talks to models through one client, `labkit.llm.client()`, which returns the official
# `openai.OpenAI` client. Which endpoint it talks to is decided by the environment:
#
# | set in the environment | endpoint |
# |---|---|
# | `OPENAI_BASE_URL` (and maybe `OPENAI_API_KEY`) | that OpenAI-compatible server: vLLM, SGLang, TGI, llama.cpp, Ollama, a hosted provider |
# | only `OPENAI_API_KEY` | OpenAI |
# | nothing (the default) | an embedded llama.cpp server on 127.0.0.1 serving SmolLM2-135M-Instruct (98 MB) |
#
# So the code you write here is the code you would ship. The default model is tiny: its answers are
# often wrong, which is useful — every later notebook is about catching that.

# %%
import json
import time

import pydantic

from labkit import doctor, llm
from labkit.exercises import get as exercise
from labkit.llm import registry

# %% [markdown]
# ## 1. Check the environment
# `labkit doctor` runs the same checks from a terminal. It starts the local server, asks it one
# question, embeds one sentence, and watches this process's sockets to prove nothing left the machine.

# %%
# NBVAL_IGNORE_OUTPUT
checks = doctor.run_checks()
print(doctor.report(checks))
assert all(c.ok for c in checks), [c for c in checks if not c.ok]

# %% [markdown]
# ## 2. A first call
# Model names come from the registry (`llm.model_for(role)`), never typed into a cell, so the same
# notebook runs against OpenAI or vLLM unchanged.

# %%
# NBVAL_IGNORE_OUTPUT
client = llm.client()
MODEL = llm.model_for("chat")
print("backend:", llm.backend(), "| endpoint:", llm.base_url(), "| model:", MODEL)

t0 = time.perf_counter()
reply = client.chat.completions.create(
    model=MODEL,
    messages=[{"role": "user", "content": "In one sentence, what is a vector database?"}],
    max_tokens=60,
    temperature=0,
)
first_call_s = time.perf_counter() - t0
print(reply.choices[0].message.content)
print(f"latency {first_call_s:.2f} s, usage: {reply.usage.prompt_tokens} in / {reply.usage.completion_tokens} out")

# %%
assert reply.usage.completion_tokens > 0 and reply.choices[0].message.content.strip()
assert reply.choices[0].finish_reason in ("stop", "length")

# %% [markdown]
# ## 3. Streaming, and time to first token
# Users feel time to first token (TTFT), not total latency. Ask the server to put `usage` in the last
# chunk (`stream_options`) so a streamed call is billed exactly; the ledger measures TTFT.

# %%
# NBVAL_IGNORE_OUTPUT
stream = client.chat.completions.create(
    model=MODEL,
    messages=[{"role": "user", "content": "List three things to log for every LLM request."}],
    max_tokens=80,
    temperature=0,
    stream=True,
    stream_options={"include_usage": True},
)
pieces = []
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
print("".join(pieces))
streamed = llm.ledger.records[-1]
print(f"\nTTFT {streamed.ttft_s * 1000:.0f} ms, total {streamed.latency_s:.2f} s, "
      f"{streamed.output_tokens} tokens -> {streamed.output_tokens / streamed.latency_s:.0f} tokens/s")

# %%
assert streamed.stream and streamed.output_tokens > 0 and not streamed.usage_estimated
assert streamed.ttft_s < streamed.latency_s, "the first token must arrive before the last"

# %% [markdown]
# ## 4. Structured output with a JSON schema
# Production code parses model output. With `response_format={"type": "json_schema", ...}` the server
# constrains decoding to the schema (llama.cpp compiles it to a grammar), so even a 135M model
# returns valid JSON. Validity is guaranteed; *correctness* of the content is not.

# %%
class Ticket(pydantic.BaseModel):
    product_area: str
    urgency: int = pydantic.Field(ge=1, le=5)
    summary: str


ticket_request = [{"role": "user", "content": "Turn this into a support ticket: 'Exports to CSV fail since "
                                             "this morning and our finance team is blocked.'"}]
schema_reply = client.chat.completions.create(
    model=MODEL,
    messages=ticket_request,
    response_format={"type": "json_schema",
                     "json_schema": {"name": "ticket", "schema": Ticket.model_json_schema()}},
    max_tokens=120,
    temperature=0,
)
ticket = Ticket.model_validate_json(schema_reply.choices[0].message.content)
print(ticket)

# %% [markdown]
# Is the schema doing the work? The same request without `response_format` is free generation:

# %%
free_reply = client.chat.completions.create(model=MODEL, messages=ticket_request, max_tokens=120, temperature=0)
try:
    Ticket.model_validate_json(free_reply.choices[0].message.content or "")
    free_parses = True
except pydantic.ValidationError as err:
    free_parses = False
    print(f"free generation does not parse as a Ticket: {err.error_count()} validation error(s)")
print((free_reply.choices[0].message.content or "")[:200])

# %%
assert not free_parses, "free generation parsed as a Ticket: on this backend the schema is not what makes it valid"

# %% [markdown]
# ## 5. What did that cost?
# Every call made through `llm.client()` — streamed or not, sync or async — lands in the usage
# ledger with tokens, latency and cost. A local model has no bill per token, so the registry gives
# it a *notional* price: the stated hardware cost per hour spread over the measured throughput.

# %%
# NBVAL_IGNORE_OUTPUT
for info in (registry.get(MODEL) if registry.find(MODEL) else None, registry.get(registry.role_model("openai", "chat"))):
    if info:
        print(f"{info.id:24} ${info.input_usd_per_m:.3f}/M in, ${info.output_usd_per_m:.3f}/M out  ({info.price_note})")
llm.ledger.summary()

# %% [markdown]
# ### Exercise: price a call
# Write `call_cost(model, input_tokens, output_tokens)` that returns the dollar cost of one call from
# the registry. Replace the `raise` with your code, run the check, and call `ex.hint()` if stuck.

# %%
ex = exercise("nb00.cost")


def call_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    raise NotImplementedError  # your code here


ex.check(call_cost)

# %% [markdown]
# ## 6. Switching endpoints
# Nothing in this notebook names a server. To run the course against a bigger model, set the
# variables *before* starting Jupyter (or restart the kernel after setting them):
#
# ```bash
# # a self-hosted vLLM / SGLang / TGI / llama.cpp / Ollama server
# export OPENAI_BASE_URL=http://my-gpu-box:8000/v1
# export LABKIT_MODEL=Qwen/Qwen2.5-7B-Instruct      # optional: else the first model the server lists
# # or OpenAI itself
# export OPENAI_API_KEY=sk-...
# make lab
# ```
#
# To serve a different GGUF file with the embedded server (say a 1.5B instruct model you downloaded
# on Colab), set `LABKIT_MODEL_PATH=/path/to/model.gguf`. `LABKIT_CTX`, `LABKIT_PARALLEL` and
# `LABKIT_THREADS` tune the server; `labkit doctor` shows what is in force:

# %%
# NBVAL_IGNORE_OUTPUT
if llm.backend() == "embedded":
    print(json.dumps(llm.server().describe(), indent=2))

# %% [markdown]
# ## Colab and Binder
# * **Binder** builds the environment from `environment.yml`; every notebook runs there as it does here.
# * **Colab**: open a notebook with the badge in the README; its first cell clones the course and
#   installs the pinned stack (about 2–3 minutes), keeping Colab's own torch.
#
# ## The ledger of this notebook
# Every notebook ends with the cost and latency of its own model calls.

# %%
# NBVAL_IGNORE_OUTPUT
totals = llm.ledger.totals()
print(f"{totals['calls']} calls, {totals['input_tokens']} input + {totals['output_tokens']} output tokens, "
      f"${totals['cost_usd']:.6f}, {totals['latency_s']:.1f} s in model calls")
llm.ledger.plot()
llm.ledger.summary()

# %% [markdown]
# ## On a stronger endpoint
# With `OPENAI_BASE_URL` or `OPENAI_API_KEY` set, every cell above calls that endpoint instead: the
# answers get better and longer, latency is the provider's (network included), and costs are list
# prices from the registry instead of notional ones; §6 prints the endpoint instead of the local
# server's settings. The asserts do not depend on the backend: the environment checks, a non-empty
# answer that stopped or hit its length, the first streamed token before the last, and a `Ticket` that
# parses. §4 needs `response_format` with a JSON schema, which `llm.capabilities().json_schema` reports.
