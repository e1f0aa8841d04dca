"""labkit.llm overhead and cold start.

* Generation tokens/s through ``labkit.llm.client()`` versus the same requests sent to the same
  server with raw HTTP (``http.client``), interleaved in one run. Target: overhead < 5 %.
* Server cold start: process start to the first streamed token. Target: < 3 s.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time

from labkit import llm
from labkit.llm.server import EmbeddedServer, ServerSettings

ROUNDS = 8
MAX_TOKENS = 128
MESSAGES = [{"role": "user", "content": "Write a short story about a lighthouse keeper."}]


def _raw(port: int, model: str) -> tuple[float, int]:
    body = json.dumps({"model": model, "messages": MESSAGES, "max_tokens": MAX_TOKENS, "temperature": 0,
                       "ignore_eos": True})
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    data = json.loads(conn.getresponse().read())
    conn.close()
    return time.perf_counter() - t0, int(data["usage"]["completion_tokens"])


def _labkit(client, model: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=MAX_TOKENS, temperature=0,
                                       extra_body={"ignore_eos": True})
    return time.perf_counter() - t0, r.usage.completion_tokens


def cold_start() -> dict[str, float]:
    settings = ServerSettings.from_env()
    t0 = time.perf_counter()
    server = EmbeddedServer(ServerSettings(**{**settings.__dict__, "port": 0})).start()
    ready = time.perf_counter() - t0
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("POST", "/v1/chat/completions", json.dumps(
        {"model": settings.model_alias, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4,
         "stream": True}), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    first = None
    for line in resp:
        if line.startswith(b"data:") and b'"content"' in line:
            first = time.perf_counter() - t0
            break
    conn.close()
    server.stop()
    return {"ready_s": round(ready, 3), "first_token_s": round(first or float("nan"), 3)}


def run() -> dict:
    cold = [cold_start() for _ in range(3)]
    server = llm.server()
    client = llm.client(max_retries=0)
    model = llm.model_for("chat")
    _labkit(client, model)  # warm-up both paths
    _raw(server.port, model)
    raw_tps, lab_tps = [], []
    for i in range(ROUNDS):
        order = [("raw", _raw, (server.port, model)), ("labkit", _labkit, (client, model))]
        for name, fn, args in (order if i % 2 == 0 else order[::-1]):
            secs, toks = fn(*args)
            (raw_tps if name == "raw" else lab_tps).append(toks / secs)
    raw_med, lab_med = statistics.median(raw_tps), statistics.median(lab_tps)
    overhead = (raw_med - lab_med) / raw_med * 100
    first_token = statistics.median(c["first_token_s"] for c in cold)
    return {
        "method": f"{ROUNDS} interleaved pairs, {MAX_TOKENS} generated tokens each (ignore_eos), median tokens/s",
        "raw_http_tokens_per_s": round(raw_med, 2),
        "labkit_tokens_per_s": round(lab_med, 2),
        "labkit_overhead_pct": round(overhead, 2),
        "raw_samples": [round(x, 2) for x in raw_tps],
        "labkit_samples": [round(x, 2) for x in lab_tps],
        "cold_starts": cold,
        "targets": [
            {"name": "labkit client overhead (%)", "value": round(overhead, 2), "target": "< 5", "met": overhead < 5},
            {"name": "cold start to first token (s)", "value": first_token, "target": "< 3", "met": first_token < 3},
        ],
    }
