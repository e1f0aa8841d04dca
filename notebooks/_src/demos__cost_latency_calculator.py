# %% [markdown]
# # Demo · Cost and latency calculator
#
# **What you will measure:** one real RAG call on the local model (prompt and answer tokens, time to
# first token, tokens per second) and one real semantic-cache hit; they seed a calculator whose
# sliders — traffic, prompt and answer length, cache hit rate, routing share and prices — update the
# monthly cost and the p50/p95 latency.
#
# **Time to run:** about 30 seconds on 2 CPU cores (one model call, one cache lookup). **Needs:**
# nothing — no API key, no network.
#
# **Predict before you click:** (1) Doubling the answer length or doubling the prompt — which raises the
# monthly bill more with hosted prices, where output tokens cost 4x input tokens? (2) The cache hit rate
# goes from 0 to 50 %: does p95 latency halve too? (3) Routing 20 % of traffic to a model 15x dearer:
# does the bill grow by 20 % or by more? Write your guesses down, then move the sliders.

# %%
import tempfile
from pathlib import Path

from IPython.display import display

from labkit import cache, llm, perf, routing
from labkit.llm import registry
from labkit.rag import RagApp

# %% [markdown]
# ## Measure the seed numbers
# One streamed RAG prompt (the reference app's retrieval and template) gives the prompt size, TTFT and
# decode speed on this machine; one cache hit gives the cost of serving from the cache.

# %%
app = RagApp()
tier = routing.ChatTier("rag", app, max_tokens=64)
messages, hits, estimate = tier.prepare("How many approval steps can a workflow have?")
client, model, caps = llm.client(), llm.model_for("chat"), llm.capabilities()
print(caps.explain("ignore_eos", "the answer ends where the model stops, so its length seeds the calculator"))
stream = client.chat.completions.create(model=model, messages=messages, max_tokens=64, temperature=0, stream=True,
                                        stream_options={"include_usage": True},
                                        extra_body=caps.extra_body(ignore_eos=True))
text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
call = llm.ledger.records[-1]
decode_tps = (call.output_tokens - 1) / (call.latency_s - call.ttft_s)
sem = cache.SemanticCache(Path(tempfile.mkdtemp()) / "c.sqlite")
sem.put("How many approval steps can a workflow have?", text)
sem.lookup("warm-up", namespace="default")
hit = sem.lookup("How many approval steps may a workflow have?")
print(f"RAG call: {call.input_tokens} prompt + {call.output_tokens} answer tokens, TTFT {call.ttft_s:.2f} s, "
      f"{decode_tps:.0f} tokens/s; cache hit {hit.seconds * 1000:.1f} ms")
assert hit.hit and call.ttft_s < call.latency_s

# %%
small_p, large_p = registry.get(registry.role_model("openai", "small")), registry.get(registry.role_model("openai", "large"))
seed = {
    "requests_per_day": 20_000, "prompt_tokens": call.input_tokens, "answer_tokens": call.output_tokens,
    "prefill_tps": call.input_tokens / max(call.ttft_s, 1e-3), "decode_tps": decode_tps, "overhead_s": 0.05,
    "cache_hit_s": hit.seconds, "cache_hit_rate": 0.3, "large_share": 0.2, "small_prompt_ratio": 0.5,
    "large_slowdown": 1.5,
    "small_in_usd_per_m": small_p.input_usd_per_m, "small_out_usd_per_m": small_p.output_usd_per_m,
    "large_in_usd_per_m": large_p.input_usd_per_m, "large_out_usd_per_m": large_p.output_usd_per_m,
}
print({k: round(v, 4) for k, v in seed.items()})

# %% [markdown]
# ## The calculator
# Prices start at the registry's hosted small and large models (`llm.model_for` roles on OpenAI);
# token counts and speeds are this machine's. The small route reads half the prompt (trimmed
# context), the large one is assumed 1.5x slower per token. Latency percentiles come from a seeded
# simulation of the mix (log-normal per route), not from live traffic. Under the numbers a chart redraws
# with every slider: each route's monthly dollars split into input and output tokens (with its share of
# traffic), and each route's mean latency against the mix's p50 and p95.

# %%
calc = perf.CostLatencyDemo(seed)
display(calc.widget)
first = calc.update()

# %% [markdown]
# ## Check your predictions
# The same calculator, driven from code: each line changes one slider and reports the effect.

# %%
base = calc.projection()
longer_answer = calc.projection(answer_tokens=2 * seed["answer_tokens"])
longer_prompt = calc.projection(prompt_tokens=2 * seed["prompt_tokens"])
half_cached = calc.projection(cache_hit_rate=0.5)
no_cache = calc.projection(cache_hit_rate=0.0)
print(f"baseline ${base.monthly_usd:,.2f}; 2x answer ${longer_answer.monthly_usd:,.2f}; "
      f"2x prompt ${longer_prompt.monthly_usd:,.2f}")
print(f"cache 0 % -> 50 %: ${no_cache.monthly_usd:,.2f} -> ${half_cached.monthly_usd:,.2f}; "
      f"p95 {no_cache.latency_p95_s:.2f} s -> {half_cached.latency_p95_s:.2f} s, "
      f"p50 {no_cache.latency_p50_s:.2f} s -> {half_cached.latency_p50_s:.2f} s")

# %%
assert first.monthly_usd == base.monthly_usd and first.latency_p95_s > first.latency_p50_s
assert half_cached.monthly_usd < 0.6 * no_cache.monthly_usd, "cache hits are free"
assert half_cached.latency_p95_s > 0.5 * no_cache.latency_p95_s, "p95 is set by the misses: it does not halve"
assert longer_answer.monthly_usd > base.monthly_usd and longer_prompt.monthly_usd > base.monthly_usd
top = max(base.usd_by_route, key=lambda r: sum(base.usd_by_route[r]))
assert top == "large model", "a fifth of the traffic on the dear model is most of the bill"

# %% [markdown]
# Things to try: set both prices to the local model's notional ones (`labkit models`); push the large
# share to 100 %; find the cache hit rate at which the p50 drops below 100 ms — and notice the p95 does
# not follow.
#
# ## The ledger of this demo

# %%
# NBVAL_IGNORE_OUTPUT
llm.ledger.summary()
