"""Weight formats as a measured trade-off: re-quantise the shipped GGUF and serve each file in turn.

The embedded model ships as SmolLM2-135M in Q4_1 (4 bits a weight plus a scale and a minimum per block
of 32). :func:`requantize` writes a copy in another format (Q8_0 by default) and :func:`serve_weights`
serves one file with the settings ``labkit serve`` uses and sends it the same prompts, recording speed,
memory and the answers, so the answers of two files can be scored and compared pairwise
(:func:`labkit.evals.stats.paired_test`).

A Q8_0 copy made *from* Q4_1 holds no more information than the Q4_1 file: what differs is the CPU
kernel llama.cpp runs for each format and the rounding on the way. Comparing it with the shipped file
measures the format's speed and memory, and checks that the conversion did not cost quality.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from labkit.deploy.measure import rss_mb


@dataclass
class WeightsRun:
    """One weights file served and sent a fixed set of prompts."""

    file: str
    mb: float
    rss_mb: float
    wall_s: float
    prompt_tokens: int
    output_tokens: int
    answers: list[str] = field(repr=False)

    def row(self) -> dict[str, Any]:
        """The run without its answers, for a table or a results file."""
        return {"file": self.file, "MB on disk": self.mb, "MB resident": self.rss_mb, "wall s": self.wall_s,
                "prompt tokens": self.prompt_tokens, "output tokens": self.output_tokens}


def requantize(src: str | Path, dst: str | Path, target: str = "Q8_0") -> Path:
    """Write a copy of the GGUF ``src`` whose Q4_1 tensors are stored as ``target`` (metadata kept).

    Args:
        src: the GGUF to read.
        dst: where to write the copy.
        target: a ``gguf.GGMLQuantizationType`` name that gguf-py can quantise to (Q8_0, Q4_0, ...).

    Returns:
        The path written.
    """
    import gguf
    from gguf import GGMLQuantizationType, GGUFValueType, quants

    if target not in GGMLQuantizationType.__members__:
        raise ValueError(f"unknown quantisation type {target!r}: use a gguf.GGMLQuantizationType name such as 'Q8_0'")
    if not Path(src).is_file():
        raise FileNotFoundError(f"no GGUF file at {src}: pass the shipped model's path (ServerSettings.from_env().model_path)")
    kind = GGMLQuantizationType[target]
    reader = gguf.GGUFReader(str(src))

    def text(field: Any, i: int) -> str:
        return bytes(field.parts[i]).decode("utf-8")

    arch = reader.fields["general.architecture"]
    writer = gguf.GGUFWriter(str(dst), text(arch, arch.data[0]))
    for name, field_ in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        vtype = field_.types[0]
        if vtype == GGUFValueType.ARRAY:
            sub = field_.types[-1]
            values = [text(field_, i) if sub == GGUFValueType.STRING else field_.parts[i].tolist()[0]
                      for i in field_.data]
            writer.add_key_value(name, values, vtype, sub_type=sub)
        else:
            first = field_.data[0]
            value = text(field_, first) if vtype == GGUFValueType.STRING else field_.parts[first].tolist()[0]
            writer.add_key_value(name, value, vtype)
    for t in reader.tensors:
        if t.tensor_type == GGMLQuantizationType.Q4_1:
            shape = [int(x) for x in reversed(t.shape)]
            weights = quants.dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float32)
            data = quants.quantize(weights, kind)
            writer.add_tensor(t.name, data, raw_shape=data.shape, raw_dtype=kind)
        else:
            raw = np.array(t.data)
            writer.add_tensor(t.name, raw, raw_shape=raw.shape, raw_dtype=t.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(dst)


def serve_weights(model: str | Path, prompts: list[list[dict[str, str]]], *, workers: int = 4,
                  max_tokens: int = 64) -> WeightsRun:
    """Serve ``model`` with ``labkit serve``'s settings and send every prompt, ``workers`` in flight.

    Args:
        model: the GGUF file to serve.
        prompts: chat message lists, sent in order at temperature 0 through the ``openai`` client.
        workers: requests in flight at once.
        max_tokens: the generation limit of each request.

    Returns:
        The :class:`WeightsRun`: wall time of the prompts (after one warm-up request), the server's
        resident memory afterwards, token counts and the answers in prompt order.
    """
    import openai

    from labkit.llm.server import EmbeddedServer, ServerSettings

    if not prompts:
        raise ValueError("no prompts to send: pass at least one list of chat messages")
    if workers < 1 or max_tokens < 1:
        raise ValueError(f"workers and max_tokens must be at least 1 (got {workers}, {max_tokens})")
    path = Path(model)
    settings = replace(ServerSettings.from_env(), model_path=str(path), model_alias="weights", port=0)
    with EmbeddedServer(settings) as server:
        client = openai.OpenAI(base_url=server.url, api_key="local", timeout=600, max_retries=0)

        def call(messages: list[dict[str, str]]) -> Any:
            return client.chat.completions.create(model="weights", messages=messages,  # type: ignore[arg-type]
                                                  max_tokens=max_tokens, temperature=0)

        call(prompts[0])
        t0 = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            replies = list(pool.map(call, prompts))
        wall = time.perf_counter() - t0
        resident = rss_mb(server.process.pid) if server.process else float("nan")
    return WeightsRun(file=path.name, mb=round(path.stat().st_size / 1e6, 1), rss_mb=round(resident, 1),
                      wall_s=round(wall, 2),
                      prompt_tokens=sum(r.usage.prompt_tokens for r in replies),
                      output_tokens=sum(r.usage.completion_tokens for r in replies),
                      answers=[r.choices[0].message.content or "" for r in replies])
