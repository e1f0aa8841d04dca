"""Continuous batching and prefix (KV) caching on the embedded llama.cpp server.

* Throughput (generated tokens/s over all callers) and per-request latency at 1, 2, 4, 8 and 16
  concurrent callers; the knee is the lowest concurrency reaching 90 % of the best throughput.
  Every answer is exactly MAX_TOKENS long (``ignore_eos``), so levels are comparable.
* TTFT of prompts sharing a long system prompt (the slot's KV cache is reused) against prompts of
  the same length that share nothing, and against ``cache_prompt: false``, with the
  ``cached_tokens`` the server reports.
"""

from __future__ import annotations

import os
import statistics

from labkit import llm, perf

LEVELS = (1, 2, 4, 8, 16)
MAX_TOKENS = 32
PREFIX = ("You are the support assistant of Quaywise, a forms, approvals and file-request product. "
          "Answer in one short sentence. Be polite. Never invent prices or limits; if unsure, say so. "
          "Plans: Free, Starter, Team, Business and Enterprise. ") * 8
QUESTIONS = ["How do I reset my password?", "Can I export submissions to CSV?", "What is a workspace?",
             "How do I invite a guest?", "Where are invoices?", "Can I rename a form?"]


def run() -> dict:
    llm.server()
    points = perf.concurrency_sweep(LEVELS, max_tokens=MAX_TOKENS, progress=print)
    best = perf.knee(points)
    trial = perf.prefix_cache_trial(PREFIX, QUESTIONS, max_tokens=4)
    # the same without pinning a slot: llama.cpp then picks the slot whose cache best matches the prompt
    mark = llm.ledger.mark()
    unpinned = perf.prefix_cache_trial(PREFIX, QUESTIONS, max_tokens=4, slot=None)
    ledger_cached = [r.cached_tokens for r in llm.ledger.records[mark:]][: len(QUESTIONS)]
    warm = statistics.median(trial.shared_ttft[1:])
    cold = statistics.median(trial.cold_ttft)
    off = statistics.median(trial.no_cache_ttft)
    settings = llm.server().settings
    one = points[0].throughput_tps
    return {
        "method": __doc__.strip().splitlines()[0],
        "load_average_1m": round(os.getloadavg()[0], 2),
        "server": {"n_parallel": settings.n_parallel, "n_threads": settings.n_threads, "n_ctx": settings.n_ctx},
        "sweep": [{"concurrency": p.concurrency, "requests": p.requests, "throughput_tps": round(p.throughput_tps, 2),
                   "per_request_tps": round(p.per_request_tps, 2), "latency_p50_s": round(p.latency.p50, 3),
                   "latency_p95_s": round(p.latency.p95, 3), "ttft_p50_s": round(p.ttft.p50, 3),
                   "errors": p.errors} for p in points],
        "knee_concurrency": best.concurrency,
        "throughput_gain_at_knee": round(best.throughput_tps / one, 2),
        "prefix_cache": {"prefix_tokens": trial.prefix_tokens,
                         "shared_ttft_s": [round(x, 3) for x in trial.shared_ttft],
                         "shared_cached_tokens": trial.shared_cached,
                         "cold_ttft_s": [round(x, 3) for x in trial.cold_ttft],
                         "cold_cached_tokens": trial.cold_cached,
                         "cache_prompt_off_ttft_s": [round(x, 3) for x in trial.no_cache_ttft],
                         "median_shared_s": round(warm, 3), "median_cold_s": round(cold, 3),
                         "median_off_s": round(off, 3), "ttft_speedup": round(cold / warm, 2),
                         "unpinned_shared_cached_tokens": unpinned.shared_cached,
                         "unpinned_ttft_speedup": round(unpinned.speedup, 2),
                         "ledger_cached_tokens_unpinned": ledger_cached},
        "targets": [
            {"name": "batching: throughput at the knee over 1 caller (x)", "value": round(best.throughput_tps / one, 2),
             "target": "> 1.5", "met": best.throughput_tps / one > 1.5},
            {"name": "prefix cache: TTFT speed-up with a shared prefix (x)", "value": round(cold / warm, 2),
             "target": "> 1.5", "met": cold / warm > 1.5},
        ],
    }
