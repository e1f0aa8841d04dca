"""Shared fixtures. Tests that need the real embedded server share one per session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def require_tool(present: bool, message: str) -> None:
    """Skip with ``message`` (which names the make target) when a tool is missing; fail instead in CI (CI=true),
    where .ci/run installs every tool, so a missing one is a broken CI and not a reason to skip."""
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; .ci/run installs it, so CI must have it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory):
    """The process's embedded server (started once) with the default backend forced."""
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        if os.environ.get(var):
            pytest.skip(f"{var} is set; these tests exercise the embedded server")
    from labkit import llm

    return llm.server()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "LABKIT_MODEL", "LABKIT_MODEL_PATH", "LABKIT_PORT",
                "LABKIT_CTX", "LABKIT_PARALLEL", "LABKIT_THREADS"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.fixture(scope="session")
def tools_importable() -> Path:
    """The course tooling folder, tools/, put on sys.path so a test can import its scripts by name."""
    tools = Path(__file__).resolve().parent.parent / "tools"
    if str(tools) not in sys.path:
        sys.path.insert(0, str(tools))
    return tools


@pytest.fixture
def fake_redis(monkeypatch: pytest.MonkeyPatch) -> str:
    """A redis:// location served by fakeredis in this process (Lua through lupa); one fresh server per test."""
    import fakeredis

    from labkit import redis_state

    server = fakeredis.FakeServer()
    monkeypatch.setattr(redis_state, "make_client",
                        lambda url: fakeredis.FakeRedis(server=server, decode_responses=True))
    return "redis://fake.invalid:6379/0"


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A real redis-server on a free loopback port for the session (installed by .ci/run in CI).

    Skips when redis-server is not installed, except in CI (CI=true), where that is a failure."""
    import shutil

    from labkit.redis_state import local_redis_server

    require_tool(shutil.which("redis-server") is not None, "redis-server is not installed (apt-get install redis-server)")
    with local_redis_server() as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The session's real redis-server, emptied before each test."""
    from labkit.redis_state import connect

    client = connect(redis_server_url)
    client.flushdb()
    client.close()
    return redis_server_url
