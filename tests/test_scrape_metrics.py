"""deploy.scrape_metrics reads a Prometheus /metrics page with prometheus_client's parser: labelled series
stay apart (vLLM's per-model gauges) and histograms keep their buckets, count and sum."""

from __future__ import annotations

import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from labkit import deploy
from labkit.deploy.measure import parse_metrics

EXPOSITION = """\
# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.
# TYPE llamacpp:tokens_predicted_total counter
llamacpp:tokens_predicted_total 128
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="small"} 3
vllm:num_requests_running{model_name="large"} 1
# HELP vllm:e2e_request_latency_seconds Histogram of end to end request latency in seconds.
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{le="0.5",model_name="small"} 2
vllm:e2e_request_latency_seconds_bucket{le="1.0",model_name="small"} 5
vllm:e2e_request_latency_seconds_bucket{le="+Inf",model_name="small"} 6
vllm:e2e_request_latency_seconds_count{model_name="small"} 6
vllm:e2e_request_latency_seconds_sum{model_name="small"} 4.5
vllm:e2e_request_latency_seconds_bucket{le="0.5",model_name="large"} 0
vllm:e2e_request_latency_seconds_bucket{le="1.0",model_name="large"} 1
vllm:e2e_request_latency_seconds_bucket{le="+Inf",model_name="large"} 4
vllm:e2e_request_latency_seconds_count{model_name="large"} 4
vllm:e2e_request_latency_seconds_sum{model_name="large"} 9.0
"""


def test_labels_and_histogram_buckets_are_kept() -> None:
    m = parse_metrics(EXPOSITION)
    assert m["llamacpp:tokens_predicted_total"] == 128  # the plain accessor notebook 03 uses
    assert m['vllm:num_requests_running{model_name="small"}'] == 3
    assert m.value("vllm:num_requests_running", model_name="large") == 1
    with pytest.raises(KeyError, match="2 series"):
        m.value("vllm:num_requests_running")  # two series: the labels must say which
    small = m.histogram("vllm:e2e_request_latency_seconds", model_name="small")
    assert small.buckets == ((0.5, 2.0), (1.0, 5.0), (math.inf, 6.0)) and (small.count, small.sum) == (6, 4.5)
    large = m.histogram("vllm:e2e_request_latency_seconds", model_name="large")
    assert large.buckets[-1] == (math.inf, 4.0) and large.sum == 9.0
    assert m.families["vllm:e2e_request_latency_seconds"][0] == "histogram"
    assert m.families["llamacpp:tokens_predicted"][0] == "counter"
    assert len(m) == 13  # every series, none collapsed into another
    with pytest.raises(KeyError, match="histograms here"):
        m.histogram("vllm:time_to_first_token_seconds")


def test_scrape_metrics_reads_a_metrics_endpoint() -> None:
    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = EXPOSITION.encode() if self.path == "/metrics" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        m = deploy.scrape_metrics(f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
    assert m.value("vllm:e2e_request_latency_seconds_count", model_name="small") == 6
    delta = {k: m[k] for k in m if k.endswith("_total")}
    assert delta == {"llamacpp:tokens_predicted_total": 128.0}
