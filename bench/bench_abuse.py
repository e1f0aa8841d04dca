"""Both HTTP services under hostile clients: does ``/health`` still answer, and does memory come back?

For the RAG service (``labkit app serve``, a child process, guard layers on) and the model server
(``labkit serve``'s llama.cpp, a child process), on 127.0.0.1 only and with bounded counts:

* 64 half-open connections: each connects, sends part of a request, and idles;
* a 10 MB request body (declared with Content-Length, and for the RAG service also sent chunked);
* 50 concurrent chat requests.

While that runs and afterwards, ``/health`` is probed; the service process's RSS is read before and
after. Targets: ``/health`` p99 < 1 s; RSS back within 50 MB of its baseline; no 5xx.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
HALF_OPEN = 64
BIG_BODY = 10 * 1024 * 1024
CONCURRENT = 50
PROBE_TIMEOUT_S = 2.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (psutil)."""
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


def probe_health(port: int) -> float:
    """Seconds ``/health`` took; ``PROBE_TIMEOUT_S`` when it did not answer in that time."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=PROBE_TIMEOUT_S) as r:
            r.read()
    except OSError:
        return PROBE_TIMEOUT_S
    return time.perf_counter() - t0


def half_open(port: int, n: int) -> list[socket.socket]:
    """``n`` connections that send half a request and then idle (the caller closes them)."""
    socks = []
    for _ in range(n):
        s = socket.create_connection((HOST, port), timeout=5)
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"mo")
        socks.append(s)
    return socks


def big_body(port: int, chunked: bool) -> int:
    """Send a 10 MB body to the chat route; return the status (0 when the server just closed)."""
    head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {BIG_BODY}\r\n\r\n"
    piece = b"x" * 65536
    with socket.create_connection((HOST, port), timeout=30) as s:
        s.sendall(head.encode())
        try:
            for _ in range(BIG_BODY // len(piece)):
                s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            if chunked:
                s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server refused early and closed: what a limit should do
        try:
            reply = s.recv(4096)
        except OSError:
            return 0
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0


def chat(port: int, body: dict[str, Any], headers: dict[str, str]) -> int:
    """One chat request; its status (0 for a connection error or timeout)."""
    req = urllib.request.Request(f"http://{HOST}:{port}/v1/chat/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.99 * len(values)) - 1)]


def abuse(port: int, pid: int, chat_body: dict[str, Any], headers: dict[str, str] | None = None,
          chunked_body: bool = True) -> dict[str, Any]:
    """Run the three attacks against one service and measure ``/health`` and the process's memory.

    Args:
        port: the service's port on 127.0.0.1.
        pid: the service's process id (for RSS).
        chat_body: a valid chat request body for it.
        headers: extra headers for the chat requests (an API key).
        chunked_body: also send the 10 MB body chunked (uvicorn accepts chunked bodies; llama.cpp's
            server reads them whole).

    Returns:
        Probe times, statuses, RSS before/after in MB.
    """
    headers = headers or {}
    with ThreadPoolExecutor(8) as pool:  # warm: the worker threads and what every request loads exist now
        list(pool.map(lambda _: chat(port, chat_body, headers), range(8)))
    baseline = rss_mb(pid)
    probes: list[float] = [probe_health(port) for _ in range(5)]
    socks = half_open(port, HALF_OPEN)
    probes += [probe_health(port) for _ in range(5)]
    big = [big_body(port, chunked=False)] + ([big_body(port, chunked=True)] if chunked_body else [])
    probes += [probe_health(port) for _ in range(3)]
    done = threading.Event()

    def probe_while_loaded() -> None:
        while not done.is_set():
            probes.append(probe_health(port))
            time.sleep(0.2)

    prober = threading.Thread(target=probe_while_loaded)
    prober.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENT) as pool:
        statuses = list(pool.map(lambda _: chat(port, chat_body, headers), range(CONCURRENT)))
    concurrent_s = time.perf_counter() - t0
    done.set()
    prober.join()
    for s in socks:
        s.close()
    time.sleep(1.0)
    probes += [probe_health(port) for _ in range(5)]
    after = rss_mb(pid)
    return {
        "health_p99_s": round(p99(probes), 4), "health_median_s": round(statistics.median(probes), 4),
        "health_probes": len(probes), "health_timeouts": sum(p >= PROBE_TIMEOUT_S for p in probes),
        "big_body_status": big, "concurrent_statuses": dict(Counter(statuses)),
        # A client mistake (the huge body) must get a 4xx; 500 is a bug whatever caused it. A 504/502 under
        # overload is the deadline doing its job and is reported apart.
        "server_errors": sum(s >= 500 or s == 0 for s in big) + statuses.count(500),
        "overload_errors": sum(s in (502, 503, 504) for s in statuses), "concurrent_s": round(concurrent_s, 1),
        "rss_baseline_mb": round(baseline, 1), "rss_after_mb": round(after, 1),
        "rss_delta_mb": round(after - baseline, 1),
    }


def start_rag_service(port: int, env: dict[str, str], *options: str) -> subprocess.Popen[bytes]:
    """``labkit app serve`` as a child process, waiting until ``/health`` answers (up to 180 s)."""
    cmd = [sys.executable, "-m", "labkit.cli", "app", "serve", "--port", str(port), "--k", "2", *options]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"labkit app serve exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
        if probe_health(port) < PROBE_TIMEOUT_S:
            return proc
        time.sleep(0.25)
    proc.kill()
    raise RuntimeError("labkit app serve did not answer /health within 180 s")


def run() -> dict[str, Any]:
    from labkit.llm.server import EmbeddedServer, ServerSettings, free_port

    results: dict[str, Any] = {}
    model = EmbeddedServer(ServerSettings.from_env()).start()
    try:
        alias = model.settings.model_alias
        assert model.process is not None and model.port is not None
        results["labkit_serve"] = abuse(model.port, model.process.pid, {
            "model": alias, "max_tokens": 2, "messages": [{"role": "user", "content": "Say hi."}]}, chunked_body=False)
        port = free_port()
        env = {**os.environ, "OPENAI_BASE_URL": model.url, "LABKIT_MODEL": alias,
               "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        env.pop("LABKIT_APP_KEYS", None)
        service = start_rag_service(port, env, "--max-in-flight", "8", "--deadline", "30")
        try:
            results["rag_service"] = abuse(port, service.pid, {
                "model": "labkit-rag", "max_tokens": 4,
                "messages": [{"role": "user", "content": "How much does the Team plan cost?"}]})
        finally:
            service.terminate()
            service.wait(timeout=10)
    finally:
        model.stop()
    targets = []
    for name, r in results.items():
        targets += [
            {"name": f"{name}: /health p99 under abuse (s)", "value": r["health_p99_s"], "target": "< 1",
             "met": r["health_p99_s"] < 1.0},
            {"name": f"{name}: RSS after abuse - baseline (MB)", "value": r["rss_delta_mb"], "target": "< 50",
             "met": r["rss_delta_mb"] < 50},
            {"name": f"{name}: 5xx answers to client mistakes", "value": r["server_errors"], "target": "0",
             "met": r["server_errors"] == 0},
        ]
    return {**results, "half_open": HALF_OPEN, "big_body_bytes": BIG_BODY, "concurrent": CONCURRENT,
            "targets": targets}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
