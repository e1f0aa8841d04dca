"""Shared fixtures. Tests that need the real embedded server share one per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


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
