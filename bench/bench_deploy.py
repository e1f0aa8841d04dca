"""Deployment measurements: the same model as edge (in-process), self-hosted (HTTP server) and a hosted API.

The full-size version of notebook 03. For each deployment: cold start, TTFT and tokens/s (median of
streamed requests), p50/p95 and throughput at concurrency 1, 2, 4 and 8, memory, and cost per 1,000
requests. The hosted API is measured live when OPENAI_BASE_URL / OPENAI_API_KEY are set; otherwise it
is the labelled simulation of ``labkit.deploy.hosted_simulation()`` (its parameters are written to the
results). Also: the break-even volume between per-token and per-hour pricing for this machine, a
capacity plan, and the fallback chain against failing endpoints (500s and a hang).
"""

from __future__ import annotations

import os
import statistics

from labkit import deploy, llm
from labkit.deploy import FallbackChain, Provider, RetryPolicy, StubEndpoint
from labkit.llm import registry

MESSAGES = [{"role": "user", "content": "In three sentences, why would a support team use an approval workflow?"}]
OUT_TOKENS = 64
LEVELS = (1, 2, 4, 8)
REQUESTS = 8
STREAMS = 4
COLD_STARTS = 3


def _http_call(client, model: str, **kwargs):
    def call(i: int) -> int:
        r = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=OUT_TOKENS, **kwargs)
        return r.usage.completion_tokens
    return call


def _report(r: deploy.DeploymentReport) -> dict:
    return {"cold_start_s": round(r.cold_start_s, 3), "ttft_s": round(r.ttft_s, 4),
            "tokens_per_s_one_stream": round(r.tokens_per_s, 1), "memory_mb": round(r.memory_mb),
            "curve": [c.row() for c in r.curve], "note": r.note}


def _fallback_drill(server_url: str, alias: str) -> dict:
    with StubEndpoint("500") as broken, StubEndpoint("hang", hang_s=60) as hanging:
        chain = FallbackChain([Provider("500s", broken.url, "m"), Provider("hangs", hanging.url, "m", timeout_s=1.0),
                               Provider("local", server_url, alias, timeout_s=300)],
                              RetryPolicy(max_attempts=3, backoff_s=0.1, breaker_threshold=1, breaker_cooldown_s=300))
        results = [chain.create(messages=MESSAGES, max_tokens=16, temperature=0) for _ in range(5)]
    return {"requests": len(results), "served": sum(r.provider == "local" for r in results),
            "first_latency_s": round(results[0].latency_s, 3),
            "later_latency_median_s": round(statistics.median(r.latency_s for r in results[1:]), 3),
            "first_attempts": [a.outcome for a in results[0].attempts]}


def run() -> dict:
    hw = registry.hardware_usd_per_hour()
    local_args = {"temperature": 0, "extra_body": {"ignore_eos": True}}
    colds = [deploy.server_cold_start() for _ in range(COLD_STARTS)]
    server = llm.server()
    alias = server.settings.model_alias
    local = deploy.provider_client(Provider("self-hosted", server.url, alias, timeout_s=300))
    mark = llm.ledger.mark()
    server_r = deploy.measure_deployment(
        "self-hosted (HTTP)", lambda: deploy.time_stream(local, alias, MESSAGES, max_tokens=OUT_TOKENS, **local_args),
        _http_call(local, alias, **local_args), cold_start_s=statistics.median(c.first_token_s for c in colds),
        memory_mb=deploy.rss_mb(server.process.pid), levels=LEVELS, requests=REQUESTS, streams=STREAMS)
    in_tok = float(llm.ledger.frame(since=mark)["input_tokens"].mean())

    edge = deploy.InProcessModel(n_ctx=4096, n_threads=server.settings.n_threads, n_parallel=8)
    edge_args = {"temperature": 0, "ignore_eos": True}
    edge_r = deploy.measure_deployment(
        "edge (in-process)", lambda: edge.time_stream(MESSAGES, OUT_TOKENS, **edge_args),
        lambda i: edge.chat(MESSAGES, OUT_TOKENS, **edge_args)["usage"]["completion_tokens"],
        cold_start_s=edge.load_s, memory_mb=edge.rss_added_mb, levels=LEVELS, requests=REQUESTS, streams=STREAMS)
    edge.close()

    if llm.backend() == "embedded":
        sim = deploy.hosted_simulation()
        stub = StubEndpoint.simulating(sim, output_tokens=OUT_TOKENS).start()
        hosted = Provider("hosted (SIMULATED)", stub.url, sim.name)
        prices = {"input_usd_per_m": sim.input_usd_per_m, "output_usd_per_m": sim.output_usd_per_m}
        hosted_info = {"simulated": True, **sim.__dict__}
    else:
        stub = None
        hosted = Provider.current("hosted (live)")
        info = registry.find(hosted.model) or registry.get(registry.role_model("openai", "chat") or "gpt-4o-mini")
        prices = {"input_usd_per_m": info.input_usd_per_m, "output_usd_per_m": info.output_usd_per_m}
        hosted_info = {"simulated": False, "base_url": hosted.base_url, "model": hosted.model, "priced_as": info.id}
    hc = deploy.provider_client(hosted)
    hosted_r = deploy.measure_deployment(
        hosted.name, lambda: deploy.time_stream(hc, hosted.model, MESSAGES, max_tokens=OUT_TOKENS, temperature=0),
        _http_call(hc, hosted.model, temperature=0), cold_start_s=float("nan"), memory_mb=0.0,
        levels=LEVELS, requests=REQUESTS, streams=STREAMS)
    if stub is not None:
        stub.stop()

    best_server = max(server_r.curve, key=lambda r: r.throughput_rps)
    best_edge = max(edge_r.curve, key=lambda r: r.throughput_rps)
    cost = {
        server_r.name: deploy.cost_per_1k_self_hosted(hw, best_server.throughput_rps),
        edge_r.name: deploy.cost_per_1k_self_hosted(hw, best_edge.throughput_rps),
        hosted_r.name: deploy.cost_per_1k_hosted(in_tok, OUT_TOKENS, **prices),
    }
    be = deploy.break_even(in_tok, OUT_TOKENS, **prices, usd_per_hour=hw, replica_rps=best_server.throughput_rps)
    p95_objective = 1.5 * server_r.at(1).p95_s
    plan = deploy.plan_capacity(server_r.curve, target_rps=5.0, p95_target_s=p95_objective)
    drill = _fallback_drill(server.url, alias)
    gain = server_r.at(4).throughput_rps / server_r.at(1).throughput_rps
    cold_first = statistics.median(c.first_token_s for c in colds)
    return {
        "method": (f"{OUT_TOKENS} generated tokens per request (ignore_eos on local), {REQUESTS} requests per "
                   f"concurrency level {LEVELS}, {STREAMS} timed streams; cost of local deployments = "
                   f"${hw}/h (registry) / measured best throughput; hosted = registry prices x tokens"),
        "workload_input_tokens": round(in_tok, 1),
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],  # other work on the machine
        "server_cold_starts": [c.__dict__ for c in colds],
        "deployments": {r.name: {**_report(r), "usd_per_1k_requests": round(cost[r.name], 5)}
                        for r in (edge_r, server_r, hosted_r)},
        "hosted": hosted_info,
        "break_even_requests_per_month_vs_this_vm": be.break_even_volume,
        "capacity_plan": {**plan.__dict__, "describe": plan.describe()},
        "fallback_drill": drill,
        "targets": [
            {"name": "server cold start to first token (s)", "value": round(cold_first, 3), "target": "< 3",
             "met": cold_first < 3},
            {"name": "continuous batching throughput gain, concurrency 4 vs 1", "value": round(gain, 2),
             "target": "> 1.5", "met": gain > 1.5},
            {"name": "fallback chain: requests served with a failing primary and a hanging secondary",
             "value": f"{drill['served']}/{drill['requests']}", "target": "all",
             "met": drill["served"] == drill["requests"]},
        ],
    }
