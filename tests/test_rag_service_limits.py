"""The RAG service's limits over real HTTP: 413 before the body is read, OpenAI's error shape for bad
values, 404 for an unknown model, a deadline (504), a bounded queue (429 + Retry-After), content parts,
and no 5xx for a client's mistake. Retrieval is real; ``abstain_below=1.0`` keeps the model out of it."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from labkit.rag import RagApp, RagConfig
from labkit.rag.auth import TenantKeys
from labkit.rag.limits import ServiceLimits
from labkit.rag.service import ServiceThread, create_app

DOCS = [{"id": "s1", "title": "Plans", "tenant": "shared", "text": "The Team plan costs $24 per user per month."},
        {"id": "s2", "title": "Limits", "tenant": "shared", "text": "Attachments can be up to 50 MB each."}]
LIMITS = ServiceLimits(max_body_bytes=16 * 1024, max_question_chars=2000, deadline_s=1.0, max_in_flight=2,
                       read_timeout_s=2.0)


@pytest.fixture(scope="module")
def rag(tmp_path_factory: pytest.TempPathFactory) -> RagApp:
    return RagApp(DOCS, RagConfig(chunk_words=40, overlap_words=5, k=2, abstain_below=1.0),
                  index_path=tmp_path_factory.mktemp("limits") / "i.sqlite")


@pytest.fixture(scope="module")
def svc(rag: RagApp):
    with ServiceThread(create_app(rag, keys=TenantKeys(), limits=LIMITS, guards=False)) as s:
        yield s


def _post(svc: ServiceThread, payload: Any, **kw: Any) -> httpx.Response:
    return httpx.post(f"{svc.url}/chat/completions", json=payload, timeout=30, **kw)


def _shaped(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    return error


def test_bad_values_are_4xx_with_openais_error_shape(svc: ServiceThread) -> None:
    q = [{"role": "user", "content": "How much is the Team plan?"}]
    assert _shaped(_post(svc, {"messages": q, "max_tokens": 0}), 400)["param"] == "max_tokens"
    assert _shaped(_post(svc, {"messages": q, "temperature": 9}), 400)["param"] == "temperature"
    assert _shaped(_post(svc, {"messages": []}), 400)["param"] == "messages"
    assert _shaped(_post(svc, {"messages": [{"role": "wizard", "content": "x"}]}), 400)
    assert _shaped(_post(svc, {"model": "gpt-9", "messages": q}), 404)["code"] == "model_not_found"
    assert _shaped(_post(svc, {"messages": q, "stream_options": {"include_usage": True}}), 400)["param"] == "stream_options"
    long = [{"role": "user", "content": "why " * 2500}]  # 10 KB: under the body limit, over the question limit
    assert _shaped(_post(svc, {"messages": long}), 400)["code"] == "context_length_exceeded"
    bad_json = httpx.post(f"{svc.url}/chat/completions", content=b"{not json", timeout=30,
                          headers={"Content-Type": "application/json"})
    _shaped(bad_json, 400)
    image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]}]
    _shaped(_post(svc, {"messages": image}), 400)


def test_content_as_a_list_of_text_parts(svc: ServiceThread) -> None:
    parts = [{"role": "user", "content": [{"type": "text", "text": "How much does the"},
                                          {"type": "text", "text": "Team plan cost?"}]}]
    r = _post(svc, {"model": "labkit-rag", "messages": parts})
    assert r.status_code == 200 and r.json()["rag"]["retrieved_ids"][0] == "s1"


def test_body_over_the_limit_is_413_before_it_is_read(svc: ServiceThread) -> None:
    big = {"messages": [{"role": "user", "content": "x" * 20_000}]}
    assert _shaped(_post(svc, big), 413)["code"] == "request_too_large"
    # a declared 10 MB body is refused after the headers alone: nothing of the body is sent
    with socket.create_connection(("127.0.0.1", svc.port), timeout=10) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 413")
    # a chunked body (no length) is cut as soon as it passes the limit
    chunks = (b"x" * 4096 for _ in range(64))
    r = httpx.post(f"{svc.url}/chat/completions", content=chunks, timeout=30)
    assert r.status_code == 413


def test_a_slow_client_is_cut_off(svc: ServiceThread) -> None:
    with socket.create_connection(("127.0.0.1", svc.port), timeout=10) as s:
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert s.recv(4096).startswith(b"HTTP/1.1 408")  # the body stalled past read_timeout_s
    with socket.create_connection(("127.0.0.1", svc.port), timeout=10) as s:
        s.sendall(b"POST /v1/chat/comp")  # half a request line, then nothing
        t0 = time.perf_counter()
        assert s.recv(4096) == b"" and time.perf_counter() - t0 < 5  # closed after read_timeout_s


class SlowApp:
    """A stand-in app whose answer takes ``seconds`` (the model behind a real one can be that slow)."""

    def __init__(self, rag: RagApp, seconds: float) -> None:
        self.rag, self.seconds, self.index, self.config = rag, seconds, rag.index, rag.config

    def with_config(self, **changes: Any) -> SlowApp:
        return self

    def answer(self, question: str, tenant: str | None = None, **kwargs: Any) -> Any:
        time.sleep(self.seconds)
        return self.rag.answer(question, tenant=tenant)


def test_deadline_and_bounded_queue(rag: RagApp) -> None:
    api = create_app(SlowApp(rag, 3.0), keys=TenantKeys(), limits=LIMITS, guards=False)  # type: ignore[arg-type]
    q = {"messages": [{"role": "user", "content": "Team plan price?"}]}
    with ServiceThread(api) as s:
        results: list[httpx.Response] = []
        threads = [threading.Thread(target=lambda: results.append(_post(s, q))) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in results)
        assert statuses == [429, 429, 429, 504, 504], statuses  # 2 admitted (cut at 1 s), 3 shed at once
        shed = next(r for r in results if r.status_code == 429)
        assert shed.headers["retry-after"] == "2" and _shaped(shed, 429)["code"] == "rate_limited"
        assert _shaped(next(r for r in results if r.status_code == 504), 504)["code"] == "timeout"
        with httpx.Client() as c:
            assert c.get(s.url[:-3] + "/health", timeout=1).status_code == 200  # health answers meanwhile
        time.sleep(2.5)  # the slow answers finish and give their slots back
        assert _post(s, q).status_code == 504  # admitted again (not 429): the queue drained


def test_unknown_route_is_shaped_404(svc: ServiceThread, tmp_path: Path) -> None:
    _shaped(httpx.get(svc.url + "/nowhere", timeout=10), 404)
