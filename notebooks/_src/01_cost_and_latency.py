# %% [markdown]
# # 01 · Cost and latency: what drives them, and the levers that cut them
#
# **What you will measure:** what a call's cost and latency are made of (input, output and hidden
# tokens; time to first token and tokens per second) on the local model and the reference RAG app; a
# prediction of cost and latency made *before* each call, checked against the measured one; then the
# levers — semantic caching, prompt trimming, prefix (KV) caching, batching, a confidence-based
# cascade, speculative decoding and a budget cap — each measured here, and a monthly cost projection
# built from this run's numbers.
#
# **Time to run:** about 2½ minutes on 2 CPU cores (about 40 short model calls; speculative decoding is
# not run live: §8 shows the benchmark's measurement). **Needs:** nothing — no API key, no network.
#
# Every number below is measured in this run and checked by an `assert`: if a lesson stops being true
# on your machine, the notebook fails rather than tell you something false.

# %%
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from labkit import cache, data, llm, perf, routing
from labkit.budget import Budget, BudgetExceeded, Caps
from labkit.capstone import prototypes
from labkit.deploy import StubEndpoint
from labkit.exercises import get as exercise
from labkit.llm import registry
from labkit.rag import RagApp
from labkit.redis_state import local_redis_server
from labkit.routing import litellm_side

# %% [markdown]
# ## 1. What a call is made of
# Three kinds of call to the local model: a short question, the same question after a long document,
# and a short question that asks for a long answer. Streaming lets the ledger time the **first token**
# (TTFT: the prompt is processed, *prefill*) apart from the rest (one forward pass per generated
# token, *decode*). `cache_prompt` and `ignore_eos` are llama.cpp's; `llm.capabilities()` asks the
# endpoint once what it accepts, and they are sent only there.

# %%
client = llm.client()
MODEL = llm.model_for("chat")
DOC = " ".join(r["text"] for r in data.records("kb")[:6])[:2400]
CAPS = llm.capabilities()
print(CAPS.explain("cache_prompt", "a repeated prompt prefix may come from the server's cache"))
print(CAPS.explain("ignore_eos", "the long answer ends where the model stops, at most 120 tokens"))


def streamed(messages: list[dict], max_tokens: int, **extra: object) -> llm.CallRecord:
    perf.time_stream(client, MODEL, messages, max_tokens=max_tokens, temperature=0,
                     extra_body=CAPS.extra_body(cache_prompt=False, **extra))
    return llm.ledger.records[-1]  # the call as the ledger saw it: tokens, TTFT, latency and cost


streamed([{"role": "user", "content": "Hello"}], 2)  # warm-up: a fresh server's first call pays one-off costs
# short and long prompts in turn, twice each, keeping the faster call of each kind: load on a shared machine
# only ever adds time, so the faster call is the better estimate. Each long prompt starts differently, so
# that a server which caches prompts whatever we ask (most APIs) has nothing to reuse.
pairs = [(streamed([{"role": "user", "content": "Name one colour."}], 8),
          streamed([{"role": "user", "content": f"Note {i}. {DOC}\n\nName one colour."}], 8)) for i in range(2)]
short, long_in = (min(calls, key=lambda r: r.ttft_s) for calls in zip(*pairs, strict=True))
long_out = streamed([{"role": "user", "content": "Write a long story about a lighthouse."}], 120, ignore_eos=True)
for label, r in (("short", short), ("long prompt", long_in), ("long answer", long_out)):
    print(f"{label:12} in {r.input_tokens:4} out {r.output_tokens:4}  TTFT {r.ttft_s:5.2f} s  total {r.latency_s:5.2f} s"
          f"  ${r.cost_usd:.7f}")

# %%
assert long_in.ttft_s > 2 * short.ttft_s, "prompt tokens drive time to first token"
assert long_out.latency_s - long_out.ttft_s > 3 * (short.latency_s - short.ttft_s), "output tokens drive the rest"
decode_tps = (long_out.output_tokens - 1) / (long_out.latency_s - long_out.ttft_s)
prefill_tps = (long_in.input_tokens - short.input_tokens) / max(long_in.ttft_s - short.ttft_s, 1e-3)
print(f"measured: prefill ≈ {prefill_tps:.0f} prompt tokens/s, decode ≈ {decode_tps:.0f} generated tokens/s")

# %% [markdown]
# **Hidden tokens.** "Name one colour." is four words, yet the server counted many more input tokens:
# the chat template wraps every message in role markers, and SmolLM2's template adds a default system
# prompt when you send none. In a RAG app the hidden part is bigger still — instructions and retrieved
# sources. (Reasoning models add hidden *output* tokens too, billed but never shown.)

# %%
app = RagApp()
rag = app.answer("How many approval steps can a workflow have?")
question_tokens = len(rag.question.split()) * 4 // 3
print(f"user message ≈{len(short.request_body['messages'][0]['content'].split())} words -> "
      f"{short.input_tokens} input tokens")
print(f"RAG answer: {rag.input_tokens} input tokens for a ≈{question_tokens}-token question "
      f"({1 - question_tokens / rag.input_tokens:.0%} hidden), {rag.output_tokens} output, {rag.latency_s:.2f} s")
assert short.input_tokens > 3 * 4 and rag.input_tokens > 10 * question_tokens

# %% [markdown]
# ## 2. Predict before you call
# A router and a budget need the cost and latency of a call *before* making it. `routing.CostModel`
# fits characters-per-token and prefill/decode speed on the calls in the ledger, then predicts a new
# RAG prompt; the measured call checks it. The upper bound (prompt + `max_tokens`) is what a budget
# reserves.

# %%
cost_model = routing.CostModel.fit(llm.ledger.records, model=MODEL)
tier = routing.ChatTier("rag", app, max_tokens=48, cost_model=cost_model)
mark = llm.ledger.mark()
result = tier.run("What is the attachment size limit on the Team plan?")
check = routing.check_estimate(result.estimate, llm.ledger.records[mark])
print(f"predicted {check.predicted.input_tokens} in / {check.predicted.output_tokens} out, "
      f"{check.predicted.latency_s:.2f} s, ${check.predicted.cost_usd:.7f} (at most ${check.predicted.cost_upper_usd:.7f})")
print(f"measured  {check.input_tokens} in / {check.output_tokens} out, {check.latency_s:.2f} s, ${check.cost_usd:.7f}")
print(f"errors: input tokens {check.input_error:+.0%}, latency {check.latency_error:+.0%}")

# %%
assert abs(check.input_error) < 0.3, "characters-per-token predicts prompt size within 30 %"
assert check.within_upper_bound, "the reserved upper bound covers the real cost"

# %% [markdown]
# ## 3. Lever: a semantic cache
# A cache hit costs no tokens at all. The question is *when* two questions may share an answer.
# `cache.SemanticCache` embeds questions (MiniLM), compares cosine similarity with a threshold, and a
# **near-miss guard** vetoes pairs that differ in a number, a negation, a plan or product name, or an
# opposite word. The threshold was chosen on the *dev* split of `cache_pairs` (paraphrases and
# near misses written for this course); here we score both splits and report *test*.

# %% [markdown]
# **The idea first, in plain code.** A lookup embeds the question (unit-length vectors, so a dot product
# is the cosine), walks the nearest cached questions best first, and serves the first one that clears
# the threshold *and* that the guard accepts. This is the heart of `cache.SemanticCache.lookup`; the
# tested version adds namespaces, TTLs, SQLite and statistics. The next cell checks both agree on the dev split.

# %%
def semantic_hit(incoming, vector, cached_questions, cached_vectors, guard, threshold=cache.DEFAULT_THRESHOLD):
    similarity = cached_vectors @ vector                        # cosine with every cached question
    for i in np.argsort(-similarity, kind="stable")[:5]:         # the 5 nearest, best first
        if similarity[i] < threshold:
            return False                                         # nothing close enough: a miss
        if guard(cached_questions[i], incoming).ok:              # close, and not a near miss: a hit
            return True
    return False                                                 # every close one was vetoed


# %%
dev_pairs = cache.as_pairs(data.records("cache_pairs", "dev"))
tested = cache.SemanticCache(":memory:")                         # MiniLM and the default NearMissGuard
cached_questions = sorted({p.cached for p in dev_pairs})
cached_vectors = tested.embed(cached_questions)
tested.put_many(cached_questions, ["an answer"] * len(cached_questions), vectors=cached_vectors)
incoming_vectors = tested.embed([p.incoming for p in dev_pairs])
shown = [semantic_hit(p.incoming, v, cached_questions, cached_vectors, tested.guard)
         for p, v in zip(dev_pairs, incoming_vectors, strict=True)]
labkit_hits = [tested.lookup(p.incoming, vector=v).hit for p, v in zip(dev_pairs, incoming_vectors, strict=True)]
print(f"{len(dev_pairs)} incoming questions against {len(cached_questions)} cached: {sum(shown)} hits; "
      f"the shown lookup and cache.SemanticCache agree on {sum(a == b for a, b in zip(shown, labkit_hits, strict=True))}")
assert shown == labkit_hits, "the plain lookup and the tested one decide alike"

# %%
dev = cache.score_pairs(cache.as_pairs(data.records("cache_pairs", "dev")))
test = cache.score_pairs(cache.as_pairs(data.records("cache_pairs", "test")))
grid = np.round(np.arange(0.40, 0.96, 0.02), 2)
fig, ax = plt.subplots(figsize=(7, 3.2))
for guarded, style in ((False, "--"), (True, "-")):
    pts = dev.curve(grid, guarded=guarded)
    label = "with guard" if guarded else "threshold only"
    ax.plot(grid, [p.hit_rate for p in pts], "g" + style, label=f"paraphrase hit rate, {label}")
    ax.plot(grid, [p.false_hit_rate for p in pts], "r" + style, label=f"false-hit rate, {label}")
ax.axvline(cache.DEFAULT_THRESHOLD, color="k", lw=0.8)
ax.set(xlabel="cosine similarity threshold", ylabel="rate", title="cache_pairs dev: hits vs false hits")
ax.legend(fontsize=7)
plt.show()

# %%
at = test.at(cache.DEFAULT_THRESHOLD)
raw = test.at(cache.DEFAULT_THRESHOLD, guarded=False)
print(f"test split at threshold {cache.DEFAULT_THRESHOLD}: paraphrase hits {at.hit_rate:.0%}, "
      f"false hits {at.false_hit_rate:.1%} ({at.n_should_miss} near misses); without the guard {raw.false_hit_rate:.0%}")
assert at.false_hit_rate < 0.02 and at.hit_rate >= 0.6
assert raw.false_hit_rate > 10 * max(at.false_hit_rate, 0.01), "the guard, not the threshold, stops near misses"

# %% [markdown]
# How much faster is a hit than a generation? The same question, answered by the RAG app, then
# served from a cache (embedding + lookup + guard).

# %%
sem = cache.SemanticCache(Path(tempfile.mkdtemp()) / "cache.sqlite", ttl_s=24 * 3600)
sem.put(rag.question, rag.text, namespace="shared", metadata={"cost_usd": llm.cost(MODEL, rag.input_tokens,
                                                                                     rag.output_tokens)})
sem.lookup("warm-up question", namespace="shared")
hit = sem.lookup("How many approval steps may a workflow have?", namespace="shared")
print(f"generation {rag.latency_s * 1000:.0f} ms vs cache hit {hit.seconds * 1000:.1f} ms "
      f"(similarity {hit.similarity:.2f}): {rag.latency_s / hit.seconds:.0f}x faster, $0")
assert hit.hit and rag.latency_s / hit.seconds > 20

# %% [markdown]
# ## 4. Lever: prompt trimming
# Prompt tokens are most of a RAG call's cost. `routing.trim_context` keeps, from each retrieved
# chunk, the sentences that share words with the question. We answer 8 golden questions with full
# chunks and with trimmed ones and measure the input tokens saved. Quality cannot be judged on 8
# questions (one answer is 12 points), so the quality verdict is the regression gate's, run by the
# course's benchmark on the 77-question dev split and shown below as the bench's number.

# %%
GOLD = [r for r in data.records("golden") if r["split"] == "dev" and r["tenant"] == "shared"
        and r["kind"] in ("single_fact", "numeric")][:8]
full = routing.ChatTier("full", app, k=3, max_tokens=48)
trimmed = routing.ChatTier("trimmed", app, k=3, max_words_per_hit=35, max_tokens=48)
small = routing.ChatTier("small", app, k=1, max_words_per_hit=35, max_tokens=48)
runs: dict[str, list[routing.TierResult]] = {t.name: [t.run(r["question"]) for r in GOLD] for t in (full, trimmed, small)}
right = {name: [routing.golden_correct(r, x.text) for r, x in zip(GOLD, res, strict=True)] for name, res in runs.items()}
for name, res in runs.items():
    print(f"{name:8} mean input tokens {statistics.fmean(x.input_tokens for x in res):5.0f}   "
          f"correct {sum(right[name])}/{len(GOLD)}   mean latency {statistics.fmean(x.latency_s for x in res):.2f} s")

# %%
saved = 1 - statistics.fmean(x.input_tokens for x in runs["trimmed"]) / statistics.fmean(x.input_tokens for x in runs["full"])
print(f"trimming saved {saved:.0%} of input tokens; correct {sum(right['trimmed'])} vs {sum(right['full'])} untrimmed")
assert saved > 0.3, "trimming cuts input tokens by more than 30 %"

# %%
rag_bench = Path(data.root()).parent / "bench" / "results" / "rag.json"
trim_gate = json.loads(rag_bench.read_text())["trim_lever_dev"] if rag_bench.exists() else None
if trim_gate is None:
    print("no benchmark result yet: run `python bench/run.py rag` for the gate's verdict on trimming")
else:
    failed = [g for g in trim_gate["gate_vs_default"] if g["status"] == "fail"]
    lines = [f"| {g['metric']} | {g['default']:.3f} | {g['trimmed']:.3f} | {g['diff']:+.3f} "
             f"[{g['ci95'][0]:+.3f}, {g['ci95'][1]:+.3f}] | {g['status']} |" for g in trim_gate["gate_vs_default"]]
    verdict = ("**passes**: no metric is worse beyond its interval" if trim_gate["gate_passed"] else
               f"**fails** on {', '.join(g['metric'] for g in failed)}: trimming saves tokens but costs answer quality")
    display(Markdown(f"**The bench's number** (`bench/results/rag.json`, not this run): on {trim_gate['questions']} "
                     f"dev questions, trimmed to {trim_gate['max_words_per_chunk']} words per chunk, the regression "
                     f"gate {verdict}. The capstone's service therefore "
                     f"{'trims' if trim_gate['gate_passed'] else 'sends whole chunks'} "
                     f"(`labkit.capstone.prototypes.TRIM_WORDS = {prototypes.TRIM_WORDS}`).\n\n"
                     "| metric | default | trimmed | difference [95% CI] | gate |\n|---|---|---|---|---|\n" + "\n".join(lines)))
    assert trim_gate["gate_passed"] == (not failed), "the verdict shown is the gate's"
    assert (prototypes.TRIM_WORDS is not None) == trim_gate["gate_passed"], "the capstone follows the gate"

# %% [markdown]
# ## 5. Lever: prefix (KV) caching
# The server keeps each slot's processed prompt. A request whose prompt *starts* like the previous one
# on that slot skips re-processing the shared part: the server reports it as `cached_tokens`. Keep
# stable text (instructions, tool definitions) first and variable text (the question) last.

# %% [markdown]
# **The experiment in plain code** (the heart of `perf.prefix_cache_trial`): the same questions after
# the same long prefix, after a prefix made unique by its first words, and with llama.cpp's
# `cache_prompt` switched off. Each call is pinned to one server slot; the ledger records its TTFT and
# the prompt tokens the server reused (`cached_tokens`).

# %%
PREFIX = ("You are the support assistant of Quaywise. Answer in one short sentence, politely, and never "
          "invent prices or limits. ") * 14
QUESTIONS = ["How do I reset my password?", "Can I export to CSV?", "What is a workspace?"]


def ask(system: str, question: str, **server_options) -> tuple[float, int]:
    stream = client.chat.completions.create(
        model=MODEL, max_tokens=4, temperature=0, stream=True, stream_options={"include_usage": True},
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        extra_body=CAPS.extra_body(id_slot=0, **server_options))  # llama.cpp options, where accepted
    for _ in stream:
        pass
    return llm.ledger.records[-1].ttft_s, llm.ledger.records[-1].cached_tokens


shared = [ask(PREFIX, q) for q in QUESTIONS]                                   # same prefix every time
unique = [ask(f"Session {i}. " + PREFIX, q) for i, q in enumerate(QUESTIONS)]             # nothing to reuse
off = [ask(PREFIX, q, cache_prompt=False) for q in QUESTIONS]                  # the control
print("cached_tokens: shared", [c for _, c in shared], "unique", [c for _, c in unique])

# %%
trial = perf.prefix_cache_trial(PREFIX, QUESTIONS, max_tokens=4)
print(f"prefix {trial.prefix_tokens} tokens; cached_tokens reported: shared {trial.shared_cached}, "
      f"unique {trial.cold_cached}")
control = (f"cache_prompt off {statistics.median(trial.no_cache_ttft) * 1000:.0f} ms" if trial.no_cache_ttft
           else CAPS.explain("cache_prompt", "no cache-off control run"))
print(f"median TTFT: shared prefix {statistics.median(trial.shared_ttft[1:]) * 1000:.0f} ms, "
      f"unique prefix {statistics.median(trial.cold_ttft) * 1000:.0f} ms, {control} -> {trial.speedup:.1f}x")
print(CAPS.explain("id_slot", "calls are not pinned to one slot; the server picks the most similar one"))
assert min(trial.shared_cached[1:]) > 0.8 * trial.prefix_tokens and trial.speedup > 1.3


def reused(cached: list[int]) -> list[bool]:
    return [c > 0.8 * trial.prefix_tokens for c in cached]


# The plain experiment above and the tested trial agree call by call (the first shared call fills the slot):
assert reused([c for _, c in shared][1:]) == reused(trial.shared_cached[1:]) == [True, True]
assert reused([c for _, c in unique]) == reused(trial.cold_cached) == [False] * 3

# %% [markdown]
# ## 6. Lever: batching
# The server decodes all active requests in one batch (continuous batching), so several callers get
# more total tokens per second than one — until the CPU is saturated. Each request generates exactly
# 16 tokens here (where `ignore_eos` is accepted); `make bench` runs 1 to 16 callers.

# %%
print(CAPS.explain("ignore_eos", "answers may end before 16 tokens; throughput counts the tokens generated"))
# two rounds, the levels in turn (1, 2, 4, 8, 1, 2, ...): a change in the machine's load hits every level alike
sweep = perf.concurrency_sweep((1, 2, 4, 8), max_tokens=16, rounds=2)
knee = perf.knee(sweep)
fig, ax = plt.subplots(1, 2, figsize=(9, 3))
ax[0].plot([p.concurrency for p in sweep], [p.throughput_tps for p in sweep], "o-")
ax[0].set(xlabel="concurrent requests", ylabel="generated tokens/s (all)", title="throughput")
ax[1].plot([p.concurrency for p in sweep], [p.latency.p95 for p in sweep], "o-", color="C3")
ax[1].set(xlabel="concurrent requests", ylabel="p95 latency (s)", title="latency per request")
plt.tight_layout()
plt.show()
gain = knee.throughput_tps / sweep[0].throughput_tps
print(f"live, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: knee at {knee.concurrency} callers, "
      f"{gain:.1f}x the throughput of one caller")
# 8 callers at once. Served one after another, one answer streams at a time; batched, all 8 stream together.
# Counting the answers streaming at one moment needs only the order of events, not their speed.
busy = sweep[-1]
print(f"8 callers: at most {busy.peak_generating} answers streaming at the same moment")
assert busy.peak_generating >= 4, "the server works on the callers at once instead of one after another"

# %% [markdown]
# The live gain depends on the CPU the server gets: on a machine busy with other work the batch's extra
# arithmetic competes for the same cores and the gain can shrink to nothing (the first token's timing
# above does not: it compares calls made at the same moment). The throughput claim is therefore
# checked on the benchmark's quiet run (`make bench`, `bench/results/batching.json`), shown here:

# %%
batching_file = Path(data.root()).parent / "bench" / "results" / "batching.json"
bench_sweep = json.loads(batching_file.read_text())
print(f"make bench ({bench_sweep['_meta']['date']}, load {bench_sweep['load_average_1m']}): knee at "
      f"{bench_sweep['knee_concurrency']} callers, {bench_sweep['throughput_gain_at_knee']}x one caller's throughput")
assert bench_sweep["throughput_gain_at_knee"] > 1.3, "batching raises total throughput (quiet machine)"

# %% [markdown]
# ## 7. Lever: a cascade that escalates on low confidence
# Answer with the cheap tier (one short source); escalate to the expensive tier (three full sources)
# when the cheap answer's confidence — the geometric-mean token probability from `logprobs` — is low,
# or when a check fails (no valid citation). From §4's runs we compute every threshold's cost and
# quality without calling the model again. (Locally both tiers are SmolLM2, the "large" one just reads
# more; with an API key the same code cascades `model_for("small")` → `model_for("large")`.)

# %%
conf = [x.confidence for x in runs["small"]]
cuts = tuple(round(float(q), 3) for q in np.quantile(conf, [0.25, 0.5, 0.75]))
frontier = routing.cascade_frontier({"small": runs["small"], "large": runs["full"]},
                                    {"small": right["small"], "large": right["full"]}, thresholds=cuts)
for p in frontier:
    print(f"{p.label:22} ${p.cost_per_query_usd * 1000:.5f} per 1,000 questions | quality {p.quality:.2f} | "
          f"escalated {p.escalation_rate:.0%}{'  <- on the frontier' if p.on_frontier else ''}")
print("small-tier confidence when right:", [round(c, 2) for c, ok in zip(conf, right["small"], strict=True) if ok],
      "| when wrong:", [round(c, 2) for c, ok in zip(conf, right["small"], strict=True) if not ok])

# %%
mid = next(p for p in frontier if p.threshold == cuts[1])
cheap, dear = frontier[0], frontier[1]
assert 0 < mid.escalation_rate < 1, "at the median confidence some questions escalate and some do not"
print(f"cascade at t={cuts[1]}: {mid.escalation_rate:.0%} escalated, "
      f"{mid.cost_per_query_usd / dear.cost_per_query_usd:.0%} of the large tier's cost, quality {mid.quality:.2f} "
      f"(small {cheap.quality:.2f}, large {dear.quality:.2f})")
# An escalated question pays for both tiers, so the cascade saves only while the small tier costs less
# than the share of questions it keeps times the large tier's cost: a measured condition, not arithmetic.
assert mid.cost_per_query_usd < dear.cost_per_query_usd, "the cascade costs less than always asking the large tier"

# %% [markdown]
# ## 8. Lever: speculative decoding (measured by the benchmark, not live)
# Speculative decoding drafts several tokens and verifies them in one forward pass; with greedy
# decoding the output is identical. *Prompt lookup* drafts by copying from the prompt — free, and
# strong when the answer copies the prompt (editing, extraction, quoting sources), useless when it
# rewords it. It needs the model's logits, so it runs in transformers (the same GGUF weights,
# dequantised). Loading alone takes ~30 s and a fair comparison minutes, more than this notebook's
# budget, so it is **not run live here**: `make bench` measures it (`python bench/run.py specdec`)
# and this cell shows that result, with its date.

# %%
spec_file = Path(data.root()).parent / "bench" / "results" / "specdec.json"
if spec_file.exists():
    spec = json.loads(spec_file.read_text())
    print(f"measured by make bench on {spec['_meta']['date']} ({spec['_meta']['cpus']} CPUs, load {spec['load_average_1m']}):")
    print(f"  editing   : {spec['speedup']}x ({spec['baseline_tokens_per_s']} -> {spec['speculative_tokens_per_s']} "
          f"tokens/s), identical outputs: {spec['identical_outputs']}")
    if "summarise_workload" in spec:
        sw = spec["summarise_workload"]
        print(f"  summarising: {sw['speedup']}x, identical outputs: {sw['identical_outputs']}")
    print(f"  draft model: {spec['draft_model']}")
    assert spec["identical_outputs"], "speculative decoding must not change greedy output"
else:
    print("no benchmark result yet: run `python bench/run.py specdec` (a few minutes)")

# %% [markdown]
# ## 9. A budget cap that holds under concurrency
# `Budget` reserves each call's upper bound before it is made and settles the measured cost after, in
# one SQLite `BEGIN IMMEDIATE` transaction, so concurrent callers cannot overspend together. 16 threads
# spend from a $0.0004 cap with the upper bounds of real RAG prompts (no model calls in this cell):

# %%
bound = result.estimate.cost_upper_usd
budget = Budget(Path(tempfile.mkdtemp()) / "budget.sqlite", Caps(per_user_usd=None, global_usd=0.0004), window_s=3600)


def spender(n: int) -> None:
    for _ in range(40):
        try:
            with budget.charge(f"user{n}", bound) as r:
                r.actual_usd = bound * (0.5 + 0.5 * ((n * 7) % 5) / 5)
        except BudgetExceeded:
            pass


threads = [threading.Thread(target=spender, args=(n,)) for n in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]
spent = budget.spend()
print(f"{spent.calls} calls admitted, recorded ${spent.settled_usd:.6f} of a ${spent.cap_usd} cap")
assert spent.settled_usd <= spent.cap_usd and spent.settled_usd > 0.5 * spent.cap_usd

# %% [markdown]
# **Replicas share one cap on Redis.** Three replicas with a SQLite file each would each enforce the
# cap: together they would spend three times it. Give `Budget` a `redis://host:port/db` location instead
# and every replica reserves against the same cap; each operation is one Lua script, which Redis runs
# alone, so check-then-reserve stays atomic across hosts. Two replica *processes* of four threads share
# a cap worth 20 calls, on a private `redis-server` (skipped where it is not installed):

# %%
REPLICA = """
import sys, threading, time
from labkit.budget import Budget, BudgetExceeded, Caps
budget, bound, refused = Budget(sys.argv[1], Caps(global_usd=float(sys.argv[3]))), float(sys.argv[2]), []
def spend():
    for _ in range(30):
        try:
            with budget.charge("replica", bound):
                time.sleep(0.005)  # the model call
        except BudgetExceeded:
            refused.append(1)
time.sleep(max(0.0, float(sys.argv[4]) - time.time()))  # both replicas start spending together
threads = [threading.Thread(target=spend) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
print(len(refused))
"""
shared_cap = 20 * bound
if shutil.which("redis-server") is None:
    print("redis-server is not installed (apt-get install redis-server): the two-replica demo is skipped")
else:
    with local_redis_server() as url:
        start_at = repr(time.time() + 3)
        replicas = [subprocess.Popen([sys.executable, "-c", REPLICA, url, repr(bound), repr(shared_cap), start_at],
                                     stdout=subprocess.PIPE, text=True) for _ in range(2)]
        refusals = [int(p.communicate(timeout=120)[0]) for p in replicas]
        together = Budget(url, Caps(global_usd=shared_cap)).spend()
    print(f"{together.calls} calls admitted across 2 replicas, ${together.settled_usd:.6f} of a ${shared_cap:.6f} "
          f"cap; refusals per replica: {refusals}")
    assert together.settled_usd <= shared_cap + 1e-12 and together.calls == 20 and min(refusals) > 0

# %% [markdown]
# **LiteLLM's budget beside it.** LiteLLM's `BudgetManager` is used the way its documentation shows:
# check the spend so far against the budget, make the call, then add the call's cost. labkit reserves
# the call's upper bound before it and settles after. Both race the same way: 16 threads, 4 calls each,
# against a cap worth 20 calls, in 5 rounds, with real requests to one stub endpoint priced at the
# registry's price for the chat model (given to LiteLLM as a custom price; its bundled cost map, offline).
# SIMULATION: the stub stands in for the model, each call in flight 50 ms, 8 output tokens.

# %%
# NBVAL_IGNORE_OUTPUT
race_rounds = []
if not litellm_side.available():
    print("LiteLLM's environment is not built (make litellm-env): the budget race is skipped")
else:
    race = litellm_side.BudgetRace(registry.get(llm.model_for("chat")).id, cap_calls=20, threads=16,
                                   calls_per_thread=4, rounds=5, max_tokens=8)
    with StubEndpoint("ok", ttft_s=0.05, output_tokens=race.max_tokens, model=race.model) as model_stub:
        race_rounds = litellm_side.compare_budget(race, model_stub)
    for one_round in race_rounds:
        print(one_round.row())

# %%
if race_rounds:
    by_system = {s: [r for r in race_rounds if r.system == s] for s in dict.fromkeys(r.system for r in race_rounds)}
    lines = []
    for system, rs in by_system.items():
        worst = max(rs, key=lambda r: r.used)
        over = sum(r.overspend_usd > 0 for r in rs)
        lines.append(f"* **{system}**: above the cap in {over} of {len(rs)} rounds; worst round committed "
                     f"{worst.used:.2f}× the cap ({worst.admitted} calls admitted, {worst.refused} refused)")
    litellm_over = any(r.overspend_usd > 0 for r in by_system["litellm (check, then charge)"])
    lines.append("\nLiteLLM's check passed for calls that started before the calls already in flight were charged, "
                 "so together they committed more than the cap." if litellm_over else
                 "\nNo LiteLLM round went over the cap in this run: its check-then-charge held here.")
    display(Markdown("\n".join(lines)))
    assert all(r.overspend_usd == 0 for r in by_system["labkit (reserve, then settle)"]), "reserve-then-settle held"

# %% [markdown]
# When the budget cannot pay for escalation, the cascade **degrades** to the answer it already has
# instead of failing. A per-user cap that covers one cheap call but not the expensive one:

# %%
tight = Budget(":memory:", Caps(per_user_usd=small.prepare(GOLD[0]["question"])[2].cost_upper_usd * 1.5))
routed = routing.Cascade([small, full], threshold=1.0, budget=tight).answer(GOLD[0]["question"], user="alice")
print(f"route {routed.route}, degraded {routed.degraded}: {routed.notes[-1][:110]}...")
assert routed.degraded and routed.route == "small"

# %% [markdown]
# ## 10. What is a month worth? Levers in order of return
# A projection for 20,000 questions a day, built from this run's measurements. Assumptions, stated:
# 40 % of questions repeat an earlier one (so the cache can serve the test hit rate of those);
# prices are the registry's — notional for the local model (hardware cost over measured throughput).
# Batching divides the local model's cost per token by the throughput gain of the benchmark's quiet run (§6).

# %%
def route(name: str, res: list[routing.TierResult], speed_up: float = 1.0, slow_down: float = 1.0,
          priced_as: str | None = None) -> perf.Route:
    info = registry.get(priced_as or res[0].model)
    n_in, n_out = statistics.fmean(x.input_tokens for x in res), statistics.fmean(x.output_tokens for x in res)
    ttft = statistics.fmean(x.latency_s for x in res) - n_out / decode_tps
    return perf.Route(name, n_in, n_out, info.input_usd_per_m / speed_up, info.output_usd_per_m / speed_up,
                      ttft_s=max(ttft, 0.01) * slow_down, tokens_per_s=decode_tps / slow_down)


# batching at the benchmark's quiet-machine knee (§6: the live gain depends on the machine's load)
bench_knee = next(p for p in bench_sweep["sweep"] if p["concurrency"] == bench_sweep["knee_concurrency"])
batch_gain = bench_sweep["throughput_gain_at_knee"]
batch_slowdown = bench_knee["latency_p50_s"] / bench_sweep["sweep"][0]["latency_p50_s"]  # slower in a batch
hit_route = perf.Route("cache", 0, 0, 0, 0, ttft_s=hit.seconds)
big, little = route("large", runs["full"]), route("small", runs["small"])
both = perf.Route("small, then large", little.input_tokens + big.input_tokens, little.output_tokens + big.output_tokens,
                  big.usd_per_m_input, big.usd_per_m_output, ttft_s=little.mean_latency_s + big.ttft_s,
                  tokens_per_s=decode_tps)  # an escalated question pays for both tiers
hit_share = 0.4 * at.hit_rate
plans = {
    "baseline (large, full prompt)": ([big], [1.0]),
    "+ semantic cache": ([hit_route, big], [hit_share, 1 - hit_share]),
    "+ prompt trimming": ([route("trimmed", runs["trimmed"])], [1.0]),
    f"+ cascade (t={cuts[1]})": ([little, both], [1 - mid.escalation_rate, mid.escalation_rate]),
    "+ batching (local, bench)": ([route("large, batched", runs["full"], batch_gain, batch_slowdown)], [1.0]),
}
months = {name: perf.project(20_000, routes, shares) for name, (routes, shares) in plans.items()}

# %%
base = months["baseline (large, full prompt)"].monthly_usd
order = sorted((k for k in months if k != "baseline (large, full prompt)"), key=lambda k: months[k].monthly_usd)
for k in ["baseline (large, full prompt)", *order]:
    m = months[k]
    print(f"{k:30} ${m.monthly_usd:8.2f}/month  ({1 - m.monthly_usd / base:+.0%} saved)  p50 {m.latency_p50_s:.2f} s  "
          f"p95 {m.latency_p95_s:.2f} s")
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.barh(["baseline", *order][::-1], [base, *[months[k].monthly_usd for k in order]][::-1], color="C0")
ax.set(xlabel="USD per month (notional, local model)", title="each lever alone, against the baseline")
plt.tight_layout()
plt.show()
assert all(months[k].monthly_usd < base for k in order), "every lever pays on its own"
display(Markdown("**In order of return in this run:** " + ", ".join(
    f"{k.removeprefix('+ ')} ({1 - months[k].monthly_usd / base:.0%})" for k in order) + "."))

# %% [markdown]
# The same arithmetic with hosted prices: the registry's hosted `large` and `small` models priced in
# for the two tiers, the same measured token counts and shares. Batching is left out: it divides the
# cost of hardware you run, and a hosted API's per-token price does not move with your batch.

# %%
LARGE, SMALL = registry.role_model("openai", "large"), registry.role_model("openai", "small")
big_h, little_h = route("large", runs["full"], priced_as=LARGE), route("small", runs["small"], priced_as=SMALL)
both_h = perf.Route("small, then large", both.input_tokens, both.output_tokens, big_h.usd_per_m_input,
                    big_h.usd_per_m_output, ttft_s=both.ttft_s, tokens_per_s=decode_tps)
hosted_plans = {"baseline (large, full prompt)": ([big_h], [1.0]),
                "+ semantic cache": ([hit_route, big_h], [hit_share, 1 - hit_share]),
                "+ prompt trimming": ([route("trimmed", runs["trimmed"], priced_as=LARGE)], [1.0]),
                f"+ cascade (t={cuts[1]})": ([little_h, both_h], [1 - mid.escalation_rate, mid.escalation_rate])}
hosted = {name: perf.project(20_000, r, sh) for name, (r, sh) in hosted_plans.items()}
h_base = hosted["baseline (large, full prompt)"].monthly_usd
h_order = sorted((k for k in hosted if k != "baseline (large, full prompt)"), key=lambda k: hosted[k].monthly_usd)
local_order = [k for k in order if k in hosted]
same = h_order == local_order
display(Markdown(
    f"Priced as `{LARGE}` / `{SMALL}`, the baseline costs **{h_base / base:.0f}×** this run's notional local price "
    f"(${h_base:,.0f} a month). The order of the levers a hosted API allows "
    + ("**holds**: " if same else f"**changes** (locally: {', '.join(k.removeprefix('+ ') for k in local_order)}): ")
    + ", ".join(f"{k.removeprefix('+ ')} ({1 - hosted[k].monthly_usd / h_base:.0%})" for k in h_order) + "."))
assert h_base > base, "hosted list prices exceed the local model's notional price"
assert all(hosted[k].monthly_usd < h_base for k in h_order), "every lever still pays at hosted prices"

# %% [markdown]
# The interactive calculator (`demos/cost_latency_calculator.ipynb`) lets you move each assumption.
#
# ### Exercise: a month of traffic
# Write `monthly_cost(model, requests_per_day, input_tokens, output_tokens, cache_hit_rate)`: the USD a
# 30-day month costs when cache hits are free and every miss is one model call. Then run the check.

# %%
ex = exercise("nb01.monthly")


def monthly_cost(model: str, requests_per_day: float, input_tokens: float, output_tokens: float,
                 cache_hit_rate: float) -> float:
    raise NotImplementedError  # your code here


ex.check(monthly_cost)

# %% [markdown]
# ## Take-aways
# * Cost is input × price + output × price; in RAG the *input* — mostly tokens you never see — dominates.
# * TTFT follows prompt length; total latency follows answer length. Measure both, per route.
# * Each lever pays on its own, but their order depends on the prices and the traffic: §10 ranks them from
#   this run's numbers, and the ranking under hosted prices need not be the local one. Trimming cuts
#   tokens; whether it keeps quality is the regression gate's call on a real sample (§4), not 8 questions'.
# * Speculative decoding is free speed when answers quote prompts (the benchmark's number, §8).
# * Predict before you call, reserve the upper bound, settle the measured cost.
#
# ## The ledger of this notebook

# %%
# NBVAL_IGNORE_OUTPUT
totals = llm.ledger.totals()
print(f"{totals['calls']} calls, {totals['input_tokens']} input + {totals['output_tokens']} output tokens, "
      f"${totals['cost_usd']:.6f}, {totals['latency_s']:.1f} s in model calls")
llm.ledger.summary()

# %% [markdown]
# ## On a stronger endpoint
# Through another OpenAI-compatible endpoint the same code runs; what `llm.capabilities()` printed
# above is what changes: without `ignore_eos` the long answer and the batching sweep end where the
# model stops, without `cache_prompt` there is no cache-off control in §5, without `id_slot` the server
# picks the slot. Prices become the provider's, so every dollar figure grows. Backend-independent:
# §3's cache asserts (the embedding model runs here, not at the endpoint), the budget cap in §9 and the
# exercise. The rest rest on this machine's model: prompt length driving TTFT holds on any server;
# prefix caching needs a server that caches prompts this short (OpenAI caches from 1,024 tokens, so
# §5 needs a longer `PREFIX` there); the batching gain needs one server you share with no one.
