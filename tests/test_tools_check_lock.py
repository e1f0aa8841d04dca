"""tools/check_lock.py: the platforms it checks and how it reads pip's answer (the dry runs themselves run in CI)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def check_lock():
    sys.path.insert(0, str(ROOT / "tools"))
    spec = importlib.util.spec_from_file_location("check_lock", ROOT / "tools" / "check_lock.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_lock"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_four_supported_platforms(check_lock):
    assert set(check_lock.PLATFORMS) == {"linux-x86_64", "linux-aarch64", "macos-arm64", "windows-x86_64"}
    assert "manylinux_2_28_x86_64" in check_lock.PLATFORMS["linux-x86_64"]
    assert "manylinux2014_aarch64" in check_lock.PLATFORMS["linux-aarch64"]
    assert all("x86_64" not in tag for tag in check_lock.PLATFORMS["linux-aarch64"])
    assert "macosx_11_0_arm64" in check_lock.PLATFORMS["macos-arm64"]


def test_only_the_host_platform_walks_dependencies(check_lock, monkeypatch):
    monkeypatch.setattr(check_lock.sys_platform, "system", lambda: "Linux")
    monkeypatch.setattr(check_lock.sys_platform, "machine", lambda: "x86_64")
    assert check_lock.same_system("linux-x86_64")
    assert not check_lock.same_system("macos-arm64")
    monkeypatch.setattr(check_lock.sys_platform, "machine", lambda: "arm64")
    assert check_lock.same_system("linux-aarch64")


def test_pips_real_error_is_kept_and_its_noise_dropped(check_lock):
    stderr = ("ERROR: Ignored the following versions that require a different python version: 4.1 Requires-Python >=3.11.5\n"
              "ERROR: Could not find a version that satisfies the requirement soupsieve==4.1.3\n")
    assert check_lock._last_error(stderr) == "ERROR: Could not find a version that satisfies the requirement soupsieve==4.1.3"


def test_torch_cuda_libraries_are_expected_extras_and_nothing_else(check_lock):
    assert check_lock.EXPECTED_EXTRAS.match("nvidia-cudnn-cu13")
    assert check_lock.EXPECTED_EXTRAS.match("triton")
    assert not check_lock.EXPECTED_EXTRAS.match("colorama")


def test_every_tool_environment_lock_is_checked(check_lock, monkeypatch, capsys):
    locks = check_lock.env_locks()
    assert {p.parent.name for p in locks} >= {"evals", "litellm", "phoenix", "drift_tools"}
    assert check_lock.ENV_PLATFORMS == ("linux-x86_64",)
    seen = []

    def fake_resolve(platform, pins, **_):
        seen.append((platform, len(pins)))
        return check_lock.PlatformResult(platform, "torch" not in pins, len(pins), [], "resolves")

    monkeypatch.setattr(check_lock, "resolve", fake_resolve)
    failed = check_lock.check_envs(locks)
    assert len(seen) == len(locks) and all(p == "linux-x86_64" and n > 10 for p, n in seen)
    out = capsys.readouterr().out
    assert failed == out.count("FAIL") and f"{len(locks) - failed} passed" in out
