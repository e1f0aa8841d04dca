"""Integration: the real embedded llama.cpp server, driven by the official openai client."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from labkit import llm
from labkit.errors import ModelFileMissing, PortInUse, ServerStartError, UnknownModel
from labkit.llm.server import EmbeddedServer, ServerSettings

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client(embedded):
    return llm.client(max_retries=0)


def _ask(client, prompt: str, **kw):
    return client.chat.completions.create(
        model=llm.model_for("chat"), messages=[{"role": "user", "content": prompt}], max_tokens=kw.pop("max_tokens", 16),
        temperature=0, **kw)


def test_chat_is_recorded_in_ledger(client) -> None:
    mark = llm.ledger.mark()
    r = _ask(client, "Name a colour.")
    assert r.choices[0].message.content
    assert r.model == llm.model_for("chat")
    rec = llm.ledger.records[mark]
    assert rec.operation == "chat" and rec.status == 200 and not rec.stream
    assert rec.input_tokens == r.usage.prompt_tokens and rec.output_tokens == r.usage.completion_tokens
    assert rec.cost_usd is not None and rec.cost_usd > 0


def test_streaming_reports_usage_in_last_chunk_and_ttft(client) -> None:
    mark = llm.ledger.mark()
    chunks = list(_ask(client, "Count from one to ten.", max_tokens=24, stream=True,
                       stream_options={"include_usage": True}))
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens > 0
    rec = llm.ledger.records[mark]
    assert rec.stream and not rec.usage_estimated
    assert rec.output_tokens == usage.completion_tokens
    assert rec.ttft_s is not None and 0 < rec.ttft_s <= rec.latency_s


def test_streaming_without_usage_is_still_counted(client) -> None:
    mark = llm.ledger.mark()
    text = "".join(c.choices[0].delta.content or "" for c in _ask(client, "Say hello.", stream=True) if c.choices)
    rec = llm.ledger.records[mark]
    assert text and rec.output_tokens > 0 and rec.usage_estimated


def test_json_schema_output_is_valid(client) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
              "required": ["city", "population"], "additionalProperties": False}
    r = _ask(client, "Give a city and its population as JSON.", max_tokens=60,
             response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema}})
    data = json.loads(r.choices[0].message.content)
    assert set(data) == {"city", "population"} and isinstance(data["population"], int)


def test_eight_concurrent_requests(client) -> None:
    mark = llm.ledger.mark()
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda i: _ask(client, f"Write the number {i} in words.", max_tokens=8), range(8)))
    assert all(r.choices[0].message.content for r in replies)
    assert llm.ledger.totals(since=mark)["calls"] == 8


def test_async_client_is_recorded_too(embedded) -> None:
    async def go():
        ac = llm.async_client(max_retries=0)
        rs = await asyncio.gather(*[ac.chat.completions.create(
            model=llm.model_for("chat"), messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
            for _ in range(3)])
        await ac.close()
        return rs

    mark = llm.ledger.mark()
    replies = asyncio.run(go())
    assert len(replies) == 3
    recs = llm.ledger.records[mark:]
    assert len(recs) == 3 and all(r.output_tokens > 0 for r in recs)


def test_bad_request_is_a_4xx(client) -> None:
    mark = llm.ledger.mark()
    with pytest.raises(openai.BadRequestError) as err:
        _ask(client, "x", max_tokens=-5)
    assert 400 <= err.value.status_code < 500
    rec = llm.ledger.records[mark]
    assert rec.status == 400 and rec.error


def test_hosted_model_name_on_local_server_names_the_fix(client) -> None:
    with pytest.raises(UnknownModel, match="model_for"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])


def test_metrics_endpoint(embedded) -> None:
    with urllib.request.urlopen(f"{embedded.root_url}/metrics", timeout=5) as r:
        text = r.read().decode()
    assert "llamacpp:prompt_tokens_total" in text


def test_missing_model_file_names_the_fix(tmp_path: Path) -> None:
    s = ServerSettings(model_path=str(tmp_path / "nope.gguf"), model_alias="x")
    with pytest.raises(ModelFileMissing, match="LABKIT_MODEL_PATH"):
        EmbeddedServer(s).start()


def test_port_in_use_names_the_fix(embedded) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        s = ServerSettings(model_path=embedded.settings.model_path, model_alias="x", port=port)
        with pytest.raises(PortInUse, match="unset LABKIT_PORT"):
            EmbeddedServer(s).start()


def test_server_that_cannot_start_shows_its_log(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"this is not a gguf file")
    with pytest.raises(ServerStartError, match="Log tail"):
        EmbeddedServer(ServerSettings(model_path=str(bogus), model_alias="x", n_parallel=1, n_ctx=512)).start(timeout=60)


def test_settings_validation(clean_env) -> None:
    with pytest.raises(ValueError, match="tokens per request"):
        ServerSettings(model_path="m", model_alias="a", n_ctx=1024, n_parallel=8)
    clean_env.setenv("LABKIT_CTX", "lots")
    with pytest.raises(ValueError, match="LABKIT_CTX"):
        ServerSettings.from_env()


def test_custom_endpoint_unreachable_names_the_fix(clean_env) -> None:
    from labkit.errors import EndpointUnreachable

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clean_env.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    assert llm.backend() == "custom"
    with pytest.raises(EndpointUnreachable, match="LABKIT_MODEL"):
        llm.model_for("chat")
    clean_env.setenv("LABKIT_MODEL", "my-model")
    assert llm.model_for("judge") == "my-model"


def test_resolution_order(clean_env) -> None:
    assert llm.backend() == "embedded"
    clean_env.setenv("OPENAI_API_KEY", "sk-test")
    assert llm.backend() == "openai" and llm.model_for("chat") == "gpt-4o-mini"
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert llm.backend() == "custom" and llm.base_url() == "http://127.0.0.1:9/v1"
