"""The strict OpenAI-API proxy: what it refuses (pure checks) and what it forwards (the real server)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import openai
import pytest

from labkit import llm
from labkit.llm.strict_proxy import Rejection, StrictOpenAIProxy, check_request

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}


def _body(**fields: object) -> bytes:
    return json.dumps({**CHAT, **fields}).encode()


def test_documented_chat_parameters_pass() -> None:
    assert check_request("POST", "/v1/chat/completions", _body(temperature=0, logprobs=True, top_logprobs=2,
                                                                 stream=True, stream_options={})) is None


@pytest.mark.parametrize("field", ["ignore_eos", "cache_prompt", "id_slot", "n_probs", "top_k", "min_p"])
def test_a_llamacpp_field_is_an_unrecognized_argument(field: str) -> None:
    assert check_request("POST", "/v1/chat/completions", _body(**{field: 1})) == Rejection(
        400, f"Unrecognized request argument supplied: {field}")


def test_several_unknown_fields_are_all_named() -> None:
    r = check_request("POST", "/v1/chat/completions", _body(ignore_eos=True, cache_prompt=False))
    assert r == Rejection(400, "Unrecognized request arguments supplied: cache_prompt, ignore_eos")


def test_parameters_are_checked_per_path() -> None:
    # `prompt` belongs to /v1/completions, `messages` to chat: each is unknown on the other path.
    assert check_request("POST", "/v1/completions", json.dumps({"model": "m", "prompt": "x", "echo": True}).encode()) is None
    assert check_request("POST", "/v1/completions", _body()).message.endswith("messages")  # type: ignore[union-attr]
    assert check_request("POST", "/v1/embeddings", json.dumps({"model": "m", "input": "x"}).encode()) is None


@pytest.mark.parametrize(("method", "path"), [("GET", "/metrics"), ("GET", "/health"), ("GET", "/slots"),
                                              ("POST", "/tokenize"), ("POST", "/completion"),
                                              ("GET", "/v1/chat/completions"), ("POST", "/v1/models")])
def test_unknown_paths_and_methods_are_404(method: str, path: str) -> None:
    assert check_request(method, path, b"{}") == Rejection(404, f"Invalid URL ({method} {path})")


def test_models_and_bad_json() -> None:
    assert check_request("GET", "/v1/models", b"") is None
    assert check_request("GET", "/v1/models/some-model", b"") is None
    assert check_request("POST", "/v1/chat/completions", b"not json").status == 400  # type: ignore[union-attr]
    assert check_request("POST", "/v1/chat/completions", b"[1, 2]").status == 400  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def proxy(embedded):
    with StrictOpenAIProxy(embedded.url) as p:
        yield p


def _http(url: str, body: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.mark.server
def test_unknown_parameter_gets_openais_400_and_is_not_forwarded(proxy) -> None:
    body = {**CHAT, "model": llm.model_for("chat"), "ignore_eos": True}
    assert _http(f"{proxy.url}/chat/completions", body) == (400, {"error": {
        "message": "Unrecognized request argument supplied: ignore_eos", "type": "invalid_request_error",
        "param": None, "code": None}})
    # the same request straight to llama.cpp is accepted: the refusal is the proxy's
    assert _http(f"{llm.server().url}/chat/completions", body)[0] == 200


@pytest.mark.server
@pytest.mark.parametrize("path", ["/metrics", "/health", "/slots"])
def test_llamacpp_paths_are_404_through_the_proxy(proxy, path: str) -> None:
    root = proxy.url.removesuffix("/v1")
    status, body = _http(root + path)
    assert status == 404 and body["error"]["message"] == f"Invalid URL (GET {path})"
    assert body["error"]["type"] == "invalid_request_error"
    assert urllib.request.urlopen(llm.server().root_url + path, timeout=30).status == 200


@pytest.mark.server
def test_the_openai_client_sees_a_bad_request_error(proxy) -> None:
    client = llm.client(base_url=proxy.url, max_retries=0)
    with pytest.raises(openai.BadRequestError, match="Unrecognized request argument supplied: cache_prompt"):
        client.chat.completions.create(model=llm.model_for("chat"), messages=CHAT["messages"], max_tokens=1,
                                       extra_body={"cache_prompt": False})


@pytest.mark.server
def test_a_valid_chat_request_and_the_model_list_pass_through(proxy) -> None:
    client = llm.client(base_url=proxy.url, max_retries=0)
    r = client.chat.completions.create(model=llm.model_for("chat"), max_tokens=4, temperature=0,
                                       messages=[{"role": "user", "content": "Name one colour."}])
    assert r.choices[0].message.content and r.usage and r.usage.completion_tokens > 0
    assert llm.model_for("chat") in [m.id for m in client.models.list()]


@pytest.mark.server
def test_a_stream_passes_through_as_it_is_generated(proxy) -> None:
    client = llm.client(base_url=proxy.url, max_retries=0)
    t0 = time.perf_counter()
    arrivals, usage = [], None
    for chunk in client.chat.completions.create(
            model=llm.model_for("chat"), max_tokens=48, temperature=0, stream=True,
            stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "Count from one to fifty in words."}]):
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.perf_counter() - t0)
        usage = chunk.usage or usage
    assert usage is not None and usage.completion_tokens >= len(arrivals) > 10
    # relayed chunk by chunk: the first token arrives well before the last (a buffering proxy
    # would deliver them all at once, at the end)
    assert arrivals[0] < 0.5 * arrivals[-1], (arrivals[0], arrivals[-1])
